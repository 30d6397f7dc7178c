"""Euler integration of runs whose control variables change during the run.

When FINAL TIME, TIME STEP or SAVEPER depend on ``Time`` or on a variable
that changes during the run (``FINAL TIME = IF THEN ELSE(x > 50, Time,
100)``), pysd re-evaluates them at every step, so the time grid is known
only while simulating, and differs between runs. This module follows pysd's
run loop (``pysd.py_backend.model.Model._integrate`` and
``components.Time``, pysd 3.14) run by run, with every run of a chunk
advancing together as arrays:

1. At time ``t`` with state ``S`` the controls are evaluated at ``(t, S)``.
2. The run goes on while ``t + TIME STEP × 1e-5 < FINAL TIME``.
3. The state at ``t`` is saved when ``t - start`` is within ``TIME STEP ×
   1e-5`` of a multiple of SAVEPER (pysd's ``Time.in_return``, with the
   TIME STEP and SAVEPER in force at ``t``), or close to the next requested
   return timestamp; its label is ``t`` rounded to ``-log10(TIME STEP ×
   1e-5)`` decimals. A run that stops is checked once more for saving at
   its last time, as pysd does after its loop.
4. Otherwise ``S += rates(t, S) × TIME STEP`` and ``t += TIME STEP``, with
   the TIME STEP in force at ``(t, S)``.

Each run keeps its own time (an array over runs; one value while all runs
share it). Runs that have stopped are still computed along with the others
(cheaper than compacting the arrays) but never saved or checked again. The
saved values are returned by event: the time labels ``(event, run)``, NaN
where a run saves nothing at that event, and the values ``(event, row,
run)``; :func:`on_union_grid` lays them out on the union of the saved times.

About step 4: pysd advances its clock with ``time + TIME STEP`` evaluated
*after* the state update, through a cache. With the variables read by TIME
STEP cached (as when every variable is returned, pysd's default) that is the
TIME STEP of ``(t, S)``, which the engine uses; with a smaller
``return_columns`` pysd may instead read it from the updated state, so its
own results then depend on the columns asked for. A TIME STEP that depends
only on Time is the same either way.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from ..errors import SimulationError
from ..limits import ResourceLimitError, _max_steps
from .codegen import Program
from .integrate import (
    ChunkInputs,
    _advance,
    _initialise,
    _node_label,
    _positions,
    _store,
    make_pipes,
    row_sizes,
)
from .ir import Graph

__all__ = ["integrate_dynamic", "on_union_grid"]

_RPREC = 1e-5  # pysd's Time.rprec


def _control(program: Program, graph: Graph, chunk: ChunkInputs, computed, key: str, n: int):
    """The value of control ``key`` per run: computed this step, or the run's input."""
    if key in program.control_keys:
        value = computed[program.control_keys.index(key)]
    else:
        value = chunk.values[graph.controls[key]]
    return np.array(np.broadcast_to(np.asarray(value, dtype=float), (n,)))


def _labels(time: np.ndarray, time_step: np.ndarray) -> np.ndarray:
    """pysd's ``Time.round``: the time rounded to ``-log10(TIME STEP × 1e-5)`` decimals."""
    with np.errstate(all="ignore"):
        decimals = -np.trunc(np.log10(time_step * _RPREC))
    labels = np.full(time.shape, np.nan)
    for d in np.unique(decimals[np.isfinite(decimals)]):
        where = decimals == d
        labels[where] = np.round(time[where], int(d))
    return labels


class _Returns:
    """pysd's ``in_return`` with requested timestamps, one pointer per run."""

    def __init__(self, return_timestamps, n: int, first_run: int = 0) -> None:
        self.wanted = np.sort(np.atleast_1d(np.asarray(return_timestamps, dtype=float)))
        self.next = np.zeros(n, dtype=np.int64)
        self.first_run = first_run

    def __call__(self, time: np.ndarray, prec: np.ndarray, active: np.ndarray) -> np.ndarray:
        wanted = np.append(self.wanted, np.nan)
        target = wanted[np.minimum(self.next, len(self.wanted))]
        hit = active & np.isclose(time, target, prec)
        self.next[hit] += 1
        # pysd skips (with a warning) the timestamps a run has passed without hitting
        while True:
            target = wanted[np.minimum(self.next, len(self.wanted))]
            passed = active & ~hit & (time > target)
            if not passed.any():
                return hit
            run = int(np.argmax(passed))
            warnings.warn(
                f"return timestamp {float(target[run]):g} is not on the clock of run "
                f"{self.first_run + run} (it passes from an earlier time to "
                f"{float(time[run]):g}): that run has no value there",
                UserWarning,
                stacklevel=6,
            )
            self.next[passed] += 1


def integrate_dynamic(
    program: Program,
    graph: Graph,
    chunk: ChunkInputs,
    requested: Sequence[int],
    on_nonfinite: str = "raise",
    return_timestamps=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate one chunk whose control variables change during the run.

    Parameters
    ----------
    program : Program
        With a ``dynamic`` function (:attr:`~.codegen.Program.control_keys`).
    chunk : ChunkInputs
        The controls fixed before the run (INITIAL TIME at least) are inputs.
    requested : sequence of int
        Node ids to save.
    on_nonfinite : {"raise", "warn", "ignore"}
        See :func:`.integrate.integrate_chunk`.
    return_timestamps : sequence of float, optional
        Times to save instead of every SAVEPER.

    Returns
    -------
    labels : numpy.ndarray
        ``(event, run)``: the saved time, NaN where the run saves nothing.
    values : numpy.ndarray
        ``(event, row, run)``: the saved values.

    Raises
    ------
    SimulationError
        A TIME STEP that is not a positive number, a SAVEPER that is not
        positive, or a non-finite value (with ``on_nonfinite="raise"``),
        naming the run and time.
    ResourceLimitError
        More steps than the cap on steps.
    """
    if program.dynamic is None:  # pragma: no cover - the batch model checks this
        raise AssertionError("the program has no control variables computed at every step")
    n = chunk.n_runs
    K = chunk.values
    strict = on_nonfinite == "raise"
    positions = _positions(program, graph, requested)
    rows = sum(row_sizes(graph, requested))
    labels: list[np.ndarray] = []
    blocks: list[np.ndarray] = []
    warned = False
    with np.errstate(all="ignore"):
        # the start is fixed before the run (pysd's Time._initial_time), even when
        # the variable INITIAL TIME changes with Time (the input holds the start)
        start = np.array(
            np.broadcast_to(np.asarray(K[graph.controls["initial_time"]], dtype=float), (n,))
        )
        time = start.copy()
        state, constants, lengths = _initialise(
            program, graph, chunk, None, strict, start=_shared(time)
        )
        pipes: dict | None = None
        pointers = {}
        returns = (
            None if return_timestamps is None else _Returns(return_timestamps, n, chunk.first_run)
        )
        active = np.ones(n, dtype=bool)
        cap = _max_steps()
        steps = 0
        while True:
            t = _shared(time)
            rates, saved, computed = program.dynamic(t, state, K, constants)
            time_step = _control(program, graph, chunk, computed, "time_step", n)
            final_time = _control(program, graph, chunk, computed, "final_time", n)
            prec = time_step * _RPREC
            if pipes is None:  # pysd sizes DELAY FIXED pipes with the first TIME STEP
                pipes = make_pipes(program, state, lengths, time_step, n)
                pointers = {k: np.zeros(n, dtype=np.int64) for k in pipes}
            if returns is None:
                saveper = _control(program, graph, chunk, computed, "saveper", n)
                _check_positive("SAVEPER", saveper, active, time, chunk)
                delay = time - start
                save = active & (
                    (np.mod(delay, saveper) < prec) | (np.mod(-delay, saveper) < prec)
                )
            else:
                save = returns(time, prec, active)
            if save.any():
                block = np.empty((1, rows, n))
                _store(block, 0, program, constants, saved, n, positions, strict=False)
                label = np.where(save, _labels(time, time_step), np.nan)
                bad = save & ~np.isfinite(block[0]).all(axis=0)
                if bad.any() and on_nonfinite != "ignore" and not warned:
                    run = int(np.argmax(bad))
                    what = _first_non_finite(
                        program, graph, (t, state, K, constants), run, block[0], requested
                    )
                    message = (
                        f"non-finite value of {what} in run {chunk.first_run + run} "
                        f"at time {float(label[run]):g}"
                    )
                    if strict:
                        raise SimulationError(message)
                    warnings.warn(
                        f"{message} (carried on: on_nonfinite='warn')",
                        RuntimeWarning,
                        stacklevel=5,
                    )
                    warned = True
                labels.append(label)
                blocks.append(block[0])
            active &= time + prec < final_time
            if not active.any():
                break
            _check_positive("TIME STEP", time_step, active, time, chunk)
            steps += 1
            if steps > cap:
                raise ResourceLimitError(
                    f"run {chunk.first_run + int(np.argmax(active))}: more than {cap} time "
                    "steps (its FINAL TIME or TIME STEP, which change during the run, do not "
                    "end it); fix the model or raise $GVC_UPGRADING_MAX_STEPS"
                )
            state = _advance(graph, state, rates, time_step, pipes, pointers)
            time = time + time_step
    if not labels:
        return np.empty((0, n)), np.empty((0, rows, n))
    return np.stack(labels), np.stack(blocks)


def _shared(time: np.ndarray):
    """The time as one number while every run is at it (as pysd's scalar clock), else per run."""
    first = time[0]
    return np.float64(first) if (time == first).all() else time


def _check_positive(label: str, value: np.ndarray, active: np.ndarray, time, chunk) -> None:
    bad = active & ~(value > 0)
    if bad.any():
        run = int(np.argmax(bad))
        raise SimulationError(
            f"{label} of run {chunk.first_run + run} is {float(value[run])!r} at time "
            f"{float(time[run]):g}; it must be a positive number at every step"
        )


def _first_non_finite(program, graph, arguments, run: int, block, requested) -> str:
    """The first node, in evaluation order, not finite in ``run`` (else the saved variable)."""
    for node_id, value in zip(program.dynamic_nodes, program.diagnose(*arguments), strict=True):
        value = np.asarray(value)
        if value.ndim and value.shape[0] > 1:
            value = value[run]
        if not np.isfinite(value).all():
            return repr(_node_label(graph, node_id))
    owners = [
        node
        for node, size in zip(requested, row_sizes(graph, requested), strict=True)
        for _ in range(size)
    ]
    return repr(_node_label(graph, owners[int(np.argmax(~np.isfinite(block[:, run])))]))


def on_union_grid(
    parts: Sequence[tuple[np.ndarray, np.ndarray]], n_runs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Lay chunks' saved events on the union of their saved times.

    Parameters
    ----------
    parts : sequence of (labels, values)
        :func:`integrate_dynamic` results of consecutive chunks, in run order.

    Returns
    -------
    times : numpy.ndarray
        The union of the saved times, sorted.
    values : numpy.ndarray
        ``(time, row, run)``, NaN where a run saves nothing at that time.
    """
    found = [labels[np.isfinite(labels)] for labels, _ in parts]
    times = np.unique(np.concatenate(found)) if found else np.empty(0)
    rows = parts[0][1].shape[1] if parts else 0
    values = np.full((len(times), rows, n_runs), np.nan)
    first = 0
    for labels, block in parts:
        events, runs = np.nonzero(np.isfinite(labels))
        where = np.searchsorted(times, labels[events, runs])
        values[where, :, first + runs] = block[events, :, runs]
        first += labels.shape[1]
    return times, values
