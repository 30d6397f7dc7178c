"""The parameter budget, and priors that make the estimate a posterior mode."""

from __future__ import annotations

import re

import numpy as np
import pytest

from gvc_upgrading.calibration import FitSettings, calibrate, calibrate_joint, load_case
from gvc_upgrading.errors import CalibrationError, SpecError

from .conftest import CASE_TOML, TRUTH, AnalyticSimulator, synthetic_rows, write_case


def _few_rows(analytic, n_years: int, seed: int = 0):
    rows = synthetic_rows(analytic, TRUTH, np.random.default_rng(seed))
    return rows[rows["year"] < 1996 + n_years]


def test_budget_refuses_more_than_one_parameter_per_three_observations(tmp_path, analytic):
    # 4 years x 2 series = 8 observations allow 2 parameters; the case frees 3
    folder = write_case(tmp_path / "few", _few_rows(analytic, 4))
    simulator = AnalyticSimulator()
    with pytest.raises(
        CalibrationError, match=r"3 free parameters for 8 in-sample .* budget of 2"
    ):
        calibrate(folder, simulator=simulator, profile=False)
    assert simulator.runs == 0  # refused before any simulation
    # 5 years x 2 = 10 observations allow 3: accepted
    folder = write_case(tmp_path / "enough", _few_rows(analytic, 5))
    result = calibrate(folder, simulator=AnalyticSimulator(), n_starts=2, profile=False)
    assert result.diagnostics["budget"] == {
        "n_parameters": 3,
        "n_in_sample": 10,
        "max_parameters": 3,
    }


def test_budget_counts_only_in_sample_observations(tmp_path, analytic):
    folder = write_case(tmp_path / "case", _few_rows(analytic, 5))
    with pytest.raises(CalibrationError, match="budget"):
        calibrate(folder, simulator=AnalyticSimulator(), holdout_from=2000, profile=False)


def test_joint_fit_shares_parameters_within_the_budget(tmp_path, analytic):
    # each case alone: 8 observations, 3 parameters -> refused; jointly with two shared
    # parameters: 4 parameters for 16 observations -> allowed (max 5)
    folders = []
    for number in range(2):
        text = CASE_TOML.replace('name = "synthetic"', f'name = "c{number}"')
        folders.append(write_case(tmp_path / f"c{number}", _few_rows(analytic, 4, number), text))
    with pytest.raises(CalibrationError, match="budget"):
        calibrate(folders[0], simulator=AnalyticSimulator(), profile=False)
    result = calibrate_joint(
        folders,
        shared=("Growth rate", "Wage growth"),
        simulators={"c0": AnalyticSimulator(), "c1": AnalyticSimulator()},
        n_starts=2,
        profile=False,
    )
    assert result.diagnostics["budget"]["n_parameters"] == 4
    with pytest.raises(CalibrationError, match="budget"):
        calibrate_joint(
            folders,
            shared=(),
            simulators={"c0": AnalyticSimulator(), "c1": AnalyticSimulator()},
            settings=FitSettings(observations_per_parameter=3, profile=False),
        )


PRIOR = '\n[free."Wage growth".prior]\ndist = "normal"\nmean = {mean}\nsd = {sd}\n'


def _with_prior(tmp_path, analytic, mean, sd, name):
    rows = synthetic_rows(analytic, TRUTH, np.random.default_rng(2))
    text = CASE_TOML.replace(
        '[free."Wage growth"]\nlower = 0.0\nupper = 0.15\n',
        '[free."Wage growth"]\nlower = 0.0\nupper = 0.15\n' + PRIOR.format(mean=mean, sd=sd),
    )
    return write_case(tmp_path / name, rows, text)


def test_wide_priors_recover_the_truth_and_a_tight_wrong_prior_pulls_the_estimate(
    tmp_path, analytic
):
    wide = _with_prior(tmp_path, analytic, 0.03, 1.0, "wide")
    tight = _with_prior(tmp_path, analytic, 0.03, 1e-4, "tight")
    medium = _with_prior(tmp_path, analytic, 0.03, 0.002, "medium")
    fits = {
        name: calibrate(folder, simulator=AnalyticSimulator(), n_starts=3, profile=False)
        for name, folder in (("wide", wide), ("tight", tight), ("medium", medium))
    }
    truth = TRUTH["Wage growth"]
    assert fits["wide"].estimates["Wage growth"] == pytest.approx(truth, rel=0.05)
    assert fits["tight"].estimates["Wage growth"] == pytest.approx(0.03, abs=5e-4)
    # a prior of intermediate strength lands between data and prior (posterior mode)
    assert 0.03 < fits["medium"].estimates["Wage growth"] < fits["wide"].estimates["Wage growth"]
    # the objective is data + prior: pulling away from the data costs prior penalty
    assert fits["medium"].diagnostics["prior_penalty"] > fits["wide"].diagnostics["prior_penalty"]
    assert fits["wide"].diagnostics["priors"] == {"Wage growth": "normal(0.03, 1)"}


def test_posterior_mode_matches_the_closed_form_for_a_linear_gaussian_problem(tmp_path):
    # one parameter, wage = w0 * exp(0 * t): level target with absolute error sigma;
    # the posterior mode of w0 under a normal prior is the precision-weighted mean
    import pandas as pd

    years = np.arange(1996, 2002)
    values = np.array([31.0, 29.0, 33.0, 30.0, 28.0, 35.0])
    rows = pd.DataFrame(
        dict(variable="wage", year=years, value=values, unit="u", verified="yes", source="s")
    )
    text = """
name = "linear"
model = "{model}"
[time]
start = 1995
end = 2030
[inputs.parameters]
"Wage growth" = 0.0
[[targets]]
name = "wage"
model = "Wage"
error = {{ model = "absolute", sigma = 2.0 }}
data = ["wage"]
[free."Initial wage"]
lower = 5
upper = 100
prior = {{ dist = "normal", mean = 20.0, sd = 1.0 }}
"""
    folder = write_case(tmp_path / "linear", rows, text)
    result = calibrate(folder, simulator=AnalyticSimulator(), n_starts=2, profile=False)
    precision = len(values) / 2.0**2 + 1 / 1.0**2
    expected = (values.sum() / 2.0**2 + 20.0 / 1.0**2) / precision
    assert result.estimates["Initial wage"] == pytest.approx(expected, rel=1e-5)


def test_fit_table_errors_are_clear(tmp_path, synthetic_case):
    text = (synthetic_case / "case.toml").read_text()
    (synthetic_case / "case.toml").write_text(text + "\n[fit]\nbootstraps = 3\n")
    with pytest.raises(SpecError, match=r"\[fit\]: unknown key\(s\) \['bootstraps'\]"):
        load_case(synthetic_case)
    (synthetic_case / "case.toml").write_text(text + '\n[fit]\nmethod = "newton"\n')
    with pytest.raises(SpecError, match="unknown method 'newton'"):
        load_case(synthetic_case)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bootstrap": 2.5}, "FitSettings: bootstrap must be an integer, got float 2.5"),
        ({"n_starts": "3"}, "n_starts must be an integer, got str '3'"),
        ({"profile": 1}, "profile must be True or False, got int 1"),
        ({"level": "high"}, "level must be a number, got str 'high'"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"block_length": 0}, "block_length must be at least 1"),
    ],
)
def test_wrong_fit_settings_from_python_are_named(options, message):
    """Issue 12: the Python API checks types at the boundary, as the [fit] table does."""
    with pytest.raises(CalibrationError, match=re.escape(message)):
        FitSettings().updated(**options)


def test_numpy_integers_are_accepted_as_fit_settings():
    assert FitSettings().updated(seed=np.int64(3), bootstrap=np.int32(2)).seed == 3
