"""report.html in a real headless browser (Debian's chromium, driven by playwright).

The page must load with no console errors or CSP violations, its findings filter must work,
its timeline chart must render, and a case full of HTML/script payloads must execute none of
them (each payload would set `window.__pwned`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.report import write_report
from tests.timeline.casebuilder import (
    PAYLOAD_CODE,
    PAYLOAD_ENV,
    PAYLOAD_FILE,
    PAYLOAD_NAME,
    build_case,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "report-screenshot.png"
# Generous: CI shares two cores among parallel test workers.
TIMEOUT_MS = 120_000
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed (make browser / apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def _open(browser: Any, report: Path) -> tuple[Any, list[str], list[str]]:
    """Open the report file; collect console errors, page errors and any network request."""
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())
    page.wait_for_function("document.getElementById('timeline-chart').dataset.rendered === 'yes'")
    return page, problems, requests


def test_report_loads_clean_filters_and_renders(browser: Any, tmp_path: Path) -> None:
    built = build_case(tmp_path / "case")
    result = write_report(built.case, built.index(), "2026-11-29T10:00:00Z")
    page, problems, requests = _open(browser, result.html)
    assert problems == []
    assert requests == [result.html.as_uri()]  # nothing fetched but the file itself

    rows = page.locator("#findings tbody tr")
    assert rows.count() == 3
    assert page.locator("#findings-shown").inner_text() == "3 of 3 shown"
    page.uncheck("input[data-severity-filter][value=critical]")
    assert page.locator("#findings-shown").inner_text() == "2 of 3 shown"
    assert not page.locator('#findings tr[data-severity="critical"]').is_visible()
    page.fill("#finding-search", "layer")
    assert page.locator("#findings-shown").inner_text() == "1 of 3 shown"
    assert page.locator('#findings tr[data-severity="medium"]').is_visible()

    canvas = page.locator("#timeline-chart")
    assert canvas.get_attribute("data-points") == str(result.facts.events_total)
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 500 and box["height"] > 200
    # Pixels were drawn: the canvas is not blank.
    drawn = page.evaluate(
        "() => { const c = document.getElementById('timeline-chart');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }"
    )
    assert drawn > 1000
    labels = page.evaluate(
        "() => Chart.getChart('timeline-chart').scales.y.ticks.map(t => t.label).filter(Boolean)"
    )
    assert labels == ["finding", "cloudtrail", "lambda", "logs", "runtime"]
    # Clicking a point finds its event in the table (the chart is interactive, not a picture).
    # Point and canvas positions are read together, in the page, just before each click: the
    # chart may still be settling its size after the page scrolled.
    canvas.scroll_into_view_if_needed()
    for _ in range(5):
        where = page.evaluate(
            "() => { const c = Chart.getChart('timeline-chart');"
            " const lane = c.data.datasets.findIndex(d => d.label === 'cloudtrail');"
            " const p = c.getDatasetMeta(lane).data[0];"
            " const r = c.canvas.getBoundingClientRect();"
            " return {x: r.left + p.x, y: r.top + p.y}; }"
        )
        page.mouse.move(where["x"], where["y"])
        page.mouse.click(where["x"], where["y"])
        if page.locator("#events tr.hit").count():
            break
        page.wait_for_timeout(200)
    hit = page.locator("#events tr.hit")
    assert hit.count() == 1 and "cloudtrail" in hit.inner_text()
    assert page.locator("#events-shown").inner_text() == "15 of 15 shown"
    page.fill("#event-search", "timed out")
    assert page.locator("#events-shown").inner_text() == "1 of 15 shown"
    page.fill("#event-search", "")
    # "window: the incident" opens an hour before the first sign, where report.md's table does.
    page.click("#tl-incident")
    assert page.input_value("#tl-from") == "2026-11-28T21:10"
    assert page.locator("#events-shown").inner_text() == "14 of 15 shown"
    page.click("#tl-reset")
    page.fill("#finding-search", "")
    page.check("input[data-severity-filter][value=critical]")
    shot = tmp_path / "report-screenshot.png"
    page.screenshot(path=str(shot), full_page=True)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT)
    assert shot.stat().st_size > 10_000
    page.click("a[href='#diff-0-1']")
    assert page.locator("#diff-0-1 li.added > code").inner_text() == "miner.py"
    page.click("#diff-0-1 li.changed summary")
    assert "+import miner" in page.locator("#diff-0-1 li.changed pre.diff").inner_text()


def test_hostile_strings_execute_nothing(browser: Any, tmp_path: Path) -> None:
    built = build_case(tmp_path / "case", hostile=True)
    result = write_report(built.case, built.index(), "2026-11-29T10:00:00Z")
    page, problems, _ = _open(browser, result.html)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("img").count() == 0
    # The payloads are on the page as text, where a responder can read them.
    text = page.locator("body").inner_text()
    assert PAYLOAD_NAME in text and PAYLOAD_ENV in text and PAYLOAD_FILE in text
    page.click("#diff-0-1 li.changed summary")
    page.click("#diff-0-1 li.added:has(code:text('miner.py')) summary")
    assert PAYLOAD_CODE.strip() in page.locator("#diff-0-1").inner_text()
    assert "window.__pwned=3" in text
    # Only our three scripts exist; no payload became an element.
    assert page.locator("script").count() == 3
    assert problems == []


def test_empty_case_page_loads_clean(browser: Any, tmp_path: Path) -> None:
    case = Case.create(tmp_path / "empty")
    result = write_report(case, None, "2026-11-29T10:00:00Z")
    page, problems, _ = _open(browser, result.html)
    assert problems == []
    assert page.locator("#findings-shown").inner_text() == "0 of 0 shown"
    assert page.locator("#timeline-chart").get_attribute("data-points") == "0"


def test_first_screen_evidence_inline_and_chart_follows_table(browser: Any, tmp_path: Path) -> None:
    from tests.report.twins import HOT_EVENT, HOT_URL, MALLORY, build_twins

    twins = build_twins(tmp_path / "case")
    with open_index(twins.case) as index:
        result = write_report(twins.case, index, "2026-11-29T10:00:00Z")
    page, problems, _ = _open(browser, result.html)
    assert problems == []
    # The first screen: the compromised function (in its region), who, key id, address.
    now = page.locator("#now")
    box = now.bounding_box()
    assert box is not None and box["y"] < 300  # it starts on the first screen
    at_risk = page.locator("#at-risk").inner_text()
    assert "image-resizer (111122223333, us-east-1)" in at_risk and "exposed" in at_risk
    who = page.locator("#who").inner_text()
    assert MALLORY in who and "AKIAMALLORY000000001" in who and "203.0.113.7" in who
    steps = page.locator("#checklist li")
    assert "deactivate-key=AKIAMALLORY000000001" in steps.nth(1).inner_text()
    assert (
        HOT_URL
        not in page.locator(
            "#fn-arn_aws_lambda_eu-west-1_111122223333_function_image-resizer"
        ).inner_text()
    )
    # A finding's evidence opens in place: the CloudTrail record, pretty JSON.
    row = page.locator("#findings > tbody > tr").first
    record = row.locator("pre.ev-cloudtrail")
    assert not record.is_visible()
    row.locator("details.evidence > summary").click()
    assert record.is_visible() and f'"eventID": "{HOT_EVENT}"' in record.inner_text()
    # The chart follows the table's filters: the same events in both.
    canvas = page.locator("#timeline-chart")
    total = len(result.facts.events)
    assert page.locator("#events-shown").inner_text() == f"{total} of {total} shown"
    page.select_option("#tl-source", "cloudtrail")
    shown = page.locator("#events tbody tr").count()
    assert shown == 6 and canvas.get_attribute("data-points") == str(shown)
    assert page.locator("#events-shown").inner_text() == f"6 of {total} shown"
    page.fill("#event-search", "mallory")
    assert (
        canvas.get_attribute("data-points") == "2" == str(page.locator("#events tbody tr").count())
    )
    page.fill("#tl-to", "2026-11-28T11:59")  # mallory's calls are at 12:00
    assert (
        canvas.get_attribute("data-points") == "0"
        and "0 of" in page.locator("#events-shown").inner_text()
    )
    page.fill("#tl-to", "2026-11-28T12:00")
    assert canvas.get_attribute("data-points") == "2"
    page.click("#tl-reset")
    page.select_option("#tl-order", "desc")
    first = page.locator("#events tbody tr").first.locator("td").first.inner_text()
    assert first == max(e.time for e in result.facts.events)
    page.select_option("#tl-lanes", "function")
    labels = page.evaluate(
        "() => Chart.getChart('timeline-chart').scales.y.ticks.map(t => t.label).filter(Boolean)"
    )
    assert "image-resizer (444455556666, us-east-1)" in labels
    assert problems == []
