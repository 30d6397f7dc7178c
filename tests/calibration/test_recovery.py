"""Synthetic recovery: known parameters plus noise are found again, with honest intervals."""

from __future__ import annotations

import numpy as np
import pytest

from gvc_upgrading.calibration import calibrate, load_case

from .conftest import CASE_TOML, TRUTH, AnalyticSimulator, synthetic_rows, write_case


def _covered(result) -> np.ndarray:
    truth = np.array([TRUTH[name] for name in result.parameter_names])
    return (result.interval[:, 0] <= truth) & (truth <= result.interval[:, 1])


def test_multistart_recovers_known_parameters_within_bootstrap_intervals(synthetic_case):
    result = calibrate(
        synthetic_case,
        simulator=AnalyticSimulator(),
        n_starts=4,
        seed=1,
        bootstrap=200,
        level=0.99,
    )
    estimates = result.estimates
    for name, value in TRUTH.items():
        assert estimates[name] == pytest.approx(value, rel=0.1)
    assert _covered(result).all()
    assert result.interval_method == "bootstrap"
    assert result.bootstrap.shape == (200, 3)
    # Every series is fitted closely and the errors are noise (U^C dominates).
    stats = result.statistics.set_index("series")
    assert (stats["r2"] > 0.95).all()
    assert (stats["uc"] > stats["um"]).all() and (stats["uc"] > stats["us"]).all()


def test_differential_evolution_finds_the_same_optimum(synthetic_case):
    simulator = AnalyticSimulator()
    multistart = calibrate(synthetic_case, simulator=simulator, seed=2, profile=False)
    evolution = calibrate(
        synthetic_case,
        simulator=simulator,
        method="differential_evolution",
        seed=2,
        profile=False,
    )
    assert evolution.objective == pytest.approx(multistart.objective, rel=1e-6)
    np.testing.assert_allclose(evolution.estimate, multistart.estimate, rtol=1e-4)


def test_profile_likelihood_calls_identified_parameters_identifiable(synthetic_case):
    result = calibrate(synthetic_case, simulator=AnalyticSimulator(), seed=0)
    verdicts = {p.parameter: p.verdict for p in result.profiles}
    assert set(verdicts.values()) == {"identifiable"}
    for profile in result.profiles:
        low, high = profile.interval
        assert low < result.estimates[profile.parameter] < high
        assert profile.deviance.min() == pytest.approx(0.0, abs=1e-6)


def test_unused_parameter_is_structurally_non_identifiable(tmp_path, analytic):
    rows = synthetic_rows(analytic, TRUTH, np.random.default_rng(4))
    text = CASE_TOML + '\n[free."Shock"]\nlower = 0.0\nupper = 1.0\n'
    folder = write_case(tmp_path / "unused", rows, text)
    # The closed-form simulator ignores "Shock": the data cannot tell its value.
    result = calibrate(folder, simulator=AnalyticSimulator(), seed=0, n_starts=2)
    verdicts = {p.parameter: p.verdict for p in result.profiles}
    assert verdicts["Shock"] == "structurally non-identifiable"
    assert verdicts["Growth rate"] == "identifiable"


def test_capacity_is_practically_non_identifiable_from_early_growth_only(synthetic_case):
    # Before 2002 exports are still far below capacity: data bound it from below only.
    result = calibrate(
        synthetic_case, simulator=AnalyticSimulator(), seed=0, n_starts=2, holdout_from=2002
    )
    verdicts = {p.parameter: p.verdict for p in result.profiles}
    assert verdicts["Capacity"] == "practically non-identifiable"
    assert verdicts["Growth rate"] == "identifiable"
    capacity = next(p for p in result.profiles if p.parameter == "Capacity")
    assert capacity.interval[1] == 90.0  # the upper search bound: no upper limit found
    assert capacity.interval[0] < result.estimates["Capacity"]


def _coverage(n_repeats: int, n_boot: int, tmp_path) -> float:
    simulator = AnalyticSimulator()
    hits = []
    for repeat in range(n_repeats):
        rng = np.random.default_rng(1000 + repeat)
        folder = write_case(tmp_path / f"rep{repeat}", synthetic_rows(simulator, TRUTH, rng))
        result = calibrate(
            load_case(folder),
            simulator=simulator,
            n_starts=1,
            seed=repeat,
            bootstrap=n_boot,
            profile=False,
        )
        hits.append(_covered(result))
    return float(np.mean(hits))


def test_ninety_percent_intervals_cover_the_truth_about_ninety_percent_of_the_time(tmp_path):
    # 30 data sets x 3 parameters: 90 trials; a binomial(90, 0.9) count lies in
    # [72, 88] with probability above 0.998.
    coverage = _coverage(30, 200, tmp_path)
    assert 0.8 <= coverage <= 0.98


@pytest.mark.slow
def test_coverage_over_many_repeats(tmp_path):
    coverage = _coverage(200, 300, tmp_path)
    assert 0.85 <= coverage <= 0.95
