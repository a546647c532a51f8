"""The function's environment as a snapshot keeps it: every key, values only where safe.

Lambda's own reserved, non-secret variables keep their values (they say which function,
version, runtime and handler ran), and so do the variables that change how a runtime starts
(`AWS_LAMBDA_EXEC_WRAPPER`, `NODE_OPTIONS`, `PYTHONPATH`, `LD_PRELOAD`, …): they are where
persistence hides. Every other value, and always the role's credentials, is replaced by its
length, so a snapshot never carries a secret to S3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KEEP = frozenset(
    {
        # Lambda's reserved variables that are not secret
        "_HANDLER",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_FORMAT",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_REGION",
        "LAMBDA_RUNTIME_DIR",
        "LAMBDA_TASK_ROOT",
        "LANG",
        "TZ",
        # how the runtime starts: where hooks and persistence hide
        "AWS_LAMBDA_EXEC_WRAPPER",
        "CORECLR_ENABLE_PROFILING",
        "CORECLR_PROFILER_PATH",
        "CORECLR_PROFILER_PATH_64",
        "CORECLR_PROFILER_PATH_ARM64",
        "DOTNET_STARTUP_HOOKS",
        "HOME",
        "JAVA_TOOL_OPTIONS",
        "JDK_JAVA_OPTIONS",
        "LD_AUDIT",
        "LD_LIBRARY_PATH",
        "LD_PRELOAD",
        "NODE_OPTIONS",
        "NODE_PATH",
        "OPENSSL_CONF",
        "PATH",
        "PERL5OPT",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PYTHONUSERBASE",
        "RUBYOPT",
        "_JAVA_OPTIONS",
        # the collector's own settings (no secrets)
        "LAMBDA_IR_BUCKET",
        "LAMBDA_IR_EVERY",
    }
)
NEVER = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"})
# Variables that make a runtime or the dynamic loader run extra code; none is set by Lambda
# itself, so in a process's own environment each says who started it and how.
# (Not CoreCLR's profiler paths: Datadog's documented wrapper exports them into the runtime's
# process, so there they say nothing of who started it; the configuration's are judged.)
HOOKS = (
    "AWS_LAMBDA_EXEC_WRAPPER",
    "DOTNET_STARTUP_HOOKS",
    "JAVA_TOOL_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "LD_AUDIT",
    "LD_PRELOAD",
    "NODE_OPTIONS",
    "OPENSSL_CONF",
    "PERL5OPT",
    "PYTHONSTARTUP",
    "PYTHONUSERBASE",
    "RUBYOPT",
    "_JAVA_OPTIONS",
)
MAX_HOOK = 1000  # characters kept of one hook's value


def redacted_environment(env: Mapping[str, str]) -> dict[str, str]:
    """Keys with values for `KEEP`, and `<redacted: N chars>` for every other value."""
    return {
        key: value if key in KEEP and key not in NEVER else f"<redacted: {len(value)} chars>"
        for key, value in sorted(env.items())
    }


def function_context(env: Mapping[str, str], invocation: Mapping[str, Any]) -> dict[str, Any]:
    """Which function this is (environment) and, during an invocation, which request.

    `invocation` is the Extensions API's INVOKE event (`requestId`, `invokedFunctionArn`,
    `deadlineMs`), or empty at cold start.
    """
    arn = str(invocation.get("invokedFunctionArn") or "")
    parts = arn.split(":")
    return {
        "function_name": env.get("AWS_LAMBDA_FUNCTION_NAME", ""),
        "function_version": env.get("AWS_LAMBDA_FUNCTION_VERSION", ""),
        "region": env.get("AWS_REGION", ""),
        "account": parts[4] if len(parts) > 6 else "",
        "function_arn": arn,
        "request_id": str(invocation.get("requestId") or ""),
        "runtime": env.get("AWS_EXECUTION_ENV", ""),
        "handler": env.get("_HANDLER", ""),
        "log_stream": env.get("AWS_LAMBDA_LOG_STREAM_NAME", ""),
    }


def hook_variables(env: Mapping[str, str]) -> dict[str, str]:
    """The start-up hooks set in `env` (a process's own environment), values kept."""
    return {key: env[key][:MAX_HOOK] for key in HOOKS if env.get(key)}
