"""Findings in words, read off the report's tables (nothing is computed here that they lack)."""

from __future__ import annotations

import math

import pandas as pd

from .tables import format_number
from .words import synergy_reading

__all__ = ["findings"]


def _signed(value: float) -> str:
    text = format_number(value, 3)
    return text if text.startswith("-") or text == "–" else f"+{text}"


def _unit(unit: str) -> str:
    return f" {unit}" if unit and unit != "Dmnl" else ""


def _pct(value: float) -> str:
    return "" if not math.isfinite(value) else f" ({_signed(value)}%)"


def _best_paths(differences: pd.DataFrame, horizon: str) -> list[str]:
    lines = []
    at = differences[differences["horizon"] == horizon]
    for outcome, rows in at.groupby("outcome", sort=False):
        best = rows.loc[rows["difference"].idxmax()]
        worst = rows.loc[rows["difference"].idxmin()]
        lines.append(
            f"{outcome}: the largest gain over baseline at {horizon} ({best['year']:g}) comes "
            f"from {best['scenario']}, {_signed(best['difference'])}{_unit(best['unit'])}"
            f"{_pct(best['difference_pct'])}; the smallest from {worst['scenario']}, "
            f"{_signed(worst['difference'])}{_pct(worst['difference_pct'])}."
        )
    return lines


def _synergy(synergy: pd.DataFrame, horizon: str) -> list[str]:
    at = synergy[synergy["horizon"] == horizon]
    if at.empty:
        return []
    parts = [
        f"{row.outcome}: {synergy_reading(row.combined_gain, row.sum_single_gains)}"
        for row in at.itertuples()
    ]
    return [
        f"Synergy at {horizon}, the combined scenario against the single paths' changes "
        "added up: " + "; ".join(parts) + "."
    ]


def _displacement(differences: pd.DataFrame, horizon: str) -> list[str]:
    at = differences[
        (differences["horizon"] == horizon)
        & (differences["outcome"] == "True compliance less visible")
    ].set_index("scenario")
    if not {"csr", "displacement"} <= set(at.index):
        return []
    csr, displaced = at.loc["csr", "difference"], at.loc["displacement", "difference"]
    verdict = "lower, as" if displaced < csr else "not lower, although"
    return [
        f"Displacement: with strong crowding out of public enforcement, less-visible "
        f"compliance at {horizon} changes by {_signed(displaced)} against {_signed(csr)} under "
        f"CSR alone: {verdict} the theory of displacement expects."
    ]


def _uncertainty(differences: pd.DataFrame, horizon: str, scenario: str) -> list[str]:
    at = differences[(differences["horizon"] == horizon) & (differences["scenario"] == scenario)]
    if at.empty or at["difference_p05"].isna().all():
        return []
    robust = at[(at["difference_p05"] > 0) | (at["difference_p95"] < 0)]
    names = ", ".join(str(o) for o in robust["outcome"]) or "none of the outcomes"
    return [
        f"Across the calibration's bootstrap parameter sets, the 90% range of the "
        f"{scenario} scenario's difference from baseline at {horizon} excludes zero for "
        f"{names}."
    ]


def _sensitivity(sobol: pd.DataFrame) -> list[str]:
    if sobol.empty:
        return []
    lines = []
    for output, rows in sobol.groupby("output", sort=False):
        lead = rows.iloc[0]
        lines.append(
            f"{output} is most sensitive to {lead['parameter']} (total Sobol' index "
            f"{format_number(lead['ST'], 2)} ± {format_number(lead['ST_conf'], 2)})."
        )
    return lines


def findings(
    differences: pd.DataFrame,
    synergy: pd.DataFrame,
    sobol: pd.DataFrame,
    *,
    horizon: str,
    combined: str = "synergistic",
) -> list[str]:
    """Return the report's findings as sentences.

    Parameters
    ----------
    differences, synergy, sobol : pandas.DataFrame
        The frames of the difference, synergy and leading-Sobol' tables.
    horizon : str
        The horizon label to read (``"+10 years"``).
    combined : str
        The combined scenario.
    """
    return [
        *_best_paths(differences, horizon),
        *_synergy(synergy, horizon),
        *_displacement(differences, horizon),
        *_uncertainty(differences, horizon, combined),
        *_sensitivity(sobol),
    ]
