"""Containment: the only part of lambda-ir that writes to AWS, and only with `--apply`.

    contain(case, clients, session, Request(function, region, chosen, now, apply=...))
    load_undo(case, path) / run_undo(case, clients, undo_plan, apply=..., run=...)

Each action (`actions.ALL`, one small module each) declares the IAM permissions it needs and
plans from live reads, so running it twice changes nothing the second time. Plans, the
reads they came from, the undo plan and the results are stored in the case under
`respond/<run>/`; every call is a custody entry. Nothing here deletes a function, version,
layer, log group or role.
"""

from lambda_ir.respond.actions import ALL, BY_NAME, ChoiceError, choose, permissions
from lambda_ir.respond.contain import ContainResult, Request, contain
from lambda_ir.respond.execute import Outcome, Status
from lambda_ir.respond.incident import IncidentError, Proposal, propose
from lambda_ir.respond.preserve import EvidenceError
from lambda_ir.respond.target import PlanError
from lambda_ir.respond.undo import (
    DriftError,
    UndoError,
    UndoPlan,
    UndoResult,
    load_undo,
    run_undo,
)

__all__ = [
    "ALL",
    "BY_NAME",
    "ChoiceError",
    "ContainResult",
    "DriftError",
    "EvidenceError",
    "IncidentError",
    "Outcome",
    "PlanError",
    "Proposal",
    "Request",
    "Status",
    "UndoError",
    "UndoPlan",
    "UndoResult",
    "choose",
    "contain",
    "load_undo",
    "permissions",
    "propose",
    "run_undo",
]
