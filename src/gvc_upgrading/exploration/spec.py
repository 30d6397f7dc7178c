"""Exploration study specs: uncertainties, policies, outcome classes, analysis settings.

A study is declared in TOML (``sensitivity/exploration/*.toml``, format in
``sensitivity/exploration/README.md``) or given as a mapping of the same
structure. :func:`load_spec` checks its structure on its own; :meth:`ExplorationSpec.check`
checks it against a model (parameter names and bounds, variables, years) and the
scenario folder, before any run.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ParameterRangeError, SpecError, UnknownParameterError
from ..validation import ParameterTable, close_matches

__all__ = [
    "COMBINE_RULES",
    "ClassRules",
    "ExplorationSpec",
    "FeatureScoring",
    "PolicySpec",
    "PrimSettings",
    "Uncertainty",
    "load_spec",
    "spec_from_mapping",
]

#: How levers set by several scenarios of a combined policy are merged:
#: ``"max"`` keeps the stronger value (every path's lever is an intensity),
#: ``"error"`` refuses any disagreement.
COMBINE_RULES: tuple[str, ...] = ("max", "error")

_TOP_KEYS = frozenset(
    {
        "name",
        "description",
        "model",
        "n",
        "seed",
        "chunk_size",
        "outcomes",
        "policies",
        "horizon",
        "classes",
        "uncertainties",
        "combinations",
        "prim",
        "feature_scoring",
    }
)
_UNCERTAINTY_KEYS = frozenset({"name", "lower", "upper"})
_POLICY_KEYS = frozenset({"name", "scenarios", "parameters", "intensity", "start"})
_HORIZON_KEYS = frozenset({"start", "end", "every"})
_CLASS_KEYS = frozenset(
    {"economic", "social", "economic_threshold", "social_threshold", "reference"}
)
_COMBINATION_KEYS = frozenset({"of", "sizes", "rule"})
_PRIM_KEYS = frozenset({"target", "threshold", "peel_alpha", "min_coverage", "max_runs"})
_SCORING_KEYS = frozenset({"max_runs", "trees"})


@dataclass(frozen=True)
class Uncertainty:
    """A deeply uncertain model parameter, sampled uniformly in ``[lower, upper]``."""

    name: str
    lower: float
    upper: float


@dataclass(frozen=True)
class PolicySpec:
    """A policy: scenarios laid together, extra lever values, and an intensity.

    Attributes
    ----------
    name : str
        Label in results.
    scenarios : tuple of str
        Scenario names (``models/scenarios``) whose values are merged.
    parameters : dict of str to float
        Lever values set on top of the scenarios.
    intensity : float
        Each lever moves ``intensity`` of the way from the model default to
        its policy value (1: the scenario as written; 0: the baseline).
    start : float or None
        Year the levers switch from the model defaults to the policy's values
        (None: from the first year of the run).
    """

    name: str
    scenarios: tuple[str, ...] = ()
    parameters: dict[str, float] = field(default_factory=dict)
    intensity: float = 1.0
    start: float | None = None


@dataclass(frozen=True)
class ClassRules:
    """Thresholds that sort a run into an outcome class (see :mod:`.classify`).

    ``reference`` names the policy whose value at the horizon's start, in the
    same future, is the starting point of every policy's change (so that a
    lever acting from the first year is not read as part of the starting
    point); ``""`` measures each run from its own start.
    """

    economic: str = "Economic upgrading index"
    social: str = "Social upgrading index"
    economic_threshold: float = 0.05
    social_threshold: float = 0.05
    reference: str = ""


@dataclass(frozen=True)
class PrimSettings:
    """PRIM scenario discovery settings (ema-workbench's :class:`Prim`)."""

    target: str = "both"
    threshold: float = 0.8
    peel_alpha: float = 0.05
    min_coverage: float = 0.5
    max_runs: int = 20000


@dataclass(frozen=True)
class FeatureScoring:
    """Extra-trees feature scoring settings."""

    max_runs: int = 5000
    trees: int = 100


@dataclass(frozen=True)
class ExplorationSpec:
    """One exploration study (see the module docstring and the README of the specs)."""

    name: str
    uncertainties: tuple[Uncertainty, ...]
    policies: tuple[PolicySpec, ...]
    description: str = ""
    model: str | None = None
    n: int = 1000
    seed: int = 20160101
    chunk_size: int = 32768
    start: float = 1995.0
    end: float = 2035.0
    every: float = 5.0
    classes: ClassRules = ClassRules()
    outcomes: tuple[str, ...] = ()
    prim: PrimSettings = PrimSettings()
    feature_scoring: FeatureScoring = FeatureScoring()
    combine: str = "max"
    source: str = "<mapping>"

    @property
    def uncertainty_names(self) -> tuple[str, ...]:
        """Names of the uncertain parameters, in design-column order."""
        return tuple(u.name for u in self.uncertainties)

    @property
    def years(self) -> tuple[float, ...]:
        """Saved years: ``start``, every ``every`` years, and ``end``."""
        count = math.floor((self.end - self.start) / self.every + 1e-9)
        years = [self.start + i * self.every for i in range(count + 1)]
        if years[-1] < self.end:
            years.append(self.end)
        return tuple(years)

    @property
    def variables(self) -> tuple[str, ...]:
        """Model variables kept per run: the two indices, then the extra outcomes."""
        return tuple(dict.fromkeys((self.classes.economic, self.classes.social, *self.outcomes)))

    def with_options(self, **changes: Any) -> ExplorationSpec:
        """Return a copy with some fields replaced (``n``, ``seed``, ...), checked again."""
        spec = replace(self, **changes)
        _check_numbers(spec)
        return spec

    def to_json(self) -> str:
        """Serialise the spec (for provenance attributes and checkpoint keys)."""
        data = asdict(self)
        data.pop("source")
        return json.dumps(data, sort_keys=True, default=list)

    def spec_hash(self, *extra: object) -> str:
        """Return a sha256 of the spec and ``extra`` (e.g. the model's sha256)."""
        text = self.to_json() + json.dumps([str(e) for e in extra])
        return hashlib.sha256(text.encode()).hexdigest()

    def check(
        self,
        parameters: pd.DataFrame,
        variables: Sequence[str],
        time_range: tuple[float, float],
        scenario_names: Sequence[str],
    ) -> None:
        """Check the spec against a model and the available scenarios.

        Parameters
        ----------
        parameters : pandas.DataFrame
            The model's parameter table (index: names; ``lower``, ``upper``).
        variables : sequence of str
            The model's variables.
        time_range : (float, float)
            INITIAL TIME and FINAL TIME of the model.
        scenario_names : sequence of str
            Scenario names that policies may refer to.

        Raises
        ------
        SpecError
            Naming the first unknown parameter, variable or scenario, a range
            outside the model's bounds, a horizon outside the run, or an
            uncertainty that a policy also sets.
        """
        where = self.source
        table = ParameterTable(parameters, check=False)  # names and ranges: one check, one wording
        for u in self.uncertainties:
            try:
                table.check_names([u.name], variables=variables)
                table.check_interval(u.name, u.lower, u.upper)
            except (UnknownParameterError, ParameterRangeError) as exc:
                raise SpecError(f"{where}: uncertainty: {exc}") from exc
        for name in self.variables:
            if name not in variables:
                hint = close_matches(name, variables)
                extra = f"; did you mean {' or '.join(map(repr, hint))}?" if hint else ""
                raise SpecError(f"{where}: unknown outcome variable {name!r}{extra}")
        first, last = time_range
        if self.start < first or self.end > last:
            raise SpecError(
                f"{where}: horizon [{self.start:g}, {self.end:g}] lies outside the model's run "
                f"[{first:g}, {last:g}]"
            )
        known = set(scenario_names)
        uncertain = set(self.uncertainty_names)
        for policy in self.policies:
            if policy.start is not None and not first < policy.start < last:
                raise SpecError(
                    f"{where}: policy {policy.name!r} starts in {policy.start:g}, outside the "
                    f"model's run ({first:g}, {last:g})"
                )
            for scenario in policy.scenarios:
                if scenario not in known:
                    hint = close_matches(scenario, known)
                    extra = f"; did you mean {' or '.join(map(repr, hint))}?" if hint else ""
                    raise SpecError(
                        f"{where}: policy {policy.name!r}: unknown scenario {scenario!r}{extra}"
                    )
            for name in policy.parameters:
                try:
                    table.check_names([name], variables=variables)
                except UnknownParameterError as exc:
                    raise SpecError(f"{where}: policy {policy.name!r}: {exc}") from exc
                if name in uncertain:
                    raise SpecError(
                        f"{where}: {name!r} is both an uncertainty and a lever of policy "
                        f"{policy.name!r}; make it one or the other"
                    )


def _number(where: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(f"{where}: {key!r} must be a finite number, got {value!r}")
    return float(value)


def _integer(where: str, key: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SpecError(f"{where}: {key!r} must be a whole number ≥ {minimum}, got {value!r}")
    return value


def _text(where: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
    return value.strip()


def _table(where: str, key: str, value: object, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SpecError(f"{where}: [{key}] must be a table")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise SpecError(
            f"{where}: unknown key(s) {unknown} in [{key}]; allowed: {', '.join(sorted(allowed))}"
        )
    return value


def _uncertainty(where: str, index: int, entry: object) -> Uncertainty:
    at = f"{where}: uncertainties[{index}]"
    entry = _table(at, "uncertainties", entry, _UNCERTAINTY_KEYS)
    missing = sorted(_UNCERTAINTY_KEYS - set(entry))
    if missing:
        raise SpecError(f"{at}: missing key(s) {missing}")
    name = _text(at, "name", entry["name"])
    lower, upper = _number(at, "lower", entry["lower"]), _number(at, "upper", entry["upper"])
    if not lower < upper:
        raise SpecError(f"{at} ({name!r}): lower ({lower:g}) must be below upper ({upper:g})")
    return Uncertainty(name, lower, upper)


def _policy(where: str, index: int, entry: object) -> PolicySpec:
    if isinstance(entry, str):
        return PolicySpec(name=_text(where, f"policies[{index}]", entry), scenarios=(entry,))
    at = f"{where}: policies[{index}]"
    entry = _table(at, "policies", entry, _POLICY_KEYS)
    name = _text(at, "name", entry.get("name"))
    scenarios = entry.get("scenarios", [])
    if not isinstance(scenarios, list) or not all(isinstance(s, str) for s in scenarios):
        raise SpecError(f"{at} ({name!r}): 'scenarios' must be a list of scenario names")
    raw = entry.get("parameters", {})
    if not isinstance(raw, Mapping):
        raise SpecError(f"{at} ({name!r}): 'parameters' must be a table of name = number")
    parameters = {str(k): _number(at, str(k), v) for k, v in raw.items()}
    intensity = _number(at, "intensity", entry.get("intensity", 1.0))
    if not 0.0 <= intensity <= 1.0:
        raise SpecError(f"{at} ({name!r}): 'intensity' must lie in [0, 1], got {intensity:g}")
    start = entry.get("start")
    if start is not None:
        start = _number(at, "start", start)
    return PolicySpec(name, tuple(scenarios), parameters, intensity, start)


def _combinations(where: str, entry: object) -> list[PolicySpec]:
    entry = _table(where, "combinations", entry, _COMBINATION_KEYS)
    paths = entry.get("of", [])
    if not isinstance(paths, list) or len(paths) < 2 or not all(isinstance(p, str) for p in paths):
        raise SpecError(f"{where}: [combinations] 'of' must list at least two scenario names")
    sizes = entry.get("sizes", [2])
    if not isinstance(sizes, list) or not sizes:
        raise SpecError(f"{where}: [combinations] 'sizes' must be a non-empty list")
    for size in sizes:
        _integer(f"{where}: [combinations]", "sizes", size, 2)
        if size > len(paths):
            raise SpecError(
                f"{where}: [combinations] size {size} exceeds the {len(paths)} paths in 'of'"
            )
    return [
        PolicySpec(name="+".join(group), scenarios=tuple(group))
        for size in sizes
        for group in itertools.combinations(paths, size)
    ]


def _check_numbers(spec: ExplorationSpec) -> None:
    where = spec.source
    _integer(where, "n", spec.n, 2)
    _integer(where, "seed", spec.seed, 0)
    _integer(where, "chunk_size", spec.chunk_size, 1)
    if not spec.start < spec.end:
        raise SpecError(f"{where}: [horizon] start ({spec.start:g}) must be before end")
    if spec.every <= 0:
        raise SpecError(f"{where}: [horizon] 'every' must be positive")
    for key in ("economic_threshold", "social_threshold"):
        if getattr(spec.classes, key) < 0:
            raise SpecError(f"{where}: [classes] {key!r} must be ≥ 0")
    prim = spec.prim
    for key in ("threshold", "peel_alpha", "min_coverage"):
        value = getattr(prim, key)
        if not 0.0 < value < 1.0 and not (key == "min_coverage" and value == 1.0):
            raise SpecError(f"{where}: [prim] {key!r} must lie in (0, 1), got {value:g}")
    _integer(where, "prim.max_runs", prim.max_runs, 10)
    _integer(where, "feature_scoring.max_runs", spec.feature_scoring.max_runs, 10)
    _integer(where, "feature_scoring.trees", spec.feature_scoring.trees, 1)


def spec_from_mapping(data: Mapping[str, Any], *, source: str = "<mapping>") -> ExplorationSpec:
    """Build an :class:`ExplorationSpec` from a mapping (the parsed TOML).

    Raises
    ------
    SpecError
        On an unknown key, a missing or mistyped value, a duplicate name, or a
        policy list that is empty.
    """
    from .classify import CLASSES

    data = _table(source, "study", data, _TOP_KEYS)
    name = _text(source, "name", data.get("name", Path(source).stem or "study"))
    raw_uncertainties = data.get("uncertainties", [])
    if not isinstance(raw_uncertainties, list) or not raw_uncertainties:
        raise SpecError(f"{source}: at least one [[uncertainties]] table is needed")
    uncertainties = tuple(_uncertainty(source, i, e) for i, e in enumerate(raw_uncertainties))
    raw_policies = data.get("policies", [])
    if not isinstance(raw_policies, list):
        raise SpecError(f"{source}: 'policies' must be a list")
    policies = [_policy(source, i, e) for i, e in enumerate(raw_policies)]
    rule = "max"
    if "combinations" in data:
        policies += _combinations(source, data["combinations"])
        rule = data["combinations"].get("rule", "max")
        if rule not in COMBINE_RULES:
            raise SpecError(f"{source}: [combinations] rule must be one of {COMBINE_RULES}")
    if len(policies) < 2:
        raise SpecError(f"{source}: at least two policies are needed to compare them")
    for label, names in (
        ("uncertainty", [u.name for u in uncertainties]),
        ("policy", [p.name for p in policies]),
    ):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise SpecError(f"{source}: duplicate {label} name(s) {duplicates}")
    horizon = _table(source, "horizon", data.get("horizon", {}), _HORIZON_KEYS)
    classes = _table(source, "classes", data.get("classes", {}), _CLASS_KEYS)
    prim = _table(source, "prim", data.get("prim", {}), _PRIM_KEYS)
    scoring = _table(source, "feature_scoring", data.get("feature_scoring", {}), _SCORING_KEYS)
    outcomes = data.get("outcomes", [])
    if not isinstance(outcomes, list) or not all(isinstance(o, str) for o in outcomes):
        raise SpecError(f"{source}: 'outcomes' must be a list of model variable names")
    target = prim.get("target", "both")
    if target not in CLASSES:
        raise SpecError(f"{source}: [prim] target must be one of {CLASSES}, got {target!r}")
    defaults = ClassRules()
    spec = ExplorationSpec(
        name=name,
        description=str(data.get("description", "")).strip(),
        model=data.get("model"),
        uncertainties=uncertainties,
        policies=tuple(policies),
        n=data.get("n", 1000),
        seed=data.get("seed", 20160101),
        chunk_size=data.get("chunk_size", 32768),
        start=_number(source, "horizon.start", horizon.get("start", 1995.0)),
        end=_number(source, "horizon.end", horizon.get("end", 2035.0)),
        every=_number(source, "horizon.every", horizon.get("every", 5.0)),
        classes=ClassRules(
            economic=_text(source, "economic", classes.get("economic", defaults.economic)),
            social=_text(source, "social", classes.get("social", defaults.social)),
            economic_threshold=_number(
                source, "economic_threshold", classes.get("economic_threshold", 0.05)
            ),
            social_threshold=_number(
                source, "social_threshold", classes.get("social_threshold", 0.05)
            ),
            reference=str(classes.get("reference", "")),
        ),
        outcomes=tuple(outcomes),
        prim=PrimSettings(
            target=target,
            threshold=_number(source, "prim.threshold", prim.get("threshold", 0.8)),
            peel_alpha=_number(source, "prim.peel_alpha", prim.get("peel_alpha", 0.05)),
            min_coverage=_number(source, "prim.min_coverage", prim.get("min_coverage", 0.5)),
            max_runs=prim.get("max_runs", 20000),
        ),
        feature_scoring=FeatureScoring(
            max_runs=scoring.get("max_runs", 5000), trees=scoring.get("trees", 100)
        ),
        combine=rule,
        source=source,
    )
    _check_numbers(spec)
    reference = spec.classes.reference
    if reference and reference not in {p.name for p in spec.policies}:
        raise SpecError(f"{source}: [classes] reference {reference!r} is not one of the policies")
    return spec


def load_spec(
    source: str | os.PathLike[str] | Mapping[str, Any] | ExplorationSpec,
) -> ExplorationSpec:
    """Read an exploration spec from a TOML file (or a mapping, or pass a spec through).

    Raises
    ------
    SpecError
        If the file is missing, not valid TOML, or malformed (the message
        names the file and the problem).
    """
    if isinstance(source, ExplorationSpec):
        return source
    if isinstance(source, Mapping):
        return spec_from_mapping(source)
    path = Path(source)
    if not path.is_file():
        raise SpecError(f"exploration spec {path} does not exist")
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: TOML syntax error: {exc}") from exc
    data.setdefault("name", path.stem)
    spec = spec_from_mapping(data, source=str(path))
    if spec.model is not None:
        model_path = Path(spec.model)
        if not model_path.is_absolute():
            model_path = path.parent / model_path
        spec = replace(spec, model=str(model_path))
    return spec
