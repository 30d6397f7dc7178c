"""Predictive bands, identifiability status, drivers, constraints, and reading results back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gvc_upgrading.calibration import CalibrationResult, Objective, calibrate, load_case
from gvc_upgrading.calibration.bands import predictive_band
from gvc_upgrading.errors import SpecError, UnknownVariableError

from .conftest import CASE_TOML, TRUTH, AnalyticSimulator, synthetic_rows, write_case


def test_ninety_percent_predictive_band_covers_about_ninety_percent_of_the_holdout(
    tmp_path, analytic
):
    """Data drawn from the error model: hold-out coverage of the 90% band is near 90%."""
    inside, total = 0, 0
    for seed in range(8):
        rows = synthetic_rows(analytic, TRUTH, np.random.default_rng(100 + seed))
        folder = write_case(tmp_path / f"c{seed}", rows)
        result = calibrate(
            folder,
            simulator=AnalyticSimulator(),
            holdout_from=2017,
            n_starts=2,
            bootstrap=20,
            profile=False,
            seed=seed,
        )
        held = result.statistics[result.statistics["sample"] == "holdout"]
        inside += float((held["coverage"] * held["n"]).sum())
        total += int(held["n"].sum())
    share = inside / total
    # 8 fits x 16 hold-out points; binomial(128, 0.9) lies in [0.83, 0.96] 99% of the time
    # (points within a fit are correlated through its parameters, so allow a bit more)
    assert 0.78 <= share <= 0.99, share


def test_band_widens_with_parameter_uncertainty(synthetic_case):
    objective = Objective(load_case(synthetic_case), AnalyticSimulator(), holdout_from=2017)
    theta = np.array([[0.25, 40.0, 0.06]])
    fitted = objective.predict_levels(theta)[0]
    rng = np.random.default_rng(0)
    low0, high0 = predictive_band(objective, fitted, np.empty((0, 3)), level=0.9, rng=rng)
    spread = theta + np.array([[0.05, 8.0, 0.01]]) * np.random.default_rng(1).standard_normal(
        (40, 3)
    )
    low1, high1 = predictive_band(objective, fitted, spread, level=0.9, rng=rng)
    assert np.all(high0 > fitted) and np.all(low0 < fitted)
    assert np.mean(high1 - low1) > 1.2 * np.mean(high0 - low0)


def test_status_flags_a_parameter_that_moves_no_target(tmp_path, analytic):
    rows = synthetic_rows(analytic, TRUTH, np.random.default_rng(0))
    text = CASE_TOML + '\n[free."Shock"]\nlower = 0.0\nupper = 1.0\ninitial = 0.5\n'
    result = calibrate(
        write_case(tmp_path / "c", rows, text), simulator=AnalyticSimulator(), n_starts=2
    )
    status = dict(zip(result.parameter_names, result.status, strict=True))
    assert status["Shock"] == "moves no target"
    assert status["Wage growth"] == "identifiable"
    assert result.intervals.loc["Shock", "status"] == "moves no target"


def test_status_of_an_estimate_pushed_onto_its_bound(tmp_path, analytic):
    rows = synthetic_rows(analytic, TRUTH, np.random.default_rng(0))
    text = CASE_TOML.replace(
        '[free."Wage growth"]\nlower = 0.0\nupper = 0.15',
        '[free."Wage growth"]\nlower = 0.0\nupper = 0.04',
    )
    result = calibrate(
        write_case(tmp_path / "c", rows, text), simulator=AnalyticSimulator(), n_starts=2
    )
    status = dict(zip(result.parameter_names, result.status, strict=True))
    assert result.estimates["Wage growth"] == pytest.approx(0.04)
    assert status["Wage growth"] == "on bound, pushed there by the data"


DRIVER = """
[[inputs.drivers]]
input = "{input}"
data = "price_index"
base_year = 2000
"""


def _driver_rows(analytic):
    rows = synthetic_rows(analytic, TRUTH, np.random.default_rng(0))
    prices = pd.DataFrame(
        dict(
            variable="price_index",
            year=[1995, 2000, 2010, 2030],
            value=[80.0, 100.0, 150.0, 150.0],
            unit="index",
            verified=["yes", "yes", "no", "no"],
            source="test",
        )
    )
    return pd.concat([rows, prices], ignore_index=True)


def test_driver_feeds_an_index_normalised_at_its_base_year(tmp_path, analytic):
    folder = write_case(
        tmp_path / "d", _driver_rows(analytic), CASE_TOML + DRIVER.format(input="Price index")
    )
    objective = Objective(load_case(folder), AnalyticSimulator())
    series = objective.inputs["Price index"]
    assert series.loc[2000.0] == pytest.approx(1.0)
    assert series.loc[2005.0] == pytest.approx(1.25)
    assert objective.drivers_used == ("Price index",) and objective.drivers_ignored == ()
    theta = np.array([[0.25, 40.0, 0.06]])
    wage = objective.predict_levels(theta)[0][objective.observations.target == "wage"]
    years = objective.observations.time[objective.observations.target == "wage"]
    plain = 30.0 * np.exp(0.06 * (years - 1995))
    expected = np.interp(years, [1995, 2000, 2010], [0.8, 1.0, 1.5])
    np.testing.assert_allclose(wage / plain, expected, rtol=1e-9)


def test_driver_for_an_input_the_model_lacks_is_ignored_and_reported(tmp_path, analytic):
    folder = write_case(
        tmp_path / "d", _driver_rows(analytic), CASE_TOML + DRIVER.format(input="Not an input")
    )
    result = calibrate(folder, simulator=AnalyticSimulator(), n_starts=2, profile=False)
    assert result.diagnostics["drivers_ignored"] == ["Not an input"]
    assert "Not an input" not in result.params


def test_driver_with_missing_data_is_refused(tmp_path, analytic):
    text = CASE_TOML + DRIVER.format(input="Price index").replace("price_index", "nothing")
    folder = write_case(tmp_path / "d", _driver_rows(analytic), text)
    with pytest.raises(SpecError, match="driver for 'Price index' uses data variable 'nothing'"):
        load_case(folder)


CONSTRAINT = """
[[constraints]]
name = "wage at most 150"
left = "Wage"
op = "<="
value = 150.0
"""


def test_binding_constraint_is_respected_and_reported(tmp_path, analytic):
    rows = synthetic_rows(analytic, TRUTH, np.random.default_rng(0))
    free = calibrate(
        write_case(tmp_path / "free", rows), simulator=AnalyticSimulator(), profile=False
    )
    bound = calibrate(
        write_case(tmp_path / "bound", rows, CASE_TOML + CONSTRAINT),
        simulator=AnalyticSimulator(),
        profile=False,
    )
    wage_free = free.trajectories[free.trajectory_names.index("Wage")]
    wage_bound = bound.trajectories[bound.trajectory_names.index("Wage")]
    excess_free = np.maximum(wage_free - 150.0, 0.0) / 150.0
    excess_bound = np.maximum(wage_bound - 150.0, 0.0) / 150.0
    assert excess_free.max() > 0.3  # unconstrained, the wage passes 150 by far
    # the soft constraint pulls the path down (against the data) ...
    assert np.sqrt(np.sum(excess_bound**2)) < 0.8 * np.sqrt(np.sum(excess_free**2))
    # ... and the result says that it binds, with the violation left
    (report,) = bound.diagnostics["constraints"]
    assert report["name"] == "wage at most 150" and report["binding"]
    assert report["violation"] == pytest.approx(np.sqrt(np.sum(excess_bound**2)), rel=1e-6)
    assert bound.statistics["r2"].iloc[-1] < free.statistics["r2"].iloc[-1]


def test_constraint_on_an_unknown_variable_is_refused(tmp_path, analytic):
    rows = synthetic_rows(analytic, TRUTH, np.random.default_rng(0))
    text = CASE_TOML + CONSTRAINT.replace('left = "Wage"', 'left = "Salary"')
    with pytest.raises(UnknownVariableError, match=r"constraint 'wage at most 150'.*'Salary'"):
        calibrate(write_case(tmp_path / "c", rows, text), simulator=AnalyticSimulator())


def test_result_round_trips_through_its_dataset(synthetic_case):
    result = calibrate(
        synthetic_case,
        simulator=AnalyticSimulator(),
        holdout_from=2018,
        n_starts=2,
        bootstrap=6,
        profile_points=5,
    )
    back = CalibrationResult.from_dataset(result.to_dataset())
    assert back.parameter_names == result.parameter_names
    np.testing.assert_array_equal(back.estimate, result.estimate)
    np.testing.assert_array_equal(back.bootstrap, result.bootstrap)
    np.testing.assert_array_equal(back.ensemble, result.ensemble)
    assert back.status == result.status
    pd.testing.assert_frame_equal(back.statistics, result.statistics, check_dtype=False)
    pd.testing.assert_frame_equal(back.observations, result.observations, check_dtype=False)
    assert [p.verdict for p in back.profiles] == [p.verdict for p in result.profiles]
    assert back.params["Capacity"] == result.params["Capacity"]
    assert back.diagnostics["holdout_from"] == 2018
    assert back.figure() is not None
