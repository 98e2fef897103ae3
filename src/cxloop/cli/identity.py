"""Identity resolution on files: which rows of a person file are the same person."""

from __future__ import annotations

import csv
from pathlib import Path

import click


@click.group()
def identity() -> None:
    """Identity resolution: link person records to one customer."""


@identity.command("resolve")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--map", "mappings", multiple=True, metavar="SRC=DST", help="Read column SRC as field DST.")
@click.option("--id-column", default="record_id", show_default=True, help="The column with each row's id.")
@click.option("--deterministic-only", is_flag=True, help="Link on shared identifiers only (no Splink).")
@click.option("--upper", type=float, default=0.95, show_default=True, help="Match probability that links.")
@click.option("--lower", type=float, default=0.6, show_default=True, help="Match probability that asks for review.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="CSV to write.")
def resolve_file(
    file: Path,
    mappings: tuple[str, ...],
    id_column: str,
    deterministic_only: bool,
    upper: float,
    lower: float,
    output: Path,
) -> None:
    """Resolve the person rows of a CSV, TSV, JSONL or XLSX FILE; write record_id,cluster_id to OUTPUT.

    Fields: first_name, last_name, full_name, birth_date, email, phone, address, city, postcode,
    gender, national_id, source, external_id. Columns with these names are read as they are."""
    from cxloop.errors import InvalidInput
    from cxloop.identity.person import FIELDS
    from cxloop.identity.resolve import MatchThresholds, resolve

    columns, rows = read_table_checked(file)
    renames: dict[str, str] = {}
    for mapping in mappings:
        source, sep, target = mapping.partition("=")
        if not sep or not source or not target:
            raise InvalidInput(f"--map {mapping!r} must be SOURCE=FIELD")
        if source not in columns:
            raise InvalidInput(
                f"--map names no column {source!r}; the columns are: {', '.join(c for c in columns if c)}"
            )
        if target not in FIELDS:
            raise InvalidInput(f"--map target {target!r} is not a field; fields: {', '.join(FIELDS)}")
        renames[source] = target
    if id_column not in columns:
        raise InvalidInput(f"no id column {id_column!r}; the columns are: {', '.join(c for c in columns if c)}")
    if not rows:
        raise InvalidInput("the file has a header but no rows")
    records = []
    for row in rows:
        record = {k: v for k, v in row.items() if k not in renames}
        record.update({target: row.get(source) for source, target in renames.items()})
        record[id_column] = row[id_column]
        records.append(record)
    # Hashes of national ids live only during this run, so the policy's random per-run key suits.
    result = resolve(
        records,
        id_field=id_column,
        thresholds=MatchThresholds(upper=upper, lower=lower),
        probabilistic=not deterministic_only,
    )
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "cluster_id"])
        writer.writerows(result.cluster_of.items())
    clusters = len(set(result.cluster_of.values()))
    click.echo(
        f"{len(records):,} records → {clusters:,} clusters; {len(result.review):,} pairs for review; "
        f"{len(result.flagged):,} records with unreadable values; written to {output}",
        err=True,
    )


def read_table_checked(file: Path) -> tuple[list[str], list[dict[str, object]]]:
    from cxloop.client import read_file
    from cxloop.ingest.files import read_table

    return read_table(read_file(file), file.name)


COMMANDS = (identity,)
