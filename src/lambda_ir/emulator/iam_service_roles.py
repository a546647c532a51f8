"""Service-linked roles as IAM makes them: named by the service, and their path its alone.

IAM keeps the path prefix `/aws-service-role/` for the roles a service makes
(`CreateServiceLinkedRole`): `CreateRole` with it is refused, `InvalidInput: Path prefix
'/aws-service-role/' can only be used for AWS Service linked Roles` (HTTP 400), so a
session of such a role is the service's (`analyze.baseline_tools.is_service`). moto accepts
the path and names some services' roles otherwise than AWS (`AWSServiceRoleForinspector2`);
`install` gives it AWS's names for the services listed here, as each service documents.
"""

from __future__ import annotations

import uuid

from moto.iam import models

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response

RESERVED = "/aws-service-role/"
MESSAGE = f"Path prefix '{RESERVED}' can only be used for AWS Service linked Roles"
# The part after `AWSServiceRoleFor` of each service's role, as the service documents it
# (Inspector: AWSServiceRoleForAmazonInspector2; GuardDuty: AWSServiceRoleForAmazonGuardDuty;
# Systems Manager: AWSServiceRoleForAmazonSSM).
NAMES = {"inspector2": "AmazonInspector2", "guardduty": "AmazonGuardDuty", "ssm": "AmazonSSM"}


def install() -> None:
    """AWS's role names for NAMES' services in moto's CreateServiceLinkedRole (idempotent)."""
    models.SERVICE_NAME_CONVERSION.update(NAMES)


def check(call: ApiCall) -> Response | None:
    """IAM's refusal of a CreateRole in the reserved path, else None."""
    if call.service != "iam" or call.name != "CreateRole":
        return None
    if not str(call.params.get("Path") or "").startswith(RESERVED):
        return None
    body = (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
        f"<Type>Sender</Type><Code>InvalidInput</Code><Message>{MESSAGE}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return Response(400, (("Content-Type", "text/xml"),), body.encode())
