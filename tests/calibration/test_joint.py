"""Joint calibration with shared parameters, and the leave-one-case-out check."""

from __future__ import annotations

import numpy as np
import pytest

from gvc_upgrading.calibration import calibrate_joint, leave_one_case_out
from gvc_upgrading.errors import CalibrationError, SpecError

from .conftest import CASE_TOML, TRUTH, AnalyticSimulator, synthetic_rows, write_case

SHARED = ("Growth rate", "Wage growth")


@pytest.fixture
def two_cases(tmp_path, analytic):
    folders = []
    for number, capacity in enumerate((40.0, 70.0)):
        truth = dict(TRUTH, Capacity=capacity)
        rows = synthetic_rows(analytic, truth, np.random.default_rng(10 + number))
        text = CASE_TOML.replace('name = "synthetic"', f'name = "case{number}"')
        folders.append(write_case(tmp_path / f"case{number}", rows, text))
    return folders


def _simulators():
    return {"case0": AnalyticSimulator(), "case1": AnalyticSimulator()}


def test_joint_fit_estimates_shared_parameters_once_and_local_ones_per_case(two_cases):
    result = calibrate_joint(
        two_cases, shared=SHARED, simulators=_simulators(), n_starts=3, bootstrap=50, seed=0
    )
    assert result.case == "case0+case1"
    assert result.parameter_names == (
        "Growth rate",
        "Wage growth",
        "case0: Capacity",
        "case1: Capacity",
    )
    estimates = result.estimates
    assert estimates["Growth rate"] == pytest.approx(TRUTH["Growth rate"], rel=0.1)
    assert estimates["Wage growth"] == pytest.approx(TRUTH["Wage growth"], rel=0.05)
    assert estimates["case0: Capacity"] == pytest.approx(40.0, rel=0.1)
    assert estimates["case1: Capacity"] == pytest.approx(70.0, rel=0.1)
    assert set(result.statistics["series"]) == {
        "case0: exports",
        "case0: wage",
        "case1: exports",
        "case1: wage",
    }
    # One parameter set per case reproduces the fit.
    assert result.case_params["case1"]["Capacity"] == pytest.approx(estimates["case1: Capacity"])
    assert result.case_params["case0"]["Growth rate"] == pytest.approx(estimates["Growth rate"])
    with pytest.raises(KeyError, match="joint fit"):
        result.params  # noqa: B018
    assert result.ensemble.shape[0] == 50


def test_leave_one_case_out_reports_transfer(two_cases):
    check = leave_one_case_out(two_cases, shared=SHARED, simulators=_simulators(), n_starts=2)
    assert list(check.shared_estimates.index) == ["none", "case0", "case1"]
    for row in check.shared_estimates.itertuples():
        assert row._1 == pytest.approx(TRUTH["Growth rate"], rel=0.15)
    stats = check.statistics
    assert set(stats["left_out"]) == {"case0", "case1"}
    # The shared growth rates transfer: each left-out case is still fitted well.
    assert (stats["r2"] > 0.95).all()


def test_joint_fit_errors(two_cases):
    with pytest.raises(SpecError, match="shared parameter 'Initial wage' is not free"):
        calibrate_joint(two_cases, shared=["Initial wage"], simulators=_simulators())
    with pytest.raises(CalibrationError, match="at least two cases"):
        calibrate_joint(two_cases[:1], shared=SHARED, simulators=_simulators())


def test_for_case_extracts_one_case_of_a_joint_fit(two_cases):
    result = calibrate_joint(
        two_cases,
        shared=SHARED,
        simulators=_simulators(),
        n_starts=2,
        bootstrap=5,
        holdout_from=2020,
        profile_points=5,
    )
    part = result.for_case("case1")
    assert part.case == "case1" and part.diagnostics["joint_fit"] == "case0+case1"
    assert part.parameter_names == ("Growth rate", "Wage growth", "Capacity")
    assert part.estimates["Capacity"] == result.estimates["case1: Capacity"]
    assert part.bootstrap.shape == (5, 3)
    assert set(part.statistics["series"]) == {"exports", "wage"}
    assert set(part.observations["target"]) == {"exports", "wage"}
    assert part.trajectory_names == ("Exports", "Wage")
    assert part.params["Capacity"] == result.case_params["case1"]["Capacity"]
    assert [p.parameter for p in part.profiles] == list(part.parameter_names)
    assert len(part.status) == 3
    # the case's statistics are the joint fit's rows for that case
    joint = result.statistics.set_index(["series", "sample"])
    own = part.statistics.set_index(["series", "sample"])
    assert own.loc[("wage", "holdout"), "rmse"] == joint.loc[("case1: wage", "holdout"), "rmse"]
    with pytest.raises(KeyError, match="case 'case9' is not in this fit"):
        result.for_case("case9")
    assert part.for_case("case1") is part
