"""One options object for every fit: :class:`FitSettings`, read from ``[fit]`` in ``case.toml``.

The same settings drive single-case fits (:func:`~.fit.calibrate`) and joint
fits (:func:`~.joint.calibrate_joint`). A case's ``[fit]`` table gives its
defaults; keyword arguments given in code override them field by field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from ..arguments import BOOL, INTEGER, NUMBER, TEXT, Kind, check_arguments, optional
from ..errors import CalibrationError, SpecError

__all__ = ["METHODS", "FitSettings", "parse_fit_table"]

#: Optimization methods.
METHODS: tuple[str, ...] = ("multistart", "differential_evolution")


@dataclass(frozen=True)
class FitSettings:
    """How a calibration searches, and how much uncertainty work it does.

    Attributes
    ----------
    method : {"multistart", "differential_evolution"}
        Multi-start bounded least squares from Latin-hypercube starts, or
        differential evolution polished by least squares.
    n_starts : int
        Latin-hypercube starts (multistart).
    bootstrap : int
        Bootstrap refits (0 = none); they give the parameter intervals and
        the parameter part of the predictive bands.
    bootstrap_kind : {"residual", "block"}
    block_length : int or None
        Block length of the block bootstrap (default ``ceil(n ** (1/3))``).
    level : float
        Coverage of the parameter intervals.
    band_level : float
        Coverage of the predictive bands (parameter uncertainty plus the
        observation-error model) whose hold-out coverage is reported.
    profile : bool
        Profile every free parameter (identifiability verdicts).
    profile_points : int
        Grid points per profile.
    mcmc : bool
        Also sample the posterior with emcee (optional dependency).
    mcmc_steps : int
    observations_per_parameter : float
        The parameter budget: a fit may free at most one parameter per this
        many in-sample observations (3 by default; issue 10). In a joint fit
        the budget counts all cases' observations and each shared parameter
        once.
    holdout_from : float or None
        Default hold-out year (observations from this year on are never seen
        by the fit and are scored once afterwards).
    seed : int
        Seed of every random choice.
    """

    method: str = "multistart"
    n_starts: int = 8
    bootstrap: int = 0
    bootstrap_kind: str = "residual"
    block_length: int | None = None
    level: float = 0.9
    band_level: float = 0.9
    profile: bool = True
    profile_points: int = 13
    mcmc: bool = False
    mcmc_steps: int = 2000
    observations_per_parameter: float = 3.0
    holdout_from: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        check_arguments(  # wrong types stop here, at the API boundary
            "FitSettings",
            error=CalibrationError,
            **{name: (getattr(self, name), kind) for name, kind in _TYPES.items()},
        )
        if self.seed < 0:
            raise CalibrationError(f"seed must be a non-negative integer, got {self.seed}")
        if self.block_length is not None and self.block_length < 1:
            raise CalibrationError(f"block_length must be at least 1, got {self.block_length}")
        if self.method not in METHODS:
            raise CalibrationError(
                f"unknown method {self.method!r}; choose one of {list(METHODS)}"
            )
        for name in ("level", "band_level"):
            value = getattr(self, name)
            if not 0 < value < 1:
                raise CalibrationError(f"{name} must lie strictly between 0 and 1, got {value}")
        if self.bootstrap < 0 or self.n_starts < 1:
            raise CalibrationError("bootstrap must be >= 0 and n_starts >= 1")
        if self.bootstrap_kind not in ("residual", "block"):
            raise CalibrationError(
                f"bootstrap kind {self.bootstrap_kind!r} is not one of ['residual', 'block']"
            )
        if self.profile_points < 3:
            raise CalibrationError("profile_points must be at least 3")
        if not self.observations_per_parameter > 0:
            raise CalibrationError("observations_per_parameter must be positive")
        if self.holdout_from is not None and not math.isfinite(self.holdout_from):
            raise CalibrationError("holdout_from must be a finite year or None")

    def updated(self, **changes: Any) -> FitSettings:
        """Return a copy with some fields changed (``None`` values are ignored)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise CalibrationError(f"unknown fit setting(s) {unknown}; known: {sorted(known)}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_TYPES: dict[str, Kind] = {
    "method": TEXT,
    "n_starts": INTEGER,
    "bootstrap": INTEGER,
    "bootstrap_kind": TEXT,
    "block_length": optional(INTEGER),
    "level": NUMBER,
    "band_level": NUMBER,
    "profile": BOOL,
    "profile_points": INTEGER,
    "mcmc": BOOL,
    "mcmc_steps": INTEGER,
    "observations_per_parameter": NUMBER,
    "holdout_from": optional(NUMBER),
    "seed": INTEGER,
}
#: Settings held as floats (a TOML integer there is converted).
_FLOATS = frozenset({"level", "band_level", "observations_per_parameter", "holdout_from"})


def parse_fit_table(table: Any, where: str) -> dict[str, Any]:
    """Check a ``[fit]`` table and return its settings as keyword arguments.

    Raises
    ------
    SpecError
        On unknown keys, wrongly typed values, or values :class:`FitSettings` refuses.
    """
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise SpecError(f"{where} [fit]: must be a table")
    unknown = sorted(set(table) - set(_TYPES))
    if unknown:
        raise SpecError(f"{where} [fit]: unknown key(s) {unknown}; allowed: {sorted(_TYPES)}")
    out: dict[str, Any] = {}
    for key, value in table.items():
        check_arguments(f"{where} [fit]", error=SpecError, **{key: (value, _TYPES[key])})
        out[key] = float(value) if key in _FLOATS else value
    try:
        FitSettings(**out)
    except CalibrationError as exc:
        raise SpecError(f"{where} [fit]: {exc}") from exc
    return out
