"""Fixtures of the model tests: a small Vensim model and scenarios of our own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gvc_upgrading import Model, load_model

from .paths import TINY_MODEL, TINY_SCENARIOS


@pytest.fixture(scope="session")
def tiny_model() -> Model:
    """The fixture model: capability (logistic learning, linear erosion) and export orders."""
    return load_model(TINY_MODEL)


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture scenarios."""
    target = tmp_path / "scenarios"
    shutil.copytree(TINY_SCENARIOS, target)
    return target


@pytest.fixture(scope="session")
def shipped_model() -> Model:
    """The shipped model, ``models/gvc_upgrading.mdl``."""
    return load_model()
