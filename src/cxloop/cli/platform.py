"""Running cxloop: schema, imports, tokens, users, status, the server, the worker and the demo."""

from __future__ import annotations

import getpass
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from cxloop.cli._common import FORMAT, emit, kv_table, settings_of
from cxloop.domain import RecordKind, Role


@click.group()
def db() -> None:
    """Schema migrations."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Bring the schema to the newest revision (DuckDB or PostgreSQL)."""
    from cxloop.client import running_server
    from cxloop.store import migrate
    from cxloop.store.engine import Store

    settings = settings_of(ctx)
    server = running_server(settings)
    if server is not None:
        click.echo(f"the server at {server['url']} owns the store and upgraded it when it started")
        return
    store = Store(settings.resolved_database_url)
    migrate.upgrade(store)
    click.echo(f"schema at revision {migrate.current_revision(store)}")


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice([k.value for k in RecordKind]), required=True)
@click.option("--map", "pairs", multiple=True, metavar="COLUMN=FIELD", help="Map a file column to a field.")
@click.option("--mapping", "mapping_file", type=click.Path(path_type=Path), help="Saved mapping (JSON or lines).")
@click.option("--source", help="Source for rows without a source column, e.g. crm or callcenter.")
@FORMAT
@click.pass_context
def import_command(
    ctx: click.Context,
    file: Path,
    kind: str,
    pairs: tuple[str, ...],
    mapping_file: Path | None,
    source: str | None,
    output_format: str,
) -> None:
    """Import a CSV, TSV, JSONL or XLSX FILE (UTF-8 or CP949). Bad rows are reported, good rows kept."""
    from cxloop.client import open_gateway
    from cxloop.ingest.files import load_mapping_file, parse_mapping

    record_kind = RecordKind(kind)
    mapping = load_mapping_file(mapping_file, record_kind) if mapping_file else {}
    mapping.update(parse_mapping(list(pairs), record_kind))
    report = open_gateway(settings_of(ctx)).import_file(file, record_kind, mapping, source)

    def table(r: dict[str, Any]) -> str:
        lines = [
            kv_table(
                [
                    ("file", r["file_name"]),
                    ("format", f"{r['format']} {r['encoding'] or ''}".strip()),
                    ("rows", r["rows"]),
                    ("stored", r["accepted"]),
                    ("duplicates", r["duplicates"]),
                    ("rejected", r["rejected"]),
                ]
            )
        ]
        lines += [f"  row {x['row']}: {x['field'] or '-'}: {x['reason']}" for x in r["rejections"][:50]]
        if len(r["rejections"]) > 50:
            lines.append(f"  … {len(r['rejections']) - 50} more (use --format json)")
        return "\n".join(lines)

    emit(report, output_format, table)
    if report["rows"] and report["accepted"] + report["duplicates"] == 0:
        ctx.exit(1)


@click.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--name", required=True)
@click.option("--scopes", default="ingest,read", show_default=True, help="Comma-separated: ingest, read, admin.")
@click.option("--expires-days", type=click.IntRange(1, 3650), help="Expire after this many days.")
@click.pass_context
def token_create(ctx: click.Context, name: str, scopes: str, expires_days: int | None) -> None:
    """Create a token. It is printed once; only its hash is stored."""
    from cxloop.access import parse_scopes
    from cxloop.client import open_gateway
    from cxloop.governance.audit import record_if_local

    gateway = open_gateway(settings_of(ctx))
    secret = gateway.create_token(name, parse_scopes(scopes), expires_days)
    record_if_local(gateway, actor="cli", action="token.create", target_kind="token", target_id=name)
    click.echo(secret)
    click.echo("store it now: it cannot be shown again", err=True)


@token.command("list")
@FORMAT
@click.pass_context
def token_list(ctx: click.Context, output_format: str) -> None:
    """List tokens (never their secrets)."""
    from cxloop.client import open_gateway

    tokens = open_gateway(settings_of(ctx)).list_tokens()
    emit(
        tokens,
        output_format,
        lambda rows: (
            "\n".join(
                f"{r['name']:<24} {r['prefix']}…  {r['scopes']:<20} {'revoked' if r['revoked_at'] else 'active'}"
                for r in rows
            )
            or "no tokens"
        ),
    )


@token.command("revoke")
@click.argument("name")
@click.pass_context
def token_revoke(ctx: click.Context, name: str) -> None:
    """Revoke every active token called NAME."""
    from cxloop.client import open_gateway
    from cxloop.governance.audit import record_if_local

    gateway = open_gateway(settings_of(ctx))
    revoked = gateway.revoke_token(name)
    if revoked:
        record_if_local(gateway, actor="cli", action="token.revoke", target_kind="token", target_id=name)
    click.echo(f"revoked {revoked} token(s)")


@click.group()
def user() -> None:
    """Users of the web UI."""


@user.command("add")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--admin", is_flag=True, help="Shorthand for --role admin.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.VIEWER.value, show_default=True)
@click.option("--password", envvar="CXLOOP_NEW_PASSWORD", help="Or set CXLOOP_NEW_PASSWORD; prompted if absent.")
@click.pass_context
def user_add(ctx: click.Context, email: str, name: str, admin: bool, role: str, password: str | None) -> None:
    """Add a user; the first admin is created this way."""
    from cxloop.client import open_gateway

    if not password:
        if not sys.stdin.isatty():
            raise click.UsageError("no password given: pass --password or set CXLOOP_NEW_PASSWORD")
        password = getpass.getpass("password: ")
    chosen = Role.ADMIN if admin else Role(role)
    from cxloop.governance.audit import record_if_local

    gateway = open_gateway(settings_of(ctx))
    user_id = gateway.add_user(email, name, password, chosen)
    details = {"email": email.strip().lower(), "role": chosen.value}
    record_if_local(gateway, actor="cli", action="user.create", target_kind="user", target_id=user_id, details=details)
    click.echo(f"added {chosen.value} {email.strip().lower()} ({user_id})")


@user.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@click.pass_context
def user_set_role(ctx: click.Context, email: str, role: str) -> None:
    """Change a user's role (audited as role.change with the role before and after)."""
    from cxloop.client import open_gateway

    changed = open_gateway(settings_of(ctx)).set_role(email, Role(role))
    click.echo(f"{changed['email']} is now {changed['role']}")


@click.command()
@FORMAT
@click.pass_context
def status(ctx: click.Context, output_format: str) -> None:
    """Processing status: records per kind and state, the oldest waiting record, recent errors."""
    from cxloop.client import open_gateway

    gateway = open_gateway(settings_of(ctx))
    summary = gateway.status()

    def table(s: dict[str, Any]) -> str:
        lines = [f"via {gateway.description}"]
        for kind, counts in sorted(s["by_kind"].items()):
            lines.append(f"{kind:<10} " + "  ".join(f"{k}={v:,}" for k, v in sorted(counts.items())))
        lines.append(f"oldest waiting: {s['oldest_pending_received_at'] or '-'}")
        lines += [
            f"error {e['kind']} {e['source']}/{e['external_id']} ({e['status']}, {e['attempts']} tries): "
            f"{e['last_error']}"
            for e in s["recent_errors"]
        ]
        return "\n".join(lines)

    emit(summary, output_format, table)


@click.command()
@click.option("--host", default=None, help="Default CXLOOP_HOST or 127.0.0.1.")
@click.option("--port", type=click.IntRange(1, 65535), default=None)
@click.option("--no-worker", is_flag=True, help="Do not run the pipeline worker inside the server.")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, no_worker: bool) -> None:
    """Serve the web UI and the API."""
    from cxloop.web.serve import serve_forever

    settings = settings_of(ctx)
    serve_forever(settings, host or settings.host, port or settings.port, run_worker=False if no_worker else None)


@click.command()
@click.option("--until-idle", is_flag=True, help="Stop when the queue is empty.")
@click.pass_context
def worker(ctx: click.Context, until_idle: bool) -> None:
    """Run a pipeline worker. With PostgreSQL, run as many as you like."""
    from cxloop.client import running_server
    from cxloop.jobs.worker import Worker
    from cxloop.store.engine import Store

    settings = settings_of(ctx)
    if running_server(settings) is not None:
        raise click.UsageError("the running server already processes the embedded store's queue")
    store = Store(settings.resolved_database_url)
    store.check_available()
    runner = Worker(store, settings)
    if until_idle:
        click.echo(f"processed {runner.run_until_idle():,} records")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runner.run_forever(stop)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--customers", "customer_count", type=click.IntRange(100, 200_000), default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Build the demo store and exit.")
@click.option("--rebuild", is_flag=True, help="Rebuild even if a demo store with this seed exists.")
@click.pass_context
def demo(
    ctx: click.Context, host: str, port: int, seed: int, customer_count: int, no_serve: bool, rebuild: bool
) -> None:
    """Build a deterministic synthetic company, process it, and serve the UI."""
    from cxloop.demo.build import DEMO_LOGIN, build_demo
    from cxloop.web.serve import serve_forever

    settings = settings_of(ctx)
    result = build_demo(settings, seed=seed, customers=customer_count, rebuild=rebuild)
    click.echo(result.summary())
    if no_serve:
        return
    click.echo(f"\n  cxloop demo: http://{host}:{port}/\n  login: {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}\n")
    serve_forever(settings, host, port, run_worker=None)


COMMANDS = (db, import_command, token, user, status, serve, worker, demo)
