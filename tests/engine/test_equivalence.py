"""The compiled engine reproduces pysd on small models covering every supported construct."""

from __future__ import annotations

import numpy as np
import pytest

from gvc_upgrading.engine import compile_model
from gvc_upgrading.errors import ParameterRangeError

from .reference import MODELS, assert_matches_pysd

CONSTRUCT_MODELS = [
    "arithmetic_logic",
    "time_functions",
    "stocks_initial",
    "smooths",
    "delays",
    "trend_lookups",
    "subscripts",
]


@pytest.mark.parametrize("name", CONSTRUCT_MODELS)
def test_defaults_match_pysd(name, pysd_cache):
    path = MODELS / f"{name}.mdl"
    result = compile_model(path).run()
    frame = pysd_cache(path)
    compared = assert_matches_pysd(result, frame)
    # every stock and auxiliary the engine returns is also checked
    assert compared == len(result.data_vars)


@pytest.mark.parametrize("name", CONSTRUCT_MODELS)
def test_random_parameter_sets_match_pysd(name, pysd_cache):
    path = MODELS / f"{name}.mdl"
    batch = compile_model(path)
    table = batch.parameters.dropna(subset=["lower", "upper"])
    if table.empty:
        pytest.skip("model has no bounded parameters")
    rng = np.random.default_rng(20240601)
    n = 2
    samples = {p: rng.uniform(row.lower, row.upper, size=n) for p, row in table.iterrows()}
    result = batch.run(samples)
    for run in range(n):
        params = {p: float(v[run]) for p, v in samples.items()}
        assert_matches_pysd(result, pysd_cache(path, params), run=run)
    for p, values in samples.items():
        np.testing.assert_array_equal(result[p].values, values)


def test_return_timestamps_and_final_time_match_pysd(pysd_cache):
    from .reference import pysd_run

    path = MODELS / "stocks_initial.mdl"
    batch = compile_model(path)
    stamps = [1996, 2000.5, 2003.25]
    result = batch.run(return_timestamps=stamps)
    np.testing.assert_array_equal(result.time.values, stamps)
    assert_matches_pysd(result, pysd_run(path, return_timestamps=stamps))
    shorter = batch.run(final_time=2001, time_step=0.25)
    assert_matches_pysd(shorter, pysd_run(path, final_time=2001, time_step=0.25))


def test_series_inputs_match_pysd():
    import pandas as pd

    from .reference import pysd_run

    path = MODELS / "trend_lookups.mdl"
    batch = compile_model(path)
    trend_time = pd.Series([2.0, 5.0, 3.0], index=[2000.0, 2004.0, 2010.0])
    table = pd.Series([0.1, 1.0, 1.5, 2.5], index=[0.0, 90.0, 160.0, 300.0])
    result = batch.run({"Trend time": trend_time, "Effect of demand lookup": table})
    frame = pysd_run(path, {"Trend time": trend_time, "Effect of demand lookup": table})
    assert_matches_pysd(result, frame)


def test_saveper_follows_a_time_step_override_as_in_pysd():
    from .reference import pysd_run

    path = MODELS / "delays.mdl"  # SAVEPER = TIME STEP
    result = compile_model(path).run(time_step=0.125, final_time=6)
    assert result.sizes["time"] == 49
    assert_matches_pysd(result, pysd_run(path, time_step=0.125, final_time=6))


def test_delay_order_lowered_per_run_as_in_pysd(pysd_cache):
    path = MODELS / "delays.mdl"
    short = [0.3, 0.6, 0.9]  # TIME STEP 0.25: pysd lowers DELAY3 to orders 1, 2 and 3
    result = compile_model(path).run({"Short delay": short})
    for run, value in enumerate(short):
        assert_matches_pysd(result, pysd_cache(path, {"Short delay": value}), run=run)
    with pytest.raises(ParameterRangeError, match="shorter than TIME STEP"):
        compile_model(path).run({"Short delay": [0.5, 0.2]}, check_bounds=False)
