"""What the JVM's options variables make it load before `main`: agents, and a debugger.

`JAVA_TOOL_OPTIONS` (read by the JVM itself), `_JAVA_OPTIONS` (HotSpot) and `JDK_JAVA_OPTIONS`
(the `java` launcher) carry JVM options. Four of them load code at start-up: `-javaagent:<jar>`
(a Java agent), `-agentpath:<path>` and `-agentlib:<name>` (a native agent, by path, or by
name from the JDK's library folder) and the legacy `-Xrun<name>` (still honoured by JDK 17 and
25). The JDK's own `jdwp` agent is a debugger: unless told `server=y` it connects out to its
`address` as the JVM starts, and whoever listens there can run any code in the function.
Only the text is read; nothing is run.
"""

from __future__ import annotations

JAVA_AGENTS = ("-javaagent:", "-agentpath:", "-agentlib:", "-Xrun")
# How a JDWP agent's options follow its name: `-agentlib:jdwp=<options>`, `-Xrunjdwp:<options>`.
_JDWP = (("-agentlib:jdwp", "="), ("-Xrunjdwp", ":"))


def loads_agent(value: str) -> bool:
    """True when an options value holds an agent option, anywhere in its text."""
    return any(agent in value for agent in JAVA_AGENTS)


def agent_target(arg: str) -> str | None:
    """The jar, library path or library name one agent option loads (`-agentlib:jdwp=…` is
    `jdwp`, `-Xrunjdwp:…` too); None for any other option."""
    agent = next((a for a in JAVA_AGENTS if arg.startswith(a)), None)
    if agent is None:
        return None
    return arg.removeprefix(agent).split(":" if agent == "-Xrun" else "=", 1)[0]


def debugger_address(arg: str) -> str | None:
    """Where a JDWP agent option connects out to as the JVM starts ("" when it names no
    address); None for any other option, and for a JDWP agent that listens (`server=y`):
    nothing on the internet can connect into a Lambda sandbox."""
    options = _jdwp_options(arg)
    if options is None or options.get("server", "n").lower() == "y":
        return None
    return options.get("address", "")


def _jdwp_options(arg: str) -> dict[str, str] | None:
    """A JDWP agent option's `name=value` options, None for another option."""
    for prefix, separator in _JDWP:
        if arg == prefix or arg.startswith(prefix + separator):
            text = arg.removeprefix(prefix).removeprefix(separator)
            pairs = (part.partition("=") for part in text.split(",") if part)
            return {name: value for name, _, value in pairs}
    return None
