"""`cxloop kpi`: any catalog KPI from the command line, or `cxloop kpi list` for the catalog.

With a running server that owns the embedded store, the command asks the server's KPI API (so it
never hits a file lock); otherwise it opens the store itself. Both paths compute the same result.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click

from cxloop.cli._common import emit, settings_of
from cxloop.config import Settings


def _fetch_remote(
    server: dict[str, Any], name: str, params: list[tuple[str, str | int | float | bool | None]]
) -> dict[str, Any]:
    import httpx

    from cxloop.errors import InvalidInput, StoreUnavailable

    try:
        response = httpx.get(
            f"{server['url']}/api/v1/kpis/{name}",
            params=params,
            headers={"Authorization": f"Bearer {server['control_token']}"},
            timeout=600.0,
        )
    except httpx.HTTPError as exc:
        raise StoreUnavailable(f"the cxloop server at {server['url']} did not answer: {exc}") from exc
    body: dict[str, Any] = response.json()
    if response.status_code >= 400:
        raise InvalidInput(str(body.get("error", {}).get("message", response.text)))
    return body


def _compute(settings: Settings, name: str, options: dict[str, Any]) -> dict[str, Any]:
    from cxloop.client import running_server

    server = running_server(settings)
    if server is not None:
        params: list[tuple[str, str | int | float | bool | None]] = [
            (k, str(v)) for k, v in options.items() if v not in (None, "", False) and k != "filters"
        ]
        params += [("filter", f"{k}:{v}") for k, v in options["filters"].items()]
        return _fetch_remote(server, name, params)
    from cxloop.analytics.kpis import KpiQuery
    from cxloop.analytics.kpis.report import kpi_report
    from cxloop.store.engine import Store

    store = Store(settings.resolved_database_url)
    store.check_available()
    try:
        query = KpiQuery(
            name,
            start=options["from"],
            end=options["to"],
            by=options["by"],
            grain=options["grain"],
            filters=options["filters"],
            compare=options["compare"] == "previous",
            offset_minutes=settings.business_utc_offset_minutes,
        )
        return kpi_report(store, query, options["lang"])
    finally:
        store.dispose()


def _fmt(value: Any) -> str:
    if value is None:
        return "no data"
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def _table(result: dict[str, Any]) -> str:
    definition = result["definition"]
    total = result["total"]
    period = result["period"] or {}
    span = f"{period.get('from', '-')} .. {period.get('to', '-')}"
    lines = [
        f"{definition['name']} ({result['kpi']}, {definition['unit']})  {span}",
        f"value {_fmt(total['value'])}  n={total['n']}"
        + (f"  95% CI {_fmt(total['ci_low'])} .. {_fmt(total['ci_high'])}" if total.get("ci_low") is not None else ""),
    ]
    if result["status"] == "no_data":
        lines.append(f"no data: {result['reason']}")
    if result.get("previous"):
        lines.append(f"previous {_fmt(result['previous']['value'])}  n={result['previous']['n']}")
    if comparison := result.get("comparison"):
        p = comparison["p_value"]
        test = f"  {comparison['test']} p={p:.4f}" if comparison["test"] and p is not None else ""
        lines.append(f"change {comparison['difference']:+,.2f} ({comparison['direction']}){test}")
    keys = [k for k in ("bucket", result.get("by")) if k and result["rows"] and k in result["rows"][0]]
    for row in result["rows"]:
        label = "  ".join(str(row[k]) if row[k] is not None else "(unknown)" for k in keys)
        lines.append(f"  {label:<28} {_fmt(row['value']):>14}  n={row['n']}")
    return "\n".join(lines)


def _parse_where(values: tuple[str, ...]) -> dict[str, str]:
    filters: dict[str, str] = {}
    for item in values:
        dimension, sep, value = item.partition("=")
        if not sep or not value:
            raise click.BadParameter(
                f"{item!r} must look like DIMENSION=VALUE, e.g. channel=chat", param_hint="--where"
            )
        filters[dimension] = value
    return filters


@click.command("kpi")
@click.argument("name")
@click.option("--by", help="Slice by: channel, topic, segment, team, journey_stage or language.")
@click.option("--grain", type=click.Choice(["day", "week", "month"]), help="Time buckets (business-local).")
@click.option("--from", "start", type=click.DateTime(formats=["%Y-%m-%d"]), help="First local day (default: 30 days).")
@click.option("--to", "end", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last local day (default: newest data).")
@click.option("--compare", type=click.Choice(["previous"]), help="Compare with the same-length period before.")
@click.option("--where", multiple=True, help="Filter DIMENSION=VALUE (repeatable).")
@click.option("--lang", type=click.Choice(["ko", "en"]), default="en", show_default=True)
@click.option(
    "--format", "output_format", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
@click.pass_context
def kpi(
    ctx: click.Context,
    name: str,
    by: str | None,
    grain: str | None,
    start: datetime | None,
    end: datetime | None,
    compare: str | None,
    where: tuple[str, ...],
    lang: str,
    output_format: str,
) -> None:
    """A KPI from the metric catalog, e.g. `cxloop kpi nps --grain week --by channel`; `cxloop kpi list`
    shows every KPI."""
    from cxloop.analytics.kpis.report import catalog_listing, export_table

    if name == "list":
        listing = catalog_listing(lang)
        emit(listing, "json" if output_format == "json" else "table", _catalog_table)
        return
    options = {
        "by": by,
        "grain": grain,
        "from": start.date() if start else None,
        "to": end.date() if end else None,
        "compare": compare,
        "filters": _parse_where(where),
        "lang": lang,
    }
    result = _compute(settings_of(ctx), name, options)
    if output_format == "csv":
        from cxloop.web.exports import table_csv

        rows, columns = export_table(result)
        sys.stdout.buffer.write(table_csv(rows, columns).removeprefix("\ufeff".encode()))
        return
    emit(result, output_format, _table)


def _catalog_table(listing: list[dict[str, Any]]) -> str:
    width = max(len(k["id"]) for k in listing)
    return "\n".join(f"{k['id'].ljust(width)}  {k['unit']:<9} {k['name']}" for k in listing)


COMMANDS = (kpi,)
