"""The report's first page: the paper's three questions answered from the runs.

Gereffi & Lee (2016) ask (i) whether economic upgrading brings social
upgrading, (ii) which governance paths, alone or combined, bring social
upgrading, and (iii) whether governance forms reinforce each other
(synergistic governance) or crowd each other out (displacement). Each
:class:`Claim` answers one in a plain sentence generated from the scenario
ensemble (so it changes when the results change), with the 90% range over the
calibration's bootstrap parameter sets, the year it refers to, and the
plausibility flags of the scenarios it names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from ..outcomes import SOCIAL_COMPONENTS
from ..scenario_spec import BASELINE, COMBINED, SINGLE_PATHS
from .ensemble import ESTIMATE
from .plausibility import Flag
from .words import outcome_name, scenario_name, signed, synergy_reading

__all__ = [
    "DISPLACED",
    "ECONOMIC_INDEX",
    "SOCIAL_INDEX",
    "Claim",
    "claims_frame",
    "summary_claims",
]

#: The headline outcomes the three questions are asked of.
ECONOMIC_INDEX = "Economic upgrading index"
SOCIAL_INDEX = "Social upgrading index"
#: The scenario of CSR with displacement of public enforcement, and the CSR path it varies.
DISPLACED = ("displacement", "csr")


@dataclass(frozen=True)
class Claim:
    """One answer of the summary.

    Attributes
    ----------
    key : str
        ``economic_social``, ``best_path`` or ``synergy``.
    question : str
    answer : str
        The plain sentence(s), numbers rounded for reading.
    value, low, high : float
        The headline number and its 90% range over the bootstrap parameter
        sets (NaN without a bootstrap).
    year : float
        The year the headline number refers to.
    flags : list of str
        Plausibility flags of the scenarios the answer names.
    """

    key: str
    question: str
    answer: str
    value: float
    low: float
    high: float
    year: float
    flags: list[str] = field(default_factory=list)


def _members(ensemble: xr.Dataset, variable: str, scenario: str, year: float) -> np.ndarray:
    return np.asarray(ensemble[variable].sel(scenario=scenario, time=year).values, dtype=float)


def _band(values: np.ndarray, labels: Sequence[str]) -> tuple[float, float]:
    replicates = np.array([label != ESTIMATE for label in labels])
    if not replicates.any():
        return float("nan"), float("nan")
    low, high = np.quantile(values[replicates], [0.05, 0.95])
    return float(low), float(high)


def _range(low: float, high: float) -> str:
    if not np.isfinite(low):
        return ""
    return f" (90% range {signed(low)} to {signed(high)})"


class _Reader:
    """Differences from baseline per member, with the estimate and the 90% range."""

    def __init__(self, ensemble: xr.Dataset) -> None:
        self.ensemble = ensemble
        self.labels = [str(m) for m in ensemble["member"].values]
        self.estimate = self.labels.index(ESTIMATE)

    def gain(self, scenario: str, variable: str, year: float) -> np.ndarray:
        return _members(self.ensemble, variable, scenario, year) - _members(
            self.ensemble, variable, BASELINE, year
        )

    def describe(self, values: np.ndarray) -> tuple[float, float, float]:
        return (float(values[self.estimate]), *_band(values, self.labels))


def _flags_for(
    flags: Sequence[Flag], scenarios: Sequence[str], start: float, year: float
) -> list[str]:
    """One short line per outcome and breached bound, naming the scenarios of the answer."""
    grouped: dict[tuple[str, str], list[Flag]] = {}
    for flag in flags:
        if flag.scenario in scenarios:
            grouped.setdefault((flag.outcome, flag.rule), []).append(flag)
    return [
        f"{outcome} {rule} from {start:g} to {year:g} under the "
        + "; ".join(f"{scenario_name(f.scenario)}: {f.detail}" for f in members)
        for (outcome, rule), members in grouped.items()
    ]


def _economic_social(reader: _Reader, start: float, year: float, flags: Sequence[Flag]) -> Claim:
    data = reader.ensemble
    first = float(data["time"].values[0])
    econ = _members(data, ECONOMIC_INDEX, BASELINE, start) - _members(
        data, ECONOMIC_INDEX, BASELINE, first
    )
    social = _members(data, SOCIAL_INDEX, BASELINE, start) - _members(
        data, SOCIAL_INDEX, BASELINE, first
    )
    est = reader.estimate
    d_econ, (d_social, low, high) = econ[est], reader.describe(social)
    at = data.sel(scenario=BASELINE, member=ESTIMATE)
    e0, e1 = float(at[ECONOMIC_INDEX].sel(time=first)), float(at[ECONOMIC_INDEX].sel(time=start))
    s0, s1 = float(at[SOCIAL_INDEX].sel(time=first)), float(at[SOCIAL_INDEX].sel(time=start))
    if d_econ > 0 and d_social <= 0:
        verdict = "Not by itself."
    elif d_econ > 0:
        verdict = "Yes, in this case's history."
    else:
        verdict = "The history shows no economic upgrading to test it on."
    rises = "rises" if d_econ > 0 else "falls"
    moves = "rises" if d_social > 0 else "falls"
    text = (
        f"{verdict} In the baseline the economic upgrading index {rises} from "
        f"{e0:.2f} in {first:g} to {e1:.2f} in {start:g}, while the social upgrading index "
        f"{moves} from {s0:.2f} to {s1:.2f} (change {signed(d_social)}"
        + (f"; 90% range {signed(low)} to {signed(high)}" if np.isfinite(low) else "")
        + ")."
    )
    parts = [c for c in SOCIAL_COMPONENTS if c in data]
    if parts:
        changes = {c: float(at[c].sel(time=start)) - float(at[c].sel(time=first)) for c in parts}
        text += (
            " Its components change by "
            + ", ".join(
                f"{signed(v)} ({outcome_name(c).replace(' component', '')})"
                for c, v in changes.items()
            )
            + "."
        )
    both = []
    names = [str(s) for s in data["scenario"].values if str(s) != BASELINE]
    for name in names:
        g_econ = reader.gain(name, ECONOMIC_INDEX, year)
        g_social = reader.gain(name, SOCIAL_INDEX, year)
        e_low = _band(g_econ, reader.labels)[0]
        s_low = _band(g_social, reader.labels)[0]
        e_ok = e_low > 0 if np.isfinite(e_low) else g_econ[est] > 0
        s_ok = s_low > 0 if np.isfinite(s_low) else g_social[est] > 0
        if e_ok and s_ok:
            both.append(name)
    text += (
        f" By {year:g}, {len(both)} of the {len(names)} scenarios raise both indices above "
        "baseline across the parameter uncertainty"
        + (": " + ", ".join(scenario_name(n) for n in both) if both else "")
        + "."
    )
    return Claim(
        key="economic_social",
        question="Does economic upgrading bring social upgrading?",
        answer=text,
        value=float(d_social),
        low=low,
        high=high,
        year=start,
        flags=_flags_for(flags, [BASELINE, *both], start, year),
    )


def _best_path(reader: _Reader, start: float, year: float, flags: Sequence[Flag]) -> Claim:
    names = [str(s) for s in reader.ensemble["scenario"].values]
    singles = [s for s in SINGLE_PATHS if s in names]
    if not singles:
        singles = [s for s in names if s != BASELINE]
    gains = {s: reader.describe(reader.gain(s, SOCIAL_INDEX, year)) for s in singles}
    best = max(gains, key=lambda s: gains[s][0])
    value, low, high = gains[best]
    econ, e_low, e_high = reader.describe(reader.gain(best, ECONOMIC_INDEX, year))
    text = (
        f"Of the {len(singles)} single paths, the {scenario_name(best)} raises the social "
        f"upgrading index most: {signed(value)} over baseline by {year:g}{_range(low, high)}, "
        f"while the economic upgrading index changes by {signed(econ)}{_range(e_low, e_high)}."
    )
    mentioned = [best]
    if COMBINED in names:
        c_value, c_low, c_high = reader.describe(reader.gain(COMBINED, SOCIAL_INDEX, year))
        text += f" All paths together raise it by {signed(c_value)}{_range(c_low, c_high)}."
        mentioned.append(COMBINED)
    others = [s for s in names if s not in (BASELINE, COMBINED, *SINGLE_PATHS, *DISPLACED)]
    if others:
        own = {s: reader.describe(reader.gain(s, SOCIAL_INDEX, year)) for s in others}
        top = max(own, key=lambda s: own[s][0])
        text += (
            f" Of the other scenarios, {scenario_name(top)} raises it most: "
            f"{signed(own[top][0])}{_range(*own[top][1:])}."
        )
        mentioned.append(top)
    return Claim(
        key="best_path",
        question="Which governance paths, alone or combined, bring social upgrading?",
        answer=text,
        value=value,
        low=low,
        high=high,
        year=year,
        flags=_flags_for(flags, mentioned, start, year),
    )


def _synergy(reader: _Reader, start: float, year: float, flags: Sequence[Flag]) -> Claim | None:
    names = [str(s) for s in reader.ensemble["scenario"].values]
    singles = [s for s in SINGLE_PATHS if s in names]
    if COMBINED not in names or len(singles) != len(SINGLE_PATHS):
        return None
    combined = reader.gain(COMBINED, SOCIAL_INDEX, year)
    single = np.vstack([reader.gain(s, SOCIAL_INDEX, year) for s in singles])
    total = single.sum(axis=0)
    best_each = single.max(axis=0)
    est = reader.estimate
    best = singles[int(np.argmax(single[:, est]))]
    beats_best = combined > best_each
    share = float(np.mean(beats_best[[i for i, m in enumerate(reader.labels) if m != ESTIMATE]]))
    c_value, c_low, c_high = reader.describe(combined)
    excess, x_low, x_high = reader.describe(combined - total)
    if combined[est] > total[est]:
        verdict = "Synergy."
    elif combined[est] > best_each[est]:
        verdict = "More than any single path, less than all of them added up."
    else:
        verdict = "No synergy."
    share_text = (
        f"; it beats the best single path in {share:.0%} of the parameter sets"
        if np.isfinite(share)
        else ""
    )
    text = (
        f"{verdict} All paths together change the social upgrading index by "
        f"{signed(c_value)} by {year:g}{_range(c_low, c_high)}, against "
        f"{signed(single[:, est].max())} for the best single path ({scenario_name(best)})"
        f"{share_text}. Against the single paths' changes added up ({signed(float(total[est]))}) "
        f"it is {synergy_reading(c_value, float(total[est]))}; the difference is "
        f"{signed(excess)}{_range(x_low, x_high)}."
    )
    mentioned = [COMBINED, best]
    if all(s in names for s in DISPLACED):
        displaced, csr = DISPLACED
        d_value, d_low, d_high = reader.describe(reader.gain(displaced, SOCIAL_INDEX, year))
        c_only = float(reader.gain(csr, SOCIAL_INDEX, year)[est])
        lower = d_value < c_only
        text += (
            f" Displacement: when private audits crowd out public enforcement, the CSR path's "
            f"gain in the social index is {signed(d_value)}{_range(d_low, d_high)} instead of "
            f"{signed(c_only)}, "
            + ("smaller, as the paper's displacement argument expects." if lower else
               "not smaller, unlike the paper's displacement argument.")
        )  # fmt: skip
        mentioned.append(displaced)
    return Claim(
        key="synergy",
        question="Do governance forms reinforce each other (synergy) or crowd each other out "
        "(displacement)?",
        answer=text,
        value=excess,
        low=x_low,
        high=x_high,
        year=year,
        flags=_flags_for(flags, mentioned, start, year),
    )


def summary_claims(
    ensemble: xr.Dataset, *, start: float, year: float, flags: Sequence[Flag] = ()
) -> list[Claim]:
    """Answer the three questions from the scenario ensemble.

    Parameters
    ----------
    ensemble : xarray.Dataset
        Outcomes over ``(scenario, member, time)`` with ``baseline`` and the
        headline indices (:data:`ECONOMIC_INDEX`, :data:`SOCIAL_INDEX`).
    start : float
        Year the levers switch on (the history runs up to it).
    year : float
        Evaluation year of the scenario differences.
    flags : sequence of Flag
        Plausibility flags; each claim carries those of the scenarios it names.

    Returns
    -------
    list of Claim
        In the order of the questions (the synergy answer only when the
        combined scenario and every single path ran).
    """
    missing = [v for v in (ECONOMIC_INDEX, SOCIAL_INDEX) if v not in ensemble]
    if missing:
        return []
    reader = _Reader(ensemble)
    claims = [
        _economic_social(reader, start, year, flags),
        _best_path(reader, start, year, flags),
        _synergy(reader, start, year, flags),
    ]
    return [claim for claim in claims if claim is not None]


def claims_frame(claims: Sequence[Claim], labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Return the claims as a table (one row each; what ``tables/summary.csv`` holds)."""
    return pd.DataFrame(
        [
            {
                "question": claim.question,
                "answer": claim.answer,
                "value": claim.value,
                "low_5pct": claim.low,
                "high_95pct": claim.high,
                "year": claim.year,
                "flags": "; ".join(claim.flags) or "none",
                "key": claim.key,
            }
            for claim in claims
        ]
    )
