"""Draw the stock-and-flow diagram of a Vensim model from its sketch, in pure Python.

Each view of the ``.mdl`` sketch (one per model sector) becomes a matplotlib
figure: stocks as boxes, flows as pipes with a valve (the flow's name under
it) running from or into clouds, auxiliaries and constants as text, causal
links as thin curved arrows. Every variable takes the colour of its sector;
shadow copies of variables from other sectors are drawn in grey, in angle
brackets, as Vensim does.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from functools import partial
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, FancyArrowPatch, Rectangle

from .. import sketch as _sketch
from ..sketch import SKETCH_START, Diagram, View, model_sectors, read_sketch

__all__ = [
    "LAYOUT_CODE",
    "SECTOR_COLOURS",
    "draw_diagram",
    "draw_view",
    "pipe_heads",
    "sector_colours",
    "shown_name",
    "view_drawers",
]

#: Colours given to sectors, in the order of the sketch's views.
SECTOR_COLOURS: tuple[str, ...] = (
    "#2b6cb0",
    "#2f855a",
    "#c05621",
    "#6b46c1",
    "#b83280",
    "#2c7a7b",
    "#975a16",
    "#4a5568",
)
SHADOW_COLOUR = "#8a8f98"
#: Source files, besides this one, whose code decides how a view looks (figure cache keys).
LAYOUT_CODE: tuple[str, ...] = (str(_sketch.__file__),)
_NO_HEAD = 100  # Vensim's arrow shape code for a pipe end without an arrowhead


def sector_colours(diagram: Diagram, sectors: dict[str, str]) -> dict[str, str]:
    """Map each sector (view names first, then the model's groups) to a colour."""
    names = list(dict.fromkeys([v.name for v in diagram.views] + list(sectors.values())))
    return {name: SECTOR_COLOURS[i % len(SECTOR_COLOURS)] for i, name in enumerate(names)}


def pipe_heads(path: str | os.PathLike[str]) -> dict[tuple[str, int], bool]:
    """Return, per ``(view, arrow id)``, whether the arrow has a head at its target.

    Vensim marks the tail end of a flow pipe with arrow shape 100 (no head);
    :func:`gvc_upgrading.sketch.read_sketch` does not keep that field.
    """
    text = Path(path).read_text("utf-8")
    heads: dict[tuple[str, int], bool] = {}
    view = ""
    for line in text.partition(SKETCH_START)[2].splitlines():
        line = line.strip()
        if line.startswith("*"):
            view = line[1:]
        elif line.startswith("1,"):
            fields = line.split(",")
            try:
                heads[(view, int(fields[1]))] = int(fields[4]) != _NO_HEAD
            except (IndexError, ValueError):
                continue
    return heads


def shown_name(name: str, width: int = 16) -> str:
    """Wrap a variable name for drawing (``shown_name(n).replace("\\n", " ") == n``).

    Examples
    --------
    >>> shown_name("True compliance less visible")
    'True compliance\\nless visible'
    """
    return "\n".join(textwrap.wrap(name, width=width, break_long_words=False)) or name


def _extent(view: View) -> tuple[float, float, float, float]:
    xs = [v.x for v in view.variables] + [
        p[0] for p in (*view.valves.values(), *view.clouds.values())
    ]
    ys = [v.y for v in view.variables] + [
        p[1] for p in (*view.valves.values(), *view.clouds.values())
    ]
    if not xs:
        return 0.0, 100.0, 0.0, 100.0
    return min(xs) - 80, max(xs) + 80, min(ys) - 50, max(ys) + 50


def draw_view(
    view: View,
    *,
    sectors: dict[str, str] | None = None,
    colours: dict[str, str] | None = None,
    heads: dict[tuple[str, int], bool] | None = None,
    scale: float = 95.0,
) -> Figure:
    """Draw one view of a sketch.

    Parameters
    ----------
    view : View
        From :func:`gvc_upgrading.sketch.read_sketch`.
    sectors : dict of str to str, optional
        Variable -> sector (:func:`gvc_upgrading.sketch.model_sectors`);
        variables not in it belong to the view's sector.
    colours : dict of str to str, optional
        Sector -> colour (default: :func:`sector_colours` of this view alone).
    heads : dict, optional
        :func:`pipe_heads` of the file (default: every pipe has a head at its target).
    scale : float
        Sketch units per inch.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; every variable of the view is one text artist whose text,
        with line breaks read as spaces, is the variable's name (in angle
        brackets for a shadow variable).
    """
    sectors = sectors or {}
    colours = colours or {view.name: SECTOR_COLOURS[0]}
    heads = heads or {}
    x0, x1, y0, y1 = _extent(view)
    figure = Figure(figsize=(max(4.0, (x1 - x0) / scale), max(3.0, (y1 - y0) / scale)))
    ax = figure.add_axes((0, 0, 1, 0.95))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y1, y0)  # Vensim's y axis points down
    ax.set_axis_off()
    own = colours.get(view.name, SECTOR_COLOURS[0])
    figure.suptitle(f"Sector: {view.name}", color=own, fontsize="large", y=0.99)

    def colour_of(variable) -> str:
        if variable.shadow:
            return SHADOW_COLOUR
        return colours.get(sectors.get(variable.name, view.name), own)

    by_id = {v.id: v for v in view.variables}
    # pipes first (under everything), then causal links, then shapes and names
    for arrow in view.arrows:
        start, end = view.position(arrow.source), view.position(arrow.target)
        if start is None or end is None:
            continue
        if arrow.pipe:
            ax.plot(
                [start[0], end[0]],
                [start[1], end[1]],
                color=own,
                linewidth=5,
                solid_capstyle="butt",
                zorder=1,
            )
            ax.plot(
                [start[0], end[0]],
                [start[1], end[1]],
                color="white",
                linewidth=2.5,
                solid_capstyle="butt",
                zorder=1.1,
            )
            if heads.get((view.name, arrow.id), True):
                target = by_id.get(arrow.target)
                if target is not None and target.is_stock_box:  # stop at the box's edge
                    side = 1 if start[0] > end[0] else -1
                    end = (end[0] + side * target.width, end[1])
                ax.add_patch(
                    FancyArrowPatch(
                        start,
                        end,
                        arrowstyle="-|>",
                        mutation_scale=14,
                        color=own,
                        linewidth=0,
                        shrinkA=0,
                        shrinkB=2,
                        zorder=4.5,
                    )
                )
        else:
            ax.add_patch(
                FancyArrowPatch(
                    start,
                    end,
                    arrowstyle="->",
                    mutation_scale=7,
                    connectionstyle="arc3,rad=0.18",
                    color="#4a5568",
                    linewidth=0.5,
                    alpha=0.45,
                    shrinkA=10,
                    shrinkB=10,
                    zorder=2,
                )
            )
    for x, y in view.clouds.values():
        ax.add_patch(
            Ellipse(
                (x, y),
                28,
                18,
                facecolor="white",
                edgecolor=own,
                linewidth=1.0,
                linestyle="--",
                zorder=3,
            )
        )
    for x, y in view.valves.values():
        ax.add_patch(
            Ellipse((x, y), 12, 12, facecolor="white", edgecolor=own, linewidth=1.2, zorder=3)
        )
        ax.plot([x, x], [y - 9, y + 9], color=own, linewidth=1.2, zorder=3.1)
    for variable in view.variables:
        colour = colour_of(variable)
        label = f"<{variable.name}>" if variable.shadow else variable.name
        if variable.is_stock_box:
            ax.add_patch(
                Rectangle(
                    (variable.x - variable.width, variable.y - variable.height),
                    2 * variable.width,
                    2 * variable.height,
                    facecolor="white",
                    edgecolor=colour,
                    linewidth=1.6,
                    zorder=4,
                )
            )
            ax.text(
                variable.x,
                variable.y,
                shown_name(label, 14),
                ha="center",
                va="center",
                fontsize=6.5,
                fontweight="bold",
                color=colour,
                zorder=5,
            )
        else:
            ax.text(
                variable.x,
                variable.y,
                shown_name(label),
                ha="center",
                va="center",
                fontsize=6,
                color=colour,
                style="italic" if variable.shadow else "normal",
                zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.5},
            )
    return figure


def view_drawers(path: str | os.PathLike[str]) -> dict[str, Callable[[], Figure]]:
    """Return, per view of the sketch of ``path``, a function that draws it.

    The sketch is read now (so a malformed one fails here); each view is
    drawn only when its function is called, so a report can skip the drawing
    of views it finds cached.

    Raises
    ------
    ModelFileError
        If the file is missing or its sketch malformed.
    """
    diagram = read_sketch(path)
    sectors = model_sectors(path)
    colours = sector_colours(diagram, sectors)
    heads = pipe_heads(path)
    return {
        view.name: partial(draw_view, view, sectors=sectors, colours=colours, heads=heads)
        for view in diagram.views
    }


def draw_diagram(path: str | os.PathLike[str]) -> dict[str, Figure]:
    """Draw every view of the sketch of the ``.mdl`` file at ``path``, by view name.

    Raises
    ------
    ModelFileError
        If the file is missing or its sketch malformed.
    """
    return {name: draw() for name, draw in view_drawers(path).items()}
