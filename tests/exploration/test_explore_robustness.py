"""Robustness table: shares sum to one, regret is zero for the best policy, ranking."""

from __future__ import annotations

import numpy as np
import pytest

from gvc_upgrading.exploration.classify import CLASSES, classify
from gvc_upgrading.exploration.robustness import regret, robustness_table, to_policy_draw

POLICIES = ["weak", "strong", "mixed"]


def _case(n: int = 200, seed: int = 0):
    """Three policies in the same futures: 'strong' adds 0.1 to the social change of 'weak'."""
    rng = np.random.default_rng(seed)
    economic = rng.normal(0.1, 0.05, n)
    social = rng.normal(0.0, 0.05, n)
    per_policy = {
        "weak": (economic, social),
        "strong": (economic, social + 0.1),
        "mixed": (economic - 0.02, social + 0.05),
    }
    policy = np.repeat(POLICIES, n)
    draw = np.tile(np.arange(n), len(POLICIES))
    delta_e = np.concatenate([per_policy[p][0] for p in POLICIES])
    delta_s = np.concatenate([per_policy[p][1] for p in POLICIES])
    codes = classify(delta_e, delta_s, 0.05, 0.05)
    return policy, draw, codes, delta_e, delta_s


def test_shares_sum_to_one_per_policy() -> None:
    table = robustness_table(*_case(), POLICIES)
    shares = table[[f"share_{c}" for c in CLASSES]].sum(axis=1)
    assert np.allclose(shares, 1.0)


def test_regret_is_zero_for_the_best_policy_in_every_draw() -> None:
    rng = np.random.default_rng(1)
    grid = rng.normal(size=(4, 300))
    lost = regret(grid)
    assert (lost >= 0).all()
    assert np.allclose(lost.min(axis=0), 0.0)
    assert np.array_equal(lost.argmin(axis=0), grid.argmax(axis=0))


def test_a_dominant_policy_ranks_first_with_no_social_regret() -> None:
    table = robustness_table(*_case(), POLICIES)
    assert list(table.index) == ["strong", "mixed", "weak"]
    assert list(table["rank"]) == [1, 2, 3]
    assert table.at["strong", "max_regret_social"] == pytest.approx(0.0)
    assert table.at["weak", "median_regret_social"] == pytest.approx(0.1)
    # the economic change of 'mixed' is 0.02 below the others' in every draw
    assert table.at["mixed", "median_regret_economic"] == pytest.approx(0.02)
    assert table.at["strong", "share_both"] > table.at["weak", "share_both"]


def test_quantiles_are_of_each_policy_own_runs() -> None:
    policy, draw, codes, delta_e, delta_s = _case()
    table = robustness_table(policy, draw, codes, delta_e, delta_s, POLICIES)
    weak = delta_s[policy == "weak"]
    assert table.at["weak", "median_delta_social"] == pytest.approx(np.median(weak))
    assert table.at["weak", "p10_delta_social"] == pytest.approx(np.quantile(weak, 0.1))


def test_a_missing_or_repeated_run_is_refused() -> None:
    policy, draw, _, delta_e, _ = _case(10)
    draw = draw.copy()
    draw[1] = 0  # policy 'weak' now has two runs in future 0 and none in future 1
    with pytest.raises(ValueError, match="exactly one run"):
        to_policy_draw(delta_e, policy, draw, POLICIES)
