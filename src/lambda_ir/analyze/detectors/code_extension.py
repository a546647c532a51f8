"""LIR-CODE-003: a layer ships a Lambda extension (`extensions/…`), a process beside the handler."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lambda_ir.analyze.archive import read_members
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import iter_files, member_finding, owner_location, shown
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.hook_files import MAX_LAYER_BYTES
from lambda_ir.analyze.own_footprints import named_like_ours, own_layer
from lambda_ir.analyze.values import Package
from lambda_ir.analyze.vendors import LayerKind, LayerMatch, package_publisher
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CODE-003",
    title="Lambda extension in a layer",
    severity=Severity.MEDIUM,
    attack=("T1546", "T1554"),
    evidence=(Kind.LAYER_CODE,),
    references=(
        "https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.lambda-layer-extension/",
        "https://docs.aws.amazon.com/lambda/latest/dg/lambda-extensions.html",
    ),
    false_positives=(
        "Monitoring and secrets-caching extensions: a known vendor's extension in its layer "
        "from its own account is INFO (vendors.json); in a look-alike layer it is HIGH, as is "
        "a file named like a vendor's extension in another account's layer, and a layer "
        "whose copy replaces a vendor's extension on a function (listed after the vendor's); "
        "a private copy of a vendor's layer in the function's own account is MEDIUM; an "
        "extension the catalogue does not list, in a vendor's layer from its own account, LOW. "
        "lambda-ir's own collector extension is INFO when its layer is the ARN and CodeSha256 "
        "`runtime attach` recorded in this case; in a layer merely named like it, HIGH."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """Files directly under `extensions/` in a layer, wherever the zip spells them
    (`./extensions/x`): Lambda starts each one at init."""
    files_of = _member_paths(case)
    for package, member, _ in iter_files(case):
        parts = member.path.split("/")
        if package.kind != "layer" or len(parts) != 2 or parts[0] != "extensions":
            continue
        functions = [o for o in package.owners if o != package.layer]
        account, _ = owner_location(package.owner)
        layers = (package.layer,)
        vendor = case.vendors.extension_vendor(parts[1], layers)
        publisher = package_publisher(case.vendors, package.layer, account)
        own = own_layer(case, layers)
        named = case.vendors.extension_named(parts[1])
        kind = case.vendors.layer(package.layer, account).kind
        replaced = _replaced(case, package, member.path, files_of)
        if own is not None:
            severity, verdict = Severity.INFO, f"lambda-ir's own extension: the {own.describe()}"
        elif named_like_ours(package.layer):
            severity, verdict = (
                Severity.HIGH,
                "its layer is named like lambda-ir's runtime collector, but no `runtime attach` "
                "in this case recorded this layer and CodeSha256: a look-alike of our own tool",
            )
        elif publisher is not None and publisher.kind is LayerKind.LOOKALIKE:
            severity, verdict = Severity.HIGH, f"its layer is {publisher.describe()}"
        elif replaced is not None:
            function, earlier = replaced
            severity, verdict = (
                Severity.HIGH,
                f"on {function} it replaces the {member.path} of layer {earlier.arn} "
                f"({earlier.describe()}), listed before it: layers unpack into /opt in order, "
                "so this copy is the one that runs",
            )
        elif vendor is not None:
            severity, verdict = Severity.INFO, f"{vendor.name}'s documented extension"
        elif (
            publisher is not None
            and publisher.kind is LayerKind.VENDOR
            and publisher.vendor is not None
            and named in (None, publisher.vendor)  # not another vendor's extension name
        ):
            severity, verdict = (
                Severity.LOW,
                f"the layer is {publisher.describe()}, but the catalogue lists no extension of "
                "this name for it: a newer release of the vendor's, or a change to confirm",
            )
        elif named is not None and kind is LayerKind.UNKNOWN:
            severity, verdict = (
                Severity.HIGH,
                f"{parts[1]} is the name of {named.name}'s extension, but the layer is published "
                f"by account {package.layer.split(':')[4]}, not by {named.name}: a look-alike",
            )
        elif named is not None and kind is LayerKind.OWN:
            severity, verdict = (
                INFO.severity,
                f"{parts[1]} is the name of {named.name}'s extension, in a layer of the "
                f"function's own account: a private copy of {named.name}'s layer or an "
                f"imitation; compare it with {named.name}'s own",
            )
        elif named is not None and publisher is not None:  # another vendor's own layer
            severity, verdict = (
                INFO.severity,
                f"the layer is {publisher.describe()}, but {parts[1]} is the name of "
                f"{named.name}'s extension: confirm who ships it",
            )
        else:
            severity, verdict = INFO.severity, "not a known vendor's: confirm who ships it"
        yield member_finding(
            INFO,
            package,
            member,
            resource=functions[0] if functions else package.owner,
            severity=severity,
            summary=(
                f"Layer {package.layer} contains extension "
                f"{shown(member)}, which runs as its own process in "
                f"{len(functions) or 'no collected'} function version(s) and sees every "
                f"invocation; {verdict}."
            ),
            details={
                "member": member.name,
                "used_by": list(package.owners),
                "vendor": vendor.name if vendor else None,
                "replaces": replaced[1].arn if replaced else None,
            },
        )


def _member_paths(case: CaseView) -> Callable[[str], frozenset[str]]:
    """Where the files of a layer version's package unpack (none when the case lacks it),
    each package read once however many functions carry it."""
    layers = {layer.arn: layer for layer in case.layers}
    read: dict[str, frozenset[str]] = {}

    def names(arn: str) -> frozenset[str]:
        if arn not in read:
            layer = layers.get(arn)
            blob = None if layer is None else layer.blob
            try:
                data = b"" if blob is None else case.read_bytes(blob, MAX_LAYER_BYTES)
            except (OSError, ValueError):  # unreadable: verify's and the gap detectors' to say
                data = b""
            read[arn] = frozenset(m.path for m in read_members(data)) if data else frozenset()
        return read[arn]

    return names


def _replaced(
    case: CaseView, package: Package, member: str, files_of: Callable[[str], frozenset[str]]
) -> tuple[str, LayerMatch] | None:
    """(function, layer) when a function carrying this package's layer lists before it a
    known vendor's layer (from the vendor's account) that ships the same file, and this layer
    is not that vendor's: the vendor's extension never starts, this one does in its place."""
    for config in case.functions:
        if package.layer not in config.layers:
            continue
        mine = case.vendors.layer(package.layer, config.ref.account)
        for arn in config.layers[: config.layers.index(package.layer)]:
            earlier = case.vendors.layer(arn, config.ref.account)
            if earlier.kind is not LayerKind.VENDOR or arn == package.layer:
                continue
            if mine.kind is LayerKind.VENDOR and mine.vendor == earlier.vendor:
                continue  # one vendor's layers: its own files
            if member in files_of(arn):
                return config.ref.arn, earlier
    return None


DETECTOR = Detector(INFO, detect)
