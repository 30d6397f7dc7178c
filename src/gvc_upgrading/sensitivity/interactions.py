"""Group interactions read as synergy or displacement.

Second-order Sobol' indices between governance groups say *how much* of an
output's variance comes from two groups acting together, but not in which
direction: a variance share is never negative. The direction comes from a
combined-versus-separate contrast, the factorial analogue of comparing a
combined scenario with the single paths:

``contrast(g, h) = f(g high, h high) - f(g high) - f(h high) + f(neither high)``

with every other parameter at its reference value (the model default, or the
middle of its range for a function target). A positive contrast means the two
groups together raise the output more than the sum of their separate effects
(super-additive: **synergy**); a negative one means less (sub-additive:
**displacement**). :func:`interaction_map` puts the two side by side.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..errors import SpecError
from .design import resolve_groups
from .spec import Study, load_study
from .targets import FunctionTarget, ModelTarget, make_target

__all__ = ["READINGS", "interaction_map", "lever_contrast"]

#: How a pair of groups is read.
READINGS: tuple[str, ...] = ("synergy", "displacement", "additive", "negligible")


def _reference_point(study: Study, target: Any) -> np.ndarray:
    reference = np.array([0.5 * (p.lower + p.upper) for p in study.parameters])
    if isinstance(target, ModelTarget):
        defaults = target.model.parameters["default"]
        for j, p in enumerate(study.parameters):
            reference[j] = float(np.clip(defaults.loc[p.name], p.lower, p.upper))
    return reference


def lever_contrast(
    study: str | os.PathLike[str] | Mapping[str, Any] | Study,
    target: Any,
    *,
    groups: Mapping[str, Sequence[str]] | bool = True,
    scheduler: Any = None,
) -> xr.Dataset:
    """Combined-versus-separate contrast of every pair of groups, levers at their bounds.

    Parameters
    ----------
    study, target, scheduler
        As for :func:`~gvc_upgrading.sensitivity.sobol`.
    groups : True or mapping, default True
        The groups (``True``: the study's).

    Returns
    -------
    xarray.Dataset
        Over ``(output, group[, group_2])`` for the scalar outputs:
        ``reference_value`` (all groups low), ``lever_effect`` (one group
        high: f(high) - f(low)) and ``interaction_contrast`` (see the module
        docstring; symmetric, NaN on the diagonal). "Low" is every member at
        its lower bound, "high" at its upper bound, others at reference.
    """
    loaded = load_study(study)
    resolved, wrapped = make_target(loaded, target, scheduler=scheduler)
    factor_groups = resolve_groups(resolved, groups)
    if factor_groups is None:
        raise SpecError("lever_contrast needs groups (True or a mapping)")
    names = list(factor_groups)
    index = {p.name: j for j, p in enumerate(resolved.parameters)}
    lower = np.array([p.lower for p in resolved.parameters])
    upper = np.array([p.upper for p in resolved.parameters])
    base = _reference_point(resolved, wrapped)

    def point(high: Sequence[str]) -> np.ndarray:
        row = base.copy()
        for group in names:
            members = [index[m] for m in factor_groups[group]]
            row[members] = upper[members] if group in high else lower[members]
        return row

    combos: list[tuple[str, ...]] = [()]
    combos += [(g,) for g in names]
    combos += list(itertools.combinations(names, 2))
    samples = np.array([point(c) for c in combos])
    values = wrapped.evaluate(samples)
    if isinstance(wrapped, FunctionTarget):
        wrapped.settle_layout(values.shape[1])
    scalars = [c for c in wrapped.layout if c.times is None]
    position = {c: i for i, c in enumerate(combos)}
    count = len(names)
    effect = np.empty((len(scalars), count))
    contrast = np.full((len(scalars), count, count), np.nan)
    for k, column in enumerate(scalars):
        y = values[:, column.start]
        none = y[position[()]]
        for i, g in enumerate(names):
            effect[k, i] = y[position[(g,)]] - none
        for (i, g), (j, h) in itertools.combinations(enumerate(names), 2):
            both = y[position[(g, h)]]
            value = both - y[position[(g,)]] - y[position[(h,)]] + none
            contrast[k, i, j] = contrast[k, j, i] = value
    outputs = [c.output.name for c in scalars]
    return xr.Dataset(
        {
            "reference_value": ("output", [values[position[()], c.start] for c in scalars]),
            "lever_effect": (("output", "group"), effect),
            "interaction_contrast": (("output", "group", "group_2"), contrast),
        },
        coords={"output": outputs, "group": names, "group_2": names},
        attrs={"method": "lever contrast (2x2 factorial per pair of groups)"},
    )


def interaction_map(
    grouped: xr.Dataset,
    contrast: xr.Dataset | None = None,
    *,
    threshold: float = 0.01,
) -> xr.Dataset:
    """Read group interactions as synergy or displacement.

    Parameters
    ----------
    grouped : xarray.Dataset
        A grouped Sobol' result with second order (``sobol(..., groups=True,
        second_order=True)``).
    contrast : xarray.Dataset, optional
        :func:`lever_contrast` of the same study, which gives each pair its
        sign. Without it pairs are read only as ``"material"`` or
        ``"negligible"``.
    threshold : float, default 0.01
        Pairs whose S2 is below this share of variance, or whose confidence
        interval reaches down to 0, are ``"negligible"``.

    Returns
    -------
    xarray.Dataset
        Over ``(output, group, group_2)``: ``S2``, ``S2_conf``,
        ``interaction_contrast`` (when given) and ``reading``, one of
        :data:`READINGS` (``"material"`` without a contrast).
    """
    if grouped.attrs.get("factor_dim") != "group" or "S2" not in grouped:
        raise SpecError("interaction_map needs a grouped Sobol' result with second order")
    result = grouped[["S2", "S2_conf"]].copy()
    material = (grouped["S2"] >= threshold) & (grouped["S2"] > grouped["S2_conf"])
    if contrast is None:
        reading = xr.where(material, "material", "negligible")
    else:
        sign = contrast["interaction_contrast"].sel(
            output=grouped["output"], group=grouped["group"], group_2=grouped["group_2"]
        )
        result["interaction_contrast"] = sign
        scale = np.abs(contrast["reference_value"]).clip(min=1e-12)
        relative = sign / scale
        reading = xr.where(
            relative > 1e-9, "synergy", xr.where(relative < -1e-9, "displacement", "additive")
        )
        reading = xr.where(material, reading, "negligible")
    diagonal = grouped["group"] == grouped["group_2"]
    result["reading"] = xr.where(diagonal, "", reading).astype(str)
    result["reading"].attrs["description"] = (
        "synergy: super-additive (together more than the sum of separate effects);"
        " displacement: sub-additive; negligible: S2 below the threshold or not"
        " distinguishable from 0"
    )
    result.attrs.update(grouped.attrs)
    result.attrs["interaction_threshold"] = float(threshold)
    return result
