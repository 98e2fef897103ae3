"""Plain helpers tests import directly. They live here, not in conftest.py: several folders have
their own conftest.py, and `from conftest import ...` would resolve to whichever was loaded first."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from cxloop.domain import TokenScope
from cxloop.store.engine import Store

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def make_token(store: Store, *scopes: TokenScope) -> dict[str, str]:
    """Authorization headers for a fresh API token with these scopes."""
    from cxloop.access import create_token

    secret = create_token(store, f"test-{uuid.uuid4().hex[:6]}", frozenset(scopes), created_by="tests")
    return {"Authorization": f"Bearer {secret}"}


def require_shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or a skip with the reason when this machine lacks it."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared/data/{'/'.join(parts)}, which is absent on this machine")
    return path
