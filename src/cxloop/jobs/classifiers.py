"""Files in and out of the text classifier, and where trained classifiers live in the data directory.

Models live in ``<data_dir>/models/classifiers/<name>/``, one directory per name, written by
``TextClassifier.save``. Input is a CSV, TSV or JSONL file (UTF-8 with or without BOM, or CP949 as
Korean Excel exports it); predictions go out as JSON Lines in input order.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from cxloop.errors import InvalidInput, NotFound
from cxloop.ingest.files import read_table
from cxloop.text.classifier import MODEL_FILE, Prediction, TextClassifier

__all__ = [
    "LabelledRows",
    "ModelSummary",
    "cached_model",
    "list_models",
    "load_model",
    "model_directory",
    "read_labelled",
    "read_texts",
    "save_model",
    "write_predictions",
]

_MODEL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True)
class LabelledRows:
    """Texts and labels read from a file; rows without a label are left out and counted."""

    texts: list[str]
    labels: list[str]
    skipped_unlabelled: int


@dataclass(frozen=True, slots=True)
class ModelSummary:
    name: str
    path: Path
    labels: int
    accuracy: float | None
    trained_at: str | None


# -- where models live ---------------------------------------------------------------------------


def model_directory(data_dir: Path, name: str) -> Path:
    """``<data_dir>/models/classifiers/<name>``; InvalidInput for a name that is not a safe file name."""
    if not isinstance(name, str) or not _MODEL_NAME.fullmatch(name):
        raise InvalidInput(
            f"model name {name!r} is not allowed: use 1–64 letters, digits, '-' or '_' (e.g. 'intents-2024')"
        )
    return data_dir / "models" / "classifiers" / name


def save_model(model: TextClassifier, data_dir: Path, name: str) -> Path:
    directory = model_directory(data_dir, name)
    model.save(directory)
    return directory


def load_model(data_dir: Path, name: str) -> TextClassifier:
    """The classifier saved under ``name``; NotFound (listing the ones there are) if there is none."""
    directory = model_directory(data_dir, name)
    if not (directory / MODEL_FILE).is_file():
        known = ", ".join(m.name for m in list_models(data_dir)) or "none yet"
        raise NotFound(f"no classifier named {name!r}; trained classifiers: {known}")
    return TextClassifier.load(directory)


def cached_model(data_dir: Path, name: str) -> TextClassifier:
    """``load_model`` for a pipeline stage that runs every batch: loaded once, and again only after
    the model is retrained (its ``model.json`` changed)."""
    directory = model_directory(data_dir, name)
    try:
        status = (directory / MODEL_FILE).stat()
    except OSError:
        return load_model(data_dir, name)  # raises NotFound with the names there are
    # save() replaces model.json last, by rename: a new inode and mtime mean a new model.
    return _load_stamped(data_dir, name, (status.st_ino, status.st_mtime_ns))


@functools.lru_cache(maxsize=8)
def _load_stamped(data_dir: Path, name: str, stamp: tuple[int, int]) -> TextClassifier:
    return load_model(data_dir, name)


def list_models(data_dir: Path) -> list[ModelSummary]:
    """Every saved classifier, by name, with its label count and held-out accuracy."""
    root = data_dir / "models" / "classifiers"
    if not root.is_dir():
        return []
    summaries = []
    for directory in sorted(p for p in root.iterdir() if p.is_dir() and _MODEL_NAME.fullmatch(p.name)):
        try:
            meta = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a half-written or foreign directory is not a model
        accuracy = meta.get("report", {}).get("accuracy")
        summaries.append(
            ModelSummary(directory.name, directory, len(meta.get("labels", [])), accuracy, meta.get("trained_at"))
        )
    return summaries


# -- reading -------------------------------------------------------------------------------------


def read_labelled(data: bytes, file_name: str, text_column: str, label_column: str) -> LabelledRows:
    """(text, label) pairs of a training file. Rows whose label cell is empty are skipped."""
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    for record in _records(data, file_name, (text_column, label_column)):
        label = _cell(record[1])
        if not label.strip():
            skipped += 1
            continue
        texts.append(_cell(record[0]))
        labels.append(label.strip())
    if not labels:
        raise InvalidInput(f"no row of the file has a label in column {label_column!r}")
    return LabelledRows(texts, labels, skipped)


def read_texts(data: bytes, file_name: str, text_column: str) -> list[str]:
    """The text column of every row, in file order (an empty cell is an empty text)."""
    return [_cell(record[0]) for record in _records(data, file_name, (text_column,))]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _records(data: bytes, file_name: str, wanted: Sequence[str]) -> Iterator[list[Any]]:
    columns, rows = read_table(data, file_name)
    if not rows:
        raise InvalidInput("the file has a header row but no data rows")
    keys = _find_columns(columns, wanted)
    for row in rows:
        yield [row.get(key) for key in keys]


def _find_columns(columns: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """Each wanted column as it is spelled in the file: exact, else ignoring case and outer spaces."""
    found = []
    folded = {c.strip().lower(): c for c in reversed(columns)}
    for name in wanted:
        if name in columns:
            found.append(name)
        elif name.strip().lower() in folded:
            found.append(folded[name.strip().lower()])
        else:
            shown = ", ".join(repr(c) for c in columns) or "none"
            raise InvalidInput(
                f"the file has no column {name!r}; its columns are: {shown}",
                details={"missing_column": name, "columns": list(columns)},
            )
    return found


# -- writing -------------------------------------------------------------------------------------


def write_predictions(predictions: Iterable[Prediction], handle: BinaryIO) -> int:
    """One JSON object per line, ``{"label", "score", "top": [[label, score], ...]}``, in input order."""
    count = 0
    for prediction in predictions:
        handle.write(orjson.dumps(prediction.to_dict()) + b"\n")
        count += 1
    return count
