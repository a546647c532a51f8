"""Which AWS SDK for JavaScript class a dotted name is: a v2 client's service, a v3 command.

The walker in `javascript` hands over names with the imports followed (`aws-sdk.IAM`,
`aws-sdk/clients/iam`, `@aws-sdk/client-iam.AttachRolePolicyCommand`). A class the code
computes (`new AWS[k]()`, `const { [k]: C } = require("@aws-sdk/client-iam")`) comes as
COMPUTED (`aws-sdk.[computed]`), never as the text that computes it (`["IA" + "M"]` once
made a service `["ia" + "m"]`): a v2 client of a computed class has the service
`[computed]`, so its calls read `[computed]:CreateUser`, and a computed class of a v3 client
package is taken for a command, `iam:[computed]` (it may be the client itself; which one,
the reader cannot say). `extract.is_privileged_call` counts either as privileged when it
could be one.
"""

from __future__ import annotations

from lambda_ir.capabilities.text import COMPUTED, sdk_v3_service

V2 = "aws-sdk."
V2_CLIENTS = "aws-sdk/clients/"
V3_CLIENTS = "@aws-sdk/client-"
# SDK v2 class names whose IAM prefix is not their lower-cased name.
V2_SERVICES = {
    "cloudwatchlogs": "logs",
    "cloudwatchevents": "events",
    "eventbridge": "events",
    "cognitoidentityserviceprovider": "cognito-idp",
    "documentclient": "dynamodb",
    "secretsmanager": "secretsmanager",
    "stepfunctions": "states",
}


def client_service(name: str) -> str | None:
    """The service of the client a class makes (`aws-sdk.IAM`, `aws-sdk/clients/iam`, v3's
    `@aws-sdk/client-iam.IAM`), else None."""
    if name.startswith(V2_CLIENTS):
        return _v2_service(name.removeprefix(V2_CLIENTS).split(".")[0])
    if name.startswith(V2):
        parts = name.split(".")
        return _v2_service(parts[-1] if parts[-1] == "DocumentClient" else parts[1])
    if name.startswith(V3_CLIENTS) and not name.endswith("Command"):
        return sdk_v3_service(name.removeprefix(V3_CLIENTS).split(".")[0])
    return None


def command_call(name: str) -> str | None:
    """The `service:Operation` a v3 command class stands for
    (`@aws-sdk/client-iam.AttachRolePolicyCommand` is `iam:AttachRolePolicy`), else None."""
    module, _, cls = name.rpartition(".")
    if not module.startswith(V3_CLIENTS) or not (cls.endswith("Command") or cls == COMPUTED):
        return None
    return f"{sdk_v3_service(module.removeprefix(V3_CLIENTS))}:{cls.removesuffix('Command')}"


def _v2_service(name: str) -> str:
    lower = name.lower()
    return V2_SERVICES.get(lower, lower)
