"""search: an IOC inside a Python file inside a zip inside blobs/, logs, trail, config."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambda_ir.cli.main import cli
from lambda_ir.evidence import Case
from lambda_ir.evidence.search import (
    IOC_CHUNK,
    SearchError,
    build_query,
    escape,
    indicator_queries,
    search_case,
)
from lambda_ir.evidence.search_where import read_indicators
from tests.evidence.test_index import ACCOUNT, REGION, RID, make_case


def nested_zip() -> bytes:
    """The same bytes on every call: an entry named by a string is stamped with the time of
    day, so the case's copy and a test's (built a moment later) could differ in their hash."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        beacon = "import os\nC2 = 'https://c2.Evil-Example.net/x'\n"
        archive.writestr(_fixed("vendor/beacon.py"), beacon)
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as archive:
        archive.writestr(_fixed("python/lib.zip"), inner.getvalue())
    return outer.getvalue()


def _fixed(name: str) -> zipfile.ZipInfo:
    return zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))


@pytest.fixture
def case(tmp_path: Path) -> Case:
    case = make_case(tmp_path / "case")
    case.put_bytes(
        nested_zip(),
        kind="layer-code",
        api="lambda:GetLayerVersionByArn",
        params={"Arn": "arn:aws:lambda:eu-west-1:111122223333:layer:x:1"},
    )
    case.put_json(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/pay/get-function/1.json",
        {
            "Configuration": {
                "FunctionName": "pay",
                "Version": "1",
                "Environment": {"Variables": {"DB_PASSWORD": "hunter2-evil.example.com"}},
            }
        },
        kind="function",
        api="lambda:GetFunction",
        params={"FunctionName": "pay", "Qualifier": "1"},
        account=ACCOUNT,
        region=REGION,
    )
    return case


def test_ioc_in_python_file_inside_zip_in_blobs(case: Case) -> None:
    hits = list(search_case(case, build_query(["evil.example.com"], literal=True), ["code"]))
    assert [(h.member, h.locator) for h in hits] == [("app.py", "line 2")]
    assert hits[0].evidence_path.startswith("blobs/sha256/")
    nested = list(
        search_case(
            case, build_query(["c2.evil-example"], literal=True, ignore_case=True), ["code"]
        )
    )
    assert [h.member for h in nested] == ["python/lib.zip!vendor/beacon.py"]


def test_logs_trail_and_config_hits_name_their_evidence(case: Case) -> None:
    logs = list(search_case(case, build_query([r"timed out after \d"]), ["logs"]))
    assert len(logs) == 1 and logs[0].evidence_path.startswith("logs/")
    assert RID in logs[0].text
    config = list(search_case(case, build_query(["hunter2"]), ["config"]))
    assert len(config) == 1 and "hunter2" not in config[0].text and "REDACTED" in config[0].text
    entry = case.entry(config[0].evidence_path)
    assert entry is not None and entry.sha256 == config[0].evidence_sha256


def test_literal_escape_and_bad_patterns() -> None:
    assert escape("a.b(c)*") == r"a\.b\(c\)\*"
    with pytest.raises(SearchError):
        build_query(["(unclosed"])


def test_cli_search_with_ioc_file_and_json(case: Case, tmp_path: Path) -> None:
    iocs = tmp_path / "iocs.txt"
    iocs.write_text("# indicators\nC2.EVIL-EXAMPLE.NET\n\nnot-there.example\n")
    result = CliRunner().invoke(
        cli, ["--json", "search", "--case", str(case.root), "--ioc", str(iocs)]
    )
    assert result.exit_code == 0, result.output
    assert '"member": "python/lib.zip!vendor/beacon.py"' in result.output
    bad = CliRunner().invoke(cli, ["search", "--case", str(case.root), "x", "--in", "nowhere"])
    assert bad.exit_code == 2 and "unknown target(s) nowhere" in bad.output


def test_trail_hit(tmp_path: Path) -> None:
    from lambda_ir.evidence.trail import import_trail
    from tests.evidence.test_trail import STRATUS

    case = Case.create(tmp_path / "c")
    import_trail(case, [STRATUS / "aws.persistence.lambda-backdoor-function.json"])
    hits = list(search_case(case, build_query(['"principal":"*"'], literal=True), ["trail"]))
    assert len(hits) == 1 and "AddPermission20150331v2" in hits[0].locator


def test_trail_search_reads_only_its_own_case_and_an_event_once(tmp_path: Path) -> None:
    """DuckDB reads `*`, `?` and `[` in a path as a glob: a neighbouring case must not leak in."""
    from tests.evidence.test_trail import record

    def trail_case(root: Path, *events: str) -> Case:
        case = Case.create(root)
        body = b"".join(json.dumps(record(e, userAgent="needle")).encode() + b"\n" for e in events)
        case.put_bytes(gzip.compress(body), "trail/a/events.jsonl.gz", kind="trail", api="x")
        return case

    trail_case(tmp_path / "case-x", "other")  # `case*` globs it, at the same relative path
    for name in ("case*", "c[a]se*"):  # (DuckDB cannot open a database under a `?` folder)
        mine = trail_case(tmp_path / name, "mine", "mine")  # the same event twice in its file
        hits = list(search_case(mine, build_query(["needle"], literal=True), ["trail"]))
        assert [h.locator.split("eventID=")[1] for h in hits] == ["mine"], name
        assert [h.evidence_path for h in hits] == ["trail/a/events.jsonl.gz"]


def test_a_trail_hit_without_a_readable_time_says_so(tmp_path: Path) -> None:
    from tests.evidence.test_trail import record

    case = Case.create(tmp_path / "c")
    body = json.dumps(record("untimed", userAgent="needle", eventTime="infinity")).encode()
    case.put_bytes(gzip.compress(body + b"\n"), "trail/a/e.jsonl.gz", kind="trail", api="x")
    (hit,) = search_case(case, build_query(["needle"], literal=True), ["trail"])
    assert hit.locator.startswith("no readable time ") and "None" not in hit.locator


def test_code_hits_name_the_versions_and_the_indicator(case: Case) -> None:
    query = build_query(
        ["nothing-here.example", "EVIL.example.com"], literal=True, ignore_case=True
    )
    hits = list(search_case(case, query, ["code"]))
    assert [(h.used_by, h.member, h.matched) for h in hits] == [
        (
            (f"{ACCOUNT}/{REGION}/pay:$LATEST", f"{ACCOUNT}/{REGION}/pay:1"),
            "app.py",
            ("EVIL.example.com",),
        ),
    ]
    assert hits[0].line().startswith(f"code\t{ACCOUNT}/{REGION}/pay:$LATEST,")
    assert "\tapp.py" not in hits[0].line() and "pay:1!app.py\tline 2\tEVIL.example.com\t" in (
        hits[0].line()
    )
    layer = list(search_case(case, build_query(["c2.evil-example"], literal=True), ["code"]))
    assert layer == []  # case-sensitive: the file says Evil-Example
    nested = list(search_case(case, build_query(["Evil-Example"], literal=True), ["code"]))
    assert nested[0].used_by == ("arn:aws:lambda:eu-west-1:111122223333:layer:x:1",)


def test_hash_indicator_matches_a_file_inside_a_package_and_the_package(
    case: Case, tmp_path: Path
) -> None:
    from tests.evidence.test_index import code_zip

    member_sha = hashlib.sha256(
        b"def handler(event, context):\n    return 'evil.example.com'\n"
    ).hexdigest()
    package_sha = hashlib.sha256(code_zip()).hexdigest()
    iocs = tmp_path / "iocs.txt"
    iocs.write_text(f"# hashes\n{member_sha.upper()}\n{package_sha}\n{'0' * 64}\n")
    result = CliRunner().invoke(
        cli,
        ["--json", "search", "--case", str(case.root), "--in", "code", "--ioc", str(iocs)],
    )
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["hits"]
    found = {(h["locator"], h["member"], tuple(h["matched"])) for h in hits}
    assert found == {
        ("sha256 of the package", None, (package_sha,)),
        ("sha256 of the file", "app.py", (member_sha,)),
    }


def test_cli_ioc_value_refanged_and_a_missing_file_refused(case: Case) -> None:
    result = CliRunner().invoke(
        cli, ["search", "--case", str(case.root), "--ioc", "evil[.]example[.]com"]
    )
    assert result.exit_code == 0, result.output
    code = [line for line in result.output.splitlines() if line.startswith("code\t")]
    assert code == [
        f"code\t{ACCOUNT}/{REGION}/pay:$LATEST,{ACCOUNT}/{REGION}/pay:1!app.py\tline 2"
        "\tevil.example.com\t    return 'evil.example.com'"
    ]
    config = [line for line in result.output.splitlines() if line.startswith("config\t")]
    assert len(config) == 1 and "\tevil.example.com\t" in config[0] and "hunter2" not in config[0]
    missing = CliRunner().invoke(
        cli, ["search", "--case", str(case.root), "--ioc", "./no/such/iocs.txt"]
    )
    assert missing.exit_code == 1 and "no indicator file" in missing.output
    # a bare file name, run from another folder: searched as text (a file name may be an
    # indicator: XMRig's `config.json`), and said so, not "0 hit(s)" alone
    bare = CliRunner().invoke(
        cli, ["search", "--case", str(case.root), "--ioc", "denonia-iocs.txt"]
    )
    assert bare.exit_code == 0, bare.output
    said = " ".join(bare.output.split())
    assert "no file 'denonia-iocs.txt' in" in said
    assert "searched for the text 'denonia-iocs.txt'" in said


def test_hash_indicator_matches_a_nested_zip_and_a_file_inside_it(case: Case) -> None:
    outer = zipfile.ZipFile(io.BytesIO(nested_zip()))
    inner_zip = outer.read("python/lib.zip")
    beacon = zipfile.ZipFile(io.BytesIO(inner_zip)).read("vendor/beacon.py")
    hashes = {hashlib.sha256(inner_zip).hexdigest(), hashlib.sha256(beacon).hexdigest()}
    query = build_query(sorted(hashes), literal=True, ignore_case=True, hashes=frozenset(hashes))
    hits = list(search_case(case, query, ["code"]))
    assert {(h.member, h.locator, h.matched[0]) for h in hits} == {
        ("python/lib.zip", "sha256 of the file", hashlib.sha256(inner_zip).hexdigest()),
        (
            "python/lib.zip!vendor/beacon.py",
            "sha256 of the file",
            hashlib.sha256(beacon).hexdigest(),
        ),
    }


def test_a_long_indicator_list_is_searched_in_parts(case: Case, tmp_path: Path) -> None:
    # 25,000 indicators (RE2 refused one alternation of 355,000): searched IOC_CHUNK at a
    # time. The domain and a package hash are in the third part; `example.com`, which
    # matches the same line as the domain, is in the first: one hit names both.
    from tests.evidence.test_index import code_zip

    package_sha = hashlib.sha256(code_zip()).hexdigest()
    filler = [f"198.18.{n // 256}.{n % 256}" for n in range(IOC_CHUNK * 2 + 4_997)]
    values = ["example.com", *filler, *filler[:3], "evil[.]example[.]com", package_sha.upper()]
    iocs = tmp_path / "iocs.txt"
    iocs.write_text("\n".join([*values, "EVIL.example.com", package_sha]) + "\n")
    indicators = read_indicators([str(iocs)])
    # duplicates dropped ignoring case, as indicators are matched; first spellings kept
    assert len(indicators.values) == IOC_CHUNK * 2 + 5_000
    assert indicators.values[-2:] == ("evil.example.com", package_sha.upper())
    queries = indicator_queries(indicators.values, indicators.hashes)
    assert [len(q.parts) for q in queries] == [IOC_CHUNK, IOC_CHUNK, 5_000]
    assert [q.hashes for q in queries] == [frozenset(), frozenset(), frozenset({package_sha})]
    result = CliRunner().invoke(
        cli, ["--json", "search", "--case", str(case.root), "--in", "code", "--ioc", str(iocs)]
    )
    assert result.exit_code == 0, result.output
    hits = [(h["locator"], h["matched"]) for h in json.loads(result.stdout)["hits"]]
    assert hits == [
        ("line 2", ["example.com", "evil.example.com"]),
        ("sha256 of the package", [package_sha]),
    ]
    # an indicator file with nothing in it is an error, not a clean result
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n")
    nothing = CliRunner().invoke(cli, ["search", "--case", str(case.root), "--ioc", str(empty)])
    assert nothing.exit_code == 1 and "nothing to search for" in nothing.output


def test_noisy_logs_never_hide_the_trail_and_lines_of_one_millisecond_stay_apart(
    case: Case,
) -> None:
    # Five log lines name the address (two in the same millisecond of one stream, with other
    # text); the configuration names it too. With --limit 3 the logs stop at 3 and say so;
    # the configuration is still searched and found.
    lines = [(1714557700000 + n // 2, f"connect 203.0.113.66:3333 attempt {n}") for n in range(5)]
    case.put_bytes(
        gzip.compress(
            b"".join(
                json.dumps({"timestamp": t, "message": m, "logStreamName": "s"}).encode() + b"\n"
                for t, m in lines
            )
        ),
        f"logs/{ACCOUNT}/{REGION}/%2Faws%2Flambda%2Fnoisy/s.jsonl.gz",
        kind="logs",
        api="logs:FilterLogEvents",
        params={"logGroupName": "/aws/lambda/noisy"},
        account=ACCOUNT,
        region=REGION,
    )
    case.put_json(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/noisy/get-function/1.json",
        {
            "Configuration": {
                "FunctionName": "noisy",
                "Environment": {"Variables": {"C2": "203.0.113.66"}},
            }
        },
        kind="function",
        api="lambda:GetFunction",
        params={"FunctionName": "noisy", "Qualifier": "1"},
        account=ACCOUNT,
        region=REGION,
    )
    command = ["--json", "search", "--case", str(case.root), "--ioc", "203.0.113.66"]
    result = CliRunner().invoke(cli, [*command, "--limit", "3"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [h["target"] for h in document["hits"]] == ["logs"] * 3 + ["config"]
    assert document["limit_reached"] == ["logs"]
    assert "(limit of 3 reached in logs: raise --limit)" in result.stderr
    every = json.loads(CliRunner().invoke(cli, command).stdout)
    texts = [h["text"] for h in every["hits"] if h["target"] == "logs"]
    assert len(texts) == 5 and len(set(texts)) == 5 and every["limit_reached"] == []


def test_search_usage_errors_exit_2_before_the_case_is_read(tmp_path: Path) -> None:
    # a mistyped --in and a search for nothing are usage errors, as the README says
    for args in (["--in", "cod", "x"], []):
        done = CliRunner().invoke(cli, ["search", "--case", str(tmp_path / "none"), *args])
        assert done.exit_code == 2, done.output
    typo = CliRunner().invoke(cli, ["search", "--case", str(tmp_path / "none"), "--in", "cod", "x"])
    assert "unknown target(s) cod; choose from" in typo.output


def test_a_file_name_can_be_an_indicator_and_a_missing_path_is_refused(tmp_path: Path) -> None:
    notes: list[str] = []
    assert read_indicators(["config.json", "evil[.]example"], notes).values == (
        "config.json",
        "evil.example",
    )
    assert len(notes) == 1 and "searched for the text 'config.json'" in notes[0]
    with pytest.raises(ValueError, match="no indicator file"):
        read_indicators([str(tmp_path / "iocs.txt")])
