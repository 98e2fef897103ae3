"""The topic taxonomy in use: the shipped file, or the team's edited copy in the data directory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from cxloop.config import Settings
from cxloop.text.topics import Taxonomy, TaxonomyError, load_taxonomy


def taxonomy_file(settings: Settings) -> Path:
    return settings.data_dir / "taxonomy.yaml"


def current_taxonomy(settings: Settings) -> Taxonomy:
    """The edited taxonomy when the team has saved one, else the shipped one."""
    path = taxonomy_file(settings)
    return load_taxonomy(path if path.exists() else None)


def parse_taxonomy_yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise TaxonomyError(f"the taxonomy is not valid YAML: {error}") from None


def save_taxonomy(settings: Settings, data: Any) -> Taxonomy:
    """Validate and save an edited taxonomy; the pipeline uses it from its next batch on.

    The file is replaced atomically, so a worker never reads half of it.
    """
    taxonomy = Taxonomy.from_dict(data)  # raises TaxonomyError naming the topic and field
    path = taxonomy_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(taxonomy.to_dict(), allow_unicode=True, sort_keys=False)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".taxonomy-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
    return load_taxonomy(path)
