"""The variable table of ``models/README.md``, generated from the ``.mdl`` file.

The table (name, kind, unit, range, group, description) sits between the
markers ``<!-- variables:start -->`` and ``<!-- variables:end -->``; the text
around it is written by hand. Regenerate it after editing the model::

    python -m gvc_upgrading.docs            # rewrite models/README.md
    python -m gvc_upgrading.docs --check    # exit 1 if the table is stale
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from . import resources
from .errors import GvcError
from .io import atomic_path
from .parameters import CONTROL_VARIABLES, variable_table
from .translation import parse_abstract_model

__all__ = [
    "END_MARKER",
    "START_MARKER",
    "main",
    "render_variable_table",
    "replace_table",
    "update_readme",
]

START_MARKER = "<!-- variables:start -->"
END_MARKER = "<!-- variables:end -->"

_KIND_ORDER = {"stock": 0, "auxiliary": 1, "lookup": 2, "data": 3, "constant": 4}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _bound(value: float) -> str:
    return "" if math.isnan(value) else f"{value:g}"


def _range(lower: float, upper: float) -> str:
    if math.isnan(lower) and math.isnan(upper):
        return ""
    return f"[{_bound(lower) or '-inf'}, {_bound(upper) or 'inf'}]"


def render_variable_table(variables: pd.DataFrame) -> str:
    """Return the Markdown table of a model's variables.

    Parameters
    ----------
    variables : pandas.DataFrame
        A variable table (:func:`gvc_upgrading.parameters.variable_table`).

    Returns
    -------
    str
        One row per variable (control variables left out), stocks first, then
        auxiliaries, lookups, data and constants, each kind in model order.
    """
    table = variables.drop(index=[n for n in variables.index if n in CONTROL_VARIABLES])
    order = sorted(range(len(table)), key=lambda i: (_KIND_ORDER.get(table["kind"].iloc[i], 9), i))
    lines = [
        "| name | kind | unit | range | group | description |",
        "|---|---|---|---|---|---|",
    ]
    for i in order:
        row = table.iloc[i]
        cells = (
            table.index[i],
            row["kind"],
            row["unit"],
            _range(row["lower"], row["upper"]),
            row["group"],
            row["description"],
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def replace_table(readme_text: str, table: str, *, where: str = "README") -> str:
    """Return ``readme_text`` with the text between the markers replaced by ``table``.

    Raises
    ------
    GvcError
        If the markers are missing, repeated or out of order.
    """
    if readme_text.count(START_MARKER) != 1 or readme_text.count(END_MARKER) != 1:
        raise GvcError(f"{where} must contain {START_MARKER} and {END_MARKER} exactly once each")
    head, rest = readme_text.split(START_MARKER)
    if END_MARKER not in rest:
        raise GvcError(f"{where}: {END_MARKER} comes before {START_MARKER}")
    _, tail = rest.split(END_MARKER)
    return f"{head}{START_MARKER}\n{table}{END_MARKER}{tail}"


def update_readme(
    readme: str | os.PathLike[str] | None = None,
    model: str | os.PathLike[str] | None = None,
    *,
    check: bool = False,
) -> bool:
    """Regenerate the variable table in ``readme`` from ``model``.

    Parameters
    ----------
    readme : path-like, optional
        Default ``models/README.md``.
    model : path-like, optional
        Default the shipped model.
    check : bool
        Only compare; do not write.

    Returns
    -------
    bool
        True if the table was already current.
    """
    readme = Path(readme) if readme is not None else resources.shipped_path("models", "README.md")
    model = Path(model) if model is not None else resources.shipped_path(*resources.SHIPPED_MODEL)
    table = render_variable_table(variable_table(parse_abstract_model(model)))
    old = readme.read_text(encoding="utf-8")
    new = replace_table(old, table, where=str(readme))
    if new == old:
        return True
    if not check:
        with atomic_path(readme) as temporary:
            temporary.write_text(new, encoding="utf-8")
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line hook: regenerate (or ``--check``) the variable table."""
    parser = argparse.ArgumentParser(
        prog="python -m gvc_upgrading.docs",
        description="Regenerate the variable table of models/README.md from the .mdl file.",
    )
    parser.add_argument("--readme", type=Path, default=None, help="README to update")
    parser.add_argument("--model", type=Path, default=None, help="Vensim model file")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the table is stale, write nothing"
    )
    args = parser.parse_args(argv)
    try:
        current = update_readme(args.readme, args.model, check=args.check)
    except GvcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check and not current:
        print("the variable table is stale: run python -m gvc_upgrading.docs", file=sys.stderr)
        return 1
    print("variable table is current" if current else "variable table updated")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
