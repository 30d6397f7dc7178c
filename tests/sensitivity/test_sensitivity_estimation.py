"""The vectorised Sobol' estimator equals SALib's ``sobol.analyze`` on the same samples."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sensitivity_functions as functions
from SALib.analyze import sobol as salib_analyze
from SALib.sample import sobol as salib_sample

from gvc_upgrading.errors import SpecError
from gvc_upgrading.sensitivity.estimation import (
    estimate_sobol,
    resample_counts,
    resample_indices,
)

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
SOBOL_G = {"num_vars": 8, "names": [f"x{i}" for i in range(8)], "bounds": [[0.0, 1.0]] * 8}
SEED = 4242


def _salib(problem, y, second_order, resamples=100, conf_level=0.95):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return salib_analyze.analyze(
            problem,
            y,
            calc_second_order=second_order,
            num_resamples=resamples,
            conf_level=conf_level,
            seed=SEED,
        )


def _first_and_total_rows(y, factors):
    blocks = y.reshape(-1, 2 * factors + 2)
    return blocks[:, np.r_[0 : factors + 1, 2 * factors + 1]].reshape(-1)


@pytest.mark.parametrize(
    ("problem", "function", "n"),
    [(ISHIGAMI, functions.ishigami, 1024), (SOBOL_G, functions.sobol_g, 512)],
    ids=["ishigami", "sobol_g"],
)
def test_every_index_and_interval_equals_salib(problem, function, n):
    x = salib_sample.sample(problem, n, calc_second_order=True, seed=7)
    y = function(x)
    # a second column (a shifted, scaled copy plus noise) checks the columns stay apart
    noise = np.random.default_rng(1).normal(size=y.size)
    values = np.column_stack([y, 3.0 * y + 100.0 + noise])
    factors = problem["num_vars"]
    ours = estimate_sobol(
        values, factors, second_order_design=True, second_order_columns=[0, 1], seed=SEED
    )
    for column in range(2):
        y_column = values[:, column]
        first = _salib(problem, _first_and_total_rows(y_column, factors), False)
        pairs = _salib(problem, y_column, True)
        for name in ("S1", "S1_conf", "ST", "ST_conf"):
            np.testing.assert_allclose(
                getattr(ours, name)[column], first[name], rtol=0, atol=1e-12, err_msg=name
            )
        for name in ("S2", "S2_conf"):
            np.testing.assert_allclose(
                getattr(ours, name)[column], pairs[name], rtol=0, atol=1e-12, err_msg=name
            )


def test_first_order_design_and_other_interval_settings_equal_salib():
    x = salib_sample.sample(ISHIGAMI, 256, calc_second_order=False, seed=3)
    y = functions.ishigami(x)
    ours = estimate_sobol(
        y, 3, second_order_design=False, num_resamples=37, conf_level=0.9, seed=SEED
    )
    reference = _salib(ISHIGAMI, y, False, resamples=37, conf_level=0.9)
    for name in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_allclose(getattr(ours, name)[0], reference[name], rtol=0, atol=1e-12)
    assert ours.S2 is None


def test_indices_match_the_analytic_values():
    first, total = functions.ishigami_indices()
    x = salib_sample.sample(ISHIGAMI, 8192, calc_second_order=False, seed=11)
    ours = estimate_sobol(functions.ishigami(x), 3, second_order_design=False, seed=SEED)
    np.testing.assert_allclose(ours.S1[0], first, atol=0.02)
    np.testing.assert_allclose(ours.ST[0], total, atol=0.02)
    g_first, g_total, g_second = functions.sobol_g_indices()
    x = salib_sample.sample(SOBOL_G, 4096, calc_second_order=True, seed=11)
    ours = estimate_sobol(
        functions.sobol_g(x), 8, second_order_design=True, second_order_columns=[0], seed=SEED
    )
    np.testing.assert_allclose(ours.S1[0], g_first, atol=0.02)
    np.testing.assert_allclose(ours.ST[0], g_total, atol=0.02)
    upper = np.triu(np.ones((8, 8), dtype=bool), 1)
    np.testing.assert_allclose(ours.S2[0][upper], g_second[upper], atol=0.03)


def test_blocks_of_columns_give_the_same_result(monkeypatch):
    from gvc_upgrading.sensitivity import estimation

    x = salib_sample.sample(ISHIGAMI, 128, calc_second_order=True, seed=5)
    y = functions.ishigami(x)
    values = np.column_stack([y, y**2, np.sin(y), y + x[:, 0]])
    whole = estimate_sobol(
        values, 3, second_order_design=True, second_order_columns=[1, 3], seed=SEED
    )
    monkeypatch.setattr(estimation, "BLOCK_BYTES", 1)  # one column per block
    split = estimate_sobol(
        values, 3, second_order_design=True, second_order_columns=[1, 3], seed=SEED
    )
    for name in ("S1", "S1_conf", "ST", "ST_conf", "S2", "S2_conf"):
        np.testing.assert_allclose(getattr(split, name), getattr(whole, name), atol=1e-13)


def test_constant_column_gives_zeros_without_warnings():
    x = salib_sample.sample(ISHIGAMI, 64, calc_second_order=True, seed=5)
    values = np.column_stack([functions.ishigami(x), np.full(len(x), 2.5)])
    ours = estimate_sobol(values, 3, second_order_design=True, second_order_columns=[1], seed=SEED)
    for name in ("S1", "S1_conf", "ST", "ST_conf"):
        assert (getattr(ours, name)[1] == 0).all()
    assert (ours.S2[0][np.triu_indices(3, 1)] == 0).all()


def test_resample_counts_count_the_salib_draws():
    draws = resample_indices(50, 7, SEED)
    np.testing.assert_array_equal(draws, np.random.default_rng(SEED).integers(50, size=(50, 7)))
    counts = resample_counts(draws)
    assert counts.shape == (50, 7)
    for i in range(7):
        np.testing.assert_array_equal(counts[:, i], np.bincount(draws[:, i], minlength=50))


def test_bad_inputs_are_refused():
    with pytest.raises(SpecError, match="Saltelli design"):
        estimate_sobol(np.ones(11), 3, second_order_design=False, seed=1)
    with pytest.raises(SpecError, match="second-order design"):
        estimate_sobol(np.ones(10), 3, second_order_design=False, second_order_columns=[0], seed=1)
    with pytest.raises(SpecError, match="non-zero"):
        estimate_sobol(np.arange(10.0), 3, second_order_design=False, seed=0)
    with pytest.raises(SpecError, match="conf_level"):
        estimate_sobol(np.arange(10.0), 3, second_order_design=False, conf_level=1, seed=1)


def test_sobol_results_equal_salib_on_its_own_design():
    from gvc_upgrading.sensitivity import sobol
    from gvc_upgrading.sensitivity.design import analysis_seed

    study = {"parameters": [{"name": f"x{i}", "lower": -np.pi, "upper": np.pi} for i in (1, 2, 3)]}
    result = sobol(study, functions.ishigami, n=256, seed=9, second_order=True)
    x = salib_sample.sample(ISHIGAMI, 256, calc_second_order=True, scramble=True, seed=9)
    y = functions.ishigami(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = salib_analyze.analyze(
            ISHIGAMI, _first_and_total_rows(y, 3), calc_second_order=False, seed=analysis_seed(9)
        )
        pairs = salib_analyze.analyze(ISHIGAMI, y, calc_second_order=True, seed=analysis_seed(9))
    for name in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_allclose(result[name].sel(output="y"), first[name], rtol=0, atol=1e-12)
    upper = np.triu_indices(3, 1)
    for name in ("S2", "S2_conf"):
        np.testing.assert_allclose(
            result[name].sel(output="y").values[upper], pairs[name][upper], rtol=0, atol=1e-12
        )
