"""The benign estate's applications, as data: what each function is, runs on and touches.

The content is ours: a made-up company's serverless estate. `plan_functions` turns the ten
application templates into any number of uniquely named functions across the regions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lambda_ir.emulator.scenarios.traffic import TrafficProfile

REGIONS = ("us-east-1", "eu-west-1")
STAGES = ("", "-staging", "-dev", "-qa")
IMAGE = "image"


@dataclass(frozen=True)
class AppTemplate:
    """One kind of function: runtime (or container `image`), sizing, trigger, role scope.

    `resource` is the role's resource ARN, formatted with `region`, `account` and `fn`;
    `log_group`, when set, is a custom LoggingConfig group formatted with `fn`; `log_format`
    is the LoggingConfig format (`Text` or `JSON`).
    """

    name: str
    runtime: str
    description: str
    memory_mb: int
    timeout_s: int
    trigger: str | None
    team: str
    actions: tuple[str, ...]
    resource: str
    profile: TrafficProfile
    log_group: str | None = None
    log_format: str = "Text"


@dataclass(frozen=True)
class FunctionSpec:
    """One function of the estate: its template, unique name and region."""

    app: AppTemplate
    name: str
    region: str
    stage: str
    index: int

    @property
    def log_group(self) -> str:
        """Where its logs go: the LoggingConfig group, else `/aws/lambda/<name>`."""
        custom = self.app.log_group
        return custom.format(fn=self.name) if custom else f"/aws/lambda/{self.name}"

    @property
    def canary(self) -> bool:
        """Every third function releases through a weighted (canary) `live` alias."""
        return self.index % 3 == 0

    @property
    def is_image(self) -> bool:
        """A container-image function (no runtime, no layers)."""
        return self.app.runtime == IMAGE


def _profile(duration: tuple[float, float], memory: tuple[int, int], *lines: str) -> TrafficProfile:
    return TrafficProfile(duration, memory, (150.0, 650.0), lines)


APPS = (
    AppTemplate(
        "image-resizer",
        "python3.12",
        "Resizes uploaded product images into thumbnails.",
        512,
        30,
        "s3",
        "media",
        ("s3:GetObject", "s3:PutObject"),
        "arn:aws:s3:::acme-product-images/*",
        _profile(
            (180, 1400), (95, 160), "resizing {n} image(s)", "wrote thumbnails for {n} key(s)"
        ),
    ),
    AppTemplate(
        "orders-api",
        "nodejs20.x",
        "HTTP API for orders (function URL, IAM auth).",
        256,
        10,
        "url",
        "commerce",
        ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"),
        "arn:aws:dynamodb:{region}:{account}:table/orders",
        replace(
            _profile((25, 240), (70, 110), "GET /orders/{n} 200", "order lookup served"),
            error="Error: inventory service answered 503",
            error_rate=0.1,
        ),
        log_format="JSON",
    ),
    AppTemplate(
        "orders-worker",
        "python3.12",
        "Processes order events from the orders queue.",
        256,
        60,
        "sqs",
        "commerce",
        ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
        "arn:aws:sqs:{region}:{account}:{fn}-events",
        replace(
            _profile((40, 900), (60, 95), "received {n} message(s)", "acknowledged {n} message(s)"),
            error="ValueError: order total must be positive",
            error_rate=0.15,
        ),
    ),
    AppTemplate(
        "inventory-sync",
        "python3.12",
        "Mirrors inventory table changes to the search index.",
        256,
        60,
        "dynamodb",
        "commerce",
        (
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:DescribeStream",
            "dynamodb:ListStreams",
        ),
        "arn:aws:dynamodb:{region}:{account}:table/{fn}-table/stream/*",
        _profile((30, 600), (60, 100), "applied {n} stream record(s)"),
    ),
    AppTemplate(
        "report-generator",
        IMAGE,
        "Builds the nightly sales report (container image).",
        1024,
        300,
        "schedule",
        "finance",
        ("s3:PutObject",),
        "arn:aws:s3:::acme-reports/*",
        _profile((8000, 42000), (300, 700), "report rows: {n}000", "uploaded report"),
    ),
    AppTemplate(
        "auth-token-refresh",
        "nodejs20.x",
        "Refreshes partner API tokens every 15 minutes.",
        128,
        15,
        "schedule",
        "platform",
        ("secretsmanager:GetSecretValue",),
        "arn:aws:secretsmanager:{region}:{account}:secret:partner-api-*",
        _profile((60, 400), (60, 80), "refreshed {n} partner token(s)"),
    ),
    AppTemplate(
        "user-notifier",
        "nodejs20.x",
        "Sends order e-mails from SNS notifications.",
        128,
        20,
        "sns",
        "commerce",
        ("ses:SendEmail",),
        "*",
        _profile((90, 700), (65, 90), "sent {n} e-mail(s)"),
    ),
    AppTemplate(
        "billing-export",
        "python3.12",
        "Exports daily billing lines to the finance bucket.",
        512,
        120,
        "schedule",
        "finance",
        ("s3:PutObject",),
        "arn:aws:s3:::acme-billing-exports/*",
        _profile((2000, 14000), (120, 260), "exported {n}00 billing line(s)"),
    ),
    AppTemplate(
        "audit-archiver",
        "python3.12",
        "Archives application audit events to S3 Glacier.",
        256,
        120,
        "schedule",
        "platform",
        ("s3:PutObject",),
        "arn:aws:s3:::acme-audit-archive/*",
        _profile((500, 5000), (80, 140), "archived {n} audit batch(es)"),
        log_group="/acme/platform/{fn}",
    ),
    AppTemplate(
        "pdf-renderer",
        IMAGE,
        "Renders invoices to PDF (container image, IAM-auth URL).",
        2048,
        60,
        "url",
        "finance",
        ("s3:PutObject",),
        "arn:aws:s3:::acme-invoices/*",
        _profile((900, 6000), (400, 900), "rendered invoice {n}"),
    ),
)


def plan_functions(count: int) -> tuple[FunctionSpec, ...]:
    """`count` functions: templates in order, alternating regions, then stage suffixes."""
    planned = []
    for index in range(count):
        app = APPS[index % len(APPS)]
        cycle = index // len(APPS)
        region = REGIONS[cycle % len(REGIONS)]
        stage = STAGES[(cycle // len(REGIONS)) % len(STAGES)]
        batch = cycle // (len(REGIONS) * len(STAGES))
        suffix = f"{stage}-{batch + 1}" if batch else stage
        name = f"{app.name}{suffix}"
        planned.append(FunctionSpec(app, name, region, stage.strip("-") or "prod", index))
    return tuple(planned)
