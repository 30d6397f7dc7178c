"""Fit statistics: Theil identities and values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gvc_upgrading.calibration import (
    fit_statistics,
    naive_forecasts,
    statistics_table,
    theil_decomposition,
)


def test_theil_shares_sum_to_one_and_rebuild_the_mse():
    rng = np.random.default_rng(3)
    observed = np.cumsum(rng.normal(1.0, 0.5, 40))
    simulated = 1.1 * observed + 2.0 + rng.normal(0, 1.0, 40)
    um, us, uc = theil_decomposition(simulated, observed)
    assert um + us + uc == pytest.approx(1.0, abs=1e-12)
    mse = np.mean((simulated - observed) ** 2)
    bias = (simulated.mean() - observed.mean()) ** 2
    spread = (simulated.std() - observed.std()) ** 2  # population standard deviations
    r = np.corrcoef(simulated, observed)[0, 1]
    covariation = 2 * (1 - r) * simulated.std() * observed.std()
    assert um == pytest.approx(bias / mse)
    assert us == pytest.approx(spread / mse)
    assert uc == pytest.approx(covariation / mse)
    assert bias + spread + covariation == pytest.approx(mse)


def test_theil_pure_bias_pure_scale_and_pure_noise():
    observed = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    assert theil_decomposition(observed + 2.0, observed) == pytest.approx((1.0, 0.0, 0.0))
    centre = observed.mean()
    stretched = centre + 2.0 * (observed - centre)  # same mean, perfectly correlated
    assert theil_decomposition(stretched, observed) == pytest.approx((0.0, 1.0, 0.0))
    # Same mean and standard deviation, imperfect correlation: all error is covariation.
    shuffled = np.array([3.0, 1.0, 5.0, 2.0, 4.0])
    assert theil_decomposition(shuffled, observed) == pytest.approx((0.0, 0.0, 1.0))


def test_theil_perfect_fit_is_undefined():
    assert all(math.isnan(x) for x in theil_decomposition([1.0, 2.0], [1.0, 2.0]))


def test_fit_statistics_against_hand_computed_values():
    observed = np.array([10.0, 20.0, 30.0, 40.0])
    simulated = np.array([12.0, 18.0, 33.0, 40.0])
    stats = fit_statistics(simulated, observed)
    errors = np.array([2.0, -2.0, 3.0, 0.0])
    assert stats["n"] == 4
    assert stats["rmse"] == pytest.approx(math.sqrt((4 + 4 + 9 + 0) / 4))
    assert stats["mae"] == pytest.approx(7 / 4)
    assert stats["mape"] == pytest.approx(100 * (0.2 + 0.1 + 0.1 + 0.0) / 4)
    assert stats["r2"] == pytest.approx(1 - 17 / 500)
    centred = errors - errors.mean()
    lag1 = np.sum(centred[1:] * centred[:-1]) / np.sum(centred**2)
    assert stats["lag1"] == pytest.approx(lag1)
    assert stats["um"] + stats["us"] + stats["uc"] == pytest.approx(1.0)


def test_mape_leaves_out_observations_near_zero():
    stats = fit_statistics(np.array([0.5, 11.0, 19.0]), np.array([0.0, 10.0, 20.0]))
    assert stats["mape"] == pytest.approx(100 * (0.1 + 0.05) / 2)
    assert math.isnan(fit_statistics(np.array([1.0, 2.0]), np.zeros(2))["mape"])


def test_small_samples_give_nan_not_errors():
    one = fit_statistics(np.array([2.0]), np.array([1.0]))
    assert one["n"] == 1 and one["rmse"] == 1.0
    assert math.isnan(one["r2"]) and math.isnan(one["lag1"])
    empty = fit_statistics(np.array([]), np.array([]))
    assert empty["n"] == 0 and math.isnan(empty["rmse"])


def test_statistics_table_splits_in_sample_and_holdout_and_orders_by_time():
    series = np.array(["a", "a", "a", "a", "b", "b", "b"])
    time = np.array([2003.0, 2001.0, 2002.0, 2010.0, 2001.0, 2002.0, 2003.0])
    observed = np.array([3.0, 1.0, 2.0, 10.0, 5.0, 6.0, 7.0])
    simulated = observed + np.array([0.3, 0.1, -0.2, 1.0, 0.0, 0.5, -0.5])
    in_sample = np.array([True, True, True, False, True, True, True])
    table = statistics_table(series, time, simulated, observed, in_sample)
    assert list(table.columns) == [
        "series",
        "sample",
        "n",
        "rmse",
        "mae",
        "mape",
        "r2",
        "um",
        "us",
        "uc",
        "lag1",
        "mape_rw",
        "mape_trend",
        "mape_ratio",
        "u2",
        "coverage",
    ]
    assert list(zip(table["series"], table["sample"], strict=True)) == [
        ("a", "in"),
        ("a", "holdout"),
        ("b", "in"),
    ]
    first = table.iloc[0]
    ordered = fit_statistics(np.array([1.1, 1.8, 3.3]), np.array([1.0, 2.0, 3.0]))
    assert first["lag1"] == pytest.approx(ordered["lag1"])
    assert table.iloc[1]["n"] == 1 and table.iloc[1]["rmse"] == pytest.approx(1.0)


def test_naive_benchmarks_on_a_hand_made_series():
    """Random walk = last in-sample value; trend = log-linear fit of the in-sample part."""
    time = np.array([2001.0, 2000.0, 2002.0, 2003.0, 2004.0])
    observed = np.array([2.0, 1.0, 4.0, 10.0, 12.0])  # doubling in-sample, then off-trend
    in_sample = np.array([True, True, True, False, False])
    rw, trend = naive_forecasts(time, observed, in_sample)
    assert rw.tolist() == [4.0] * 5
    np.testing.assert_allclose(trend, [2.0, 1.0, 4.0, 8.0, 16.0])
    simulated = np.array([2.0, 1.0, 4.0, 9.0, 13.0])
    band = (simulated - 1.5, simulated + 1.5)
    table = statistics_table(["s"] * 5, time, simulated, observed, in_sample, band=band)
    held = table[table["sample"] == "holdout"].iloc[0]
    # by hand: random walk misses 6 and 8 -> MAPE (60% + 66.7%) / 2; trend 2 and 4
    assert held["mape_rw"] == pytest.approx(100 * (6 / 10 + 8 / 12) / 2)
    assert held["mape_trend"] == pytest.approx(100 * (2 / 10 + 4 / 12) / 2)
    model_mape = 100 * (1 / 10 + 1 / 12) / 2
    assert held["mape_ratio"] == pytest.approx(model_mape / held["mape_rw"])
    assert held["u2"] == pytest.approx(1.0 / math.sqrt((36 + 64) / 2))
    assert held["coverage"] == 1.0
    narrow = (simulated - 0.5, simulated + 0.5)
    table = statistics_table(["s"] * 5, time, simulated, observed, in_sample, band=narrow)
    assert table[table["sample"] == "holdout"].iloc[0]["coverage"] == 0.0
    assert math.isnan(table[table["sample"] == "in"].iloc[0]["mape_rw"])


def test_naive_trend_falls_back_to_levels_with_non_positive_values():
    rw, trend = naive_forecasts([0, 1, 2], [-1.0, 1.0, 0.0], [True, True, False])
    assert rw[2] == 1.0 and trend[2] == pytest.approx(3.0)
