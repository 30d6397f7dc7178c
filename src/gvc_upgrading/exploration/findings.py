"""Findings of an exploration study in plain words, and their JSON file.

:func:`summarise` turns a result (or its :class:`~.analysis.Analysis`) into a
:class:`Findings`: the share of futures in each outcome class per policy, the
ranking, the PRIM box of the target class, the conditions that matter most,
and sentences a report can quote. The sentences state what the runs show,
including where they disagree with Gereffi & Lee (2016).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import MISSING, asdict, dataclass, field
from pathlib import Path
from typing import Any

import xarray as xr

from ..errors import SpecError
from ..io import atomic_path
from .analysis import Analysis, analyse
from .classify import CLASSES

__all__ = ["FINDINGS_FILE", "Findings", "load_findings", "save_findings", "summarise"]

#: Name of the findings file in an output folder.
FINDINGS_FILE = "findings.json"

_LABELS = {
    "baseline": "baseline governance",
    "market": "market-driven upgrading",
    "csr": "CSR alone",
    "multi_stakeholder": "multi-stakeholder initiatives",
    "labour": "labour organising",
    "cluster": "cluster collective action",
    "public": "public governance",
    "synergistic": "the synergistic path",
    "displacement": "CSR with crowding out",
}


def _label(policy: str) -> str:
    return _LABELS.get(policy, policy)


def _pct(value: float) -> str:
    if 0 < value < 0.001:
        return "under 0.1%"
    if 0 < value < 0.01:
        return f"{100 * value:.1f}%"
    return f"{100 * value:.0f}%"


@dataclass(frozen=True)
class Findings:
    """The findings of one exploration study.

    Attributes
    ----------
    study : str
        Study name.
    model_sha256 : str
        sha256 of the model file the runs used.
    n, seed, runs : int
        Futures, seed of their Latin hypercube, and model runs.
    horizon : list of float
        Start and end year of the changes that classify runs.
    thresholds : dict
        ``economic`` and ``social`` thresholds.
    shares : dict
        ``policy -> class -> share of futures``.
    ranking : list of str
        Policies from most to fewest futures with both upgrades.
    prim : dict or None
        ``target, coverage, density, base_rate, limits`` (list of
        ``parameter, lower, upper, qp_lower, qp_upper``).
    conditions : list of dict
        The uncertain conditions with the highest feature score for the
        target class (``parameter, score``), best first.
    levers : list of dict
        The same for policy levers.
    medians : dict
        ``policy -> {"economic", "social"} ->`` median change of the index.
    sentences : list of str
        The findings in words.
    """

    study: str
    model_sha256: str
    n: int
    seed: int
    runs: int
    horizon: list[float]
    thresholds: dict[str, float]
    shares: dict[str, dict[str, float]]
    ranking: list[str]
    prim: dict[str, Any] | None
    conditions: list[dict[str, Any]] = field(default_factory=list)
    levers: list[dict[str, Any]] = field(default_factory=list)
    medians: dict[str, dict[str, float]] = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the findings as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Findings:
        """Rebuild findings from :meth:`to_dict` data.

        Raises
        ------
        SpecError
            If keys are missing or unknown.
        """
        fields = cls.__dataclass_fields__
        unknown = set(data) - set(fields)
        missing = {
            name
            for name, spec in fields.items()
            if name not in data and spec.default is MISSING and spec.default_factory is MISSING
        }
        if unknown or missing:
            raise SpecError(
                f"findings: unknown key(s) {sorted(unknown)}, missing key(s) {sorted(missing)}"
            )
        return cls(**data)

    def text(self) -> str:
        """Return the sentences as one paragraph."""
        return " ".join(self.sentences)

    def share(self, policy: str, outcome: str = "both") -> float:
        """Return the share of futures of ``policy`` in class ``outcome``."""
        return self.shares[policy][outcome]


def _top(scores, names, target: str, count: int) -> list[dict[str, Any]]:
    if target not in scores or scores[target].isna().all():
        return []
    column = scores.loc[list(names), target].sort_values(ascending=False).head(count)
    return [{"parameter": str(p), "score": float(s)} for p, s in column.items()]


def _prim_dict(analysis: Analysis, base_rate: float) -> dict[str, Any] | None:
    box = analysis.prim
    if box is None:
        return None
    limits = [
        {
            "parameter": str(name),
            "lower": float(row["lower"]),
            "upper": float(row["upper"]),
            "restricted_lower": bool(row["lower"] > row["minimum"]),
            "restricted_upper": bool(row["upper"] < row["maximum"]),
            "qp_lower": None if math.isnan(row["qp_lower"]) else float(row["qp_lower"]),
            "qp_upper": None if math.isnan(row["qp_upper"]) else float(row["qp_upper"]),
        }
        for name, row in box.limits.iterrows()
    ]
    return {
        "target": box.target,
        "coverage": box.coverage,
        "density": box.density,
        "base_rate": base_rate,
        "limits": limits,
    }


def _limit_words(limit: dict[str, Any]) -> str:
    name = limit["parameter"]
    low, high = limit["restricted_lower"], limit["restricted_upper"]
    if low and high:
        return f"{name} between {limit['lower']:.3g} and {limit['upper']:.3g}"
    if low:
        return f"{name} at least {limit['lower']:.3g}"
    return f"{name} at most {limit['upper']:.3g}"


def _sentences(findings: Findings) -> list[str]:
    shares, ranking, n = findings.shares, findings.ranking, findings.n
    lines = []
    both = {p: s["both"] for p, s in shares.items()}
    if "synergistic" in both and "csr" in both:
        lines.append(
            f"Economic and social upgrading both happen in {_pct(both['synergistic'])} of "
            f"{n:,} plausible futures under the synergistic path, against "
            f"{_pct(both['csr'])} under CSR alone."
        )
    best, worst = ranking[0], ranking[-1]
    lines.append(
        f"Across the {len(shares)} policies, {_label(best)} ({best}) gives both upgrades in the "
        f"most futures ({_pct(both[best])}) and {_label(worst)} ({worst}) in the fewest "
        f"({_pct(both[worst])})."
    )
    if "synergistic" in both and best != "synergistic":
        place = ranking.index("synergistic") + 1
        lines.append(
            f"This is against Gereffi & Lee (2016), who expect private, social and public "
            f"governance layered together to do best: the synergistic path ranks {place} of "
            f"{len(ranking)} here."
        )
    elif best == "synergistic":
        lines.append(
            "As Gereffi & Lee (2016) expect, layering private, social and public governance "
            "(the synergistic path) gives both upgrades in the most futures."
        )
    if findings.medians:
        medians = findings.medians
        top = max(medians, key=lambda p: medians[p]["social"])
        text = (
            f"The largest median social gain comes from {_label(top)} "
            f"({medians[top]['social']:+.2f} on the social index"
        )
        if "baseline" in medians and top != "baseline":
            text += f", against {medians['baseline']['social']:+.2f} under baseline governance"
        text += f"), with a median economic change of {medians[top]['economic']:+.2f}"
        if "baseline" in medians and top != "baseline":
            text += f" (baseline {medians['baseline']['economic']:+.2f})"
        lines.append(text + ".")
    displaced = {p: s["displacement"] for p, s in shares.items()}
    worst_displacement = max(displaced, key=lambda policy: displaced[policy])
    economic_only = {p: s["economic_only"] for p, s in shares.items()}
    if "baseline" in economic_only:
        lines.append(
            f"Under baseline governance economic upgrading comes without social upgrading in "
            f"{_pct(economic_only['baseline'])} of futures"
            + (
                f"; economic upgrading with falling social conditions is most frequent under "
                f"{_label(worst_displacement)} ({_pct(displaced[worst_displacement])})."
                if displaced[worst_displacement] > 0
                else "; no policy sees economic upgrading with falling social conditions."
            )
        )
    if findings.conditions:
        named = ", ".join(f"{c['parameter']} ({c['score']:.2f})" for c in findings.conditions[:3])
        lines.append(
            f"The uncertain conditions that matter most for both upgrades (extra-trees feature "
            f"scores) are {named}"
            + (
                "; among policy levers, "
                + ", ".join(f"{c['parameter']} ({c['score']:.2f})" for c in findings.levers[:3])
                + "."
                if findings.levers
                else "."
            )
        )
    if findings.prim is not None and findings.prim["limits"]:
        box = findings.prim
        lines.append(
            "PRIM finds both upgrades concentrated where "
            + "; ".join(_limit_words(limit) for limit in box["limits"])
            + f": that box holds {_pct(box['coverage'])} of the futures with both upgrades, at a "
            f"density of {_pct(box['density'])} against {_pct(box['base_rate'])} overall."
        )
    return lines


def summarise(result: xr.Dataset, analysis: Analysis | None = None) -> Findings:
    """Return the findings of an exploration result.

    Parameters
    ----------
    result : xarray.Dataset
        A result of :func:`~.runs.explore`.
    analysis : Analysis, optional
        Its analysis, when already computed (default: :func:`~.analysis.analyse`).

    Returns
    -------
    Findings
    """
    analysis = analyse(result) if analysis is None else analysis
    table = analysis.robustness
    shares = {
        str(policy): {name: float(table.at[policy, f"share_{name}"]) for name in CLASSES}
        for policy in json.loads(result.attrs["policies"])
    }
    target = analysis.prim.target if analysis.prim is not None else "both"
    codes = result["outcome_class"].values
    base_rate = float((codes == CLASSES.index(target)).mean())
    findings = Findings(
        study=str(result.attrs["study"]),
        model_sha256=str(result.attrs["model_sha256"]),
        n=int(result.attrs["n"]),
        seed=int(result.attrs["seed"]),
        runs=int(result.attrs["runs"]),
        horizon=[float(y) for y in json.loads(result.attrs["horizon"])],
        thresholds={
            "economic": float(result.attrs["economic_threshold"]),
            "social": float(result.attrs["social_threshold"]),
        },
        shares=shares,
        ranking=[str(p) for p in table.index],
        prim=_prim_dict(analysis, base_rate),
        conditions=_top(analysis.scores, analysis.uncertainties, target, 5),
        levers=_top(analysis.scores, analysis.levers, target, 5),
        medians={
            str(policy): {
                "economic": float(table.at[policy, "median_delta_economic"]),
                "social": float(table.at[policy, "median_delta_social"]),
            }
            for policy in shares
        },
    )
    return Findings(**{**findings.to_dict(), "sentences": _sentences(findings)})


def save_findings(findings: Findings, path: str | os.PathLike[str]) -> Path:
    """Write findings to a JSON file, atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(findings.to_dict(), indent=2, sort_keys=True) + "\n")
    return Path(path)


def load_findings(path: str | os.PathLike[str]) -> Findings:
    """Read findings written by :func:`save_findings` (or a folder holding ``findings.json``).

    Raises
    ------
    SpecError
        If the file is missing, not JSON, or not findings.
    """
    path = Path(path)
    if path.is_dir():
        path = path / FINDINGS_FILE
    if not path.is_file():
        raise SpecError(f"findings file {path} does not exist")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: not a JSON findings file: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{path}: findings must be a JSON object")
    try:
        return Findings.from_dict(data)
    except SpecError as exc:
        raise SpecError(f"{path}: {exc}") from exc
