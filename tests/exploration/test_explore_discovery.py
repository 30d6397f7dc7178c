"""PRIM recovers a planted box; feature scores find the inputs that matter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gvc_upgrading.exploration.classify import CLASSES
from gvc_upgrading.exploration.discovery import choose_box, feature_scores, prim_box, subsample

BOX = {"a": (0.3, 0.8), "b": (0.5, 1.0)}


def _synthetic(rows: int = 3000, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(0, 1, (rows, 5)), columns=list("abcde"))
    inside = np.ones(rows, dtype=bool)
    for name, (low, high) in BOX.items():
        inside &= (x[name] > low) & (x[name] < high)
    return x, inside


def test_prim_recovers_a_planted_box() -> None:
    x, y = _synthetic()
    result = prim_box(x, y, min_coverage=0.9)
    assert result.coverage >= 0.9
    assert result.density >= 0.9
    limits = result.limits
    assert set(limits.index) == {"a", "b"}, "only the planted inputs are restricted"
    for name, (low, high) in BOX.items():
        # within 5% of the input's range (here 0..1) of the true limits
        assert limits.at[name, "lower"] == pytest.approx(low, abs=0.05)
        assert limits.at[name, "upper"] == pytest.approx(high, abs=0.05)
    # b's upper limit is the edge of its range: not restricted, so no quasi-p-value.
    assert np.isnan(limits.at["b", "qp_upper"])
    assert limits.at["a", "qp_lower"] < 0.05


def test_prim_refuses_a_class_with_no_run() -> None:
    x, _ = _synthetic(200)
    with pytest.raises(ValueError, match="nothing to discover"):
        prim_box(x, np.zeros(len(x), dtype=bool))


def test_choose_box_takes_the_densest_with_enough_coverage() -> None:
    trajectory = pd.DataFrame(
        {
            "coverage": [1.0, 0.9, 0.8, 0.6, 0.4],
            "density": [0.2, 0.5, 0.7, 0.9, 1.0],
            "mass": [1.0, 0.5, 0.3, 0.2, 0.1],
            "res_dim": [0, 1, 1, 2, 3],
        }
    )
    assert choose_box(trajectory, 0.5) == 3
    assert choose_box(trajectory, 0.85) == 1
    assert choose_box(trajectory, 0.3) == 4


def test_feature_scores_rank_the_planted_inputs_first() -> None:
    x, y = _synthetic(1500)
    codes = np.where(y, CLASSES.index("both"), CLASSES.index("neither"))
    scores = feature_scores(x, codes, list(CLASSES), trees=30, seed=0)
    both = scores["both"].sort_values(ascending=False)
    assert set(both.index[:2]) == {"a", "b"}
    assert both.sum() == pytest.approx(1.0)
    assert scores["social_only"].isna().all(), "a class with no run has no scores"


def test_subsample_is_seeded_and_bounded() -> None:
    assert np.array_equal(subsample(10, 20, 0), np.arange(10))
    first, second = subsample(1000, 100, 7), subsample(1000, 100, 7)
    assert np.array_equal(first, second)
    assert len(np.unique(first)) == 100
