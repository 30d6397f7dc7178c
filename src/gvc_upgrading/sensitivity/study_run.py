"""Run a whole study of a model and write its results (what ``gvc-upgrading sensitivity`` does).

:func:`run_study` runs the Sobol' study (at fixed N, or doubling N until
convergence), the grouped study and the group interaction map when the study
asks for them, and :func:`write_study` writes netCDF and CSV tables to a folder,
all appearing together (or none on failure); figures are drawn only on request
(``write_study(..., figures=True)``, or :func:`write_figures` from a written
folder).
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from ..errors import SpecError
from ..io import AtomicFiles, check_output_dir, write_csv, write_figure, write_netcdf
from ..resume import CHECKPOINT_FOLDER, check_resume
from .convergence import sobol_convergence
from .figures import plot_indices, plot_interaction_map, plot_second_order, plot_st_over_time
from .interactions import interaction_map, lever_contrast
from .sobol import sobol
from .spec import Study, load_study
from .tables import indices_table, interaction_table, second_order_table, time_indices_table

__all__ = ["StudyResults", "run_study", "study_model", "write_figures", "write_study"]

SOBOL_FILE = "sobol.nc"
GROUPS_FILE = "sobol_groups.nc"
INTERACTIONS_FILE = "interactions.nc"


@dataclass(frozen=True)
class StudyResults:
    """Everything a study run produced.

    Attributes
    ----------
    study : Study
        The study as run.
    indices : xarray.Dataset
        Sobol' indices per parameter.
    grouped : xarray.Dataset or None
        Sobol' indices per governance group (when the study is ``grouped``).
    interactions : xarray.Dataset or None
        The group interaction map (S2 between groups, lever contrast, reading).
    convergence : pandas.DataFrame or None
        The N-doubling table (when run with convergence).
    scenario_synergy : pandas.DataFrame or None
        The scenario contrast: combined scenario's gain vs the sum of single
        paths' gains per outcome, in the final year.
    """

    study: Study
    indices: xr.Dataset
    grouped: xr.Dataset | None = None
    interactions: xr.Dataset | None = None
    convergence: pd.DataFrame | None = None
    scenario_synergy: pd.DataFrame | None = field(default=None)


def study_model(study: Study):
    """Load the model a study names (relative to the study file), or the shipped model."""
    from ..model import load_model

    if study.model is None:
        return load_model()
    path = Path(study.model)
    if not path.is_absolute() and study.source != "<mapping>":
        path = Path(study.source).parent / path
    return load_model(path)


def _scenario_synergy(model: Any) -> pd.DataFrame:
    from ..scenarios import compare, synergy_table

    comparison = compare(model, engine="batch")
    return synergy_table(comparison)


def run_study(
    study: str | os.PathLike[str] | Study,
    *,
    model: Any = None,
    n: int | None = None,
    scheduler: Any = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    convergence: bool = False,
    scenario_contrast: bool = True,
    progress: bool | None = None,
    log: Callable[[str], None] | None = None,
) -> StudyResults:
    """Run a study against a model: indices, grouped indices and interactions.

    Parameters
    ----------
    study : path-like or Study
        The study spec.
    model : Model, optional
        The model (default: the one the study names, else the shipped model).
    n : int, optional
        Base sample size (default: the study's); with ``convergence`` the cap.
    scheduler : optional
        Passed on to the batch engine.
    checkpoint_dir : path-like, optional
        Checkpoint folder for resumable runs. Checkpoints of a different
        study (spec values, model or seed) are refused, naming what differs
        (:func:`gvc_upgrading.resume.check_resume`).
    convergence : bool
        Double N from the study's ``convergence.start`` until converged.
    scenario_contrast : bool
        Also compare the shipped scenarios (combined vs single paths).
    progress : bool, optional
        Progress bars (default: when stderr is a terminal).
    log : callable, optional
        Receives one line per stage.
    """
    say = log or (lambda message: None)
    loaded = load_study(study)
    if model is None:
        model = study_model(loaded)
    if checkpoint_dir is not None:  # before any run: never silently start over
        check_resume(
            checkpoint_dir, _identity(loaded, model), f"sensitivity study {loaded.name!r}"
        )
    table = None
    if convergence:
        cap = n or loaded.convergence.cap
        say(f"sobol: doubling N from {loaded.convergence.start} (cap {cap})")
        outcome = sobol_convergence(
            loaded,
            model,
            cap=n,
            scheduler=scheduler,
            progress=progress,
            checkpoint_dir=checkpoint_dir,
        )
        indices, table = outcome.result, outcome.table
        status = "converged" if outcome.converged else "cap reached"
        say(f"sobol: {status} at N={indices.attrs['n']}")
    else:
        say(f"sobol: N={n or loaded.n}, {len(loaded.parameters)} parameters")
        indices = sobol(
            loaded,
            model,
            n=n,
            scheduler=scheduler,
            progress=progress,
            checkpoint_dir=checkpoint_dir,
        )
    grouped = interactions = synergy = None
    if loaded.grouped:
        group_n = int(indices.attrs["n"])
        say(f"sobol by governance group: N={group_n}")
        grouped = sobol(
            loaded,
            model,
            n=group_n,
            groups=True,
            second_order=True,
            scheduler=scheduler,
            progress=progress,
            checkpoint_dir=checkpoint_dir,
        )
        say("lever contrast between groups")
        interactions = interaction_map(grouped, lever_contrast(loaded, model, scheduler=scheduler))
        if scenario_contrast:
            say("scenario contrast (combined vs single paths)")
            synergy = _scenario_synergy(model)
    return StudyResults(
        study=loaded,
        indices=indices,
        grouped=grouped,
        interactions=interactions,
        convergence=table,
        scenario_synergy=synergy,
    )


def _identity(study: Study, model: Any) -> dict[str, Any]:
    """What determines a study's checkpointed runs (N aside: smaller designs are prefixes)."""
    return {
        "study": study.name,
        "model": getattr(model, "sha256", None) or getattr(model, "__qualname__", repr(model)),
        "parameters": {p.name: asdict(p) for p in study.parameters},
        "outputs": {o.name: asdict(o) for o in study.outputs},
        "seed": study.seed,
        "second_order": study.second_order,
        "grouped": study.grouped,
        "scenario": study.scenario,
        "chunk_size": study.chunk_size,
    }


def _slug(text: str) -> str:
    cleaned = "".join(c.lower() if c.isalnum() else "_" for c in text)
    return "_".join(part for part in cleaned.split("_") if part)


def _with_scenario_contrast(interactions: xr.Dataset, synergy: pd.DataFrame | None) -> xr.Dataset:
    """Put the scenario contrast (over ``outcome``) beside the group interaction map."""
    if synergy is None or synergy.empty:
        return interactions
    frame = synergy.drop(columns=["super_additive"], errors="ignore")
    frame.index.name = "outcome"
    scenario = xr.Dataset.from_dataframe(frame).rename(
        {name: f"scenario_{name}" for name in frame.columns}
    )
    merged = interactions.merge(scenario)
    merged.attrs = dict(interactions.attrs)
    merged.attrs["scenario_contrast_year"] = float(synergy.attrs.get("year", float("nan")))
    merged.attrs["scenario_contrast"] = (
        "scenario_* variables: the synergistic scenario's gain over baseline against the sum"
        " of the single paths' gains (synergy_excess > 0: super-additive)"
    )
    return merged


def write_study(
    results: StudyResults, out: str | os.PathLike[str], *, figures: bool = False
) -> list[Path]:
    """Write a study's results to ``out``; every file appears together, or none.

    Files: ``sobol.nc`` (and ``sobol_groups.nc``, ``interactions.nc``) and
    ``tables/*.csv`` (indices, second order, indices over time, group
    indices, group interactions, convergence, scenario synergy). With
    ``figures``, also ``figures/*.png`` (see :func:`write_figures`); drawing
    them takes longer than the rest, so it is only done on request.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    directory = check_output_dir(out)
    (directory / "tables").mkdir(exist_ok=True)
    if figures:
        (directory / "figures").mkdir(exist_ok=True)
    indices = results.indices
    with AtomicFiles(directory) as files:
        write_netcdf(indices, files.path(SOBOL_FILE), atomic=False)
        tables: dict[str, pd.DataFrame] = {
            "indices": indices_table(indices),
            "second_order": second_order_table(indices),
            "indices_over_time": time_indices_table(indices),
        }
        if results.grouped is not None:
            write_netcdf(results.grouped, files.path(GROUPS_FILE), atomic=False)
            tables["group_indices"] = indices_table(results.grouped)
        if results.interactions is not None:
            write_netcdf(
                _with_scenario_contrast(results.interactions, results.scenario_synergy),
                files.path(INTERACTIONS_FILE),
                atomic=False,
            )
            tables["group_interactions"] = interaction_table(results.interactions)
        if results.convergence is not None:
            tables["convergence"] = results.convergence
        if results.scenario_synergy is not None:
            tables["scenario_synergy"] = results.scenario_synergy
        for name, frame in tables.items():
            if not frame.empty:
                write_csv(frame, files.path(f"tables/{name}.csv"), atomic=False)
        if figures:
            _draw_figures(files, indices, results.grouped, results.interactions)
        written = files.targets
    return written


def _draw_figures(
    files: AtomicFiles,
    indices: xr.Dataset,
    grouped: xr.Dataset | None,
    interactions: xr.Dataset | None,
) -> None:
    """Stage every figure of a study's results in ``files`` (under ``figures/``)."""
    drawn = []
    if "ST" in indices:
        drawn.append(("indices", lambda: plot_indices(indices)))
    if "ST_time" in indices:
        drawn.append(("st_over_time", lambda: plot_st_over_time(indices)))
    if "S2" in indices:
        for output in indices["output"].values:
            drawn.append(
                (
                    f"second_order_{_slug(str(output))}",
                    functools.partial(plot_second_order, indices, output),
                )
            )
    if grouped is not None and "ST" in grouped:
        drawn.append(("group_indices", lambda: plot_indices(grouped)))
    if interactions is not None:
        drawn.append(("group_interactions", lambda: plot_interaction_map(interactions)))
    for name, draw in drawn:
        # one figure at a time: each is saved and released before the next is drawn
        write_figure(draw(), files.path(f"figures/{name}.png"), atomic=False)


def write_figures(out: str | os.PathLike[str], *, study: str | None = None) -> list[Path]:
    """Draw the figures of a study already written to ``out`` (by :func:`write_study`).

    Reads ``sobol.nc`` (and ``sobol_groups.nc``, ``interactions.nc`` when
    present) and writes ``figures/*.png``: S1/ST bars with confidence
    intervals, the ST heat map over time, S2 matrices, group indices and the
    group interaction map. Every figure appears together, or none.

    Parameters
    ----------
    out : path-like
        The results folder.
    study : str, optional
        The name of the study the results must come from.

    Raises
    ------
    SpecError
        If ``out`` holds no ``sobol.nc``, or results of another study.
    """
    directory = Path(out)
    if not (directory / SOBOL_FILE).is_file():
        raise SpecError(
            f"{directory} holds no {SOBOL_FILE}: run the study first (figures are drawn"
            " from its results)"
        )
    loaded = {}
    for name in (SOBOL_FILE, GROUPS_FILE, INTERACTIONS_FILE):
        path = directory / name
        if path.is_file():
            with xr.open_dataset(path, engine="h5netcdf") as stored:
                loaded[name] = stored.load()
    recorded = loaded[SOBOL_FILE].attrs.get("study")
    if study is not None and recorded != study:
        raise SpecError(
            f"{directory / SOBOL_FILE} holds results of study {recorded!r}, not {study!r}"
        )
    (directory / "figures").mkdir(exist_ok=True)
    with AtomicFiles(directory) as files:
        _draw_figures(
            files, loaded[SOBOL_FILE], loaded.get(GROUPS_FILE), loaded.get(INTERACTIONS_FILE)
        )
        written = files.targets
    return written


def clear_checkpoints(directory: Path) -> None:
    """Remove a checkpoint folder written by a study run (only our own named folder)."""
    if directory.name != CHECKPOINT_FOLDER:
        raise SpecError(f"refusing to remove {directory}: not a checkpoint folder")
    if directory.exists():
        shutil.rmtree(directory)


def stderr_log(message: str) -> None:
    """Print a stage message on stderr."""
    print(f"gvc-upgrading sensitivity: {message}", file=sys.stderr, flush=True)
