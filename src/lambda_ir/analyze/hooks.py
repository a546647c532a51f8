"""Environment variables that make a Lambda runtime load attacker code, and what they point at.

`AWS_LAMBDA_EXEC_WRAPPER` runs a script before the runtime; `NODE_OPTIONS --require`,
`PYTHONPATH`, `LD_PRELOAD`, `LD_AUDIT`, a CoreCLR profiler, `JAVA_TOOL_OPTIONS -javaagent:`,
an `OPENSSL_CONF` (its providers are native libraries, loaded by `import ssl` and by Node at
start-up) and a `PATH` into `/opt` or `/tmp` load code from a layer (`/opt`) or from writable
scratch (`/tmp`) on every cold start.
"""

from __future__ import annotations

import re

from lambda_ir.analyze.java_options import agent_target, debugger_address, loads_agent

# The .NET runtime's profiler library (dotnet/runtime, "Profiler Loading"): with
# CORECLR_ENABLE_PROFILING=1 it loads the path for its architecture (Lambda's x86_64 or arm64)
# or the generic one. APM agents use it (New Relic's .NET layer, vendors.json).
CLR_PROFILERS = (
    "CORECLR_PROFILER_PATH",
    "CORECLR_PROFILER_PATH_64",
    "CORECLR_PROFILER_PATH_ARM64",
)
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
        "LD_AUDIT",
        "OPENSSL_CONF",
        "PYTHONUSERBASE",
        *CLR_PROFILERS,
    }
)
# Always suspicious, whatever the value: their only purpose is to inject code. glibc's
# dynamic loader runs every LD_AUDIT library in each process it starts, before the program
# (ld.so(8)); the .NET runtime loads CoreCLR's profiler library at start-up.
ALWAYS = frozenset(
    {
        "AWS_LAMBDA_EXEC_WRAPPER",
        "LD_PRELOAD",
        "LD_AUDIT",
        "DOTNET_STARTUP_HOOKS",
        "PYTHONSTARTUP",
        "PERL5OPT",
        *CLR_PROFILERS,
    }
)
# Variables whose whole value is the one file the runtime loads.
SINGLE_TARGET = frozenset({"AWS_LAMBDA_EXEC_WRAPPER", *CLR_PROFILERS})
# A path ends at whitespace or a separator. A single quote is no separator: Node and the
# runtime read it literally, so `/opt/it's/x.js` is one file and cutting it at the quote
# named a file (`/opt/it`) nothing loads. A quote right before the path opens a quoted
# path, and its closing quote is dropped.
_PATH = re.compile(r"('?)(/(?:opt|tmp)(?:/[^\s:;,\"=]*)?)")


def hook_paths(value: str) -> list[str]:
    """Paths under /opt or /tmp that a hook variable's value refers to, each whole."""
    paths = []
    for opening, path in _PATH.findall(value):
        closed = path[:-1] if opening and path.endswith("'") else path
        paths.append(closed.rstrip("/") or closed)
    return paths


def variable_paths(name: str, value: str) -> list[str]:
    """The /opt and /tmp paths a hook variable names. NODE_OPTIONS is read as Node reads it
    (`split_options`): a double-quoted argument is one path, spaces and all
    (`--require "/opt/my dir/x.js"` is not `/opt/my`); any other value, or one Node would
    refuse, by `hook_paths`."""
    args = node_arguments(value) if name.upper() == "NODE_OPTIONS" else None
    if args is None:
        return hook_paths(value)
    return [path for arg in args for path in argument_paths(arg)]


def argument_paths(arg: str) -> list[str]:
    """The /opt and /tmp paths in one argument: the whole argument (or what follows its `=`)
    when that is such a path, else `hook_paths` of it."""
    target = arg.partition("=")[2] if arg.startswith("-") and "=" in arg else arg
    if target in ("/opt", "/tmp") or target.startswith(("/opt/", "/tmp/")):  # noqa: S108
        return [target.rstrip("/") or target]
    return hook_paths(arg)


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
    if upper == "NODE_OPTIONS" and node_loads(value):
        return True
    if "JAVA" in upper and loads_agent(value):
        return True
    if upper == "PATH":
        # Lambda's default PATH ends with /opt/bin; only a leading /opt or /tmp entry hijacks.
        first = value.split(":", 1)[0]
        return bool(hook_paths(first))
    return bool(hook_paths(value))


def module_paths(target: str, runtime: str) -> list[str]:
    """The /opt folders a bare Node module name (`@sentry/aws-serverless/awslambda-auto`)
    loads from when a layer ships it: its package's folder in the layers' node_modules
    folders of Lambda's NODE_PATH (`/opt/nodejs/node_modules` and, for a `nodejsNN.x`
    runtime, `/opt/nodejs/nodeNN/node_modules`). [] for a path, a URL, a relative name."""
    package = _package(target)
    if not package:
        return []
    folders = ["/opt/nodejs/node_modules"]
    if found := re.fullmatch(r"nodejs(\d+)\.x", runtime):
        folders.insert(0, f"/opt/nodejs/node{found.group(1)}/node_modules")
    return [f"{folder}/{package}" for folder in folders]


def _package(target: str) -> str:
    """The package a bare Node module name loads from (`@scope/name` or `name`), "" for a
    path, a URL or a relative name."""
    if not target or target.startswith(("/", ".", "\\")) or ":" in target:
        return ""
    parts = target.split("/")
    package = parts[:2] if target.startswith("@") else parts[:1]
    if len(package) < (2 if target.startswith("@") else 1) or any(
        p in ("", ".", "..") for p in package
    ):
        return ""
    return "/".join(package)


def required_modules(name: str, value: str) -> tuple[str, ...]:
    """The bare module names NODE_OPTIONS `--require`s (`-r`): what CommonJS finds through
    NODE_PATH, so in a layer's node_modules. An `--import` (ES module) target is not among
    them: ES modules never read NODE_PATH, they load from the function's own packages."""
    if name.upper() != "NODE_OPTIONS" or (args := node_arguments(value)) is None:
        return ()
    found: list[str] = []
    for flag, target in zip(args, [*args[1:], ""], strict=True):
        if flag in ("--require", "-r"):
            found.append(target)
        elif flag.startswith("--require="):
            found.append(flag.removeprefix("--require="))
    return tuple(t for t in found if _package(t))


# Flags that make Node load a module before the handler (or, `--openssl-config`, an OpenSSL
# configuration whose providers and engines are native libraries).
NODE_LOADING = (
    "--require",
    "-r",
    "--import",
    "--loader",
    "--experimental-loader",
    "--openssl-config",
)
# URL schemes whose module is no file of the function or its layers: a `data:` URL is code
# written into the value itself; an `http(s):` one is fetched from a host (Node 20's
# `--experimental-network-imports`).
OUTSIDE_SCHEMES = ("data:", "http:", "https:")
# The loading flags as text, `_` read as `-`: for a value Node cannot split.
_LOADING_TEXT = re.compile(
    r"--(?:require|import|loader|experimental-loader|openssl-config)|(?:^|\s)-r\b"
)


def node_arguments(value: str) -> list[str] | None:
    """NODE_OPTIONS' arguments (`split_options`) with each option's name as Node reads it: Node
    treats `_` and `-` in an option's name alike (`--experimental_loader=./l.mjs` is
    `--experimental-loader`), so a flag is compared by its normalised name; what follows its
    `=`, and every other argument, is kept as written. None when Node would refuse the value."""
    args = split_options(value)
    if args is None:
        return None
    return [_normalised(arg) for arg in args]


def _normalised(arg: str) -> str:
    """One argument with `_` read as `-` in a `--option` name (not in its value)."""
    if not arg.startswith("--"):
        return arg
    flag, equals, rest = arg.partition("=")
    return flag.replace("_", "-") + equals + rest


def node_loads(value: str) -> bool:
    """True when NODE_OPTIONS holds a loading flag (`NODE_LOADING`), in any spelling Node
    accepts. A value Node cannot split is read as text, `_` and `-` alike."""
    args = node_arguments(value)
    if args is None:
        return bool(_LOADING_TEXT.search(value.replace("_", "-")))
    return any(arg.partition("=")[0] in NODE_LOADING for arg in args)


def outside_code(name: str, value: str) -> tuple[str, ...]:
    """What a hook runs from no file at all, which no layer, package or vendor's documentation
    can account for: a NODE_OPTIONS target with an `OUTSIDE_SCHEMES` URL
    (`--import=data:text/javascript;base64,…` runs the code in the value), and a Java options
    JDWP agent that connects out to a debugger (`java_options.debugger_address`)."""
    upper = name.upper()
    if upper == "NODE_OPTIONS":
        targets = load_targets(name, value) or ()
        return tuple(t for t in targets if t.lower().startswith(OUTSIDE_SCHEMES))
    if "JAVA" in upper:
        args = split_options(value) or []
        return tuple(arg for arg in args if debugger_address(arg) is not None)
    return ()


def outside_kind(target: str) -> str:
    """How one `outside_code` target brings its code, for a finding's summary."""
    scheme = target.partition(":")[0].lower()
    if scheme == "data":
        return "a data: URL (code written into the value)"
    if scheme in ("http", "https"):
        return f"an {scheme}: URL (code fetched from a host)"
    address = debugger_address(target) or "its debugger"
    return f"a JDWP debugger agent connecting out to {address} (whoever listens there runs code)"


def split_options(value: str) -> list[str] | None:
    """Split an options variable as Node splits NODE_OPTIONS: on spaces, a double-quoted run
    kept whole, a backslash escaping the next character inside quotes; None when a quote is
    left open (Node refuses to start then).

    Not `shlex`: the shell also groups single quotes, which Node does not, and reading a value
    differently from the runtime is how a second target hides inside the first. Only the
    text is read; nothing is run."""
    args: list[str] = []
    word: list[str] | None = None  # the argument being read, None between arguments
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
            continue
        elif char == " " and not quoted:
            if word is not None:
                args.append("".join(word))
            word = None
            continue
        elif char == '"':
            quoted = not quoted
            word = word if word is not None else []
            continue
        word = word if word is not None else []
        word.append(char)
    if quoted:
        return None
    return args if word is None else [*args, "".join(word)]


def load_targets(name: str, value: str) -> tuple[str, ...] | None:
    """What a hook variable makes the runtime load, for a vendor's documentation to vouch for.

    `AWS_LAMBDA_EXEC_WRAPPER`, a CoreCLR profiler path: the file. `NODE_OPTIONS`: every
    argument of a loading flag (`NODE_LOADING`, its name read as Node reads it), a bare name
    (`evil`, which loads from node_modules), a `data:` URL or a configuration file
    (`--openssl-config=ssl.cnf`) alike.
    Java options: every agent (`java_options.agent_target`). Any other argument that
    names a path is a target too, so nothing beside a vendor's documented target goes
    unjudged. None for other variables, and for a value that cannot be split."""
    upper = name.upper()
    if upper in SINGLE_TARGET:
        return (value.strip(),)
    node = upper == "NODE_OPTIONS"
    args = node_arguments(value) if node else split_options(value) if "JAVA" in upper else None
    if args is None:
        return None
    targets: list[str] = []
    pending = False  # the previous argument was a loading flag waiting for its target
    for arg in args:
        flag, equals, rest = arg.partition("=")
        agent = agent_target(arg)
        if pending:
            targets.append(arg)
            pending = False
        elif node and arg in NODE_LOADING:
            pending = True
        elif node and equals and flag in NODE_LOADING and flag != "-r":
            targets.append(rest)
        elif agent is not None:
            targets.append(agent)
        elif "/" in arg:
            targets.append(arg)
    if pending:
        targets.append("")  # a flag with nothing after it: never a documented target
    return tuple(targets)
