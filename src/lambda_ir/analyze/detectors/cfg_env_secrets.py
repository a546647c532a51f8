"""LIR-CFG-008: secrets stored in environment variables (reported by location, never by value)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from lambda_ir.analyze.attribution import config_event
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.versions import group_finding, group_versions
from lambda_ir.model import Finding, Kind, Severity
from lambda_ir.redact import is_secret_name, looks_secret

INFO = DetectorInfo(
    id="LIR-CFG-008",
    title="Secret in environment variables",
    severity=Severity.LOW,
    attack=("T1552.001",),
    evidence=(Kind.FUNCTION_VERSIONS, Kind.FUNCTION),
    references=(
        "https://github.com/prowler-cloud/prowler/tree/master/prowler/providers/aws/services/awslambda/awslambda_function_no_secrets_in_variables",
    ),
    false_positives=(
        "Non-secret values with secret-sounding names; list the names in --allow. References "
        "to a secret store (Secrets Manager/SSM/KMS ARNs, parameter names, variables a known "
        "vendor documents as naming a secret) and values public by design (Sentry's DSN "
        "without a password) are not secrets (vendors.json)."
    ),
)


# Where a secret lives, not the secret: Secrets Manager/SSM/KMS ARNs, parameter names.
_REFERENCE = re.compile(r"^arn:aws[a-z-]*:(secretsmanager|ssm|kms):|^/[\w.-]+(/[\w.-]+)+$")
_REFERENCE_NAME = re.compile(r"_(ARN|PARAM|PARAMETER|PARAMETER_NAME|SECRET_ID|SECRET_NAME)$", re.I)


def is_reference(name: str, value: str) -> bool:
    """True when the variable points at a secret store (an ARN, an SSM parameter name)
    rather than holding the secret."""
    return bool(_REFERENCE.match(value.strip())) or (
        bool(_REFERENCE_NAME.search(name)) and not looks_secret(value)
    )


def detect(case: CaseView) -> Iterator[Finding]:
    """Variables whose name or value marks a secret; anyone with GetFunction can read them."""
    items = []
    for config in case.functions:
        for name, value in config.environment.items():
            if name in case.options.allowed_names or not value or is_reference(name, value):
                continue
            if case.vendors.not_a_secret(name, value) is not None:
                continue  # NEW_RELIC_LICENSE_KEY_SECRET names a secret; SENTRY_DSN is public
            if is_secret_name(name) or looks_secret(value):
                # The key holds a hash of the value so a rotated secret is a new finding.
                digest = hashlib.sha256(value.encode()).hexdigest()[:12]
                items.append((config, f"{name}|{digest}"))
    for group in group_versions(items):
        config = group.first
        name = group.key.split("|", 1)[0]
        yield group_finding(
            INFO,
            group,
            cause=config_event(case, config, "environment", name),
            summary=(
                f"Environment variable {name} of {config.ref.name} (versions "
                f"{', '.join(group.versions)}) holds a secret (value redacted); anyone who could "
                "read the configuration has it: rotate it and move it to Secrets Manager."
            ),
            details={"variable": name, "versions": group.versions},
        )


DETECTOR = Detector(INFO, detect)
