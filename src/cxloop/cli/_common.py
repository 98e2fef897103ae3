"""What every command module shares: settings, output formats and the error-to-exit-code group."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click
import orjson

from cxloop.config import Settings
from cxloop.errors import CxloopError

F = TypeVar("F", bound=Callable[..., Any])
FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output as a readable table or as JSON.",
)


def configure_logging(verbose: bool = False) -> None:
    """The one place logging is set up."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Alembic announces each of its plugins at INFO when it loads: noise in front of every command.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.DEBUG if verbose else logging.WARNING)


def settings_of(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def emit(value: Any, output_format: str, table: Callable[[Any], str]) -> None:
    if output_format == "json":
        # NON_STR_KEYS: rows read from the store are keyed by SQLAlchemy's `quoted_name`, a str subclass.
        options = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
        click.echo(orjson.dumps(value, option=options, default=str).decode())
    else:
        click.echo(table(value))


def kv_table(rows: Sequence[tuple[str, Any]]) -> str:
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


class CxloopGroup(click.Group):
    """Turns cxloop's own errors into one clear line and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CxloopError as exc:
            click.echo(f"error: {exc.message}", err=True)
            details = exc.details
            if isinstance(details, dict) and details.get("unknown_columns"):
                click.echo(f"hint: map them with --map COLUMN=FIELD; fields: {', '.join(details['fields'])}", err=True)
            ctx.exit(2)
