"""Write an exploration study's files: netCDF of the runs, CSV tables, figures, findings."""

from __future__ import annotations

import json
import os
from pathlib import Path

import xarray as xr

from ..io import AtomicFiles, check_output_dir
from .analysis import Analysis
from .figures import plot_class_shares, plot_prim_tradeoff
from .findings import FINDINGS_FILE, Findings

__all__ = ["RESULT_FILE", "write_exploration"]

#: Name of the runs file in an output folder.
RESULT_FILE = "exploration.nc"


def write_exploration(
    result: xr.Dataset,
    analysis: Analysis,
    findings: Findings,
    out: str | os.PathLike[str],
    *,
    runs: bool = True,
) -> list[Path]:
    """Write every file of a study to ``out``; they appear together or not at all.

    Files: ``exploration.nc`` (runs over ``(run, time)`` with the sampled
    inputs, classes and changes), ``tables/robustness.csv``,
    ``tables/feature_scores.csv``, ``tables/prim_trajectory.csv`` and
    ``tables/prim_box.csv`` (when a box was found), ``figures/class_shares.png``,
    ``figures/prim_tradeoff.png`` and ``findings.json``.

    Parameters
    ----------
    result, analysis, findings
        What :func:`~.runs.explore`, :func:`~.analysis.analyse` and
        :func:`~.findings.summarise` returned.
    out : path-like
        Output folder (created if its parent exists).
    runs : bool
        Also write ``exploration.nc`` (large: every run's trajectories).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = check_output_dir(out)
    for sub in ("tables", "figures"):
        check_output_dir(out / sub)
    with AtomicFiles(out) as files:
        if runs:
            result.to_netcdf(files.path(RESULT_FILE), engine="h5netcdf")
        analysis.robustness.to_csv(files.path("tables/robustness.csv"))
        analysis.scores.to_csv(files.path("tables/feature_scores.csv"))
        if analysis.prim is not None:
            analysis.prim.trajectory.to_csv(files.path("tables/prim_trajectory.csv"))
            analysis.prim.limits.to_csv(files.path("tables/prim_box.csv"))
            figure = plot_prim_tradeoff(analysis.prim)
            figure.savefig(
                files.path("figures/prim_tradeoff.png"), format="png", dpi=120, bbox_inches="tight"
            )
        figure = plot_class_shares(analysis.robustness)
        figure.savefig(
            files.path("figures/class_shares.png"), format="png", dpi=120, bbox_inches="tight"
        )
        files.path(FINDINGS_FILE).write_text(
            json.dumps(findings.to_dict(), indent=2, sort_keys=True) + "\n"
        )
        written = files.targets
    return written
