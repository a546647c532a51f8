"""`contain --case C --function NAME` acts on the case's function of that name, never a guess.

It took the session's default region whatever the case held: with the name in two regions of
the case it contained one of them without a word (where `diff` refuses the name), and with the
name only in another region it contained the default region's namesake instead.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.cli.main import cli
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from tests.acquire.seed import package
from tests.conftest import RegionPool
from tests.respond.conftest import Estate, cli_env


def _namesake(estate: Estate, region: str) -> str:
    """A function named as the estate's, in another region of the same account; its ARN."""
    role = estate.client("iam").get_role(RoleName=estate.role)["Role"]["Arn"]
    lam = estate.session.client("lambda", endpoint_url=estate.endpoint, region_name=region)
    made = lam.create_function(
        FunctionName=estate.function,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": package("def handler(event, context):\n    return 0\n")},
    )
    return str(made["FunctionArn"])


def _case(estate: Estate, root: Path, *regions: str) -> Path:
    """The estate's function name collected (read-only) over these regions into a new case."""
    options = CollectOptions(workers=2, quotas=False, endpoint_url=estate.endpoint)
    scope = Scope(regions=regions, functions=(estate.function,), logs=False)
    collect(Case.create(root), estate.session, scope, options)
    return root


def _throttled(estate: Estate, region: str) -> bool:
    lam = estate.session.client("lambda", endpoint_url=estate.endpoint, region_name=region)
    concurrency = lam.get_function_concurrency(FunctionName=estate.function)
    return "ReservedConcurrentExecutions" in concurrency


def _contain(estate: Estate, root: Path, *args: str) -> tuple[int, str]:
    runner = CliRunner(env=cli_env(estate.endpoint, estate.region))  # default: estate's region
    command = ["contain", "--case", str(root), "--function", estate.function, *args]
    done = runner.invoke(cli, [*command, "--action", "throttle", "--apply"])
    return done.exit_code, " ".join(done.output.split())


def test_a_name_the_case_holds_in_two_regions_is_refused_with_their_arns(
    estate: Estate, emulator_session: Emulator, region_pool: RegionPool, tmp_path: Path
) -> None:
    other = region_pool.take(emulator_session)
    there = _namesake(estate, other)
    here = estate.client("lambda").get_function(FunctionName=estate.function)
    root = _case(estate, tmp_path / "case", estate.region, other)
    code, said = _contain(estate, root)
    assert code == 1, said  # as `diff` refuses it
    arns = sorted((here["Configuration"]["FunctionArn"], there))
    assert f"exists in several accounts or regions; give its ARN: {', '.join(arns)}" in said
    assert not _throttled(estate, estate.region) and not _throttled(estate, other)
    # --region chooses among them
    code, said = _contain(estate, root, "--region", other)
    assert code == 0, said
    assert _throttled(estate, other) and not _throttled(estate, estate.region)


def test_a_name_the_case_holds_once_is_contained_in_its_own_region(
    estate: Estate, emulator_session: Emulator, region_pool: RegionPool, tmp_path: Path
) -> None:
    other = region_pool.take(emulator_session)
    there = _namesake(estate, other)
    root = _case(estate, tmp_path / "case", other)  # the case never saw the default region's
    code, said = _contain(estate, root)
    assert code == 0, said
    assert f"{there}: applied" in said
    assert _throttled(estate, other) and not _throttled(estate, estate.region)
