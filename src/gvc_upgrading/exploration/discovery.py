"""Scenario discovery: PRIM boxes and feature scores (ema-workbench's analysis functions).

PRIM (Friedman & Fisher 1999, as implemented in the EMA Workbench, Kwakkel
2017) peels the input space down to boxes where an outcome class is dense;
each step of the peeling trajectory trades coverage (share of the class's runs
inside the box) for density (share of the box's runs in the class). Feature
scores are extra-trees importances of each input for one class against the
rest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._ema import ema_analysis, quiet_ema

__all__ = ["PrimResult", "choose_box", "feature_scores", "prim_box", "subsample"]


@dataclass(frozen=True)
class PrimResult:
    """One PRIM box and its peeling trajectory.

    Attributes
    ----------
    trajectory : pandas.DataFrame
        ``coverage, density, mass, res_dim`` per peeling step (index: step).
    chosen : int
        The step whose box is reported.
    limits : pandas.DataFrame
        The chosen box's restricted inputs (index ``parameter``): ``lower``,
        ``upper``, the input's sampled ``minimum``/``maximum``, and the
        quasi-p-values ``qp_lower``/``qp_upper`` (NaN where that side is not
        restricted).
    target : str
        The outcome class the box describes.
    """

    trajectory: pd.DataFrame
    chosen: int
    limits: pd.DataFrame
    target: str

    @property
    def coverage(self) -> float:
        """Coverage of the chosen box."""
        return float(self.trajectory.loc[self.chosen, "coverage"])

    @property
    def density(self) -> float:
        """Density of the chosen box."""
        return float(self.trajectory.loc[self.chosen, "density"])


def subsample(rows: int, limit: int, seed: int) -> np.ndarray:
    """Return sorted indices of at most ``limit`` of ``rows`` rows (all when fewer), seeded."""
    if rows <= limit:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, size=limit, replace=False))


def choose_box(trajectory: pd.DataFrame, min_coverage: float) -> int:
    """Return the densest step with coverage ≥ ``min_coverage`` (the first if none reaches it).

    Ties in density go to the larger coverage.
    """
    eligible = trajectory[trajectory["coverage"] >= min_coverage - 1e-12]
    if eligible.empty:
        return int(trajectory.index[0])
    best = eligible.sort_values(["density", "coverage"], ascending=[False, False])
    return int(best.index[0])


def prim_box(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    target: str = "both",
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    min_coverage: float = 0.5,
) -> PrimResult:
    """Find the PRIM box of the runs where ``y`` is true.

    Parameters
    ----------
    x : pandas.DataFrame
        Inputs, one column per uncertain parameter or lever (numbers).
    y : numpy.ndarray of bool
        Whether each run is in the target class.
    target : str
        Label of the class (recorded in the result).
    threshold : float
        ema-workbench's density threshold for the box.
    peel_alpha : float
        Share of the runs peeled at each step.
    min_coverage : float
        The reported box is the densest one with at least this coverage.

    Returns
    -------
    PrimResult

    Raises
    ------
    ValueError
        If ``y`` has no true or no false value (there is nothing to discover),
        or ``x`` and ``y`` differ in length.
    """
    prim, _, _ = ema_analysis()
    y = np.asarray(y, dtype=bool)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)}")
    if y.all() or not y.any():
        raise ValueError(
            f"class {target!r} holds {'every' if y.all() else 'no'} run: nothing to discover"
        )
    x = x.reset_index(drop=True).astype(float)
    logger = logging.getLogger("EMA")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with quiet_ema():
            finder = prim.Prim(x, y, threshold=threshold, peel_alpha=peel_alpha)
            box = finder.find_box()
    finally:
        logger.setLevel(level)
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].astype(float)
    trajectory = trajectory.reset_index(drop=True)
    trajectory.index.name = "step"
    chosen = choose_box(trajectory, min_coverage)
    return PrimResult(trajectory, chosen, _limits(x, box, chosen), target)


def _limits(x: pd.DataFrame, box, step: int) -> pd.DataFrame:
    lims = box.box_lims[step]
    qp = box.qp[step]
    rows = []
    for name in x.columns:
        low, high = float(lims.at[0, name]), float(lims.at[1, name])
        minimum, maximum = float(x[name].min()), float(x[name].max())
        if low <= minimum and high >= maximum:
            continue
        q_low, q_high = qp.get(name, [-1.0, -1.0])
        rows.append(
            {
                "parameter": name,
                "lower": low,
                "upper": high,
                "minimum": minimum,
                "maximum": maximum,
                "qp_lower": np.nan if q_low == -1 else float(q_low),
                "qp_upper": np.nan if q_high == -1 else float(q_high),
            }
        )
    columns = ["parameter", "lower", "upper", "minimum", "maximum", "qp_lower", "qp_upper"]
    return pd.DataFrame(rows, columns=columns).set_index("parameter")


def feature_scores(
    x: pd.DataFrame,
    labels: np.ndarray,
    classes: list[str],
    *,
    trees: int = 100,
    seed: int = 0,
) -> pd.DataFrame:
    """Return extra-trees feature scores of every input for each class (one against the rest).

    Parameters
    ----------
    x : pandas.DataFrame
        Inputs (numbers).
    labels : numpy.ndarray
        Class code of each run (index into ``classes``).
    classes : list of str
        Class names.
    trees : int
        Trees in the forest.
    seed : int
        Random state of the forest.

    Returns
    -------
    pandas.DataFrame
        Index ``parameter``, one column per class; scores of a class sum to 1
        (NaN for a class that holds no run or every run).
    """
    _, scoring, sdutil = ema_analysis()
    x = x.reset_index(drop=True).astype(float)
    labels = np.asarray(labels)
    table = pd.DataFrame(index=pd.Index(list(x.columns), name="parameter"), dtype=float)
    for code, name in enumerate(classes):
        y = (labels == code).astype(int)
        if y.all() or not y.any():
            table[name] = np.nan
            continue
        with quiet_ema():
            scores = scoring.get_ex_feature_scores(
                x,
                y,
                mode=sdutil.RuleInductionType.CLASSIFICATION,
                nr_trees=trees,
                random_state=seed,
                oob_score=False,
                bootstrap=False,
            )[0]
        table[name] = scores.iloc[:, 0].reindex(table.index).astype(float)
    return table
