"""Shared pieces of the estimators: groups, seeds, constant outputs, result skeletons."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from typing import Any

import numpy as np
import xarray as xr

from ..errors import SpecError
from .spec import Study
from .targets import OutputColumns

__all__ = [
    "CONSTANT_RTOL",
    "analysis_seed",
    "common_attrs",
    "constant_columns",
    "empty_dataset",
    "factor_names",
    "is_constant",
    "resolve_groups",
    "result_coords",
    "salib_version",
]

#: Relative spread below which an output counts as constant (round-off, not signal).
CONSTANT_RTOL = 1e-10


def resolve_groups(
    study: Study, groups: Mapping[str, Sequence[str]] | bool | None
) -> dict[str, tuple[str, ...]] | None:
    """Turn the ``groups`` argument into ``{group: parameters}`` or None (one factor each).

    ``None``/``False``: no groups. ``True``: the study's groups (from the
    spec or the model's parameter table). A mapping: those groups.
    """
    if groups is None or groups is False:
        return None
    if groups is True:
        resolved = study.groups()
    elif isinstance(groups, Mapping):
        resolved = {str(g): tuple(members) for g, members in groups.items()}
    else:
        raise SpecError(f"groups must be None, True or a mapping, got {groups!r}")
    study.problem(resolved)  # checks membership
    return resolved


def analysis_seed(seed: int) -> int:
    """Derive the (non-zero) bootstrap seed from the study seed.

    SALib falls back to NumPy's global generator when its ``seed`` is 0 or
    None, so the derived seed is never 0.
    """
    state = np.random.SeedSequence([seed, 0x5A11B]).generate_state(1, dtype=np.uint32)
    return int(state[0]) or 1


def is_constant(values: np.ndarray) -> bool:
    """Whether ``values`` vary by no more than round-off (relative :data:`CONSTANT_RTOL`)."""
    spread = float(np.ptp(values))
    scale = float(np.max(np.abs(values)))
    return spread <= CONSTANT_RTOL * scale


def constant_columns(block: np.ndarray) -> np.ndarray:
    """:func:`is_constant` of every column of ``block`` ``(rows, columns)``, in one pass.

    The same numbers: the spread is the column's maximum less its minimum
    (``np.ptp``), and the largest magnitude is that of the maximum or the minimum.
    """
    largest, smallest = block.max(axis=0), block.min(axis=0)
    scale = np.maximum(np.abs(largest), np.abs(smallest))
    return (largest - smallest) <= CONSTANT_RTOL * scale


def salib_version() -> str:
    """The installed SALib version."""
    return version("SALib")


def factor_names(study: Study, groups: Mapping[str, Sequence[str]] | None) -> list[str]:
    """Factors of a design: the parameters, or the group names (order of first appearance)."""
    return list(study.parameter_names) if groups is None else list(groups)


def result_coords(
    study: Study,
    groups: Mapping[str, Sequence[str]] | None,
    layout: Sequence[OutputColumns],
) -> tuple[str, dict[str, Any]]:
    """Return the factor dimension name and the coordinates of a result Dataset."""
    factor_dim = "parameter" if groups is None else "group"
    factors = factor_names(study, groups)
    coords: dict[str, Any] = {factor_dim: factors}
    if groups is None:
        if all(p.group for p in study.parameters):
            coords["parameter_group"] = (factor_dim, [p.group for p in study.parameters])
    else:
        coords["members"] = (factor_dim, [", ".join(groups[g]) for g in factors])
    scalars = [c for c in layout if c.times is None]
    trajectories = [c for c in layout if c.times is not None]
    if scalars:
        coords["output"] = [c.output.name for c in scalars]
        coords["output_variable"] = ("output", [c.output.variable for c in scalars])
        coords["output_reducer"] = ("output", [c.output.reducer for c in scalars])
    if trajectories:
        coords["trajectory"] = [c.output.name for c in trajectories]
        coords["trajectory_variable"] = ("trajectory", [c.output.variable for c in trajectories])
        coords["time"] = list(trajectories[0].times or ())  # set for every trajectory
    return factor_dim, coords


def common_attrs(
    study: Study,
    *,
    method: str,
    n: int,
    seed: int,
    runs: int,
    groups: Mapping[str, Sequence[str]] | None,
    target_attrs: Mapping[str, str],
) -> dict[str, Any]:
    """Provenance attributes of a result (netCDF-safe: strings and numbers)."""
    from .. import __version__
    from ..provenance import utc_now

    return {
        "method": method,
        "study": study.name,
        "study_source": study.source,
        "n": int(n),
        "seed": int(seed),
        "runs": int(runs),
        "num_resamples": int(study.num_resamples),
        "conf_level": float(study.conf_level),
        "design": "parameters" if groups is None else "groups",
        "groups": json.dumps({g: list(m) for g, m in (groups or {}).items()}),
        "parameter_bounds": json.dumps({p.name: [p.lower, p.upper] for p in study.parameters}),
        "distributions": json.dumps({p.name: p.distribution for p in study.parameters}),
        "gvc_upgrading_version": __version__,
        "salib_version": salib_version(),
        "created": utc_now(),
        **dict(target_attrs),
    }


def empty_dataset(coords: Mapping[str, Any], attrs: Mapping[str, Any]) -> xr.Dataset:
    """A Dataset holding only coordinates and attributes (filled in by the estimators)."""
    return xr.Dataset(coords=dict(coords), attrs=dict(attrs))
