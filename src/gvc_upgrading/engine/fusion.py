"""Fused Euler steps: the generated step rewritten as ufunc calls into reused buffers.

The ``euler_save`` function of a :class:`~.codegen.Program` computes every
value as a fresh NumPy array: about four hundred arrays per step, all alive
until the step returns. With a few thousand runs per chunk that working set
no longer fits in the processor's caches, and every operation also pays an
allocation. This module rewrites that function, once per set of input shapes, into

``step(t, S, K, C, dt, N, B)``
    the next state written into ``N`` (one array per state slot, the same
    shapes as ``S``): every element-wise operation whose result is an array
    is a ufunc call with its output in one of the preallocated buffers ``B``,
    and a buffer is reused as soon as the value it holds is no longer needed
    (liveness over the straight-line code), so a step touches a few dozen
    arrays instead of hundreds;
``step_save(t, S, K, C, dt, N, B, O)``
    the same, also returning the requested values (kept in their own buffers
    until the step returns; the caller copies them out before the next step),
    except that a value of one number per run is computed straight into the
    caller's result row ``O[j]`` when the caller asks for that (the rows of
    :attr:`FusedStep.written`), so it is not copied at all.

How it works. The function's expressions are flattened into single
operations (registers). One plain evaluation at the first time of a chunk
whose inputs have shapes not seen before (the *trace*) gives each
register's type, shape, dtype and memory order. An operation is
*fused* (written ``ufunc(a, b, out)``) when it is an arithmetic operator,
comparison or NumPy ufunc helper, or XIDZ/ZIDZ, and its traced result is an
array; everything else (scalars that vary only in time, lookups, shape
operations) is evaluated as before. A fused operation runs the same ufunc
loop on the same operands as the expression it replaces, so the results are
bit-for-bit those of ``euler_save``; the caller keeps two state sets and
swaps them, so values read from the state stay valid while they are saved.

The rewritten code is assembled from :mod:`ast` nodes taken from the
generated function (identifiers made by :mod:`.codegen`, numbers as
constants), like the rest of the engine's code; nothing is parsed.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .codegen import function_def
from .functions import HELPERS, SMALL_VENSIM

__all__ = ["FusedStep", "fuse"]

_UFUNC_OPERATORS: dict[type, np.ufunc] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.Pow: np.power,
}
_UFUNC_COMPARE: dict[type, np.ufunc] = {
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
}
# NumPy deprecates a positional output for these two.
_KEYWORD_OUT = frozenset({"min", "max"})
_LEAF_CONTAINERS = frozenset({"S", "K", "C", "I"})
_LEAF_NAMES = frozenset({"t", "dt"})


def xidz_into(numerator, denominator, value_if_zero, out):
    """XIDZ written into ``out``: the same values as :func:`.functions.xidz`.

    ``numerator / denominator`` everywhere, then ``value_if_zero`` where
    ``|denominator| < 1e-6`` (where the division was not used).
    """
    small = np.abs(denominator) < SMALL_VENSIM
    np.true_divide(numerator, denominator, out)
    np.copyto(out, value_if_zero, where=small)


def zidz_into(numerator, denominator, out):
    """ZIDZ written into ``out``: the same values as :func:`.functions.zidz`."""
    xidz_into(numerator, denominator, 0.0, out)


_INTO_HELPERS = {"xidz": xidz_into, "zidz": zidz_into}


class Unfusable(Exception):
    """The function holds a construct this module does not rewrite (use the plain one)."""


@dataclass
class _Instr:
    """One operation: ``kind`` is "bin", "neg", "cmp" or "call"."""

    kind: str
    op: object  # an ast operator instance, or the helper's name for "call"
    args: list  # operands: int (a register) or an ast leaf expression


@dataclass
class _Linear:
    instrs: list[_Instr]
    updates: list  # operand per state slot
    saved: list  # operand per saved value


def _linearize(function: ast.FunctionDef) -> _Linear:
    """Flatten ``euler_save``'s statements into single operations."""
    instrs: list[_Instr] = []
    env: dict[str, object] = {}

    def operand(node: ast.expr):
        if isinstance(node, ast.Constant) or _is_static(node):
            return node
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            if node.id in _LEAF_NAMES:
                return node
            raise Unfusable(f"unknown name {node.id}")
        if isinstance(node, ast.Subscript):
            if (
                isinstance(node.value, ast.Name)
                and node.value.id in _LEAF_CONTAINERS
                and isinstance(node.slice, ast.Constant)
            ):
                return node
            raise Unfusable("subscript")
        if isinstance(node, ast.BinOp):
            return emit("bin", node.op, [operand(node.left), operand(node.right)])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return emit("neg", node.op, [operand(node.operand)])
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            return emit("cmp", node.ops[0], [operand(node.left), operand(node.comparators[0])])
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id.startswith("_")
            and not node.keywords
        ):
            return emit("call", node.func.id[1:], [operand(a) for a in node.args])
        raise Unfusable(type(node).__name__)

    def emit(kind: str, op: object, args: list) -> int:
        instrs.append(_Instr(kind, op, args))
        return len(instrs) - 1

    *statements, last = function.body
    for statement in statements:
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            raise Unfusable(type(statement).__name__)
        env[statement.targets[0].id] = operand(statement.value)
    if not (
        isinstance(last, ast.Return)
        and isinstance(last.value, ast.Tuple)
        and len(last.value.elts) == 2
    ):
        raise Unfusable("return")
    updates_node, saved_node = last.value.elts
    if not (isinstance(updates_node, ast.Tuple) and isinstance(saved_node, ast.Tuple)):
        raise Unfusable("return")
    updates = [operand(e) for e in updates_node.elts]
    saved = [operand(e) for e in saved_node.elts]
    return _Linear(instrs, updates, saved)


def _is_static(node: ast.expr) -> bool:
    """A literal static argument (axes, indices, shapes): numbers and tuples of them."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple):
        return all(_is_static(e) for e in node.elts)
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
    )


def _name(identifier: str, store: bool = False) -> ast.Name:
    return ast.Name(id=identifier, ctx=ast.Store() if store else ast.Load())


def _reg(index: int) -> str:
    return f"r{index}"


def _plain_value(instr: _Instr, args: list[ast.expr]) -> ast.expr:
    if instr.kind == "bin":
        assert isinstance(instr.op, ast.operator)
        return ast.BinOp(left=args[0], op=instr.op, right=args[1])
    if instr.kind == "neg":
        return ast.UnaryOp(op=ast.USub(), operand=args[0])
    if instr.kind == "cmp":
        assert isinstance(instr.op, ast.cmpop)
        return ast.Compare(left=args[0], ops=[instr.op], comparators=[args[1]])
    return ast.Call(func=_name(f"_{instr.op}"), args=args, keywords=[])


def _function(name: str, params: Sequence[str], body: list[ast.stmt]) -> ast.FunctionDef:
    return function_def(name, params, body)


def _compile(functions: list[ast.stmt], namespace: dict) -> dict[str, Callable]:
    module = ast.Module(body=functions, type_ignores=[])
    ast.fix_missing_locations(module)
    code = compile(module, "<gvc-upgrading fused step>", "exec")
    return {
        const.co_name: types.FunctionType(const, namespace)
        for const in code.co_consts
        if isinstance(const, types.CodeType)
    }


def _namespace() -> dict:
    namespace = {"__builtins__": {}, "np": np, **{f"_{k}": v for k, v in HELPERS.items()}}
    ufuncs = (*_UFUNC_OPERATORS.values(), *_UFUNC_COMPARE.values(), np.negative, np.absolute)
    for ufunc in ufuncs:
        namespace[f"_u_{ufunc.__name__}"] = ufunc
    namespace["_u_copyto"] = np.copyto
    for name, helper in _INTO_HELPERS.items():
        namespace[f"_into_{name}"] = helper
    return namespace


_NAMESPACE = _namespace()


@dataclass
class FusedStep:
    """A fused Euler step for one chunk shape; see the module docstring.

    Attributes
    ----------
    step, step_save : callable
        ``(t, S, K, C, dt, N, B)``; ``step_save`` takes ``O`` too (see
        :attr:`written`) and returns the requested values.
    buffer_specs, save_buffer_specs : list of (shape, dtype, order)
        The buffers ``B`` each function needs (see :meth:`buffers`).
    fused, total : int
        Operations written as ufunc calls into buffers, and all operations.
    source : ast.Module
        The rewritten code, for inspection.
    identities : int
        Operations left out because their result is one of their operands
        (:func:`_identities`).
    written : tuple of int
        Saved values that :attr:`step_save` writes into the result rows it is
        given (``O[j]``, one value per run) rather than returning a buffer:
        the caller passes ``O`` with those rows (other entries may be None) and
        need not copy them; the tuple it returns holds those rows too.
    """

    step: Callable
    step_save: Callable
    buffer_specs: list
    save_buffer_specs: list
    fused: int
    total: int
    source: ast.Module = field(repr=False)
    identities: int = 0
    written: tuple[int, ...] = ()

    def buffers(self, save: bool) -> list[np.ndarray]:
        """Fresh buffers for :attr:`step_save` (``save``) or :attr:`step`."""
        specs = self.save_buffer_specs if save else self.buffer_specs
        return [np.empty(shape, dtype=dtype, order=order) for shape, dtype, order in specs]


def _signature(value) -> tuple | None:
    """(shape, dtype, memory order) of an array value; None for scalars and anything else.

    A buffer takes the memory order ("C" or "F") the plain code's value had,
    so that the fused step reads and writes memory in the same patterns (a
    state broadcast from one initial value over the runs is in Fortran order,
    and so is everything computed from it).
    """
    if isinstance(value, np.ndarray) and value.ndim >= 1:
        fortran = value.flags.f_contiguous and not value.flags.c_contiguous
        return value.shape, value.dtype, "F" if fortran else "C"
    return None


def _fusable(instr: _Instr, traced: list, signature) -> str | None:
    """How ``instr`` is written fused ("ufunc" or "into"), or None to keep it plain."""
    if signature is None or signature[1] not in (np.float64, np.bool_):
        return None
    if instr.kind == "bin" and type(instr.op) in _UFUNC_OPERATORS:
        if isinstance(instr.op, ast.Pow):
            # ``array ** scalar`` takes NumPy's fast paths (square, sqrt,
            # reciprocal): only ``np.power`` itself is written as a ufunc.
            exponent = instr.args[1]
            if not (isinstance(exponent, int) and traced[exponent] is not None):
                return None
        return "ufunc"
    if instr.kind in ("neg", "cmp"):
        return "ufunc"
    if instr.kind == "call":
        helper = HELPERS.get(str(instr.op))
        if isinstance(helper, np.ufunc) and helper.nout == 1 and helper.nin == len(instr.args):
            return "ufunc"
        if instr.op in _INTO_HELPERS and signature[1] == np.float64:
            return "into"
    return None


def _ufunc_name(instr: _Instr) -> str:
    if instr.kind == "bin":
        return f"_u_{_UFUNC_OPERATORS[type(instr.op)].__name__}"
    if instr.kind == "cmp":
        return f"_u_{_UFUNC_COMPARE[type(instr.op)].__name__}"
    if instr.kind == "neg":
        return "_u_negative"
    return f"_{instr.op}"


def _needed(linear: _Linear, roots: Sequence) -> list[bool]:
    """Which registers the operands ``roots`` depend on."""
    needed = [False] * len(linear.instrs)
    stack = [r for r in roots if isinstance(r, int)]
    while stack:
        index = stack.pop()
        if needed[index]:
            continue
        needed[index] = True
        stack.extend(a for a in linear.instrs[index].args if isinstance(a, int))
    return needed


def _identities(
    linear: _Linear, modes: list, signature: Callable, ones: frozenset, truths: dict
) -> tuple[_Linear, int]:
    """``linear`` without the operations whose result is one of their operands.

    ``ones`` holds the leaves (``("C", 7)``) whose value in this chunk is the
    number 1.0 exactly (a parameter left at 1 in a study, say). Multiplying or
    dividing by one returns its operand exactly (NaN, infinities and signed
    zeros included), so a fused ``x * 1.0``, ``1.0 * x`` or ``x / 1.0`` is
    dropped when its result has the operand's shape, dtype and memory order:
    every use reads the operand instead. ``x + 0.0`` is not an identity (it
    turns -0.0 into 0.0) and stays. Likewise ``IF THEN ELSE`` on a condition
    that is one number for the whole chunk (``truths``: leaf -> its truth)
    is the branch it chooses, when that branch has the result's shape,
    dtype and order. Returns the rewritten operations and how many were
    dropped.
    """
    if not ones and not truths:
        return linear, 0
    alias: dict[int, object] = {}

    def resolved(a):
        return alias.get(a, a) if isinstance(a, int) else a

    def is_one(a) -> bool:
        return isinstance(a, ast.Subscript) and _leaf_key(a) in ones

    instrs = []
    for i, instr in enumerate(linear.instrs):
        args = [resolved(a) for a in instr.args]
        instrs.append(_Instr(instr.kind, instr.op, args))
        kept = None
        if instr.kind == "call" and instr.op == "if_then_else" and len(args) == 3:
            condition = args[0]
            if isinstance(condition, ast.Subscript) and _leaf_key(condition) in truths:
                kept = args[1] if truths[_leaf_key(condition)] else args[2]
        elif modes[i] == "ufunc" and instr.kind == "bin":
            left, right = args
            if isinstance(instr.op, ast.Mult | ast.Div) and is_one(right):
                kept = left
            elif isinstance(instr.op, ast.Mult) and is_one(left):
                kept = right
        if kept is not None and signature(kept) is not None and signature(kept) == signature(i):
            alias[i] = kept
    rewritten = _Linear(
        instrs, [resolved(a) for a in linear.updates], [resolved(a) for a in linear.saved]
    )
    return rewritten, len(alias)


def _variant(
    name: str,
    linear: _Linear,
    signature: Callable,
    modes: list,
    state_shapes: Sequence[tuple],
    with_saved: bool,
    row: tuple | None = None,
) -> tuple[ast.FunctionDef, list, tuple[int, ...]]:
    """Generate one step function, the buffers it needs and the saved values it writes out.

    ``signature(operand)`` is the traced (shape, dtype, order) of a register or
    leaf, None for numbers. ``row`` is the signature of one row of the
    caller's result block (one value per run): a saved value computed by a
    fused operation with that signature, saved once, is written straight
    into the row the caller passes in ``O`` (``O[j]`` for saved value ``j``)
    instead of a buffer. Returns (function, buffer specs, those ``j``).
    """
    instrs = linear.instrs
    traced = [signature(i) for i in range(len(instrs))]
    roots = [*linear.updates, *(linear.saved if with_saved else [])]
    needed = _needed(linear, roots)
    order = [i for i in range(len(instrs)) if needed[i]]
    end = len(instrs)

    # Updates written straight into the next state: a fused register used
    # only there, with the state's shape.
    uses: dict[int, int] = {}
    for i in order:
        for a in instrs[i].args:
            if isinstance(a, int):
                uses[a] = uses.get(a, 0) + 1
    for r in roots:
        if isinstance(r, int):
            uses[r] = uses.get(r, 0) + 1
    into_state: dict[int, int] = {}
    for slot, r in enumerate(linear.updates):
        if (
            isinstance(r, int)
            and modes[r] == "ufunc"
            and uses.get(r) == 1
            and traced[r] == state_shapes[slot]
            and r not in into_state
        ):
            into_state[r] = slot
    # Saved values written straight into the caller's result rows.
    direct: dict[int, int] = {}
    if with_saved and row is not None:
        for j, r in enumerate(linear.saved):
            if (
                isinstance(r, int)
                and modes[r] is not None
                and r not in into_state
                and r not in direct
                and linear.saved.count(r) == 1
                and traced[r] == row
            ):
                direct[r] = j

    # Last use of each register; a plain result may be a view of its array
    # arguments, which then live as long as it does.
    last = dict.fromkeys(order, -1)
    for r in roots:
        if isinstance(r, int):
            last[r] = end
    for i in reversed(order):
        for a in instrs[i].args:
            if isinstance(a, int):
                reach = i if modes[i] is not None else max(i, last[i])
                last[a] = max(last[a], reach)

    # Buffer assignment (linear scan, one free list per shape and dtype).
    # A buffer belongs to one register at a time; an element-wise ufunc may
    # write over an argument whose value dies with it.
    expiring: dict[int, list[int]] = {}
    for r, j in last.items():
        expiring.setdefault(j, []).append(r)
    buffer_of: dict[int, int] = {}
    owner: dict[int, int] = {}
    specs: list = []
    free: dict[tuple, list[int]] = {}
    for i in order:
        dying = [r for r in expiring.get(i, []) if r in buffer_of and owner[buffer_of[r]] == r]
        if modes[i] is not None and i not in into_state and i not in direct:
            spec = traced[i]
            chosen = None
            if modes[i] == "ufunc":
                for a in instrs[i].args:
                    if isinstance(a, int) and a in dying and specs[buffer_of[a]] == spec:
                        chosen = buffer_of[a]
                        dying.remove(a)
                        break
            if chosen is None and free.get(spec):
                chosen = free[spec].pop()
            if chosen is None:
                chosen = len(specs)
                specs.append(spec)
            buffer_of[i] = chosen
            owner[chosen] = i
        for r in dying:
            k = buffer_of[r]
            free.setdefault(specs[k], []).append(k)

    # Code. XIDZ and ZIDZ share two scratch buffers per shape (|denominator|
    # and its test), used only inside their own few statements.
    scratch: dict[tuple, tuple[int, int]] = {}

    def load(a) -> ast.expr:
        if isinstance(a, int):
            if a in into_state:
                raise AssertionError("a state update is not an argument")
            if a in direct:
                return ast.Subscript(
                    value=_name("O"), slice=ast.Constant(direct[a]), ctx=ast.Load()
                )
            if a in buffer_of:
                return _name(f"b{buffer_of[a]}")
            return _name(_reg(a))
        return a

    body: list[ast.stmt] = []
    code: list[ast.stmt] = []
    for i in order:
        instr = instrs[i]
        args = [load(a) for a in instr.args]
        if modes[i] is None:
            body.append(
                ast.Assign(targets=[_name(_reg(i), True)], value=_plain_value(instr, args))
            )
            continue
        if i in into_state:
            target: ast.expr = ast.Subscript(
                value=_name("N"), slice=ast.Constant(into_state[i]), ctx=ast.Load()
            )
        elif i in direct:
            target = load(i)
        else:
            target = _name(f"b{buffer_of[i]}")
        if modes[i] == "into":
            body.extend(_into(instr, args, target, signature(instr.args[1]), scratch, specs))
            continue
        function = _name(_ufunc_name(instr))
        if instr.kind == "call" and instr.op in _KEYWORD_OUT:
            call = ast.Call(func=function, args=args, keywords=[ast.keyword("out", target)])
        else:  # a positional output is the cheapest call
            call = ast.Call(func=function, args=[*args, target], keywords=[])
        body.append(ast.Expr(value=call))
    for slot, r in enumerate(linear.updates):
        if isinstance(r, int) and r in into_state:
            continue
        state = ast.Subscript(value=_name("N"), slice=ast.Constant(slot), ctx=ast.Load())
        body.append(
            ast.Expr(value=ast.Call(func=_name("_u_copyto"), args=[state, load(r)], keywords=[]))
        )
    if with_saved:
        body.append(
            ast.Return(value=ast.Tuple(elts=[load(r) for r in linear.saved], ctx=ast.Load()))
        )
    if specs:
        targets = ast.Tuple(
            elts=[_name(f"b{k}", True) for k in range(len(specs))], ctx=ast.Store()
        )
        code.append(ast.Assign(targets=[targets], value=_name("B")))
    params = ["t", "S", "K", "C", "dt", "N", "B", *(["O"] if with_saved else [])]
    written = tuple(sorted(direct.values()))
    return _function(name, params, [*code, *body]), specs, written


def _into(instr: _Instr, args: list, target: ast.expr, denominator, scratch: dict, specs: list):
    """XIDZ/ZIDZ into ``target``: ``numerator / denominator``, then the fallback where small.

    With an array denominator the test goes through scratch buffers;
    otherwise :func:`xidz_into` (which allocates its small temporaries).
    """
    numerator, den, *rest = args
    fallback = rest[0] if rest else ast.Constant(0.0)
    if denominator is None:
        helper = ast.Call(
            func=_name("_into_xidz"), args=[numerator, den, fallback, target], keywords=[]
        )
        return [ast.Expr(value=helper)]
    shape, _, order = denominator
    if (shape, order) not in scratch:
        scratch[(shape, order)] = (len(specs), len(specs) + 1)
        specs.extend([(shape, np.dtype(np.float64), order), (shape, np.dtype(np.bool_), order)])
    size, small = (_name(f"b{k}") for k in scratch[(shape, order)])

    def call(function: str, arguments: list, keywords=()) -> ast.stmt:
        return ast.Expr(
            value=ast.Call(func=_name(function), args=arguments, keywords=list(keywords))
        )

    return [
        call("_u_absolute", [den, size]),
        call("_u_less", [size, ast.Constant(SMALL_VENSIM), small]),
        call(f"_u_{np.true_divide.__name__}", [numerator, den, target]),
        call("_u_copyto", [target, fallback], [ast.keyword("where", small)]),
    ]


def _is_one(value) -> bool:
    """Whether ``value`` is the floating-point number 1.0 (not an array, not ``True``)."""
    return isinstance(value, float | np.floating) and not isinstance(value, bool) and value == 1.0


def _leaf_key(leaf: ast.Subscript) -> tuple[str, int]:
    """("S", 3) for the leaf ``S[3]`` (the only subscripts :func:`_linearize` keeps)."""
    assert isinstance(leaf.value, ast.Name) and isinstance(leaf.slice, ast.Constant)
    index = leaf.slice.value
    assert isinstance(index, int)
    return leaf.value.id, index


def _trace_function(linear: _Linear) -> ast.FunctionDef:
    """Every register evaluated plainly, returned in a tuple."""
    body: list[ast.stmt] = []
    for i, instr in enumerate(linear.instrs):
        args = [_name(_reg(a)) if isinstance(a, int) else a for a in instr.args]
        body.append(ast.Assign(targets=[_name(_reg(i), True)], value=_plain_value(instr, args)))
    registers = ast.Tuple(elts=[_name(_reg(i)) for i in range(len(linear.instrs))], ctx=ast.Load())
    body.append(ast.Return(value=registers))
    return _function("trace", ["t", "S", "K", "C", "dt"], body)


class Fuser:
    """Fused steps of one program's ``euler_save`` function, cached by traced shapes."""

    def __init__(self, function: ast.FunctionDef) -> None:
        self.linear = _linearize(function)
        self.trace = _compile([_trace_function(self.linear)], _NAMESPACE)["trace"]
        self._leaves = sorted(
            {
                _leaf_key(a)
                for instr in self.linear.instrs
                for a in instr.args
                if isinstance(a, ast.Subscript)
            }
        )
        # leaves that are the condition of an IF THEN ELSE
        self._conditions = sorted(
            {
                _leaf_key(instr.args[0])
                for instr in self.linear.instrs
                if instr.kind == "call"
                and instr.op == "if_then_else"
                and isinstance(instr.args[0], ast.Subscript)
            }
        )
        self._cache: dict[tuple, FusedStep] = {}

    def fused(self, t, S: Sequence[np.ndarray], K, C, dt, runs: int | None = None) -> FusedStep:
        """The fused step for the shapes these values have.

        Every operation's result shape follows from the shapes of its
        operands, so the step is traced (evaluated once) only for input
        shapes not seen before, or when other leaves hold the number 1.0
        (see :func:`_identities`).
        """
        containers = {"S": S, "K": K, "C": C}
        values = {key: containers[key[0]][key[1]] for key in self._leaves}
        leaves = {key: _signature(value) for key, value in values.items()}
        ones = frozenset(key for key, value in values.items() if _is_one(value))
        truths = {key: bool(values[key]) for key in self._conditions if leaves[key] is None}
        state_shapes = [_signature(np.asarray(s, dtype=float)) for s in S]
        row = None if runs is None else ((runs,), np.dtype(np.float64), "C")
        key = (tuple(leaves.values()), tuple(state_shapes), ones, tuple(truths.items()), row)
        if key not in self._cache:
            traced = [_signature(v) for v in self.trace(t, S, K, C, dt)]
            self._cache[key] = self._build(traced, leaves, state_shapes, ones, truths, row)
        return self._cache[key]

    def _build(
        self,
        traced: list,
        leaves: dict,
        state_shapes: list,
        ones: frozenset,
        truths: dict,
        row: tuple | None,
    ) -> FusedStep:
        modes = [_fusable(instr, traced, traced[i]) for i, instr in enumerate(self.linear.instrs)]

        def signature(operand):
            if isinstance(operand, int):
                return traced[operand]
            if isinstance(operand, ast.Subscript):
                return leaves[_leaf_key(operand)]
            return None

        linear, identities = _identities(self.linear, modes, signature, ones, truths)
        step, specs, _ = _variant("step", linear, signature, modes, state_shapes, with_saved=False)
        step_save, save_specs, written = _variant(
            "step_save", linear, signature, modes, state_shapes, with_saved=True, row=row
        )
        compiled = _compile([step, step_save], _NAMESPACE)
        module = ast.Module(body=[step, step_save], type_ignores=[])
        return FusedStep(
            step=compiled["step"],
            step_save=compiled["step_save"],
            buffer_specs=specs,
            save_buffer_specs=save_specs,
            fused=sum(m is not None for m in modes),
            total=len(modes),
            source=module,
            identities=identities,
            written=written,
        )


def fuse(function: ast.FunctionDef | None) -> Fuser | None:
    """A :class:`Fuser` for a generated ``euler_save`` function, or None if it cannot be fused."""
    if function is None:
        return None
    try:
        return Fuser(function)
    except Unfusable:
        return None
