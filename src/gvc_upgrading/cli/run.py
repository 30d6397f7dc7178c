"""``gvc-upgrading run``: run scenarios and write netCDF, CSV and a comparison figure.

Files written to ``--out`` (all appear together, or none on failure):

- ``scenarios.nc``: every model variable over ``(scenario, time)``, plus the
  comparison with baseline (``difference``, ``difference_pct`` over
  ``(scenario, outcome, time)``) and, when the combined scenario and every
  single path ran, the synergy table over ``(outcome, time)``;
- ``scenarios.csv``: the same runs in long form (``scenario, variable, unit,
  time, value``);
- ``synergy.csv``: the synergy table in the final year (when available);
- ``key_outcomes.png``: the key outcomes over time, one line per scenario.

By default the scenarios run at the model's default parameters with their
levers on from INITIAL TIME. ``--case CASE`` runs them on the parameters
calibrated to a case (the stored fit's estimate) with levers from the case's
last observed year, exactly as ``gvc-upgrading report`` does; ``--start`` and
``--set`` change the start year and parameters. The comparison is then the
one of :func:`gvc_upgrading.report.comparison.compare_scenarios`, and
``scenarios.nc`` says its setup in the ``setup`` attribute.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ScenarioError
from ..io import write_csv, write_figure, write_netcdf
from ..outcomes import KEY_OUTCOMES
from ..outdir import OutputFolder
from .options import (
    add_model_option,
    add_setup_options,
    add_user_scenario_dirs_option,
    integer_at_least,
)

if TYPE_CHECKING:  # the modules that import numpy, pandas, xarray and pysd load on use
    import pandas as pd
    import xarray as xr

    from ..scenario_spec import Scenario

__all__ = ["register", "run_command", "tidy_frame"]

NETCDF_FILE = "scenarios.nc"
CSV_FILE = "scenarios.csv"
SYNERGY_FILE = "synergy.csv"
FIGURE_FILE = "key_outcomes.png"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` sub-command."""
    parser = subparsers.add_parser(
        "run",
        help="run scenarios; write netCDF, CSV and a comparison figure",
        description=(
            "Run governance scenarios of the model and write the results to --out: "
            f"{NETCDF_FILE} (all scenarios, with differences from baseline and the synergy "
            f"table), {CSV_FILE} (long form), {SYNERGY_FILE} and {FIGURE_FILE}. "
            "Without --scenario every scenario runs. Files appear only when complete."
        ),
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--scenario",
        "-s",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="scenario(s) to run, by name or as a .toml file, e.g. --scenario csr my.toml; "
        "baseline is always added",
    )
    which.add_argument("--all", action="store_true", help="run every scenario (the default)")
    parser.add_argument(
        "--out",
        "-o",
        type=Path,
        default=Path("results"),
        metavar="DIR",
        help="output folder, created if its parent exists (default: ./results)",
    )
    add_model_option(parser)
    add_user_scenario_dirs_option(parser)
    parser.add_argument(
        "--case",
        default=None,
        metavar="CASE",
        help="run on the parameters calibrated to CASE (its stored fit), levers from its last "
        "observed year, as the report does",
    )
    parser.add_argument(
        "--fits-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of stored fits, <case>/ensemble.nc (default: the shipped calibration/fits)",
    )
    add_setup_options(parser)
    parser.add_argument(
        "--engine",
        choices=("pysd", "batch"),
        default="pysd",
        help="pysd (reference, default) or the compiled batch engine (always batch with "
        "--case, --start or --set)",
    )
    parser.add_argument(
        "--seed",
        type=integer_at_least("seed", 0),
        default=None,
        metavar="N",
        help="seed of the model's RANDOM functions (required when it has any); every "
        "scenario runs from it, so they differ by their levers, not their draws",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(handler=run_command)


def tidy_frame(runs: xr.Dataset) -> pd.DataFrame:
    """Return stacked scenario runs in long form: scenario, variable, unit, time, value."""
    import pandas as pd

    frames = []
    for name, variable in runs.data_vars.items():
        if set(variable.dims) != {"scenario", "time"}:
            continue
        table = pd.DataFrame(variable.transpose("scenario", "time").to_pandas())
        series = table.stack().rename("value")
        frame = series.reset_index()
        frame.insert(1, "variable", name)
        frame.insert(2, "unit", variable.attrs.get("units", ""))
        frames.append(frame)
    columns = ["scenario", "variable", "unit", "time", "value"]
    return (
        pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    )


def _write_outputs(
    runs: xr.Dataset, comparison: xr.Dataset, folder: OutputFolder, units: dict
) -> list[Path]:
    from ..plotting import comparison_figure
    from ..scenarios import synergy_table

    names = [NETCDF_FILE, CSV_FILE, FIGURE_FILE]
    if "synergy_excess" in comparison:
        names.append(SYNERGY_FILE)
    with folder.staged(names) as parts:
        staged = dict(zip(names, parts, strict=True))
        results = runs.merge(comparison.drop_vars("value"), combine_attrs="override")
        write_netcdf(results, staged[NETCDF_FILE], atomic=False)
        write_csv(tidy_frame(runs), staged[CSV_FILE], atomic=False)
        if SYNERGY_FILE in staged:
            write_csv(synergy_table(comparison), staged[SYNERGY_FILE], atomic=False)
        figure = comparison_figure(comparison, units=units)
        write_figure(figure, staged[FIGURE_FILE], atomic=False)
    return [folder.path / name for name in names]


def _chosen_scenarios(args: argparse.Namespace) -> list[Scenario]:
    """The scenarios named on the command line (baseline first), or every available one."""
    from ..scenario_spec import BASELINE, collect_scenarios, load_scenario
    from ..validation import close_matches

    shipped = args.model is None or not args.scenario_dir
    available = collect_scenarios(directories=args.scenario_dir, shipped=shipped)
    if not args.scenario:
        return available
    by_name = {scenario.name: scenario for scenario in available}
    chosen: dict[str, Scenario] = {}
    for item in [BASELINE, *args.scenario]:
        if item in by_name:
            scenario = by_name[item]
        elif item.endswith(".toml") or "/" in item:
            scenario = load_scenario(Path(item))
        else:
            hint = close_matches(item, list(by_name))
            raise ScenarioError(
                f"unknown scenario {item!r}; "
                + ("did you mean " + " or ".join(map(repr, hint)) + "?" if hint else "available: ")
                + ("" if hint else ", ".join(by_name))
            )
        chosen.setdefault(scenario.name, scenario)
    return list(chosen.values())


def _check_seed_option(args: argparse.Namespace, model) -> None:
    """Refuse a model with RANDOM functions without --seed, and --seed where it is not used."""
    from ..errors import SpecError
    from ..run_checks import random_functions

    uses = random_functions(model.abstract_model)
    comparison = args.case is not None or args.start is not None or bool(args.set_values)
    if uses and args.seed is None:
        raise SpecError(
            f"{model.path.name} uses RANDOM functions ({', '.join(uses[:3])}): pass --seed N "
            "so that the runs are reproducible"
        )
    if uses and comparison:
        raise SpecError(
            "--case, --start and --set run the report's comparison, which does not take "
            "--seed yet; run a model with RANDOM functions without them"
        )


def run_command(args: argparse.Namespace) -> int:
    """Run the scenarios named on the command line and write the result files."""
    from ..model import load_model
    from ..scenario_spec import parse_assignments, validate_scenario
    from ..scenarios import compare_runs, run_scenarios

    OutputFolder.prepare(args.out, create=False)  # fail before the runs, create only to write
    scenarios = _chosen_scenarios(args)
    fit = None
    if args.case is not None:
        from ..report.stored import load_stored_fit

        fit = load_stored_fit(args.case, args.fits_dir)
    model = load_model(args.model)
    for scenario in scenarios:
        validate_scenario(scenario, model)
    _check_seed_option(args, model)
    overrides = parse_assignments(args.set_values, model)
    names = [scenario.name for scenario in scenarios]
    progress = not args.no_progress and sys.stderr.isatty()
    # Models other than the shipped one may lack the key outcomes: show their stocks.
    outcomes = [name for name in KEY_OUTCOMES if name in model.variables.index] or list(
        model.stocks
    )
    setup = None
    if fit is not None or args.start is not None or overrides:
        from ..report.comparison import compare_scenarios
        from ..report.ensemble import ESTIMATE

        result = compare_scenarios(
            model, scenarios, fit=fit, start=args.start, overrides=overrides, outcomes=outcomes,
            replicates=0,
        )  # fmt: skip
        runs = result.ensemble.sel(member=ESTIMATE, drop=True)
        comparison, setup = result.comparison, result.setup_text()
    else:
        runs = run_scenarios(
            model, scenarios, engine=args.engine, progress=progress, seed=args.seed
        )
        comparison = compare_runs(runs, outcomes=outcomes)
    units = {name: model.variables.at[name, "unit"] for name in outcomes}
    with OutputFolder.writing(args.out) as folder:  # a failed first write leaves no folder
        written = _write_outputs(runs, comparison, folder, units)
    print(f"ran {len(names)} scenario(s): {', '.join(names)}")
    if setup:
        print(setup)
    for path in written:
        print(f"wrote {path}")
    return 0
