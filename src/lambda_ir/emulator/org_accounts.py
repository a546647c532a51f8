"""organizations:CreateAccount as AWS completes it: the new account's access role can act.

AWS creates `OrganizationAccountAccessRole` (or the `RoleName` the call asks for) in every
account made through Organizations: it trusts the management account and has the
`AdministratorAccess` managed policy, so the management account can enter the new account.
moto creates the role with that trust but attaches no policy, so with IAM enforced it could
do nothing; the emulator attaches `AdministratorAccess` right after moto answers. Accounts
that joined by invitation have no such role, as in AWS.
"""

from __future__ import annotations

import orjson
from moto.iam.models import iam_backends

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response
from lambda_ir.emulator.identity import PARTITION

DEFAULT_ROLE = "OrganizationAccountAccessRole"
ADMINISTRATOR = f"arn:{PARTITION}:iam::aws:policy/AdministratorAccess"


def add_access_role(call: ApiCall, response: Response) -> None:
    """After a successful CreateAccount, give the new account's access role its policy."""
    if response.status != 200:
        return
    try:
        status = orjson.loads(response.body).get("CreateAccountStatus") or {}
    except orjson.JSONDecodeError:
        return
    account = str(status.get("AccountId") or "")
    if not account.isdigit():
        return
    name = str(call.params.get("RoleName") or DEFAULT_ROLE)
    iam = iam_backends[account][PARTITION]
    role = next((r for r in iam.roles.values() if r.name == name), None)
    if role is not None and ADMINISTRATOR not in role.managed_policies:
        iam.attach_role_policy(ADMINISTRATOR, name)
