"""Control variables that change during the run, as pysd re-evaluates them at every step.

FINAL TIME, TIME STEP and SAVEPER may depend on ``Time`` or on a stock
(``FINAL TIME = IF THEN ELSE(Crossed > 0, Time, 30)``), and INITIAL TIME on
``Time``. Each run then follows its own clock: runs end at different times,
take different steps and save at different times. The engine returns the
union of the saved times, NaN where a run saves nothing; each run must equal
pysd's run with the same parameters on every variable and every saved time.
"""

from __future__ import annotations

import numpy as np
import pytest

from gvc_upgrading.engine import compile_model
from gvc_upgrading.errors import SimulationError, SpecError

from .reference import MODELS, assert_matches_pysd, write_model

CASES = {
    "changing_final_time": {"growth": [0.1, 0.25, 0.07, 0.1], "target": [20.0, 30.0, 15.0, 39.0]},
    "changing_time_step": {"switch time": [2.5, 1.5, 3.7], "speed": [1.0, 2.0, 0.6]},
    "changing_saveper": {"coarse from": [4.0, 2.2, 5.9], "decay": [0.3, 0.1, 0.5]},
    "changing_initial_time": {"start": [1.0, 0.6, 1.35]},
}


def _own_times(result, run: int):
    """Run ``run`` of ``result`` at the times it saved (its own grid)."""
    own = result.isel(run=[run])
    saved = np.isfinite(own[next(iter(own.data_vars))].values[0])
    return own.isel(time=np.flatnonzero(saved))


@pytest.mark.parametrize("name", list(CASES))
def test_each_run_equals_pysd_on_its_own_times(name, pysd_cache):
    path = MODELS / f"{name}.mdl"
    samples = CASES[name]
    batch = compile_model(path)
    result = batch.run(samples or None, n=None if samples else 1, return_columns="all")
    n = result.sizes["run"]
    grids = []
    for run in range(n):
        params = {k: v[run] for k, v in samples.items()}
        frame = pysd_cache(path, params)
        own = _own_times(result, run)
        # every variable the engine returns is one pysd returns, compared at every saved time
        assert assert_matches_pysd(own, frame) == len(result.data_vars)
        grids.append(tuple(own["time"].values))
    if n > 1:  # the parameters move the grid: the union holds times some runs lack
        assert len(set(grids)) == n
        assert len(result["time"]) > min(len(g) for g in grids)


def test_runs_end_where_their_stock_crosses_the_target():
    """FINAL TIME = Time once the stock has passed the target: each run stops there."""
    batch = compile_model(MODELS / "changing_final_time.mdl")
    samples = CASES["changing_final_time"]
    result = batch.run(samples)
    for run, (growth, target) in enumerate(zip(samples["growth"], samples["target"], strict=True)):
        # the Euler path of the stock: the first step time at which it exceeds the target
        stock, time = 10.0, 0.0
        while not stock > target:
            stock += growth * stock * 0.25
            time += 0.25
        own = _own_times(result, run)
        # saved every SAVEPER = 1 up to the end, which is saved only if on that grid
        expected = np.arange(0.0, np.floor(time) + 1)
        np.testing.assert_allclose(own["time"].values, expected)


def test_time_step_changes_the_steps_each_run_takes():
    batch = compile_model(MODELS / "changing_time_step.mdl")
    result = batch.run(CASES["changing_time_step"], return_columns=["TIME STEP", "Level"])
    for run, switch in enumerate(CASES["changing_time_step"]["switch time"]):
        own = _own_times(result, run)
        times = own["time"].values
        steps = np.diff(times)
        # SAVEPER = TIME STEP: every step is saved, and each step is the TIME STEP of its start
        np.testing.assert_allclose(steps, own["TIME STEP"].values[0][:-1])
        assert set(np.round(steps[times[:-1] < switch], 9)) == {0.5}
        assert set(np.round(steps[times[:-1] >= switch + 0.5], 9)) <= {0.25, 0.125}


def test_chunks_and_schedulers_give_the_same_runs(pysd_cache):
    path = MODELS / "changing_time_step.mdl"
    batch = compile_model(path)
    samples = CASES["changing_time_step"]
    whole = batch.run(samples, return_columns="all")
    for options in ({"chunk_size": 1}, {"chunk_size": 2, "scheduler": "threads"}):
        chunked = batch.run(samples, return_columns="all", **options)
        np.testing.assert_array_equal(whole["time"].values, chunked["time"].values)
        for name in whole.data_vars:
            np.testing.assert_array_equal(whole[name].values, chunked[name].values)


def test_return_timestamps_follow_pysd(pysd_cache):
    path = MODELS / "changing_saveper.mdl"
    from .reference import pysd_run

    stamps = [0.5, 1.0, 2.25, 6.0]
    result = compile_model(path).run(return_columns="all", return_timestamps=stamps)
    assert_matches_pysd(result, pysd_run(path, return_timestamps=stamps))


def test_overriding_a_changing_control_fixes_it(pysd_cache):
    """final_time= and time_step= replace the model's equation, as in pysd."""
    from .reference import pysd_run

    path = MODELS / "changing_final_time.mdl"
    result = compile_model(path).run(return_columns="all", final_time=5.0)
    assert_matches_pysd(result, pysd_run(path, final_time=5.0))
    assert result["time"].values[-1] == 5.0
    path = MODELS / "changing_initial_time.mdl"
    result = compile_model(path).run(return_columns="all", time_step=0.125)
    assert_matches_pysd(result, pysd_run(path, time_step=0.125))


def test_a_time_step_that_stops_being_positive_is_named(tmp_path):
    path = write_model(
        tmp_path,
        "Stock = INTEG(-1, 3) ~ dmnl ~ |",
        step="IF THEN ELSE(Time < 2, 0.5, 0)",
        saveper=1,
    )
    with pytest.raises(SimulationError, match=r"TIME STEP of run 0 is 0\.0 at time 2;"):
        compile_model(path).run()


def test_non_finite_values_name_variable_run_and_time(tmp_path):
    path = write_model(
        tmp_path,
        "d = 1 ~ dmnl [0,2] ~ |\nx = 1 / (d - Time) ~ dmnl ~ |",
        final="IF THEN ELSE(Time > 3, Time, 10)",
        step=0.5,
    )
    batch = compile_model(path)
    with pytest.raises(SimulationError, match=r"'x' in run 1 at time 2"):
        batch.run({"d": [1.2, 2.0]})
    with pytest.warns(RuntimeWarning, match=r"'x' in run 1 at time 2"):
        carried = batch.run({"d": [1.2, 2.0]}, on_nonfinite="warn")
    assert np.isinf(carried["x"].sel(time=2.0).values[1])


def test_changing_controls_cannot_stream_to_a_file(tmp_path):
    batch = compile_model(MODELS / "changing_final_time.mdl")
    with pytest.raises(SpecError, match="change during the run"):
        batch.run(out=tmp_path / "runs.nc")


def test_the_end_allows_for_rounding_of_the_clock(tmp_path):
    """0.1 added ten times is just below 1: pysd's 1e-5 × TIME STEP margin ends the run there."""
    from .reference import pysd_run

    path = write_model(
        tmp_path,
        "Stock = INTEG(1, 0) ~ dmnl ~ |",
        final="IF THEN ELSE(Time > 0.45, 1, 2)",
        step=0.1,
    )
    result = compile_model(path).run(return_columns="all")
    assert_matches_pysd(result, pysd_run(path))
    assert result["time"].values[-1] == 1.0


def test_data_read_from_files_follows_each_run_clock(tmp_path, pysd_cache):
    """GET DIRECT DATA at times that differ between runs (a TIME STEP set by a stock)."""
    import shutil

    for name in ("data.csv", "data2.csv"):
        shutil.copy(MODELS / "constructs" / name, tmp_path / name)
    path = write_model(
        tmp_path,
        "R: r1, r2 ~~|\n"
        "d[R] := GET DIRECT DATA('data2.csv', ',', 'A', 'B2') ~ dmnl ~ |\n"
        "h := GET DIRECT DATA('data.csv', ',', 'A', 'B2') ~~ :HOLD BACKWARD: |\n"
        "speed = 1 ~ dmnl [0.5,2] ~ |\n"
        "Level = INTEG(speed, 0) ~ dmnl ~ |\n"
        "x[R] = d[R] * 2 + h + Level ~ dmnl ~ |",
        final=4,
        step="IF THEN ELSE(Level < 1.5, 0.5, 0.25)",
    )
    speeds = [1.0, 2.0, 0.7]
    result = compile_model(path).run({"speed": speeds}, return_columns="all")
    for run, speed in enumerate(speeds):
        assert_matches_pysd(_own_times(result, run), pysd_cache(path, {"speed": speed}))


def test_a_return_timestamp_off_a_run_clock_is_skipped_with_a_warning(pysd_cache):
    """As pysd: 1.1 is not on the 0.5 then 0.25 clock; the run has no value there."""
    from .reference import pysd_run

    path = MODELS / "changing_initial_time.mdl"
    with pytest.warns(UserWarning, match=r"return timestamp 1\.1 is not on the clock of run 0"):
        result = compile_model(path).run(return_columns="all", return_timestamps=[2.5, 1.1, 3])
    assert_matches_pysd(result, pysd_run(path, return_timestamps=[2.5, 1.1, 3.0]))
    np.testing.assert_array_equal(result["time"].values, [2.5, 3.0])


def test_a_control_computed_with_functions_of_constants_follows_each_run(tmp_path, pysd_cache):
    """FINAL TIME = MAX(horizon, 3): no Time, but a function the grid grouping cannot read."""
    path = write_model(
        tmp_path,
        "horizon = 4 ~ Year [2,6] ~ |\nStock = INTEG(Stock * 0.1, 1) ~ dmnl ~ |",
        final="MAX(horizon, 3)",
        step=0.5,
    )
    horizons = [2.0, 4.5, 5.0]
    result = compile_model(path).run({"horizon": horizons}, return_columns="all")
    for run, horizon in enumerate(horizons):
        own = _own_times(result, run)
        assert_matches_pysd(own, pysd_cache(path, {"horizon": horizon}))
        assert own["time"].values[-1] == max(horizon, 3)


def test_fixed_controls_that_differ_between_runs_join_a_changing_one(tmp_path, pysd_cache):
    """TIME STEP and SAVEPER sampled per run, FINAL TIME on a stock: one pass, as pysd."""
    path = write_model(
        tmp_path,
        "save every = 0.5 ~ Year [0.25,1] ~ |\n"
        "step size = 0.25 ~ Year [0.125,0.5] ~ |\n"
        "Stock = INTEG(0.2 * Stock, 1) ~ dmnl ~ |",
        final="IF THEN ELSE(Stock > 2, Time, 10)",
        step="step size",
        saveper="save every",
    )
    samples = {"save every": [0.5, 0.25, 1.0], "step size": [0.25, 0.125, 0.5]}
    result = compile_model(path).run(samples, return_columns="all")
    np.testing.assert_array_equal(result["TIME STEP"].values, samples["step size"])
    np.testing.assert_array_equal(result["SAVEPER"].values, samples["save every"])
    for run in range(3):
        params = {name: values[run] for name, values in samples.items()}
        assert_matches_pysd(_own_times(result, run), pysd_cache(path, params))
