"""Robustness and synergy as interaction: behaviour shares (stored) and the factorial table.

Two results of the model's own studies, kept cheap enough for a quick report:

- the share of Latin-hypercube draws of the structural parameters in which
  each behaviour of the model holds (:func:`gvc_upgrading.robustness.behaviour_shares`)
  is read from the table ``models/README.md`` stores under "Robustness of the
  behaviours" (hundreds of draws take minutes; the README says how many);
- the factorial design over the six paths (:func:`gvc_upgrading.factorial.run_factorial`,
  2^6 runs at the model's parameters, about a second) is computed, and its main
  effects and pairwise interactions (:func:`gvc_upgrading.factorial.effects`)
  become a table: a positive interaction is synergy, a negative one substitution.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from .tables import Table

__all__ = ["FACTORIAL_SHOWN", "factorial_table", "stored_behaviour_shares"]

#: Outcomes of the factorial table, in column order.
FACTORIAL_SHOWN: tuple[str, ...] = (
    "Social upgrading index",
    "Economic upgrading index",
    "Average wage",
    "True compliance less visible",
)

_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*(.+?)\s*\|\s*([0-9.]+)\s*\|\s*(.+?)\s*\|\s*$")


def stored_behaviour_shares(readme: str | os.PathLike[str]) -> tuple[pd.DataFrame, str]:
    """Read the stored behaviour shares from ``models/README.md``.

    Returns
    -------
    (pandas.DataFrame, str)
        Columns ``behaviour``, ``title``, ``share``, ``meets_90pct`` (empty when
        the README has no such table) and how they were made (how many
        draws, which seed), in words.
    """
    text = Path(readme).read_text("utf-8")
    if "## Robustness of the behaviours" not in text:
        return pd.DataFrame(columns=["behaviour", "title", "share", "meets_90pct"]), ""
    section = text.split("## Robustness of the behaviours", 1)[1].split("\n## ", 1)[0]
    rows: list[dict[str, object]] = []
    for line in section.splitlines():
        if rows and not line.startswith("|"):
            break  # only the first table: the behaviours (conditions and boxes follow)
        match = _ROW.match(line)
        if match:
            rows.append(
                {
                    "behaviour": int(match.group(1)),
                    "title": match.group(2),
                    "share": float(match.group(3)),
                    "meets_90pct": "yes" in match.group(4).lower(),
                }
            )
    found = re.search(r"with (\d+) draws\s*\(seed (\d+)\)", section)
    intro = (
        f"{found.group(1)} Latin-hypercube draws of the model's uncertain structural "
        f"parameters, seed {found.group(2)}"
        if found
        else "draws of the model's uncertain structural parameters"
    )
    return pd.DataFrame(rows, columns=["behaviour", "title", "share", "meets_90pct"]), intro


def factorial_table(model: Any, *, year: float = 2035.0) -> Table | None:
    """Run the 2^6 factorial over the six paths at the model's parameters; tabulate its effects.

    Returns None when the package has no factorial module (an older model).
    Rows: the six main effects, then the pairwise interactions; columns: the
    effect on each of :data:`FACTORIAL_SHOWN` in ``year`` and ``reading``
    (synergy / substitution on the social index).
    """
    try:
        from ..factorial import effects, run_factorial
    except ImportError:
        return None
    outcomes = [o for o in FACTORIAL_SHOWN if o in model.variables.index]
    frame = effects(run_factorial(model, outcomes=outcomes, year=year))
    frame = frame[frame["order"] <= 2]
    table = pd.DataFrame(
        {
            "effect": [str(e).replace("_", " ") for e in frame.index],
            "order": frame["order"].astype(int).to_numpy(),
            **{o: frame[o].to_numpy(float) for o in outcomes},
        }
    )
    social = outcomes[0]
    table["reading"] = [
        "main effect"
        if order == 1
        else ("synergy" if value > 0 else "substitution" if value < 0 else "none")
        for order, value in zip(table["order"], table[social], strict=True)
    ]
    return Table(
        name="factorial_effects",
        title=f"Synergy as interaction: factorial effects of the six paths in {year:g}",
        frame=table,
        note=(
            "2^6 runs, every path on or off, at the model's default parameters with levers on "
            "from the first year (not the calibrated case). Main effect: the mean change when "
            "a path is switched on; interaction: the factorial contrast of two paths (> 0: "
            "together they give more than their separate effects, synergy; < 0: they "
            f"substitute). Reading: on the {social.lower()}."
        ),
        digits=3,
    )
