"""An experimental compiled step for the batch engine: numba kernels (benchmark only).

Written for issue 15 (an optional compiled backend behind an extra, if it
buys at least 3x over the NumPy engine on one core). It did not: see
``benchmarks/README.md`` for the measurements. It is kept here, outside the
package, so that ``bench_engine.py --backend numba`` can repeat them; the
engine never imports it.

What it compiles. The operations of the engine's generated ``euler_save``
function, flattened into single operations by :func:`.fusion._linearize` (the
same code the NumPy engine runs), each written as its scalar counterpart with
the same floating-point operations in the same order: ``+ - * / **``,
comparisons, MIN/MAX (NaN propagating, as ``np.minimum``), XIDZ/ZIDZ,
IF THEN ELSE, the elementary functions, INTEGER/MODULO/QUANTUM and the time
functions STEP, RAMP, PULSE and PULSE TRAIN. Every state slot and input must
be one number per run or one number per chunk; anything else (a lookup, a
subscripted variable, DELAY FIXED, RANDOM) raises :class:`KernelUnsupported`.
The initialisation, the per-chunk constants and the time grid are the NumPy
engine's own.

Two designs, one kernel per model and leaf layout:

``runs``
    Runs outer, steps inner: every value of a run is a local number (a
    register or a stack slot) for its whole trajectory; no temporaries, no
    dispatch; ``prange`` over the runs with ``parallel=True`` (each run
    independent, bit-identical to the serial kernel).
``blocks``
    Blocks of :data:`BLOCK` runs outer, steps next; within a step the
    operations run in loops of a few operations over the block's runs,
    which LLVM turns into AVX-512 instructions. A block's per-run inputs,
    state and the values that cross loops live in one workspace array
    (a row of :data:`BLOCK` lanes each), so that every loop reads and
    writes one array at constant offsets: no runtime alias checks, no
    gathers. With ``math="vector"`` exp, ln and powers are the branch-free
    functions of ``vector_math.py``, vectorized with the rest; with
    ``math="libm"`` numba's calls of the C library, one value at a time.
    ``prange`` over the blocks with ``parallel=True`` (a workspace per
    block, bit-identical to the serial kernel).

The kernel is generated as :mod:`ast` nodes (identifiers made here, numbers
as constants, never model text), written as a Python module named by the
digest of its code into ``$GVC_UPGRADING_CACHE/kernels``, imported, and
compiled by numba with ``cache=True`` (``error_model="numpy"``, no fastmath).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gvc_upgrading.engine.codegen import function_def
from gvc_upgrading.engine.fusion import Unfusable, _Linear, _linearize

__all__ = ["DESIGNS", "Kernel", "KernelUnsupported", "kernel_for", "leaf_layout", "plan_kernel"]

#: The kernel designs (see the module docstring).
DESIGNS = ("runs", "blocks")
#: How the kernels compute exp, ln and powers: ``libm`` numba's own (a call
#: of the C library per value), ``vector`` the branch-free functions of
#: ``vector_math.py`` that LLVM vectorizes (``blocks`` only).
MATHS = ("libm", "vector")
#: The text of ``vector_math.py``, written into every kernel module.
_VECTOR_MATH_SOURCE = (Path(__file__).with_name("vector_math.py")).read_text(encoding="utf-8")
#: The engine's operations that ``math="vector"`` computes with ``vector_math``.
_VECTOR = {"exp": "vexp", "ln": "vlog", "power": "vpow"}


class KernelUnsupported(Exception):
    """The model (or this chunk's inputs) holds something the kernel does not compile."""


#: Scalar helpers of the kernels: each mirrors the vectorized function of
#: :mod:`.functions` (same thresholds, same operations in the same order).
#: This is the module's own code, written into every kernel file so that a
#: kernel's digest covers the helpers it was compiled with. ``inline="always"``:
#: numba inlines them itself; left to LLVM's inliner, some stayed calls in the
#: large kernels and kept their loops from being vectorized.
_HELPERS_SOURCE = """
import math
import numba
import numpy as np

_SMALL = 1e-6


@numba.njit(cache=True, error_model="numpy", inline="always")
def _min(a, b):
    if a != a:
        return a
    return a if a < b else b


@numba.njit(cache=True, error_model="numpy", inline="always")
def _max(a, b):
    if a != a:
        return a
    return a if a > b else b


@numba.njit(cache=True, error_model="numpy", inline="always")
def _xidz(numerator, denominator, value_if_zero):
    if abs(denominator) < _SMALL:
        return value_if_zero
    return numerator / denominator


@numba.njit(cache=True, error_model="numpy", inline="always")
def _zidz(numerator, denominator):
    if abs(denominator) < _SMALL:
        return 0.0
    return numerator / denominator


@numba.njit(cache=True, error_model="numpy", inline="always")
def _if_then_else(condition, if_true, if_false):
    return if_true if condition else if_false


@numba.njit(cache=True, error_model="numpy", inline="always")
def _step(time, time_step, height, step_time):
    return height * (1.0 if time + time_step / 2 > step_time else 0.0)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _ramp(time, time_step, slope, start, finish):
    return (1.0 if time + _SMALL > start else 0.0) * slope * (_min(finish, time) - start)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _pulse(time, time_step, start, width):
    return 1.0 if (start - _SMALL <= time) and (time < start + width) else 0.0


@numba.njit(cache=True, error_model="numpy", inline="always")
def _pulse_train(time, time_step, start, repeat_time, width, end):
    if repeat_time == 0:
        return _pulse(time, time_step, start, width)
    inside = (start <= time) and (time < end)
    return 1.0 if inside and (np.mod(time - start + _SMALL, repeat_time) < width) else 0.0


@numba.njit(cache=True, error_model="numpy", inline="always")
def _integer(value):
    return np.trunc(value)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _quantum(value, quantum_size):
    if quantum_size < _SMALL:
        return value
    return quantum_size * np.trunc(value / quantum_size)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _modulo(value, modulus):
    return value - _quantum(value, modulus)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _log(value, base):
    return np.log(value) / np.log(base)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _replace(value, previous):
    return float(value)


@numba.njit(cache=True, error_model="numpy")
def _load_block(P, S, W, r0, block):
    # the blocks design: the per-run inputs and the state of the block's runs
    # into the first rows of its workspace W, one row of block lanes each
    for c in range(P.shape[0]):
        for l in range(block):
            W[c * block + l] = P[c, r0 + l]
    first = P.shape[0] * block
    for c in range(S.shape[0]):
        for l in range(block):
            W[first + c * block + l] = S[c, r0 + l]
"""

#: Helpers written as one NumPy (scalar) function of the kernel module.
_NUMPY_SCALAR = {
    "abs": "abs",
    "exp": "exp",
    "sqrt": "sqrt",
    "ln": "log",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "arcsin": "arcsin",
    "arccos": "arccos",
    "arctan": "arctan",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
    "power": "power",
}
#: Helpers of :data:`_HELPERS_SOURCE`, by the engine's operation name.
_OWN = frozenset(
    {
        "min",
        "max",
        "xidz",
        "zidz",
        "if_then_else",
        "step",
        "ramp",
        "pulse",
        "pulse_train",
        "integer",
        "quantum",
        "modulo",
        "log",
        "replace",
    }
)
_LOGICAL = {"and": ast.And, "or": ast.Or}


def _name(identifier: str, store: bool = False) -> ast.Name:
    return ast.Name(id=identifier, ctx=ast.Store() if store else ast.Load())


def _assign(target: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(targets=[_name(target, True)], value=value)


def _subscript(container: str, *indices: ast.expr) -> ast.Subscript:
    index: ast.expr = indices[0] if len(indices) == 1 else ast.Tuple(list(indices), ast.Load())
    return ast.Subscript(value=_name(container), slice=index, ctx=ast.Load())


def _leaf_key(node: ast.expr) -> tuple[str, int] | None:
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, int)
    ):
        return node.value.id, node.slice.value
    return None


def _check_operation(instr) -> None:
    """Raise :class:`KernelUnsupported` for an operation the kernel has no scalar form of."""
    for arg in instr.args:
        if isinstance(arg, ast.Tuple) or (
            isinstance(arg, ast.Constant) and not isinstance(arg.value, int | float)
        ):
            raise KernelUnsupported(f"operation {instr.op!r} with a static argument")
    if instr.kind != "call":
        return
    op = str(instr.op)
    if op not in _NUMPY_SCALAR and op not in _OWN and op not in ("and", "or", "not", "pi"):
        raise KernelUnsupported(f"operation {op!r} (a lookup, subscript or vector function)")


@dataclass
class KernelPlan:
    """The flattened step of one program and the leaves it reads.

    Attributes
    ----------
    linear : fusion._Linear
        The operations of ``euler_save`` (see :func:`.fusion._linearize`).
    leaves : list of (str, int)
        Every ``("K", i)`` and ``("C", i)`` input the operations read.
    slots : int
        State slots.
    """

    linear: _Linear
    leaves: list[tuple[str, int]]
    slots: int


def plan_kernel(program: Any) -> KernelPlan:
    """The kernel plan of a :class:`~.codegen.Program`, or :class:`KernelUnsupported`.

    Checks everything that does not depend on the inputs of a chunk: an
    Euler step function exists (no DELAY FIXED pipeline), it flattens, and
    every operation has a scalar form.
    """
    function = next(
        (f for f in program.source.body if getattr(f, "name", "") == "euler_save"), None
    )
    if program.euler_save is None or function is None:
        raise KernelUnsupported("a DELAY FIXED pipeline (no single Euler step function)")
    try:
        linear = _linearize(function)
    except Unfusable as exc:
        raise KernelUnsupported(f"a statement the step flattening does not take ({exc})") from exc
    leaves: set[tuple[str, int]] = set()
    for instr in linear.instrs:
        _check_operation(instr)
    operands = [a for i in linear.instrs for a in i.args] + linear.updates + linear.saved
    for operand in operands:
        key = _leaf_key(operand) if isinstance(operand, ast.expr) else None
        if key is not None and key[0] in ("K", "C"):
            leaves.add(key)
        elif key is not None and key[0] != "S":
            raise KernelUnsupported(f"a value read from {key[0]}[{key[1]}]")
    return KernelPlan(linear, sorted(leaves), len(linear.updates))


#: Runs in one block of the kernel (see :func:`kernel_module`). Every
#: operation is a loop over the block's runs that the compiler turns into
#: SIMD instructions; a block's workspace (323 rows on the shipped model)
#: is 83 KB at 32 runs. 16 and 32 measured alike, 64 and 128 slower
#: (benchmarks/README.md).
BLOCK = 32


def _truth(value: ast.expr) -> ast.expr:
    """A value as a truth value (a number is true when not zero, as in NumPy)."""
    return ast.Call(func=_name("bool"), args=[value], keywords=[])


def _call(function: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=_name(function), args=list(args), keywords=[])


def _store(container: str, indices: Sequence[ast.expr], value: ast.expr) -> ast.Assign:
    target = ast.Subscript(
        value=_name(container), slice=ast.Tuple(list(indices), ast.Load()), ctx=ast.Store()
    )
    return ast.Assign(targets=[target], value=value)


def _for(target: str, iterator: ast.expr, body: list[ast.stmt]) -> ast.For:
    return ast.For(target=_name(target, True), iter=iterator, body=body, orelse=[])


def _uint(value: ast.expr) -> ast.Call:
    """``numba.uint64(value)``."""
    function = ast.Attribute(value=_name("numba"), attr="uint64", ctx=ast.Load())
    return ast.Call(func=function, args=[value], keywords=[])


def _lanes(body: list[ast.stmt], count: ast.expr | None = None) -> ast.For:
    """``for l in range(count or BLOCK): j = r0u + uint64(l); body``.

    The run index ``j`` is unsigned: numba then leaves out its handling of
    negative indices, and LLVM sees ``P[c, j]`` as consecutive in ``l`` and
    loads it whole (with a signed index it gathers value by value, measured:
    benchmarks/README.md).
    """
    lane = _assign("j", ast.BinOp(left=_name("r0u"), op=ast.Add(), right=_uint(_name("l"))))
    return _for("l", _call("range", count or ast.Constant(BLOCK)), [lane, *body])


def _needed(linear: _Linear, roots: Sequence) -> list[int]:
    """The registers ``roots`` depend on, in order."""
    needed = [False] * len(linear.instrs)
    stack = [r for r in roots if isinstance(r, int)]
    while stack:
        i = stack.pop()
        if not needed[i]:
            needed[i] = True
            stack.extend(a for a in linear.instrs[i].args if isinstance(a, int))
    return [i for i, used in enumerate(needed) if used]


#: Operations per loop over a block (see :func:`_groups`).
GROUP = 12
#: Operations that call into the C library: each gets a loop of its own, so
#: that the loops around it are vectorized whole.
_CALLS = frozenset(
    {
        "exp",
        "ln",
        "log",
        "sqrt",
        "sin",
        "cos",
        "tan",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "power",
        "pulse_train",
        "modulo",
    }
)


def _groups(linear: _Linear, order: list[int], roots: Sequence, math: str = "libm"):
    """Split ``order`` into loops of a few operations; give a scratch row to each value read later.

    Returns the groups (lists of registers) and a row per register that is
    read outside its own group or is a root. Values used only within their
    group stay local numbers. A row is reused once its value has been read
    for the last time, from the next group on. With ``math="vector"``, exp,
    ln and powers are ordinary operations (no loop of their own).
    """
    calls = _CALLS - set(_VECTOR) if math == "vector" else _CALLS
    groups: list[list[int]] = []
    for i in order:
        instr = linear.instrs[i]
        call = (instr.kind == "call" and (str(instr.op) in calls)) or (
            math != "vector" and instr.kind == "bin" and isinstance(instr.op, ast.Pow)
        )
        if call or not groups or len(groups[-1]) >= GROUP or groups[-1][-1] < 0:
            groups.append([])
        groups[-1].append(i)
        if call:
            groups[-1].append(-1)  # closed: nothing else in the same loop
    groups = [[i for i in g if i >= 0] for g in groups]
    group_of = {i: g for g, members in enumerate(groups) for i in members}
    end = len(groups)
    last = {i: group_of[i] for i in order}
    escapes: set[int] = set()
    for i in order:
        for a in linear.instrs[i].args:
            if isinstance(a, int):
                last[a] = max(last[a], group_of[i])
                if group_of[a] != group_of[i]:
                    escapes.add(a)
    for r in roots:
        if isinstance(r, int):
            last[r] = end
            escapes.add(r)
    rows: dict[int, int] = {}
    free: list[int] = []
    count = 0
    for g, members in enumerate(groups):
        for i in members:
            if i in escapes:
                if free:
                    rows[i] = free.pop()
                else:
                    rows[i] = count
                    count += 1
        free.extend(rows[i] for i in rows if last[i] == g and group_of[i] <= g)
    return groups, rows


class _Writer:
    """Writes one kernel body: each operation a loop over the runs of a block."""

    def __init__(
        self,
        plan: KernelPlan,
        columns: dict,
        chunk: dict,
        rows: dict[int, int],
        math: str = "libm",
    ) -> None:
        self.plan = plan
        self.math = math  # "vector": exp, ln and powers from vector_math
        self.columns = columns  # per-run leaf -> column of P
        self.chunk = chunk  # leaf of one value per chunk -> local name
        self.rows = rows  # register -> scratch row
        self.group: set[int] = set()  # registers of the loop being written
        self.scalar = False  # the runs design: every value is a local number
        # rows of the blocks design's workspace W: the per-run leaves, the state, the scratch
        self.state_row = len(columns)
        self.scratch_row = len(columns) + plan.slots

    def cell(self, row: int, store: bool = False) -> ast.Subscript:
        """``W[row * BLOCK + l]``: lane ``l`` of a row of the workspace."""
        index = ast.BinOp(left=ast.Constant(row * BLOCK), op=ast.Add(), right=_name("l"))
        return ast.Subscript(
            value=_name("W"), slice=index, ctx=ast.Store() if store else ast.Load()
        )

    def operand(self, a) -> ast.expr:
        """The value of operand ``a`` at lane ``l`` (run ``j = r0 + l``)."""
        if isinstance(a, int):
            if self.scalar or a in self.group:
                return _name(f"x{a}")
            return self.cell(self.scratch_row + self.rows[a])
        if isinstance(a, ast.Name) and a.id in ("t", "dt"):
            return _name(a.id)
        if isinstance(a, ast.Constant):
            return ast.Constant(float(a.value) if isinstance(a.value, int) else a.value)
        if isinstance(a, ast.UnaryOp) and isinstance(a.operand, ast.Constant):
            return ast.Constant(-float(a.operand.value))  # a negative literal
        key = _leaf_key(a)
        if key is not None and key[0] == "S" and key[1] < self.plan.slots:
            if self.scalar:
                return _name(f"s{key[1]}")
            return self.cell(self.state_row + key[1])
        if key in self.columns:
            if self.scalar:
                return _name(f"p{self.columns[key]}")
            return self.cell(self.columns[key])
        if key in self.chunk:
            return _name(self.chunk[key])
        raise KernelUnsupported(f"an operand {ast.unparse(a)}")

    def value(self, instr) -> ast.expr:
        args = [self.operand(a) for a in instr.args]
        if self.math == "vector" and instr.kind == "bin" and isinstance(instr.op, ast.Pow):
            return _call("vpow", *args)
        if instr.kind == "bin":
            return ast.BinOp(left=args[0], op=instr.op, right=args[1])
        if instr.kind == "neg":
            return ast.UnaryOp(op=ast.USub(), operand=args[0])
        if instr.kind == "cmp":
            return ast.Compare(left=args[0], ops=[instr.op], comparators=[args[1]])
        op = str(instr.op)
        if op in _LOGICAL:
            return ast.BoolOp(op=_LOGICAL[op](), values=[_truth(args[0]), _truth(args[1])])
        if op == "not":
            return ast.UnaryOp(op=ast.Not(), operand=_truth(args[0]))
        if op == "pi":
            return ast.Constant(float(np.pi))
        if op == "abs":
            return _call("abs", *args)
        if self.math == "vector" and op in _VECTOR:
            return _call(_VECTOR[op], *args)
        if op in _NUMPY_SCALAR:
            function = ast.Attribute(value=_name("np"), attr=_NUMPY_SCALAR[op], ctx=ast.Load())
            return ast.Call(func=function, args=args, keywords=[])
        return _call(f"_{op}", *args)

    def body(self, groups: list[list[int]]) -> list[ast.stmt]:
        """One loop over the block per group of operations, in order."""
        loops = []
        for members in groups:
            self.group = set()
            statements: list[ast.stmt] = []
            for i in members:
                statements.append(_assign(f"x{i}", self.value(self.plan.linear.instrs[i])))
                self.group.add(i)
                if i in self.rows:
                    target = self.cell(self.scratch_row + self.rows[i], store=True)
                    statements.append(ast.Assign(targets=[target], value=_name(f"x{i}")))
            loops.append(_lanes(statements))
        self.group = set()
        return loops


def _decorated(kernel: ast.FunctionDef, parallel: bool) -> ast.Module:
    """``kernel`` under ``@numba.njit(cache=True, error_model="numpy", ...)``, in a module."""
    keywords = [
        ast.keyword("cache", ast.Constant(True)),
        ast.keyword("error_model", ast.Constant("numpy")),
        ast.keyword("nogil", ast.Constant(True)),
    ]
    if parallel:
        keywords.append(ast.keyword("parallel", ast.Constant(True)))
    kernel.decorator_list = [
        ast.Call(
            func=ast.Attribute(value=_name("numba"), attr="njit", ctx=ast.Load()),
            args=[],
            keywords=keywords,
        )
    ]
    module = ast.Module(body=[kernel], type_ignores=[])
    ast.fix_missing_locations(module)
    return module


def _layout(plan: KernelPlan, per_run: Sequence[bool]):
    """Columns of P for per-run leaves, local names and loads of per-chunk leaves."""
    columns: dict = {}
    chunk: dict = {}
    loads: list[ast.stmt] = []
    for key, per in zip(plan.leaves, per_run, strict=True):
        if per:
            columns[key] = len(columns)
        else:
            chunk[key] = f"{key[0].lower()}{key[1]}"
            loads.append(_assign(chunk[key], _subscript("Q", ast.Constant(len(chunk) - 1))))
    loads += [
        _assign(f"row{j}", _subscript("rows", ast.Constant(j)))
        for j in range(len(plan.linear.saved))
    ]
    return columns, chunk, loads


def _step_loop(
    saving: list[ast.stmt],
    save_advance: list[ast.stmt],
    stepping: list[ast.stmt],
    step_advance: list[ast.stmt],
) -> ast.For:
    """The loop over the time grid both designs share.

    At a saving step: ``saving`` (operations and stores), ``k += 1``, then
    ``save_advance``; at any other step: ``stepping``, then ``step_advance``.
    """
    increment = ast.AugAssign(target=_name("k", True), op=ast.Add(), value=ast.Constant(1))
    return _for(
        "i",
        _call("range", ast.Attribute(value=_name("times"), attr="size", ctx=ast.Load())),
        [
            _assign("t", _subscript("times", _name("i"))),
            ast.If(
                test=_subscript("saves", _name("i")),
                body=[*saving, increment, *save_advance],
                orelse=[*stepping, *step_advance] or [ast.Pass()],
            ),
        ],
    )


def _runs_module(plan: KernelPlan, per_run: Sequence[bool], parallel: bool) -> ast.Module:
    """The ``runs`` design: runs outer, steps inner, every value a local number.

    Same signature as :func:`kernel_module`'s kernel (``R`` unused).
    """
    linear = plan.linear
    columns, chunk, loads = _layout(plan, per_run)
    writer = _Writer(plan, columns, chunk, {})
    writer.scalar = True

    def body(roots):
        return [_assign(f"x{i}", writer.value(linear.instrs[i])) for i in _needed(linear, roots)]

    advance = [
        _assign(f"u{slot}", writer.operand(value)) for slot, value in enumerate(linear.updates)
    ] + [_assign(f"s{slot}", _name(f"u{slot}")) for slot in range(plan.slots)]
    stores = [
        _store("out", [_name("k"), _name(f"row{j}"), _name("r")], writer.operand(value))
        for j, value in enumerate(linear.saved)
    ]
    step_loop = _step_loop(
        [*body([*linear.updates, *linear.saved]), *stores], advance, body(linear.updates), advance
    )
    run_in = [
        _assign(f"p{column}", _subscript("P", ast.Constant(column), _name("r")))
        for column in range(len(columns))
    ] + [
        _assign(f"s{slot}", _subscript("S", ast.Constant(slot), _name("r")))
        for slot in range(plan.slots)
    ]
    runs = ast.Call(
        func=ast.Attribute(value=_name("numba"), attr="prange", ctx=ast.Load())
        if parallel
        else _name("range"),
        args=[_name("n")],
        keywords=[],
    )
    run_loop = _for("r", runs, [*run_in, _assign("k", ast.Constant(0)), step_loop])
    n = ast.Subscript(
        value=ast.Attribute(value=_name("out"), attr="shape", ctx=ast.Load()),
        slice=ast.Constant(2),
        ctx=ast.Load(),
    )
    kernel = function_def(
        "kernel",
        ["times", "saves", "dt", "P", "Q", "S", "out", "rows", "R"],
        [_assign("n", n), *loads, run_loop],
    )
    return _decorated(kernel, parallel)


def kernel_module(
    plan: KernelPlan,
    per_run: Sequence[bool],
    design: str = "blocks",
    parallel: bool = False,
    math: str = "libm",
) -> tuple[ast.Module, int]:
    """The kernel function for leaves that are one value per run (``per_run``) or per chunk.

    ``kernel(times, saves, dt, P, Q, S, out, rows, R)``: ``times`` the
    evaluation times (the Euler steps, then the end time when it is saved),
    ``saves`` whether each is saved; ``P`` ``(per-run leaf, run)`` and ``S``
    ``(slot, run)`` (the initial state, overwritten) with the runs padded to
    a whole number of blocks; ``Q`` ``(chunk leaf,)``; ``out`` ``(saved
    time, row, run)`` gets saved value ``j`` in row ``rows[j]``; ``R`` a
    scratch array ``(row, BLOCK)``. Blocks of :data:`BLOCK` runs are the
    outer loop, the steps the next; within a step each operation is a loop
    over the block's runs, whose values stay in the first-level cache.
    ``design="runs"`` gives :func:`_runs_module`'s kernel instead.
    ``math="vector"`` (``blocks`` only) computes exp, ln and powers with the
    vectorizable functions of ``vector_math.py``. Returns the module and the
    rows of ``R`` it needs.
    """
    if math not in MATHS or (math == "vector" and design != "blocks"):
        raise ValueError(f"math={math!r} with design={design!r}")
    if design == "runs":
        return _runs_module(plan, per_run, parallel), 0
    linear = plan.linear
    columns, chunk, loads = _layout(plan, per_run)
    variants = []
    for roots in ([*linear.updates, *linear.saved], list(linear.updates)):
        order = _needed(linear, roots)
        groups, rows = _groups(linear, order, roots, math)
        writer = _Writer(plan, columns, chunk, rows, math)
        body = writer.body(groups)
        # the next state, once every operation has read the current one
        advance = [
            _lanes(
                [
                    ast.Assign(
                        targets=[writer.cell(writer.state_row + slot, store=True)],
                        value=writer.operand(value),
                    )
                    for slot, value in enumerate(linear.updates)
                ]
            )
        ]
        variants.append((writer, body, advance))
    (saver, saving, save_advance), (_, stepping, step_advance) = variants
    stores = [
        _lanes(
            [
                _store("out", [_name("k"), _name(f"row{j}"), _name("j")], saver.operand(value))
                for j, value in enumerate(linear.saved)
            ],
            _name("m"),
        )
    ]
    step_loop = _step_loop([*saving, *stores], save_advance, stepping, step_advance)
    n = ast.Subscript(
        value=ast.Attribute(value=_name("out"), attr="shape", ctx=ast.Load()),
        slice=ast.Constant(2),
        ctx=ast.Load(),
    )
    count = _call(
        "min", ast.Constant(BLOCK), ast.BinOp(left=_name("n"), op=ast.Sub(), right=_name("r0"))
    )
    start = [
        _assign("r0u", _uint(_name("r0"))),
        ast.Expr(
            _call(
                "_load_block", _name("P"), _name("S"), _name("W"), _name("r0"), ast.Constant(BLOCK)
            )
        ),
        _assign("k", ast.Constant(0)),
        _assign("m", count),
        step_loop,
    ]
    if parallel:
        # blocks shared out among threads, each block with a scratch array of its own
        blocks = ast.BinOp(
            left=ast.BinOp(left=_name("n"), op=ast.Add(), right=ast.Constant(BLOCK - 1)),
            op=ast.FloorDiv(),
            right=ast.Constant(BLOCK),
        )
        scratch = ast.Call(
            func=ast.Attribute(value=_name("np"), attr="empty", ctx=ast.Load()),
            args=[ast.Attribute(value=_name("W_shared"), attr="size", ctx=ast.Load())],
            keywords=[],
        )
        first = ast.BinOp(left=_name("b"), op=ast.Mult(), right=ast.Constant(BLOCK))
        block_loop = _for(
            "b",
            ast.Call(
                func=ast.Attribute(value=_name("numba"), attr="prange", ctx=ast.Load()),
                args=[blocks],
                keywords=[],
            ),
            [_assign("r0", first), _assign("W", scratch), *start],
        )
    else:
        block_loop = _for(
            "r0", _call("range", ast.Constant(0), _name("n"), ast.Constant(BLOCK)), start
        )
    kernel = function_def(
        "kernel",
        ["times", "saves", "dt", "P", "Q", "S", "out", "rows", "W_shared" if parallel else "W"],
        [_assign("n", n), *loads, block_loop],
    )
    module = _decorated(kernel, parallel=parallel)
    scratch_rows = max(max(w.rows.values(), default=-1) + 1 for w, _, _ in variants)
    return module, len(columns) + plan.slots + scratch_rows


_LOADED: dict[str, Callable] = {}


def kernels_folder() -> Path:
    """Where kernel modules and numba's compiled code are cached."""
    from gvc_upgrading.translation import cache_root

    return cache_root() / "kernels"


def load_kernel(module: ast.Module, folder: Path | None = None) -> Callable:
    """Write ``module`` (with the helpers) into the cache folder, import it, return ``kernel``.

    The file is named by the digest of its text, so a kernel is written once
    and numba's on-disk cache next to it stays valid.
    """
    text = _HELPERS_SOURCE + "\n\n" + _VECTOR_MATH_SOURCE + "\n\n" + ast.unparse(module) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()[:24]
    if digest in _LOADED and folder is None:
        return _LOADED[digest]
    folder = folder or kernels_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"gvc_kernel_{digest}.py"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        partial = path.with_suffix(".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    name = f"_gvc_upgrading_kernel_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    _LOADED[digest] = loaded.kernel
    return loaded.kernel


@dataclass
class Kernel:
    """A compiled kernel for one chunk's leaf layout (see :func:`kernel_module`)."""

    function: Callable
    plan: KernelPlan
    per_run: tuple[bool, ...]
    scratch_rows: int

    def run(
        self,
        times: np.ndarray,
        saves: np.ndarray,
        dt: float,
        K: Sequence,
        C: Sequence,
        state: Sequence[np.ndarray],
        out: np.ndarray,
        rows: np.ndarray,
    ) -> None:
        """Integrate a chunk from ``state``, writing the saved values into ``out``.

        ``out`` is ``(saved time, row, run)``; saved value ``j`` goes to row
        ``rows[j]``. The inputs and state are copied into arrays padded to a
        whole number of blocks (the spare runs repeat the last run and are
        not stored).
        """
        n = out.shape[2]
        padded = -(-n // BLOCK) * BLOCK
        containers = {"K": K, "C": C}
        values = [containers[c][i] for c, i in self.plan.leaves]
        per_run = [v for v, varying in zip(values, self.per_run, strict=True) if varying]
        scalar = [v for v, varying in zip(values, self.per_run, strict=True) if not varying]
        P = np.empty((len(per_run), padded))
        for j, value in enumerate(per_run):
            P[j, :n] = value
        S = np.empty((len(state), padded))
        for slot, value in enumerate(state):
            S[slot, :n] = value
        P[:, n:] = P[:, n - 1 : n]
        S[:, n:] = S[:, n - 1 : n]
        Q = np.array([float(np.ravel(v)[0]) for v in scalar], dtype=float)
        W = np.empty(max(self.scratch_rows, 1) * BLOCK)
        self.function(times, saves, float(dt), P, Q, S, out, rows, W)


def leaf_layout(plan: KernelPlan, K: Sequence, C: Sequence, state: Sequence, n: int):
    """Per leaf, whether it holds one value per run; :class:`KernelUnsupported` otherwise."""
    containers = {"K": K, "C": C}
    per_run = []
    for c, i in plan.leaves:
        value = containers[c][i]
        shape = np.shape(value)
        dtype = np.asarray(value).dtype
        if dtype.kind not in "fb":
            raise KernelUnsupported(f"{c}[{i}] of dtype {dtype}")
        if shape in ((), (1,)):
            per_run.append(False)
        elif shape == (n,):
            per_run.append(True)
        else:
            raise KernelUnsupported(f"an input of shape {shape} (subscripts or tables)")
    for slot, value in enumerate(state):
        if np.shape(value) != (n,):
            raise KernelUnsupported(f"state slot {slot} of shape {np.shape(value)} (subscripts)")
    return tuple(per_run)


def kernel_for(
    plan: KernelPlan,
    per_run: tuple[bool, ...],
    design: str = "blocks",
    parallel: bool = False,
    folder: Path | None = None,
    math: str = "libm",
) -> Kernel:
    """The compiled kernel of ``plan`` for this leaf layout (see :func:`kernel_module`).

    ``folder`` (default: the cache folder) holds the kernel module and
    numba's cache of it.
    """
    module, scratch_rows = kernel_module(plan, per_run, design, parallel, math)
    return Kernel(load_kernel(module, folder), plan, per_run, scratch_rows)
