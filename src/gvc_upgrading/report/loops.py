"""The causal-loop diagram: the model's main feedback loops, read and checked, then drawn.

The loops are the ones ``models/README.md`` names under "Feedback loops"
(``**R1 Reinvestment.** A → B → ... → A``), each reinforcing (R) or balancing
(B). Every named step is matched to a variable of the model file and every
link (including the one that closes the loop) is checked against the model's
equations: a link holds when the later variable depends on the earlier one,
directly or through at most :data:`MAX_HOPS` - 1 intermediate variables. Links
the equations do not support are drawn dashed and listed, so the diagram
cannot silently go stale when the model changes. Each loop is drawn as its
own circle (no crossings), with its name and polarity in the middle; the
layout is computed, not stored.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import textwrap
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from ..sketch import references
from ..translation import parse_abstract_model

__all__ = ["MAX_HOPS", "Loop", "draw_loops", "loop_graph", "read_loops"]

#: Longest chain of equations a named link may stand for.
MAX_HOPS = 4

_LOOP_RE = re.compile(
    r"^\s*-\s+\*\*([RB]\d+)\s+([^*]+?)\.?\*\*\s*(.+?)(?=^\s*-\s|\Z|^#)", re.M | re.S
)
_CONTROL = {"INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER"}


@dataclass(frozen=True)
class Loop:
    """A named feedback loop.

    Attributes
    ----------
    key : str
        ``R1``, ``B2`` ...
    name : str
        ``Reinvestment``.
    polarity : str
        ``"R"`` (reinforcing) or ``"B"`` (balancing).
    steps : list of str
        The model variables in loop order (the first is not repeated at the end).
    verified : list of bool
        Per link ``steps[i] -> steps[i+1]`` (the last closes the loop): whether
        the model's equations support it.
    unmatched : list of str
        Steps of the README text that match no model variable (left out).
    """

    key: str
    name: str
    polarity: str
    steps: list[str]
    verified: list[bool] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


def loop_graph(model_file: str | os.PathLike[str], abstract: Any = None) -> dict[str, set[str]]:
    """Return ``{variable: the variables it depends on}`` from the model's equations.

    ``abstract`` is the file's parsed pysd ``AbstractModel`` when the caller has
    it (a loaded model's ``abstract_model``); otherwise the file is parsed.
    """
    if abstract is None:
        abstract = parse_abstract_model(Path(model_file))
    elements = [e for s in abstract.sections for e in s.elements if e.components]
    clean = {e.name.lower().replace(" ", "_"): e.name for e in elements}
    graph: dict[str, set[str]] = {}
    for element in elements:
        ast = element.components[0].ast
        graph[element.name] = {
            clean[r] for r in references(ast) if r in clean and clean[r] not in _CONTROL
        }
    return graph


def _chain(text: str) -> list[str]:
    """The steps of a loop's first sentence: ``A → (lower) B → C, and ...``."""
    flat = " ".join(text.split())
    while re.search(r"\([^()]*\)", flat):  # asides, nested ones too, before any splitting
        flat = re.sub(r"\([^()]*\)", " ", flat)
    sentence = re.split(r"\.\s", flat + " ", maxsplit=1)[0]
    sentence = re.split(r";|, and ", sentence, maxsplit=1)[0]  # the first branch only
    steps = []
    for raw in sentence.split("→"):
        item = re.sub(r"\([^)]*\)", " ", raw)
        item = re.split(r",|;|×|\band\b|\bor\b", item)[0]
        item = " ".join(item.split()).strip(" .")
        if item:
            steps.append(item)
    return steps


def _match(step: str, names: list[str]) -> str | None:
    """The model variable a README step names.

    Exact (case aside), or without a leading "lower"/"higher", or the only
    variable whose name ends in the step's words (two words at least), or a
    very close spelling.
    """
    lower = {name.lower(): name for name in names}
    item = step.lower()
    for candidate in (
        item,
        re.sub(r"^(lower|higher|less|more|fewer|rising|falling)\s+", "", item),
    ):
        if candidate in lower:
            return lower[candidate]
        ending = [name for key, name in lower.items() if key.endswith(" " + candidate)]
        if len(ending) == 1 and " " in candidate:  # one word is too little to go on
            return ending[0]
    close = difflib.get_close_matches(item, list(lower), n=1, cutoff=0.9)
    return lower[close[0]] if close else None


def _reaches(graph: dict[str, set[str]], source: str, target: str, hops: int) -> bool:
    """Whether ``target`` depends on ``source`` through at most ``hops`` equations."""
    users: dict[str, set[str]] = {}
    for variable, inputs in graph.items():
        for name in inputs:
            users.setdefault(name, set()).add(variable)
    frontier = deque([(source, 0)])
    seen = {source}
    while frontier:
        node, depth = frontier.popleft()
        if depth == hops:
            continue
        for user in users.get(node, ()):
            if user == target:
                return True
            if user not in seen:
                seen.add(user)
                frontier.append((user, depth + 1))
    return False


def read_loops(
    readme: str | os.PathLike[str], model_file: str | os.PathLike[str], *, abstract: Any = None
) -> list[Loop]:
    """Read the named loops of ``readme`` and check each link against ``model_file``.

    ``abstract``: the model file already parsed (see :func:`loop_graph`).

    Returns
    -------
    list of Loop
        In the README's order; loops with fewer than two matched steps are left out.
    """
    text = Path(readme).read_text("utf-8")
    section = text.split("## Feedback loops", 1)[-1].split("\n## ", 1)[0]
    graph = loop_graph(model_file, abstract)
    names = list(graph)
    loops = []
    for match in _LOOP_RE.finditer(section):
        key, name, body = match.group(1), match.group(2).strip(), match.group(3)
        steps: list[str] = []
        unmatched: list[str] = []
        skipped = [0]
        for step in _chain(body):
            variable = _match(step, names)
            if variable is not None and not graph.get(variable):
                variable = None  # a constant (depends on nothing) cannot be part of a loop
            if variable is None:
                unmatched.append(step)
                skipped[-1] += 1
            elif not steps or steps[-1] != variable:
                steps.append(variable)
                skipped.append(0)
        # skipped[i]: unmatched steps before steps[i] (skipped[len]: after the last)
        if len(steps) > 1 and steps[0] == steps[-1]:
            steps.pop()
            skipped[-2] += skipped.pop()
        if len(steps) < 2:
            continue
        closing = skipped[0] + skipped[len(steps)]
        gaps = [skipped[i + 1] for i in range(len(steps) - 1)] + [closing]
        # A README step the model does not name stands for up to MAX_HOPS more equations.
        verified = [
            _reaches(graph, steps[i], steps[(i + 1) % len(steps)], MAX_HOPS * (1 + gaps[i]))
            for i in range(len(steps))
        ]
        loops.append(Loop(key, name, key[0], steps, verified, unmatched))
    return loops


def _panel(ax, loop: Loop) -> None:
    count = len(loop.steps)
    # an ellipse wider than tall: labels are wider than tall
    rx, ry = (1.35, 1.05) if count > 5 else (1.15, 0.95)
    angles = [math.pi / 2 - 2 * math.pi * i / count for i in range(count)]
    points = [(rx * math.cos(a), ry * math.sin(a)) for a in angles]
    ax.set_xlim(-2.0, 2.0)
    ax.set_ylim(-1.45, 1.45)
    ax.set_aspect("equal")
    ax.axis("off")
    for i, (x, y) in enumerate(points):
        label = textwrap.fill(loop.steps[i], 14)
        ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=7,
            bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "#a0aec0", "lw": 0.6},
            zorder=3,
        )
    for i in range(count):
        start, end = points[i], points[(i + 1) % count]
        ok = loop.verified[i] if i < len(loop.verified) else False
        ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                connectionstyle="arc3,rad=-0.25",
                arrowstyle="-|>",
                mutation_scale=9,
                shrinkA=17,
                shrinkB=17,
                lw=1.0,
                color="#2a4365" if ok else "#c53030",
                linestyle="-" if ok else "--",
                zorder=2,
            )
        )
    colour = "#2f855a" if loop.polarity == "R" else "#b7791f"
    ax.text(0, 0.08, loop.key, ha="center", va="center", fontsize=16, color=colour,
            fontweight="bold")  # fmt: skip
    ax.text(0, -0.22, "reinforcing" if loop.polarity == "R" else "balancing",
            ha="center", va="center", fontsize=7, color=colour)  # fmt: skip
    ax.set_title(f"{loop.key} {loop.name}", fontsize=9)


def draw_loops(loops: list[Loop], *, columns: int = 3) -> Figure:
    """Draw every loop in its own panel: steps on a circle, polarity in the middle.

    Solid arrows are links the model's equations support; dashed red ones
    are not found in them.
    """
    columns = max(1, min(columns, len(loops) or 1))
    rows = max(1, math.ceil(len(loops) / columns))
    figure = Figure(figsize=(3.6 * columns, 2.9 * rows + 0.5))
    axes = figure.subplots(rows, columns, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, loop in zip(axes.flat, loops, strict=False):
        _panel(ax, loop)
    figure.suptitle(
        "Main feedback loops (R reinforcing, B balancing); arrows read 'drives'",
        fontsize=10,
    )
    figure.subplots_adjust(left=0.01, right=0.99, top=0.92, bottom=0.01, wspace=0.05, hspace=0.12)
    return figure
