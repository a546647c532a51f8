"""LIR-RT-005: files under a running function's /opt that are not what its layers hold.

Lambda extracts a function's layers into /opt, read-only. The collector hashes /opt at cold
start; each file is compared with the members of the function's collected layer packages
(`code_files`, by where each member unpacks: `./bin/x` is /opt/bin/x): a member with another
hash, or a file no collected layer holds, means the sandbox did not run what the Lambda API
shows. When no layer package was collected for
the function, a file whose hash differs between its snapshots is reported instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.own_footprints import attached_layers
from lambda_ir.analyze.runtime_rows import EVIDENCE_AGG, own_layer_files, runtime_finding
from lambda_ir.analyze.unknowns import the_function
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-RT-005",
    title="File in a running function's /opt differs from its layers",
    severity=Severity.HIGH,
    attack=("T1525", "T1554"),
    evidence=(Kind.RUNTIME, Kind.LAYER_CODE),
    references=("https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html",),
    false_positives="A layer version collected after the snapshot was taken (compare times).",
)
_OBSERVED = f"""
observed AS (
  SELECT account, region, function_name, path, sha256, min(captured_at) AS first,
         {EVIDENCE_AGG}
  FROM runtime_files
  WHERE root = '/opt' AND type = 'file' AND sha256 IS NOT NULL
    AND NOT list_contains($own, path || '|' || sha256)
  GROUP BY ALL),
expected AS (
  SELECT v.account, v.region, v.function_name, '/opt/' || c.path AS path,
         list(DISTINCT c.member_sha256) AS hashes
  FROM (SELECT DISTINCT account, region, function_name,
               unnest(json_extract_string(layers, '$[*].Arn')) AS arn FROM versions) v
  JOIN layers l ON l.layer_version_arn = v.arn
  JOIN code_files c ON c.blob_sha256 = l.code_sha256_hex
  GROUP BY ALL),
layered AS (SELECT DISTINCT account, region, function_name FROM expected)
"""  # noqa: S608 - constant SQL
_AGAINST_LAYERS = f"""
WITH {_OBSERVED}
SELECT o.account, o.region, o.function_name, o.path, o.sha256, e.hashes, o.first, o.evidence
FROM observed o
JOIN layered USING (account, region, function_name)
LEFT JOIN expected e USING (account, region, function_name, path)
WHERE e.hashes IS NULL OR NOT list_contains(e.hashes, o.sha256)
ORDER BY o.function_name, o.path
"""  # noqa: S608 - constant SQL
_BETWEEN_SNAPSHOTS = f"""
WITH {_OBSERVED}
SELECT o.account, o.region, o.function_name, o.path, list(DISTINCT o.sha256), min(o.first),
       flatten(list(o.evidence))
FROM observed o ANTI JOIN layered USING (account, region, function_name)
GROUP BY ALL HAVING count(DISTINCT o.sha256) > 1
ORDER BY o.function_name, o.path
"""  # noqa: S608 - constant SQL


def detect(case: CaseView) -> Iterator[Finding]:
    """/opt files not matching the function's layer members, or changing between snapshots.
    The collector's own layer files are left out only at their paths with the bytes this
    lambda-ir builds, or a layer `runtime attach` put on a function here recorded (another
    lambda-ir's build): a look-alike under /opt/lambda-ir/ is judged like any other file."""
    recorded = [f for layer in attached_layers(case).values() for f in layer.files]
    own = {"own": sorted({*own_layer_files(), *recorded})}
    for account, region, name, path, sha256, hashes, first, evidence in case.index.execute(
        _AGAINST_LAYERS, own
    ).fetchall():
        what = (
            f"has sha256 {sha256}, the layer holds {', '.join(hashes)}"
            if hashes
            else (f"(sha256 {sha256}) is in none of the function's collected layers")
        )
        yield runtime_finding(
            INFO,
            (account, region, name),
            key=f"{name}|{path}|{sha256}",
            first=first,
            evidence=evidence,
            severity=Severity.HIGH if hashes else Severity.MEDIUM,
            summary=f"{path} in {the_function(name, running=True)} {what}.",
            details={"path": path, "sha256": sha256, "layer_sha256": hashes or []},
        )
    for account, region, name, path, hashes, first, evidence in case.index.execute(
        _BETWEEN_SNAPSHOTS, own
    ).fetchall():
        yield runtime_finding(
            INFO,
            (account, region, name),
            key=f"{name}|{path}|changed",
            first=first,
            evidence=evidence,
            severity=Severity.MEDIUM,
            summary=(
                f"{path} in {the_function(name)} changed between snapshots "
                f"({', '.join(sorted(hashes))}); no layer package was collected to compare."
            ),
            details={"path": path, "sha256": sorted(hashes)},
        )


DETECTOR = Detector(INFO, detect)
