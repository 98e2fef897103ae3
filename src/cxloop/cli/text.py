"""Text analytics on files: analyze, supervised classifiers, trends and emerging issues."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from cxloop.cli._common import FORMAT, emit, settings_of


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--text-column", default="text", show_default=True)
@click.option("--id-column", default="id", show_default=True, help="Copied to the output when present.")
@click.option("--format", "output_format", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: standard output.")
@click.pass_context
def analyze(
    ctx: click.Context, file: Path, text_column: str, id_column: str, output_format: str, output: Path | None
) -> None:
    """Analyze the texts of a CSV, TSV, JSONL or XLSX FILE: one JSON object per row, in input order."""
    from cxloop.client import read_file
    from cxloop.errors import InvalidInput
    from cxloop.ingest.files import read_table
    from cxloop.jobs.taxonomy import current_taxonomy
    from cxloop.jobs.text_stages import text_analyzer

    columns, rows = read_table(read_file(file), file.name)
    if text_column not in columns:
        raise InvalidInput(f"no column {text_column!r}; the columns are: {', '.join(c for c in columns if c)}")
    analyzer = text_analyzer(current_taxonomy(settings_of(ctx)))
    sink = output.open("w", encoding="utf-8") if output else None
    try:
        for start in range(0, len(rows), 2000):
            chunk = rows[start : start + 2000]
            texts = [
                value if isinstance(value := row.get(text_column), str) else "" if value is None else str(value)
                for row in chunk
            ]
            for row, analysis in zip(chunk, analyzer.analyze_batch(texts), strict=True):
                record = {"id": row[id_column]} if row.get(id_column) not in (None, "") else {}
                record.update(analysis.to_dict())
                line = orjson.dumps(record, default=str).decode()
                click.echo(line, file=sink)
    finally:
        if sink:
            sink.close()


@click.group()
def classify() -> None:
    """Supervised text classifiers trained on your own labelled history."""


@classify.command("train")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--text-column", required=True)
@click.option("--label-column", required=True)
@click.option("--model", "name", required=True, help="Name to save the model under (letters, digits, - and _).")
@click.option(
    "--sentence-encoder/--no-sentence-encoder",
    default=True,
    show_default=True,
    help="For English texts, also read them with the bundled sentence encoder: about a point more accurate on "
    "intents, but training takes ~10 s more per 10,000 rows and prediction is several times slower.",
)
@FORMAT
@click.pass_context
def classify_train(
    ctx: click.Context,
    file: Path,
    text_column: str,
    label_column: str,
    name: str,
    sentence_encoder: bool,
    output_format: str,
) -> None:
    """Train on FILE, report per-label precision and recall on a held-out split, and save the model."""
    from cxloop.client import read_file
    from cxloop.jobs.classifiers import model_directory, read_labelled, save_model
    from cxloop.text.classifier import train_classifier

    settings = settings_of(ctx)
    model_directory(settings.data_dir, name)  # refuse a bad name before spending time on training
    rows = read_labelled(read_file(file), file.name, text_column, label_column)
    model, report = train_classifier(rows.texts, rows.labels, sentence_encoder=sentence_encoder)
    where = save_model(model, settings.data_dir, name)

    def table(r: dict[str, Any]) -> str:
        lines = [
            f"model {name!r} saved in {where}",
            f"held-out accuracy {r['accuracy']:.3f} on {r['n_test']:,} rows (trained on {r['n_train']:,}), "
            f"{r['seconds']:.1f} s",
            f"{'label':<32} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}",
        ]
        for label, m in sorted(r["per_label"].items()):
            lines.append(
                f"{label[:32]:<32} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>6.3f} {int(m['support']):>8}"
            )
        return "\n".join(lines)

    emit(report.to_dict(), output_format, table)


@classify.command("predict")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--text-column", required=True)
@click.option("--model", "name", required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: standard output.")
@click.pass_context
def classify_predict(ctx: click.Context, file: Path, text_column: str, name: str, output: Path | None) -> None:
    """Write one JSON line per row of FILE, in input order: {"label", "score", "top"}."""
    from cxloop.client import read_file
    from cxloop.jobs.classifiers import load_model, read_texts, write_predictions

    model = load_model(settings_of(ctx).data_dir, name)
    predictions = model.predict(read_texts(read_file(file), file.name, text_column))
    if output is None:
        write_predictions(predictions, sys.stdout.buffer)
    else:
        with output.open("wb") as handle:
            write_predictions(predictions, handle)


@classify.command("list")
@FORMAT
@click.pass_context
def classify_list(ctx: click.Context, output_format: str) -> None:
    """Saved classifiers."""
    from dataclasses import asdict as as_dict

    from cxloop.jobs.classifiers import list_models

    models = [as_dict(m) for m in list_models(settings_of(ctx).data_dir)]
    emit(models, output_format, lambda rows: "\n".join(str(r) for r in rows) or "no classifiers yet")


@click.group()
def trends() -> None:
    """Topic trends and emerging issues."""


@trends.command("detect")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="First local day to check.")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last local day (default: newest data).")
@click.pass_context
def trends_detect(ctx: click.Context, since: Any, until: Any) -> None:
    """Detect topic and keyword spikes and new phrases, day by day, and record them."""
    from datetime import timedelta

    from cxloop.client import running_server
    from cxloop.jobs.emerging import detect_days, detect_recent, newest_local_day
    from cxloop.store.engine import Store

    settings = settings_of(ctx)
    if running_server(settings) is not None:
        raise click.UsageError("the running server detects emerging issues itself; stop it to backfill")
    store = Store(settings.resolved_database_url)
    store.check_available()
    offset = settings.business_utc_offset_minutes
    if since is None:
        found = detect_recent(store, offset_minutes=offset)
    else:
        first = since.date()
        last = until.date() if until else (newest_local_day(store, offset_minutes=offset) or first)
        found = detect_days(
            store, [first + timedelta(days=i) for i in range((last - first).days + 1)], offset_minutes=offset
        )
    for issue in found:
        click.echo(
            f"{issue['day']} {issue['kind']:<14} {issue['subject']:<24} {issue['observed']} vs {issue['expected']:.1f}"
        )
    click.echo(f"{len(found)} emerging issue(s) recorded")


COMMANDS = (analyze, classify, trends)
