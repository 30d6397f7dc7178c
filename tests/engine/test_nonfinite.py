"""Non-finite values follow ``on_nonfinite``; ``return_columns="all"`` returns constants too."""

from __future__ import annotations

import numpy as np
import pytest

from gvc_upgrading.engine import compile_model
from gvc_upgrading.errors import SimulationError, SpecError

from .reference import MODELS

MODEL = MODELS / "constructs" / "non_finite.mdl"  # y = LN(Time - 1): NaN before time 1


@pytest.fixture(scope="module")
def batch():
    return compile_model(MODEL)


def test_default_stops_naming_variable_run_and_time(batch):
    with pytest.raises(SimulationError, match=r"'y' in run 0 at time 0\b"):
        batch.run()


def test_warn_names_the_first_non_finite_value_and_carries_on(batch):
    with pytest.warns(RuntimeWarning, match=r"non-finite value of 'y' in run 0 at time 0\b"):
        result = batch.run(on_nonfinite="warn")
    y = result["y"].isel(run=0).values
    assert np.isnan(y[0]) and np.isfinite(y[-1])
    assert np.isinf(result["x"].isel(run=0).values[-1])


def test_ignore_is_silent(batch, recwarn):
    result = batch.run(on_nonfinite="ignore", return_columns=["y"])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    assert np.isnan(result["y"].values).any()


def test_unknown_option_is_refused_before_running(batch):
    with pytest.raises(SpecError, match="on_nonfinite must be one of"):
        batch.run(on_nonfinite="skip")


def test_all_columns_include_constants(batch):
    default = batch.run(return_columns=None, on_nonfinite="ignore")
    everything = batch.run(return_columns="all", on_nonfinite="ignore")
    assert "a" not in default and "a" in everything
    assert set(default.data_vars) < set(everything.data_vars)
    np.testing.assert_array_equal(everything["a"].values, 2.0)
