"""`CollectSummary.asked_none_found`: a run whose every `--function` is missing fails."""

from __future__ import annotations

from lambda_ir.acquire.context import RecordedError
from lambda_ir.acquire.summary import CollectSummary
from lambda_ir.aws import CallMeter, ErrorClass
from lambda_ir.evidence.asked import DECIDES

ARN = "arn:aws:lambda:{}:111122223333:function:orders"


def _summary(asked: tuple[str, ...], missing: list[tuple[str, str]]) -> CollectSummary:
    errors = tuple(
        RecordedError(ErrorClass.NOT_FOUND, DECIDES, name, region, "not found")
        for name, region in missing
    )
    regions = ("us-east-1", "eu-west-1")
    return CollectSummary(
        "1", regions, 0, 1, 0, 0, errors, {}, CallMeter().reading(), 1.0, asked=asked
    )


def test_every_name_or_arn_asked_for_missing_is_none_found() -> None:
    both = [("orders", "us-east-1"), ("orders", "eu-west-1")]
    assert _summary(("orders",), both).asked_none_found
    # two ARNs of one name, both missing: none found (counting names, this read as one of two)
    arns = (ARN.format("us-east-1"), ARN.format("eu-west-1"))
    assert _summary(arns, both).asked_none_found
    # the same two ARNs, one of them there: something to collect
    assert not _summary(arns, [("orders", "us-east-1")]).asked_none_found
    # a name missing in one region only exists in the other
    assert not _summary(("orders",), [("orders", "us-east-1")]).asked_none_found
    assert not _summary((), []).asked_none_found
