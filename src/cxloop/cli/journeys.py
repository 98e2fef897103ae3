"""Journey analytics from the command line: funnels, paths and cohort retention.

With a server running on the embedded store, commands ask that server's API (it owns the file);
otherwise they open the store directly. Either way the answer comes from the same functions.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click
import orjson

from cxloop.cli._common import settings_of

OUTPUT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="A readable table, JSON, or CSV.",
)
DAY = click.DateTime(formats=["%Y-%m-%d"])


def _ask(ctx: click.Context, path: str, params: dict[str, Any], local: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """The running server's answer, or the local store's when no server owns it."""
    import httpx

    from cxloop.client import running_server
    from cxloop.errors import InvalidInput, StoreUnavailable
    from cxloop.store.engine import Store

    settings = settings_of(ctx)
    server = running_server(settings)
    if server is None:
        from cxloop.store import migrate

        store = Store(settings.resolved_database_url)
        store.check_available()
        if store.is_embedded:
            migrate.upgrade(store)  # a fresh data dir answers "no data", not "no such table"
        try:
            return local(store, settings.business_utc_offset_minutes)
        finally:
            store.dispose()
    query = {k: v for k, v in params.items() if v is not None}
    headers = {"Authorization": f"Bearer {server['control_token']}"}
    try:
        response = httpx.get(f"{server['url']}/api/v1{path}", params=query, headers=headers, timeout=600.0)
    except httpx.HTTPError as exc:
        raise StoreUnavailable(f"the cxloop server at {server['url']} did not answer: {exc}") from exc
    body: dict[str, Any] = response.json()
    if response.status_code >= 400:
        raise InvalidInput(str(body.get("error", {}).get("message", response.text)))
    return body


def _day(value: datetime | None) -> Any:
    return value.date() if value else None


def _emit(result: dict[str, Any], output_format: str, rows: list[dict[str, Any]], table: Callable[[], str]) -> None:
    if output_format == "json":
        click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str).decode())
    elif output_format == "csv":
        buffer = io.StringIO()
        if rows:
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
    elif result.get("empty"):
        click.echo("no data")
    else:
        click.echo(table())


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    lines = [header, *rows]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=False)).rstrip() for line in lines)


@click.command()
@click.argument("steps", nargs=-1, required=True)
@click.option("--window", default="7d", show_default=True, help="Conversion window from step 1: 30m, 12h, 7d, 2w.")
@click.option("--by", help="Break down by channel, first_channel, tier or city.")
@click.option(
    "--from", "first", type=DAY, help="First business-local day customers may enter [default: 30 days to --to]."
)
@click.option("--to", "last", type=DAY, help="Last business-local day customers may enter [default: the newest event].")
@OUTPUT
@click.pass_context
def funnel(
    ctx: click.Context, steps: tuple[str, ...], window: str, by: str | None, first: Any, last: Any, output_format: str
) -> None:
    """Customers reaching each of STEPS (event types, in order) within the window, and where they drop off."""
    from cxloop.analytics.journeys.service import funnel_report

    params = {"steps": ",".join(steps), "window": window, "by": by, "from": _day(first), "to": _day(last)}
    result = _ask(
        ctx,
        "/funnels",
        params,
        lambda store, offset: funnel_report(
            store, list(steps), window=window, by=by, first=_day(first), last=_day(last), offset_minutes=offset
        ),
    )
    groups = [("all", result["steps"])] + [(g["group"], g["steps"]) for g in result["breakdown"]]
    columns = ("step", "event", "customers", "conversion", "from_previous", "drop_off", "median_seconds_from_previous")
    rows = [{"group": group, **{c: s[c] for c in columns}} for group, steps_ in groups for s in steps_]

    def table() -> str:
        header = ["group", "#", "event", "customers", "conversion", "from prev", "drop-off", "median from prev (s)"]
        lines = [
            [r["group"], str(r["step"]), r["event"], f"{r['customers']:,}", _percent(r["conversion"]),
             _percent(r["from_previous"]), f"{r['drop_off']:,}", str(r["median_seconds_from_previous"] or "—")]
            for r in rows
        ]  # fmt: skip
        period = result["period"]
        entered = f"entering {period['from']} – {period['to']}, " if period["from"] else ""
        converted = f"converted {result['converted']:,} of {result['entered']:,} within {window}"
        return _grid(header, lines) + f"\n{entered}{converted}"

    _emit(result, output_format, rows, table)


@click.command()
@click.option("--from-event", required=True, help="The event paths start from.")
@click.option("--to-event", help="The event paths end at (optional).")
@click.option("--window", default="30d", show_default=True, help="Longest time from start to end.")
@click.option("--depth", default=5, show_default=True, type=click.IntRange(2, 8), help="Nodes per path.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 50))
@OUTPUT
@click.pass_context
def paths(
    ctx: click.Context, from_event: str, to_event: str | None, window: str, depth: int, limit: int, output_format: str
) -> None:
    """The most common paths between two events."""
    from cxloop.analytics.journeys.service import paths_report

    params = {"from_event": from_event, "to_event": to_event, "window": window, "depth": depth, "limit": limit}
    result = _ask(
        ctx,
        "/paths",
        params,
        lambda store, offset: paths_report(
            store, from_event, to_event, window=window, depth=depth, limit=limit, offset_minutes=offset
        ),
    )
    rows = [{"path": " > ".join(p["path"]), "customers": p["customers"], "share": p["share"]} for p in result["paths"]]

    def table() -> str:
        lines = [[r["path"], f"{r['customers']:,}", _percent(r["share"])] for r in rows]
        return _grid(["path", "customers", "share"], lines)

    _emit(result, output_format, rows, table)


@click.command()
@click.option("--grain", type=click.Choice(["week", "month"]), default="week", show_default=True)
@click.option("--event", help="Cohorts by the first occurrence of this event (default: any event).")
@click.option("--active-event", help="Count as active only this event (default: any event).")
@click.option("--periods", default=8, show_default=True, type=click.IntRange(1, 26))
@OUTPUT
@click.pass_context
def cohorts(
    ctx: click.Context, grain: str, event: str | None, active_event: str | None, periods: int, output_format: str
) -> None:
    """Retention by first-seen week or month: the share of each cohort active in each later period."""
    from cxloop.analytics.journeys.service import cohorts_report

    params = {"grain": grain, "event": event, "active_event": active_event, "periods": periods}
    result = _ask(
        ctx,
        "/cohorts",
        params,
        lambda store, offset: cohorts_report(
            store, grain=grain, event=event, active_event=active_event, periods=periods, offset_minutes=offset
        ),
    )
    rows = [
        {"cohort": str(c["cohort"]), "size": c["size"], **{f"p{i}": v for i, v in enumerate(c["retention"])}}
        for c in result["cohorts"]
    ]

    def table() -> str:
        header = ["cohort", "size", *[f"+{i}" for i in range(periods + 1)]]
        lines = [[r["cohort"], f"{r['size']:,}", *[_percent(r[f"p{i}"]) for i in range(periods + 1)]] for r in rows]
        return _grid(header, lines)

    _emit(result, output_format, rows, table)


COMMANDS = (funnel, paths, cohorts)
