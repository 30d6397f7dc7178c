"""Integrate one chunk of runs: Euler (pysd's scheme), RK4, or scipy's solve_ivp.

All runs of a chunk advance together; every value is an array over the runs
(or a scalar shared by all of them). Floating-point warnings are silenced
while integrating; non-finite values are detected on the saved values and the
state, then located exactly by :func:`locate_non_finite`. With
``on_nonfinite="warn"`` or ``"ignore"`` the values are carried on as NumPy
(and pysd) compute them; ``"warn"`` names the first variable, run and time.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterRangeError, SimulationError
from .codegen import Program
from .ir import Graph
from .timeline import Timeline

__all__ = ["NONFINITE", "ChunkInputs", "integrate_chunk", "make_pipes"]

#: What to do with a value that becomes NaN or infinite: stop with
#: SimulationError, warn (RuntimeWarning) and carry on, or carry on silently.
NONFINITE = ("raise", "warn", "ignore")

#: solve_ivp settings of the reference integrator.
REFERENCE_METHOD = "DOP853"
REFERENCE_RTOL = 1e-10
REFERENCE_ATOL = 1e-12


@dataclass
class ChunkInputs:
    """The run-time inputs of one chunk of runs.

    Attributes
    ----------
    values : list
        One entry per :attr:`~.ir.Graph.inputs` item: a float, a 1-D array
        over the runs, a table (1-D array) or a per-run table (2-D array).
    n_runs : int
        Runs in the chunk.
    first_run : int
        Index of the chunk's first run in the whole ensemble (for messages).
    """

    values: list
    n_runs: int
    first_run: int


def _node_label(graph: Graph, node_id: int) -> str:
    return graph.nodes[node_id].name


def _first_bad(value, n_runs: int) -> int | None:
    bad = ~np.isfinite(np.broadcast_to(value, (n_runs,)) if np.ndim(value) <= 1 else value)
    if bad.any():
        return int(
            np.argmax(bad.reshape(bad.shape[0], -1).any(axis=1))
            if bad.ndim > 1
            else np.argmax(bad)
        )
    return None


def _raise_non_finite(what: str, run: int, time: float) -> None:
    raise SimulationError(f"non-finite value of {what} in run {run} at time {time:g}")


def _initialise(
    program: Program,
    graph: Graph,
    chunk: ChunkInputs,
    timeline: Timeline | None,
    strict: bool = True,
    start=None,
):
    """Initial state, per-chunk constants and DELAY FIXED pipes (None without ``timeline``).

    ``start`` (a float or one value per run) replaces ``timeline.initial_time``.
    """
    n = chunk.n_runs
    K = chunk.values
    if start is not None:
        t0 = start
    elif timeline is not None:
        t0 = np.float64(timeline.initial_time)
    else:  # pragma: no cover - callers give one or the other
        raise AssertionError("a start or a timeline is needed")
    slots, initial_values, checks, lengths = program.initial(t0, K)
    for ok, (_, message) in zip(checks, graph.checks, strict=True):
        bad = ~np.asarray(ok, dtype=bool)
        if bad.ndim > 1:
            bad = np.asarray(bad.reshape(bad.shape[0], -1).any(axis=1))
        bad = np.broadcast_to(bad, (n,))
        if bad.any():
            raise ParameterRangeError(f"run {chunk.first_run + int(np.argmax(bad))}: {message}")
    constants = program.constants(K, initial_values)
    for node_id, value in zip(
        program.constant_nodes, constants[: len(program.constant_nodes)], strict=True
    ):
        run = _first_bad(value, n) if strict else None
        if run is not None:
            _raise_non_finite(
                repr(_node_label(graph, node_id)), chunk.first_run + run, _at(t0, run)
            )
    state = []
    for slot, value in zip(graph.slots, slots, strict=True):
        array = np.array(np.broadcast_to(value, (n, *slot.shape)), dtype=float)
        run = _first_bad(array, n) if strict else None
        if run is not None:
            _raise_non_finite(
                f"the initial value of {slot.owner!r}", chunk.first_run + run, _at(t0, run)
            )
        state.append(array)
    if timeline is None:
        return state, constants, lengths
    return state, constants, make_pipes(program, state, lengths, timeline.time_step, n)


def _at(time, run: int) -> float:
    """The time of ``run`` (times are one value, or one per run)."""
    return float(time if np.ndim(time) == 0 else np.ravel(time)[run])


def make_pipes(program: Program, state: list, lengths, time_step, n: int) -> dict:
    """One DELAY FIXED pipe per run and slot, with pysd's length (``time_step`` per run or not)."""
    pipes = {}
    for slot_id, delay_time in zip(program.fixed_delay_slots, lengths, strict=True):
        # pysd: order = max(delay time / TIME STEP, 1), rounded; one pipe per run.
        order = np.maximum(np.asarray(delay_time, dtype=float) / time_step, 1)
        length = np.broadcast_to(np.round(order + 1e-6).astype(np.int64), (n,))
        pipe = np.repeat(state[slot_id][np.newaxis, :], int(length.max()), axis=0)
        pipes[slot_id] = (pipe, length.copy())
    return pipes


def _advance(graph: Graph, state: list, rates: Sequence, dt, pipes: dict, pointers: dict) -> list:
    """The state after one step of ``dt`` (a float, or one per run)."""
    new = []
    per_run = np.ndim(dt) > 0
    for slot, value, rate in zip(graph.slots, state, rates, strict=True):
        if per_run:
            dt = dt.reshape(dt.shape[:1] + (1,) * len(slot.shape))
        if slot.update == "euler":
            new.append(value + rate * dt)
        elif slot.update == "nonnegative":
            new.append(np.maximum(value + rate * dt, 0))
        elif slot.update == "replace":
            new.append(np.array(np.broadcast_to(rate, value.shape), dtype=float))
        else:  # fixed_delay: pysd's pipe, one ring per run
            pipe, length = pipes[slot.id]
            pointer = pointers[slot.id]
            runs = np.arange(pipe.shape[1])
            pipe[pointer, runs] = np.broadcast_to(rate, value.shape)
            pointer = (pointer + 1) % length
            pointers[slot.id] = pointer
            new.append(pipe[pointer, runs])
    return new


class _NonFiniteSaved(Exception):  # an internal signal, never escapes
    """A saved block holds a non-finite value."""


def _store(
    out: np.ndarray,
    k: int,
    program: Program,
    constants,
    saved,
    n: int,
    positions: list[tuple[int, int, bool, int]],
    strict: bool = True,
    written: frozenset = frozenset(),
) -> None:
    """Copy the saved values into block ``k`` of ``out``; check the block when ``strict``.

    Dynamic values whose index is in ``written`` are in ``out`` already (the
    fused step computed them there).
    """
    for row, size, is_dynamic, index in positions:
        if is_dynamic and index in written:
            continue
        value = saved[index] if is_dynamic else constants[index]
        if size == 1:
            out[k, row] = value
        else:  # subscripted: (run, *sizes) -> rows of (element, run)
            value = np.asarray(value)
            out[k, row : row + size] = np.broadcast_to(
                value.reshape(value.shape[0], size), (n, size)
            ).T
    # One pass over the block just written, while it is in cache; a sum is
    # finite exactly when every term is (barring overflow, checked exactly below).
    if strict and not np.isfinite(out[k].sum()) and not np.isfinite(out[k]).all():
        raise _NonFiniteSaved


def row_sizes(graph: Graph, requested: Sequence[int]) -> list[int]:
    """Rows each requested node takes in a result block (its number of elements)."""
    return [
        int(np.prod([len(graph.ranges[d]) for d in graph.nodes[node].dims], dtype=int))
        for node in requested
    ]


def _positions(
    program: Program, graph: Graph, requested: Sequence[int]
) -> list[tuple[int, int, bool, int]]:
    dynamic = {node: i for i, node in enumerate(program.saved_nodes)}
    constant = {node: i for i, node in enumerate(program.constant_nodes)}
    positions = []
    row = 0
    for node, size in zip(requested, row_sizes(graph, requested), strict=True):
        is_dynamic = node in dynamic
        positions.append((row, size, is_dynamic, dynamic[node] if is_dynamic else constant[node]))
        row += size
    return positions


def integrate_chunk(
    program: Program,
    graph: Graph,
    chunk: ChunkInputs,
    timeline: Timeline,
    requested: Sequence[int],
    integration: str = "euler",
    out: np.ndarray | None = None,
    on_nonfinite: str = "raise",
) -> np.ndarray:
    """Simulate one chunk and return the saved values.

    Parameters
    ----------
    out : numpy.ndarray, optional
        Where to write the results (shape ``(saved time, variable, run)``).
    on_nonfinite : {"raise", "warn", "ignore"}
        A NaN or infinite value stops the chunk with :class:`SimulationError`
        (default), or is carried on with a ``RuntimeWarning`` naming the
        first variable, run and time, or silently.

    Returns
    -------
    numpy.ndarray
        Shape ``(saved time, requested variable, run)`` (``out`` if given).

    Raises
    ------
    SimulationError
        At the first variable, run and time where a value is not finite.
    ParameterRangeError
        If a run's values violate a structural condition (delay order).
    """
    with np.errstate(all="ignore"):
        if out is None:
            rows = sum(row_sizes(graph, requested))
            out = np.empty((timeline.n_saved, rows, chunk.n_runs))
        strict = on_nonfinite == "raise"
        try:
            if integration == "solve_ivp":
                _solve_ivp(program, graph, chunk, timeline, requested, out, strict)
            else:
                _fixed_step(program, graph, chunk, timeline, requested, integration, out, strict)
        except _NonFiniteSaved:
            locate_non_finite(program, graph, chunk, timeline, integration)
            k, row, run = np.argwhere(~np.isfinite(out))[0]
            owners = [
                node
                for node, size in zip(requested, row_sizes(graph, requested), strict=True)
                for _ in range(size)
            ]
            _raise_non_finite(
                repr(_node_label(graph, owners[row])),
                chunk.first_run + int(run),
                float(timeline.saved_times[k]),
            )
        if on_nonfinite == "warn":
            _warn_non_finite(out, graph, requested, chunk, timeline)
    return out


def _warn_non_finite(out, graph, requested, chunk: ChunkInputs, timeline: Timeline) -> None:
    """Warn about the earliest saved non-finite value (variable, run, time), if any."""
    bad = ~np.isfinite(out)
    if not bad.any():
        return
    k, row, run = np.argwhere(bad)[0]
    owners = [
        node
        for node, size in zip(requested, row_sizes(graph, requested), strict=True)
        for _ in range(size)
    ]
    warnings.warn(
        f"non-finite value of {_node_label(graph, owners[row])!r} in run "
        f"{chunk.first_run + int(run)} at time {float(timeline.saved_times[k]):g} "
        "(carried on: on_nonfinite='warn')",
        RuntimeWarning,
        stacklevel=4,
    )


def _fixed_step(program, graph, chunk, timeline, requested, integration, out, strict) -> None:
    n = chunk.n_runs
    K = chunk.values
    state, constants, pipes = _initialise(program, graph, chunk, timeline, strict)
    pointers = {k: np.zeros(chunk.n_runs, dtype=np.int64) for k in pipes}
    positions = _positions(program, graph, requested)
    dt = timeline.time_step
    k = 0
    rk4 = integration == "rk4"
    fuser = program.fuser() if not rk4 else None
    if fuser is not None:
        _fused_euler(fuser, program, chunk, timeline, state, constants, positions, out, strict)
        return
    if not rk4 and program.euler is not None:
        for time, save in zip(timeline.step_times, timeline.save_at_step, strict=True):
            if save:
                state, saved = program.euler_save(np.float64(time), state, K, constants, dt)
                _store(out, k, program, constants, saved, n, positions, strict)
                k += 1
            else:
                state = program.euler(np.float64(time), state, K, constants, dt)
        if timeline.save_at_end:
            _, saved = program.save(np.float64(timeline.end_time), state, K, constants)
            _store(out, k, program, constants, saved, n, positions, strict)
        return
    for time, save in zip(timeline.step_times, timeline.save_at_step, strict=True):
        t = np.float64(time)
        if save:
            rates, saved = program.save(t, state, K, constants)
            _store(out, k, program, constants, saved, n, positions, strict)
            k += 1
        else:
            rates = program.rates(t, state, K, constants)
        if rk4:
            half = np.float64(time + dt / 2)
            k2 = program.rates(
                half, [s + r * (dt / 2) for s, r in zip(state, rates, strict=False)], K, constants
            )
            k3 = program.rates(
                half, [s + r * (dt / 2) for s, r in zip(state, k2, strict=False)], K, constants
            )
            k4 = program.rates(
                np.float64(time + dt),
                [s + r * dt for s, r in zip(state, k3, strict=False)],
                K,
                constants,
            )
            rates = [
                (a + 2 * b + 2 * c + d) / 6 for a, b, c, d in zip(rates, k2, k3, k4, strict=False)
            ]
        state = _advance(graph, state, rates, dt, pipes, pointers)
    if timeline.save_at_end:
        _, saved = program.save(np.float64(timeline.end_time), state, K, constants)
        _store(out, k, program, constants, saved, n, positions, strict)


def _fused_euler(fuser, program, chunk, timeline, state, constants, positions, out, strict):
    """Euler steps through the fused step code (see :mod:`.fusion`), bit-identical to ``euler``.

    Two state sets alternate: each step reads one and writes the other, so
    the values a saving step returns (some of them the state itself) stay
    valid until they are stored.
    """
    n = chunk.n_runs
    K = chunk.values
    dt = timeline.time_step
    fused = fuser.fused(np.float64(timeline.initial_time), state, K, constants, dt, runs=n)
    buffers = fused.buffers(save=False)
    save_buffers = fused.buffers(save=True)
    following = [np.empty_like(s) for s in state]
    step, step_save = fused.step, fused.step_save
    # saved values the fused step computes straight into their result rows
    rows = {index: row for row, size, dynamic, index in positions if dynamic and size == 1}
    direct = [(j, rows[j]) for j in fused.written if j in rows]
    written = frozenset(j for j, _ in direct)
    rows_out = [None] * len(program.saved_nodes)
    for j in fused.written:
        if j not in rows:  # not requested after all: a scratch row
            rows_out[j] = np.empty(n)
    k = 0
    for time, save in zip(
        timeline.step_times.tolist(), timeline.save_at_step.tolist(), strict=True
    ):
        if save:
            for j, row in direct:
                rows_out[j] = out[k, row]
            saved = step_save(
                np.float64(time), state, K, constants, dt, following, save_buffers, rows_out
            )
            _store(out, k, program, constants, saved, n, positions, strict, written)
            k += 1
        else:
            step(np.float64(time), state, K, constants, dt, following, buffers)
        state, following = following, state
    if timeline.save_at_end:
        _, saved = program.save(np.float64(timeline.end_time), state, K, constants)
        _store(out, k, program, constants, saved, n, positions, strict)


def _solve_ivp(program, graph, chunk, timeline, requested, out, strict) -> None:
    from scipy.integrate import solve_ivp

    n = chunk.n_runs
    K = chunk.values
    state, constants, _ = _initialise(program, graph, chunk, timeline, strict)
    m = len(state)

    shapes = [(n, *slot.shape) for slot in graph.slots]
    bounds = np.cumsum([0] + [int(np.prod(shape)) for shape in shapes])

    def split(y: np.ndarray) -> list:
        return [
            y[a:b].reshape(shape) for a, b, shape in zip(bounds, bounds[1:], shapes, strict=False)
        ]

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        rates = program.rates(np.float64(t), split(y), K, constants)
        if not m:
            return y
        return np.concatenate(
            [np.broadcast_to(r, shape).ravel() for r, shape in zip(rates, shapes, strict=True)]
        )

    saved_times = list(timeline.step_times[timeline.save_at_step])
    if timeline.save_at_end:
        saved_times.append(timeline.end_time)
    positions = _positions(program, graph, requested)
    y0 = np.concatenate([s.ravel() for s in state]) if m else np.zeros(1)
    if m:
        solution = solve_ivp(
            rhs,
            (timeline.initial_time, timeline.end_time),
            y0,
            method=REFERENCE_METHOD,
            t_eval=saved_times,
            rtol=REFERENCE_RTOL,
            atol=REFERENCE_ATOL,
            max_step=timeline.time_step,
        )
        if not solution.success:
            raise SimulationError(f"the reference integrator failed: {solution.message}")
        columns = solution.y.T
    else:
        columns = [y0] * len(saved_times)
    for k, (time, y) in enumerate(zip(saved_times, columns, strict=True)):
        _, saved = program.save(np.float64(time), split(np.asarray(y)), K, constants)
        _store(out, k, program, constants, saved, n, positions, strict)


def locate_non_finite(program, graph, chunk, timeline, integration) -> None:
    """Re-run a failed chunk step by step and raise at the first non-finite value.

    Returns normally only if no non-finite value is found on the way (the
    caller then reports the first non-finite saved value).
    """
    if integration == "solve_ivp":
        return
    n = chunk.n_runs
    K = chunk.values
    state, constants, pipes = _initialise(program, graph, chunk, timeline)
    pointers = {k: np.zeros(chunk.n_runs, dtype=np.int64) for k in pipes}
    dt = timeline.time_step
    times = [*timeline.step_times, timeline.end_time]
    for step, time in enumerate(times):
        t = np.float64(time)
        for node_id, value in zip(
            program.dynamic_nodes, program.diagnose(t, state, K, constants), strict=True
        ):
            run = _first_bad(value, n)
            if run is not None:
                _raise_non_finite(
                    repr(_node_label(graph, node_id)), chunk.first_run + run, float(time)
                )
        if step == len(times) - 1:
            return
        rates = program.rates(t, state, K, constants)
        for slot, rate in zip(graph.slots, rates, strict=True):
            run = _first_bad(rate, n)
            if run is not None:
                _raise_non_finite(
                    f"the rate of change of {slot.owner!r}", chunk.first_run + run, float(time)
                )
        if integration == "rk4":
            return  # the Euler walk does not follow an RK4 trajectory
        state = _advance(graph, state, rates, dt, pipes, pointers)
