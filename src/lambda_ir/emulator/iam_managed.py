"""moto's IAM backends, built as moto builds them but without its two repeated costs.

With `MOTO_IAM_LOAD_MANAGED_POLICIES` (AWS's accounts do have them), every IAM backend holds
the ~1,600 AWS managed policies. moto re-parses the bundled JSON and re-serialises every
document for each backend (`IAMBackend._init_aws_policies`), and to find a request's account
from its access key (`get_account_id_from`) it opens the IAM backend of every partition of
every account (six per account), building each one. On the `busy` scenario (six accounts)
that was 36 backends and about half of the seeding time.

- The parsed data and serialised documents are kept (immutable inputs); each backend still
  gets its own, fresh `AWSManagedPolicy` objects: what an account sees does not change.
- The access-key lookup reads only the partition backends that exist: a key lives in the
  backend that created it, so the answer is the same, and no backend is built to say "no".
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
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


def get_account_id_from(access_key: str) -> str:
    """moto's `iam.models.get_account_id_from`, looking only in partition backends that exist
    (`AccountSpecificBackend.__getitem__` would build a missing one, which holds no key)."""
    for account_id, account in list(models.iam_backends.items()):
        for backend in list(account.values()):
            if access_key in backend.access_keys:
                return account_id
    return DEFAULT_ACCOUNT_ID


def install() -> None:
    """Use both for every IAM backend and request from now on (idempotent)."""
    models.IAMBackend._init_aws_policies = _init_aws_policies  # type: ignore[method-assign,assignment]
    models.get_account_id_from = get_account_id_from
