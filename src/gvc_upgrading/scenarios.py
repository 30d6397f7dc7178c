"""Scenario runs and their comparison with baseline.

Scenario *data* (the TOML format, reading and checking) lives in
:mod:`gvc_upgrading.scenario_spec`, below the model; this module runs
scenarios and compares them. :func:`compare` runs several scenarios and
reports their differences from baseline and the synergy of the combined
scenario (its gain over baseline against the sum of the single paths' gains).
The names of :mod:`~gvc_upgrading.scenario_spec` are re-exported here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr
from tqdm import tqdm

from .arguments import (
    BOOL,
    INTEGER,
    MODEL,
    NAMES,
    PATH,
    TEXT,
    Kind,
    check_arguments,
    choice,
    optional,
)
from .errors import ScenarioError, UnknownVariableError
from .levers import check_starts, columnwise, model_time_grid, scenario_runs
from .outcomes import KEY_OUTCOMES
from .provenance import overrides_json, provenance_attrs

if TYPE_CHECKING:
    from .model import Model

__all__ = [
    "BASELINE",
    "COMBINED",
    "SINGLE_PATHS",
    "Scenario",
    "collect_scenarios",
    "compare",
    "compare_runs",
    "list_scenarios",
    "load_scenario",
    "own_start_labels",
    "parse_assignments",
    "run_scenarios",
    "scenario_directory",
    "setup_sentence",
    "synergy_table",
    "validate_scenario",
]

from .scenario_spec import (
    BASELINE,
    COMBINED,
    SINGLE_PATHS,
    Scenario,
    collect_scenarios,
    list_scenarios,
    load_scenario,
    parse_assignments,
    scenario_directory,
    validate_scenario,
)

#: The engines a scenario comparison runs on.
ENGINES: tuple[str, ...] = ("pysd", "batch")

#: How the model's default parameters are named in a setup sentence.
DEFAULT_PARAMETERS = "the model's default (uncalibrated) parameters"


def setup_sentence(
    start: float,
    *,
    parameters: str = DEFAULT_PARAMETERS,
    own_starts: Sequence[str] = (),
    overrides: Mapping[str, float] | None = None,
    members: int = 0,
) -> str:
    """Say in one sentence which setup a scenario comparison used.

    The CLI, :func:`compare`, the notebooks and the report all say their
    setup with this sentence, so two entry points that give different
    numbers show why.

    Parameters
    ----------
    start : float
        The year the levers switch on.
    parameters : str
        What the runs start from (default: the model's defaults).
    own_starts : sequence of str
        Scenarios with their own start year, as ``"<name> from <year>"``.
    overrides : mapping, optional
        Values laid over every run (``--set``).
    members : int
        Bootstrap parameter sets behind the uncertainty bands (0: none).

    Examples
    --------
    >>> setup_sentence(1995)
    "Scenario levers switch on in 1995, on top of the model's default (uncalibrated) parameters."
    """
    text = f"Scenario levers switch on in {start:g}"
    text += f" ({', '.join(own_starts)})" if own_starts else ""
    text += f", on top of {parameters}"
    if overrides:
        text += "; every run also sets " + ", ".join(f"{k} = {v:g}" for k, v in overrides.items())
    if members:
        text += f"; uncertainty bands from {members} bootstrap parameter sets"
    return text + "."


def own_start_labels(scenarios: Sequence[Scenario]) -> list[str]:
    """Return ``"<display name> from <year>"`` for each scenario with its own start year.

    What :func:`setup_sentence` lists in brackets, for :func:`compare` and
    the report's comparison alike.
    """
    from .report.words import scenario_name

    return [f"{scenario_name(s.name)} from {s.start:g}" for s in scenarios if s.start is not None]


def _run_each(
    model: Model,
    scenarios: Sequence[Scenario],
    engine: str,
    progress: bool,
    seed: int | None = None,
) -> list[xr.Dataset]:
    # a scenario with its own start year runs its levers as series stepping then
    # (levers.scenario_runs, as in the report); the others hold them from the first year
    starts = (
        scenario_runs(model, scenarios, model.initial_time)
        if any(s.start is not None for s in scenarios)
        else None
    )
    if engine == "pysd":
        bar = tqdm(scenarios, desc="scenarios", unit="scenario", disable=not progress)
        results = []
        for index, scenario in enumerate(bar):
            bar.set_postfix_str(scenario.name)
            params = starts[index] if starts is not None else None
            results.append(model.run(params, scenario=scenario, seed=seed))
        return results
    return _run_batch(model, scenarios, progress, seed, starts)  # engine checked by the caller


def _run_batch(
    model: Model,
    scenarios: Sequence[Scenario],
    progress: bool,
    seed: int | None = None,
    starts: list[dict] | None = None,
) -> list[xr.Dataset]:
    compiled = model.compile()
    if starts is not None:
        times = model_time_grid(model)
        if seed is not None and compiled._graph.random_sites:
            # every scenario sees the same draws (common random numbers), as with pysd,
            # where each scenario's run starts from the same seed: one run per scenario
            return [
                compiled.run(columnwise([start], times), seed=seed).isel(run=0, drop=True)
                for start in starts
            ]
        batch = compiled.run(columnwise(starts, times), progress=progress)
        return [batch.isel(run=i, drop=True) for i in range(len(scenarios))]
    if seed is not None and compiled._graph.random_sites:
        return [
            compiled.run(n=1, scenario=scenario, seed=seed).isel(run=0, drop=True)
            for scenario in scenarios
        ]
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


def _names_or_scenarios(value: object) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and all(isinstance(item, str | Scenario) for item in value)
    )


def _gain_ratio(numerator: xr.DataArray, denominator: xr.DataArray) -> xr.DataArray:
    safe = xr.where(denominator != 0, denominator, 1.0)
    return xr.where(denominator != 0, numerator / safe, np.nan)


def run_scenarios(
    model: Model,
    names: Sequence[str | Scenario] | None = None,
    *,
    directory: str | os.PathLike[str] | None = None,
    engine: str = "pysd",
    progress: bool = False,
    seed: int | None = None,
) -> xr.Dataset:
    """Run several scenarios and stack every model variable along ``scenario``.

    A scenario's levers hold from the model's first year, or from its own
    ``start`` year when it sets one (before it, the run follows the model's
    defaults), as in the report (:func:`gvc_upgrading.levers.scenario_runs`).

    Parameters
    ----------
    model : Model
        The model to run.
    names : sequence of str or Scenario, optional
        Scenario names or loaded scenarios (default: every scenario in
        ``directory``); loaded ones are checked against the model.
    directory : path-like, optional
        Scenario folder (default: the shipped ``models/scenarios``).
    engine : {"pysd", "batch"}
        Run each scenario with pysd (reference), or all in one pass of the
        compiled batch engine.
    progress : bool
        Show a progress bar over scenarios.
    seed : int, optional
        Seed of the model's RANDOM functions (required when it has any).
        Every scenario runs from the same seed, so that scenarios differ by
        their levers and not by their draws (common random numbers).
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
    ArgumentTypeError
        If an argument has the wrong type.
    """
    check_arguments(
        "run_scenarios",
        model=(model, MODEL),
        names=(names, optional(Kind("a list of names or Scenarios", _names_or_scenarios))),
        directory=(directory, optional(PATH)),
        engine=(engine, choice(*ENGINES)),
        progress=(progress, BOOL),
        seed=(seed, optional(INTEGER)),
    )
    folder = Path(directory) if directory is not None else None
    if names is None:
        names = [scenario.name for scenario in list_scenarios(folder)]
    if not names:
        raise ScenarioError("no scenarios to run")
    loaded: dict[str, Scenario] = {}
    for item in names:
        if isinstance(item, Scenario):
            validate_scenario(item, model)
            loaded.setdefault(item.name, item)
        elif item not in loaded:
            loaded[item] = load_scenario(item, model, directory=folder)
    scenarios = list(loaded.values())
    check_starts(model, scenarios)
    run_names = [scenario.name for scenario in scenarios]
    runs = _run_each(model, scenarios, engine, progress, seed)
    stacked = xr.concat(runs, dim="scenario", join="exact", combine_attrs="override")
    stacked.attrs = {}
    stacked = stacked.assign_coords(
        scenario=[scenario.name for scenario in scenarios],
        overrides=("scenario", [overrides_json(s.overrides()) for s in scenarios]),
    )
    stacked["scenario"].attrs["description"] = "scenario name (models/scenarios/<name>.toml)"
    stacked.attrs.update(provenance_attrs(model_sha256=model.sha256, model_file=str(model.path)))
    stacked.attrs.update({"scenario": ",".join(run_names), "engine": engine})
    if seed is not None:
        stacked.attrs["seed"] = seed
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

        ``attrs`` carry provenance plus ``baseline``, ``combined``,
        ``singles`` and ``setup``: the sentence (:func:`setup_sentence`)
        saying the runs start from the model's default parameters with the
        levers on from its first year, or from a scenario's own ``start``
        year (before it the scenario's run equals baseline), exactly as in
        the report's comparison (:mod:`gvc_upgrading.levers`).

    Raises
    ------
    ScenarioError
        If a scenario is unknown or does not fit the model.
    UnknownVariableError
        If an outcome is not a model variable.

    ArgumentTypeError
        If an argument has the wrong type.

    Examples
    --------
    >>> from gvc_upgrading import load_model
    >>> comparison = compare(load_model(), ["csr"], outcomes=["True compliance visible"])
    >>> comparison["difference"].dims
    ('scenario', 'outcome', 'time')
    >>> float(comparison["difference"].sel(scenario="baseline").max())
    0.0
    """
    check_arguments(
        "compare",
        model=(model, MODEL),
        names=(names, optional(NAMES)),
        baseline=(baseline, TEXT),
        combined=(combined, TEXT),
        singles=(singles, NAMES),
        outcomes=(outcomes, NAMES),
        directory=(directory, optional(PATH)),
        engine=(engine, choice(*ENGINES)),
        progress=(progress, BOOL),
        interactions=(interactions, BOOL),
    )
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
    loaded = [load_scenario(name, model, directory=folder) for name in names]
    comparison.attrs["setup"] = setup_sentence(
        model.initial_time, parameters=DEFAULT_PARAMETERS, own_starts=own_start_labels(loaded)
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
