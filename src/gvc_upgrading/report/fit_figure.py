"""The calibration figure: each target's observations against the model at the estimate."""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from .stored import StoredFit

__all__ = ["calibration_fit_figure"]


def calibration_fit_figure(fit: StoredFit, *, columns: int = 2) -> Figure:
    """Draw each calibration target: observed (filled: fitted, open: hold-out) and fitted values.

    Parameters
    ----------
    fit : StoredFit
        The fit (its ``obs_*`` variables).
    columns : int
        Panels per row.
    """
    data = fit.dataset
    targets = list(dict.fromkeys(str(t) for t in data["obs_target"].values))
    columns = max(1, min(columns, len(targets)))
    rows = math.ceil(len(targets) / columns)
    figure = Figure(figsize=(4.2 * columns, 2.7 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    in_sample = (
        data["obs_in_sample"].values.astype(bool)
        if "obs_in_sample" in data
        else [True] * data.sizes["obs"]
    )
    for ax, target in zip(axes.flat, targets, strict=False):
        mask = data["obs_target"].values.astype(str) == target
        time = data["obs_time"].values[mask]
        observed = data["obs_level"].values[mask]
        fitted_in = [bool(v) for v in (in_sample[i] for i in mask.nonzero()[0])]
        order = time.argsort()
        ax.plot(
            time[order],
            data["obs_fitted"].values[mask][order],
            color="#2b6cb0",
            label="model at the estimate",
        )
        inside = [i for i, flag in enumerate(fitted_in) if flag]
        outside = [i for i, flag in enumerate(fitted_in) if not flag]
        ax.scatter(
            time[inside],
            observed[inside],
            s=14,
            color="black",
            zorder=3,
            label="observed (fitted)",
        )
        if outside:
            ax.scatter(
                time[outside],
                observed[outside],
                s=16,
                facecolors="white",
                edgecolors="black",
                zorder=3,
                label="observed (hold-out)",
            )
        ax.set_title(target, fontsize="medium")
        ax.tick_params(labelsize="small")
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(targets) :]:
        ax.set_visible(False)
    handles, labels = {}, []
    for ax in axes.flat[: len(targets)]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in handles:
                handles[label] = handle
                labels.append(label)
    figure.legend(
        [handles[k] for k in labels], labels, loc="outside lower center", ncols=len(labels)
    )
    figure.suptitle(f"Calibration of {fit.case}: observed and fitted")
    return figure
