"""Environment variables that make a Lambda runtime load attacker code, and what they point at.

`AWS_LAMBDA_EXEC_WRAPPER` runs a script before the runtime; `NODE_OPTIONS --require`,
`PYTHONPATH`, `LD_PRELOAD`, `JAVA_TOOL_OPTIONS -javaagent:` and a `PATH` into `/opt` or `/tmp`
load code from a layer (`/opt`) or from writable scratch (`/tmp`) on every cold start.
"""

from __future__ import annotations

import re

HOOK_VARIABLES = frozenset(
    {
        "AWS_LAMBDA_EXEC_WRAPPER",
        "NODE_OPTIONS",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PYTHONHOME",
        "PERL5OPT",
        "RUBYOPT",
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
        "JDK_JAVA_OPTIONS",
        "DOTNET_STARTUP_HOOKS",
        "NODE_PATH",
        "PATH",
    }
)
# Always suspicious, whatever the value: their only purpose is to inject code.
ALWAYS = frozenset(
    {"AWS_LAMBDA_EXEC_WRAPPER", "LD_PRELOAD", "DOTNET_STARTUP_HOOKS", "PYTHONSTARTUP", "PERL5OPT"}
)
_PATH = re.compile(r"(/(?:opt|tmp)(?:/[^\s:;,'\"=]*)?)")


def hook_paths(value: str) -> list[str]:
    """Paths under /opt or /tmp that a hook variable's value refers to."""
    return [match.rstrip("/") or match for match in _PATH.findall(value)]


def is_hook(name: str, value: str) -> bool:
    """True when a variable would load code at start-up from somewhere an attacker can put it.

    `PATH`, `PYTHONPATH`, `NODE_OPTIONS` and similar are normal in some functions; they count
    only when they point into `/opt` (a layer) or `/tmp`, or (for NODE_OPTIONS/JAVA options)
    load a module or agent.
    """
    upper = name.upper()
    if upper not in HOOK_VARIABLES:
        return False
    if upper in ALWAYS:
        return True
    if upper in ("NODE_OPTIONS",) and re.search(
        r"--(?:require|import|loader|experimental-loader)|-r\b", value
    ):
        return True
    if "JAVA" in upper and "-javaagent" in value:
        return True
    if upper == "PATH":
        # Lambda's default PATH ends with /opt/bin; only a leading /opt or /tmp entry hijacks.
        first = value.split(":", 1)[0]
        return bool(hook_paths(first))
    return bool(hook_paths(value))
