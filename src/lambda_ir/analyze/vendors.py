"""Known vendors' Lambda layers: publisher accounts, layer names, wrappers and extensions.

The catalogue is data (`vendors.json`, each vendor with its sources). Detectors ask it three
things: is this layer a known vendor's, published from that vendor's own account (or a
look-alike: a vendor's name, or a close spelling of it (`analyze.lookalike`), from another
account, the typosquat); is everything this start-up hook (`AWS_LAMBDA_EXEC_WRAPPER`,
`NODE_OPTIONS`) loads a target a vendor documents, with that vendor's layer attached; is this
extension (a file under `extensions/`) one a known vendor ships.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from lambda_ir.analyze.hooks import load_targets
from lambda_ir.analyze.lookalike import spelled_like, words_spell
from lambda_ir.redact import looks_secret

CATALOGUE = Path(__file__).with_name("vendors.json")
_NORMALISE = re.compile(r"[^a-z0-9]")
# Words that name a vendor in a layer name, however it is spelled or cased.
_TOKENS = {
    "Datadog": ("datadog",),
    "Amazon CloudWatch Lambda Insights": ("lambdainsights",),
    "AWS Distro for OpenTelemetry": ("awsotel", "opentelemetrydistro", "adot"),
    "AWS Parameters and Secrets Lambda Extension": ("parametersandsecrets",),
    "Powertools for AWS Lambda": ("powertools",),
    "New Relic": ("newrelic",),
    "Dynatrace": ("dynatrace", "oneagent"),
    "Lumigo": ("lumigo",),
    "Sentry": ("sentry",),
    "Elastic APM": ("elasticapm",),
    "AWS Lambda Web Adapter": ("lambdawebadapter",),
}
# Whole words of a layer name that imitate a vendor's layer (`otel-python-amd64-ver-…` is
# ADOT's name without its `aws-`; `hotel-python` or a platform account's `otel-python-deps`
# are not): the product's words with "Extension" and without a connective, the extension's
# own file name, ADOT's language and architecture. Words run together as the name's words
# (`words_spell`), never inside a word.
_ADOT_NAMES = tuple(
    f"otel{language}{arch}"
    for language in ("python", "nodejs", "javawrapper", "javaagent", "collector", "ruby", "dotnet")
    for arch in ("amd64", "arm64")
)
_WORD_TOKENS = {
    "Amazon CloudWatch Lambda Insights": ("cloudwatchinsightsextension", "cloudwatchlambdaagent"),
    "AWS Distro for OpenTelemetry": _ADOT_NAMES,
    "AWS Parameters and Secrets Lambda Extension": (
        "parameterssecretsextension",
        "parameterssecretslambdaextension",
    ),
    # its layers are `LambdaAdapterLayerX86`/`Arm64`: the name without "Web"
    "AWS Lambda Web Adapter": ("lambdaadapterlayer",),
}


def _names_a_secret(value: str) -> bool:
    """Whether a value reads as where a secret is (an ARN, `prod/newrelic-license`,
    `applications/orders/newrelic/licensekey1`, `NEW_RELIC_LICENSE_KEY`), not as the secret
    pasted in its place: a known credential's shape, or a part between separators that is an
    opaque run of 16 or more letters and digits mixed (a 40-character licence key, `NRAK-…`)."""
    text = value.strip()
    if looks_secret(text):
        return False
    if text.startswith("arn:"):
        return True
    return not any(_OPAQUE.fullmatch(part) for part in _SEPARATORS.split(text))


# A key's shape: 16 or more letters and digits (base64's `+=` too), with both in it.
_OPAQUE = re.compile(r"(?=[^0-9]*[0-9])(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9+=]{16,}")
_SEPARATORS = re.compile(r"[/_.:@\s-]+")


# A password in a URL's user part (`scheme://user:password@host`).
_URL_PASSWORD = re.compile(r"://[^/@:\s]*:[^/@\s]+@")
# Extension file names more than one publisher ships: they tell nothing of who made a layer.
GENERIC_EXTENSIONS = frozenset({"collector"})


class LayerKind(StrEnum):
    """Who a layer comes from, as far as the catalogue and the ARN tell."""

    OWN = "own"  # published in the function's own account
    VENDOR = "vendor"  # a known vendor's name from that vendor's account
    LOOKALIKE = "lookalike"  # a vendor's name (or a close spelling) from another account
    UNKNOWN = "unknown"  # another account, no vendor's name


@dataclass(frozen=True)
class Destination:
    """An environment variable a vendor's agent reads for where it sends telemetry, and the
    domains the vendor documents for it: a value naming a host outside them sends what the
    agent sends (logs, traces, the vendor's key) to someone else."""

    variable: str
    domains: tuple[str, ...]
    sends: str  # what goes there, for a finding's summary

    def outside(self, host: str) -> bool:
        """True when `host` is neither one of the domains nor a name under one."""
        return not any(host == domain or host.endswith(f".{domain}") for domain in self.domains)


@dataclass(frozen=True)
class Vendor:
    """One vendor: accounts per partition, layer-name patterns, documented hooks, extensions."""

    name: str
    accounts: dict[str, frozenset[str]]
    layers: tuple[re.Pattern[str], ...]
    wrappers: tuple[str, ...]
    hooks: tuple[str, ...]
    extensions: tuple[str, ...]
    sources: tuple[str, ...]
    # environment variables the vendor documents as holding where a secret is (a Secrets
    # Manager secret's name), or a value public by design (Sentry's DSN): not secrets
    secret_references: tuple[str, ...] = ()
    public_values: tuple[str, ...] = ()
    destinations: tuple[Destination, ...] = ()

    def publishes(self, partition: str, account: str) -> bool:
        """True when `account` is one this vendor publishes layers from, in `partition`."""
        return account in self.accounts.get(partition, frozenset())

    def names(self, layer_name: str) -> bool:
        """True when a layer name is one of this vendor's, or spelled close to one."""
        if any(p.match(layer_name) for p in self.layers):
            return True
        plain = _NORMALISE.sub("", layer_name.lower())
        tokens = _TOKENS.get(self.name, ())
        if any(t in plain for t in tokens) or any(spelled_like(layer_name, t) for t in tokens):
            return True
        return any(words_spell(layer_name, t) for t in _WORD_TOKENS.get(self.name, ()))

    def documents(self, name: str, target: str) -> bool:
        """True when this vendor documents `target` as what variable `name` loads: its wrapper
        path, or the target of one of its hooks (an entry ending in `/` is a folder of its)."""
        upper = name.upper()
        if upper == "AWS_LAMBDA_EXEC_WRAPPER":
            return any(_same_path(wrapper, target) for wrapper in self.wrappers)
        documented = [
            path
            for hook_name, _, hook_value in (hook.partition("=") for hook in self.hooks)
            if hook_name == upper
            for path in load_targets(upper, hook_value) or ()
        ]
        return any(_same_path(path, target) for path in documented)


@dataclass(frozen=True)
class LayerMatch:
    """What the catalogue says of one layer ARN."""

    arn: str
    kind: LayerKind
    owner: str
    vendor: Vendor | None = None

    def describe(self) -> str:
        """A phrase for a finding's summary."""
        if self.kind is LayerKind.VENDOR and self.vendor:
            return f"{self.vendor.name}'s layer from its publisher account {self.owner}"
        if self.kind is LayerKind.LOOKALIKE and self.vendor:
            return (
                f"named like {self.vendor.name}'s layer but published by account {self.owner}, "
                f"not by {self.vendor.name}"
            )
        if self.kind is LayerKind.OWN:
            return "published in the function's own account"
        return f"published by account {self.owner}, not a known vendor"


@dataclass(frozen=True)
class HookCheck:
    """What the catalogue says of one hook variable: the targets an attached vendor documents
    (`vendor` is the first such vendor) and those none does."""

    vendor: Vendor | None
    documented: tuple[str, ...]
    undocumented: tuple[str, ...]

    @property
    def whole(self) -> bool:
        """True when attached vendors document everything the variable loads."""
        return self.vendor is not None and not self.undocumented


@dataclass(frozen=True)
class VendorCatalogue:
    """The known vendors, and the questions detectors ask of them."""

    vendors: tuple[Vendor, ...]

    def layer(self, arn: str, function_account: str) -> LayerMatch:
        """Classify a layer version ARN for a function in `function_account`."""
        parts = arn.split(":")
        if len(parts) < 7 or parts[5] != "layer":
            return LayerMatch(arn, LayerKind.UNKNOWN, "")
        partition, owner, name = parts[1], parts[4], parts[6]
        if owner == function_account:
            return LayerMatch(arn, LayerKind.OWN, owner)
        for vendor in self.vendors:
            if vendor.publishes(partition, owner):
                return LayerMatch(arn, LayerKind.VENDOR, owner, vendor)
        for vendor in self.vendors:
            if vendor.names(name):
                return LayerMatch(arn, LayerKind.LOOKALIKE, owner, vendor)
        return LayerMatch(arn, LayerKind.UNKNOWN, owner)

    def check_hook(
        self, name: str, value: str, layer_arns: tuple[str, ...] | list[str], account: str
    ) -> HookCheck:
        """Which of the targets hook `name=value` loads (`hooks.load_targets`) a vendor whose
        genuine layer is attached documents, and which no such vendor does. Targets are
        compared as paths, component by component: a `..`, a sibling folder sharing a name's
        start or a second `--require` is never part of a documented hook."""
        attached = [
            m.vendor
            for m in (self.layer(arn, account) for arn in layer_arns)
            if m.kind is LayerKind.VENDOR and m.vendor is not None
        ]
        targets = load_targets(name, value)
        if not targets:
            return HookCheck(None, (), (value,))
        documented: list[str] = []
        undocumented: list[str] = []
        first: Vendor | None = None
        for target in targets:
            vendor = next((v for v in attached if v.documents(name, target)), None)
            (undocumented if vendor is None else documented).append(target)
            first = first or vendor
        return HookCheck(first, tuple(documented), tuple(undocumented))

    def documented_hook(
        self, name: str, value: str, layer_arns: tuple[str, ...] | list[str], account: str
    ) -> Vendor | None:
        """The known vendor documenting everything hook `name=value` loads, with its genuine
        layer attached; None when anything it loads is not documented so."""
        check = self.check_hook(name, value, layer_arns, account)
        return check.vendor if check.whole else None

    def not_a_secret(self, name: str, value: str) -> Vendor | None:
        """The vendor documenting environment variable `name` as a reference to a secret or
        as public by design; a public value holding a password (`https://key:secret@…`, a
        legacy Sentry DSN) is a secret all the same."""
        for vendor in self.vendors:
            if name in vendor.secret_references and _names_a_secret(value):
                return vendor
            if name in vendor.public_values and not _URL_PASSWORD.search(value):
                return vendor
        return None

    def destination(self, name: str) -> tuple[Vendor, Destination] | None:
        """The vendor whose agent reads environment variable `name` for where it sends
        telemetry, and that destination; None for any other variable (names match exactly:
        the agents read them so)."""
        for vendor in self.vendors:
            for destination in vendor.destinations:
                if destination.variable == name:
                    return vendor, destination
        return None

    def extension_named(self, extension: str) -> Vendor | None:
        """The known vendor whose extension file is named `extension` (`datadog-agent`), when
        the name is that vendor's alone: a generic name (ADOT's and OpenTelemetry's
        `collector`) names nobody."""
        if extension in GENERIC_EXTENSIONS:
            return None
        return next((v for v in self.vendors if extension in v.extensions), None)

    def extension_vendor(self, extension: str, layer_arns: tuple[str, ...]) -> Vendor | None:
        """The known vendor shipping extension `extension` in one of `layer_arns` (the layers
        that contain it), published from the vendor's own account."""
        for arn in layer_arns:
            parts = arn.split(":")
            if len(parts) < 7:
                continue
            for vendor in self.vendors:
                if vendor.publishes(parts[1], parts[4]) and extension in vendor.extensions:
                    return vendor
        return None


def _same_path(documented: str, target: str) -> bool:
    """True when `target` names the documented file or module (or, for a documented folder,
    ending in `/`, a path inside it), component by component after dropping empty and `.`
    components. A target climbing with `..`, relative to the working folder (`./`), or holding
    a space or a quote (read differently by another parser) never matches."""
    if target.startswith(".") or any(c in target for c in " \t\n\"'\\"):
        return False
    parts = [p for p in target.split("/") if p not in ("", ".")]
    wanted = [p for p in documented.split("/") if p not in ("", ".")]
    if ".." in parts or not wanted or target.startswith("/") != documented.startswith("/"):
        return False
    return parts[: len(wanted)] == wanted if documented.endswith("/") else parts == wanted


def _vendor(entry: dict[str, Any]) -> Vendor:
    return Vendor(
        name=str(entry["name"]),
        accounts={p: frozenset(map(str, ids)) for p, ids in entry.get("accounts", {}).items()},
        layers=tuple(re.compile(p) for p in entry.get("layers", [])),
        wrappers=tuple(map(str, entry.get("wrappers", []))),
        hooks=tuple(map(str, entry.get("hooks", []))),
        extensions=tuple(map(str, entry.get("extensions", []))),
        sources=tuple(map(str, entry.get("sources", []))),
        secret_references=tuple(map(str, entry.get("secret_references", []))),
        public_values=tuple(map(str, entry.get("public_values", []))),
        destinations=tuple(
            Destination(str(d["variable"]), tuple(map(str, d["domains"])), str(d["sends"]))
            for d in entry.get("destinations", [])
        ),
    )


def load_catalogue(path: Path = CATALOGUE) -> VendorCatalogue:
    """Read the vendor catalogue (the bundled `vendors.json` unless another file is given)."""
    document = orjson.loads(path.read_bytes())
    return VendorCatalogue(tuple(_vendor(entry) for entry in document["vendors"]))


def package_publisher(catalogue: VendorCatalogue, layer: str, account: str) -> LayerMatch | None:
    """For a layer package (`layer`, its layer version ARN; "" for code), the catalogue's
    verdict on the layer when it is a look-alike or a known vendor's; None otherwise."""
    if not layer:
        return None
    match = catalogue.layer(layer, account)
    return match if match.kind in (LayerKind.LOOKALIKE, LayerKind.VENDOR) else None
