"""The case folder: write-once evidence, manifest, chain of custody, verification, index.

Knows nothing about AWS or detectors; everything offline reads the case through here.
"""

from lambda_ir.evidence.case import Case, CaseError
from lambda_ir.evidence.manifest import ManifestEntry
from lambda_ir.evidence.store import IntegrityError, OversizeError
from lambda_ir.evidence.verify import Problem, VerifyReport, verify_case

__all__ = [
    "Case",
    "CaseError",
    "IntegrityError",
    "ManifestEntry",
    "OversizeError",
    "Problem",
    "VerifyReport",
    "verify_case",
]
