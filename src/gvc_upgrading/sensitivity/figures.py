"""Figures of sensitivity results (matplotlib Figures, no global pyplot state).

- :func:`plot_indices`: S1 and ST bars with confidence intervals, one panel
  per scalar output;
- :func:`plot_st_over_time`: ST heat map (factor × year) per trajectory output;
- :func:`plot_second_order`: S2 matrix of one output;
- :func:`plot_interaction_map`: group S2 matrix marked synergy / displacement.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

__all__ = ["plot_indices", "plot_interaction_map", "plot_second_order", "plot_st_over_time"]

_READING_MARK = {"synergy": "+", "displacement": "−", "additive": "0", "negligible": ""}


def _factor_dim(result: xr.Dataset) -> str:
    return str(result.attrs.get("factor_dim", "parameter"))


def _grid(count: int, columns: int) -> tuple[int, int]:
    columns = max(1, min(columns, count))
    return math.ceil(count / columns), columns


def plot_indices(result: xr.Dataset, *, top: int | None = 15, columns: int = 2) -> Figure:
    """Horizontal S1 and ST bars with confidence intervals, one panel per scalar output.

    Parameters
    ----------
    result : xarray.Dataset
        A :func:`~gvc_upgrading.sensitivity.sobol` result with scalar outputs.
    top : int, optional
        Show the ``top`` factors by ST in each panel (None: all).
    columns : int
        Panels per row.
    """
    factor = _factor_dim(result)
    outputs = list(result["output"].values)
    rows, cols = _grid(len(outputs), columns)
    shown = len(result[factor]) if top is None else min(top, len(result[factor]))
    figure = Figure(figsize=(6.2 * cols, 0.32 * shown * rows + 1.6 * rows), layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False)
    for index, output in enumerate(outputs):
        ax = axes.flat[index]
        selected = result.sel(output=output)
        order = np.argsort(-selected["ST"].values, kind="stable")[:shown][::-1]
        names = [str(n) for n in selected[factor].values[order]]
        y = np.arange(len(order))
        ax.barh(
            y + 0.2,
            selected["ST"].values[order],
            height=0.4,
            xerr=selected["ST_conf"].values[order],
            label="ST (total)",
            color="#1f77b4",
            capsize=2,
        )
        ax.barh(
            y - 0.2,
            selected["S1"].values[order],
            height=0.4,
            xerr=selected["S1_conf"].values[order],
            label="S1 (first order)",
            color="#ff7f0e",
            capsize=2,
        )
        ax.set_yticks(y, names, fontsize=8)
        ax.axvline(0, color="black", linewidth=0.6)
        title = str(output)
        if bool(selected["constant"]):
            title += " (constant output: no variance)"
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("share of output variance")
        if index == 0:
            ax.legend(fontsize=8, loc="lower right")
    for ax in axes.flat[len(outputs) :]:
        ax.set_visible(False)
    figure.suptitle(
        f"Sobol' indices, study {result.attrs.get('study', '')!r}, N={result.attrs.get('n', '')}"
        f" (bars: {result.attrs.get('conf_level', 0.95):g} confidence intervals)",
        fontsize=11,
    )
    return figure


def plot_st_over_time(result: xr.Dataset, *, top: int | None = 15) -> Figure:
    """Heat map of the total index over time (factor × year), one panel per trajectory output."""
    factor = _factor_dim(result)
    trajectories = list(result["trajectory"].values)
    shown = len(result[factor]) if top is None else min(top, len(result[factor]))
    figure = Figure(figsize=(9, (0.3 * shown + 1.4) * len(trajectories)), layout="constrained")
    axes = figure.subplots(len(trajectories), 1, squeeze=False)[:, 0]
    time = result["time"].values
    image = None
    for ax, trajectory in zip(axes, trajectories, strict=True):
        st = result["ST_time"].sel(trajectory=trajectory)
        order = np.argsort(-st.mean("time").values, kind="stable")[:shown]
        values = st.values[order]
        constant = result["constant_time"].sel(trajectory=trajectory).values
        masked = np.ma.masked_array(values, mask=np.broadcast_to(constant, values.shape))
        image = ax.imshow(
            masked,
            aspect="auto",
            cmap="viridis",
            vmin=0,
            vmax=1,
            extent=(time[0] - 0.5, time[-1] + 0.5, len(order) - 0.5, -0.5),
            interpolation="nearest",
        )
        ax.set_yticks(
            np.arange(len(order)), [str(n) for n in st[factor].values[order]], fontsize=8
        )
        ax.set_title(f"{trajectory}: total index ST by year (blank: no variance)", fontsize=10)
        ax.set_xlabel("year")
    if image is not None:
        figure.colorbar(image, ax=list(axes), label="ST", shrink=0.8)
    return figure


def _matrix(ax, values: np.ndarray, names: list[str], title: str, vmax: float):
    image = ax.imshow(values, cmap="magma_r", vmin=0, vmax=vmax, interpolation="nearest")
    ticks = np.arange(len(names))
    ax.set_xticks(ticks, names, rotation=90, fontsize=7)
    ax.set_yticks(ticks, names, fontsize=7)
    ax.set_title(title, fontsize=10)
    return image


def plot_second_order(result: xr.Dataset, output: str | None = None) -> Figure:
    """S2 matrix of one scalar output (default: the first); negative estimates shown as 0."""
    factor = _factor_dim(result)
    output = str(result["output"].values[0]) if output is None else output
    s2 = result["S2"].sel(output=output).values.clip(min=0)
    names = [str(n) for n in result[factor].values]
    size = max(5.0, 0.28 * len(names) + 2.5)
    figure = Figure(figsize=(size + 1, size), layout="constrained")
    ax = figure.subplots()
    vmax = float(np.nanmax(s2)) if np.isfinite(s2).any() and np.nanmax(s2) > 0 else 1.0
    image = _matrix(ax, s2, names, f"Second-order indices S2: {output}", vmax)
    figure.colorbar(image, ax=ax, label="S2", shrink=0.8)
    return figure


def plot_interaction_map(interactions: xr.Dataset, *, columns: int = 2) -> Figure:
    """Group S2 matrices, one panel per output, each cell marked by its reading.

    ``+`` synergy (super-additive), ``−`` displacement (sub-additive), ``0``
    additive; unmarked cells are negligible.
    """
    outputs = list(interactions["output"].values)
    names = [str(g) for g in interactions["group"].values]
    rows, cols = _grid(len(outputs), columns)
    side = max(4.0, 0.45 * len(names) + 2.0)
    figure = Figure(figsize=(side * cols + 1, side * rows), layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False)
    s2_all = interactions["S2"].values.clip(min=0)
    vmax = float(np.nanmax(s2_all)) if np.isfinite(s2_all).any() else 1.0
    vmax = vmax if vmax > 0 else 1.0
    image = None
    for ax, output in zip(axes.flat, outputs, strict=False):
        selected = interactions.sel(output=output)
        s2 = selected["S2"].values.clip(min=0)
        image = _matrix(ax, s2, names, str(output), vmax)
        readings = selected["reading"].values
        for i in range(len(names)):
            for j in range(len(names)):
                mark = _READING_MARK.get(str(readings[i, j]), "")
                if mark:
                    ax.text(
                        j,
                        i,
                        mark,
                        ha="center",
                        va="center",
                        fontsize=11,
                        color="#2ca02c" if mark == "+" else "#1f77b4",
                        fontweight="bold",
                    )
    for ax in axes.flat[len(outputs) :]:
        ax.set_visible(False)
    if image is not None:
        figure.colorbar(image, ax=list(axes.flat), label="group S2", shrink=0.6)
    figure.suptitle(
        "Group interactions: S2 between governance groups; + synergy (super-additive),"
        " − displacement (sub-additive)",
        fontsize=10,
    )
    return figure
