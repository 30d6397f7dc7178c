"""Where behaviours fail: named conditions, PRIM boxes of the failing draws, README tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gvc_upgrading import Model
from gvc_upgrading.behaviour_discovery import (
    condition_table,
    failure_boxes,
    headroom_markdown,
    headroom_table,
    robustness_markdown,
)
from gvc_upgrading.errors import SpecError
from gvc_upgrading.resources import shipped_path
from gvc_upgrading.robustness import (
    BEHAVIOURS,
    evaluate_runs,
    latin_hypercube,
    run_cases,
    uncertain_parameters,
)


@pytest.fixture(scope="module")
def small_study(model: Model) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    draws = latin_hypercube(uncertain_parameters(model), 12, 7)
    runs = run_cases(model, draws)
    return draws, condition_table(runs), runs


def test_conditions_combine_to_each_behaviour(model: Model, small_study) -> None:
    """A behaviour holds in a draw exactly when all its named conditions hold."""
    _, conditions, runs = small_study
    held = evaluate_runs(model, runs)
    assert sorted(set(conditions.columns.get_level_values("behaviour"))) == [
        b.number for b in BEHAVIOURS
    ]
    for behaviour in BEHAVIOURS:
        combined = conditions[behaviour.number].all(axis=1).to_numpy()
        np.testing.assert_array_equal(combined, held[behaviour.number].to_numpy())


def _synthetic(n: int = 600) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two parameters on [0, 1]; condition 'a' fails exactly where p > 0.7, 'b' never."""
    rng = np.random.default_rng(3)
    draws = pd.DataFrame({"p": rng.uniform(size=n), "q": rng.uniform(size=n)})
    conditions = pd.DataFrame(
        {(1, "a"): (draws["p"] <= 0.7).to_numpy(), (1, "b"): np.ones(n, dtype=bool)}
    )
    conditions.columns = pd.MultiIndex.from_tuples(
        conditions.columns, names=["behaviour", "condition"]
    )
    return draws, conditions


def test_failure_box_finds_the_failing_region() -> None:
    """PRIM puts the failures of 'a' in p above 0.7, leaves q out, skips what holds."""
    draws, conditions = _synthetic()
    boxes = failure_boxes(draws, conditions)
    assert list(boxes["condition"]) == ["a"]
    row = boxes.iloc[0]
    assert row["parameter"] == "p"
    assert row["lower"] == pytest.approx(0.7, abs=0.03)
    assert row["upper"] == pytest.approx(draws["p"].max())
    assert row["qp"] < 0.05
    assert row["density"] > 0.95
    assert row["coverage"] > 0.9
    assert row["failing"] == pytest.approx((draws["p"] > 0.7).mean())


def test_behaviour_at_the_bar_gets_no_box() -> None:
    """A behaviour that meets the bar is not searched."""
    draws, conditions = _synthetic()
    assert failure_boxes(draws, conditions, bar=0.25).empty


def test_failure_boxes_refuse_mismatched_input() -> None:
    draws, conditions = _synthetic()
    with pytest.raises(ValueError, match="rows"):
        failure_boxes(draws.head(10), conditions)
    with pytest.raises(ValueError, match="bar"):
        failure_boxes(draws, conditions, bar=0.0)


def test_markdown_reports_shares_conditions_and_boxes() -> None:
    draws, conditions = _synthetic()
    text = robustness_markdown(conditions, failure_boxes(draws, conditions), titles={1: "One"})
    share = (draws["p"] <= 0.7).mean()
    assert f"| 1 | One | {share:.3f} | **no** |" in text
    assert f"| 1 | a | {share:.3f} |" in text
    assert "`p` ≥ 0.7" in text


@pytest.mark.slow
def test_readme_tables_are_current(model: Model) -> None:
    """models/README.md stores the tables of the 500-draw study (bench_behaviours --markdown)."""
    draws = latin_hypercube(uncertain_parameters(model), 500, 20160125)
    runs = run_cases(model, draws)
    conditions = condition_table(runs)
    readme = shipped_path("models", "README.md").read_text("utf-8")
    assert robustness_markdown(conditions, failure_boxes(draws, conditions)) in readme
    assert headroom_markdown(headroom_table(runs, conditions)) in readme


def _headroom_case(values: list[float], held: list[bool]) -> tuple[dict, pd.DataFrame]:
    """Runs with one 0-1 outcome per draw and a behaviour 1 that holds where ``held``."""
    import xarray as xr

    n = len(values)
    data = np.tile(np.asarray(values, float)[:, None], (1, 2))
    runs = {"base": xr.Dataset({"y": (("run", "time"), data)}, coords={"time": [2000.0, 2001.0]})}
    conditions = pd.DataFrame({(1, "c"): np.asarray(held, bool)})
    conditions.columns = pd.MultiIndex.from_tuples(
        conditions.columns, names=["behaviour", "condition"]
    )
    assert len(conditions) == n
    return runs, conditions


def test_headroom_table_shares_by_fixed_bins() -> None:
    """Shares per bin of the outcome, the top edge in the last bin, empty bins NaN."""
    runs, conditions = _headroom_case(
        [0.05, 0.1, 0.3, 0.9, 1.0, 0.95], [True, False, True, False, False, True]
    )
    table = headroom_table(
        runs, conditions, headroom={1: ("y", "base", "y", 2001.0)}, bins=(0.0, 0.2, 0.5, 1.0)
    )
    assert table["draws"].tolist() == [2, 1, 3]
    assert table["share"].tolist() == pytest.approx([0.5, 1.0, 1 / 3])
    empty = headroom_table(
        runs, conditions, headroom={1: ("y", "base", "y", 2001.0)}, bins=(0.0, 0.5, 0.6, 1.0)
    )
    assert np.isnan(empty["share"].iloc[1])
    text = headroom_markdown(empty)
    assert "| 1 | y | 0.67 (3) | – | 0.33 (3) |" in text


def test_headroom_table_refuses_bad_input() -> None:
    runs, conditions = _headroom_case([0.1, 0.2], [True, False])
    spec = {1: ("y", "base", "y", 2001.0)}
    with pytest.raises(SpecError, match="increasing"):
        headroom_table(runs, conditions, headroom=spec, bins=(0.5, 0.2))
    with pytest.raises(SpecError, match="lack"):
        headroom_table(runs, conditions, headroom={1: ("y", "base", "z", 2001.0)})
    with pytest.raises(SpecError, match="not among"):
        headroom_table(runs, conditions, headroom={2: ("y", "base", "y", 2001.0)})


def test_headroom_of_the_model_partitions_the_draws(small_study) -> None:
    """On the model's runs every draw falls in exactly one bin of each behaviour."""
    draws, conditions, runs = small_study
    table = headroom_table(runs, conditions)
    assert set(table["behaviour"]) == {2, 3, 6}
    assert (table.groupby("behaviour")["draws"].sum() == len(draws)).all()
