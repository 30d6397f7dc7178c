"""Analyse an exploration result: robustness table, PRIM box, feature scores."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import SpecError
from .classify import CLASSES
from .discovery import PrimResult, feature_scores, prim_box, subsample
from .robustness import robustness_table

__all__ = ["Analysis", "analyse", "inputs_of"]


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyse` finds.

    Attributes
    ----------
    robustness : pandas.DataFrame
        One row per policy (see :func:`~.robustness.robustness_table`).
    prim : PrimResult or None
        The PRIM box of the target class; None when that class holds no run
        or every run (``prim_note`` says which).
    scores : pandas.DataFrame
        Feature scores, inputs × classes.
    uncertainties, levers : tuple of str
        Which inputs are uncertain conditions and which are policy levers.
    prim_note : str
        Why there is no box, or ``""``.
    """

    robustness: pd.DataFrame
    prim: PrimResult | None
    scores: pd.DataFrame
    uncertainties: tuple[str, ...]
    levers: tuple[str, ...]
    prim_note: str = ""


def inputs_of(result: xr.Dataset) -> pd.DataFrame:
    """Return the sampled uncertainties and the policy levers of every run, ``run × inputs``."""
    names = [*json.loads(result.attrs["uncertainties"]), *json.loads(result.attrs["levers"])]
    return pd.DataFrame({name: np.asarray(result[name].values, dtype=float) for name in names})


def analyse(result: xr.Dataset) -> Analysis:
    """Compute the robustness table, the PRIM box and the feature scores of a result.

    Parameters
    ----------
    result : xarray.Dataset
        A result of :func:`~.runs.explore` (or the ``exploration.nc`` it wrote).

    Returns
    -------
    Analysis

    Raises
    ------
    SpecError
        If ``result`` is not an exploration result.
    """
    for key in ("spec", "uncertainties", "levers", "policies"):
        if key not in result.attrs:
            raise SpecError(f"not an exploration result: attribute {key!r} is missing")
    spec = json.loads(result.attrs["spec"])
    policies = json.loads(result.attrs["policies"])
    seed = int(result.attrs["seed"])
    codes = np.asarray(result["outcome_class"].values)
    table = robustness_table(
        result["policy"].values,
        result["draw"].values,
        codes,
        result["delta_economic"].values,
        result["delta_social"].values,
        policies,
    )
    x = inputs_of(result)
    settings = spec["prim"]
    rows = subsample(len(x), int(settings["max_runs"]), seed)
    target = settings["target"]
    y = codes[rows] == CLASSES.index(target)
    box, note = None, ""
    if y.all() or not y.any():
        note = f"class {target!r} holds {'every' if y.all() else 'no'} run: no PRIM box"
    else:
        box = prim_box(
            x.iloc[rows],
            y,
            target=target,
            threshold=float(settings["threshold"]),
            peel_alpha=float(settings["peel_alpha"]),
            min_coverage=float(settings["min_coverage"]),
        )
    scoring = spec["feature_scoring"]
    picked = subsample(len(x), int(scoring["max_runs"]), seed + 1)
    scores = feature_scores(
        x.iloc[picked], codes[picked], list(CLASSES), trees=int(scoring["trees"]), seed=seed
    )
    return Analysis(
        robustness=table,
        prim=box,
        scores=scores,
        uncertainties=tuple(json.loads(result.attrs["uncertainties"])),
        levers=tuple(json.loads(result.attrs["levers"])),
        prim_note=note,
    )
