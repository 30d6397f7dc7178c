"""``gvc-upgrading report``: the one-command report of a calibrated case.

Writes to ``--out`` (default ``./report``): ``report.html`` (self-contained:
what the model is, the governance theory it encodes, the scenarios, the
findings, calibration, sensitivity, the stock-and-flow diagram and a
provenance block), ``figures/*.png`` and ``*.svg``, ``tables/*.csv``, ``*.md``
and ``*.tex``, ``data/*.nc`` and ``provenance.json``. The folder appears only
when complete; files of an earlier run of the tool there are replaced, and a
folder the tool did not make is refused unless it is empty.

``--quick`` uses stored results only: the case's fit from
``calibration/fits/<case>/`` (missing: an error) and the Sobol' study from
``sensitivity/results/default/`` (missing: a small study around the case is
computed). Without ``--quick`` a missing fit is recomputed (a few minutes)
and a missing Sobol' study is computed at a larger size.

``--scenario FILE`` and ``--scenario-dir DIR`` add the user's scenarios
(format: ``models/scenarios/README.md``) to the shipped ones; ``--start`` sets
the year the levers switch on and ``--set NAME=VALUE`` a parameter of every
run. ``gvc-upgrading run --case`` with the same options runs the same
comparison.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..resources import DEFAULT_CASE
from .options import add_model_option, add_setup_options, add_user_scenario_dirs_option

__all__ = ["register", "report_command"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` sub-command."""
    parser = subparsers.add_parser(
        "report",
        help="build the report of a calibrated case: HTML, figures, tables, netCDF",
        description=(
            "Build a self-contained report (report.html with figures/, tables/ and data/) "
            "of a calibrated case: scenario comparison with fan charts from the calibration "
            "ensemble, differences from baseline, the synergy decomposition, fit statistics, "
            "leading Sobol' indices, the stock-and-flow diagram and provenance."
        ),
    )
    parser.add_argument(
        "--case",
        default=None,
        metavar="NAME",
        help=f"calibrated case (default: {DEFAULT_CASE} if its fit is stored, else the first "
        "case with a stored fit)",
    )
    parser.add_argument(
        "--out",
        "-o",
        type=Path,
        default=Path("report"),
        metavar="DIR",
        help="report folder; its parent must exist; it must be new, empty or an earlier "
        "output of gvc-upgrading, whose files are replaced (default: ./report)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="use stored results only (a missing stored fit is an error; a missing Sobol' "
        "study is replaced by a small one computed now)",
    )
    parser.add_argument(
        "--fits-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of stored fits, <case>/ensemble.nc (default: the shipped calibration/fits)",
    )
    parser.add_argument(
        "--sensitivity-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of stored Sobol' studies, default/sobol.nc "
        "(default: the shipped sensitivity/results)",
    )
    add_model_option(parser)
    parser.add_argument(
        "--scenario",
        "-s",
        type=Path,
        action="extend",
        nargs="+",
        default=[],
        metavar="FILE",
        help="your own scenario file(s) (.toml; format: models/scenarios/README.md), "
        "added to the shipped scenarios",
    )
    add_user_scenario_dirs_option(parser)
    add_setup_options(parser)
    parser.add_argument("--no-progress", action="store_true", help="hide progress messages")
    parser.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace) -> int:
    """Build the report and list what was written."""
    quiet = args.no_progress
    started = time.perf_counter()

    def log(message: str) -> None:
        # each stage with the seconds since the start: a reader sees which stage is slow
        if not quiet:
            seconds = time.perf_counter() - started
            print(
                f"gvc-upgrading report: [{seconds:5.1f} s] {message}", file=sys.stderr, flush=True
            )

    from ..report import pool

    pool.start()  # the figure worker starts importing its drawing code meanwhile
    try:
        from ..report.build import build_report

        result = build_report(  # checks --out first, writes only inside it
            args.case,
            args.out,
            quick=args.quick,
            fits_dir=args.fits_dir,
            sensitivity_dir=args.sensitivity_dir,
            model_path=args.model,
            scenario_files=args.scenario,
            scenario_dirs=args.scenario_dir,
            start=args.start,
            set_values=args.set_values,
            progress=not quiet and sys.stderr.isatty(),
            log=log,
        )
    finally:
        pool.discard()  # a worker process the report did not take (it failed early)
    for name, origin in result.origins.items():
        print(f"{name}: {origin}")
    print(f"wrote {len(result.files)} files to {result.out}; open {result.out / 'report.html'}")
    return 0
