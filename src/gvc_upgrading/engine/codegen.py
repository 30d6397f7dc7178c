"""Generate vectorized NumPy functions from the engine graph.

The functions are assembled from Python :mod:`ast` nodes and compiled; no
model text is ever parsed or pasted into them. Every identifier in the
generated code is made here (``t``, ``S``, ``K``, ``C``, ``v12``, ``s3``,
``_xidz``); model names and documentation only label results, and numbers
enter as :class:`ast.Constant` values. The functions see a namespace holding
``numpy`` and the helpers of :mod:`.functions`, and no builtins.

These functions are generated per model:

``initial(t, K)``
    Initialisation phase (ACTIVE INITIAL takes its initial value): the
    initial value of every state slot, the value of every INITIAL node, the
    run checks and the DELAY FIXED delay times.
``constants(K, I)``
    Every node that depends neither on time nor on a state (pysd's "run"
    cache), computed once per chunk of runs.
``rates(t, S, K, C)``
    The rate (or next value) of every state slot.
``save(t, S, K, C)``
    The same rates plus the value of every requested node.
``euler(t, S, K, C, dt)``, ``euler_save(t, S, K, C, dt)``
    The rates and the Euler update in one call (the next state; plus the
    requested values), when no DELAY FIXED needs its pipeline.
``diagnose(t, S, K, C)``
    Every time-varying node, to locate the first non-finite value.
``dynamic(t, S, K, C)``
    Only for models whose control variables change during the run: the
    rates, the requested values and the control variables computed at
    every step (:attr:`Program.control_keys`), in one evaluation.
"""

from __future__ import annotations

import ast
import sys
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelFileError
from .functions import HELPERS, LOGICAL
from .ir import Call, Graph, Input, Mode, Num, Ref, State, Static, Time

__all__ = ["Program", "generate"]

_BINARY = {
    "add": ast.Add,
    "sub": ast.Sub,
    "mul": ast.Mult,
    "div": ast.Div,
    "pow": ast.Pow,
}
_COMPARE = {
    "eq": ast.Eq,
    "ne": ast.NotEq,
    "lt": ast.Lt,
    "le": ast.LtE,
    "gt": ast.Gt,
    "ge": ast.GtE,
}
# Arguments that may stay truth values (conditions and logic operands).
_BOOL_ARGUMENTS = {"if_then_else": (0,), "and": (0, 1), "or": (0, 1), "not": (0,)}


def _name(identifier: str, store: bool = False) -> ast.Name:
    return ast.Name(id=identifier, ctx=ast.Store() if store else ast.Load())


def _item(container: str, index: int) -> ast.Subscript:
    return ast.Subscript(value=_name(container), slice=ast.Constant(index), ctx=ast.Load())


def _dependencies(expr, mode: str, out: list) -> None:
    """Append the Ref/State leaves of ``expr`` (as seen in ``mode``) to ``out``."""
    if isinstance(expr, Ref | State):
        out.append(expr)
    elif isinstance(expr, Call):
        for arg in expr.args:
            _dependencies(arg, mode, out)
    elif isinstance(expr, Mode):
        _dependencies(expr.init if mode == "init" else expr.run, mode, out)


def is_logical(expr) -> bool:
    """Whether ``expr`` evaluates to a truth value rather than a number."""
    return isinstance(expr, Call) and expr.op in LOGICAL


class _Body:
    """Statements of one generated function, computing nodes on demand."""

    def __init__(
        self,
        graph: Graph,
        mode: str,
        known: dict[int, ast.expr],
        hoisted: dict | None = None,
        shared: frozenset = frozenset(),
    ) -> None:
        self.graph = graph
        self.mode = mode
        self.known = dict(known)  # node id -> expression giving its value
        self.hoisted = hoisted or {}  # constant subexpression -> C[i]
        self.shared = shared  # subexpressions used more than once: computed once
        self.temporaries: dict = {}
        self.known_slots: set[tuple[str, int]] = set()  # slots computed (initialisation)
        self.statements: list[ast.stmt] = []
        self.visiting: set[tuple[str, int]] = set()
        self.order: list[int] = []  # nodes computed here, in order

    # state slots in the initialisation phase are computed like nodes
    def state(self, slot: int) -> ast.expr:
        if self.mode != "init":
            return _item("S", slot)
        key = ("slot", slot)
        local = f"s{slot}"
        if key not in self.known_slots:
            self.enter(key, self.graph.slots[slot].owner)
            value = self.expression(self.graph.slots[slot].init)
            self.statements.append(ast.Assign(targets=[_name(local, True)], value=value))
            self.known_slots.add(key)
            self.visiting.discard(key)
        return _name(local)

    def enter(self, key: tuple[str, int], label: str) -> None:
        if key in self.visiting:
            raise ModelFileError(
                f"circular definition through {label!r}: the model has an algebraic loop "
                "(or a circular initialisation) that pysd could not simulate either"
            )
        self.visiting.add(key)

    def node(self, node_id: int) -> ast.expr:
        if node_id in self.known:
            return self.known[node_id]
        node = self.graph.nodes[node_id]
        key = ("node", node_id)
        self.enter(key, node.name)
        value = self.expression(node.expr, as_number=True)
        self.visiting.discard(key)
        local = f"v{node_id}"
        self.statements.append(ast.Assign(targets=[_name(local, True)], value=value))
        self.known[node_id] = _name(local)
        self.order.append(node_id)
        return self.known[node_id]

    def expression(self, expr, as_number: bool = True) -> ast.expr:
        result = self._expression(expr)
        if as_number and is_logical(expr):
            result = ast.BinOp(left=result, op=ast.Mult(), right=ast.Constant(1.0))
        return result

    def _expression(self, expr) -> ast.expr:
        if isinstance(expr, Num):
            return ast.Constant(float(expr.value))
        if isinstance(expr, Static):
            return _literal(expr.value)
        if isinstance(expr, Time):
            return _name("t")
        if isinstance(expr, Input):
            return _item("K", expr.slot)
        if isinstance(expr, State):
            return self.state(expr.slot)
        if isinstance(expr, Ref):
            return self.node(expr.node)
        if isinstance(expr, Mode):
            return self.expression(expr.init if self.mode == "init" else expr.run, False)
        if isinstance(expr, Call):
            if expr in self.hoisted:
                return self.hoisted[expr]
            if expr in self.temporaries:
                return self.temporaries[expr]
            value = self.call(expr)
            if expr in self.shared:
                local = f"e{len(self.temporaries)}"
                self.statements.append(ast.Assign(targets=[_name(local, True)], value=value))
                self.temporaries[expr] = value = _name(local)
            return value
        raise TypeError(f"not an engine expression: {expr!r}")

    def call(self, expr: Call) -> ast.expr:
        keep_bool = _BOOL_ARGUMENTS.get(expr.op, ())
        args = [
            self.expression(arg, as_number=i not in keep_bool) for i, arg in enumerate(expr.args)
        ]
        op = expr.op
        if op == "view":  # a renaming of subscripts: no computation
            return args[0]
        if op in _BINARY:
            return ast.BinOp(left=args[0], op=_BINARY[op](), right=args[1])
        if op == "neg":
            return ast.UnaryOp(op=ast.USub(), operand=args[0])
        if op in _COMPARE:
            return ast.Compare(left=args[0], ops=[_COMPARE[op]()], comparators=[args[1]])
        if op not in HELPERS:
            raise TypeError(f"unknown engine operation {op!r}")
        return ast.Call(func=_name(f"_{op}"), args=args, keywords=[])


def function_def(name: str, params: Sequence[str], statements: list[ast.stmt]) -> ast.FunctionDef:
    """A plain function definition ``def name(*params): statements`` for generated code."""
    arguments = ast.arguments(
        posonlyargs=[],
        args=[ast.arg(arg=p) for p in params],
        kwonlyargs=[],
        kw_defaults=[],
        defaults=[],
    )
    function = ast.FunctionDef(
        name=name,
        args=arguments,
        body=statements or [ast.Pass()],
        decorator_list=[],
        returns=None,
    )
    if sys.version_info >= (3, 12):  # a field of function definitions since Python 3.12
        function.type_params = []
    return function


def _function(name: str, params: Sequence[str], body: _Body, result: ast.expr) -> ast.FunctionDef:
    return function_def(name, params, [*body.statements, ast.Return(value=result)])


def _literal(value: object) -> ast.expr:
    """A static argument (an int, or a tuple of them) as a literal of the generated code."""
    if isinstance(value, tuple):
        return ast.Tuple(elts=[_literal(v) for v in value], ctx=ast.Load())
    if value is None or isinstance(value, int | float | str):
        return ast.Constant(value)
    raise TypeError(f"static argument {value!r} cannot be written as a literal")


def _update(slot, rate: ast.expr) -> ast.expr:
    """The Euler update of ``slot`` exactly as the integrator writes it."""
    value = _item("S", slot.id)
    if slot.update == "replace":
        return ast.Call(func=_name("_replace"), args=[rate, value], keywords=[])
    step = ast.BinOp(
        left=value, op=ast.Add(), right=ast.BinOp(left=rate, op=ast.Mult(), right=_name("dt"))
    )
    if slot.update == "nonnegative":
        return ast.Call(func=_name("_max"), args=[step, ast.Constant(0.0)], keywords=[])
    return step


def _tuple(items: Sequence[ast.expr]) -> ast.Tuple:
    return ast.Tuple(elts=list(items), ctx=ast.Load())


def _new_body(graph: Graph, mode: str, known: dict[int, ast.expr], **kwargs) -> _Body:
    body = _Body(graph, mode, known, **kwargs)
    return body


@dataclass
class Program:
    """The compiled functions of one model, plus what they compute.

    Attributes
    ----------
    initial, constants, rates, save : callable
        See the module docstring.
    diagnose : callable
        ``diagnose(t, S, K, C)``: the value of every node in ``dynamic_nodes``.
    constant_nodes : list of int
        Node ids held in the ``C`` tuple, in order.
    saved_nodes : list of int
        Node ids returned by ``save`` (after the rates), in order.
    dynamic_nodes : list of int
        Every node that varies in time, in evaluation order.
    fixed_delay_slots : list of int
        Slots updated as DELAY FIXED pipelines.
    source : ast.Module
        The generated code, for inspection (``ast.unparse``).
    euler, euler_save : callable or None
        ``euler(t, S, K, C, dt)``: the next state; ``euler_save`` also returns
        the requested values. None when a DELAY FIXED needs its pipeline.
    dynamic : callable or None
        ``dynamic(t, S, K, C)``: ``(rates, saved values, control values)``,
        when control variables change during the run (else None).
    control_keys : tuple of str
        The controls ``dynamic`` returns (``"final_time"``, ...), in order.
    """

    initial: Callable
    constants: Callable
    rates: Callable
    save: Callable
    diagnose: Callable
    constant_nodes: list[int]
    saved_nodes: list[int]
    dynamic_nodes: list[int]
    fixed_delay_slots: list[int]
    source: ast.Module
    euler: Callable | None = None
    euler_save: Callable | None = None
    dynamic: Callable | None = None
    control_keys: tuple[str, ...] = ()
    _fuser: object = field(default=None, init=False, repr=False)

    def fuser(self):
        """The :class:`.fusion.Fuser` of ``euler_save`` (made on first use), or None.

        None when there is no fused Euler function (a DELAY FIXED pipeline)
        or it holds a construct the fusion does not rewrite.
        """
        if self._fuser is None:
            from .fusion import fuse

            function = next(
                (f for f in self.source.body if getattr(f, "name", "") == "euler_save"), None
            )
            self._fuser = fuse(function if self.euler_save is not None else None) or False
        return self._fuser or None


def _classify(graph: Graph) -> list[bool]:
    """Return, per node, whether its run-phase value changes with time."""
    dynamic: dict[int, bool] = {}

    def visit(node_id: int, path: tuple[int, ...]) -> bool:
        if node_id in dynamic:
            return dynamic[node_id]
        node = graph.nodes[node_id]
        if node_id in path:
            raise ModelFileError(f"circular definition through {node.name!r} (algebraic loop)")
        if node.kind == "initial":
            dynamic[node_id] = False
            return False
        result = _has_time(node.expr)
        leaves: list = []
        _dependencies(node.expr, "run", leaves)
        for leaf in leaves:
            if isinstance(leaf, State) or visit(leaf.node, (*path, node_id)):
                result = True
        dynamic[node_id] = result
        return result

    return [visit(i, ()) for i in range(len(graph.nodes))]


def _has_time(expr) -> bool:
    if isinstance(expr, Time):
        return True
    if isinstance(expr, Call):
        return any(_has_time(a) for a in expr.args)
    # ACTIVE INITIAL switches value after initialisation
    return isinstance(expr, Mode)


def _is_constant(expr, dynamic: list[bool]) -> bool:
    if isinstance(expr, Num | Input | Static):
        return True
    if isinstance(expr, Ref):
        return not dynamic[expr.node]
    if isinstance(expr, Call):
        return all(_is_constant(a, dynamic) for a in expr.args)
    return False  # Time, State, Mode


def _analyse(graph: Graph, dynamic: list[bool]) -> tuple[list, frozenset]:
    """Find constant subexpressions of time-varying equations, and repeated ones.

    Returns the maximal constant subexpressions (computed once per chunk
    instead of at every step) and the time-varying subexpressions that occur
    more than once (computed once per step).
    """
    hoisted: dict = {}
    counts: dict = {}

    def walk(expr) -> None:
        if isinstance(expr, Mode):
            walk(expr.run)
        elif isinstance(expr, Call):
            if _is_constant(expr, dynamic):
                hoisted.setdefault(expr, None)
                return
            counts[expr] = counts.get(expr, 0) + 1
            if counts[expr] == 1:
                for arg in expr.args:
                    walk(arg)

    for node in graph.nodes:
        if dynamic[node.id] and node.kind != "initial":
            walk(node.expr)
    for slot in graph.slots:
        walk(slot.rate)
    return list(hoisted), frozenset(e for e, c in counts.items() if c > 1)


def generate(graph: Graph, requested: Sequence[int]) -> Program:
    """Compile ``graph`` into a :class:`Program` returning ``requested`` nodes.

    Raises
    ------
    ModelFileError
        If the model has an algebraic loop or a circular initialisation.
    """
    # Dependencies are followed recursively: allow chains as long as the model.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 1000 + 12 * (len(graph.nodes) + len(graph.slots))))
    try:
        return _generate(graph, requested)
    finally:
        sys.setrecursionlimit(limit)


def _generate(graph: Graph, requested: Sequence[int]) -> Program:
    dynamic = _classify(graph)
    functions: list[ast.stmt] = []

    # initial(t, K)
    body = _new_body(graph, "init", {})
    slot_values = [body.state(slot.id) for slot in graph.slots]
    initial_nodes = [n.id for n in graph.nodes if n.kind == "initial"]
    initial_values = [body.node(i) for i in initial_nodes]
    checks = [body.expression(check, as_number=False) for check, _ in graph.checks]
    fixed = [s.id for s in graph.slots if s.update == "fixed_delay"]
    lengths = [body.expression(graph.slots[i].length_expr) for i in fixed]
    functions.append(
        _function(
            "initial",
            ["t", "K"],
            body,
            _tuple([_tuple(slot_values), _tuple(initial_values), _tuple(checks), _tuple(lengths)]),
        )
    )

    # constants(K, I)
    constant_nodes = [n.id for n in graph.nodes if not dynamic[n.id]]
    hoisted_exprs, shared = _analyse(graph, dynamic)
    body = _new_body(graph, "run", {i: _item("I", k) for k, i in enumerate(initial_nodes)})
    values = [body.node(i) for i in constant_nodes]
    values += [body.expression(e, as_number=False) for e in hoisted_exprs]
    functions.append(_function("constants", ["K", "I"], body, _tuple(values)))

    known: dict[int, ast.expr] = {node: _item("C", k) for k, node in enumerate(constant_nodes)}
    hoisted = {e: _item("C", len(constant_nodes) + k) for k, e in enumerate(hoisted_exprs)}
    dynamic_options = {"hoisted": hoisted, "shared": shared}

    # rates(t, S, K, C)
    body = _new_body(graph, "run", known, **dynamic_options)
    rates = [body.expression(slot.rate) for slot in graph.slots]
    functions.append(_function("rates", ["t", "S", "K", "C"], body, _tuple(rates)))

    # save(t, S, K, C)
    body = _new_body(graph, "run", known, **dynamic_options)
    rates = [body.expression(slot.rate) for slot in graph.slots]
    saved_nodes = [i for i in requested if dynamic[i]]
    saved = [body.node(i) for i in saved_nodes]
    functions.append(
        _function("save", ["t", "S", "K", "C"], body, _tuple([_tuple(rates), _tuple(saved)]))
    )

    # euler(t, S, K, C, dt) and euler_save(...): rates and the Euler update in one call
    fused = all(slot.update != "fixed_delay" for slot in graph.slots)
    if fused:
        for name, with_saved in (("euler", False), ("euler_save", True)):
            body = _new_body(graph, "run", known, **dynamic_options)
            rates = [body.expression(slot.rate) for slot in graph.slots]
            updated = _tuple(
                [_update(slot, rate) for slot, rate in zip(graph.slots, rates, strict=True)]
            )
            result = updated
            if with_saved:
                result = _tuple([updated, _tuple([body.node(i) for i in saved_nodes])])
            functions.append(_function(name, ["t", "S", "K", "C", "dt"], body, result))

    # dynamic(t, S, K, C): rates, saved values and the changing control variables
    control_keys = tuple(graph.dynamic_controls)
    if control_keys:
        body = _new_body(graph, "run", known, **dynamic_options)
        rates = [body.expression(slot.rate) for slot in graph.slots]
        saved = [body.node(i) for i in saved_nodes]
        controls = [body.node(graph.dynamic_controls[k]) for k in control_keys]
        functions.append(
            _function(
                "dynamic",
                ["t", "S", "K", "C"],
                body,
                _tuple([_tuple(rates), _tuple(saved), _tuple(controls)]),
            )
        )

    # every dynamic node, for diagnosing non-finite values
    body = _new_body(graph, "run", known, **dynamic_options)
    for node in graph.nodes:
        if dynamic[node.id]:
            body.node(node.id)
    dynamic_nodes = list(body.order)
    functions.append(
        _function(
            "diagnose", ["t", "S", "K", "C"], body, _tuple([body.known[i] for i in dynamic_nodes])
        )
    )

    module = ast.Module(body=functions, type_ignores=[])
    ast.fix_missing_locations(module)
    code = compile(module, "<gvc-upgrading batch engine>", "exec")
    namespace = {"__builtins__": {}, "np": np, **{f"_{k}": v for k, v in HELPERS.items()}}
    compiled = {
        const.co_name: types.FunctionType(const, namespace)
        for const in code.co_consts
        if isinstance(const, types.CodeType)
    }
    program = Program(
        initial=compiled["initial"],
        constants=compiled["constants"],
        rates=compiled["rates"],
        save=compiled["save"],
        diagnose=compiled["diagnose"],
        euler=compiled.get("euler"),
        euler_save=compiled.get("euler_save"),
        dynamic=compiled.get("dynamic"),
        control_keys=control_keys,
        constant_nodes=constant_nodes,
        saved_nodes=saved_nodes,
        dynamic_nodes=dynamic_nodes,
        fixed_delay_slots=fixed,
        source=module,
    )
    return program
