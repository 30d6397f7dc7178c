"""``gvc-upgrading sensitivity``: run a Sobol' study and write netCDF, CSV tables (and figures).

Files written to ``--out`` (all appear together, or none on failure):

- ``sobol.nc``: indices per parameter (``S1, S1_conf, ST, ST_conf``, ``S2``,
  and the ``*_time`` indices of trajectory outputs);
- ``sobol_groups.nc`` and ``interactions.nc`` when the study is ``grouped``;
- ``tables/*.csv``: indices, second order, indices over time, group indices,
  group interactions (read as synergy / displacement), convergence, scenario
  synergy;
- ``figures/*.png`` only with ``--figures`` (or later with ``--figures-only``,
  which draws them from the files already in ``--out`` without running the
  study): S1/ST bars with confidence intervals, ST heat map over time, S2
  matrices, the group interaction map.

Model runs are checkpointed in ``--out/checkpoint`` while the study runs;
``--resume`` continues an interrupted run from there. The folder is removed
when the study finishes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ..errors import SpecError
from ..limits import check_memory
from ..outdir import OutputFolder
from ..resume import CHECKPOINT_FOLDER, checkpoint_folder

__all__ = ["register", "sensitivity_command"]


def _power_of_two(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"N must be an integer, got {text!r}") from exc
    if value < 2 or value & (value - 1):
        raise argparse.ArgumentTypeError(f"N must be a power of two (256, 512, …), got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sensitivity`` sub-command."""
    parser = subparsers.add_parser(
        "sensitivity",
        help="run a Sobol' sensitivity study; write netCDF, CSV tables (and figures)",
        description=(
            "Run the Sobol' sensitivity study STUDY.toml (see sensitivity/studies/README.md) "
            "against its model through the batch engine and write sobol.nc and tables/*.csv "
            "to --out (figures/*.png too with --figures). Grouped studies also write "
            "sobol_groups.nc and interactions.nc (group interactions read as synergy or "
            "displacement)."
        ),
    )
    parser.add_argument("study", type=Path, metavar="STUDY.toml", help="the study spec")
    parser.add_argument(
        "--n",
        type=_power_of_two,
        default=None,
        metavar="N",
        help="base sample size, a power of two (default: the study's); the cap with --convergence",
    )
    parser.add_argument(
        "--out",
        "-o",
        type=Path,
        default=Path("sensitivity-results"),
        metavar="DIR",
        help="output folder, created if its parent exists (default: ./sensitivity-results)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDR",
        help="run the model chunks on dask: threads, processes, synchronous, or a"
        " dask.distributed address (default: in this process)",
    )
    drawing = parser.add_mutually_exclusive_group()
    drawing.add_argument(
        "--figures",
        action="store_true",
        help="also draw figures/*.png (S1/ST bars, ST over time, S2 matrices, group map)",
    )
    drawing.add_argument(
        "--figures-only",
        action="store_true",
        help="do not run the study: draw figures/*.png from the results already in --out",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run from the checkpoints in DIR/checkpoint",
    )
    parser.add_argument(
        "--convergence",
        action="store_true",
        help="double N from the study's convergence start until the widest ST interval is"
        " within tolerance and the ranking is stable (or N reaches the cap)",
    )
    parser.add_argument(
        "--no-scenario-contrast",
        action="store_true",
        help="skip the scenario comparison (combined vs single paths) of grouped studies",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.set_defaults(handler=sensitivity_command)


def _check_study_size(path: Path, n: int | None) -> None:
    """Refuse a study whose design and outputs would not fit in the memory budget."""
    from ..sensitivity.spec import load_study

    study = load_study(path)
    d = len(study.parameter_names)
    rows = (n or study.n) * (2 * d + 2 if study.second_order else d + 2)
    columns = d + max(len(study.outputs), 1)
    check_memory(
        8.0 * rows * columns * 3,  # design, outputs and their resamples
        f"study {study.name!r} ({rows} runs × {columns} columns)",
    )


def _redraw(out: Path, study: str) -> list[Path]:
    """Draw the figures of the results in ``out`` (a folder the tool made) through the guard."""
    from ..sensitivity.study_run import write_figures

    folder = OutputFolder.prepare(out)
    with folder.staging() as stage:
        for name in ("sobol.nc", "sobol_groups.nc", "interactions.nc"):
            if (folder.path / name).is_file():
                shutil.copyfile(folder.path / name, stage / name)
        write_figures(stage, study=study)
        return folder.adopt_tree(stage / "figures", prefix="figures")


def sensitivity_command(args: argparse.Namespace) -> int:
    """Run the study named on the command line and write the result files."""
    from ..sensitivity.spec import load_study
    from ..sensitivity.study_run import run_study, stderr_log, write_study

    if not args.study.is_file():
        raise SpecError(f"study file {args.study} does not exist")
    if args.figures_only:
        if not args.out.is_dir():
            raise SpecError(f"--figures-only draws from the results in {args.out}: no such folder")
        for path in _redraw(args.out, load_study(args.study).name):
            print(f"wrote {path}")
        return 0
    _check_study_size(args.study, args.n)  # before anything is written or computed
    with OutputFolder.writing(args.out) as folder:  # a failed first run leaves no folder
        with checkpoint_folder(folder, resume=args.resume) as checkpoints:
            results = run_study(
                args.study,
                n=args.n,
                scheduler=args.scheduler,
                checkpoint_dir=checkpoints,
                convergence=args.convergence,
                scenario_contrast=not args.no_scenario_contrast,
                progress=False if args.no_progress else None,
                log=stderr_log,
            )
            with folder.staging() as stage:
                write_study(results, stage, figures=args.figures)
                written = folder.adopt_tree(stage)
        folder.remove_folder(CHECKPOINT_FOLDER)
    indices = results.indices
    print(
        f"study {results.study.name!r}: N={indices.attrs['n']}, {indices.attrs['runs']} runs,"
        f" {len(indices['parameter'])} parameters"
    )
    constant = []
    if "constant" in indices:
        constant = [str(o) for o in indices["output"].values[indices["constant"].values]]
    if constant:
        print(f"constant outputs (indices reported as 0): {', '.join(constant)}")
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    from . import main

    sys.exit(main(["sensitivity", *sys.argv[1:]]))
