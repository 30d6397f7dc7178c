"""Benchmark and report the robustness study of the model's behaviours.

Runs the behaviours of docs/design/model.md (``gvc_upgrading.robustness``) over
``--draws`` Latin-hypercube draws of the uncertain structural parameters,
every case of every draw through the batch engine, and prints the share of
draws in which each behaviour holds next to the 90% bar of issue 9. For the
speed, it also runs the cases of the first ``--pysd-draws`` draws through pysd
one by one and prints runs per second of both and their ratio, side by side.
Not a test: nothing here asserts a speed or a share.

Usage::

    python benchmarks/bench_behaviours.py [--draws 500] [--seed 20160125] [--pysd-draws 2]
                                          [--markdown]

``--markdown`` prints, instead of the speed, the tables ``models/README.md``
stores under "Robustness of the behaviours": each behaviour's share, the
share of each condition of the behaviours below the bar, the PRIM box of
their failing draws, and the shares by headroom of the outcome behaviours 2, 3
and 6 move (``gvc_upgrading.behaviour_discovery``).
"""

from __future__ import annotations

import argparse
import time

from gvc_upgrading import load_model
from gvc_upgrading.robustness import (
    BEHAVIOURS,
    CASES,
    case_overrides,
    evaluate_runs,
    latin_hypercube,
    run_cases,
    uncertain_parameters,
)

BAR = 0.9


def print_markdown(draws: int, seed: int) -> None:
    """Print the README's robustness tables for ``draws`` draws with ``seed``."""
    from gvc_upgrading.behaviour_discovery import (
        condition_table,
        failure_boxes,
        headroom_markdown,
        headroom_table,
        robustness_markdown,
    )

    model = load_model()
    sample = latin_hypercube(uncertain_parameters(model), draws, seed)
    runs = run_cases(model, sample)
    conditions = condition_table(runs)
    print(robustness_markdown(conditions, failure_boxes(sample, conditions)))
    print(
        "Share of draws in which the behaviour holds, by how high the outcome it moves "
        "already is where it starts (fixed bins of the 0-1 scale; draws in brackets):"
    )
    print()
    print(headroom_markdown(headroom_table(runs, conditions)), end="")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20160125)
    parser.add_argument("--pysd-draws", type=int, default=2)
    parser.add_argument("--markdown", action="store_true", help="print the README tables")
    args = parser.parse_args()
    if args.markdown:
        print_markdown(args.draws, args.seed)
        return

    model = load_model()
    draws = latin_hypercube(uncertain_parameters(model), args.draws, args.seed)
    model.compile()  # translation and compilation are not part of the timing
    start = time.perf_counter()
    runs = run_cases(model, draws)
    batch_seconds = time.perf_counter() - start
    held = evaluate_runs(model, runs)
    batch_rate = args.draws * len(CASES) / batch_seconds

    overrides = case_overrides(model)
    start = time.perf_counter()
    for row in draws.head(args.pysd_draws).to_dict("records"):
        for case in CASES:
            model.run({**row, **overrides[case]}, check_bounds=False)
    pysd_rate = args.pysd_draws * len(CASES) / (time.perf_counter() - start)

    print(f"{args.draws} draws x {len(CASES)} cases, seed {args.seed}")
    print("| behaviour | title | share | meets 90% |")
    print("|---|---|---|---|")
    for behaviour in BEHAVIOURS:
        share = float(held[behaviour.number].mean())
        meets = "yes" if share >= BAR else "no"
        print(f"| {behaviour.number} | {behaviour.title} | {share:.3f} | {meets} |")
    print(f"batch engine: {batch_rate:,.0f} runs/s; pysd: {pysd_rate:,.1f} runs/s")
    print(f"ratio batch/pysd: {batch_rate / pysd_rate:,.0f}x")


if __name__ == "__main__":
    main()
