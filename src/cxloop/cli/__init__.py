"""The `cxloop` command line: thin commands over the same functions the API calls.

Each domain keeps its commands in its own module and lists them in `COMMANDS`; heavy imports
happen inside the commands, so `cxloop --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cxloop.cli import actions, analytics, customers, governance, identity, journeys, loop, platform, text
from cxloop.cli._common import CxloopGroup, configure_logging
from cxloop.config import load_settings


@click.group(cls=CxloopGroup)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="Overrides CXLOOP_DATA_DIR.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.version_option(package_name="cxloop")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, verbose: bool) -> None:
    """cxloop: every customer voice in one place, linked to one profile, closed in a loop."""
    configure_logging(verbose)
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    ctx.obj = load_settings(**overrides)


for _module in (platform, text, governance, loop, journeys, identity, actions, analytics, customers):
    for _command in _module.COMMANDS:
        main.add_command(_command)

__all__ = ["main"]
