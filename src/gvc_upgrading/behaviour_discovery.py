"""Where the model's behaviours fail: condition shares and PRIM boxes over parameter draws.

:func:`gvc_upgrading.robustness.behaviour_shares` says how often each
behaviour holds over Latin-hypercube draws of the structural parameters. This
module says *why* a behaviour fails where it does:

- :func:`~gvc_upgrading.robustness.condition_table` evaluates every named
  condition of every behaviour (a behaviour holds when all its conditions
  hold) on the same runs, so the share of each condition shows which part of
  a behaviour breaks;
- :func:`failure_boxes` runs PRIM (Friedman & Fisher 1999, as implemented in
  the EMA Workbench) on the draws where a behaviour fails, keeps only the
  parameter limits whose quasi-p-value is below a significance level, and
  scores the reduced box again on the draws (coverage: share of the failures
  inside it; density: share of the draws inside it that fail);
- :func:`headroom_table` splits the draws by how close the baseline already
  is to the ceiling of the outcome a behaviour moves (:data:`HEADROOM`), in
  fixed bins of the 0-1 scale, and gives the share of draws in which the
  behaviour holds in each bin: a behaviour that fails only near the ceiling
  fails because there is little left to improve, not because its mechanism
  is missing;
- :func:`robustness_markdown` writes the tables as the Markdown that
  ``models/README.md`` stores under "Robustness of the behaviours"
  (``python benchmarks/bench_behaviours.py --markdown`` prints it).

A box is a description of the parameter region where the model departs from
the behaviour, not a licence to narrow the ranges: the ranges stay as the
model declares them.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from .exploration.discovery import prim_box
from .robustness import BASELINE, BEHAVIOURS, END, Runs, behaviours_held, condition_table

__all__ = [
    "BAR",
    "HEADROOM",
    "HEADROOM_BINS",
    "condition_table",
    "failure_boxes",
    "headroom_markdown",
    "headroom_table",
    "robustness_markdown",
]

#: Behaviour number -> (words, case, variable, year): the 0-1 outcome whose
#: ceiling limits the behaviour, read where the behaviour's intervention starts
#: from. Behaviours 2 and 3 raise visible firms' compliance over the baseline;
#: behaviour 6 adds a scandal to the civil-society pressure that follow-through
#: already holds (the year before the scandal of ``robustness``).
HEADROOM: dict[int, tuple[str, str, str, float]] = {
    2: ("baseline visible compliance, 2035", BASELINE, "True compliance visible", END),
    3: ("baseline visible compliance, 2035", BASELINE, "True compliance visible", END),
    6: (
        "civil-society pressure with follow-through, 2013",
        "follow_through",
        "Civil society pressure",
        2013.0,
    ),
}
#: Fixed bins of the 0-1 scale (not chosen from the results).
HEADROOM_BINS: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)

#: Share of draws in which a behaviour must hold (issue 9).
BAR = 0.9


def failure_boxes(
    draws: pd.DataFrame,
    conditions: pd.DataFrame,
    *,
    bar: float = BAR,
    significance: float = 0.05,
    min_coverage: float = 0.5,
) -> pd.DataFrame:
    """PRIM boxes of the draws where each condition of a behaviour below ``bar`` fails.

    Each failing condition gets its own box: the conditions of one behaviour
    can fail for different reasons, and one box over their union would blur
    them.

    Parameters
    ----------
    draws : pandas.DataFrame
        One row per draw, one column per uncertain parameter.
    conditions : pandas.DataFrame
        From :func:`condition_table` (same draws, same order).
    bar : float
        Behaviours that hold in at least this share of draws are skipped, and
        so are their conditions that hold in at least this share.
    significance : float
        A PRIM limit is kept only if its quasi-p-value is below this.
    min_coverage : float
        PRIM reports the densest box with at least this coverage.

    Returns
    -------
    pandas.DataFrame
        One row per kept limit: ``behaviour``, ``condition``, ``parameter``,
        ``lower``, ``upper``, the sampled ``minimum`` and ``maximum``, ``qp``
        (the smaller of the two sides' quasi-p-values), the condition's
        ``failing`` share, and the reduced box's ``coverage`` (share of the
        failures inside it), ``density`` (share of the draws inside it that
        fail) and ``mass`` (share of all draws inside). A condition whose
        failures PRIM cannot tie to any significant limit gets one row with
        ``parameter`` "(none significant)" and NaN limits.

    Raises
    ------
    ValueError
        If ``draws`` and ``conditions`` differ in length or ``bar`` is not in (0, 1].
    """
    if len(draws) != len(conditions):
        raise ValueError(f"draws has {len(draws)} rows but conditions has {len(conditions)}")
    if not 0 < bar <= 1:
        raise ValueError(f"bar must be in (0, 1], got {bar}")
    x = draws.reset_index(drop=True).astype(float)
    held = behaviours_held(conditions)
    rows: list[dict[str, object]] = []
    for (number, condition), column in conditions.items():
        ok = column.to_numpy(dtype=bool)
        if held[number].mean() >= bar or ok.mean() >= bar:
            continue
        fails = ~ok
        box = prim_box(x, fails, target=condition, min_coverage=min_coverage).limits
        qp = box[["qp_lower", "qp_upper"]].min(axis=1, skipna=True)
        kept = box[qp < significance]
        inside = np.ones(len(x), dtype=bool)
        for name, limit in kept.iterrows():
            inside &= ((x[name] >= limit["lower"]) & (x[name] <= limit["upper"])).to_numpy()
        score = {
            "failing": float(fails.mean()),
            "coverage": float(fails[inside].sum() / fails.sum()),
            "density": float(fails[inside].mean()) if inside.any() else np.nan,
            "mass": float(inside.mean()),
        }
        head = {"behaviour": number, "condition": condition}
        if kept.empty:
            rows.append({**head, "parameter": "(none significant)", "qp": np.nan, **score})
        for name, limit in kept.iterrows():
            limits = limit[["lower", "upper", "minimum", "maximum"]].to_dict()
            rows.append({**head, "parameter": name, **limits, "qp": float(qp[name]), **score})
    columns = [
        "behaviour",
        "condition",
        "parameter",
        "lower",
        "upper",
        "minimum",
        "maximum",
        "qp",
        "failing",
        "coverage",
        "density",
        "mass",
    ]
    return pd.DataFrame(rows, columns=columns)


def _number(value: float) -> str:
    return f"{value:.3g}"


def _limit_words(row: pd.Series) -> str:
    if row["parameter"] == "(none significant)":
        return "no parameter limit significant at 5%"
    low_cut = row["lower"] > row["minimum"]
    high_cut = row["upper"] < row["maximum"]
    name = f"`{row['parameter']}`"
    if low_cut and high_cut:
        return f"{_number(row['lower'])} ≤ {name} ≤ {_number(row['upper'])}"
    if low_cut:
        return f"{name} ≥ {_number(row['lower'])}"
    return f"{name} ≤ {_number(row['upper'])}"


def robustness_markdown(
    conditions: pd.DataFrame,
    boxes: pd.DataFrame,
    *,
    titles: dict[int, str] | None = None,
    bar: float = BAR,
) -> str:
    """The behaviour, condition and failure-box tables as Markdown.

    Parameters
    ----------
    conditions : pandas.DataFrame
        From :func:`condition_table`.
    boxes : pandas.DataFrame
        From :func:`failure_boxes`.
    titles : dict, optional
        Behaviour number -> title (default: the titles of :data:`BEHAVIOURS`).
    bar : float
        The share a behaviour must reach.

    Returns
    -------
    str
        Three Markdown tables separated by blank lines.
    """
    titles = titles or {b.number: b.title for b in BEHAVIOURS}
    held = behaviours_held(conditions)
    lines = ["| # | behaviour | share of draws | meets 90% |", "|---|---|---|---|"]
    for number in held.columns:
        share = float(held[number].mean())
        meets = "yes" if share >= bar else "**no**"
        lines.append(f"| {number} | {titles[number]} | {share:.3f} | {meets} |")
    lines += [
        "",
        "Conditions of the behaviours that miss the bar (each must hold; share of draws):",
        "",
        "| # | condition | share of draws |",
        "|---|---|---|",
    ]
    short = [n for n in held.columns if held[n].mean() < bar]
    for number in short:
        for name in conditions[number].columns:
            lines.append(f"| {number} | {name} | {conditions[(number, name)].mean():.3f} |")
    lines += [
        "",
        "Where they fail: for each condition below the bar, the PRIM box of its failing "
        "draws, limits with quasi-p-value below 0.05 only (coverage: share of the "
        "failures inside the box; density: share of the draws inside the box that fail):",
        "",
        "| # | condition | fails in | box | coverage | density |",
        "|---|---|---|---|---|---|",
    ]
    for (number, condition), rows in boxes.groupby(["behaviour", "condition"], sort=False):
        box = "; ".join(_limit_words(row) for _, row in rows.iterrows())
        first = rows.iloc[0]
        lines.append(
            f"| {number} | {condition} | {first['failing']:.3f} | {box} | "
            f"{first['coverage']:.2f} | {first['density']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def headroom_table(
    runs: Runs,
    conditions: pd.DataFrame,
    *,
    headroom: dict[int, tuple[str, str, str, float]] | None = None,
    bins: tuple[float, ...] = HEADROOM_BINS,
) -> pd.DataFrame:
    """Share of draws in which each behaviour holds, by bin of its ceiling outcome.

    Parameters
    ----------
    runs : mapping of case name to xarray.Dataset
        The runs :func:`condition_table` evaluated (one run per draw).
    conditions : pandas.DataFrame
        From :func:`condition_table` on ``runs``.
    headroom : dict, optional
        Behaviour number -> (words, case, variable, year) (default :data:`HEADROOM`).
    bins : tuple of float
        Increasing bin edges; the last bin includes its upper edge.

    Returns
    -------
    pandas.DataFrame
        One row per behaviour and bin: ``behaviour``, ``outcome`` (words),
        ``lower``, ``upper``, ``draws`` (number in the bin) and ``share``
        (NaN for an empty bin).

    Raises
    ------
    SpecError
        On bins that are not increasing, a behaviour missing from
        ``conditions``, or a case or variable missing from ``runs``.
    """
    from .errors import SpecError

    edges = np.asarray(bins, dtype=float)
    if edges.ndim != 1 or len(edges) < 2 or not np.all(np.diff(edges) > 0):
        raise SpecError(f"bins must be at least two increasing edges, got {bins!r}")
    held = behaviours_held(conditions)
    rows = []
    for number, (words, case, variable, year) in (headroom or HEADROOM).items():
        if number not in held.columns:
            raise SpecError(f"behaviour {number} is not among the conditions")
        if case not in runs or variable not in runs[case]:
            raise SpecError(f"behaviour {number}: the runs lack {variable!r} in case {case!r}")
        values = np.atleast_1d(runs[case][variable].sel(time=year).to_numpy())
        if len(values) != len(held):
            raise SpecError(
                f"behaviour {number}: {len(values)} runs against {len(held)} evaluated draws"
            )
        ok = held[number].to_numpy()
        for k, (low, high) in enumerate(itertools.pairwise(edges)):
            last = k == len(edges) - 2
            inside = (values >= low) & ((values <= high) if last else (values < high))
            count = int(inside.sum())
            rows.append(
                {
                    "behaviour": number,
                    "outcome": words,
                    "lower": float(low),
                    "upper": float(high),
                    "draws": count,
                    "share": float(ok[inside].mean()) if count else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def headroom_markdown(table: pd.DataFrame) -> str:
    """The headroom table as Markdown: one row per behaviour, one column per bin.

    Each cell reads "share (draws)"; an empty bin reads "–".
    """
    edges = table.drop_duplicates(["lower", "upper"])[["lower", "upper"]].to_numpy()
    header = "| # | outcome near its ceiling | " + " | ".join(
        f"{low:g}–{high:g}" for low, high in edges
    )
    lines = [header + " |", "|---|---|" + "---|" * len(edges)]
    for (number, words), rows in table.groupby(["behaviour", "outcome"], sort=False):
        cells = [
            "–" if row["draws"] == 0 else f"{row['share']:.2f} ({row['draws']})"
            for _, row in rows.iterrows()
        ]
        lines.append(f"| {number} | {words} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
