"""Governance commands: encryption keys, the audit chain, consent import, retention and data quality.

They open the store directly. With the embedded DuckDB file held by a running server they refuse
with a clear message (the server runs retention and quality checks on its own schedule; consent can
be changed through the API or the UI meanwhile).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cxloop.cli._common import FORMAT, emit, kv_table, settings_of
from cxloop.store.engine import Store


def _store(ctx: click.Context) -> Store:
    from cxloop.client import running_server
    from cxloop.store import migrate

    settings = settings_of(ctx)
    server = running_server(settings)
    if server is not None:
        raise click.UsageError(
            f"the server at {server['url']} owns the embedded store: stop it first, or use the web UI / API"
        )
    store = Store(settings.resolved_database_url)
    store.check_available()
    if store.is_embedded:
        migrate.upgrade(store)
    return store


@click.group()
def keys() -> None:
    """Field-encryption keys: status, rotation, retirement."""


@keys.command("status")
@FORMAT
@click.pass_context
def keys_status(ctx: click.Context, output_format: str) -> None:
    """Which keys are in the ring and how many stored values each one seals."""
    from cxloop.governance.crypto import key_file_path, keys_from_environment, load_key_ring
    from cxloop.governance.keys import encrypted_columns, key_usage

    settings = settings_of(ctx)
    ring = load_key_ring(settings)
    with _store(ctx).read() as conn:
        usage = key_usage(conn, encrypted_columns())
    origin = "CXLOOP_ENCRYPTION_KEY" if keys_from_environment(settings) else str(key_file_path(settings))
    result = {"origin": origin, "keys": ring.key_ids, "current": ring.current_key_id, "usage": usage}

    def table(r: dict[str, Any]) -> str:
        lines = [kv_table([("keys from", r["origin"]), ("current key", r["current"]), ("ring", ", ".join(r["keys"]))])]
        lines += [
            f"{col:<28} " + "  ".join(f"{k}={n:,}" for k, n in sorted(c.items())) for col, c in r["usage"].items()
        ]
        return "\n".join(lines)

    emit(result, output_format, table)


@keys.command("generate")
def keys_generate() -> None:
    """Print a new random key (base64), for CXLOOP_ENCRYPTION_KEY."""
    from cxloop.governance.crypto import encode_key, generate_key

    click.echo(encode_key(generate_key()))


def _reencrypt(ctx: click.Context, batch_size: int) -> dict[str, int]:
    from cxloop.governance.crypto import load_key_ring
    from cxloop.governance.keys import encrypted_columns, reencrypt

    return reencrypt(
        _store(ctx),
        load_key_ring(settings_of(ctx)),
        encrypted_columns(),
        batch_size=batch_size,
        progress=lambda column, n: click.echo(f"  {column}: {n:,} re-encrypted", err=True),
    )


@keys.command("rotate")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@click.pass_context
def keys_rotate(ctx: click.Context, batch_size: int) -> None:
    """Add a new key (it seals new values at once) and re-encrypt stored values with it in batches."""
    from cxloop.governance.audit import record_now
    from cxloop.governance.keys import add_new_key

    store = _store(ctx)
    ring = add_new_key(settings_of(ctx))
    click.echo(f"new key {ring.current_key_id}; old keys stay readable: {', '.join(ring.key_ids[1:])}")
    changed = _reencrypt(ctx, batch_size)
    record_now(
        store, actor="cli", action="key.rotate", target_kind="key", target_id=ring.current_key_id, details=changed
    )
    click.echo(f"re-encrypted {sum(changed.values()):,} values; retire the old keys with `cxloop keys retire`")


@keys.command("reencrypt")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@click.pass_context
def keys_reencrypt(ctx: click.Context, batch_size: int) -> None:
    """Move every stored value to the newest key (resumes an interrupted rotation; encrypts plaintext)."""
    changed = _reencrypt(ctx, batch_size)
    click.echo(f"re-encrypted {sum(changed.values()):,} values")


@keys.command("retire")
@click.pass_context
def keys_retire(ctx: click.Context) -> None:
    """Remove old keys from the key file once no stored value needs them."""
    from cxloop.governance.audit import record_now
    from cxloop.governance.keys import retire_old_keys

    store = _store(ctx)
    retired = retire_old_keys(settings_of(ctx), store)
    if retired:
        record_now(store, actor="cli", action="key.retire", target_kind="key", details={"retired": retired})
    click.echo(f"retired {', '.join(retired)}" if retired else "no old keys to retire")


@click.group()
def audit() -> None:
    """The hash-chained audit log."""


@audit.command("verify")
@FORMAT
@click.pass_context
def audit_verify(ctx: click.Context, output_format: str) -> None:
    """Recompute the chain; exit 1 and name the first broken entry if anything was altered."""
    from cxloop.governance.audit import verify_chain

    with _store(ctx).read() as conn:
        report = verify_chain(conn)

    def table(r: dict[str, Any]) -> str:
        if r["ok"]:
            return f"audit chain intact: {r['checked']:,} entries, head {r['head_seq']} {r['head_hash']}"
        return f"audit chain BROKEN at entry {r['first_broken_seq']}: {r['reason']} ({r['checked']:,} entries verified)"

    emit(report.to_dict(), output_format, table)
    if not report.ok:
        ctx.exit(1)


@click.group()
def consent() -> None:
    """Customer consent per purpose."""


@consent.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@FORMAT
@click.pass_context
def consent_import(ctx: click.Context, file: Path, output_format: str) -> None:
    """Import decisions from a CSV, TSV, JSONL or XLSX FILE: customer_id (or customer_external_id with
    namespace, email or phone), purpose, granted, and optionally source, recorded_at, evidence."""
    from cxloop.client import read_file
    from cxloop.governance.consent_import import import_consents

    report = import_consents(_store(ctx), settings_of(ctx), read_file(file), file.name, actor="cli").to_dict()

    def table(r: dict[str, Any]) -> str:
        lines = [
            kv_table(
                [("file", r["file_name"]), ("rows", r["rows"]), ("stored", r["stored"]), ("rejected", r["rejected"])]
            )
        ]
        lines += [f"  {x['row']}: {x['field'] or '-'}: {x['reason']}" for x in r["rejections"][:50]]
        return "\n".join(lines)

    emit(report, output_format, table)
    if report["rows"] and not report["stored"]:
        ctx.exit(1)


@click.group()
def retention() -> None:
    """Retention policies and purges."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@FORMAT
@click.pass_context
def retention_run(ctx: click.Context, dry_run: bool, output_format: str) -> None:
    """Apply the retention policies (or show what they would remove)."""
    from cxloop.governance.retention import run_retention

    result = run_retention(_store(ctx), settings_of(ctx), dry_run=dry_run, actor="cli")

    def table(r: dict[str, Any]) -> str:
        verb = "would purge" if r["dry_run"] else "purged"
        lines = [f"{'kind':<26} {'action':<14} {'days':>5} {verb:>12}  oldest"]
        for p in r["results"]:
            days = p["days"] or "keep"
            oldest = p["oldest"].strftime("%Y-%m-%d") if p["oldest"] else "-"
            lines.append(f"{p['kind']:<26} {p['action']:<14} {days:>5} {p['count']:>12,}  {oldest}")
        return "\n".join(lines)

    emit(result, output_format, table)


@click.group()
def quality() -> None:
    """Data-quality checks."""


@quality.command("check")
@FORMAT
@click.pass_context
def quality_check(ctx: click.Context, output_format: str) -> None:
    """Check freshness, null rates and integrity of the stored data; exit 1 if any check fails."""
    from cxloop.governance.quality import run_table_checks

    results = run_table_checks(_store(ctx), settings_of(ctx))

    def table(rows: list[dict[str, Any]]) -> str:
        return "\n".join(
            f"{r['status']:<5} {r['check']:<32} {r['subject']:<28} {r['value']:>10.3f}  (warn > {r['threshold']:g})"
            for r in rows
        )

    emit(results, output_format, table)
    if any(r["status"] == "fail" for r in results):
        ctx.exit(1)


COMMANDS = (keys, audit, consent, retention, quality)
