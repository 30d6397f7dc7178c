"""Fixtures of the batch-engine tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from .reference import pysd_run


@pytest.fixture(scope="session")
def pysd_cache():
    """Memoise pysd runs keyed on (model, params) within the session."""
    cache: dict = {}

    def get(path: Path, params: dict | None = None) -> pd.DataFrame:
        key = (str(path), tuple(sorted((params or {}).items())))
        if key not in cache:
            cache[key] = pysd_run(path, params)
        return cache[key]

    return get
