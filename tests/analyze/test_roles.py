"""Execution roles joined with their policies: per account, as a case may span several."""

from __future__ import annotations

from lambda_ir.analyze.caseview import AnalyzeOptions, CaseView
from lambda_ir.analyze.detectors import ct_privileged_role
from lambda_ir.evidence import Case
from lambda_ir.model import Severity
from tests.analyze.casebuild import ACCOUNT, CaseBuilder, run_detector, trail_event

OTHER = "444455556666"
ADMIN = {"Effect": "Allow", "Action": "*", "Resource": "*"}
READ = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


def test_a_role_named_like_another_accounts_keeps_its_own_policies(builder: CaseBuilder) -> None:
    # `app` is an admin in one account and reads one bucket in the other: neither lends the
    # other its grants, and passing the admin one to a new function is still reported.
    for account, statement in ((ACCOUNT, ADMIN), (OTHER, READ)):
        base = f"raw/{account}/global/iam/roles/app"
        builder.case.put_json(
            f"{base}/role.json",
            {"Role": {"RoleName": "app", "Arn": f"arn:aws:iam::{account}:role/app"}},
            kind="role",
            api="iam:GetRole",
            params={"RoleName": "app"},
            account=account,
        )
        builder.case.put_json(
            f"{base}/inline-p.json",
            {"RoleName": "app", "PolicyName": "p", "PolicyDocument": {"Statement": [statement]}},
            kind="role-policy",
            api="iam:GetRolePolicy",
            params={"RoleName": "app", "PolicyName": "p"},
            account=account,
        )
    builder.trail(
        [
            trail_event(
                "CreateFunction20150331",
                {"functionName": "evil", "role": f"arn:aws:iam::{ACCOUNT}:role/app"},
                event_id="c1",
            )
        ]
    )
    view = CaseView(Case.open(builder.root), AnalyzeOptions())
    grants = {role.arn: [d["Statement"] for d in role.documents] for role in view.roles}
    assert grants == {
        f"arn:aws:iam::{ACCOUNT}:role/app": [[ADMIN]],
        f"arn:aws:iam::{OTHER}:role/app": [[READ]],
    }
    (found,) = run_detector(builder, ct_privileged_role.DETECTOR)
    assert found.severity.rank >= Severity.MEDIUM.rank and "admin-equivalent" in found.summary
