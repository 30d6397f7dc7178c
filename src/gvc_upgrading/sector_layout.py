"""Lay out one sector of the model as a stock-and-flow diagram a reader can follow.

The same layout is written into the Vensim sketch (:func:`gvc_upgrading.sketch.write_sketch`)
and drawn in the report (:mod:`gvc_upgrading.report.diagram`).

- Each stock and its flows form a *unit*: inflow valves (from clouds) on
  the left of the stock's box, outflow valves (to clouds) on the right; the
  units sit in the top rows.
- Every other variable (auxiliaries, constants, shadow copies of other
  sectors' variables) goes in a row below everything it drives, as close to
  it as the row width allows: a constant sits just under the variable it
  feeds, and causal links mostly run upwards, from causes to what they
  change. Links from a stock or a flow to the variables it drives run down
  from the top rows (they close the feedback loops). Modelling choice: this
  puts the stocks, the state of the sector, first, and the causal chain that
  moves each flow right under it.
- The order within each row is chosen by barycentre sweeps to reduce link
  crossings, and labels keep their width apart
  (:func:`gvc_upgrading.layout.layered_layout`).

Coordinates are Vensim sketch units (y grows downwards).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .layout import Point, count_crossings, count_overlaps, layered_layout

__all__ = [
    "COPY",
    "ROW_WIDTH",
    "SectorGraph",
    "SectorPlacement",
    "label_lines",
    "label_size",
    "place_sector",
    "shown",
]

#: Widest row of labels, in sketch units (8 inches at 95 units per inch; links passing
#: through a row widen it by a quarter or so).
ROW_WIDTH = 760.0
#: Characters per line of a wrapped label.
WRAP = 16
#: Width of one character and height of one line of a label (8-point type at 95 units/inch).
CHAR_WIDTH, LINE_HEIGHT = 6.4, 13.0
#: Half sizes of a stock's box (at least).
BOX_HALF_WIDTH, BOX_HALF_HEIGHT = 46.0, 20.0
#: From the box's side to a valve, from a valve to its cloud, between stacked flows.
VALVE_OFFSET, CLOUD_OFFSET, FLOW_STEP = 78.0, 58.0, 62.0
#: Below a valve, the centre of the flow's name.
FLOW_LABEL_DROP = 22.0


#: Leaves are written smaller than other labels (7 against 8 points).
LEAF_SCALE = 7 / 8
#: Between a label and the stack of its leaves.
LEAF_GAP = 24.0

#: Separates a shadow's name from its copy number in a placement's keys.
COPY = "\x00"


def shown(key: str) -> str:
    """The variable a placement key stands for (a shadow copy's key names its variable).

    Examples
    --------
    >>> shown("Living wage" + COPY + "2")
    'Living wage'
    """
    return key.split(COPY, 1)[0]


def _with_copies(graph: SectorGraph) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """Others and links with one copy of each source per variable it drives.

    A source (a constant, or a shadow of another sector's variable: nothing
    in the view drives it) that drives several variables is drawn once
    beside each; the copies after the first are shadow copies in Vensim.
    """
    driven = {effect for cause, effect in graph.links if cause != effect}
    drives: dict[str, list[str]] = {}
    for cause, effect in dict.fromkeys(graph.links):
        if cause in graph.others and cause not in driven and cause != effect:
            drives.setdefault(cause, []).append(effect)
    others: list[str] = []
    renamed: dict[tuple[str, str], str] = {}
    for name in graph.others:
        targets = drives.get(name, [])
        if len(targets) < 2:
            others.append(name)
            continue
        for number, effect in enumerate(targets, start=1):
            key = name if number == 1 else f"{name}{COPY}{number}"
            others.append(key)
            renamed[(name, effect)] = key
    links = [(renamed.get((c, e), c), e) for c, e in dict.fromkeys(graph.links)]
    return tuple(others), links


def label_lines(name: str, width: int = WRAP) -> list[str]:
    """The lines a name is wrapped into (words are never broken).

    Examples
    --------
    >>> label_lines("True compliance less visible")
    ['True compliance', 'less visible']
    """
    return textwrap.wrap(name, width=width, break_long_words=False) or [name]


def label_size(name: str) -> tuple[float, float]:
    """Width and height of a wrapped label's box, in sketch units."""
    lines = label_lines(shown(name))
    return max(len(line) for line in lines) * CHAR_WIDTH + 8.0, len(lines) * LINE_HEIGHT + 6.0


def leaf_size(name: str) -> tuple[float, float]:
    """Width and height of a leaf's label (smaller type), in sketch units."""
    w, h = label_size(name)
    return (w - 8) * LEAF_SCALE + 8, (h - 6) * LEAF_SCALE + 6


def _leaves(
    others: Sequence[str], links: Sequence[tuple[str, str]], units: set[str]
) -> dict[str, str]:
    """Variables that drive one variable and are driven by none: leaf -> that variable."""
    driven = {effect for cause, effect in links if cause != effect}
    drives: dict[str, set[str]] = {}
    for cause, effect in links:
        if cause != effect:
            drives.setdefault(cause, set()).add(effect)
    out = {}
    for name in others:
        targets = drives.get(name, set())
        if name not in driven and len(targets) == 1:
            (target,) = targets
            if (target in units or target in others) and target not in out:
                out[name] = target
    return {leaf: target for leaf, target in out.items() if target not in out}


def _cluster_size(name: str, stack: Sequence[str]) -> tuple[float, float]:
    """Size of a label with its leaves stacked on its right."""
    w, h = label_size(name)
    if not stack:
        return w, h
    sizes = [leaf_size(leaf) for leaf in stack]
    stack_h = sum(lh for _, lh in sizes) + 4 * (len(sizes) - 1)
    return w + LEAF_GAP + max(lw for lw, _ in sizes), max(h, stack_h)


@dataclass(frozen=True)
class SectorGraph:
    """What a sector view shows.

    Attributes
    ----------
    stocks : tuple of str
    inflows, outflows : mapping of str to tuple of str
        Per stock, the flows that fill and drain it.
    others : tuple of str
        Every other variable shown (auxiliaries, constants, shadows).
    links : tuple of (str, str)
        Causal links, cause first; any shown name (flows and stocks too).
    shadows : frozenset of str
        Those of ``others`` that are shadow copies of another sector's
        variables: one copy is placed beside each variable it drives, as
        Vensim allows, instead of one copy with long links.
    """

    stocks: tuple[str, ...]
    inflows: Mapping[str, tuple[str, ...]]
    outflows: Mapping[str, tuple[str, ...]]
    others: tuple[str, ...]
    links: tuple[tuple[str, str], ...]
    shadows: frozenset[str] = frozenset()

    @property
    def flows(self) -> dict[str, str]:
        """Flow -> its stock."""
        return {
            flow: stock
            for stock in self.stocks
            for flow in (*self.inflows.get(stock, ()), *self.outflows.get(stock, ()))
        }


@dataclass(frozen=True)
class SectorPlacement:
    """Positions of everything in a sector view (sketch units, y down).

    Attributes
    ----------
    centre : dict of str to (float, float)
        Centre of every variable's label (a stock's: its box's centre; a
        flow's: its name under the valve). A shadow drawn more than once has
        one key per copy: its name, then ``name + COPY + "2"``, ... (see
        :func:`shown`).
    size : dict of str to (float, float)
        Width and height of every label's box (a stock's: its box).
    valves, clouds : dict of str to (float, float)
        Per flow, its valve and its cloud.
    inflow : dict of str to bool
        Per flow, whether it fills its stock (else it drains it).
    routes : dict of (str, str) to list of (float, float)
        Per causal link, the points it is drawn through.
    crossings_before : int
        Crossings between adjacent rows before the barycentre sweeps
        (:attr:`gvc_upgrading.layout.LayeredLayout.crossings_before`).
    leaves : dict of str to str
        Variables drawn in a small stack beside the one variable they drive
        (constants and shadow copies that drive one variable and nothing
        drives): leaf -> the variable.
    """

    centre: dict[str, Point]
    size: dict[str, Point]
    valves: dict[str, Point]
    clouds: dict[str, Point]
    inflow: dict[str, bool]
    routes: dict[tuple[str, str], list[Point]]
    crossings_before: int
    leaves: dict[str, str] = field(default_factory=dict)

    def boxes(self) -> dict[str, tuple[float, float, float, float]]:
        """Every label's box ``(x0, y0, x1, y1)``, and each flow's valve and cloud."""
        out = {}
        for name, (x, y) in self.centre.items():
            w, h = self.size[name]
            out[name] = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        for kind, points in (("valve", self.valves), ("cloud", self.clouds)):
            for name, (x, y) in points.items():
                out[f"{kind} of {name}"] = (x - 12, y - 9, x + 12, y + 9)
        return out

    def crossings(self) -> int:
        """Pairs of drawn link segments that cross."""
        return count_crossings(list(self.routes.values()))

    def overlaps(self) -> list[tuple[str, str]]:
        """Pairs of labels, valves or clouds that overlap (none, by construction)."""
        return count_overlaps(self.boxes())

    def extent(self) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)`` around everything."""
        boxes = list(self.boxes().values())
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )


def _unit_geometry(
    stock: str,
    inflows: Sequence[str],
    outflows: Sequence[str],
    stacks: Mapping[str, Sequence[str]],
) -> tuple[float, float, dict]:
    """Size of a stock with its flows and their leaves, and where each part goes.

    Returns the width, the height, and offsets from the unit's centre: of
    the box (key: the stock), of each flow's valve (``("valve", flow)``),
    name (the flow) and cloud (``("cloud", flow)``), of each leaf (its key),
    and ``"_half"``: the box's half width and half height. Leaves of the
    stock stack under its box, leaves of a flow under the flow's name.
    """
    label_w, label_h = label_size(stock)
    half_w = max(BOX_HALF_WIDTH, label_w / 2 + 6)
    half_h = max(BOX_HALF_HEIGHT, label_h / 2 + 4)
    box_y = half_h + 2
    places: dict = {stock: (0.0, box_y), "_half": (half_w, half_h)}

    def stack(leaves: Sequence[str], x: float, top: float) -> float:
        for leaf in leaves:
            lh = leaf_size(leaf)[1]
            places[leaf] = (x + 10, top + lh / 2)
            top += lh + 4
        return top

    bottom = stack(stacks.get(stock, ()), 0.0, box_y + half_h + 14)
    for side, names in ((-1, inflows), (1, outflows)):
        y = box_y
        for flow in names:
            x = side * (half_w + VALVE_OFFSET)
            places[("valve", flow)] = (x, y)
            places[("cloud", flow)] = (x + side * CLOUD_OFFSET, y)
            fh = label_size(flow)[1]
            places[flow] = (x, y + FLOW_LABEL_DROP + fh / 2 - 6)
            end = stack(stacks.get(flow, ()), x, y + FLOW_LABEL_DROP + fh - 6 + 8)
            bottom = max(bottom, end)
            y = max(y + FLOW_STEP, end + 22)
    width = 2 * (half_w + VALVE_OFFSET + CLOUD_OFFSET + 16)
    height = bottom + 6
    return (
        width,
        height,
        {k: (v[0], v[1] - height / 2) if k != "_half" else v for k, v in places.items()},
    )


def _first_rows(widths: Sequence[tuple[str, float]], limit: float, gap: float) -> list[list[str]]:
    """Fill rows left to right with the given nodes, at most ``limit`` wide each."""
    rows: list[list[str]] = []
    used = limit + 1
    for name, width in widths:
        if rows and used + gap + width <= limit:
            rows[-1].append(name)
            used += gap + width
        else:
            rows.append([name])
            used = width
    return rows


def _cycle_cuts(nodes: Sequence[str], drives: Mapping[str, set[str]]) -> list[str]:
    """Nodes whose outgoing links to close a cycle are ignored for placement (DFS back edges)."""
    cuts: list[str] = []
    state: dict[str, int] = {}
    for root in nodes:
        if root in state:
            continue
        stack = [(root, iter(sorted(drives.get(root, ()))))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                state[node] = 2
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(sorted(drives.get(child, ())))))
            elif state[child] == 1:
                cuts.append(node)
    return cuts


def _ports(
    routes: dict[tuple[str, str], list[Point]],
    centre: Mapping[str, Point],
    size: Mapping[str, Point],
) -> None:
    """Move the ends of the links from box centres to the box edges, spread along each edge.

    The links leaving (or entering) one side of a box are spread over 80% of
    its width in the order of where they go, so arrowheads do not pile up
    and links meeting at a box do not cross there.
    """
    ends: dict[tuple[str, int], list[tuple[float, tuple[str, str], int]]] = {}
    for link, route in routes.items():
        for name, index, toward in ((link[0], 0, route[1]), (link[1], -1, route[-2])):
            x, y = centre[name]
            side = 1 if toward[1] > y + 1 else -1 if toward[1] < y - 1 else 0
            ends.setdefault((name, side), []).append((toward[0], link, index))
    for (name, side), items in ends.items():
        x, y = centre[name]
        w, h = size[name]
        items.sort()
        for k, (toward_x, link, index) in enumerate(items):
            if side == 0:  # beside the box, level with it
                point = (x + (w / 2 + 3) * (1 if toward_x > x else -1), y)
            else:
                spread = 0.8 * w
                offset = (k + 0.5) / len(items) * spread - spread / 2
                point = (x + offset, y + side * (h / 2 + 3))
            routes[link][index] = point


def place_sector(graph: SectorGraph, *, row_width: float = ROW_WIDTH) -> SectorPlacement:
    """Lay out a sector view: units in the top rows, causes below what they drive.

    Parameters
    ----------
    graph : SectorGraph
    row_width : float
        Widest row, in sketch units (a row holds at least one node).

    Returns
    -------
    SectorPlacement
    """
    gap = 26.0
    # the layout depends on what is shown, not on the order it was listed in
    graph = SectorGraph(
        stocks=graph.stocks,
        inflows=graph.inflows,
        outflows=graph.outflows,
        others=tuple(sorted(set(graph.others))),
        links=tuple(sorted(set(graph.links))),
        shadows=graph.shadows,
    )
    flows = graph.flows
    all_others, all_links = _with_copies(graph)
    unit_of = {stock: stock for stock in graph.stocks} | flows
    leaves = _leaves(all_others, all_links, set(unit_of))
    stacks: dict[str, list[str]] = {}
    for leaf, consumer in leaves.items():
        stacks.setdefault(consumer, []).append(leaf)
    nodes = [name for name in all_others if name not in leaves]
    geometry = {
        stock: _unit_geometry(
            stock, graph.inflows.get(stock, ()), graph.outflows.get(stock, ()), stacks
        )
        for stock in graph.stocks
    }
    width: dict[str, float] = {}
    height: dict[str, float] = {}
    for stock, (w, h, _) in geometry.items():
        width[stock], height[stock] = w, h
    for name in nodes:
        width[name], height[name] = _cluster_size(name, stacks.get(name, []))
    # two units side by side even in a narrow figure: a unit is mostly pipe and cloud
    unit_width = max([row_width] + [2 * width[s] + gap for s in graph.stocks])
    rows = _first_rows([(s, width[s]) for s in graph.stocks], unit_width, gap)
    row_of = {s: r for r, row in enumerate(rows) for s in row}
    first_free = len(rows)
    # others: below everything they drive (links out of units close loops: not used here)
    others = set(nodes)
    drives: dict[str, set[str]] = {}
    for cause, effect in all_links:
        if cause in others and cause != effect:
            drives.setdefault(cause, set()).add(unit_of.get(effect, effect))
    used: dict[int, float] = {}
    waiting = {name: {e for e in drives.get(name, ()) if e in others} for name in nodes}
    for name in _cycle_cuts(nodes, waiting):  # a loop among auxiliaries: cut where met
        waiting[name].clear()
    drivers: dict[str, set[str]] = {}
    for name, effects in waiting.items():
        for effect in effects:
            drivers.setdefault(effect, set()).add(name)
    ready = [name for name in nodes if not waiting[name]]
    position = {name: i for i, name in enumerate(nodes)}
    while ready:
        # the ready node that wants the highest row goes first: rows fill top down
        wants = {
            n: max([row_of[e] + 1 for e in drives.get(n, ()) if e in row_of] or [0]) for n in ready
        }
        name = min(ready, key=lambda n: (max(wants[n], first_free), position[n]))
        ready.remove(name)
        r = max(wants[name], first_free)
        while used.get(r, 0.0) > 0 and used[r] + gap + width[name] > row_width:
            r += 1
        used[r] = used.get(r, 0.0) + (gap if used.get(r) else 0.0) + width[name]
        row_of[name] = r
        while len(rows) <= r:
            rows.append([])
        rows[r].append(name)
        for driver in drivers.get(name, ()):
            waiting[driver].discard(name)
            if not waiting[driver]:
                ready.append(driver)
    links = []
    for cause, effect in all_links:
        a, b = unit_of.get(cause, cause), unit_of.get(effect, effect)
        if a in row_of and b in row_of and a != b:
            links.append((a, b))
    layered = layered_layout(rows, links, width=width, height=height, gap=gap, row_gap=34.0)

    centre: dict[str, Point] = {}
    size: dict[str, Point] = {}
    valves: dict[str, Point] = {}
    clouds: dict[str, Point] = {}
    inflow: dict[str, bool] = {}
    for name in nodes:
        cx, cy = layered.centre[name]
        x0, y0 = cx - width[name] / 2, cy - height[name] / 2
        w, h = label_size(name)
        centre[name], size[name] = (x0 + w / 2, y0 + h / 2), (w, h)
        top = y0
        for leaf in stacks.get(name, []):
            lw, lh = leaf_size(leaf)
            centre[leaf], size[leaf] = (x0 + w + LEAF_GAP + lw / 2, top + lh / 2), (lw, lh)
            top += lh + 4
    for stock, (_, _, places) in geometry.items():
        ux, uy = layered.centre[stock]
        half_w, half_h = places["_half"]
        for key, (dx, dy) in places.items():
            if key == "_half":
                continue
            point = (ux + dx, uy + dy)
            if isinstance(key, tuple):
                (valves if key[0] == "valve" else clouds)[key[1]] = point
                continue
            centre[key] = point
            size[key] = (
                (2 * half_w, 2 * half_h)
                if key == stock
                else leaf_size(key)
                if key in leaves
                else label_size(key)
            )
        for flow in (*graph.inflows.get(stock, ()), *graph.outflows.get(stock, ())):
            inflow[flow] = flow in graph.inflows.get(stock, ())
    routes: dict[tuple[str, str], list[Point]] = {}
    leaf_routes: dict[tuple[str, str], list[Point]] = {}
    for cause, effect in all_links:
        if cause == effect or cause not in centre or effect not in centre:
            continue
        if leaves.get(cause) == effect and effect in unit_of:  # a comb up to the unit's part
            (lx, ly), (lw, _) = centre[cause], size[cause]
            (ex, ey), (_, eh) = centre[effect], size[effect]
            spine = lx - lw / 2 - 6
            leaf_routes[(cause, effect)] = [
                (lx - lw / 2 - 2, ly),
                (spine, ly),
                (spine, ey + eh / 2 + 3),
            ]
            continue
        if leaves.get(cause) == effect:  # a short arrow from the stack into the label's side
            (lx, ly), (lw, _) = centre[cause], size[cause]
            (ex, ey), (ew, eh) = centre[effect], size[effect]
            end_y = min(max(ly, ey - eh / 2 + 3), ey + eh / 2 - 3)
            leaf_routes[(cause, effect)] = [(lx - lw / 2 - 2, ly), (ex + ew / 2 + 2, end_y)]
            continue
        a, b = unit_of.get(cause, cause), unit_of.get(effect, effect)
        middle = [] if a == b else layered.routes[(a, b)][1:-1]
        routes[(cause, effect)] = [centre[cause], *middle, centre[effect]]
    _ports(routes, centre, size)
    routes.update(leaf_routes)
    return SectorPlacement(
        centre=centre,
        size=size,
        valves=valves,
        clouds=clouds,
        inflow=inflow,
        routes=routes,
        crossings_before=layered.crossings_before,
        leaves=leaves,
    )
