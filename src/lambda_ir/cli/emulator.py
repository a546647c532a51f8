"""`lambda-ir emulator`: the embedded AWS account for people, scripts and the AWS CLI."""

from __future__ import annotations

import signal
import sys
import threading

import click
from rich.markup import escape

from lambda_ir.cli.ui import CommandError, Ui


@click.group()
def emulator() -> None:
    """The embedded, emulated AWS account (moto server plus what moto lacks)."""


@emulator.command()
@click.option("--port", type=int, default=4566, show_default=True, help="0 picks a free port.")
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    metavar="NAME",
    help="Seed a scenario before serving (repeatable, in order): estate, denonia, stratus, "
    "backdoors, pacu.",
)
@click.option(
    "--latency-ms",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Added to every API call.",
)
@click.option("--quotas", is_flag=True, help="Enforce Lambda, CloudTrail and Logs API quotas.")
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Fraction of calls answered with a throttle, a 500 or a connection reset "
    "(from when the scenarios are seeded).",
)
@click.option(
    "--fault-seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the fault draw: the same seed and calls give the same faults.",
)
@click.option(
    "--enforce-iam",
    is_flag=True,
    help="Check each caller's own IAM policies and deny what they do not allow, as AWS does "
    "(the printed admin keys stay allowed).",
)
@click.pass_obj
def serve(
    ui: Ui,
    port: int,
    scenarios: tuple[str, ...],
    latency_ms: int,
    quotas: bool,
    fault_rate: float,
    fault_seed: int,
    enforce_iam: bool,
) -> None:
    """Serve the emulated account on 127.0.0.1 for boto3 and the AWS CLI (AWS_ENDPOINT_URL).

    Prints the export lines to point clients at it, then serves until Ctrl-C or SIGTERM.
    Any access key works; the printed ones act as the IAM user `emulator-admin`. Every call
    is recorded as a CloudTrail event (LookupEvents, and trail files in trail buckets).
    """
    from lambda_ir.emulator.quotas import FaultSpec
    from lambda_ir.emulator.server import Emulator
    from lambda_ir.emulator.serving import (
        ScenarioError,
        apply_scenarios,
        client_environment,
        wait_until_stopped,
    )

    faults = FaultSpec(rate=fault_rate, seed=fault_seed) if fault_rate else None
    emulator = Emulator(port, enforce_iam=enforce_iam)  # seeding runs without faults
    try:
        emulator.start()
    except OSError as error:
        raise CommandError(f"cannot listen on 127.0.0.1:{port}: {error.strerror}") from error
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        try:
            seeded = apply_scenarios(emulator, scenarios)
        except ScenarioError as error:
            raise CommandError(str(error)) from error
        emulator.set_limits(latency_ms=latency_ms, quotas=quotas, faults=faults)
        for result in seeded:
            bad = f", compromised: {', '.join(result.compromised)}" if result.compromised else ""
            ui.say(
                f"seeded [bold]{escape(result.name)}[/]: {result.functions} functions{escape(bad)}"
            )
        environment = client_environment(emulator)
        text = "\n".join(f"export {key}={value}" for key, value in environment.items())
        ui.result(
            text,
            {
                "endpoint": emulator.endpoint_url,
                "account": emulator.account_id,
                "scenarios": [r.name for r in seeded],
                "environment": environment,
            },
        )
        sys.stdout.flush()
        ui.say(f"serving account {emulator.account_id} at {emulator.endpoint_url}; Ctrl-C stops")
        wait_until_stopped(stop)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    ui.say("stopped; trail files delivered")
