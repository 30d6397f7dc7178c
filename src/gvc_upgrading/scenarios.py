"""Governance scenarios: named parameter overlays read from TOML, and their comparison.

A scenario file (``models/scenarios/<name>.toml``) looks like::

    name = "csr"
    description = "Compliance-only CSR: ..."
    theory = "Gereffi & Lee (2016), Table 2, CSR-driven path"
    extends = "baseline"            # optional; the default for every scenario but baseline
    [parameters]
    "Buyer code intensity" = 0.8
    [series."Public disclosure"]     # optional time-series input
    years = [1995, 2006, 2014]
    values = [1.0, 0.0, 1.0]

A scenario's values are laid over those of the scenario it extends (by
default ``baseline``), so a loaded :class:`Scenario` holds the full overlay
applied to the model. :func:`compare` runs several scenarios and reports
their differences from baseline and the synergy of the combined scenario
(its gain over baseline against the sum of the single paths' gains).
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
import xarray as xr
from tqdm import tqdm

from . import resources
from .errors import GvcError, ScenarioError, UnknownVariableError
from .outcomes import KEY_OUTCOMES
from .provenance import overrides_json, provenance_attrs
from .spec_checks import read_toml
from .validation import check_known, check_value, close_matches

if TYPE_CHECKING:
    from .model import Model

__all__ = [
    "BASELINE",
    "COMBINED",
    "SINGLE_PATHS",
    "Scenario",
    "compare",
    "compare_runs",
    "list_scenarios",
    "load_scenario",
    "run_scenarios",
    "scenario_directory",
    "synergy_table",
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

_KEYS = frozenset({"name", "description", "theory", "extends", "parameters", "series"})
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
    """

    name: str
    description: str
    theory: str
    parameters: dict[str, float] = field(default_factory=dict)
    series: dict[str, pd.Series] = field(default_factory=dict)
    path: Path | None = None
    extends: str | None = None

    def overrides(self) -> dict[str, float | pd.Series]:
        """Return every value the scenario sets (constants and series) by parameter name."""
        return {**self.parameters, **self.series}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        same_series = self.series.keys() == other.series.keys() and all(
            self.series[name].equals(other.series[name]) for name in self.series
        )
        return (self.name, self.description, self.theory, self.parameters, self.extends) == (
            other.name,
            other.description,
            other.theory,
            other.parameters,
            other.extends,
        ) and same_series

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
    """
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
    header = {
        "name": name,
        "description": _text(raw, "description", path, required=True),
        "theory": _text(raw, "theory", path, required=True),
        "extends": _text(raw, "extends", path, required=False),
    }
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
    if parent_name is not None:
        try:
            parent_path = _resolve(parent_name, path.parent)
        except ScenarioError as exc:
            raise ScenarioError(f"{path}: extends {parent_name!r}: {exc}") from None
        parent = _load_chain(parent_path, (*seen, name))
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
    """
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
        matches) or the out-of-range value.
    """
    where = scenario.path if scenario.path is not None else f"scenario {scenario.name!r}"
    try:
        check_known(scenario.overrides(), model.parameters, variables=model.variables.index)
        for name, value in scenario.overrides().items():
            check_value(name, value, model.parameters, check_bounds=True)
    except GvcError as exc:
        raise ScenarioError(f"{where}: {exc}") from exc


def _run_each(
    model: Model, scenarios: Sequence[Scenario], engine: str, progress: bool
) -> list[xr.Dataset]:
    if engine == "pysd":
        bar = tqdm(scenarios, desc="scenarios", unit="scenario", disable=not progress)
        results = []
        for scenario in bar:
            bar.set_postfix_str(scenario.name)
            results.append(model.run(scenario=scenario))
        return results
    if engine == "batch":
        return _run_batch(model, scenarios, progress)
    raise ValueError(f"engine must be 'pysd' or 'batch', got {engine!r}")


def _run_batch(model: Model, scenarios: Sequence[Scenario], progress: bool) -> list[xr.Dataset]:
    compiled = model.compile()
    overrides = [scenario.overrides() for scenario in scenarios]
    # One record per run, each naming the same parameters: defaults where a scenario is silent.
    names = list(dict.fromkeys(name for values in overrides for name in values))
    defaults = model.parameters["default"]
    records = [
        {name: values.get(name, float(defaults[name])) for name in names} for values in overrides
    ]
    if names:
        batch = compiled.run(records, progress=progress)
    else:
        batch = compiled.run(n=len(scenarios), progress=progress)
    return [batch.isel(run=i, drop=True) for i in range(len(scenarios))]


def _gain_ratio(numerator: xr.DataArray, denominator: xr.DataArray) -> xr.DataArray:
    safe = xr.where(denominator != 0, denominator, 1.0)
    return xr.where(denominator != 0, numerator / safe, np.nan)


def run_scenarios(
    model: Model,
    names: Sequence[str] | None = None,
    *,
    directory: str | os.PathLike[str] | None = None,
    engine: str = "pysd",
    progress: bool = False,
) -> xr.Dataset:
    """Run several scenarios and stack every model variable along ``scenario``.

    Parameters
    ----------
    model : Model
        The model to run.
    names : sequence of str, optional
        Scenario names (default: every scenario in ``directory``).
    directory : path-like, optional
        Scenario folder (default: the shipped ``models/scenarios``).
    engine : {"pysd", "batch"}
        Run each scenario with pysd (reference), or all in one pass of the
        compiled batch engine.
    progress : bool
        Show a progress bar over scenarios.
    interactions : bool
        Also run the 2^k factorial over the single paths
        (:func:`gvc_upgrading.factorial.run_factorial`, at the model's values,
        final year) and add its main effects and interactions.

    Returns
    -------
    xarray.Dataset
        Every model variable over ``(scenario, time)``; the coordinate
        ``overrides`` on ``scenario`` holds each scenario's values as JSON, and
        ``attrs`` the provenance of the model.

    Raises
    ------
    ScenarioError
        If a scenario is unknown or does not fit the model.
    """
    folder = Path(directory) if directory is not None else None
    if names is None:
        names = [scenario.name for scenario in list_scenarios(folder)]
    names = list(dict.fromkeys(names))
    if not names:
        raise ScenarioError("no scenarios to run")
    scenarios = [load_scenario(name, model, directory=folder) for name in names]
    runs = _run_each(model, scenarios, engine, progress)
    stacked = xr.concat(runs, dim="scenario", join="exact", combine_attrs="override")
    stacked.attrs = {}
    stacked = stacked.assign_coords(
        scenario=[scenario.name for scenario in scenarios],
        overrides=("scenario", [overrides_json(s.overrides()) for s in scenarios]),
    )
    stacked["scenario"].attrs["description"] = "scenario name (models/scenarios/<name>.toml)"
    stacked.attrs.update(provenance_attrs(model_sha256=model.sha256, model_file=str(model.path)))
    stacked.attrs.update({"scenario": ",".join(names), "engine": engine})
    return stacked


_DESCRIPTIONS = {
    "value": "outcome trajectory under each scenario",
    "difference": "value minus the baseline scenario's value in the same year",
    "difference_pct": "difference in percent of the baseline value (NaN where baseline is 0)",
    "combined_gain": "the combined scenario's difference from baseline in each year",
    "sum_single_gains": "sum of the single paths' differences from baseline in each year",
    "synergy_excess": "combined_gain - sum_single_gains (> 0: super-additive)",
    "synergy_ratio": "combined_gain / sum_single_gains (NaN where the sum is 0)",
}


def compare_runs(
    runs: xr.Dataset,
    *,
    baseline: str = BASELINE,
    combined: str = COMBINED,
    singles: Sequence[str] = SINGLE_PATHS,
    outcomes: Sequence[str] = KEY_OUTCOMES,
) -> xr.Dataset:
    """Compare stacked scenario runs (:func:`run_scenarios`) with baseline.

    See :func:`compare` for the result.

    Raises
    ------
    ScenarioError
        If ``baseline`` was not run.
    UnknownVariableError
        If an outcome is not a variable of the runs.
    """
    names = [str(name) for name in runs["scenario"].values]
    if baseline not in names:
        raise ScenarioError(f"the comparison needs the baseline scenario {baseline!r}")
    missing = [name for name in outcomes if name not in runs.data_vars]
    if missing:
        raise UnknownVariableError(f"outcome(s) {missing} are not variables of the model")
    value = (
        runs[list(outcomes)].to_dataarray(dim="outcome").transpose("scenario", "outcome", "time")
    )
    value = value.drop_vars("overrides", errors="ignore")
    value.attrs = {}
    reference = value.sel(scenario=baseline, drop=True)
    difference = value - reference
    comparison = xr.Dataset(
        {
            "value": value,
            "difference": difference,
            "difference_pct": (100.0 * _gain_ratio(difference, abs(reference))).transpose(
                *difference.dims
            ),
        }
    )
    if combined in names and singles and all(single in names for single in singles):
        gain_combined = difference.sel(scenario=combined, drop=True)
        gain_singles = difference.sel(scenario=list(singles)).sum("scenario")
        comparison["combined_gain"] = gain_combined
        comparison["sum_single_gains"] = gain_singles
        comparison["synergy_excess"] = gain_combined - gain_singles
        comparison["synergy_ratio"] = _gain_ratio(gain_combined, gain_singles)
    for name, description in _DESCRIPTIONS.items():
        if name in comparison:
            comparison[name].attrs["description"] = description
    comparison["difference_pct"].attrs["units"] = "%"
    comparison["time"].attrs.setdefault("units", "Year")
    comparison.attrs.update(runs.attrs)
    comparison.attrs.update(
        {"baseline": baseline, "combined": combined, "singles": ",".join(singles)}
    )
    return comparison


def compare(
    model: Model,
    names: Sequence[str] | None = None,
    *,
    baseline: str = BASELINE,
    combined: str = COMBINED,
    singles: Sequence[str] = SINGLE_PATHS,
    outcomes: Sequence[str] = KEY_OUTCOMES,
    directory: str | os.PathLike[str] | None = None,
    engine: str = "pysd",
    progress: bool = False,
    interactions: bool = False,
) -> xr.Dataset:
    """Run scenarios and compare them with baseline.

    Parameters
    ----------
    model : Model
        The model to run.
    names : sequence of str, optional
        Scenarios to run (default: every scenario in ``directory``). Baseline
        is always run.
    baseline, combined : str
        The reference scenario and the combined-governance scenario.
    singles : sequence of str
        The single paths whose gains are summed in the synergy table.
    outcomes : sequence of str
        Model variables to compare.
    directory : path-like, optional
        Scenario folder (default: the shipped ``models/scenarios``).
    engine : {"pysd", "batch"}
        Run each scenario with pysd (reference), or all in one pass of the
        compiled batch engine.
    progress : bool
        Show a progress bar over scenarios.

    Returns
    -------
    xarray.Dataset
        Dimensions ``scenario``, ``outcome``, ``time`` (years):

        - ``value`` (scenario, outcome, time): the outcome trajectories;
        - ``difference``: ``value`` minus baseline;
        - ``difference_pct``: the difference in % of baseline (NaN where
          baseline is 0).

        When the combined scenario and every single path were run, the
        synergy table over (outcome, time), gains being signed differences
        from baseline in each year of ``time`` (use :func:`synergy_table` for
        one evaluation year):

        - ``combined_gain``: the combined scenario's gain;
        - ``sum_single_gains``: the sum of the single paths' gains;
        - ``synergy_excess``: ``combined_gain - sum_single_gains`` (> 0:
          super-additive);
        - ``synergy_ratio``: ``combined_gain / sum_single_gains`` (NaN where
          the sum is 0).

        With ``interactions``, ``factorial_effect`` (effect, outcome): each main
        effect and every interaction in the final year (factorial contrasts;
        a positive interaction is synergy), with coordinate ``effect_order``.

        ``attrs`` carry provenance plus ``baseline``, ``combined`` and
        ``singles``.

    Raises
    ------
    ScenarioError
        If a scenario is unknown or does not fit the model.
    UnknownVariableError
        If an outcome is not a model variable.

    Examples
    --------
    >>> from gvc_upgrading import load_model
    >>> comparison = compare(load_model(), ["csr"], outcomes=["True compliance visible"])
    >>> comparison["difference"].dims
    ('scenario', 'outcome', 'time')
    >>> float(comparison["difference"].sel(scenario="baseline").max())
    0.0
    """
    missing = [name for name in outcomes if name not in model.variables.index]
    if missing:
        raise UnknownVariableError(
            f"outcome(s) {missing} are not variables of the model {model.path.name}"
        )
    folder = Path(directory) if directory is not None else None
    if names is None:
        names = [scenario.name for scenario in list_scenarios(folder)]
    runs = run_scenarios(
        model, [baseline, *names], directory=folder, engine=engine, progress=progress
    )
    comparison = compare_runs(
        runs, baseline=baseline, combined=combined, singles=singles, outcomes=outcomes
    )
    if interactions:
        comparison["factorial_effect"] = _interactions(model, singles, outcomes, folder)
    return comparison


def _interactions(
    model: Model, singles: Sequence[str], outcomes: Sequence[str], folder: Path | None
) -> xr.DataArray:
    """Main effects and interactions of the single paths in the final year."""
    from .factorial import effects, run_factorial

    table = run_factorial(
        model, paths=singles, outcomes=outcomes, year=model.final_time, directory=folder
    )
    frame = effects(table)
    return xr.DataArray(
        frame[list(outcomes)].to_numpy(),
        dims=("effect", "outcome"),
        coords={
            "effect": frame.index.to_numpy(),
            "effect_order": ("effect", frame["order"].to_numpy()),
            "outcome": list(outcomes),
        },
        attrs={"description": "factorial main effects and interactions in the final year"},
    )


def synergy_table(comparison: xr.Dataset, year: float | None = None) -> pd.DataFrame:
    """Return the synergy table of a :func:`compare` result in one evaluation year.

    Parameters
    ----------
    comparison : xarray.Dataset
        A result of :func:`compare` that ran the combined and single scenarios.
    year : float, optional
        Evaluation year (default: the last year simulated).

    Returns
    -------
    pandas.DataFrame
        Indexed by outcome, columns ``combined_gain, sum_single_gains,
        synergy_excess, synergy_ratio, super_additive``; ``attrs["year"]``
        holds the evaluation year.

    Raises
    ------
    ScenarioError
        If the comparison holds no synergy variables.
    ValueError
        If ``year`` was not simulated.
    """
    columns = ["combined_gain", "sum_single_gains", "synergy_excess", "synergy_ratio"]
    if any(column not in comparison for column in columns):
        raise ScenarioError(
            "the comparison has no synergy table: run compare() with the combined scenario"
            " and every single path"
        )
    year = float(comparison["time"][-1]) if year is None else float(year)
    if year not in comparison["time"].values:
        raise ValueError(f"year {year:g} was not simulated")
    table = comparison[columns].sel(time=year).to_dataframe()[columns]
    table["super_additive"] = table["synergy_excess"] > 0
    table.attrs["year"] = year
    return table
