"""What `Ui.say` prints: one line a message, whatever the console's width."""

from __future__ import annotations

import io

from rich.console import Console

from lambda_ir.cli.ui import Ui


def test_a_line_is_not_broken_at_the_consoles_width() -> None:
    """stderr to a file or a pipe is 80 columns to rich: a containment line recommending
    several actions came out as two lines, the second a bare action name."""
    out = io.StringIO()
    ui = Ui(console=Console(file=out, width=80, color_system=None))
    line = (
        "  contain: lambda-ir contain --case /cases/2026-12-07-orders --incident "
        "INC-0123456789ab  (throttle, revoke-sessions, block-public, strip-layers)"
    )
    ui.say(line)
    assert out.getvalue() == line + "\n"
