"""What a baseline compares: the tool family behind a user agent, the network behind an address.

Networks are /24 (IPv4) and /48 (IPv6) prefixes. We chose prefixes over an IP-to-ASN database:
no well-kept offline IP-to-ASN data ships on PyPI (pyasn and the MaxMind/IPinfo readers all
need a database downloaded and refreshed separately, with a licence for MaxMind's), a stale
ASN table is worse than none in an investigation, and a /24 already separates a CI runner pool
or an office from a VPN exit or a rented server. A service principal (`*.amazonaws.com`) is
its own network.
"""

from __future__ import annotations

import ipaddress
import re

from lambda_ir.model import FOREIGN_CALLER

# Tool families, most specific first: a CDK deploy goes through CloudFormation, a SAM deploy
# through CloudFormation too; when CloudFormation itself makes the call the agent says so.
_FAMILIES = (
    ("CloudFormation", re.compile(r"cloudformation\.amazonaws\.com|^AWS CloudFormation", re.I)),
    ("CodeDeploy", re.compile(r"codedeploy\.amazonaws\.com", re.I)),
    ("SAM", re.compile(r"aws-sam-cli|\bSAM/", re.I)),
    ("CDK", re.compile(r"aws-cdk|\bcdk/", re.I)),
    ("Terraform", re.compile(r"terraform", re.I)),
    ("Serverless", re.compile(r"serverless(/|-framework)", re.I)),
    ("Pulumi", re.compile(r"pulumi", re.I)),
    ("console", re.compile(r"console\.amazonaws\.com|^AWS Internal|Mozilla/", re.I)),
    ("CLI", re.compile(r"^aws-cli/|\baws-cli/", re.I)),
    ("SDK", re.compile(r"boto3|botocore|aws-sdk|AWSSDK|aws-sdk-go|aws-sdk-java", re.I)),
    ("AWS service", re.compile(r"^[a-z0-9.-]+\.amazonaws\.com$", re.I)),
)


# The tool families a pipeline or a job changes Lambda with; a person uses the console or the
# CLI (a person's boto3 script is the exception, and pays for it: `baseline.PINNED_DAYS`).
MACHINE_TOOLS = ("SAM", "CDK", "Terraform", "Serverless", "Pulumi", "SDK")
# A network inside a private address space (RFC 1918, carrier-grade NAT, IPv6 unique local and
# link-local), as `network_of` spells it: a call from one came through a VPC endpoint from
# inside, where moving from one subnet to another is ordinary. The same pattern in SQL.
INTERNAL_NETWORK = (
    r"^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\."
    r"|f[cd][0-9a-f]{2}:|fe[89ab][0-9a-f]:)"
)
_INTERNAL = re.compile(INTERNAL_NETWORK, re.I)


def is_internal(network: str) -> bool:
    """The network (`network_of`) is inside a private address space (INTERNAL_NETWORK)."""
    return bool(_INTERNAL.match(network))


def tool_family(user_agent: str) -> str:
    """The tool family of a CloudTrail user agent: Terraform, SAM, CDK, console, CLI, SDK, …;
    anything else is named by the agent's first word (`python-requests`, `curl`)."""
    for family, pattern in _FAMILIES:
        if pattern.search(user_agent):
            return family
    first = user_agent.split("/", 1)[0].split(" ", 1)[0].strip()
    return first[:40] or "unknown"


def network_of(source_ip: str) -> str:
    """The network an address belongs to: its /24 (IPv4) or /48 (IPv6); a service name or an
    unparsable value stands for itself."""
    try:
        address = ipaddress.ip_address(source_ip.strip())
    except ValueError:
        return source_ip.strip() or "unknown"
    if address.version == 6 and address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is IPv4
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


# A service-linked role's ARN (`…:role/aws-service-role/inspector2.amazonaws.com/…`): its
# trust policy names the service and cannot be edited, so only the service assumes it. The
# path must follow the account at once: IAM refuses the prefix `/aws-service-role/` to
# anyone else, but a path may hold a colon (`/ops:role/aws-service-role/`).
SERVICE_LINKED = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/aws-service-role/"
SERVICE_SQL = (
    "(coalesce(actor_type, '') = 'AWSService' "
    f"OR regexp_matches(coalesce(session_issuer_arn, ''), '{SERVICE_LINKED}'))"
)


def is_service(actor_type: str, session_issuer: str = "") -> bool:
    """An AWS service acting as itself (`userIdentity.type` AWSService), or through its
    service-linked role (Inspector's nightly Lambda scan: a role session only the service can
    start). A user or role acting through a service (`invokedBy` CloudFormation: the service
    is the source address and the user agent) is not: it is judged as itself
    (`via_service`), so stolen keys that deploy through a stack are a new principal like any
    other. (`SERVICE_SQL` is this in SQL.)"""
    return actor_type == "AWSService" or re.match(SERVICE_LINKED, session_issuer) is not None


# A service's name as a source address (`cloudformation.amazonaws.com`, `….amazonaws.com.cn`
# in China), trailing whitespace allowed; the same pattern in Python and DuckDB (RE2).
VIA_SERVICE = r"\.amazonaws\.com(\.cn)?[ \t\n\r\f\v]*$"


def via_service(actor_type: str, source_ip: str, session_issuer: str = "") -> bool:
    """A user or role acting through an AWS service (CloudFormation with a stack's role or
    the caller's credentials, CodeDeploy with its service role): AWS writes the service's
    name as the source address. The address and user agent are then the service's, so a
    baseline does not count them as new for a principal it has not established (the first
    deployments of a new stack's role); an established principal's first call through a
    service is judged like any new network and tool of its own."""
    return (
        not is_service(actor_type, session_issuer) and re.search(VIA_SERVICE, source_ip) is not None
    )


def principal_of(actor_type: str, actor_arn: str, issuer: str, actor_name: str, key: str) -> str:
    """Who acted, at the level a baseline learns: the role (not the session) for assumed
    roles, the user for IAM users, the service for AWS services, the account and principal id
    for another account's caller (`AWSAccount`, which CloudTrail names by no ARN)."""
    if actor_type == "AWSService":
        return f"service:{actor_name or 'unknown'}"
    if issuer:
        return issuer
    if not actor_arn and actor_type == "AWSAccount" and actor_name:
        return f"{FOREIGN_CALLER}{actor_name}"  # another account's: `<account>/<principal id>`
    return actor_arn or (f"key:{key}" if key else "unknown")
