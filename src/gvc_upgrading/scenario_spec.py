"""Scenario data: the TOML format of a scenario file, its strict reading and checking.

This module sits below the model and the scenario runs: it reads and checks
files and knows nothing of running them (:mod:`gvc_upgrading.scenarios` runs
and compares; the batch engine takes the :class:`Scenario` objects made
here). The format is documented with a worked example in
``models/scenarios/README.md``::

    name = "csr"                    # must equal the file name's stem
    description = "Compliance-only CSR: ..."
    theory = "Gereffi & Lee (2016), Table 2, CSR-driven path"   # optional for user files
    extends = "baseline"            # optional; the default for every scenario but baseline
    start = 2027                    # optional; the year the levers switch on
    [parameters]
    "Buyer code intensity" = 0.8
    [series."Public disclosure"]     # optional time-series input
    years = [1995, 2006, 2014]
    values = [1.0, 0.0, 1.0]

A scenario's values are laid over those of the scenario it extends (by
default ``baseline``), so a loaded :class:`Scenario` holds the full overlay.
User scenarios add to the shipped ones (:func:`collect_scenarios`); a user
file may extend a shipped scenario by name. ``--set NAME=VALUE`` options are
parsed by :func:`parse_assignments`.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import resources
from .arguments import MAPPING, MODEL, NUMBER, PATH, TEXT, check_arguments, instance_of, optional
from .errors import GvcError, ScenarioError
from .spec_checks import read_toml
from .validation import check_known, check_value, close_matches

if TYPE_CHECKING:
    from .model import Model

__all__ = [
    "BASELINE",
    "COMBINED",
    "SINGLE_PATHS",
    "Scenario",
    "collect_scenarios",
    "list_scenarios",
    "load_scenario",
    "parse_assignments",
    "scenario_directory",
    "validate_scenario",
]

#: The reference scenario: weak versions of every governance lever.
BASELINE = "baseline"
#: Every governance path together, complementarity on.
COMBINED = "synergistic"
#: The six governance paths of Gereffi & Lee (2016), one scenario each.
SINGLE_PATHS: tuple[str, ...] = (
    "market",
    "csr",
    "multi_stakeholder",
    "labour",
    "cluster",
    "public",
)


_KEYS = frozenset({"name", "description", "theory", "extends", "start", "parameters", "series"})
#: The theory text of a scenario file that gives none (user scenarios).
NO_THEORY = "user scenario (no theory given)"
_SERIES_KEYS = frozenset({"years", "values"})


@dataclass(frozen=True, eq=False)
class Scenario:
    """A named set of parameter values and input series for the model.

    Attributes
    ----------
    name : str
        The scenario's name (its file's stem).
    description : str
        What the scenario represents.
    theory : str
        The section of Gereffi & Lee (2016) it encodes.
    parameters : dict of str to float
        Constant values, the whole chain of ``extends`` merged (own values last).
    series : dict of str to pandas.Series
        Time-series inputs indexed by year, merged the same way.
    path : pathlib.Path or None
        The TOML file it was read from.
    extends : str or None
        The scenario it is laid over (``None`` for baseline).
    start : float or None
        The year its levers switch on (``start`` in the file, else the
        scenario it extends); ``None``: the caller's policy start year.
    """

    name: str
    description: str
    theory: str
    parameters: dict[str, float] = field(default_factory=dict)
    series: dict[str, pd.Series] = field(default_factory=dict)
    path: Path | None = None
    extends: str | None = None
    start: float | None = None

    def __post_init__(self) -> None:
        check_arguments(
            "Scenario",
            name=(self.name, TEXT),
            description=(self.description, TEXT),
            theory=(self.theory, TEXT),
            parameters=(self.parameters, MAPPING),
            series=(self.series, MAPPING),
            path=(self.path, optional(instance_of(Path, "a pathlib.Path"))),
            extends=(self.extends, optional(TEXT)),
            start=(self.start, optional(NUMBER)),
        )

    def overrides(self) -> dict[str, float | pd.Series]:
        """Return every value the scenario sets (constants and series) by parameter name."""
        return {**self.parameters, **self.series}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        same_series = self.series.keys() == other.series.keys() and all(
            self.series[name].equals(other.series[name]) for name in self.series
        )
        mine = (
            self.name,
            self.description,
            self.theory,
            self.parameters,
            self.extends,
            self.start,
        )
        return (
            mine
            == (
                other.name,
                other.description,
                other.theory,
                other.parameters,
                other.extends,
                other.start,
            )
            and same_series
        )

    __hash__ = None  # type: ignore[assignment]  # holds dicts: not hashable


def scenario_directory() -> Path:
    """Return the folder of the shipped scenarios (``models/scenarios``)."""
    return resources.shipped_path("models", "scenarios")


def list_scenarios(directory: str | os.PathLike[str] | None = None) -> list[Scenario]:
    """Return every scenario in ``directory`` (default: the shipped ones).

    Baseline comes first, then the six single paths in their canonical order,
    then the combined scenario, then the rest alphabetically.

    Raises
    ------
    ScenarioError
        If a file in the folder is malformed.
    ArgumentTypeError
        If ``directory`` is not a path.
    """
    check_arguments("list_scenarios", directory=(directory, optional(PATH)))
    folder = Path(directory) if directory is not None else scenario_directory()
    names = sorted(path.stem for path in folder.glob("*.toml"))
    order = {name: i for i, name in enumerate((BASELINE, *SINGLE_PATHS, COMBINED))}
    names.sort(key=lambda name: (order.get(name, len(order)), name))
    return [load_scenario(folder / f"{name}.toml") for name in names]


def _looks_like_path(name_or_path: str | os.PathLike[str]) -> bool:
    text = os.fspath(name_or_path)
    return isinstance(name_or_path, os.PathLike) or text.endswith(".toml") or os.sep in text


def _resolve(name_or_path: str | os.PathLike[str], directory: Path | None) -> Path:
    if _looks_like_path(name_or_path):
        path = Path(name_or_path)
        if not path.is_file():
            raise ScenarioError(f"scenario file not found: {path}")
        return path
    folder = directory if directory is not None else scenario_directory()
    path = folder / f"{name_or_path}.toml"
    if not path.is_file():
        available = sorted(p.stem for p in folder.glob("*.toml"))
        message = f"unknown scenario {name_or_path!r} (no file {path})"
        suggestions = close_matches(str(name_or_path), available)
        if suggestions:
            message += "; did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
        elif available:
            message += "; available: " + ", ".join(available)
        raise ScenarioError(message)
    return path


def _read_toml(path: Path) -> dict[str, Any]:
    return read_toml(path, ScenarioError, "scenario file")  # the shared strict reader


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(raw: Mapping[str, Any], key: str, path: Path, *, required: bool) -> str | None:
    if key not in raw:
        if required:
            raise ScenarioError(f"{path}: missing required key {key!r}")
        return None
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(f"{path}: {key!r} must be a non-empty string, got {value!r}")
    return value.strip()


def _parameters(raw: Mapping[str, Any], path: Path) -> dict[str, float]:
    table = raw.get("parameters", {})
    if not isinstance(table, dict):
        raise ScenarioError(f"{path}: [parameters] must be a table of name = number")
    values = {}
    for name, value in table.items():
        if not _is_number(value):
            raise ScenarioError(
                f"{path}: parameter {name!r} must be a number,"
                f" got {type(value).__name__} {value!r}"
            )
        if not math.isfinite(value):
            raise ScenarioError(f"{path}: parameter {name!r} is not a finite number ({value!r})")
        values[name] = float(value)
    return values


def _one_series(name: str, table: object, path: Path) -> pd.Series:
    where = f"{path}: [series.{name!r}]"
    if not isinstance(table, dict):
        raise ScenarioError(f"{where} must be a table with 'years' and 'values'")
    unknown = set(table) - _SERIES_KEYS
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {sorted(unknown)}; expected years, values")
    missing = _SERIES_KEYS - set(table)
    if missing:
        raise ScenarioError(f"{where}: missing key(s) {sorted(missing)}")
    years, values = table["years"], table["values"]
    for key, items in (("years", years), ("values", values)):
        if not isinstance(items, list) or not items or not all(_is_number(v) for v in items):
            raise ScenarioError(f"{where}: {key!r} must be a non-empty list of numbers")
        if not all(math.isfinite(v) for v in items):
            raise ScenarioError(f"{where}: {key!r} holds a non-finite number")
    if len(years) != len(values):
        raise ScenarioError(
            f"{where}: 'years' has {len(years)} entries but 'values' has {len(values)}"
        )
    if any(later <= earlier for earlier, later in itertools.pairwise(years)):
        raise ScenarioError(f"{where}: 'years' must be strictly increasing")
    index = pd.Index(np.asarray(years, dtype=float), name="time")
    return pd.Series(np.asarray(values, dtype=float), index=index, name=name)


def _series(raw: Mapping[str, Any], path: Path) -> dict[str, pd.Series]:
    table = raw.get("series", {})
    if not isinstance(table, dict):
        raise ScenarioError(f"{path}: [series] must hold one table per input series")
    return {name: _one_series(name, sub, path) for name, sub in table.items()}


def _read_own(path: Path) -> tuple[dict[str, Any], dict[str, float], dict[str, pd.Series]]:
    raw = _read_toml(path)
    unknown = set(raw) - _KEYS
    if unknown:
        raise ScenarioError(
            f"{path}: unknown key(s) {sorted(unknown)}; allowed: {', '.join(sorted(_KEYS))}"
        )
    name = _text(raw, "name", path, required=True)
    if name != path.stem:
        raise ScenarioError(f"{path}: name {name!r} must match the file name {path.stem!r}")
    header: dict[str, Any] = {
        "name": name,
        "description": _text(raw, "description", path, required=True),
        "theory": _text(raw, "theory", path, required=False) or NO_THEORY,
        "extends": _text(raw, "extends", path, required=False),
    }
    start = raw.get("start")
    if start is not None and (not _is_number(start) or not math.isfinite(start)):
        raise ScenarioError(f"{path}: 'start' must be a year (a number), got {start!r}")
    header["start"] = None if start is None else float(start)
    if header["extends"] is None and name != BASELINE:
        header["extends"] = BASELINE
    parameters, series = _parameters(raw, path), _series(raw, path)
    both = set(parameters) & set(series)
    if both:
        raise ScenarioError(
            f"{path}: {sorted(both)} set both as a constant and as a series; choose one"
        )
    return header, parameters, series


def _load_chain(path: Path, seen: tuple[str, ...] = ()) -> Scenario:
    header, parameters, series = _read_own(path)
    name = header["name"]
    if name in seen:
        chain = " -> ".join((*seen, name))
        raise ScenarioError(f"{path}: scenarios extend each other in a cycle: {chain}")
    merged_parameters: dict[str, float] = {}
    merged_series: dict[str, pd.Series] = {}
    parent_name = header["extends"]
    start = header["start"]
    if parent_name is not None:
        beside = path.parent / f"{parent_name}.toml"
        shipped = scenario_directory() / f"{parent_name}.toml"
        folder = path.parent if beside.is_file() or not shipped.is_file() else shipped.parent
        try:
            parent_path = _resolve(parent_name, folder)
        except ScenarioError as exc:
            raise ScenarioError(f"{path}: extends {parent_name!r}: {exc}") from None
        parent = _load_chain(parent_path, (*seen, name))
        start = parent.start if start is None else start
        merged_parameters.update(parent.parameters)
        merged_series.update(parent.series)
    for own_name in parameters:
        merged_series.pop(own_name, None)
    for own_name in series:
        merged_parameters.pop(own_name, None)
    merged_parameters.update(parameters)
    merged_series.update(series)
    return Scenario(
        name=name,
        description=header["description"],
        theory=header["theory"],
        parameters=merged_parameters,
        series=merged_series,
        path=path,
        extends=parent_name,
        start=start,
    )


def load_scenario(
    name_or_path: str | os.PathLike[str],
    model: Model | None = None,
    *,
    directory: str | os.PathLike[str] | None = None,
) -> Scenario:
    """Read a scenario by name or from a TOML file.

    Parameters
    ----------
    name_or_path : str or path-like
        A scenario name (``"csr"``, looked up in ``directory``) or the path of
        a ``.toml`` file (its ``extends`` chain is looked up beside it).
    model : Model, optional
        When given, the scenario is checked against its parameters
        (:func:`validate_scenario`).
    directory : path-like, optional
        Where to look names up; default the shipped ``models/scenarios``.

    Returns
    -------
    Scenario
        With the values of the ``extends`` chain merged in.

    Raises
    ------
    ScenarioError
        If the scenario is unknown, the file malformed (TOML syntax, unknown
        key, wrong type) or, with ``model``, a parameter is unknown or out of
        range. The message names the file and the problem.
    ArgumentTypeError
        If an argument has the wrong type.
    """
    check_arguments(
        "load_scenario",
        name_or_path=(name_or_path, PATH),
        model=(model, optional(MODEL)),
        directory=(directory, optional(PATH)),
    )
    folder = Path(directory) if directory is not None else None
    scenario = _load_chain(_resolve(name_or_path, folder))
    if model is not None:
        validate_scenario(scenario, model)
    return scenario


def validate_scenario(scenario: Scenario, model: Model) -> None:
    """Check every value of ``scenario`` against ``model.parameters``.

    Raises
    ------
    ScenarioError
        Naming the scenario file and the unknown parameter (with close
        matches), the out-of-range value, or a series whose years all lie
        outside the model's run (it would only ever act through its end
        value, which is almost always a mistake in the years).
    """
    where = scenario.path if scenario.path is not None else f"scenario {scenario.name!r}"
    try:
        check_known(scenario.overrides(), model.parameters, variables=model.variables.index)
        for name, value in scenario.overrides().items():
            check_value(name, value, model.parameters, check_bounds=True)
    except GvcError as exc:
        raise ScenarioError(f"{where}: {exc}") from exc
    try:
        first, last = float(model.initial_time), float(model.final_time)
    except Exception:  # a model whose controls fail is refused later, by the time checks
        return
    if not (math.isfinite(first) and math.isfinite(last)):
        return
    for name, series in scenario.series.items():
        years = series.index.to_numpy(dtype=float)
        if years.max() < first or years.min() > last:
            raise ScenarioError(
                f"{where}: series {name!r} covers {years.min():g}-{years.max():g}, entirely"
                f" outside the model's run {first:g}-{last:g}; check its years"
            )


def collect_scenarios(
    files: Sequence[str | os.PathLike[str]] = (),
    directories: Sequence[str | os.PathLike[str]] = (),
    model: Model | None = None,
    *,
    shipped: bool = True,
) -> list[Scenario]:
    """Return the shipped scenarios followed by the user's, every one checked.

    Parameters
    ----------
    files : sequence of path-like
        User scenario files (``.toml``).
    directories : sequence of path-like
        User scenario folders; every ``.toml`` file in them is read.
    model : Model, optional
        When given, every scenario is checked against its parameters.
    shipped : bool
        Start from the shipped scenarios (``models/scenarios``); user
        scenarios *add* to them.

    Raises
    ------
    ScenarioError
        If a file is missing or malformed, a folder does not exist, or two
        scenarios share a name (naming both files).
    """
    scenarios = list_scenarios() if shipped else []
    for folder in directories:
        if not Path(folder).is_dir():
            raise ScenarioError(f"scenario folder not found: {folder}")
        scenarios.extend(list_scenarios(folder))
    scenarios.extend(load_scenario(Path(path)) for path in files)
    seen: dict[str, Scenario] = {}
    for scenario in scenarios:
        if scenario.name in seen:
            raise ScenarioError(
                f"two scenarios are named {scenario.name!r}: {seen[scenario.name].path} and "
                f"{scenario.path}; rename one (its 'name' and file name)"
            )
        seen[scenario.name] = scenario
    if model is not None:
        for scenario in scenarios:
            validate_scenario(scenario, model)
    return scenarios


def parse_assignments(items: Sequence[str], model: Model | None = None) -> dict[str, float]:
    """Parse ``--set`` options of the form ``"NAME=VALUE"`` into parameter values.

    The name is the model's Vensim name (spaces allowed); the value a finite
    number. With ``model``, names and ranges are checked.

    Raises
    ------
    ScenarioError
        Naming the malformed item, unknown parameter or out-of-range value.

    Examples
    --------
    >>> parse_assignments(["Crowding out=0.5", " Enforcement budget = 0.7"])
    {'Crowding out': 0.5, 'Enforcement budget': 0.7}
    """
    values: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise ScenarioError(f"--set {item!r}: expected NAME=VALUE, e.g. 'Crowding out=0.5'")
        try:
            value = float(text)
        except ValueError:
            raise ScenarioError(f"--set {item!r}: {text.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise ScenarioError(f"--set {item!r}: the value must be finite")
        values[name] = value
    if model is not None and values:
        try:
            check_known(values, model.parameters, variables=model.variables.index)
            for name, value in values.items():
                check_value(name, value, model.parameters, check_bounds=True)
        except GvcError as exc:
            raise ScenarioError(f"--set: {exc}") from exc
    return values
