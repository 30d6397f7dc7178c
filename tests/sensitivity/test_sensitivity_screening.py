"""Morris screening, N-doubling convergence and the group interaction map."""

from __future__ import annotations

import numpy as np
import pytest
import sensitivity_functions as functions
import xarray as xr

from gvc_upgrading.errors import SpecError
from gvc_upgrading.sensitivity import (
    interaction_map,
    lever_contrast,
    morris,
    sobol,
    sobol_convergence,
)

ISHIGAMI_STUDY = {
    "name": "ishigami",
    "parameters": [{"name": f"x{i}", "lower": -np.pi, "upper": np.pi} for i in (1, 2, 3)],
}


def test_morris_of_a_linear_function_recovers_the_slopes():
    widths = np.array([1.0, 2.0, 0.5])
    slopes = np.array([3.0, -1.0, 0.0])
    study = {
        "parameters": [
            {"name": f"p{i}", "lower": 1.0, "upper": 1.0 + w} for i, w in enumerate(widths)
        ]
    }
    result = morris(study, lambda x: x @ slopes, trajectories=10, seed=4)
    # elementary effects are per unit of the factor's range: slope x width
    np.testing.assert_allclose(result["mu"].sel(output="y"), slopes * widths, atol=1e-9)
    np.testing.assert_allclose(result["mu_star"].sel(output="y"), np.abs(slopes * widths))
    np.testing.assert_allclose(result["sigma"].sel(output="y"), 0, atol=1e-9)
    assert result.attrs["runs"] == 10 * 4
    assert result["mu_star"].dims == ("output", "parameter")


def test_morris_ranks_sobol_g_like_its_total_indices():
    study = {"parameters": [{"name": f"x{i}", "lower": 0, "upper": 1} for i in range(1, 9)]}
    result = morris(study, functions.sobol_g, trajectories=40, seed=3)
    ranking = result["mu_star"].sel(output="y").to_series().sort_values(ascending=False)
    assert list(ranking.index[:4]) == ["x1", "x2", "x3", "x4"]
    assert (result["mu_star_conf"] >= 0).all()


def test_morris_rejects_bad_settings():
    with pytest.raises(SpecError, match="at least 2 trajectories"):
        morris(ISHIGAMI_STUDY, functions.ishigami, trajectories=1)
    with pytest.raises(SpecError, match="even number"):
        morris(ISHIGAMI_STUDY, functions.ishigami, num_levels=3)


def test_convergence_doubles_n_and_reuses_earlier_runs():
    evaluated = []

    def counting(x):
        evaluated.append(len(x))
        return functions.ishigami(x)

    outcome = sobol_convergence(ISHIGAMI_STUDY, counting, seed=1, start=256, cap=8192)
    table = outcome.table
    assert list(table.index) == [256 * 2**k for k in range(len(table))]
    assert outcome.converged and table["converged"].iloc[-1]
    assert table["widest_st_conf"].iloc[-1] <= 0.05 < table["widest_st_conf"].iloc[0]
    assert not table["converged"].iloc[:-1].any()
    final_n = int(table.index[-1])
    # every run evaluated once: the design for N is a prefix of the design for 2N
    assert sum(evaluated) == final_n * 8 == table["runs"].iloc[-1]
    direct = sobol(ISHIGAMI_STUDY, functions.ishigami, n=final_n, seed=1)
    indices = ["S1", "S1_conf", "ST", "ST_conf", "S2", "S2_conf"]
    xr.testing.assert_identical(outcome.result[indices].drop_attrs(), direct[indices].drop_attrs())


def test_convergence_stops_at_the_cap():
    outcome = sobol_convergence(
        ISHIGAMI_STUDY, functions.ishigami, seed=1, start=64, cap=128, second_order=False
    )
    assert not outcome.converged
    assert list(outcome.table.index) == [64, 128]


def test_interaction_map_reads_synergy_and_displacement():
    # a*b: super-additive (synergy); -c*d: sub-additive (displacement); e additive
    parameters = [("a", "A"), ("b", "B"), ("c", "C"), ("d", "D"), ("e", "E")]
    study = {
        "parameters": [{"name": n, "lower": 0, "upper": 1, "group": g} for n, g in parameters]
    }

    def function(x):
        return x[:, 0] * x[:, 1] - x[:, 2] * x[:, 3] + x[:, 4]

    grouped = sobol(study, function, n=4096, seed=2, groups=True)
    contrast = lever_contrast(study, function)
    np.testing.assert_allclose(contrast["lever_effect"].sel(output="y"), [0, 0, 0, 0, 1])
    assert float(contrast["interaction_contrast"].sel(output="y", group="A", group_2="B")) == 1
    result = interaction_map(grouped, contrast)
    reading = result["reading"].sel(output="y")
    assert reading.sel(group="A", group_2="B") == "synergy"
    assert reading.sel(group="D", group_2="C") == "displacement"
    assert reading.sel(group="A", group_2="E") == "negligible"
    assert reading.sel(group="A", group_2="A") == ""
    # S2 of a product of two U(0,1) factors: (1/144) / (26/144)
    assert float(result["S2"].sel(output="y", group="A", group_2="B")) == pytest.approx(
        1 / 26, abs=0.01
    )
    unsigned = interaction_map(grouped)
    assert unsigned["reading"].sel(output="y", group="A", group_2="B") == "material"


def test_interaction_map_needs_a_grouped_second_order_result():
    flat = sobol(ISHIGAMI_STUDY, functions.ishigami, n=64, seed=1)
    with pytest.raises(SpecError, match="grouped Sobol' result with second order"):
        interaction_map(flat)


def _totals(st, conf):
    names = ["a", "b", "c"]
    return xr.Dataset(
        {
            "ST": (("output", "parameter"), [st]),
            "ST_conf": (("output", "parameter"), [conf]),
        },
        coords={"output": ["y"], "parameter": names},
        attrs={"factor_dim": "parameter"},
    )


def test_ranking_is_stable_unless_a_clear_order_changes():
    from gvc_upgrading.sensitivity.convergence import ranking_stable

    before = _totals([0.50, 0.30, 0.29], [0.01, 0.01, 0.01])
    tied_swap = _totals([0.50, 0.295, 0.30], [0.01, 0.01, 0.01])
    clear_swap = _totals([0.30, 0.50, 0.29], [0.01, 0.01, 0.01])
    assert ranking_stable(before, before, top=3)
    assert ranking_stable(before, tied_swap, top=3)
    assert not ranking_stable(before, clear_swap, top=3)
    # factors below the floor (ST < 0.02) do not count
    small = _totals([0.5, 0.011, 0.012], [0.001, 0.0001, 0.0001])
    assert ranking_stable(small, _totals([0.5, 0.012, 0.011], [0.001, 0.0001, 0.0001]), top=3)
