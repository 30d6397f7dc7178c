"""Synergy as interaction: the factorial design over the governance paths."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from gvc_upgrading import Model
from gvc_upgrading.errors import SpecError
from gvc_upgrading.factorial import effects, effects_table, run_factorial


def synthetic(main: dict[str, float], pair: float, draws: int = 2) -> pd.DataFrame:
    """A 2^3 design with known main effects and one known a x b interaction."""
    rows = []
    for draw in range(draws):
        for a, b, c in itertools.product((0, 1), repeat=3):
            x = {"a": 2 * a - 1, "b": 2 * b - 1, "c": 2 * c - 1}
            y = 10 + sum(main[k] / 2 * x[k] for k in x) + pair / 2 * x["a"] * x["b"]
            rows.append({"draw": draw, "a": a, "b": b, "c": c, "y": y})
    return pd.DataFrame(rows)


def test_effects_recover_known_main_effects_and_interaction() -> None:
    """Closed form: the contrasts return the effects the data were built from."""
    table = synthetic({"a": 1.0, "b": -0.5, "c": 0.0}, pair=0.3)
    frame = effects(table)
    assert frame.loc["a", "y"] == pytest.approx(1.0)
    assert frame.loc["b", "y"] == pytest.approx(-0.5)
    assert frame.loc["c", "y"] == pytest.approx(0.0, abs=1e-12)
    assert frame.loc["a x b", "y"] == pytest.approx(0.3)
    assert frame.loc["a x b", "y positive share"] == 1.0
    for name in ("a x c", "b x c", "a x b x c"):
        assert frame.loc[name, "y"] == pytest.approx(0.0, abs=1e-12)
    assert list(effects(table, order=1)["order"]) == [1, 1, 1]
    text = effects_table(frame, order=2)
    assert "| a x b | 2 | +0.3 |" in text
    assert "a x b x c" not in text


def test_two_path_factorial_matches_direct_runs(model: Model) -> None:
    """On the model: the labour x public interaction equals the difference of differences."""
    table = run_factorial(model, paths=["labour", "public"], outcomes=["Average wage"])
    frame = effects(table)
    by = table.set_index(["labour", "public"])["Average wage"]
    both, labour, public, none = by[1, 1], by[1, 0], by[0, 1], by[0, 0]
    assert frame.loc["labour x public", "Average wage"] == pytest.approx(
        ((both - public) - (labour - none)) / 2
    )
    direct = model.run(scenario="labour")
    assert labour == pytest.approx(float(direct["Average wage"].sel(time=2035)), rel=1e-6)
    assert np.isfinite(table["Average wage"]).all()


@pytest.mark.parametrize("paths", [["labour"], ["labour", "labour"]])
def test_factorial_needs_two_distinct_paths(model: Model, paths: list[str]) -> None:
    with pytest.raises(SpecError, match="two distinct paths"):
        run_factorial(model, paths=paths)


def test_factorial_year_must_be_simulated(model: Model) -> None:
    with pytest.raises(SpecError, match="outside the simulation"):
        run_factorial(model, paths=["labour", "public"], year=2050.0)


def test_compare_adds_the_interaction_table(model: Model) -> None:
    """compare(..., interactions=True) carries the factorial effects of the six paths."""
    from gvc_upgrading import compare

    outcomes = ["Social upgrading index", "Average wage"]
    comparison = compare(model, ["labour"], outcomes=outcomes, interactions=True)
    effect = comparison["factorial_effect"]
    assert effect.sizes["effect"] == 2**6 - 1
    assert set(effect["effect_order"].values) == {1, 2, 3, 4, 5, 6}
    table = run_factorial(model, outcomes=outcomes)
    expected = effects(table).loc["labour x public", "Average wage"]
    assert float(effect.sel(effect="labour x public", outcome="Average wage")) == pytest.approx(
        expected
    )
