"""Figures of an exploration study: class shares per policy and PRIM's trade-off."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from .classify import CLASS_DESCRIPTIONS, CLASSES
from .discovery import PrimResult

__all__ = ["plot_class_shares", "plot_prim_tradeoff"]

_COLOURS = {
    "both": "#1b7837",
    "economic_only": "#92c5de",
    "social_only": "#fdb863",
    "displacement": "#b2182b",
    "neither": "#bababa",
}


def plot_class_shares(robustness: pd.DataFrame) -> Figure:
    """Stacked bars: each policy's share of futures in every outcome class, in rank order."""
    table = robustness.sort_values("rank", ascending=False)
    figure = Figure(figsize=(8, 0.35 * len(table) + 1.6))
    ax = figure.subplots()
    left = pd.Series(0.0, index=table.index)
    for name in CLASSES:
        values = table[f"share_{name}"]
        ax.barh(
            table.index, values, left=left, color=_COLOURS[name], label=CLASS_DESCRIPTIONS[name]
        )
        left = left + values
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of sampled futures")
    ax.set_title("Outcome classes per policy (best share of both upgrades on top)")
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 - 0.6 / max(len(table), 1)),
        ncol=2,
        fontsize="small",
        frameon=False,
    )
    figure.tight_layout()
    return figure


def plot_prim_tradeoff(box: PrimResult) -> Figure:
    """Coverage against density along PRIM's peeling trajectory; the chosen box is circled."""
    trajectory = box.trajectory
    figure = Figure(figsize=(6, 4.5))
    ax = figure.subplots()
    points = ax.scatter(
        trajectory["coverage"],
        trajectory["density"],
        c=trajectory["res_dim"],
        cmap="viridis",
        s=18,
    )
    ax.scatter(
        [box.coverage],
        [box.density],
        s=140,
        facecolors="none",
        edgecolors="red",
        label=f"chosen box (step {box.chosen})",
    )
    figure.colorbar(points, ax=ax, label="restricted dimensions")
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(f"PRIM peeling trajectory: {box.target!r}")
    ax.legend(loc="lower left")
    figure.tight_layout()
    return figure
