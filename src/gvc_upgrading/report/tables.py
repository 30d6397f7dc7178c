"""The report's tables: built from results, written as CSV, Markdown, LaTeX and netCDF.

Each :class:`Table` holds a tidy :class:`pandas.DataFrame` (what the CSV
file holds, full precision) and renders it as Markdown, LaTeX (a
``booktabs`` tabular, usable with ``\\input``) and an HTML fragment, with
numbers rounded to a few significant digits for reading. Its netCDF form
(``data/<name>.nc``) holds the same columns over one ``row`` dimension, so
every number can be traced from the table to the data.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..io import write_csv, write_netcdf
from ..scenarios import BASELINE
from .ensemble import ESTIMATE
from .stored import StoredFit
from .words import synergy_reading, unit_label

__all__ = [
    "Table",
    "difference_summary_table",
    "difference_table",
    "fit_parameters_table",
    "fit_statistics_table",
    "format_number",
    "sobol_leading_table",
    "synergy_decomposition_table",
    "to_html",
    "to_latex",
    "to_markdown",
    "write_table",
]


@dataclass(frozen=True)
class Table:
    """A report table.

    Attributes
    ----------
    name : str
        File stem (``tables/<name>.csv`` ...).
    title : str
        Caption.
    frame : pandas.DataFrame
        The rows, full precision, default integer index.
    note : str
        What the columns mean, shown under the table.
    digits : int
        Significant digits of the rendered (not the CSV) numbers.
    attrs : dict
        Provenance written into the netCDF form.
    """

    name: str
    title: str
    frame: pd.DataFrame
    note: str = ""
    digits: int = 4
    attrs: dict[str, object] = field(default_factory=dict)

    def to_dataset(self) -> xr.Dataset:
        """Return the table as a Dataset: one variable per column over ``row``."""
        data = {}
        for column in self.frame.columns:
            values = self.frame[column].to_numpy()
            if values.dtype == object or pd.api.types.is_string_dtype(self.frame[column]):
                values = values.astype(str)
            data[str(column)] = ("row", values)
        dataset = xr.Dataset(data, coords={"row": np.arange(len(self.frame))})
        dataset.attrs.update({"table": self.name, "title": self.title, "note": self.note})
        dataset.attrs.update(self.attrs)
        return dataset


def format_number(value: object, digits: int = 4) -> str:
    """Format a cell for reading: numbers to ``digits`` significant digits, NaN as a dash.

    Examples
    --------
    >>> format_number(0.123456), format_number(12345.678), format_number(float("nan"))
    ('0.1235', '12,346', '–')
    >>> format_number(-1.71e-05, 3)
    '-0.000'
    >>> format_number(True), format_number(7), format_number("csr")
    ('yes', '7', 'csr')
    """
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if not math.isfinite(float(value)):
            return "–"
        number = float(value)
        text = f"{number:.{digits}g}"
        if "e" in text:  # no scientific notation in a table a reader reads
            text = f"{number:,.0f}" if abs(number) >= 1 else f"{number:.{digits}f}"
        return text
    return str(value)


def _cells(table: Table) -> list[list[str]]:
    return [
        [format_number(value, table.digits) for value in row]
        for row in table.frame.itertuples(index=False)
    ]


def to_markdown(table: Table) -> str:
    """Render ``table`` as a Markdown (pipe) table with its title and note."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    columns = [str(c) for c in table.frame.columns]
    rows = [line(columns), line(["---"] * len(columns))]
    rows.extend(line(cells) for cells in _cells(table))
    text = f"**{table.title}**\n\n" + "\n".join(rows) + "\n"
    if table.note:
        text += f"\n{table.note}\n"
    return text


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "–": "--",
}


def latex_escape(text: str) -> str:
    r"""Escape LaTeX's special characters.

    Examples
    --------
    >>> latex_escape("difference_pct (%)")
    'difference\\_pct (\\%)'
    """
    return "".join(_LATEX_SPECIALS.get(char, char) for char in text)


def to_latex(table: Table) -> str:
    """Render ``table`` as a LaTeX ``table`` float with a ``booktabs`` tabular."""
    numeric = [pd.api.types.is_numeric_dtype(table.frame[c]) for c in table.frame.columns]
    spec = "".join("r" if is_number else "l" for is_number in numeric)
    header = " & ".join(latex_escape(str(c)) for c in table.frame.columns) + r" \\"
    body = [" & ".join(latex_escape(cell) for cell in cells) + r" \\" for cells in _cells(table)]
    lines = [
        "% Requires \\usepackage{booktabs}. Generated by gvc-upgrading report.",
        r"\begin{table}[htbp]",
        r"\centering",
        r"\small",
        f"\\caption{{{latex_escape(table.title)}}}",
        f"\\label{{tab:{table.name}}}",
        f"\\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        header,
        r"\midrule",
        *body,
        r"\bottomrule",
        r"\end{tabular}",
    ]
    if table.note:
        lines.append(f"\\par\\footnotesize {latex_escape(table.note)}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def to_html(table: Table) -> str:
    """Render ``table`` as an HTML ``<table>`` with a caption (cells escaped)."""
    numeric = [pd.api.types.is_numeric_dtype(table.frame[c]) for c in table.frame.columns]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.frame.columns)
    rows = []
    for cells in _cells(table):
        tds = "".join(
            f'<td class="num">{html.escape(cell)}</td>'
            if is_number
            else f"<td>{html.escape(cell)}</td>"
            for cell, is_number in zip(cells, numeric, strict=True)
        )
        rows.append(f"<tr>{tds}</tr>")
    caption = html.escape(table.title)
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    return (
        f'<table id="table-{html.escape(table.name)}"><caption>{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"
    )


def write_table(
    table: Table, directory: str | os.PathLike[str], *, data_directory: str | os.PathLike[str]
) -> list[Path]:
    """Write ``tables/<name>.csv``, ``.md`` and ``.tex`` and ``data/<name>.nc``.

    The folders must exist. Returns the files written.
    """
    folder, data = Path(directory), Path(data_directory)
    paths = [
        write_csv(table.frame, folder / f"{table.name}.csv"),
        folder / f"{table.name}.md",
        folder / f"{table.name}.tex",
    ]
    paths[1].write_text(to_markdown(table), encoding="utf-8")
    paths[2].write_text(to_latex(table), encoding="utf-8")
    paths.append(write_netcdf(table.to_dataset(), data / f"{table.name}.nc"))
    return paths


# ----------------------------------------------------------------------------- builders
def _unit(ensemble: xr.Dataset, outcome: str) -> str:
    return str(ensemble[outcome].attrs.get("units", ""))


def difference_table(
    comparison: xr.Dataset, ensemble: xr.Dataset, horizons: Mapping[str, float]
) -> Table:
    """Differences from baseline at each horizon, with the bootstrap 90% range.

    Parameters
    ----------
    comparison : xarray.Dataset
        :func:`~gvc_upgrading.scenarios.compare_runs` of the estimate's runs.
    ensemble : xarray.Dataset
        All runs (:func:`~.ensemble.run_case_scenarios`), for the paired
        differences of the bootstrap replicates.
    horizons : mapping of str to float
        Label (``"+5"``) to year.
    """
    baseline = str(comparison.attrs.get("baseline", BASELINE))
    scenarios = [str(s) for s in comparison["scenario"].values]
    outcomes = [str(o) for o in comparison["outcome"].values]
    years = [float(year) for year in horizons.values()]
    # every number the table needs, as arrays over (scenario, outcome, horizon): one
    # selection each instead of one per cell
    at_years = comparison.sel(time=years)
    value, difference, percent = (
        at_years[name].transpose("scenario", "outcome", "time").values
        for name in ("value", "difference", "difference_pct")
    )
    replicates = ensemble.sel(member=ensemble["member"] != ESTIMATE)
    members = {
        outcome: replicates[outcome].sel(time=years).transpose("scenario", "member", "time").values
        for outcome in outcomes
    }
    runs = {name: i for i, name in enumerate(str(s) for s in replicates["scenario"].values)}
    b = scenarios.index(baseline)
    rows = []
    for t, (label, year) in enumerate(horizons.items()):
        for i, scenario in enumerate(scenarios):
            if scenario == baseline:
                continue
            for j, outcome in enumerate(outcomes):
                low = high = np.nan
                if replicates.sizes["member"]:
                    runs_of = members[outcome]
                    paired = runs_of[runs[scenario], :, t] - runs_of[runs[baseline], :, t]
                    low, high = (float(q) for q in np.quantile(paired, [0.05, 0.95]))
                rows.append(
                    {
                        "scenario": scenario,
                        "outcome": outcome,
                        "unit": _unit(ensemble, outcome),
                        "horizon": f"{label} years",
                        "year": float(year),
                        "baseline": float(value[b, j, t]),
                        "value": float(value[i, j, t]),
                        "difference": float(difference[i, j, t]),
                        "difference_pct": float(percent[i, j, t]),
                        "difference_p05": low,
                        "difference_p95": high,
                    }
                )
    start = float(ensemble.attrs.get("policy_start", np.nan))
    return Table(
        name="differences",
        title=(
            f"Difference from baseline, "
            f"{ensemble.attrs.get('case_label', ensemble.attrs.get('case', ''))}, "
            f"levers from {start:g}"
        ),
        frame=pd.DataFrame(rows),
        note=(
            "baseline and value: the outcome under baseline and under the scenario at the "
            "calibrated estimate; difference = value - baseline; difference_pct = 100 x "
            "difference / |baseline|; difference_p05 / _p95: 5% and 95% quantiles of the "
            "paired difference over the bootstrap parameter sets (NaN without a bootstrap)."
        ),
    )


def difference_summary_table(differences: Table, horizon: str) -> Table:
    """One row per scenario, one column per outcome: the difference from baseline at ``horizon``.

    Parameters
    ----------
    differences : Table
        The result of :func:`difference_table`.
    horizon : str
        A horizon label of that table (``"+10 years"``).
    """
    rows = differences.frame[differences.frame["horizon"] == horizon]
    if rows.empty:
        raise ValueError(f"the difference table has no horizon {horizon!r}")
    units = dict(zip(rows["outcome"], rows["unit"], strict=False))
    wide = rows.pivot(index="scenario", columns="outcome", values="difference")
    wide = wide.reindex(index=list(dict.fromkeys(rows["scenario"])))
    wide = wide[list(dict.fromkeys(rows["outcome"]))]
    wide.columns = [str(outcome) for outcome in wide.columns]
    wide.columns.name = None
    year = float(rows["year"].iloc[0])
    unit_text = "; ".join(
        f"{o}: {unit_label(u)}" for o, u in units.items() if isinstance(u, str) and u
    )
    return Table(
        name="difference_summary",
        title=f"Difference from baseline at {horizon} ({year:g}), at the calibrated estimate",
        frame=wide.reset_index(),
        note="Each cell: the scenario's value minus baseline's (column 'difference' of the "
        "difference table, which also gives % and the bootstrap 90% range). Units: "
        f"{unit_text}.",
        digits=3,
    )


def synergy_decomposition_table(comparison: xr.Dataset, horizons: Mapping[str, float]) -> Table:
    """The combined scenario's gain against the sum of the single paths' gains per horizon."""
    columns = ["combined_gain", "sum_single_gains", "synergy_excess", "synergy_ratio"]
    rows = []
    for label, year in horizons.items():
        for outcome in comparison["outcome"].values:
            values = {c: float(comparison[c].sel(outcome=outcome, time=year)) for c in columns}
            rows.append(
                {
                    "outcome": str(outcome),
                    "horizon": f"{label} years",
                    "year": float(year),
                    **values,
                    "reading": synergy_reading(
                        values["combined_gain"], values["sum_single_gains"]
                    ),
                }
            )
    combined = comparison.attrs.get("combined", "synergistic")
    return Table(
        name="synergy",
        title=f"Synergy decomposition: {combined} vs the sum of the single paths",
        frame=pd.DataFrame(rows),
        note=(
            f"combined_gain: {combined} minus baseline; sum_single_gains: the sum of the "
            f"gains of {comparison.attrs.get('singles', '').replace(',', ', ')}; "
            "synergy_excess = combined_gain - sum_single_gains; "
            "synergy_ratio = combined_gain / sum_single_gains; reading: the combined change "
            "against the single paths' changes added up, in words (a smaller loss is not "
            "called synergy)."
        ),
    )


def fit_statistics_table(fit: StoredFit, label: str | None = None) -> Table:
    """Goodness of fit per calibration target (and sample: in-sample / hold-out)."""
    return Table(
        name="fit_statistics",
        title=f"Calibration fit statistics, {label or fit.case}",
        frame=fit.statistics().reset_index(drop=True),
        note=(
            "n: observations; rmse, mae in the target's units; mape in %; r2: coefficient of "
            "determination; um, us, uc: Theil's bias, variance and covariance shares of the "
            "mean squared error; lag1: lag-1 autocorrelation of the residuals."
        ),
    )


def fit_parameters_table(fit: StoredFit, label: str | None = None) -> Table:
    """The calibrated parameters: estimate, interval and search bounds."""
    data = fit.dataset
    interval = data["interval"].transpose("parameter", "bound").values
    frame = pd.DataFrame(
        {
            "parameter": fit.parameter_names,
            "estimate": data["estimate"].values.astype(float),
            "lower": interval[:, 0].astype(float),
            "upper": interval[:, 1].astype(float),
            "search_lower": data["search_lower"].values.astype(float),
            "search_upper": data["search_upper"].values.astype(float),
        }
    )
    level = float(data.attrs.get("level", np.nan))
    method = data.attrs.get("interval_method", "")
    return Table(
        name="fit_parameters",
        title=f"Calibrated parameters, {label or fit.case}",
        frame=frame,
        note=f"lower, upper: {level:.0%} {method} interval; search bounds of the optimizer.",
    )


def sobol_leading_table(indices: xr.Dataset, *, top: int = 5) -> Table:
    """The ``top`` parameters by total index per scalar output, with confidence half-widths."""
    from ..sensitivity.tables import indices_table

    frame = indices_table(indices)
    if frame.empty:
        frame = pd.DataFrame(columns=["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"])
    keep = [
        c for c in ("output", "parameter", "group", "S1", "S1_conf", "ST", "ST_conf") if c in frame
    ]
    leading = (
        frame.groupby("output", sort=False, group_keys=False)
        .head(top)[keep]
        .reset_index(drop=True)
    )
    level = float(indices.attrs.get("conf_level", 0.95))
    return Table(
        name="sobol_leading",
        title=f"Leading Sobol' indices (top {top} by total index per output)",
        frame=leading,
        note=(
            "S1: first-order index; ST: total index; *_conf: half-width of the "
            f"{level:.0%} bootstrap confidence interval (SALib)."
        ),
        attrs={
            k: indices.attrs[k]
            for k in ("study", "n", "seed", "salib_version", "scenario", "created")
            if k in indices.attrs
        },
    )
