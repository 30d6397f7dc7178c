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
from matplotlib import patheffects
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
    """Group interaction map, one panel per output.

    Each cell is the group pair's S2, signed by the lever contrast when the
    map has one (positive: super-additive, synergy; negative: sub-additive,
    displacement); cells whose interaction is material are marked ``+``
    (synergy), ``−`` (displacement) or ``0`` (additive).
    """
    outputs = list(interactions["output"].values)
    names = [str(g) for g in interactions["group"].values]
    rows, cols = _grid(len(outputs), columns)
    side = max(4.0, 0.45 * len(names) + 2.0)
    figure = Figure(figsize=(side * cols + 1.5, side * rows + 0.6), layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False)
    signed = interactions["S2"].clip(min=0)
    if "interaction_contrast" in interactions:
        signed = signed * np.sign(interactions["interaction_contrast"])
    finite = np.abs(signed.values[np.isfinite(signed.values)])
    vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    image = None
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    ticks = np.arange(len(names))
    for ax, output in zip(axes.flat, outputs, strict=False):
        image = ax.imshow(
            signed.sel(output=output).values,
            cmap="PuOr_r",
            vmin=-vmax,
            vmax=vmax,
            interpolation="nearest",
        )
        ax.set_xticks(ticks, names, rotation=90, fontsize=7)
        ax.set_yticks(ticks, names, fontsize=7)
        ax.set_title(str(output), fontsize=10)
        readings = interactions["reading"].sel(output=output).values
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
                        fontsize=12,
                        fontweight="bold",
                        path_effects=halo,
                    )
    for ax in axes.flat[len(outputs) :]:
        ax.set_visible(False)
    if image is not None:
        label = (
            "S2, signed by the lever contrast" if "interaction_contrast" in interactions else "S2"
        )
        figure.colorbar(image, ax=list(axes.flat), label=label, shrink=0.6)
    figure.suptitle(
        "Interactions between governance groups: + synergy (super-additive),"
        " − displacement (sub-additive); unmarked: negligible",
        fontsize=10,
    )
    return figure
