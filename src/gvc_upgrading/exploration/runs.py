"""Run an exploration study through the batch engine: one Dataset over ``(run, time)``.

Every policy runs in every sampled future; the design is evaluated in chunks
of ``chunk_size`` runs (each chunk one vectorised pass of the batch engine, any
mix of policies), optionally checkpointed so that an interrupted study resumes
where it stopped and gives identical results.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import SpecError
from ..provenance import utc_now
from ..resume import check_resume
from ..sensitivity.checkpoint import ChunkStore, evaluate_in_chunks
from .classify import CLASS_DESCRIPTIONS, CLASSES, classify
from .design import Design, make_design
from .spec import ExplorationSpec, load_spec

__all__ = ["START_INPUT", "explore", "lever_series", "load_model_for", "scenario_values"]


def load_model_for(spec: ExplorationSpec, model: Any = None) -> Any:
    """Return a Model: ``model`` itself, loaded from a path, or the spec's (else shipped) model."""
    from ..model import Model, load_model

    if isinstance(model, Model):
        return model
    if model is not None:
        return load_model(model)
    return load_model(spec.model) if spec.model is not None else load_model()


def scenario_values(directory: Path | None):
    """Return a function mapping a scenario name (in ``directory``) to its constant levers."""
    from ..scenarios import load_scenario

    def values(name: str) -> Mapping[str, float]:
        scenario = load_scenario(name, directory=directory)
        if scenario.series:
            raise SpecError(
                f"scenario {name!r} sets time series {sorted(scenario.series)}; exploration "
                "policies take constant levers only"
            )
        return scenario.parameters

    return values


def _check(spec: ExplorationSpec, model: Any, directory: Path | None) -> None:
    from ..scenarios import list_scenarios

    names = [s.name for s in list_scenarios(directory)]
    spec.check(
        model.parameters,
        list(model.variables.index),
        (model.initial_time, model.final_time),
        names,
    )


def explore(
    spec: str | os.PathLike[str] | Mapping[str, Any] | ExplorationSpec,
    model: Any = None,
    *,
    n: int | None = None,
    seed: int | None = None,
    scheduler: Any = None,
    scenario_dir: str | os.PathLike[str] | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> xr.Dataset:
    """Run every policy of an exploration study in every sampled future.

    Parameters
    ----------
    spec : path-like, mapping or ExplorationSpec
        The study (see ``sensitivity/exploration/README.md``).
    model : Model or path-like, optional
        The model (default: the spec's ``model``, else the shipped one).
    n : int, optional
        Number of futures (default: the spec's ``n``).
    seed : int, optional
        Seed of the Latin hypercube (default: the spec's ``seed``).
    scheduler : optional
        Passed to :meth:`BatchModel.run` (``"threads"``, ``"processes"``, a
        dask.distributed address or Client) to spread each chunk.
    scenario_dir : path-like, optional
        Folder of the scenarios policies name (default: the shipped ones).
    checkpoint_dir : path-like, optional
        Store each finished chunk there; a re-run with the same study, model,
        ``n`` and ``seed`` loads them instead of running them again, and one
        with a different study, model, ``n`` or ``seed`` is refused, naming
        what differs (:func:`gvc_upgrading.resume.check_resume`).
    progress : bool, optional
        Progress bar over runs (default: when stderr is a terminal).

    Returns
    -------
    xarray.Dataset
        Over ``(run, time)``: the kept model variables; over ``run``:
        ``delta_economic``, ``delta_social`` (change over the horizon) and
        ``outcome_class`` (codes into :data:`~.classify.CLASSES`, names in its
        ``flag_meanings``). Coordinates on ``run``: ``policy`` and ``draw``;
        every sampled input and lever is a data variable over ``run``.
        ``attrs``: the spec (JSON), model sha256, n, seed, thresholds, classes.

    Raises
    ------
    SpecError
        If the spec is malformed or does not fit the model or scenarios
        (checked before any run).
    """
    spec = load_spec(spec)
    model = load_model_for(spec, model)
    directory = Path(scenario_dir) if scenario_dir is not None else None
    _check(spec, model, directory)
    design = make_design(
        spec, scenario_values(directory), model.parameters["default"], n=n, seed=seed
    )
    n_used = design.n
    seed_used = spec.seed if seed is None else int(seed)
    if checkpoint_dir is not None:  # before any run: never silently start over
        identity = {
            "spec": json.loads(spec.to_json()),
            "model": model.sha256,
            "n": n_used,
            "seed": seed_used,
        }
        check_resume(checkpoint_dir, identity, f"exploration {spec.name!r}")
    batch = model.compile()
    context = (
        model.sha256,
        seed_used,
        model.initial_time,
        model.final_time,
        model.parameters["default"],
    )
    values = _evaluate(spec, design, batch, context, scheduler, checkpoint_dir, progress)
    return _dataset(spec, design, values, model, n_used, seed_used)


#: Input holding each run's policy start year (a feature for PRIM when policies start late).
START_INPUT = "Policy start year"

#: A lever switches from its default to its policy value over this many years at its start.
_SWITCH = 1e-6


def lever_series(
    levers: np.ndarray,
    defaults: np.ndarray,
    starts: np.ndarray,
    first: float,
    last: float,
    names: list[str],
) -> dict[str, pd.DataFrame]:
    """Return each lever as a time × run table: its default before the run's start, then its value.

    Parameters
    ----------
    levers : numpy.ndarray
        ``(runs, levers)`` policy values.
    defaults : numpy.ndarray
        The model default of each lever.
    starts : numpy.ndarray
        Each run's start year (``first`` for a policy in force from the start).
    first, last : float
        INITIAL TIME and FINAL TIME.
    names : list of str
        Lever names.
    """
    late = np.unique(starts[starts > first])
    times = np.unique(np.concatenate([[first, last], late, late - _SWITCH]))
    on = times[:, None] >= starts[None, :]
    index = pd.Index(times, name="time")
    return {
        name: pd.DataFrame(np.where(on, levers[None, :, j], defaults[j]), index=index)
        for j, name in enumerate(names)
    }


def _evaluate(spec, design: Design, batch, context, scheduler, checkpoint_dir, progress):
    sha256, seed, first, last, defaults = context
    matrix = design.matrix()
    columns = list(matrix.columns)
    levers = [str(c) for c in design.levers.columns]
    lever_columns = [columns.index(name) for name in levers]
    lever_defaults = defaults.reindex(levers).to_numpy(dtype=float)
    variables, years = list(spec.variables), list(spec.years)
    table = np.hstack([matrix.to_numpy(), design.start_years(first)[:, None]])

    def evaluate(rows: np.ndarray) -> np.ndarray:
        starts, rows = rows[:, -1], rows[:, :-1]
        samples: dict[str, object] = {name: rows[:, j] for j, name in enumerate(columns)}
        if (starts > first).any():
            samples.update(
                lever_series(rows[:, lever_columns], lever_defaults, starts, first, last, levers)
            )
        ds = batch.run(
            samples,
            return_columns=variables,
            return_timestamps=years,
            scheduler=scheduler,
            progress=False,
        )
        return np.hstack([ds[v].transpose("run", "time").values for v in variables])

    store = None
    if checkpoint_dir is not None:
        key = spec.spec_hash(sha256, design.n, seed)
        store = ChunkStore(checkpoint_dir, key, {"study": spec.name, "n": design.n, "seed": seed})
    return evaluate_in_chunks(
        evaluate,
        table,
        chunk_size=spec.chunk_size,
        store=store,
        progress=progress,
        description=f"explore {spec.name}",
    )


def _starting_points(series: np.ndarray, design: Design, rules) -> np.ndarray:
    """Each run's starting value: its own, or the reference policy's in the same future."""
    if not rules.reference:
        return series[:, 0]
    block = design.policies.index(rules.reference)
    start = series[block * design.n : (block + 1) * design.n, 0]
    return start[design.draw_codes()]


def _dataset(spec: ExplorationSpec, design: Design, values, model, n: int, seed: int):
    variables, years = list(spec.variables), np.asarray(spec.years, dtype=float)
    runs, steps = design.runs, len(years)
    data = {
        name: (("run", "time"), values[:, i * steps : (i + 1) * steps])
        for i, name in enumerate(variables)
    }
    ds = xr.Dataset(data, coords={"run": np.arange(runs), "time": years})
    rules = spec.classes
    for label, name in (("economic", rules.economic), ("social", rules.social)):
        series = ds[name].values
        ds[f"delta_{label}"] = ("run", series[:, -1] - _starting_points(series, design, rules))
    codes = classify(
        ds["delta_economic"].values,
        ds["delta_social"].values,
        rules.economic_threshold,
        rules.social_threshold,
    )
    ds["outcome_class"] = ("run", codes)
    ds["outcome_class"].attrs.update(
        flag_values=list(range(len(CLASSES))),
        flag_meanings=" ".join(CLASSES),
        description="; ".join(f"{c}: {CLASS_DESCRIPTIONS[c]}" for c in CLASSES),
    )
    origin = f" under {rules.reference!r} in the same future" if rules.reference else ""
    for label, name in (("economic", rules.economic), ("social", rules.social)):
        ds[f"delta_{label}"].attrs["description"] = (
            f"{name} in {spec.end:g} minus its value in {spec.start:g}{origin}"
        )
    matrix = design.matrix()
    policy_names = np.asarray(design.policies, dtype=object)[design.policy_codes()]
    ds = ds.assign_coords(
        policy=("run", policy_names.astype(str)), draw=("run", design.draw_codes())
    )
    levers = [str(c) for c in design.levers.columns]
    if any(start is not None for start in design.starts):
        ds[START_INPUT] = ("run", design.start_years(model.initial_time))
        ds[START_INPUT].attrs.update(role="lever", units="Year")
        levers.append(START_INPUT)
    # Inputs are data variables over run (netCDF coordinates cannot hold spaces in names).
    for name in matrix.columns:
        ds[name] = ("run", matrix[name].to_numpy())
        ds[name].attrs["role"] = "uncertainty" if name in spec.uncertainty_names else "lever"
    ds["time"].attrs["units"] = "Year"
    ds.attrs.update(
        {
            "study": spec.name,
            "spec": spec.to_json(),
            "model_sha256": model.sha256,
            "model_file": str(model.path),
            "n": n,
            "seed": seed,
            "runs": runs,
            "policies": json.dumps(design.policies),
            "uncertainties": json.dumps(list(spec.uncertainty_names)),
            "levers": json.dumps(levers),
            "classes": json.dumps(list(CLASSES)),
            "economic_threshold": rules.economic_threshold,
            "social_threshold": rules.social_threshold,
            "horizon": json.dumps([spec.start, spec.end]),
            "reference": rules.reference,
            "created": utc_now(),
        }
    )
    from .. import __version__

    ds.attrs["gvc_upgrading_version"] = __version__
    return ds
