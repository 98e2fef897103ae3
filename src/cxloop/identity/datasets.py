"""Readers of the public person data sets used to measure identity resolution (FEBRL, fake_1000).

Each returns (records with canonical field names, truth: record id → true entity).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


def read_febrl(path: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """FEBRL: `rec_id` is `rec-N-org` or `rec-N-dup-k`; N is the entity. The social security number
    is read as the national id (it is hashed like one, and has typos in some duplicates)."""
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for raw in csv.DictReader(handle, skipinitialspace=True):
            row = {k.strip(): (v or "").strip() for k, v in raw.items()}
            address = " ".join(x for x in (row["street_number"], row["address_1"], row["address_2"]) if x)
            records.append(
                {
                    "record_id": row["rec_id"],
                    "first_name": row["given_name"],
                    "last_name": row["surname"],
                    "address": address,
                    "city": row["suburb"],
                    "postcode": row["postcode"],
                    "birth_date": row["date_of_birth"],
                    "national_id": row["soc_sec_id"],
                }
            )
    return records, {r["record_id"]: r["record_id"].split("-")[1] for r in records}


def read_fake_1000(path: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Splink's fake_1000: `cluster` is the truth."""
    records: list[dict[str, Any]] = []
    truth: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            records.append(
                {
                    "record_id": row["unique_id"],
                    "first_name": row["first_name"],
                    "last_name": row["surname"],
                    "birth_date": row["dob"],
                    "city": row["city"],
                    "email": row["email"],
                }
            )
            truth[row["unique_id"]] = row["cluster"]
    return records, truth
