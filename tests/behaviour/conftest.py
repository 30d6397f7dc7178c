"""Fixtures for the behaviour tests: the shipped model and its scenario runs (pysd)."""

from __future__ import annotations

import pytest
import xarray as xr

from gvc_upgrading import Model, load_model
from gvc_upgrading.scenarios import SINGLE_PATHS

__all__ = ["SCENARIOS", "SINGLE_PATHS"]

SCENARIOS = (
    "baseline",
    "market",
    "csr",
    "multi_stakeholder",
    "labour",
    "cluster",
    "public",
    "synergistic",
    "displacement",
)


@pytest.fixture(scope="session")
def model() -> Model:
    """The shipped model, loaded once."""
    return load_model()


@pytest.fixture(scope="session")
def runs(model: Model) -> dict[str, xr.Dataset]:
    """Every shipped scenario, simulated once with the reference (pysd) engine."""
    return {name: model.run(scenario=name) for name in SCENARIOS}
