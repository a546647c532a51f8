"""LIR-GAP-002 over trail-config evidence shaped as acquire stores it."""

from __future__ import annotations

from typing import Any

from lambda_ir.analyze.detectors import ALL, gap_trail_coverage
from lambda_ir.evidence import ManifestEntry
from lambda_ir.model import Severity
from tests.analyze.casebuild import ACCOUNT, REGION, CaseBuilder, run_detector

ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/org"
ROOT = f"raw/{ACCOUNT}/{REGION}/cloudtrail"
LAMBDA_DATA = [
    {
        "ReadWriteType": "All",
        "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}],
    }
]
MANAGEMENT_ONLY = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}]


def _trail(
    builder: CaseBuilder, logging: bool, selectors: dict[str, Any]
) -> tuple[ManifestEntry, ManifestEntry]:
    trail = {"Name": "org", "TrailARN": ARN, "HomeRegion": REGION, "IsMultiRegionTrail": True}
    builder.put(
        f"{ROOT}/describe-trails.json",
        {"trailList": [trail]},
        "trail-config",
        "cloudtrail:DescribeTrails",
        includeShadowTrails=True,
    )
    status = builder.put(
        f"{ROOT}/trails/org/status.json",
        {"IsLogging": logging, "StopLoggingTime": None if logging else "2026-11-20T03:14:00Z"},
        "trail-config",
        "cloudtrail:GetTrailStatus",
        Name=ARN,
    )
    chosen = builder.put(
        f"{ROOT}/trails/org/event-selectors.json",
        {"TrailARN": ARN, **selectors},
        "trail-config",
        "cloudtrail:GetEventSelectors",
        TrailName=ARN,
    )
    return status, chosen


def test_management_only_trail_fires_with_the_selectors_as_evidence(builder: CaseBuilder) -> None:
    _, chosen = _trail(builder, True, {"EventSelectors": MANAGEMENT_ONLY})
    found = run_detector(builder, gap_trail_coverage.DETECTOR)
    assert [(f.title, f.severity) for f in found] == [
        ("Lambda data events not logged", Severity.LOW)
    ]
    assert [(e.path, e.sha256) for e in found[0].evidence] == [(chosen.path, chosen.sha256)]


def test_stopped_trail_fires_with_the_status_as_evidence(builder: CaseBuilder) -> None:
    status, _ = _trail(builder, False, {"EventSelectors": LAMBDA_DATA})
    found = run_detector(builder, gap_trail_coverage.DETECTOR)
    assert [(f.title, f.resource, f.severity) for f in found] == [
        (
            "CloudTrail trail not logging",
            ARN,
            Severity.LOW,
        )  # an evidence gap; StopLogging is CT-009
    ]
    assert found[0].evidence[0].path == status.path
    assert "2026-11-20T03:14:00Z" in found[0].summary


def test_region_without_trail_fires(builder: CaseBuilder) -> None:
    listing = builder.put(
        f"{ROOT}/describe-trails.json",
        {"trailList": []},
        "trail-config",
        "cloudtrail:DescribeTrails",
        includeShadowTrails=True,
    )
    found = run_detector(builder, gap_trail_coverage.DETECTOR)
    assert [(f.title, f.severity) for f in found] == [("No CloudTrail trail", Severity.LOW)]
    assert found[0].evidence[0].path == listing.path


def test_quiet_for_a_logging_trail_with_lambda_data_events(builder: CaseBuilder) -> None:
    _trail(builder, True, {"EventSelectors": LAMBDA_DATA})
    assert run_detector(builder, gap_trail_coverage.DETECTOR) == []


def test_quiet_for_advanced_selectors_on_lambda_data(builder: CaseBuilder) -> None:
    advanced = {
        "AdvancedEventSelectors": [
            {
                "Name": "lambda",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]},
                ],
            }
        ]
    }
    _trail(builder, True, advanced)
    assert run_detector(builder, gap_trail_coverage.DETECTOR) == []


def test_quiet_without_trail_config_and_listed_in_all(builder: CaseBuilder) -> None:
    assert run_detector(builder, gap_trail_coverage.DETECTOR) == []
    assert gap_trail_coverage.DETECTOR in ALL
