"""Sensitivity study specifications: what to vary, what to measure, how many runs.

A study is declared in TOML (``sensitivity/studies/*.toml``, format described
in ``sensitivity/studies/README.md``) or given as a mapping of the same
structure, and read into a frozen :class:`Study`. :func:`load_study` checks the
structure on its own; :meth:`Study.resolve` checks it against a model's
parameter and variable tables and fills in bounds and groups from the model.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..arguments import BOOL, INTEGER, check_arguments
from ..errors import ParameterRangeError, SpecError, UnknownParameterError
from ..spec_checks import read_toml
from ..validation import ParameterTable, close_matches

__all__ = [
    "DISTRIBUTIONS",
    "REDUCERS",
    "ConvergenceSettings",
    "OutputSpec",
    "ParameterSpec",
    "Study",
    "load_study",
    "study_from_mapping",
]

#: Input distributions a study may give a parameter (all bounded by ``lower``/``upper``).
DISTRIBUTIONS: tuple[str, ...] = ("unif", "logunif", "triang", "truncnorm")

#: How a model variable's trajectory becomes an output: value at a year, mean over
#: a span of years, or the whole trajectory (indices per saved year).
REDUCERS: tuple[str, ...] = ("at", "mean", "trajectory")

_STUDY_KEYS = frozenset(
    {
        "name",
        "description",
        "model",
        "scenario",
        "n",
        "second_order",
        "seed",
        "grouped",
        "num_resamples",
        "conf_level",
        "chunk_size",
        "parameters",
        "outputs",
        "convergence",
    }
)
_PARAMETER_KEYS = frozenset(
    {"name", "lower", "upper", "distribution", "peak", "mean", "sd", "group"}
)
_OUTPUT_KEYS = frozenset({"name", "variable", "reducer", "year", "start", "end"})
_CONVERGENCE_KEYS = frozenset({"start", "cap", "tolerance", "top"})


@dataclass(frozen=True)
class ParameterSpec:
    """One varied parameter.

    Attributes
    ----------
    name : str
        The model's (Vensim) name, or any label for a function target.
    lower, upper : float
        Bounds; NaN until resolved against a model when the spec leaves them
        out.
    distribution : str
        One of :data:`DISTRIBUTIONS`; ``"unif"`` by default.
    peak : float or None
        Mode of a ``"triang"`` distribution (between the bounds).
    mean, sd : float or None
        Mean and standard deviation of a ``"truncnorm"`` distribution.
    group : str
        Governance group (actor × scope, or ``"economic"``/``"structural"``);
        ``""`` until resolved when the spec leaves it out.
    """

    name: str
    lower: float = math.nan
    upper: float = math.nan
    distribution: str = "unif"
    peak: float | None = None
    mean: float | None = None
    sd: float | None = None
    group: str = ""

    def salib_bounds(self) -> list[float]:
        """Return the ``bounds`` entry SALib expects for this distribution."""
        if self.distribution == "triang":
            width = self.upper - self.lower
            return [self.lower, self.upper, (self.peak - self.lower) / width]  # type: ignore[operator]
        if self.distribution == "truncnorm":
            return [self.lower, self.upper, self.mean, self.sd]  # type: ignore[list-item]
        return [self.lower, self.upper]


@dataclass(frozen=True)
class OutputSpec:
    """One measured output.

    Attributes
    ----------
    name : str
        Label of the output in results.
    variable : str
        The model variable it reads (the label itself for a function target).
    reducer : str
        ``"at"`` (value at ``year``), ``"mean"`` (mean over ``start``–``end``,
        saved years inclusive) or ``"trajectory"`` (every saved year).
    year, start, end : float or None
        Years used by the reducer.
    """

    name: str
    variable: str
    reducer: str = "at"
    year: float | None = None
    start: float | None = None
    end: float | None = None

    @property
    def is_trajectory(self) -> bool:
        """Whether the output yields one value per saved year."""
        return self.reducer == "trajectory"


@dataclass(frozen=True)
class ConvergenceSettings:
    """How :func:`~gvc_upgrading.sensitivity.convergence` doubles N.

    Attributes
    ----------
    start : int
        First N (a power of two).
    cap : int
        Largest N tried (a power of two).
    tolerance : float
        Largest acceptable width (half-width, as SALib reports) of an ST
        confidence interval.
    top : int
        Number of leading parameters whose ranking must be unchanged between
        consecutive N.
    """

    start: int = 256
    cap: int = 8192
    tolerance: float = 0.05
    top: int = 5


@dataclass(frozen=True)
class Study:
    """A sensitivity study: varied parameters, outputs, sample size and seed.

    Build one with :func:`load_study`. Every field is immutable; use
    :meth:`with_options` to change N, seed or second order.

    Attributes
    ----------
    name, description : str
        What the study is.
    parameters : tuple of ParameterSpec
        Varied parameters, in the column order of the samples.
    outputs : tuple of OutputSpec
        Measured outputs (empty for a function target that names none).
    n : int
        Base sample size N (a power of two); Sobol' runs are ``N(2D+2)`` with
        second order, ``N(D+2)`` without.
    second_order : bool
        Whether second-order indices are estimated.
    seed : int
        Seed of the scrambled Sobol' sequence and of the bootstrap.
    scenario : str or None
        Scenario applied to every run of a model target.
    model : str or None
        Model file for the CLI (``None``: the shipped model). Relative paths
        are relative to the study file.
    grouped : bool
        Whether the CLI also runs the grouped study (indices per governance
        group and the group interaction map).
    num_resamples : int
        Bootstrap resamples for confidence intervals.
    conf_level : float
        Confidence level of the intervals.
    chunk_size : int
        Runs per evaluation chunk (the unit of progress and of checkpoints).
    convergence : ConvergenceSettings
        Settings of the N-doubling convergence check.
    source : str
        Where the study was read from (path, or ``"<mapping>"``).
    """

    name: str
    parameters: tuple[ParameterSpec, ...]
    outputs: tuple[OutputSpec, ...] = ()
    description: str = ""
    n: int = 1024
    second_order: bool = True
    seed: int = 20160101
    scenario: str | None = None
    model: str | None = None
    grouped: bool = False
    num_resamples: int = 100
    conf_level: float = 0.95
    chunk_size: int = 16384
    convergence: ConvergenceSettings = field(default_factory=ConvergenceSettings)
    source: str = "<mapping>"

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the varied parameters, in sample-column order."""
        return tuple(p.name for p in self.parameters)

    def groups(self) -> dict[str, tuple[str, ...]]:
        """Return the groups as ``{group: parameter names}``, in order of first appearance.

        Raises
        ------
        SpecError
            If a parameter has no group (resolve the study against a model, or
            give ``group`` in the spec).
        """
        missing = [p.name for p in self.parameters if not p.group]
        if missing:
            raise SpecError(
                f"study {self.name!r}: parameters without a group: {', '.join(missing)}"
                " (give 'group' in the spec or resolve the study against a model)"
            )
        result: dict[str, list[str]] = {}
        for p in self.parameters:
            result.setdefault(p.group, []).append(p.name)
        return {g: tuple(names) for g, names in result.items()}

    def with_options(self, **changes: Any) -> Study:
        """Return a copy with fields replaced (``n``, ``seed``, ``second_order`` …), re-checked."""
        updated = replace(self, **changes)
        _check_study(updated)
        return updated

    def problem(self, groups: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
        """Return the SALib problem definition (a plain dict, as SALib wants it).

        Parameters
        ----------
        groups : mapping of group name to parameter names, optional
            Groups for a grouped design; every parameter in exactly one group.
        """
        self.require_bounds()
        problem: dict[str, Any] = {
            "num_vars": len(self.parameters),
            "names": list(self.parameter_names),
            "bounds": [p.salib_bounds() for p in self.parameters],
            "dists": [p.distribution for p in self.parameters],
        }
        if groups is not None:
            problem["groups"] = _group_column(self.parameter_names, groups)
        return problem

    def spec_hash(self, *extra: object) -> str:
        """Return a sha256 over everything that determines the samples and evaluations.

        N is left out on purpose: the Sobol' design for N is a prefix of the
        design for 2N, so evaluations stay valid when N grows. ``extra``
        values (model sha256, design kind …) are mixed in.
        """
        payload = {
            "parameters": [asdict(p) for p in self.parameters],
            "outputs": [asdict(o) for o in self.outputs],
            "second_order": self.second_order,
            "seed": self.seed,
            "scenario": self.scenario,
            "chunk_size": self.chunk_size,
            "extra": [str(e) for e in extra],
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def resolve(
        self,
        parameter_table: pd.DataFrame,
        variables: Sequence[str] | pd.Index,
        *,
        time_range: tuple[float, float] | None = None,
    ) -> Study:
        """Check the study against a model and fill in bounds and groups from it.

        Parameters
        ----------
        parameter_table : pandas.DataFrame
            The model's parameter table (``Model.parameters``).
        variables : sequence of str
            Names of the model's variables (valid output variables).
        time_range : (float, float), optional
            The model's (initial, final) time; output years must lie inside.

        Returns
        -------
        Study
            With every parameter's bounds and group set.

        Raises
        ------
        SpecError
            Unknown parameter or output variable, bounds outside the model's
            declared range or missing in both, years outside the run, no outputs.
        """
        where = f"study {self.name!r}"
        resolved = []
        table = ParameterTable(parameter_table, check=False)  # one check, one wording
        for p in self.parameters:
            try:
                table.check_names([p.name], variables=variables)
            except UnknownParameterError as exc:
                raise SpecError(f"{where}: {exc}") from exc
            row = parameter_table.loc[p.name]
            lower = p.lower if math.isfinite(p.lower) else float(row["lower"])
            upper = p.upper if math.isfinite(p.upper) else float(row["upper"])
            if not (math.isfinite(lower) and math.isfinite(upper)):
                raise SpecError(
                    f"{where}: parameter {p.name!r} has no bounds in the spec and no"
                    " [min,max] range in the model"
                )
            try:
                table.check_interval(p.name, lower, upper)
            except ParameterRangeError as exc:
                raise SpecError(f"{where}: {exc}") from exc
            group = p.group or str(row["group"]) or "structural"
            resolved.append(replace(p, lower=lower, upper=upper, group=group))
        if not self.outputs:
            raise SpecError(f"{where}: a model study needs at least one entry in 'outputs'")
        known = set(variables)
        for o in self.outputs:
            if o.variable not in known:
                raise SpecError(
                    f"{where}: output {o.name!r} reads unknown variable"
                    f" {o.variable!r}{_suggest(o.variable, list(known))}"
                )
            if time_range is not None:
                _check_years(where, o, time_range)
        study = replace(self, parameters=tuple(resolved))
        _check_study(study)
        return study

    def require_bounds(self) -> None:
        """Raise :class:`SpecError` unless every parameter has finite bounds."""
        unknown = [p.name for p in self.parameters if not (math.isfinite(p.lower + p.upper))]
        if unknown:
            raise SpecError(
                f"study {self.name!r}: no bounds for {', '.join(unknown)}"
                " (give lower/upper in the spec or resolve the study against a model)"
            )


def _suggest(name: str, candidates: Sequence[str] | pd.Index) -> str:
    close = close_matches(name, [str(c) for c in candidates])
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def _check_years(where: str, o: OutputSpec, time_range: tuple[float, float]) -> None:
    first, last = time_range
    for label in ("year", "start", "end"):
        value = getattr(o, label)
        if value is not None and not first <= value <= last:
            raise SpecError(
                f"{where}: output {o.name!r} {label} {value:g} lies outside the run"
                f" [{first:g}, {last:g}]"
            )


def _group_column(names: Sequence[str], groups: Mapping[str, Sequence[str]]) -> list[str]:
    owner: dict[str, str] = {}
    for group, members in groups.items():
        if not members:
            raise SpecError(f"group {group!r} has no parameters")
        for member in members:
            if member not in names:
                raise SpecError(f"group {group!r} names {member!r}, which the study does not vary")
            if member in owner:
                raise SpecError(
                    f"parameter {member!r} is in two groups: {owner[member]!r} and {group!r}"
                )
            owner[member] = group
    missing = [n for n in names if n not in owner]
    if missing:
        raise SpecError(f"parameters in no group: {', '.join(missing)}")
    if len(groups) < 2:
        raise SpecError("a grouped design needs at least two groups")
    return [owner[n] for n in names]


def _is_power_of_two(value: int) -> bool:
    return value >= 2 and value & (value - 1) == 0


def _number(where: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"{where}: {key!r} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise SpecError(f"{where}: {key!r} must be finite, got {value!r}")
    return number


def _integer(where: str, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{where}: {key!r} must be an integer, got {value!r}")
    return value


def _unknown_keys(where: str, entry: Mapping[str, Any], allowed: frozenset[str]) -> None:
    extra = sorted(set(entry) - allowed)
    if extra:
        raise SpecError(
            f"{where}: unknown key(s) {', '.join(map(repr, extra))};"
            f" allowed: {', '.join(sorted(allowed))}"
        )


def _parse_parameter(study: str, index: int, entry: object) -> ParameterSpec:
    where = f"study {study!r}, parameters[{index}]"
    if not isinstance(entry, Mapping):
        raise SpecError(f"{where}: each parameter must be a table, got {entry!r}")
    _unknown_keys(where, entry, _PARAMETER_KEYS)
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"{where}: 'name' must be a non-empty string")
    where = f"study {study!r}, parameter {name!r}"
    values: dict[str, Any] = {"name": name}
    for key in ("lower", "upper", "peak", "mean", "sd"):
        if key in entry:
            values[key] = _number(where, key, entry[key])
    distribution = entry.get("distribution", "unif")
    if distribution not in DISTRIBUTIONS:
        raise SpecError(
            f"{where}: unknown distribution {distribution!r}; choose one of"
            f" {', '.join(DISTRIBUTIONS)}"
        )
    values["distribution"] = distribution
    group = entry.get("group", "")
    if not isinstance(group, str):
        raise SpecError(f"{where}: 'group' must be a string")
    values["group"] = group
    return ParameterSpec(**values)


def _parse_output(study: str, index: int, entry: object) -> OutputSpec:
    where = f"study {study!r}, outputs[{index}]"
    if not isinstance(entry, Mapping):
        raise SpecError(f"{where}: each output must be a table, got {entry!r}")
    _unknown_keys(where, entry, _OUTPUT_KEYS)
    variable = entry.get("variable", entry.get("name"))
    if not isinstance(variable, str) or not variable.strip():
        raise SpecError(f"{where}: 'variable' (or 'name') must be a non-empty string")
    reducer = entry.get("reducer", _default_reducer(entry))
    if reducer not in REDUCERS:
        raise SpecError(f"{where}: unknown reducer {reducer!r}; choose one of {REDUCERS}")
    years = {k: _number(where, k, entry[k]) for k in ("year", "start", "end") if k in entry}
    if reducer == "at" and "variable" in entry and "year" not in years:
        raise SpecError(f"{where}: reducer 'at' needs 'year'")
    if reducer == "mean":
        if "start" not in years or "end" not in years:
            raise SpecError(f"{where}: reducer 'mean' needs 'start' and 'end'")
        if years["start"] > years["end"]:
            raise SpecError(f"{where}: 'start' {years['start']:g} is after 'end' {years['end']:g}")
    name = entry.get("name")
    if name is None:
        name = _default_output_name(variable, reducer, years)
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"{where}: 'name' must be a non-empty string")
    return OutputSpec(name=name, variable=variable, reducer=reducer, **years)


def _default_reducer(entry: Mapping[str, Any]) -> str:
    """``at`` with a year, ``mean`` with a span, else the whole trajectory (model outputs)."""
    if "year" in entry or "variable" not in entry:
        return "at"
    if "start" in entry or "end" in entry:
        return "mean"
    return "trajectory"


def _default_output_name(variable: str, reducer: str, years: Mapping[str, float]) -> str:
    if reducer == "at" and "year" in years:
        return f"{variable} in {years['year']:g}"
    if reducer == "mean":
        return f"{variable}, mean {years['start']:g}-{years['end']:g}"
    return variable


def _parse_convergence(study: str, entry: object) -> ConvergenceSettings:
    where = f"study {study!r}, convergence"
    if not isinstance(entry, Mapping):
        raise SpecError(f"{where}: must be a table")
    _unknown_keys(where, entry, _CONVERGENCE_KEYS)
    values: dict[str, Any] = {}
    for key in ("start", "cap", "top"):
        if key in entry:
            values[key] = _integer(where, key, entry[key])
    if "tolerance" in entry:
        values["tolerance"] = _number(where, "tolerance", entry["tolerance"])
    return ConvergenceSettings(**values)


def _check_study(study: Study) -> None:
    where = f"study {study.name!r}"
    if not study.parameters:
        raise SpecError(f"{where}: 'parameters' is empty; vary at least one parameter")
    names = study.parameter_names
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpecError(f"{where}: parameters listed twice: {', '.join(duplicates)}")
    for p in study.parameters:
        if math.isfinite(p.lower) and math.isfinite(p.upper) and not p.lower < p.upper:
            raise SpecError(
                f"{where}: parameter {p.name!r} needs lower < upper, got"
                f" lower={p.lower:g}, upper={p.upper:g}"
            )
        if p.distribution == "logunif" and math.isfinite(p.lower) and p.lower <= 0:
            raise SpecError(f"{where}: 'logunif' parameter {p.name!r} needs lower > 0")
        if p.distribution == "triang":
            if p.peak is None:
                raise SpecError(f"{where}: 'triang' parameter {p.name!r} needs 'peak'")
            if math.isfinite(p.lower + p.upper) and not p.lower <= p.peak <= p.upper:
                raise SpecError(f"{where}: peak of {p.name!r} lies outside its bounds")
        if p.distribution == "truncnorm" and (p.mean is None or p.sd is None or p.sd <= 0):
            raise SpecError(
                f"{where}: 'truncnorm' parameter {p.name!r} needs 'mean' and a positive 'sd'"
            )
    labels = [o.name for o in study.outputs]
    repeated = sorted({n for n in labels if labels.count(n) > 1})
    if repeated:
        raise SpecError(f"{where}: output names used twice: {', '.join(repeated)}")
    check_arguments(
        where,
        error=SpecError,
        n=(study.n, INTEGER),
        seed=(study.seed, INTEGER),
        second_order=(study.second_order, BOOL),
    )
    if not _is_power_of_two(study.n):
        raise SpecError(f"{where}: N must be a power of two (2, 4, … 1024 …), got {study.n}")
    if not 0 <= study.seed < 2**63:  # stored in int64 netCDF attributes
        raise SpecError(f"{where}: seed must be an integer in [0, 2**63), got {study.seed}")
    if study.num_resamples < 2:
        raise SpecError(f"{where}: num_resamples must be at least 2")
    if not 0 < study.conf_level < 1:
        raise SpecError(f"{where}: conf_level must lie strictly between 0 and 1")
    if study.chunk_size < 1:
        raise SpecError(f"{where}: chunk_size must be positive")
    c = study.convergence
    if not (_is_power_of_two(c.start) and _is_power_of_two(c.cap) and c.start <= c.cap):
        raise SpecError(
            f"{where}: convergence start and cap must be powers of two with start <= cap"
        )
    if not c.tolerance > 0 or c.top < 1:
        raise SpecError(f"{where}: convergence tolerance must be > 0 and top >= 1")


def study_from_mapping(data: Mapping[str, Any], *, source: str = "<mapping>") -> Study:
    """Build a :class:`Study` from a mapping with the TOML structure.

    Raises
    ------
    SpecError
        On any structural problem, naming the study, entry and key.
    """
    if not isinstance(data, Mapping):
        raise SpecError(f"{source}: a study must be a table/mapping, got {type(data).__name__}")
    name = data.get("name", Path(source).stem if source != "<mapping>" else "study")
    if not isinstance(name, str) or not name:
        raise SpecError(f"{source}: 'name' must be a non-empty string")
    _unknown_keys(f"study {name!r}", data, _STUDY_KEYS)
    raw_parameters = data.get("parameters")
    if not isinstance(raw_parameters, list) or not raw_parameters:
        raise SpecError(f"study {name!r}: 'parameters' must be a non-empty list of tables")
    parameters = tuple(_parse_parameter(name, i, e) for i, e in enumerate(raw_parameters))
    outputs: tuple[OutputSpec, ...] = ()
    if "outputs" in data:
        raw_outputs = data["outputs"]
        if not isinstance(raw_outputs, list) or not raw_outputs:
            raise SpecError(
                f"study {name!r}: 'outputs' is empty; list at least one output"
                " (or leave the key out for a function target)"
            )
        outputs = tuple(_parse_output(name, i, e) for i, e in enumerate(raw_outputs))
    options: dict[str, Any] = {}
    for key in ("n", "seed", "num_resamples", "chunk_size"):
        if key in data:
            options[key] = _integer(f"study {name!r}", key, data[key])
    for key in ("second_order", "grouped"):
        if key in data:
            if not isinstance(data[key], bool):
                raise SpecError(f"study {name!r}: {key!r} must be true or false")
            options[key] = data[key]
    for key in ("description", "scenario", "model"):
        if key in data:
            if not isinstance(data[key], str):
                raise SpecError(f"study {name!r}: {key!r} must be a string")
            options[key] = data[key]
    if "conf_level" in data:
        options["conf_level"] = _number(f"study {name!r}", "conf_level", data["conf_level"])
    if "convergence" in data:
        options["convergence"] = _parse_convergence(name, data["convergence"])
    study = Study(name=name, parameters=parameters, outputs=outputs, source=source, **options)
    _check_study(study)
    return study


def load_study(source: str | os.PathLike[str] | Mapping[str, Any] | Study) -> Study:
    """Read a study from a TOML file, a mapping of the same structure, or pass one through.

    Parameters
    ----------
    source : path-like, mapping or Study
        A ``.toml`` path, or a mapping with the TOML structure.

    Returns
    -------
    Study

    Raises
    ------
    SpecError
        If the file is missing or not valid TOML, or the structure is wrong
        (unknown keys, empty parameters or outputs, lower >= upper, N not a
        power of two …).

    Examples
    --------
    >>> study = load_study({"parameters": [{"name": "x", "lower": 0, "upper": 1}], "n": 64})
    >>> study.parameter_names, study.n
    (('x',), 64)
    """
    if isinstance(source, Study):
        _check_study(source)
        return source
    if isinstance(source, Mapping):
        return study_from_mapping(source)
    path = Path(source)
    data = read_toml(path, SpecError, "study file")  # the shared strict reader
    return study_from_mapping(data, source=str(path))
