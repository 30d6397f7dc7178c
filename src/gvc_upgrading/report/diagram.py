"""Draw the stock-and-flow diagram of a Vensim model from its sketch, in pure Python.

Each view of the ``.mdl`` sketch (one per model sector) becomes a matplotlib
figure: stocks as boxes, flows as pipes with a valve (the flow's name under
it) running from or into clouds, auxiliaries and constants as text, causal
links as thin curved arrows. Every variable takes the colour of its sector;
shadow copies of variables from other sectors are drawn in grey, in angle
brackets, as Vensim does.
"""

from __future__ import annotations

import itertools
import os
import textwrap
from collections.abc import Callable
from functools import partial
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, FancyArrowPatch, Rectangle

from .. import layout as _layout
from .. import sector_layout as _sector_layout
from .. import sketch as _sketch
from ..sector_layout import WRAP, SectorGraph, place_sector, shown
from ..sketch import SKETCH_START, Diagram, View, model_sectors, read_sketch

__all__ = [
    "LAYOUT_CODE",
    "SECTOR_COLOURS",
    "draw_diagram",
    "draw_view",
    "graph_of_view",
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
LAYOUT_CODE: tuple[str, ...] = tuple(
    str(module.__file__) for module in (_sketch, _layout, _sector_layout)
)
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


def graph_of_view(view: View, heads: dict[tuple[str, int], bool] | None = None) -> SectorGraph:
    """What a sketch view shows, as a :class:`~gvc_upgrading.sector_layout.SectorGraph`.

    Stocks are the view's boxes; a valve's flow is the variable drawn with it
    (the next object, as Vensim writes it, else the nearest variable); a flow
    fills the stock its headed pipe points at and drains the stock its
    headless pipe leaves (``heads``: :func:`pipe_heads`; default: every pipe
    fills). Causal links to a valve are links to its flow.
    """
    heads = heads or {}
    by_id = {v.id: v for v in view.variables}

    def flow_of(valve: int) -> str | None:
        if valve + 1 in by_id and not by_id[valve + 1].is_stock_box:
            return by_id[valve + 1].name
        x, y = view.valves[valve]
        candidates = [v for v in view.variables if not v.is_stock_box]
        if not candidates:
            return None
        return min(candidates, key=lambda v: (v.x - x) ** 2 + (v.y - y) ** 2).name

    names = {v.id: v.name for v in view.variables}
    valve_flow = {valve: flow_of(valve) for valve in view.valves}
    names.update({valve: flow for valve, flow in valve_flow.items() if flow is not None})
    stocks = tuple(v.name for v in view.variables if v.is_stock_box)
    inflows: dict[str, list[str]] = {s: [] for s in stocks}
    outflows: dict[str, list[str]] = {s: [] for s in stocks}
    for arrow in view.arrows:
        if not arrow.pipe or arrow.source not in view.valves:
            continue
        target = by_id.get(arrow.target)
        flow = valve_flow[arrow.source]
        if target is None or not target.is_stock_box or flow is None:
            continue
        placed = flow in inflows[target.name] or flow in outflows[target.name]
        if not placed:
            filling = heads.get((view.name, arrow.id), True)
            (inflows if filling else outflows)[target.name].append(flow)
    flows = {f for group in (inflows, outflows) for fs in group.values() for f in fs}
    others = tuple(
        dict.fromkeys(v.name for v in view.variables if not v.is_stock_box and v.name not in flows)
    )
    stock_of = {f: s for group in (inflows, outflows) for s, fs in group.items() for f in fs}
    links = tuple(
        dict.fromkeys(
            (names[a.source], names[a.target])
            for a in view.arrows
            if not a.pipe
            and a.source in names
            and a.target in names
            and stock_of.get(names[a.source]) != names[a.target]  # the pipe shows it
        )
    )
    return SectorGraph(
        stocks=stocks,
        inflows={s: tuple(f) for s, f in inflows.items()},
        outflows={s: tuple(f) for s, f in outflows.items()},
        others=others,
        links=links,
        shadows=frozenset(_shadow_names(view)),
    )


def _shadow_names(view: View) -> set[str]:
    """Names shown in the view only as shadows (a name with its own entry is no shadow).

    The sketch writer draws the second and later copies of a constant that
    drives several variables as Vensim shadow entries beside the original, so a
    name can have both kinds of entry in one view.
    """
    own = {v.name for v in view.variables if not v.shadow}
    return {v.name for v in view.variables if v.shadow} - own


def draw_view(
    view: View,
    *,
    sectors: dict[str, str] | None = None,
    colours: dict[str, str] | None = None,
    heads: dict[tuple[str, int], bool] | None = None,
    scale: float = 95.0,
) -> Figure:
    """Draw one view of a sketch, laid out by :func:`gvc_upgrading.sector_layout.place_sector`.

    The view's variables, stocks, flows and links are drawn; their places
    are computed (stocks with their flows on top, causes below what they
    drive, rows ordered to reduce crossings), not read from the sketch.

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
        :func:`pipe_heads` of the file (default: every pipe fills its stock).
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
    graph = graph_of_view(view, heads)
    place = place_sector(graph)
    x0, y0, x1, y1 = place.extent()
    x0, y0, x1, y1 = x0 - 20, y0 - 20, x1 + 20, y1 + 20
    title_space = 0.45
    figure = Figure(figsize=((x1 - x0) / scale, (y1 - y0) / scale + title_space))
    height = (y1 - y0) / scale
    ax = figure.add_axes((0, 0, 1, height / (height + title_space)))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y1, y0)  # Vensim's y axis points down
    ax.set_axis_off()
    own = colours.get(view.name, SECTOR_COLOURS[0])
    figure.suptitle(
        f"Sector: {view.name}   (stocks and flows on top; arrows run from a cause to "
        "what it changes)",
        color=own,
        fontsize=11,
        y=1 - 0.1 * title_space / (height + title_space),
        va="top",
    )
    shadows = _shadow_names(view)
    units = set(graph.stocks) | set(graph.flows)

    def colour_of(name: str) -> str:
        if name in shadows:
            return SHADOW_COLOUR
        return colours.get(sectors.get(name, view.name), own)

    for (cause, _effect), route in place.routes.items():
        points = list(route)
        closing = cause in units  # from a stock or a flow: closes a feedback loop
        colour = own if closing else "#4a5568"
        alpha = 0.55 if closing else 0.6
        if len(points) > 2:
            ax.plot(
                [p[0] for p in points[:-1]],
                [p[1] for p in points[:-1]],
                zorder=2,
                color=colour,
                linewidth=0.8,
                alpha=alpha,
            )
        ax.add_patch(
            FancyArrowPatch(
                points[-2],
                points[-1],
                arrowstyle="-|>",
                mutation_scale=8,
                shrinkA=0,
                shrinkB=0,
                zorder=2,
                color=colour,
                linewidth=0.8,
                alpha=alpha,
            )
        )
    for stock in graph.stocks:
        sx, sy = place.centre[stock]
        half_w = place.size[stock][0] / 2
        for flow in (*graph.inflows.get(stock, ()), *graph.outflows.get(stock, ())):
            (vx, vy), (cx, cy) = place.valves[flow], place.clouds[flow]
            side = -1 if vx < sx else 1
            edge = (sx + side * half_w, sy)
            # a flow stacked below the box's level turns up beside the box
            bend = [] if abs(vy - sy) < 1 else [(sx + side * (half_w + 14), vy)]
            if bend:
                bend.append((bend[0][0], sy))
            if place.inflow[flow]:
                path = [(cx, cy), (vx, vy), *bend, edge]
            else:
                path = [edge, *reversed(bend), (vx, vy), (cx, cy)]
            start, end = path[-2], path[-1]
            for a, b in itertools.pairwise(path):
                ax.plot(
                    [a[0], b[0]],
                    [a[1], b[1]],
                    color=own,
                    linewidth=5,
                    zorder=1,
                    solid_capstyle="butt",
                )
                ax.plot(
                    [a[0], b[0]],
                    [a[1], b[1]],
                    color="white",
                    linewidth=2.5,
                    zorder=1.1,
                    solid_capstyle="butt",
                )
            ax.add_patch(
                FancyArrowPatch(
                    start,
                    end,
                    arrowstyle="-|>",
                    mutation_scale=14,
                    color=own,
                    linewidth=0,
                    shrinkA=0,
                    shrinkB=0 if place.inflow[flow] else 14,
                    zorder=4.5,
                )
            )
            ax.add_patch(
                Ellipse(
                    (cx, cy),
                    30,
                    20,
                    facecolor="white",
                    edgecolor=own,
                    linewidth=1.0,
                    linestyle="--",
                    zorder=3,
                )
            )
            ax.add_patch(
                Ellipse(
                    (vx, vy), 14, 14, facecolor="white", edgecolor=own, linewidth=1.2, zorder=3
                )
            )
            ax.plot([vx, vx], [vy - 10, vy + 10], color=own, linewidth=1.2, zorder=3.1)
    for key, (x, y) in place.centre.items():
        name = shown(key)
        copy = name in shadows or key != name  # a shadow, or a second copy of a constant
        colour = SHADOW_COLOUR if copy else colour_of(name)
        label = f"<{name}>" if copy else name
        if name in graph.stocks:
            w, h = place.size[name]
            ax.add_patch(
                Rectangle(
                    (x - w / 2, y - h / 2),
                    w,
                    h,
                    facecolor="white",
                    edgecolor=colour,
                    linewidth=1.6,
                    zorder=4,
                )
            )
            ax.text(
                x,
                y,
                shown_name(label, WRAP),
                ha="center",
                va="center",
                fontsize=8.5,
                fontweight="bold",
                color=colour,
                zorder=5,
            )
        else:
            ax.text(
                x,
                y,
                shown_name(label, WRAP),
                ha="center",
                va="center",
                fontsize=7 if key in place.leaves else 8,
                color=colour,
                style="italic" if copy else "normal",
                zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.6},
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
