"""Convergence of Sobol' indices: double N until the intervals are narrow and the ranking holds.

The Saltelli design for N is a prefix of the design for 2N (same scrambled
Sobol' sequence), so each doubling evaluates only the new rows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import SpecError
from .sobol import analyse_sobol, prepare_sobol
from .spec import Study

__all__ = [
    "RANKING_FLOOR",
    "SobolConvergence",
    "ranking_stable",
    "sobol_convergence",
    "top_ranking",
    "widest_st_interval",
]


@dataclass(frozen=True)
class SobolConvergence:
    """The outcome of :func:`sobol_convergence`.

    Attributes
    ----------
    result : xarray.Dataset
        Sobol' indices at the last N tried (with S2 if the study asks for it).
    table : pandas.DataFrame
        One row per N: ``n, runs, widest_st_conf, widest_at, ranking,
        ranking_stable, converged``.
    converged : bool
        Whether the last N met both criteria (else the cap was reached).
    """

    result: xr.Dataset
    table: pd.DataFrame
    converged: bool


def widest_st_interval(result: xr.Dataset) -> tuple[float, str]:
    """Return the largest ST confidence half-width in a result and where it occurs."""
    factor_dim = result.attrs.get("factor_dim", "parameter")
    widest, where = 0.0, ""
    for name, output_dim in (("ST_conf", "output"), ("ST_time_conf", "trajectory")):
        if name not in result:
            continue
        conf = result[name]
        if not conf.size or not np.isfinite(conf.values).any():
            continue
        position = conf.argmax(...)
        value = float(conf.isel(position))
        if value > widest:
            labels = [str(result[output_dim].values[position[output_dim]])]
            labels.append(str(result[factor_dim].values[position[factor_dim]]))
            if "time" in position:
                labels.append(f"{float(result['time'].values[position['time']]):g}")
            widest, where = value, " / ".join(labels)
    return widest, where


#: Factors whose ST stays below this share of variance do not take part in the ranking.
RANKING_FLOOR = 0.02


def top_ranking(result: xr.Dataset, top: int) -> dict[str, tuple[str, ...]]:
    """Return, per output, the leading factors ordered by ST.

    At most ``top`` factors with ST of at least :data:`RANKING_FLOOR`;
    trajectory outputs are ranked by their time-averaged ST.
    """
    rankings: dict[str, tuple[str, ...]] = {}
    if "ST" in result:
        for output in result["output"].values:
            series = result["ST"].sel(output=output).to_series()
            rankings[str(output)] = _order(series, top)
    if "ST_time" in result:
        for trajectory in result["trajectory"].values:
            series = result["ST_time"].sel(trajectory=trajectory).mean("time").to_series()
            rankings[str(trajectory)] = _order(series, top)
    return rankings


def _order(series: pd.Series, top: int) -> tuple[str, ...]:
    ordered = series[series >= RANKING_FLOOR].sort_values(ascending=False, kind="stable")
    return tuple(str(name) for name in ordered.index[:top])


def _total_indices(result: xr.Dataset) -> dict[str, tuple[pd.Series, pd.Series]]:
    """ST and its confidence half-width per output (time-averaged for trajectories)."""
    totals: dict[str, tuple[pd.Series, pd.Series]] = {}
    if "ST" in result:
        for output in result["output"].values:
            selected = result.sel(output=output)
            totals[str(output)] = (selected["ST"].to_series(), selected["ST_conf"].to_series())
    if "ST_time" in result:
        for trajectory in result["trajectory"].values:
            selected = result.sel(trajectory=trajectory).mean("time")
            totals[str(trajectory)] = (
                selected["ST_time"].to_series(),
                selected["ST_time_conf"].to_series(),
            )
    return totals


def ranking_stable(previous: xr.Dataset, current: xr.Dataset, top: int) -> bool:
    """Whether the leading factors of every output keep their order from ``previous``.

    The leading factors are those of :func:`top_ranking` at either N. Two of
    them may swap places only when they are tied at the current N: their ST
    values differ by no more than the larger of their confidence half-widths.
    """
    before = _total_indices(previous)
    after = _total_indices(current)
    leaders_before = top_ranking(previous, top)
    leaders_after = top_ranking(current, top)
    for output, (st, conf) in after.items():
        if output not in before:
            return False
        st_before = before[output][0]
        leaders = list(dict.fromkeys(leaders_before.get(output, ()) + leaders_after[output]))
        for i, a in enumerate(leaders):
            for b in leaders[i + 1 :]:
                swapped = (st_before[a] - st_before[b]) * (st[a] - st[b]) < 0
                tied = abs(st[a] - st[b]) <= max(conf[a], conf[b])
                if swapped and not tied:
                    return False
    return True


def sobol_convergence(
    study: str | os.PathLike[str] | Mapping[str, Any] | Study,
    target: Any,
    *,
    start: int | None = None,
    cap: int | None = None,
    tolerance: float | None = None,
    top: int | None = None,
    seed: int | None = None,
    second_order: bool | None = None,
    groups: Mapping[str, Sequence[str]] | bool | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
) -> SobolConvergence:
    """Double N from ``start`` until the widest ST interval is at most ``tolerance``
    and the ranking of every output's leading factors is stable, or N reaches ``cap``.

    The ranking is stable when the leading factors (at most ``top`` with ST of
    at least :data:`RANKING_FLOOR`) keep their order from the previous N,
    except for swaps between factors tied within their confidence intervals
    (see :func:`ranking_stable`).

    Parameters
    ----------
    study, target, seed, second_order, groups, scheduler, progress, checkpoint_dir
        As for :func:`~gvc_upgrading.sensitivity.sobol`.
    start, cap, tolerance, top : optional
        Override the study's ``[convergence]`` settings (defaults 256, 8192,
        0.05, 5).

    Returns
    -------
    SobolConvergence
        The indices at the final N, the convergence table, and whether the
        criteria were met. S2 is estimated only at the final N.
    """
    design = prepare_sobol(
        study, target, seed=seed, second_order=second_order, groups=groups, scheduler=scheduler
    )
    settings = design.study.convergence
    start = settings.start if start is None else start
    cap = settings.cap if cap is None else cap
    tolerance = settings.tolerance if tolerance is None else tolerance
    top = settings.top if top is None else top
    if not (start >= 2 and cap >= start and start & (start - 1) == 0 and cap & (cap - 1) == 0):
        raise SpecError(
            f"convergence needs powers of two with start <= cap, got {start} and {cap}"
        )
    if not tolerance > 0 or top < 1:
        raise SpecError("convergence tolerance must be > 0 and top >= 1")

    rows: list[dict[str, Any]] = []
    samples = np.empty((0, len(design.study.parameters)))
    values = np.empty((0, 0))
    previous: xr.Dataset | None = None
    n = start
    converged = False
    result = xr.Dataset()
    while True:
        new_samples = design.sample(n)
        known = samples.shape[0]
        if known and not np.array_equal(new_samples[:known], samples):
            known = 0  # not a prefix (cannot happen with SALib's scrambled Sobol'): start over
            values = np.empty((0, 0))
        fresh = design.evaluate(
            new_samples, first_row=known, progress=progress, checkpoint_dir=checkpoint_dir
        )
        assert isinstance(fresh, np.ndarray)  # evaluated in memory (the default)
        values = fresh if not known else np.concatenate([values, fresh], axis=0)
        samples = new_samples
        result = analyse_sobol(design, values, second_order=False, progress=progress)
        widest, where = widest_st_interval(result)
        ranking = top_ranking(result, top)
        stable = previous is not None and ranking_stable(previous, result, top)
        converged = widest <= tolerance and stable
        rows.append(
            {
                "n": n,
                "runs": values.shape[0],
                "widest_st_conf": widest,
                "widest_at": where,
                "ranking": "; ".join(f"{k}: {', '.join(v)}" for k, v in ranking.items()),
                "ranking_stable": stable,
                "converged": converged,
            }
        )
        previous = result
        if converged or n >= cap:
            break
        n *= 2
    if design.study.second_order:
        result = analyse_sobol(design, values, progress=progress)
    table = pd.DataFrame(rows).set_index("n")
    result.attrs.update(
        {
            "convergence_tolerance": float(tolerance),
            "convergence_top": int(top),
            "converged": int(converged),
        }
    )
    return SobolConvergence(result=result, table=table, converged=converged)
