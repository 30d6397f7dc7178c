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
from dataclasses import dataclass, field
from pathlib import Path

from pysd.translators.structures import abstract_expressions as ae

from .errors import ModelFileError
from .translation import parse_abstract_model

__all__ = [
    "Arrow",
    "Diagram",
    "SketchVariable",
    "View",
    "model_sectors",
    "read_sketch",
    "references",
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


@dataclass
class _Layout:
    next_id: int = 1
    ids: dict[str, int] = field(default_factory=dict)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def _layout_view(
    name: str,
    members: list[str],
    kinds: dict[str, str],
    stock_flows: dict[str, tuple[list[str], list[str]]],
    deps: dict[str, set[str]],
) -> list[str]:
    layout = _Layout()
    out = [f"*{name}", _VIEW_HEADER]
    stocks = [m for m in members if kinds[m] == "stock"]
    flows = {f for s in stocks for f in stock_flows[s][0] + stock_flows[s][1]}
    x0, y_stock, column = 150, 120, 420

    for index, stock in enumerate(stocks):
        x = x0 + 100 + index * column
        sid = layout.new_id()
        layout.ids[stock] = sid
        out.append(f"10,{sid},{stock},{x},{y_stock},40,20,3,3,0,0,0,0,0,0")
        inflows, outflows = stock_flows[stock]
        for side, flow_names in ((-1, inflows), (1, outflows)):
            for offset, flow in enumerate(flow_names):
                if flow not in members or flow in layout.ids:
                    continue
                vx = x + side * (110 + 40 * offset)
                vy = y_stock + 60 * offset
                cloud = layout.new_id()
                cx = x + side * 190
                out.append(f"12,{cloud},48,{cx},{vy},10,8,0,3,0,0,-1,0,0,0")
                valve = layout.new_id()
                out.append(f"11,{valve},0,{vx},{vy},6,8,34,3,0,0,1,0,0,0")
                fid = layout.new_id()
                layout.ids[flow] = fid
                out.append(f"10,{fid},{flow},{vx},{vy + 22},40,11,40,3,0,0,-1,0,0,0")
                first, second = (cloud, sid) if side < 0 else (sid, cloud)
                out.append(
                    f"1,{layout.new_id()},{valve},{second},4,0,0,22,0,0,0,-1--1--1,,1|"
                    f"({(vx + (x if side < 0 else cx)) // 2},{vy})|"
                )
                out.append(
                    f"1,{layout.new_id()},{valve},{first},100,0,0,22,0,0,0,-1--1--1,,1|"
                    f"({(vx + (cx if side < 0 else x)) // 2},{vy})|"
                )

    rest = [m for m in members if m not in layout.ids and m not in flows]
    rest.sort(key=lambda m: (kinds[m] == "constant", m.lower()))
    per_row = max(4, len(stocks) * 2)
    y_rest = y_stock + 170
    for index, variable in enumerate(rest):
        row, col = divmod(index, per_row)
        x = x0 + col * (column // 2)
        y = y_rest + row * 55
        vid = layout.new_id()
        layout.ids[variable] = vid
        out.append(f"10,{vid},{variable},{x},{y},48,14,8,3,0,0,-1,0,0,0")

    shadows: list[str] = []
    for target in members:
        for source in sorted(deps.get(target, ())):
            if source == target:
                continue
            if source not in layout.ids:
                shadows.append(source)
                sid = layout.new_id()
                layout.ids[source] = sid
                sx = x0 + (len(shadows) - 1) % per_row * (column // 2)
                sy = (
                    40
                    + y_rest
                    + (1 + (len(rest) - 1) // per_row) * 55
                    + ((len(shadows) - 1) // per_row) * 45
                )
                out.append(
                    f"10,{sid},{source},{sx},{sy},48,14,8,2,0,3,-1,0,0,0,"
                    "128-128-128,0-0-0,|12||128-128-128"
                )
            out.append(
                f"1,{layout.new_id()},{layout.ids[source]},{layout.ids[target]},"
                "0,0,0,0,0,64,0,-1--1--1,,1|(0,0)|"
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
        lines.extend(_layout_view(sector, members, kinds, stock_flows, deps))
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
