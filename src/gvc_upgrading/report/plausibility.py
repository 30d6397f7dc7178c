"""Plausibility flags: projections outside the ranges the model declares in ``models/scope.toml``.

The declared scope (:func:`load_scope`) lists, per model variable, a range,
a maximum average annual growth and a maximum fall from the policy start to
the evaluation year, each with its source. :func:`plausibility_flags` checks
every scenario's projection at the calibrated estimate against them and
returns one :class:`Flag` per breach, worded for the reader.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xarray as xr

from ..errors import SpecError
from ..resources import shipped_path
from .ensemble import ESTIMATE
from .words import outcome_name, scenario_name, value_with_unit

__all__ = ["Flag", "load_scope", "plausibility_flags", "scope_path"]

_PLAUSIBLE_KEYS = frozenset({"range", "max_annual_growth", "max_fall", "source"})


@dataclass(frozen=True)
class Flag:
    """A projection outside its declared plausible range.

    Attributes
    ----------
    scenario, outcome : str
    text : str
        The flag in words, with the values and years.
    rule : str
        What was breached, in words (``"falls by more than 0.1"``).
    source : str
        Where the bound comes from (``models/scope.toml``).
    detail : str
        The values, short (``0.74 → 0.58``).
    """

    scenario: str
    outcome: str
    text: str
    rule: str = ""
    source: str = ""
    detail: str = ""


def scope_path() -> Path:
    """Return the shipped ``models/scope.toml``."""
    return shipped_path("models", "scope.toml")


def load_scope(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read and check the declared scope (``scope``, ``departure`` and ``plausible`` tables).

    Raises
    ------
    SpecError
        Naming the file and the malformed entry.
    """
    path = Path(path) if path is not None else scope_path()
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: cannot read the declared scope: {exc}") from exc
    unknown = set(raw) - {"scope", "departure", "plausible"}
    if unknown:
        raise SpecError(f"{path}: unknown table(s) {sorted(unknown)}")
    for entry in raw.get("scope", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            raise SpecError(f"{path}: every [[scope]] needs text = '...'")
    for entry in raw.get("departure", []):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("paper", "model")
        ):
            raise SpecError(f"{path}: every [[departure]] needs paper = '...' and model = '...'")
    for name, entry in raw.get("plausible", {}).items():
        extra = set(entry) - _PLAUSIBLE_KEYS
        if extra:
            raise SpecError(f"{path}: [plausible.{name!r}]: unknown key(s) {sorted(extra)}")
        bounds = entry.get("range")
        if bounds is not None and (
            not isinstance(bounds, list) or len(bounds) != 2 or not bounds[0] < bounds[1]
        ):
            raise SpecError(f"{path}: [plausible.{name!r}]: range must be [low, high], low < high")
    return raw


def plausibility_flags(
    ensemble: xr.Dataset,
    *,
    start: float,
    year: float,
    scope: dict[str, Any] | None = None,
) -> list[Flag]:
    """Flag every scenario projection (at the estimate) outside its declared range.

    Parameters
    ----------
    ensemble : xarray.Dataset
        Outcomes over ``(scenario, member, time)``.
    start, year : float
        Policy start and evaluation year: growth and fall are measured
        between them, the range at ``year``.
    scope : dict, optional
        :func:`load_scope`'s result (default: the shipped scope).
    """
    scope = load_scope() if scope is None else scope
    flags = []
    years = year - start
    for outcome, rule in scope.get("plausible", {}).items():
        if outcome not in ensemble:
            continue
        unit = str(ensemble[outcome].attrs.get("units", ""))
        series = ensemble[outcome].sel(member=ESTIMATE)
        source = str(rule.get("source", ""))
        for scenario in (str(s) for s in ensemble["scenario"].values):
            first = float(series.sel(scenario=scenario, time=start))
            last = float(series.sel(scenario=scenario, time=year))
            where = f"{outcome_name(outcome)} under the {scenario_name(scenario)}"
            low_high = rule.get("range")
            if low_high is not None and not low_high[0] <= last <= low_high[1]:
                flags.append(
                    Flag(
                        scenario,
                        outcome,
                        f"{where} reaches {value_with_unit(last, unit)} in {year:g}, outside "
                        f"its range {low_high[0]:g}–{low_high[1]:g}",
                        f"leaves its range {low_high[0]:g}–{low_high[1]:g}",
                        source,
                        value_with_unit(last, unit),
                    )
                )
            growth = rule.get("max_annual_growth")
            if growth is not None and first > 0 and years > 0:
                rate = (last / first) ** (1 / years) - 1 if last > 0 else -1.0
                if math.isfinite(rate) and rate > growth:
                    flags.append(
                        Flag(
                            scenario,
                            outcome,
                            f"{where} grows {rate:.1%} a year from {start:g} to {year:g} "
                            f"({value_with_unit(first, unit)} to {value_with_unit(last, unit)})",
                            f"grows faster than {growth:.0%} a year",
                            source,
                            f"{rate:.1%} a year",
                        )
                    )
            fall = rule.get("max_fall")
            if fall is not None and first - last > fall:
                flags.append(
                    Flag(
                        scenario,
                        outcome,
                        f"{where} falls from {value_with_unit(first, unit)} in {start:g} to "
                        f"{value_with_unit(last, unit)} in {year:g}",
                        f"falls by more than {fall:g}",
                        source,
                        f"{value_with_unit(first, unit)} → {value_with_unit(last, unit)}",
                    )
                )
    return flags
