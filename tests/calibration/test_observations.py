"""Observations: unit conversions, dating, selection, weights and interpolation of model output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gvc_upgrading.calibration import Objective, build_observations, load_case

from .conftest import AnalyticSimulator, write_case

TOML = """
name = "conversions"
model = "{model}"

[time]
start = 1995
end = 2030

[options]
unverified_weight = 0.5

[[inputs.events]]
name = "shock"
year = 2010
duration = 1
size = 0.4
input = "Shock"

[[targets]]
name = "exports"
model = "Exports"
error = {{ model = "absolute", sigma = 2.0 }}
scale_parameter = "definition scale"
data = [
    {{ variable = "exports_old", scale = 0.001, year_offset = 0.5, last_year = 2004 }},
    {{ variable = "exports_new", scale = 0.0009, year_offset = 0.5, first_year = 2005 }},
]

[[targets]]
name = "wage"
model = "Wage"
transform = "log"
weight = 2.0
error = {{ model = "relative", cv = 0.1 }}
data = [{{ variable = "wage_local", divide_by = "rate" }}]

[free."Growth rate"]
lower = 0.05
upper = 0.6

[free."definition scale"]
lower = 0.5
upper = 1.5
nuisance = true
"""


def _rows():
    rows = [
        ("exports_old", 2000, 1000.0, "yes"),
        ("exports_old", 2004, 2000.0, "no"),
        ("exports_old", 2006, 9999.0, "yes"),  # after last_year: not used
        ("exports_new", 2006, 3000.0, "yes"),
        ("wage_local", 2000, 400.0, "yes"),
        ("wage_local", 2010, 900.0, "yes"),
        ("rate", 2000, 40.0, "no"),
        ("rate", 2010, 60.0, "no"),
    ]
    return pd.DataFrame(
        [
            dict(variable=v, year=y, value=x, unit="u", verified=f, source="s")
            for v, y, x, f in rows
        ]
    )


@pytest.fixture
def case(tmp_path):
    return load_case(write_case(tmp_path / "conversions", _rows(), TOML))


def test_conversions_dating_selection_and_weights(case):
    obs = build_observations(case, holdout_from=2006).to_frame()
    exports = obs[obs["target"] == "exports"]
    assert list(exports["variable"]) == ["exports_old", "exports_old", "exports_new"]
    assert list(exports["time"]) == [2000.5, 2004.5, 2006.5]
    np.testing.assert_allclose(exports["level"], [1.0, 2.0, 2.7])
    np.testing.assert_allclose(exports["weight"], [1.0, 0.5, 1.0])  # unverified row: 0.5
    assert list(exports["in_sample"]) == [True, True, False]
    wage = obs[obs["target"] == "wage"]
    np.testing.assert_allclose(wage["level"], [10.0, 15.0])  # taka / rate in the same year
    np.testing.assert_allclose(wage["weight"], [2.0, 2.0])


def test_interpolation_scale_parameter_and_residuals(case):
    simulator = AnalyticSimulator()
    objective = Objective(case, simulator)
    theta = np.array([[0.3, 1.2]])
    paths = simulator.run({"Growth rate": theta[:, 0]}, return_columns=["Exports", "Wage"])
    exports = paths["Exports"].to_numpy()[0]
    wage = paths["Wage"].to_numpy()[0]
    levels = objective.predict_levels(theta)[0]
    # Decimal years: linear interpolation between saved years, then the free scale.
    expected = 1.2 * np.array([exports[5:7].mean(), exports[9:11].mean(), exports[11:13].mean()])
    np.testing.assert_allclose(levels[:3], expected)
    np.testing.assert_allclose(levels[3:], [wage[5], wage[15]])
    residuals = objective.residuals(theta)[0]
    np.testing.assert_allclose(
        residuals[:3], np.sqrt([1.0, 0.5, 1.0]) * (expected - [1.0, 2.0, 2.7]) / 2.0
    )
    np.testing.assert_allclose(
        residuals[3:], np.sqrt(2.0) * (np.log([wage[5], wage[15]]) - np.log([10.0, 15.0])) / 0.1
    )
    samples = objective.samples(theta)  # the nuisance scale is not sent to the model
    assert list(samples) == ["Growth rate"] and samples["Growth rate"].tolist() == [0.3]


def test_event_pulse_builds_the_input_series(case):
    series = case.input_series(np.array([2009.5, 2010.0, 2010.5, 2011.0]))["Shock"]
    assert list(series) == [0.0, 0.4, 0.4, 0.0]
