"""The scenario comparison figure: key outcomes over time, one line per scenario.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot
state), so they can be drawn in scripts, tests and worker processes alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import xarray as xr
from matplotlib.figure import Figure

__all__ = ["comparison_figure"]


def comparison_figure(
    comparison: xr.Dataset,
    outcomes: Sequence[str] | None = None,
    *,
    columns: int = 3,
    panel_size: tuple[float, float] = (4.0, 2.8),
    units: dict[str, str] | None = None,
) -> Figure:
    """Draw each outcome's trajectory under every scenario.

    Parameters
    ----------
    comparison : xarray.Dataset
        A result of :func:`gvc_upgrading.scenarios.compare` (variable
        ``value`` over ``scenario, outcome, time``).
    outcomes : sequence of str, optional
        Outcomes to draw (default: all of ``comparison``'s outcomes).
    columns : int
        Panels per row.
    panel_size : (float, float)
        Width and height of one panel in inches.
    units : dict of str to str, optional
        Unit per outcome, shown in the panel's axis label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    value = comparison["value"]
    outcomes = list(value["outcome"].values) if outcomes is None else list(outcomes)
    units = units or {}
    columns = max(1, min(columns, len(outcomes)))
    rows = math.ceil(len(outcomes) / columns)
    figure = Figure(figsize=(panel_size[0] * columns, panel_size[1] * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True)
    baseline = comparison.attrs.get("baseline", "")
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        for scenario in value["scenario"].values:
            series = value.sel(scenario=scenario, outcome=outcome)
            style = {"color": "black", "linestyle": "--"} if scenario == baseline else {}
            ax.plot(series["time"].values, series.values, label=str(scenario), **style)
        ax.set_title(outcome, fontsize="medium")
        if units.get(outcome):
            ax.set_ylabel(units[outcome], fontsize="small")
        ax.tick_params(labelsize="small")
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(outcomes) :]:
        ax.set_visible(False)
    for column in range(columns):  # the lowest panel drawn in each column carries the year axis
        last_row = max(row for row in range(rows) if row * columns + column < len(outcomes))
        ax = axes[last_row, column]
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel("Year", fontsize="small")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5))
    figure.suptitle("Scenario comparison: key outcomes")
    return figure
