"""Morris elementary-effects screening (SALib's sampler and estimator, labelled results)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from SALib.analyze import morris as salib_morris_analyze
from SALib.sample import morris as salib_morris_sample

from ..errors import SpecError
from .checkpoint import ChunkStore, evaluate_in_chunks
from .design import (
    analysis_seed,
    common_attrs,
    empty_dataset,
    is_constant,
    resolve_groups,
    result_coords,
)
from .spec import Study, load_study
from .targets import FunctionTarget, make_target

__all__ = ["morris"]

_STATISTICS = ("mu", "mu_star", "mu_star_conf", "sigma")
_DESCRIPTIONS = {
    "mu": "mean elementary effect (per unit of the factor's range)",
    "mu_star": "mean absolute elementary effect (overall influence)",
    "mu_star_conf": "half-width of the bootstrap confidence interval of mu_star",
    "sigma": "standard deviation of the elementary effects (interactions and non-linearity)",
}


def morris(
    study: str | os.PathLike[str] | Mapping[str, Any] | Study,
    target: Any,
    *,
    trajectories: int = 32,
    num_levels: int = 4,
    seed: int | None = None,
    groups: Mapping[str, Sequence[str]] | bool | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
) -> xr.Dataset:
    """Screen the study's parameters with Morris' elementary effects.

    Parameters
    ----------
    study, target, groups, scheduler, progress, checkpoint_dir
        As for :func:`~gvc_upgrading.sensitivity.sobol`.
    trajectories : int, default 32
        Number of Morris trajectories r; the target runs ``r(D+1)`` times.
    num_levels : int, default 4
        Grid levels p (even).
    seed : int, optional
        Seed of the sampler and the bootstrap (default: the study's).

    Returns
    -------
    xarray.Dataset
        ``mu, mu_star, mu_star_conf, sigma`` over ``(output, parameter)`` for
        scalar outputs and ``mu_time, mu_star_time, mu_star_conf_time,
        sigma_time`` over ``(trajectory, parameter, time)`` for trajectory
        outputs (``group`` instead of ``parameter`` for a grouped design,
        where ``sigma`` is NaN for groups of more than one parameter, as in
        SALib); ``constant`` flags as for Sobol'. Provenance in ``attrs``.

    Examples
    --------
    >>> spec = {"parameters": [{"name": "a", "lower": 0, "upper": 1},
    ...                        {"name": "b", "lower": 0, "upper": 1}]}
    >>> result = morris(spec, lambda x: 3 * x[:, 0] + x[:, 1] ** 2, trajectories=20, seed=1)
    >>> round(float(result["mu_star"].sel(output="y", parameter="a")), 6)
    3.0
    """
    if trajectories < 2:
        raise SpecError(f"Morris needs at least 2 trajectories, got {trajectories}")
    if num_levels < 2 or num_levels % 2:
        raise SpecError(f"num_levels must be an even number >= 2, got {num_levels}")
    loaded = load_study(study)
    if seed is not None:
        loaded = loaded.with_options(seed=seed)
    resolved, wrapped = make_target(loaded, target, scheduler=scheduler)
    factor_groups = resolve_groups(resolved, groups)
    problem = resolved.problem(factor_groups)
    samples = salib_morris_sample.sample(
        problem, trajectories, num_levels=num_levels, seed=resolved.seed
    )
    store = None
    if checkpoint_dir is not None:
        key = resolved.spec_hash(
            "morris",
            trajectories,
            num_levels,
            sorted((factor_groups or {}).items()),
            wrapped.fingerprint(),
        )
        store = ChunkStore(checkpoint_dir, key, manifest={"study": resolved.name})
    values = evaluate_in_chunks(
        wrapped.evaluate,
        samples,
        chunk_size=resolved.chunk_size,
        store=store,
        progress=progress,
        description=f"morris {resolved.name}",
    )
    assert isinstance(values, np.ndarray)  # evaluated in memory (the default)
    if isinstance(wrapped, FunctionTarget):
        wrapped.settle_layout(values.shape[1])
    layout = wrapped.layout
    factor_dim, coords = result_coords(resolved, factor_groups, layout)
    attrs = common_attrs(
        resolved,
        method="morris",
        n=trajectories,
        seed=resolved.seed,
        runs=samples.shape[0],
        groups=factor_groups,
        target_attrs=wrapped.provenance(),
    )
    attrs.update(
        {
            "trajectories": int(trajectories),
            "num_levels": int(num_levels),
            "sampler": "SALib.sample.morris.sample",
            "estimator": "SALib.analyze.morris.analyze",
            "bootstrap_seed": analysis_seed(resolved.seed),
            "factor_dim": factor_dim,
        }
    )
    dataset = empty_dataset(coords, attrs)

    def statistics(column: np.ndarray) -> dict[str, np.ndarray]:
        if is_constant(column):
            return {name: np.zeros(len(coords[factor_dim])) for name in _STATISTICS}
        estimate = salib_morris_analyze.analyze(
            problem,
            samples,
            column,
            num_resamples=resolved.num_resamples,
            conf_level=resolved.conf_level,
            num_levels=num_levels,
            seed=analysis_seed(resolved.seed),
        )
        return {
            name: np.ma.filled(np.asarray(estimate[name], float), np.nan) for name in _STATISTICS
        }

    scalars = [c for c in layout if c.times is None]
    trajectories_out = [c for c in layout if c.times is not None]
    if scalars:
        per_output = [statistics(values[:, c.start]) for c in scalars]
        for name in _STATISTICS:
            dataset[name] = (("output", factor_dim), np.stack([r[name] for r in per_output]))
        dataset["constant"] = ("output", [is_constant(values[:, c.start]) for c in scalars])
    if trajectories_out:
        per_trajectory = [
            [statistics(values[:, j]) for j in range(c.start, c.start + c.width)]
            for c in trajectories_out
        ]
        for name in _STATISTICS:
            stacked = [np.stack([r[name] for r in rows], axis=-1) for rows in per_trajectory]
            dataset[f"{name}_time"] = (("trajectory", factor_dim, "time"), np.stack(stacked))
        flags = [
            [is_constant(values[:, j]) for j in range(c.start, c.start + c.width)]
            for c in trajectories_out
        ]
        dataset["constant_time"] = (("trajectory", "time"), np.array(flags, dtype=bool))
    for data_name, variable in dataset.data_vars.items():
        base = str(data_name).removesuffix("_time")
        if base in _DESCRIPTIONS:
            variable.attrs["description"] = _DESCRIPTIONS[base]
    return dataset
