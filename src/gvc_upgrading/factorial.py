"""Synergy measured as interaction: a 2^k factorial design over the governance paths.

Each path (a shipped scenario's levers: ``market``, ``csr``, ...) is a factor
that is off (baseline values) or on (the scenario's values). Every one of the
``2^k`` combinations is run, for one or more draws of the uncertain
parameters, through the batch engine. :func:`effects` gives each path's main
effect and every interaction with the usual factorial contrasts (Box, Hunter &
Hunter 2005, ch. 5): with factors coded -1/+1, the effect of a set ``S`` of
paths is ``2 / 2^k * sum(y * prod(x_i for i in S))``. A positive interaction is
synergy (the paths together give more than the sum of their separate gains); a
negative one is sub-additivity (they substitute for each other).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .arguments import INTEGER, MODEL, NAMES, NUMBER, PATH, check_arguments, instance_of, optional
from .errors import SpecError
from .model import Model
from .robustness import _compiled
from .scenarios import SINGLE_PATHS, load_scenario

__all__ = ["FACTORIAL_OUTCOMES", "effects", "effects_table", "run_factorial"]

#: Outcomes whose effects the factorial reports by default.
FACTORIAL_OUTCOMES: tuple[str, ...] = (
    "Social upgrading index",
    "Economic upgrading index",
    "Average wage",
    "Temporary worker wage",
    "True compliance visible",
    "True compliance less visible",
    "Labour organisation",
    "Export orders",
)


_FRAME = instance_of(pd.DataFrame, "a pandas DataFrame")


def run_factorial(
    model: Model,
    *,
    paths: Sequence[str] = SINGLE_PATHS,
    outcomes: Sequence[str] = FACTORIAL_OUTCOMES,
    year: float = 2035.0,
    draws: pd.DataFrame | None = None,
    directory: str | os.PathLike[str] | None = None,
    **run_options: object,
) -> pd.DataFrame:
    """Run every on/off combination of the paths.

    Parameters
    ----------
    model : Model
    paths : sequence of str
        Shipped scenario names, one factor each (default: the six paths).
    outcomes : sequence of str
        Variables to record.
    year : float
        Year in which outcomes are read.
    draws : pandas.DataFrame, optional
        Parameter draws (one row each) under every combination; default one
        draw at the model's values.
    directory : path-like, optional
        Scenario folder (default: the shipped ``models/scenarios``).
    **run_options
        Passed to the batch engine.

    Returns
    -------
    pandas.DataFrame
        One row per (draw, combination): column ``draw``, one 0/1 column per
        path, one column per outcome.

    Raises
    ------
    SpecError
        If fewer than two paths are given, a path repeats, or ``year`` is
        outside the simulation.
    ArgumentTypeError
        If an argument has the wrong type.
    """
    check_arguments(
        "run_factorial",
        model=(model, MODEL),
        paths=(paths, NAMES),
        outcomes=(outcomes, NAMES),
        year=(year, NUMBER),
        draws=(draws, optional(_FRAME)),
        directory=(directory, optional(PATH)),
    )
    paths = list(paths)
    if len(paths) < 2 or len(set(paths)) != len(paths):
        raise SpecError(f"a factorial needs at least two distinct paths, got {paths}")
    if not model.initial_time <= year <= model.final_time:
        raise SpecError(
            f"year {year!r} is outside the simulation {model.initial_time:g}-{model.final_time:g}"
        )
    levers = {
        name: dict(load_scenario(name, model, directory=directory).parameters) for name in paths
    }
    draws = draws if draws is not None else pd.DataFrame(index=[0])
    combos = list(itertools.product((0, 1), repeat=len(paths)))
    samples, rows = [], []
    for d, draw in enumerate(draws.to_dict("records")):
        for combo in combos:
            overrides = dict(draw)
            for on, name in zip(combo, paths, strict=True):
                if on:
                    overrides.update(levers[name])
            samples.append(overrides)
            rows.append({"draw": d, **dict(zip(paths, combo, strict=True))})
    batch = _compiled(model)
    result = batch.run(
        samples,
        return_columns=list(outcomes),
        return_timestamps=[year],
        check_bounds=False,
        **run_options,
    )
    table = pd.DataFrame(rows)
    for name in outcomes:
        table[name] = result[name].sel(time=year).to_numpy()
    return table


def effects(table: pd.DataFrame, *, order: int | None = None) -> pd.DataFrame:
    """Main effects and interactions of a factorial run, averaged over draws.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`run_factorial`.
    order : int, optional
        Highest interaction order to report (default: all).

    Returns
    -------
    pandas.DataFrame
        Index ``effect`` (paths joined by `` x ``), column ``order``, one column
        per outcome (mean effect over draws) and, per outcome, ``<outcome>
        positive share`` (share of draws in which the effect is positive).

    Raises
    ------
    ArgumentTypeError
        If an argument has the wrong type.
    SpecError
        If ``order`` is below 1 or the table has no ``draw`` column.
    """
    check_arguments("effects", table=(table, _FRAME), order=(order, optional(INTEGER)))
    if order is not None and order < 1:
        raise SpecError(f"effects: order must be at least 1, got {order}")
    if "draw" not in table.columns:
        raise SpecError("effects: the table has no 'draw' column; pass run_factorial's output")
    paths = [c for c in table.columns if c != "draw" and set(table[c].unique()) <= {0, 1}]
    outcomes = [c for c in table.columns if c != "draw" and c not in paths]
    k = len(paths)
    order = k if order is None else order
    coded = 2 * table[paths].to_numpy() - 1
    records = []
    for size in range(1, order + 1):
        for subset in itertools.combinations(range(k), size):
            sign = np.prod(coded[:, subset], axis=1)
            record: dict[str, object] = {
                "effect": " x ".join(paths[i] for i in subset),
                "order": size,
            }
            for name in outcomes:
                per_draw = (
                    pd.Series(sign * table[name].to_numpy())
                    .groupby(table["draw"].to_numpy())
                    .sum()
                    * 2
                    / 2**k
                )
                record[name] = float(per_draw.mean())
                record[f"{name} positive share"] = float((per_draw > 0).mean())
            records.append(record)
    return pd.DataFrame(records).set_index("effect")


def effects_table(
    effect_frame: pd.DataFrame, *, outcomes: Sequence[str] | None = None, order: int = 2
) -> str:
    """Format main effects and interactions up to ``order`` as a Markdown table.

    Parameters
    ----------
    effect_frame : pandas.DataFrame
        Output of :func:`effects`.
    outcomes : sequence of str, optional
        Outcome columns to show (default: every outcome).
    order : int
        Highest interaction order shown.

    Returns
    -------
    str
        A Markdown table; positive interactions are synergy.

    Raises
    ------
    ArgumentTypeError
        If an argument has the wrong type.
    """
    check_arguments(
        "effects_table",
        effect_frame=(effect_frame, _FRAME),
        outcomes=(outcomes, optional(NAMES)),
        order=(order, INTEGER),
    )
    names = (
        list(outcomes)
        if outcomes is not None
        else [c for c in effect_frame.columns if c != "order" and not c.endswith("positive share")]
    )
    shown = effect_frame[effect_frame["order"] <= order]
    lines = ["| effect | order | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for effect, row in shown.iterrows():
        lines.append(
            f"| {effect} | {int(row['order'])} | "
            + " | ".join(f"{row[n]:+.4g}" for n in names)
            + " |"
        )
    return "\n".join(lines)
