"""``gvc-upgrading calibrate``: fit one case, or every case in a folder, and write the results.

For each case the files of :mod:`gvc_upgrading.calibration.outputs`
(``parameters.toml``, ``fit_statistics.csv``, ``ensemble.nc``, ``fit.png``)
are written to ``--out/<case>/``; they appear together or not at all, and a
case that fails to load writes nothing. With ``--joint`` the cases are fitted
together (structural parameters shared, see ``[joint]`` in ``case.toml``) and
each case's part of the joint fit is written to its folder. Options not given
on the command line come from each case's ``[fit]`` table.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..calibration.settings import METHODS
from ..errors import SpecError
from ..outdir import OutputFolder, check_slug

__all__ = ["DEFAULT_BOOTSTRAP", "calibrate_command", "case_folders", "register"]

#: Bootstrap refits when neither the command line nor the case's [fit] table gives a number.
DEFAULT_BOOTSTRAP = 200


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` sub-command."""
    parser = subparsers.add_parser(
        "calibrate",
        help="calibrate the model to a case (or a folder of cases)",
        description=(
            "Fit a calibration case (a shipped case name, a case folder with case.toml and "
            "data.csv, or a folder of such case folders) and write parameters.toml, "
            "fit_statistics.csv, ensemble.nc and fit.png to OUT/<case>/."
        ),
    )
    parser.add_argument(
        "case", metavar="CASE_OR_DIR", help="case name, case folder or folder of cases"
    )
    parser.add_argument(
        "--out",
        "-o",
        type=Path,
        default=Path("fits"),
        metavar="DIR",
        help="output folder, created if its parent exists (default: ./fits)",
    )
    parser.add_argument(
        "--joint",
        action="store_true",
        help="fit all cases together with shared structural parameters ([joint] in case.toml)",
    )
    parser.add_argument(
        "--holdout-from",
        type=float,
        default=None,
        metavar="YEAR",
        help="fit only observations before YEAR; score later ones as hold-out "
        "(default: holdout_from in the case's [fit] table)",
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=None,
        metavar="N",
        help="bootstrap refits for the intervals and predictive bands "
        f"(default: [fit] bootstrap, else {DEFAULT_BOOTSTRAP})",
    )
    parser.add_argument(
        "--seed", type=int, default=None, metavar="S", help="random seed (default: [fit], else 0)"
    )
    parser.add_argument("--method", choices=METHODS, default=None, help="optimizer")
    parser.add_argument(
        "--n-starts",
        type=int,
        default=None,
        metavar="K",
        help="Latin-hypercube starts (default: [fit], else 8)",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the profile likelihood")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(handler=calibrate_command)


def case_folders(target: str) -> list[str | Path]:
    """Cases named by ``CASE_OR_DIR``: the case itself, or every case folder inside it."""
    path = Path(target)
    if path.is_dir() and not (path / "case.toml").is_file():
        folders: list[str | Path] = sorted(
            p for p in path.iterdir() if (p / "case.toml").is_file()
        )
        if not folders:
            raise SpecError(f"folder {target!r} holds no case folder (no */case.toml)")
        return folders
    return [target]


def _options(args: argparse.Namespace, case_fit: dict) -> dict:
    options = {
        "method": args.method,
        "n_starts": args.n_starts,
        "bootstrap": args.bootstrap,
        "holdout_from": args.holdout_from,
        "seed": args.seed,
    }
    if args.bootstrap is None and "bootstrap" not in case_fit:
        options["bootstrap"] = DEFAULT_BOOTSTRAP
    if args.no_profile:
        options["profile"] = False
    return {k: v for k, v in options.items() if v is not None}


def _summary(name: str, result) -> None:
    for row in result.statistics.itertuples():
        line = (
            f"{name}: {row.series} ({row.sample}): n={row.n} R2={row.r2:.3f} "
            f"MAPE={row.mape:.1f}% UM={row.um:.2f} US={row.us:.2f} UC={row.uc:.2f}"
        )
        if row.sample == "holdout":
            line += (
                f" | random walk MAPE={row.mape_rw:.1f}% trend MAPE={row.mape_trend:.1f}% "
                f"U2={row.u2:.2f} band coverage={row.coverage:.0%}"
            )
        print(line)


def _check_arguments(args: argparse.Namespace, cases: list) -> None:
    if args.bootstrap is not None and args.bootstrap < 0:
        raise SpecError(f"--bootstrap must be >= 0, got {args.bootstrap}")
    if args.seed is not None and not 0 <= args.seed < 2**32:
        raise SpecError(f"--seed must be between 0 and 2**32 - 1, got {args.seed}")
    if args.n_starts is not None and args.n_starts < 1:
        raise SpecError(f"--n-starts must be >= 1, got {args.n_starts}")
    if args.holdout_from is None:
        return
    if not math.isfinite(args.holdout_from):
        raise SpecError(f"--holdout-from must be a finite year, got {args.holdout_from}")
    for case in cases:
        years = case.data["year"].astype(float)
        if not (years >= args.holdout_from).any():
            raise SpecError(
                f"--holdout-from {args.holdout_from:g}: case {case.name!r} has no observation"
                f" from then on (its last is in {years.max():g}), so nothing would be held out"
            )


def _write(folder: OutputFolder, name: str, result) -> None:
    """Write one case's files to ``<folder>/<name>/`` through the output guard."""
    from ..calibration.outputs import write_result

    with folder.staging() as stage:
        write_result(result, stage)
        for path in folder.adopt_tree(stage, prefix=name):
            print(f"wrote {path}")


def calibrate_command(args: argparse.Namespace) -> int:
    """Calibrate the case(s) named on the command line and write the result files."""
    from ..calibration import calibrate, calibrate_joint, load_case

    cases = [load_case(c) for c in case_folders(args.case)]  # every case checked first
    seen: dict[str, object] = {}
    for case in cases:
        check_slug(case.name, "case name")  # it names the folder written under --out
        if case.name in seen:
            raise SpecError(
                f"two cases are named {case.name!r} ({seen[case.name]} and {case.folder});"
                " their results would overwrite each other"
            )
        seen[case.name] = case.folder
    _check_arguments(args, cases)
    if args.joint and len(cases) < 2:
        raise SpecError("--joint needs a folder holding at least two cases")
    progress = False if args.no_progress else None
    with OutputFolder.writing(
        args.out
    ) as folder:  # checked before any fit; a failed first fit leaves no folder
        if args.joint:
            result = calibrate_joint(
                cases, progress=progress, **_options(args, dict(cases[0].fit))
            )
            for case in cases:
                part = result.for_case(case.name)
                _write(folder, case.name, part)
                _summary(case.name, part)
            return 0
        for case in cases:
            result = calibrate(case, progress=progress, **_options(args, dict(case.fit)))
            _write(folder, case.name, result)
            _summary(case.name, result)
    return 0
