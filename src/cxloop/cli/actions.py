"""`cxloop alerts` and `cxloop actions`: load alert rules from a file, scan and send alerts, and list and
re-measure improvement actions. They open the store directly, so they refuse while a server runs (the
server does all of this itself, and its API edits rules and actions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cxloop.cli._common import FORMAT, emit, settings_of


def _store(ctx: click.Context) -> Any:
    from cxloop.client import running_server
    from cxloop.store.engine import Store

    settings = settings_of(ctx)
    if running_server(settings) is not None:
        raise click.UsageError("a cxloop server is running: it sends alerts itself; use its API to edit rules")
    store = Store(settings.resolved_database_url)
    store.check_available()
    return store


@click.group()
def alerts() -> None:
    """Alert rules, alert scans and the delivery outbox."""


@alerts.command("rules")
@FORMAT
@click.pass_context
def alerts_rules(ctx: click.Context, output_format: str) -> None:
    """List the alert rules in force (the shipped defaults until edited)."""
    from cxloop.jobs.alerts import ensure_rules
    from cxloop.store import notifications as repo
    from cxloop.store.intake import utc_now

    with _store(ctx).write() as conn:
        ensure_rules(conn, utc_now())
        rules = repo.list_rules(conn)

    def table(rows: list[dict[str, Any]]) -> str:
        return "\n".join(
            f"{r['name']:<20} {r['trigger']:<16} {'on ' if r['enabled'] else 'off'} {r['channels']}" for r in rows
        )

    emit(rules, output_format, table)


@alerts.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def alerts_load(ctx: click.Context, path: Path) -> None:
    """Replace every alert rule with the list in a YAML or JSON file (rules keep their id by name)."""
    from cxloop.notify.rules import parse_rules_yaml
    from cxloop.notify.webhooks import replace_rules
    from cxloop.store.intake import utc_now

    rules = parse_rules_yaml(path.read_text(encoding="utf-8"))  # YAML is a superset of JSON
    with _store(ctx).write() as conn:
        stored = replace_rules(conn, rules, utc_now())
    click.echo(f"{len(stored)} alert rule(s) in force")


@alerts.command("run")
@click.pass_context
def alerts_run(ctx: click.Context) -> None:
    """Scan for SLA breaches, emerging issues and spikes, then send every due delivery once."""
    from cxloop.jobs.alerts import scan_alerts
    from cxloop.notify.dispatch import dispatch_due

    store, settings = _store(ctx), settings_of(ctx)
    found = scan_alerts(store, settings)
    report = dispatch_due(store, settings, limit=10_000)
    click.echo(f"{found} new alert(s); sent {report.sent}, retrying {report.failed}, dead {report.dead}")


@click.group()
def actions() -> None:
    """Improvement actions and their verification."""


@actions.command("list")
@FORMAT
@click.pass_context
def actions_list(ctx: click.Context, output_format: str) -> None:
    """Every action with its status and verdict."""
    from cxloop.store import actions as repo

    with _store(ctx).read() as conn:
        rows = repo.list_actions(conn)

    def table(items: list[dict[str, Any]]) -> str:
        return "\n".join(
            f"{a['id']}  {a['status']:<12} {(a['verdict'] or {}).get('outcome', '—'):<17} {a['title']}" for a in items
        )

    emit(rows, output_format, table)


@actions.command("review")
@click.pass_context
def actions_review(ctx: click.Context) -> None:
    """Re-measure shipped actions whose after window was not complete at the last measurement."""
    from cxloop.jobs.alerts import review_actions

    count = review_actions(_store(ctx), settings_of(ctx))
    click.echo(f"{count} action(s) measured")


COMMANDS = (alerts, actions)
