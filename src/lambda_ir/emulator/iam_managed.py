"""AWS managed policies for moto's IAM backends, parsed once per process instead of per backend.

With `MOTO_IAM_LOAD_MANAGED_POLICIES` (AWS's accounts do have them), moto builds an IAM backend
for every account *and* every partition a request's access key is looked up in (six per
account), and each one re-parses the ~1,600 bundled policies and re-serialises every document
(`IAMBackend._init_aws_policies`). On the `busy` scenario (six accounts) that was 36 backends
and about half of the seeding time. Here the parsed data and the serialised documents are
kept (they are immutable inputs) and each backend still gets its own, fresh `AWSManagedPolicy`
objects, built exactly as moto builds them: what an account sees does not change.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

from moto.iam import models
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.settings import load_iam_aws_managed_policies


@cache
def _parsed() -> tuple[tuple[str, dict[str, Any], str], ...]:
    """(name, data, serialised document) of every bundled AWS managed policy."""
    data: dict[str, dict[str, Any]] = json.loads(aws_managed_policies_data)
    return tuple((name, d, json.dumps(d.get("Document"))) for name, d in data.items())


def _init_aws_policies(backend: models.IAMBackend) -> list[models.ManagedPolicy]:
    """`IAMBackend._init_aws_policies` from the parsed data: fresh objects per backend."""
    if not load_iam_aws_managed_policies():
        return []
    return [
        models.AWSManagedPolicy(  # type: ignore[abstract]  # moto's from_data builds it so
            name,
            account_id=backend.account_id,
            region=backend.region_name,
            default_version_id=data.get("DefaultVersionId"),
            path=data.get("Path"),
            document=document,
            create_date=datetime.fromisoformat(data["CreateDate"]),
            update_date=datetime.fromisoformat(data["UpdateDate"]),
        )
        for name, data, document in _parsed()
    ]


def install() -> None:
    """Use the parsed-once policies for every IAM backend built from now on (idempotent)."""
    models.IAMBackend._init_aws_policies = _init_aws_policies  # type: ignore[method-assign,assignment]
