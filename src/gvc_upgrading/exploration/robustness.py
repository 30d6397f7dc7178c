"""Robustness of each policy across the sampled futures: class shares, quantiles, regret.

Regret (Savage 1951; as used in robust decision making, Lempert et al. 2003):
in each future, a policy's regret on an index is the best change any policy
reached in that future minus its own change; the best policy in a future has
regret 0. The ranking orders policies by their share of futures where both
economic and social upgrading happen, then by their median regret on the
social index (a modelling choice that follows the paper's question).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .classify import CLASSES

__all__ = ["regret", "robustness_table", "to_policy_draw"]


def to_policy_draw(
    values: np.ndarray, policy: np.ndarray, draw: np.ndarray, policies: Sequence[str]
) -> np.ndarray:
    """Reshape per-run values into a ``(policy, draw)`` array.

    Raises
    ------
    ValueError
        If some (policy, draw) pair has no run or more than one.
    """
    policy = np.asarray(policy).astype(str)
    draw = np.asarray(draw, dtype=int)
    index = {str(p): i for i, p in enumerate(policies)}
    rows = np.array([index[p] for p in policy])
    n = int(draw.max()) + 1
    grid = np.full((len(policies), n), np.nan)
    counts = np.zeros((len(policies), n), dtype=int)
    np.add.at(counts, (rows, draw), 1)
    if (counts != 1).any():
        raise ValueError("every policy must have exactly one run in every future")
    grid[rows, draw] = np.asarray(values, dtype=float)
    return grid


def regret(grid: np.ndarray) -> np.ndarray:
    """Return each policy's regret in each future: best value in the future minus its own.

    Parameters
    ----------
    grid : numpy.ndarray
        ``(policy, draw)`` values where more is better.

    Returns
    -------
    numpy.ndarray
        Same shape, ≥ 0, with a 0 for the best policy of every future.
    """
    grid = np.asarray(grid, dtype=float)
    return grid.max(axis=0, keepdims=True) - grid


def robustness_table(
    policy: np.ndarray,
    draw: np.ndarray,
    codes: np.ndarray,
    delta_economic: np.ndarray,
    delta_social: np.ndarray,
    policies: Sequence[str],
) -> pd.DataFrame:
    """Return the robustness table of every policy.

    Parameters
    ----------
    policy, draw : numpy.ndarray
        Policy name and future index of each run.
    codes : numpy.ndarray
        Outcome class code of each run (into :data:`~.classify.CLASSES`).
    delta_economic, delta_social : numpy.ndarray
        Change of each index over the horizon, per run.
    policies : sequence of str
        Policy names in table order.

    Returns
    -------
    pandas.DataFrame
        Index ``policy``; ``share_<class>`` for each class (summing to 1),
        ``median_``/``p10_`` of ``delta_economic`` and ``delta_social``,
        ``median_``/``max_regret_economic`` and ``_social``, and ``rank``
        (1 = most futures with both upgrades; ties broken by median social
        regret). Sorted by rank.
    """
    codes_grid = to_policy_draw(codes, policy, draw, policies).astype(int)
    economic = to_policy_draw(delta_economic, policy, draw, policies)
    social = to_policy_draw(delta_social, policy, draw, policies)
    table = pd.DataFrame(index=pd.Index(list(policies), name="policy"))
    for code, name in enumerate(CLASSES):
        table[f"share_{name}"] = (codes_grid == code).mean(axis=1)
    for label, grid in (("economic", economic), ("social", social)):
        table[f"median_delta_{label}"] = np.median(grid, axis=1)
        table[f"p10_delta_{label}"] = np.quantile(grid, 0.1, axis=1)
    for label, grid in (("economic", economic), ("social", social)):
        lost = regret(grid)
        table[f"median_regret_{label}"] = np.median(lost, axis=1)
        table[f"max_regret_{label}"] = lost.max(axis=1)
    order = table.sort_values(
        ["share_both", "median_regret_social"], ascending=[False, True], kind="stable"
    ).index
    table["rank"] = pd.Series(np.arange(1, len(order) + 1), index=order)
    return table.loc[order]
