"""Shared test configuration: an isolated translation cache for the whole session."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep pysd translations made by the tests out of the user's cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("GVC_UPGRADING_CACHE", str(tmp_path_factory.mktemp("translation-cache")))
    yield
    mp.undo()
