"""Fixtures for the behaviour tests: the shipped model and its scenario runs (pysd)."""

from __future__ import annotations

import pytest
import xarray as xr

from gvc_upgrading import Model, load_model
from gvc_upgrading.scenarios import BASELINE, COMBINED, SINGLE_PATHS

__all__ = ["SCENARIOS", "SINGLE_PATHS"]

#: Every shipped scenario: the baseline, the six paths, their combination and displacement.
SCENARIOS = (BASELINE, *SINGLE_PATHS, COMBINED, "displacement")


@pytest.fixture(scope="session")
def model() -> Model:
    """The shipped model, loaded once."""
    return load_model()


@pytest.fixture(scope="session")
def runs(model: Model) -> dict[str, xr.Dataset]:
    """Every shipped scenario, simulated once with the reference (pysd) engine."""
    return {name: model.run(scenario=name) for name in SCENARIOS}
