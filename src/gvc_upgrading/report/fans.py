"""Fan charts: scenario trajectories with 50% and 90% bands from the calibration ensemble.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot
state).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import xarray as xr
from matplotlib.figure import Figure

from .ensemble import ESTIMATE
from .words import scenario_name, unit_label

__all__ = ["fan_chart", "fan_overview"]

_BAND_COLOUR = "#2b6cb0"
_OVERVIEW_COLOURS = ("#4a5568", "#2f855a", "#c05621", "#6b46c1", "#b83280")


def _case(ensemble: xr.Dataset) -> str:
    return str(ensemble.attrs.get("case_label") or ensemble.attrs.get("case", ""))


def _bands(bands: xr.Dataset, outcome: str, scenario: str):
    if outcome not in bands:
        return None
    series = bands[outcome].sel(scenario=scenario)
    return {q: series.sel(quantile=q).values for q in (0.05, 0.25, 0.5, 0.75, 0.95)}


def _fixed_layout(figure: Figure, rows: int, *, wspace: float = 0.08) -> None:
    """Place the panels with fixed margins (room for the title above and the legend below).

    A fixed layout is laid out once; matplotlib's constrained layout would be
    recomputed for every file the figure is saved to.
    """
    height = figure.get_figheight()
    figure.subplots_adjust(
        left=0.08,
        right=0.985,
        top=1 - 0.75 / height,
        bottom=0.95 / height,
        wspace=wspace,
        hspace=0.32 if rows > 1 else 0.0,
    )


def _mark_start(ax, start: float | None) -> None:
    if start is not None:
        ax.axvline(start, color="#718096", linewidth=0.8, linestyle=":")


def fan_chart(
    ensemble: xr.Dataset,
    bands: xr.Dataset,
    outcome: str,
    *,
    scenarios: Sequence[str] | None = None,
    baseline: str = "baseline",
    columns: int = 3,
    panel_size: tuple[float, float] = (3.4, 2.4),
) -> Figure:
    """Draw one outcome under each scenario: 90% and 50% bands, median and estimate.

    Parameters
    ----------
    ensemble : xarray.Dataset
        Runs over ``(scenario, member, time)`` (:func:`~.ensemble.run_case_scenarios`).
    bands : xarray.Dataset
        Quantiles over the replicates (:func:`~.ensemble.band_quantiles`);
        may be empty (no bootstrap), then only the estimate is drawn.
    outcome : str
        The variable to draw.
    scenarios : sequence of str, optional
        Panels (default: every scenario of ``ensemble``).
    baseline : str
        Drawn as a dashed reference (its estimate) in every other panel.
    columns : int
        Panels per row.
    panel_size : (float, float)
        Inches per panel.
    """
    names = [str(s) for s in ensemble["scenario"].values] if scenarios is None else list(scenarios)
    columns = max(1, min(columns, len(names)))
    rows = math.ceil(len(names) / columns)
    figure = Figure(figsize=(panel_size[0] * columns, panel_size[1] * rows + 1.1))
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
    _fixed_layout(figure, rows)
    time = ensemble["time"].values
    start = ensemble.attrs.get("policy_start")
    reference = ensemble[outcome].sel(scenario=baseline, member=ESTIMATE).values
    for ax, name in zip(axes.flat, names, strict=False):
        quantiles = _bands(bands, outcome, name)
        if quantiles is not None:
            ax.fill_between(
                time,
                quantiles[0.05],
                quantiles[0.95],
                color=_BAND_COLOUR,
                alpha=0.18,
                linewidth=0,
                label="90% band",
            )
            ax.fill_between(
                time,
                quantiles[0.25],
                quantiles[0.75],
                color=_BAND_COLOUR,
                alpha=0.38,
                linewidth=0,
                label="50% band",
            )
            ax.plot(time, quantiles[0.5], color=_BAND_COLOUR, linewidth=1.0, label="median")
        estimate = ensemble[outcome].sel(scenario=name, member=ESTIMATE).values
        ax.plot(time, estimate, color="black", linewidth=1.2, label="estimate")
        if name != baseline:
            ax.plot(
                time,
                reference,
                color="#a0aec0",
                linewidth=1.0,
                linestyle="--",
                label="baseline (estimate)",
            )
        _mark_start(ax, start)
        ax.set_title(scenario_name(name), fontsize="medium")
        ax.tick_params(labelsize="small")
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("Year", fontsize="small")
    unit = ensemble[outcome].attrs.get("units", "")
    for ax in axes[:, 0]:
        if unit:
            ax.set_ylabel(unit_label(unit), fontsize="small")
    handles, labels = {}, []
    for ax in axes.flat[: len(names)]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in handles:
                handles[label] = handle
                labels.append(label)
    figure.legend(
        [handles[k] for k in labels],
        labels,
        loc="lower center",
        ncols=len(labels),
        fontsize="small",
    )
    title = f"{outcome}, {_case(ensemble)}"
    if start is not None:
        title += f" (levers from {float(start):g}, dotted line)"
    figure.suptitle(title)
    return figure


def fan_overview(
    ensemble: xr.Dataset,
    bands: xr.Dataset,
    outcomes: Sequence[str],
    *,
    scenarios: Sequence[str] = ("baseline", "synergistic", "displacement"),
    columns: int = 3,
    panel_size: tuple[float, float] = (3.6, 2.6),
) -> Figure:
    """Draw several outcomes with a few scenarios overlaid (estimate and 90% band each)."""
    columns = max(1, min(columns, len(outcomes)))
    rows = math.ceil(len(outcomes) / columns)
    figure = Figure(figsize=(panel_size[0] * columns, panel_size[1] * rows + 1.1))
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True)
    _fixed_layout(figure, rows, wspace=0.28)
    time = ensemble["time"].values
    start = ensemble.attrs.get("policy_start")
    present = [s for s in scenarios if s in ensemble["scenario"].values]
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        for colour, name in zip(_OVERVIEW_COLOURS, present, strict=False):
            quantiles = _bands(bands, outcome, name)
            if quantiles is not None:
                ax.fill_between(
                    time, quantiles[0.05], quantiles[0.95], color=colour, alpha=0.15, linewidth=0
                )
                ax.fill_between(
                    time, quantiles[0.25], quantiles[0.75], color=colour, alpha=0.3, linewidth=0
                )
            estimate = ensemble[outcome].sel(scenario=name, member=ESTIMATE).values
            ax.plot(time, estimate, color=colour, linewidth=1.2, label=scenario_name(name))
        _mark_start(ax, start)
        ax.set_title(outcome, fontsize="medium")
        unit = ensemble[outcome].attrs.get("units", "")
        if unit:
            ax.set_ylabel(unit_label(unit), fontsize="small")
        ax.tick_params(labelsize="small")
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(outcomes) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncols=len(labels))
    figure.suptitle(f"Key outcomes, {_case(ensemble)}: estimate with 50% and 90% bands")
    return figure
