"""Read and lay out the sketch (diagram) section of a Vensim ``.mdl`` file.

The equations of ``models/gvc_upgrading.mdl`` are written by hand; its sketch —
one view per model sector, holding that sector's stocks, flows (with valves and
pipes), auxiliaries and constants, with causal arrows between them and shadow
copies of variables from other sectors — is laid out by :func:`write_sketch`
so that the file opens as a diagram in Vensim and stays in step with the
equations. :func:`read_sketch` reads any Vensim sketch back (views, variables,
positions, arrows), which is what the report draws from.

Run ``python -m gvc_upgrading.sketch models/gvc_upgrading.mdl`` after editing
equations to refresh the sketch.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pysd.translators.structures import abstract_expressions as ae

from .errors import ModelFileError
from .sector_layout import SectorGraph, place_sector, shown
from .translation import parse_abstract_model

__all__ = [
    "Arrow",
    "Diagram",
    "SketchVariable",
    "View",
    "model_sectors",
    "read_sketch",
    "references",
    "sector_graph",
    "write_sketch",
]

SKETCH_START = "\\\\\\---/// Sketch information - do not modify anything except names"
SKETCH_END = "///---\\\\\\"
_VIEW_HEADER = (
    "$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|-1--1--1|96,96,100,0"
)
_GROUP_RE = re.compile(r"^\*{8,}\s*\n\s*\.([^\n]+?)\s*\n\*{8,}", re.MULTILINE)
_CONTROL = {"INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER"}


# ----------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class SketchVariable:
    """A variable drawn in a view.

    Attributes
    ----------
    id : int
        Number of the object within its view.
    name : str
        Vensim name.
    x, y : int
        Centre position.
    width, height : int
        Half-sizes of the drawn shape.
    shape : int
        Vensim shape code (3 = box, i.e. a stock).
    shadow : bool
        True for a shadow (ghost) copy of a variable that lives in another view.
    """

    id: int
    name: str
    x: int
    y: int
    width: int
    height: int
    shape: int
    shadow: bool

    @property
    def is_stock_box(self) -> bool:
        """Whether Vensim draws it as a box (a stock)."""
        return self.shape == 3


@dataclass(frozen=True)
class Arrow:
    """An arrow between two objects of a view; ``pipe`` marks a flow pipe."""

    id: int
    source: int
    target: int
    pipe: bool


@dataclass(frozen=True)
class View:
    """One view of the sketch: variables, valves (id -> position) and arrows."""

    name: str
    variables: tuple[SketchVariable, ...]
    valves: dict[int, tuple[int, int]]
    clouds: dict[int, tuple[int, int]]
    arrows: tuple[Arrow, ...]

    def position(self, object_id: int) -> tuple[int, int] | None:
        """Return the position of any object (variable, valve, cloud) of the view."""
        for variable in self.variables:
            if variable.id == object_id:
                return variable.x, variable.y
        return self.valves.get(object_id) or self.clouds.get(object_id)


@dataclass(frozen=True)
class Diagram:
    """The views of a Vensim sketch, in file order."""

    views: tuple[View, ...]

    def view(self, name: str) -> View:
        """Return the view called ``name``."""
        for view in self.views:
            if view.name == name:
                return view
        raise KeyError(f"no view {name!r}; views are {[v.name for v in self.views]}")


def _sketch_text(text: str) -> str:
    start = text.find(SKETCH_START)
    if start < 0:
        return ""
    body = text[start + len(SKETCH_START) :]
    end = body.find(SKETCH_END)
    return body if end < 0 else body[:end]


def read_sketch(path: str | os.PathLike[str]) -> Diagram:
    """Read the sketch of a Vensim model.

    Parameters
    ----------
    path : path-like
        A ``.mdl`` file.

    Returns
    -------
    Diagram
        Its views; empty when the file has no sketch.

    Raises
    ------
    ModelFileError
        If the file is missing or a sketch line is malformed.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    views: list[View] = []
    current: dict | None = None

    def close() -> None:
        if current is not None:
            views.append(
                View(
                    name=current["name"],
                    variables=tuple(current["variables"]),
                    valves=current["valves"],
                    clouds=current["clouds"],
                    arrows=tuple(current["arrows"]),
                )
            )

    for number, line in enumerate(_sketch_text(path.read_text("utf-8")).splitlines(), 1):
        line = line.strip()
        if line.startswith("*"):
            close()
            current = {"name": line[1:], "variables": [], "valves": {}, "clouds": {}, "arrows": []}
            continue
        if current is None or not line or line[0] not in "1":
            continue
        fields = line.split(",")
        try:
            code = int(fields[0])
            if code == 10:
                current["variables"].append(
                    SketchVariable(
                        id=int(fields[1]),
                        name=fields[2],
                        x=int(fields[3]),
                        y=int(fields[4]),
                        width=int(fields[5]),
                        height=int(fields[6]),
                        shape=int(fields[7]),
                        shadow=int(fields[8]) % 2 == 0,
                    )
                )
            elif code == 11:
                current["valves"][int(fields[1])] = (int(fields[3]), int(fields[4]))
            elif code == 12:
                current["clouds"][int(fields[1])] = (int(fields[3]), int(fields[4]))
            elif code == 1:
                current["arrows"].append(
                    Arrow(
                        id=int(fields[1]),
                        source=int(fields[2]),
                        target=int(fields[3]),
                        pipe=int(fields[7]) == 22,
                    )
                )
        except (ValueError, IndexError) as exc:
            raise ModelFileError(f"{path}: malformed sketch line {number}: {line!r}") from exc
    close()
    return Diagram(views=tuple(views))


# ----------------------------------------------------------------------------- structure
def references(node: object) -> Iterator[str]:
    """Yield the (pysd-cleaned, lower-case) names that an equation AST refers to."""
    if isinstance(node, ae.ReferenceStructure):
        yield node.reference
        return
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for item in dataclasses.fields(node):
            yield from references(getattr(node, item.name))
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from references(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from references(item)


def model_sectors(path: str | os.PathLike[str]) -> dict[str, str]:
    """Return ``{variable: sector}`` from the Vensim groups (``.Name`` headers) of a file.

    Variables before the first group header, and the control group, are left out.
    """
    text = Path(path).read_text("utf-8").split(SKETCH_START)[0]
    sectors: dict[str, str] = {}
    marks = [(m.start(), m.end(), m.group(1)) for m in _GROUP_RE.finditer(text)]
    for index, (_, end, name) in enumerate(marks):
        stop = marks[index + 1][0] if index + 1 < len(marks) else len(text)
        chunk = text[end:stop].split("|", 1)[1] if "|" in text[end:stop] else ""
        for block in chunk.split("|"):
            head = block.strip().split("~")[0]
            match = re.match(r"\s*([^=(\[:]+?)\s*(=|:=|\(|\[|$)", head)
            if match and match.group(1).strip() and name.lower() != "control":
                sectors[match.group(1).strip()] = name
    return sectors


def sector_graph(
    members: list[str],
    kinds: dict[str, str],
    stock_flows: dict[str, tuple[list[str], list[str]]],
    deps: dict[str, set[str]],
) -> SectorGraph:
    """What the view of one sector shows: its variables, shadows of their other causes, links.

    A flow's link into its own stock is left out (the pipe shows it).
    """
    stocks = tuple(m for m in members if kinds[m] == "stock")
    inflows = {s: tuple(f for f in stock_flows[s][0] if f in members) for s in stocks}
    outflows = {s: tuple(f for f in stock_flows[s][1] if f in members) for s in stocks}
    stock_of = {f: s for group in (inflows, outflows) for s, fs in group.items() for f in fs}
    links: list[tuple[str, str]] = []
    shadows: list[str] = []
    for target in members:
        for source in sorted(deps.get(target, ())):
            if source == target or stock_of.get(source) == target:
                continue
            if source not in members and source not in shadows:
                shadows.append(source)
            links.append((source, target))
    others = tuple(m for m in members if m not in stocks and m not in stock_of) + tuple(shadows)
    return SectorGraph(stocks, inflows, outflows, others, tuple(links), frozenset(shadows))


def _layout_view(name: str, graph: SectorGraph) -> list[str]:
    """The sketch lines of one view, laid out by :func:`.sector_layout.place_sector`."""
    place = place_sector(graph)
    x0, y0, _, _ = place.extent()
    shift_x, shift_y = 60 - x0, 40 - y0

    def at(point: tuple[float, float]) -> str:
        return f"{round(point[0] + shift_x)},{round(point[1] + shift_y)}"

    out = [f"*{name}", _VIEW_HEADER]
    ids: dict[str, int] = {}
    counter = iter(range(1, 1_000_000))
    for stock in graph.stocks:
        sid = ids[stock] = next(counter)
        half_w, half_h = (round(v / 2) for v in place.size[stock])
        out.append(f"10,{sid},{stock},{at(place.centre[stock])},{half_w},{half_h},3,3,0,0,0,0,0,0")
        for flow in (*graph.inflows[stock], *graph.outflows[stock]):
            cloud = next(counter)
            out.append(f"12,{cloud},48,{at(place.clouds[flow])},10,8,0,3,0,0,-1,0,0,0")
            valve = next(counter)
            out.append(f"11,{valve},0,{at(place.valves[flow])},6,8,34,3,0,0,1,0,0,0")
            fid = ids[flow] = next(counter)  # the valve's flow: the next object
            out.append(f"10,{fid},{flow},{at(place.centre[flow])},40,11,40,3,0,0,-1,0,0,0")
            first, second = (cloud, sid) if place.inflow[flow] else (sid, cloud)
            (vx, vy), (sx, _) = place.valves[flow], place.centre[stock]
            cx = place.clouds[flow][0]
            out.append(
                f"1,{next(counter)},{valve},{second},4,0,0,22,0,0,0,-1--1--1,,1|"
                f"({at((((sx if place.inflow[flow] else cx) + vx) / 2, vy))})|"
            )
            out.append(
                f"1,{next(counter)},{valve},{first},100,0,0,22,0,0,0,-1--1--1,,1|"
                f"({at((((cx if place.inflow[flow] else sx) + vx) / 2, vy))})|"
            )
    for key in place.centre:
        if key in ids:
            continue
        vid = ids[key] = next(counter)
        variable = shown(key)
        if variable in graph.shadows or key != variable:  # another sector's, or a second copy
            out.append(
                f"10,{vid},{variable},{at(place.centre[key])},48,14,8,2,0,3,-1,0,0,0,"
                "128-128-128,0-0-0,|12||128-128-128"
            )
        else:
            out.append(f"10,{vid},{variable},{at(place.centre[key])},48,14,8,3,0,0,-1,0,0,0")
    for (cause, effect), route in place.routes.items():
        bend = at(route[len(route) // 2]) if len(route) > 2 else "0,0"
        out.append(
            f"1,{next(counter)},{ids[cause]},{ids[effect]},0,0,0,0,0,64,0,-1--1--1,,1|({bend})|"
        )
    return out


def _structure(path: Path):
    abstract = parse_abstract_model(path)
    elements = [e for s in abstract.sections for e in s.elements if e.components]
    clean = {e.name.lower().replace(" ", "_"): e.name for e in elements}
    kinds: dict[str, str] = {}
    deps: dict[str, set[str]] = {}
    stock_flows: dict[str, tuple[list[str], list[str]]] = {}
    for element in elements:
        ast = element.components[0].ast
        if isinstance(ast, (int, float)):
            kinds[element.name] = "constant"
        elif isinstance(ast, ae.IntegStructure):
            kinds[element.name] = "stock"
            inflows, outflows = _split_flows(ast.flow, clean)
            stock_flows[element.name] = (inflows, outflows)
        else:
            kinds[element.name] = "auxiliary"
        deps[element.name] = {
            clean[r] for r in references(ast) if r in clean and clean[r] not in _CONTROL
        }
    return kinds, deps, stock_flows


def _split_flows(flow: object, clean: dict[str, str]) -> tuple[list[str], list[str]]:
    """Split an INTEG's net flow ``a + b - c`` into inflows ``[a, b]`` and outflows ``[c]``."""
    if isinstance(flow, ae.ReferenceStructure):
        return [clean.get(flow.reference, flow.reference)], []
    if isinstance(flow, ae.ArithmeticStructure) and set(flow.operators) <= {"+", "-"}:
        inflows: list[str] = []
        outflows: list[str] = []
        signs = ["+", *flow.operators]
        for sign, argument in zip(signs, flow.arguments, strict=True):
            if isinstance(argument, ae.ReferenceStructure):
                name = clean.get(argument.reference, argument.reference)
                (inflows if sign == "+" else outflows).append(name)
        return inflows, outflows
    return [], []


def write_sketch(path: str | os.PathLike[str]) -> None:
    """Replace the sketch section of a model file with a fresh layout, one view per group.

    The equations are left byte for byte as they are; the settings block after
    the sketch is kept. The file is replaced atomically.
    """
    path = Path(path)
    text = path.read_text("utf-8")
    equations, _, tail = text.partition(SKETCH_START)
    settings = tail.split(SKETCH_END, 1)[1] if SKETCH_END in tail else "\n:L<%^E!@\n"
    kinds, deps, stock_flows = _structure(path)
    sectors = model_sectors(path)
    lines = [SKETCH_START, "V300  Do not put anything below this section - it will be ignored"]
    for sector in dict.fromkeys(sectors.values()):
        members = [name for name, s in sectors.items() if s == sector and name in kinds]
        lines.extend(_layout_view(sector, sector_graph(members, kinds, stock_flows, deps)))
    new_text = equations + "\n".join(lines) + "\n" + SKETCH_END + settings
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(new_text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


if __name__ == "__main__":  # pragma: no cover - developer tool
    for argument in sys.argv[1:]:
        write_sketch(argument)
        print(f"sketch of {argument} rewritten")
