"""Benchmark ``gvc-upgrading report``: quick against full, wall-clock and CPU, stage by stage.

Each repetition runs the command in a fresh process (as a user would: imports,
model load from the warm translation cache, stored fit and Sobol' study, no
re-fit), once with ``--quick`` and once without (with the stored fit and
study, the full report runs every bootstrap set and writes SVG and every fan
chart too). Prints wall-clock and CPU seconds (user + system of the child),
the time of each logged stage of the last quick run, the full/quick ratio,
and the machine's load average, since on a shared machine wall-clock time
measures the neighbours as much as the report. The report draws its figures
in a worker process meanwhile, so the CPU seconds of the report's main process
are printed too: the critical path when the worker keeps up, and less
sensitive to the load than wall-clock time. Not a test: nothing here asserts
a speed. The issue's target is a quick report within 10 s.

With ``--before SRC`` (the ``src`` folder of another checkout, e.g. made
by ``git archive <commit> | tar -x -C /tmp/before``) each repetition runs
that code's quick report too, interleaved with this checkout's, and the
before/after ratio of the medians is printed: a side-by-side measurement on
the same machine at the same time. ``--quick-only`` skips the full report.
Figures drawn from files and results are cached (``report/figure_cache.py``);
``--cold`` gives every run (of both checkouts) an empty figure cache, so the
figures are drawn each time, as on a first run or after the results changed.

Usage::

    python benchmarks/bench_report.py [--repeat 3] [--case cambodia_garment]
    python benchmarks/bench_report.py --before /tmp/before/src --quick-only
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Printed last by the report process: its own CPU seconds, its worker process left out.
MAIN_CPU = "main process cpu s:"


def _gvc() -> list[str]:
    code = (
        "import resource, sys\n"
        "from gvc_upgrading.cli import main\n"
        "code = main()\n"
        "own = resource.getrusage(resource.RUSAGE_SELF)\n"
        f"print('{MAIN_CPU}', own.ru_utime + own.ru_stime, file=sys.stderr)\n"
        "raise SystemExit(code)\n"
    )
    return [sys.executable, "-c", code]


def run_once(
    case: str, quick: bool, parent: Path, source: Path | None = None, cold: bool = False
) -> tuple[float, float, float, list[tuple[float, str]]]:
    """Run the report once; return wall seconds, CPU seconds, main-process CPU seconds, stages.

    CPU seconds count the report process and its figure worker; the main
    process's own CPU is the critical path when the worker keeps up.
    ``source``: a ``src`` folder whose ``gvc_upgrading`` is run instead of the installed one.
    """
    out = parent / (("quick" if quick else "full") + ("-before" if source else ""))
    shutil.rmtree(out, ignore_errors=True)
    command = [*_gvc(), "report", "--case", case, "--out", str(out)] + (
        ["--quick"] if quick else []
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = dict(os.environ)
    if cold:
        figures = parent / "figure-cache"
        shutil.rmtree(figures, ignore_errors=True)
        env["GVC_UPGRADING_FIGURE_CACHE"] = str(figures)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env
    )
    stages = []
    assert process.stderr is not None
    for line in process.stderr:
        stages.append((time.perf_counter() - start, line.strip()))
    if process.wait() != 0:
        raise SystemExit("report failed:\n" + "\n".join(text for _, text in stages[-20:]))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    main_cpu = float(stages.pop()[1].removeprefix(MAIN_CPU))
    return wall, cpu, main_cpu, stages


def _summary(rows: list[tuple[float, float, float]]) -> tuple[list[float], list[float]]:
    """Min and median of each column (wall, cpu, main cpu)."""
    columns = [sorted(column) for column in zip(*rows, strict=True)]
    return [c[0] for c in columns], [c[len(c) // 2] for c in columns]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--case", default="cambodia_garment")
    parser.add_argument("--before", type=Path, help="src folder of the code to compare against")
    parser.add_argument("--quick-only", action="store_true", help="skip the full report")
    parser.add_argument("--cold", action="store_true", help="an empty figure cache every run")
    args = parser.parse_args(argv)
    results: dict[bool, list[tuple[float, float, float]]] = (
        {True: []} if args.quick_only else {True: [], False: []}
    )
    before: list[tuple[float, float, float]] = []
    stages: list[tuple[float, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-report-") as folder:
        parent = Path(folder)
        run_once(args.case, True, parent)  # warm the translation cache and the OS file cache
        if args.before is not None:
            run_once(args.case, True, parent, args.before)
        for _ in range(args.repeat):
            if args.before is not None:
                *row, _log = run_once(args.case, True, parent, args.before, cold=args.cold)
                before.append(tuple(row))  # type: ignore[arg-type]
            for quick in results:
                *row, log = run_once(args.case, quick, parent, cold=args.cold)
                results[quick].append(tuple(row))  # type: ignore[arg-type]
                if quick:
                    stages = log
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("figure cache: " + ("empty at every run (--cold)" if args.cold else "warm"))
    header = ("wall s", "cpu s", "main cpu s")
    print("cpu s: the report process and its figure worker; main cpu s: the report process alone")
    print(f"{'run':<8}" + "".join(f"{name + ' (min / median)':>26}" for name in header))

    def line(name: str, rows: list[tuple[float, float, float]]) -> list[float]:
        low, median = _summary(rows)
        cells = "".join(f"{f'{a:.1f} / {b:.1f}':>26}" for a, b in zip(low, median, strict=True))
        print(f"{name:<8}{cells}")
        return median

    medians = {quick: line("quick" if quick else "full", rows) for quick, rows in results.items()}
    if before:
        old = line("before", before)
        ratios = ", ".join(
            f"{name} {o / n:.2f}x" for name, o, n in zip(header, old, medians[True], strict=True)
        )
        print(f"quick, before / after (medians): {ratios}")
    if False in medians:
        print(
            f"full / quick: wall {medians[False][0] / medians[True][0]:.2f}x, "
            f"cpu {medians[False][1] / medians[True][1]:.2f}x; target: quick within 10 s wall"
        )
    print("stages of the last quick run (seconds since start):")
    for seconds, text in stages:
        print(f"  {seconds:6.1f}  {text.removeprefix('gvc-upgrading report: ')[:110]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
