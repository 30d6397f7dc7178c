"""A layered (Sugiyama-style) layout of a directed graph, with crossing minimisation.

Used to lay out the sector views of the model (:mod:`gvc_upgrading.sector_layout`):
nodes are placed in rows, each link runs from one row to another through
"dummy" points in the rows between, and the order of the nodes in every row
is chosen by barycentre sweeps (each node moves to the mean position of its
neighbours in the row above, then below, ...) so that links cross as little as
possible (Sugiyama, Tagawa & Toda 1981, "Methods for visual understanding of
hierarchical system structures", IEEE Trans. SMC 11(2); the barycentre
heuristic is theirs). Then x positions are pulled towards the neighbours'
while keeping every node at least its width away from the next one, so
labels never overlap.

The functions here know nothing of models: a node is a string with a width
and a height, a row is a list of nodes.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "LayeredLayout",
    "Point",
    "count_crossings",
    "count_overlaps",
    "layer_crossings",
    "layered_layout",
    "segments_cross",
]

Point = tuple[float, float]


@dataclass(frozen=True)
class LayeredLayout:
    """Where :func:`layered_layout` put everything.

    Attributes
    ----------
    rows : list of list of str
        The real nodes of each row, left to right (dummies left out).
    centre : dict of str to (float, float)
        Centre of each node (y grows downwards, row by row).
    routes : dict of (str, str) to list of (float, float)
        Per link, the points it passes through: its source's centre, the
        dummy points in the rows between, its target's centre.
    crossings : int
        Crossings of the links between adjacent rows, counted on the final order.
    crossings_before : int
        The same count for the first order, before the barycentre sweeps.
    """

    rows: list[list[str]]
    centre: dict[str, Point]
    routes: dict[tuple[str, str], list[Point]]
    crossings: int
    crossings_before: int


def layer_crossings(
    upper: Sequence[str], lower: Sequence[str], pairs: Sequence[tuple[str, str]]
) -> int:
    """Count crossings between two adjacent rows: pairs of links whose ends are in opposite orders.

    Examples
    --------
    >>> layer_crossings(["a", "b"], ["c", "d"], [("a", "d"), ("b", "c")])
    1
    >>> layer_crossings(["a", "b"], ["c", "d"], [("a", "c"), ("b", "d")])
    0
    """
    up = {node: i for i, node in enumerate(upper)}
    low = {node: i for i, node in enumerate(lower)}
    ends = sorted((up[a], low[b]) for a, b in pairs)
    count = 0
    for i, (a1, b1) in enumerate(ends):
        for a2, b2 in ends[i + 1 :]:
            if a1 < a2 and b1 > b2:
                count += 1
    return count


def _bands(
    rows: list[list[str]], pairs: list[tuple[str, str]], row_of: dict[str, int]
) -> list[list[tuple[str, str]]]:
    """Links between row r and r + 1, per r, each as (node in r, node in r + 1)."""
    bands: list[list[tuple[str, str]]] = [[] for _ in range(max(len(rows) - 1, 0))]
    for a, b in pairs:
        if row_of[a] > row_of[b]:
            a, b = b, a
        bands[row_of[a]].append((a, b))
    return bands


def _total(rows: list[list[str]], bands: list[list[tuple[str, str]]]) -> int:
    return sum(layer_crossings(rows[r], rows[r + 1], band) for r, band in enumerate(bands))


def _sweep(
    rows: list[list[str]],
    neighbours: dict[str, list[str]],
    downward: bool,
) -> list[list[str]]:
    """One barycentre sweep: order each row by the mean index of its neighbours in the last."""
    rows = [list(row) for row in rows]
    order = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
    for r in order:
        fixed = rows[r - 1] if downward else rows[r + 1]
        index = {node: i for i, node in enumerate(fixed)}
        keys = {}
        for i, node in enumerate(rows[r]):
            around = [index[n] for n in neighbours[node] if n in index]
            # a node without neighbours there keeps its place (scaled to the other row)
            scale = (len(fixed) - 1) / max(len(rows[r]) - 1, 1)
            keys[node] = (sum(around) / len(around) if around else i * scale, i)
        rows[r].sort(key=lambda node: keys[node])
    return rows


def _is_dummy(node: str) -> bool:
    return node.startswith("\0")


def _gaps(row: list[str], gap: float) -> list[float]:
    """Space before each node of a row: ``gap`` between two boxes, less beside a passing link."""
    return [0.0] + [
        gap if not (_is_dummy(a) or _is_dummy(b)) else gap / 8 for a, b in itertools.pairwise(row)
    ]


def _pair_crossings(
    left: str,
    right: str,
    neighbours: dict[str, list[str]],
    index: dict[str, int],
    rows_of: dict[str, int],
) -> int:
    """Crossings between the links of ``left`` and ``right`` (same row, left before right)."""
    count = 0
    row = rows_of[left]
    for side in (row - 1, row + 1):
        a = [index[n] for n in neighbours[left] if rows_of[n] == side]
        b = [index[n] for n in neighbours[right] if rows_of[n] == side]
        count += sum(1 for i in a for j in b if i > j)
    return count


def _transpose(
    rows: list[list[str]], neighbours: dict[str, list[str]], rows_of: dict[str, int]
) -> list[list[str]]:
    """Swap neighbours in a row while that removes crossings (Gansner et al. 1993)."""
    rows = [list(row) for row in rows]
    for _ in range(8):
        index = {node: i for row in rows for i, node in enumerate(row)}
        improved = False
        for row in rows:
            for i in range(len(row) - 1):
                u, v = row[i], row[i + 1]
                if _pair_crossings(v, u, neighbours, index, rows_of) < _pair_crossings(
                    u, v, neighbours, index, rows_of
                ):
                    row[i], row[i + 1] = v, u
                    index[u], index[v] = i + 1, i
                    improved = True
        if not improved:
            break
    return rows


def _positions(
    rows: list[list[str]],
    width: Mapping[str, float],
    neighbours: dict[str, list[str]],
    gap: float,
    rounds: int = 4,
) -> dict[str, float]:
    """x of every node: in row order, boxes ``gap`` apart or more, pulled to neighbours."""
    x: dict[str, float] = {}
    for row in rows:
        cursor = 0.0
        for node, space in zip(row, _gaps(row, gap), strict=True):
            cursor += space
            x[node] = cursor + width[node] / 2
            cursor += width[node]
    widest = max((x[row[-1]] + width[row[-1]] / 2 for row in rows if row), default=0.0)
    for row in rows:  # centre every row under the widest one
        if row:
            shift = (widest - (x[row[-1]] + width[row[-1]] / 2)) / 2
            for node in row:
                x[node] += shift
    for step in range(rounds):
        order = range(len(rows)) if step % 2 == 0 else range(len(rows) - 1, -1, -1)
        for r in order:
            row = rows[r]
            if not row:
                continue
            wanted = []
            for node in row:
                around = [x[n] for n in neighbours[node]]
                wanted.append(sum(around) / len(around) if around else x[node])
            placed = _pack(wanted, [width[n] for n in row], _gaps(row, gap))
            for node, value in zip(row, placed, strict=True):
                x[node] = value
    # the pulls spread rows apart: squeeze back towards the widest packed row
    packed = max(
        (sum(width[n] for n in row) + sum(_gaps(row, gap)) for row in rows if row), default=0.0
    )
    low = min((x[n] - width[n] / 2 for row in rows for n in row), default=0.0)
    high = max((x[n] + width[n] / 2 for row in rows for n in row), default=0.0)
    if high - low > packed > 0:
        factor = packed / (high - low)
        for row in rows:
            if row:
                wanted = [(x[n] - low) * factor for n in row]
                for node, value in zip(
                    row, _pack(wanted, [width[n] for n in row], _gaps(row, gap)), strict=True
                ):
                    x[node] = value
    low = min(x[node] - width[node] / 2 for row in rows for node in row) if x else 0.0
    return {node: value - low for node, value in x.items()}


def _pack(wanted: list[float], widths: list[float], gap: float | list[float]) -> list[float]:
    """Positions as close as possible to ``wanted`` (least squares), in order, never overlapping.

    With ``offsets`` the tightest packing, position ``i`` is ``q[i] + offsets[i]``
    for a non-decreasing ``q``: an isotonic regression, solved by pooling
    adjacent violators.

    Examples
    --------
    >>> _pack([0.0, 0.0], [10.0, 10.0], 0.0)
    [-5.0, 5.0]
    """
    gaps = gap if isinstance(gap, list) else [gap] * len(widths)
    offsets = [0.0]
    for i in range(1, len(widths)):
        offsets.append(offsets[-1] + (widths[i - 1] + widths[i]) / 2 + gaps[i])
    blocks: list[list[float]] = []  # [sum, count]
    for want, offset in zip(wanted, offsets, strict=True):
        blocks.append([want - offset, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    q: list[float] = []
    for total, count in blocks:
        q.extend([total / count] * int(count))
    return [value + offset for value, offset in zip(q, offsets, strict=True)]


def layered_layout(
    rows: Sequence[Sequence[str]],
    links: Sequence[tuple[str, str]],
    *,
    width: Mapping[str, float],
    height: Mapping[str, float],
    gap: float = 30.0,
    row_gap: float = 40.0,
    dummy_width: float = 6.0,
    sweeps: int = 24,
) -> LayeredLayout:
    """Order the nodes of each row to reduce crossings, then place them.

    Parameters
    ----------
    rows : sequence of sequence of str
        The nodes of each row, top to bottom, in a first order. Every node of
        a link must be in a row.
    links : sequence of (str, str)
        Links between nodes; links within one row and self-links are kept in
        ``routes`` (straight) but do not take part in the ordering.
    width, height : mapping of str to float
        Size of each node (its label's box).
    gap, row_gap : float
        Least horizontal space between two boxes, and vertical space between
        rows (a passing link keeps an eighth of ``gap`` from its neighbours).
    dummy_width : float
        Width kept free for a link passing through a row.
    sweeps : int
        Barycentre sweeps (down, up, down, ...); the order with fewest crossings is kept.

    Returns
    -------
    LayeredLayout
    """
    lists: list[list[str]] = [list(row) for row in rows]
    row_of = {node: r for r, row in enumerate(lists) for node in row}
    missing = {n for link in links for n in link if n not in row_of}
    if missing:
        raise ValueError(f"links name nodes in no row: {sorted(missing)}")
    chains: dict[tuple[str, str], list[str]] = {}
    pairs: list[tuple[str, str]] = []
    sizes = dict(width)
    for a, b in dict.fromkeys(links):
        ra, rb = row_of[a], row_of[b]
        if a == b or ra == rb:
            chains[(a, b)] = [a, b]
            continue
        step = 1 if rb > ra else -1
        chain = [a]
        for r in range(ra + step, rb, step):
            dummy = f"\0{a}\0{b}\0{r}"
            lists[r].append(dummy)
            row_of[dummy] = r
            sizes[dummy] = dummy_width
            chain.append(dummy)
        chain.append(b)
        chains[(a, b)] = chain
        pairs.extend(itertools.pairwise(chain))
    neighbours: dict[str, list[str]] = {node: [] for row in lists for node in row}
    for a, b in pairs:
        neighbours[a].append(b)
        neighbours[b].append(a)
    bands = _bands(lists, pairs, row_of)
    before = _total(lists, bands)
    best, best_count = lists, before
    current = lists
    for sweep in range(sweeps):
        current = _transpose(
            _sweep(current, neighbours, downward=sweep % 2 == 0), neighbours, row_of
        )
        count = _total(current, bands)
        if count < best_count:
            best, best_count = current, count
    x = _positions(best, sizes, neighbours, gap)
    y: dict[str, float] = {}
    top = 0.0
    for row in best:
        tallest = max((height.get(n, 0.0) for n in row), default=0.0)
        for node in row:
            y[node] = top + tallest / 2
        top += tallest + row_gap
    centre = {node: (x[node], y[node]) for node in x}
    routes = {link: [centre[n] for n in chain] for link, chain in chains.items()}
    real = [[n for n in row if not n.startswith("\0")] for row in best]
    return LayeredLayout(
        rows=real,
        centre={n: p for n, p in centre.items() if not n.startswith("\0")},
        routes=routes,
        crossings=best_count,
        crossings_before=before,
    )


def segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Whether two segments cross at a point inside both (touching at an end does not count).

    Examples
    --------
    >>> segments_cross((0, 0), (2, 2), (0, 2), (2, 0))
    True
    >>> segments_cross((0, 0), (1, 1), (1, 1), (2, 0))
    False
    """

    def side(a: Point, b: Point, c: Point) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2 = side(q1, q2, p1), side(q1, q2, p2)
    d3, d4 = side(p1, p2, q1), side(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def count_crossings(routes: Sequence[Sequence[Point]]) -> int:
    """Count the pairs of drawn segments (of different polylines) that cross."""
    segments = [
        (index, (a, b)) for index, route in enumerate(routes) for a, b in itertools.pairwise(route)
    ]
    count = 0
    for i, (route_a, (a1, a2)) in enumerate(segments):
        for route_b, (b1, b2) in segments[i + 1 :]:
            if route_a != route_b and segments_cross(a1, a2, b1, b2):
                count += 1
    return count


def count_overlaps(
    boxes: Mapping[str, tuple[float, float, float, float]],
) -> list[tuple[str, str]]:
    """Return the pairs of boxes ``(x0, y0, x1, y1)`` whose interiors overlap."""
    items = sorted(boxes.items(), key=lambda item: item[1][0])
    found = []
    for i, (name_a, (_ax0, ay0, ax1, ay1)) in enumerate(items):
        for name_b, (bx0, by0, _bx1, by1) in items[i + 1 :]:
            if bx0 >= ax1:
                break
            if ay0 < by1 and by0 < ay1:
                found.append((name_a, name_b))
    return found
