"""The Limitations section, built from the data: fit quality, identifiability, scope, flags.

Nothing here is written by hand for one case: every sentence is generated
from the stored fit (hold-out statistics, naive-forecast benchmarks when the
calibration stored them, profile-likelihood verdicts, estimates on their
search bounds, which outcomes no data constrain), from the declared scope
(``models/scope.toml``: what the model leaves out and where it departs from
Gereffi & Lee 2016) and from the plausibility flags of the projections.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .plausibility import Flag
from .stored import StoredFit
from .words import outcome_name, scenario_name

__all__ = ["Limitation", "fit_limitations", "limitations", "readme_disagreements"]

#: Relative distance to a search bound below which an estimate is "on the bound".
ON_BOUND = 0.01


@dataclass(frozen=True)
class Limitation:
    """One group of limitations: a heading and its sentences."""

    heading: str
    items: list[str]


def _series_list(names: Sequence[str]) -> str:
    names = [str(n).replace("_", " ") for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _benchmarks(statistics: pd.DataFrame) -> list[str]:
    """Sentences on naive-forecast benchmarks, for whichever columns the fit stored."""
    items = []
    hold = statistics[statistics["sample"] == "holdout"] if "sample" in statistics else statistics
    for column, label in (
        ("u2", "Theil's U2 (model error over a no-change forecast's)"),
        ("theil_u2", "Theil's U2 (model error over a no-change forecast's)"),
    ):
        if column in hold and hold[column].notna().any():
            worse = hold.loc[hold[column] > 1, "series"].tolist()
            items.append(
                f"{label} on the hold-out years: "
                + ", ".join(f"{s.replace('_', ' ')} {u:.2f}" for s, u in zip(
                    hold["series"], hold[column], strict=True) if np.isfinite(u))
                + (
                    f"; above 1 (worse than assuming no change) for {_series_list(worse)}."
                    if worse
                    else "; below 1 for every series."
                )
            )  # fmt: skip
            break
    for column, label in (
        ("rmse_random_walk", "a random walk"),
        ("rw_rmse", "a random walk"),
        ("rmse_trend", "a linear trend"),
        ("trend_rmse", "a linear trend"),
    ):
        if column in hold and "rmse" in hold and hold[column].notna().any():
            beaten = [
                str(s)
                for s, model, naive in zip(hold["series"], hold["rmse"], hold[column], strict=True)
                if np.isfinite(naive) and model > naive
            ]
            items.append(
                f"Against {label} fitted to the same in-sample data, the model's hold-out "
                "error is larger for "
                + (_series_list(beaten) if beaten else "none of the series")
                + "."
            )
    if {"mape", "mape_rw", "mape_trend"} <= set(hold.columns):
        rows = [
            f"{str(r.series).replace('_', ' ')}: model {r.mape:.0f}%, random walk "
            f"{r.mape_rw:.0f}%, trend {r.mape_trend:.0f}%"
            for r in hold.itertuples()
            if np.isfinite(r.mape) and np.isfinite(r.mape_rw) and np.isfinite(r.mape_trend)
        ]
        worse = [
            str(r.series).replace("_", " ")
            for r in hold.itertuples()
            if np.isfinite(r.mape) and r.mape > min(r.mape_rw, r.mape_trend)
        ]
        if rows:
            items.append(
                "Hold-out error (MAPE) against naive forecasts from the last fitted year: "
                + "; ".join(rows)
                + (
                    f". A naive forecast beats the model for {_series_list(worse)}."
                    if worse
                    else ". The model beats both for every series."
                )
            )
    for column in ("coverage", "band_coverage", "coverage_90"):
        if column in hold and hold[column].notna().any():
            items.append(
                "Share of hold-out observations inside the 90% band: "
                + ", ".join(
                    f"{str(s).replace('_', ' ')} {c:.0%}"
                    for s, c in zip(hold["series"], hold[column], strict=True)
                    if np.isfinite(c)
                )
                + "."
            )
            break
    return items


def _flag_items(flags: Sequence[Flag]) -> list[str]:
    """One sentence per outcome and breached bound, naming every scenario and the source."""
    grouped: dict[tuple[str, str], list[Flag]] = {}
    for flag in flags:
        grouped.setdefault((flag.outcome, flag.rule), []).append(flag)
    items = []
    for (outcome, rule), members in grouped.items():
        names = [scenario_name(f.scenario) for f in members]
        items.append(
            f"{outcome} {rule} under {len(names)} scenario(s) ({', '.join(names)}); e.g. "
            f"{members[0].text}. Bound: {members[0].source or 'models/scope.toml'}."
        )
    return items


def readme_disagreements(readme: str | os.PathLike[str]) -> list[str]:
    """Return the bullets of "Where the model disagrees with the paper" in ``readme``.

    Markdown emphasis and code marks are removed; an absent section gives [].
    """
    text = Path(readme).read_text("utf-8")
    heading = "## Where the model disagrees with the paper"
    if heading not in text:
        return []
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    bullets = re.split(r"^\s*-\s+", section, flags=re.M)[1:]
    return [re.sub(r"[*`]", "", " ".join(b.split())) for b in bullets if b.strip()]


def fit_limitations(fit: StoredFit, outcomes: Sequence[str]) -> list[Limitation]:
    """Limitations of the calibration: hold-out fit, benchmarks, identifiability, bounds, data."""
    groups = []
    statistics = fit.statistics()
    fit_items = []
    if {"sample", "r2", "series"} <= set(statistics.columns):
        hold = statistics[statistics["sample"] == "holdout"]
        negative = hold.loc[hold["r2"] < 0, "series"].tolist()
        if len(hold):
            fit_items.append(
                f"Out of sample the fit is weak: on the hold-out years, R² is negative for "
                f"{len(negative)} of {len(hold)} fitted series"
                + (f" ({_series_list(negative)})" if negative else "")
                + ": there the model forecasts worse than the hold-out mean."
            )
    fit_items.extend(_benchmarks(statistics))
    if fit_items:
        groups.append(Limitation("How well the model fits the data", fit_items))

    data = fit.dataset
    ident_items = []
    if "profile_verdict" in data:
        verdicts = data["profile_verdict"].to_series().astype(str)
        weak = [p for p, v in verdicts.items() if "non-identifiable" in v]
        if len(verdicts):
            ident_items.append(
                f"{len(weak)} of {len(verdicts)} calibrated parameters are not identifiable from "
                "the data (flat profile likelihood)"
                + (f": {_series_list(weak)}" if weak else "")
                + ". Their values are one of many that fit equally well; projections that "
                "depend on them are uncertain beyond the bands shown."
            )
    if {"estimate", "search_lower", "search_upper"} <= set(data.data_vars):
        est = data["estimate"].values.astype(float)
        low, high = data["search_lower"].values.astype(float), data["search_upper"].values
        span = np.where(high - low > 0, high - low, 1.0)
        on = (np.abs(est - low) <= ON_BOUND * span) | (np.abs(high - est) <= ON_BOUND * span)
        names = [str(p) for p, flag in zip(data["parameter"].values, on, strict=True) if flag]
        if names:
            ident_items.append(
                f"{len(names)} estimates sit on a bound of their search range "
                f"({_series_list(names)}): "
                "the data push them further than the range allows."
            )
    if ident_items:
        groups.append(Limitation("What the data cannot pin down", ident_items))

    try:
        info = json.loads(data.attrs.get("series_info", "{}"))
    except json.JSONDecodeError:
        info = {}
    fitted = {str(v.get("variable")) for v in info.values() if isinstance(v, dict)}
    unfitted = [o for o in outcomes if "index" in o.lower() and o not in fitted]
    if unfitted:
        targets = _series_list(sorted(fitted, key=str.lower)).lower() if fitted else "no series"
        groups.append(
            Limitation(
                "What no data constrain",
                [
                    f"The headline indices ({', '.join(outcome_name(o) for o in unfitted)}) are "
                    f"fitted to no data: the calibration targets are {targets}. The indices "
                    "follow from the model's structure and the fitted parameters."
                ],
            )
        )
    return groups


def limitations(
    fit: StoredFit,
    *,
    outcomes: Sequence[str],
    scope: dict[str, Any],
    flags: Sequence[Flag],
    disagreements: Sequence[str] = (),
) -> list[Limitation]:
    """Return every limitation group, in reading order.

    Parameters
    ----------
    fit : StoredFit
        The case's calibration.
    outcomes : sequence of str
        The outcomes the report shows.
    scope : dict
        The declared scope (:func:`~.plausibility.load_scope`).
    flags : sequence of Flag
        Plausibility flags of the projections.
    disagreements : sequence of str
        Where the model disagrees with the paper (:func:`readme_disagreements`);
        when empty, the ``[[departure]]`` entries of the scope are used.
    """
    groups = fit_limitations(fit, outcomes)
    if flags:
        groups.append(Limitation("Projections outside their plausible range", _flag_items(flags)))
    departures = list(disagreements) or [
        f"The paper: {d['paper']} The model: {d['model']}" for d in scope.get("departure", [])
    ]
    if departures:
        groups.append(Limitation("Where the model departs from the paper", departures))
    scope_items = [entry["text"] for entry in scope.get("scope", [])]
    if scope_items:
        groups.append(Limitation("What the model leaves out", scope_items))
    return groups
