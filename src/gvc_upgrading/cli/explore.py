"""``gvc-upgrading explore``: run an exploration study; write netCDF, tables, figures, findings.

Files written to ``--out`` (all appear together, or none on failure):

- ``exploration.nc``: every run over ``(run, time)`` with its policy, future,
  sampled inputs, levers, changes and outcome class (skipped with ``--no-netcdf``);
- ``tables/robustness.csv``: per policy, the share of futures in each class,
  median and 10th percentile of each index's change, regret, rank;
- ``tables/feature_scores.csv``, ``tables/prim_trajectory.csv``, ``tables/prim_box.csv``;
- ``figures/class_shares.png``, ``figures/prim_tradeoff.png``;
- ``findings.json``: the findings in numbers and words.

Model runs are checkpointed in ``--out/checkpoint`` while the study runs;
``--resume`` continues an interrupted run from there. The folder is removed
when the study finishes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SpecError
from ..outdir import OutputFolder
from ..resume import CHECKPOINT_FOLDER, checkpoint_folder
from .options import add_model_option, add_scenario_dir_option, integer_at_least

if TYPE_CHECKING:
    from ..exploration.findings import Findings
    from ..exploration.spec import ExplorationSpec

__all__ = ["explore_command", "register"]

#: Checkpoint folder inside ``--out``.


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``explore`` sub-command."""
    parser = subparsers.add_parser(
        "explore",
        help="explore policies × uncertain futures: outcome classes, PRIM, robustness",
        description=(
            "Run every policy of the exploration study SPEC.toml (see "
            "sensitivity/exploration/README.md) in every sampled future through the batch "
            "engine; sort runs into outcome classes (both upgrade, economic only, social only, "
            "displacement, neither); find the conditions of both upgrades with PRIM and "
            "feature scores; rank policies by robustness and regret. Writes exploration.nc, "
            "tables/*.csv, figures/*.png and findings.json to --out."
        ),
    )
    parser.add_argument("spec", type=Path, metavar="SPEC.toml", help="the exploration study")
    parser.add_argument(
        "--out",
        "-o",
        type=Path,
        default=Path("exploration-results"),
        metavar="DIR",
        help="output folder, created if its parent exists (default: ./exploration-results)",
    )
    parser.add_argument(
        "--n",
        type=integer_at_least("N", 2),
        default=None,
        metavar="N",
        help="futures (default: the spec's)",
    )
    parser.add_argument(
        "--seed",
        type=integer_at_least("seed", 0),
        default=None,
        metavar="S",
        help="sampling seed (default: the spec's)",
    )
    add_model_option(parser, help="Vensim .mdl file (default: the spec's, else the shipped one)")
    add_scenario_dir_option(parser)
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDR",
        help="dask scheduler: threads, processes, synchronous, or a dask.distributed address",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run from the checkpoints in DIR/checkpoint",
    )
    parser.add_argument(
        "--no-netcdf",
        action="store_true",
        help="do not write exploration.nc (tables, figures and findings only)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(handler=explore_command)


def explore_command(args: argparse.Namespace) -> int:
    """Run the study named on the command line and write the result files."""
    from ..exploration import load_spec
    from ..exploration._ema import ema_analysis

    if not args.spec.is_file():
        raise SpecError(f"exploration spec {args.spec} does not exist")
    spec = load_spec(args.spec)
    ema_analysis()  # the explore extra is missing: say so before any run
    with OutputFolder.writing(args.out) as folder:  # checked before any run
        findings, written = _explore_into(folder, spec, args)
    print(
        f"study {findings.study!r}: {findings.n} futures × {len(findings.shares)} policies "
        f"= {findings.runs} runs"
    )
    for sentence in findings.sentences:
        print(sentence)
    for path in written:
        print(f"wrote {path}")
    return 0


def _explore_into(
    folder: OutputFolder, spec: ExplorationSpec, args: argparse.Namespace
) -> tuple[Findings, list[Path]]:
    """Run the study with checkpoints inside ``folder`` and move its files into place."""
    from ..exploration import analyse, explore, summarise, write_exploration

    with checkpoint_folder(folder, resume=args.resume) as checkpoints:
        result = explore(
            spec,
            args.model,
            n=args.n,
            seed=args.seed,
            scheduler=args.scheduler,
            scenario_dir=args.scenario_dir,
            checkpoint_dir=checkpoints,
            progress=False if args.no_progress else None,
        )
    analysis = analyse(result)
    findings = summarise(result, analysis)
    with folder.staging() as stage:
        write_exploration(result, analysis, findings, stage / "study", runs=not args.no_netcdf)
        written = folder.adopt_tree(stage / "study")  # never replaces a file of the user's
    folder.remove_folder(CHECKPOINT_FOLDER)
    return findings, written


if __name__ == "__main__":  # pragma: no cover
    from . import main

    sys.exit(main(["explore", *sys.argv[1:]]))
