"""Lower pysd's ``AbstractModel`` into the engine's graph (:mod:`.ir`).

Each construct is translated to the same arithmetic pysd's own Python
builder and runtime (``pysd.py_backend``) perform, so that the compiled
model reproduces pysd's numbers to round-off:

* stocks (``INTEG``) are state slots integrated with their flow;
* ``SMOOTH``/``SMOOTHI``/``SMOOTH3``/``SMOOTH3I``/``SMOOTH N`` are ``order``
  slots, each relaxing towards the previous one;
* ``DELAY1``/``DELAY1I``/``DELAY3``/``DELAY3I`` are ``order`` slots holding
  the material in transit, ``DELAY N`` also remembers past delay times,
  ``DELAY FIXED`` is a pipeline one time step per cell;
* ``TREND``, ``FORECAST`` and ``SAMPLE IF TRUE`` are one slot each;
* ``INITIAL`` is a node frozen at initialisation, ``ACTIVE INITIAL`` a
  :class:`~.ir.Mode` switch;
* lookups (definitions and ``WITH LOOKUP``) are tables given as run-time
  inputs, so that they can be replaced per run.

Anything else raises :class:`~gvc_upgrading.errors.UnsupportedConstructError`
naming the construct and the variable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np
from pysd.translators.structures import abstract_expressions as ae
from pysd.translators.structures.abstract_model import (
    AbstractControlElement,
    AbstractData,
    AbstractLookup,
    AbstractModel,
)

from ..errors import ModelFileError, UnsupportedConstructError
from .ir import Call, Graph, Input, InputSpec, Mode, Node, Num, Ref, Slot, State, Static, Time

__all__ = ["CONTROL_KEYS", "FUNCTIONS", "control_values", "lower_model", "reference_key"]

#: Vensim control variables, by the key pysd gives them in equations.
CONTROL_KEYS: dict[str, str] = {
    "initial_time": "INITIAL TIME",
    "final_time": "FINAL TIME",
    "time_step": "TIME STEP",
    "saveper": "SAVEPER",
}

#: Vensim functions (by pysd's reference key) -> (runtime op, accepted arities).
FUNCTIONS: dict[str, tuple[str, tuple[int, ...]]] = {
    "abs": ("abs", (1,)),
    "exp": ("exp", (1,)),
    "sqrt": ("sqrt", (1,)),
    "ln": ("ln", (1,)),
    "log": ("log", (2,)),
    "sin": ("sin", (1,)),
    "cos": ("cos", (1,)),
    "tan": ("tan", (1,)),
    "arcsin": ("arcsin", (1,)),
    "arccos": ("arccos", (1,)),
    "arctan": ("arctan", (1,)),
    "sinh": ("sinh", (1,)),
    "cosh": ("cosh", (1,)),
    "tanh": ("tanh", (1,)),
    "power": ("power", (2,)),
    "min": ("min", (2,)),
    "max": ("max", (2,)),
    "integer": ("integer", (1,)),
    "modulo": ("modulo", (2,)),
    "quantum": ("quantum", (2,)),
    "xidz": ("xidz", (3,)),
    "zidz": ("zidz", (2,)),
    "if_then_else": ("if_then_else", (3,)),
    "step": ("step", (2,)),
    "ramp": ("ramp", (3,)),
    "pulse": ("pulse", (2,)),
    "pulse_train": ("pulse_train", (4,)),
    "pi": ("pi", (0,)),
    "sum": ("sum", (1,)),
    "prod": ("prod", (1,)),
    "vmin": ("vmin", (1,)),
    "vmax": ("vmax", (1,)),
}

_REDUCTIONS = frozenset({"sum", "prod", "vmin", "vmax"})

_STRUCTURE_NAMES = {
    "AllocateAvailableStructure": "ALLOCATE AVAILABLE",
    "AllocateByPriorityStructure": "ALLOCATE BY PRIORITY",
    "GetLookupsStructure": "GET LOOKUPS",
    "GetDataStructure": "GET DATA",
    "GetConstantsStructure": "GET CONSTANTS",
    "DataStructure": "DATA",
    "LookupsStructure": "lookup definition inside an equation",
    "SubscriptsReferenceStructure": "subscripts",
}


def reference_key(name: str) -> str:
    """Return the key pysd uses for ``name`` in equations (lower case, ``_``)."""
    return re.sub(r"[\s_]+", "_", name.strip().strip('"').lower())


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def _unsupported(construct: str, variable: str, detail: str = "") -> UnsupportedConstructError:
    return UnsupportedConstructError(construct, variable, detail)


class _Lowering:
    """One pass over an AbstractModel; see :func:`lower_model`."""

    def __init__(self, model: AbstractModel, series_overrides: Iterable[str]) -> None:
        self.model = model
        self.series_overrides = frozenset(series_overrides)
        self.graph = Graph()
        self.keys: dict[str, tuple[str, int]] = {}  # key -> (kind, node id / element index)
        self.dim_cache: dict = {}  # expression -> its subscript dims
        self.context_dims: tuple[str, ...] = ()  # dims of the equation being lowered
        self.range_names: dict[str, str] = {}  # casefolded range name -> range name
        self.lookup_inputs: dict[str, tuple[Input, Input]] = {}  # key -> (x, y) inputs

    # -- building blocks ---------------------------------------------------
    def new_input(self, name: str, role: str, default: object, dims: tuple = ()) -> Input:
        self.graph.inputs.append(InputSpec(name, role, default, dims))
        return Input(len(self.graph.inputs) - 1)

    def new_node(self, name: str, expr: object, kind: str, visible: bool) -> int:
        node = Node(len(self.graph.nodes), name, expr, kind, visible)
        self.graph.nodes.append(node)
        return node.id

    def new_slot(self, owner: str, init: object, rate: object, update: str = "euler") -> State:
        dims = self.context_dims
        slot = Slot(
            len(self.graph.slots), owner, init, rate, update, dims=dims, shape=self.shape(dims)
        )
        self.graph.slots.append(slot)
        return State(slot.id)

    # -- subscripts --------------------------------------------------------
    def shape(self, dims: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(len(self.graph.ranges[d.rstrip("!")]) for d in dims)

    def range_of(self, name: str) -> str | None:
        return self.range_names.get(name.strip().casefold())

    def elements(self, name: str) -> list[str]:
        """Elements (casefolded) of a range, or the element itself."""
        found = self.range_of(name)
        if found is not None:
            return [e.casefold() for e in self.graph.ranges[found]]
        return [name.strip().casefold()]

    def index_in(self, element: str, dim: str, var: str) -> int:
        members = [e.casefold() for e in self.graph.ranges[dim]]
        if element.strip().casefold() not in members:
            raise ModelFileError(f"{var!r}: {element!r} is not an element of {dim!r}")
        return members.index(element.strip().casefold())

    def dims_of(self, expr) -> tuple[str, ...]:
        if isinstance(expr, Num | Time | Static):
            return ()
        if isinstance(expr, Input):
            return self.graph.inputs[expr.slot].dims
        if isinstance(expr, Ref):
            return self.graph.nodes[expr.node].dims
        if isinstance(expr, State):
            return self.graph.slots[expr.slot].dims
        if isinstance(expr, Mode):
            return self.dims_of(expr.run)
        return self.dim_cache.get(expr, ())

    def op(self, name: str, args: tuple):
        """``Call(name, args)`` with arguments aligned on the union of their dims."""
        values = (0,) if name in ("lookup", "series") else range(len(args))
        dims = {i: self.dims_of(args[i]) for i in values}
        union: list[str] = []
        for d in dims.values():
            union.extend(x for x in d if x not in union)
        target = tuple(union)
        if target:
            args = tuple(
                self.align(a, dims[i], target)
                if i in dims and dims[i] != target and not isinstance(a, Num)
                else a
                for i, a in enumerate(args)
            )
        result = fold(name, args)
        if target:
            self.dim_cache[result] = target
        return result

    def align(self, expr, source: tuple[str, ...], target: tuple[str, ...]):
        """Reorder ``expr``'s axes from ``source`` to ``target`` (size 1 where missing)."""
        if source == target:
            return expr
        positions = tuple(target.index(d) for d in source)
        call = Call("align", (expr, Static(positions), Static(len(target))))
        self.dim_cache[call] = target
        return call

    def conform(self, expr, target: tuple[str, ...], var: str):
        """Broadcast ``expr`` to the full shape of ``target`` dims."""
        source = self.dims_of(expr)
        if not set(source) <= set(target):
            raise ModelFileError(
                f"the equation of {var!r} has subscripts {source} that its definition "
                f"over {target} does not have"
            )
        if not target or (source == target and not isinstance(expr, Num)):
            return expr
        call = Call("fill", (self.align(expr, source, target), Static(self.shape(target))))
        self.dim_cache[call] = target
        return call

    def _declare_ranges(self, ranges) -> None:
        for subscript_range in ranges:
            if not isinstance(subscript_range.subscripts, list):
                raise _unsupported("subscript range copy or GET", subscript_range.name)
            if subscript_range.mapping:
                raise _unsupported("subscript mapping", subscript_range.name)
            self.graph.ranges[subscript_range.name] = list(subscript_range.subscripts)
            self.range_names[subscript_range.name.strip().casefold()] = subscript_range.name

    def _variable_dims(self, element) -> tuple[str, ...]:
        components = element.components
        for component in components:
            if component.subscripts[1]:
                raise _unsupported("EXCEPT", element.name)
        lists = [component.subscripts[0] for component in components]
        if not any(lists):
            if len(components) > 1:
                raise ModelFileError(f"variable {element.name!r} is defined twice")
            return ()
        if len({len(x) for x in lists}) != 1:
            raise ModelFileError(f"{element.name!r}: definitions with different subscripts")
        dims = []
        for position in range(len(lists[0])):
            names = [x[position] for x in lists]
            if len(names) == 1 and self.range_of(names[0]) is not None:
                dims.append(self.range_of(names[0]))
                continue
            wanted = {e for name in names for e in self.elements(name)}
            candidates = [
                r
                for r, members in self.graph.ranges.items()
                if wanted <= {m.casefold() for m in members}
            ]
            if not candidates:
                raise ModelFileError(
                    f"{element.name!r}: no subscript range holds all of {sorted(wanted)}"
                )
            dims.append(min(candidates, key=lambda r: len(self.graph.ranges[r])))
        return tuple(dims)

    # -- the model ---------------------------------------------------------
    def run(self) -> Graph:
        sections = self.model.sections
        for section in sections:
            if section.type != "main":
                raise _unsupported("MACRO", section.name)
        (main,) = [s for s in sections if s.type == "main"]
        self._declare_ranges(main.subscripts)
        elements = [e for e in main.elements if e.components]
        controls = [e for e in elements if isinstance(e, AbstractControlElement)]
        variables = [e for e in elements if not isinstance(e, AbstractControlElement)]
        self._declare_controls(controls, variables)
        # Reserve one node per variable so that references resolve in any order.
        pending = []
        for element in variables:
            key = reference_key(element.name)
            if key in self.keys:
                raise ModelFileError(f"variable {element.name!r} is defined twice")
            dims = self._variable_dims(element)
            component = element.components[0]
            if isinstance(component, AbstractLookup):
                if dims:
                    raise _unsupported("subscripted lookup", element.name)
                self._declare_lookup(element.name, component.ast)
                continue
            node = self.new_node(element.name, None, "auxiliary", True)
            self.graph.nodes[node].dims = dims
            self.keys[key] = ("node", node)
            self.graph.by_name[element.name] = node
            pending.append((element, component, node))
        # Constants first, so that orders of SMOOTH N / DELAY N can read them.
        pending.sort(key=lambda item: not _is_number(item[1].ast))
        for element, _component, node in pending:
            self._define_element(element, node)
        for slot in self.graph.slots:
            if slot.dims:
                slot.init = self.conform(slot.init, slot.dims, slot.owner)
                slot.rate = self.conform(slot.rate, slot.dims, slot.owner)
        return self.graph

    def _define_element(self, element, node_id: int) -> None:
        node = self.graph.nodes[node_id]
        components = element.components
        simple = (
            len(components) == 1
            and tuple(self.range_of(s) for s in components[0].subscripts[0]) == node.dims
        )
        if simple:
            self.context_dims = node.dims
            try:
                self._define(element, components[0], node_id)
            finally:
                self.context_dims = ()
            if node.dims and node.kind != "constant":
                node.expr = self.conform(node.expr, node.dims, element.name)
            return
        # element-wise definition: each component fills its block of the array
        values, blocks = [], []
        for component in components:
            if isinstance(component, AbstractData) or isinstance(component.ast, ae.IntegStructure):
                raise _unsupported("element-wise stock or data", element.name)
            subscripts = component.subscripts[0]
            cdims = tuple(self.range_of(x) for x in subscripts if self.range_of(x))
            self.context_dims = cdims
            try:
                value = self._component_value(component.ast, cdims, element.name)
            finally:
                self.context_dims = ()
            source = self.dims_of(value)
            if not set(source) <= set(cdims):
                raise ModelFileError(
                    f"the equation of {element.name!r}{list(subscripts)} has subscripts "
                    f"{source} it is not defined over"
                )
            position_of = {
                self.range_of(x): p for p, x in enumerate(subscripts) if self.range_of(x)
            }
            if not isinstance(value, Num):
                positions = tuple(position_of[d] for d in source)
                value = Call("align", (value, Static(positions), Static(len(node.dims))))
            block = []
            for p, x in enumerate(subscripts):
                block.append(
                    tuple(self.index_in(e, node.dims[p], element.name) for e in self.elements(x))
                )
            values.append(value)
            blocks.append(tuple(block))
        node.expr = Call(
            "assemble", (Static(self.shape(node.dims)), Static(tuple(blocks)), *values)
        )
        self.dim_cache[node.expr] = node.dims

    def _component_value(self, ast, dims: tuple[str, ...], var: str):
        if isinstance(ast, np.ndarray):
            return self.array_input(ast, dims, var)
        return self.expr(ast, var)

    def array_input(self, ast: np.ndarray, dims: tuple[str, ...], var: str) -> Input:
        shape = self.shape(dims)
        values = np.asarray(ast, dtype=float)
        if values.size != int(np.prod(shape)):
            raise ModelFileError(f"{var!r}: {values.size} values for subscripts of shape {shape}")
        return self.new_input(var, "array", values.reshape((1, *shape)), dims)

    def _declare_controls(self, controls, variables) -> None:
        values = self.control_values(controls, variables, {})
        for key, name in CONTROL_KEYS.items():
            slot = self.new_input(name, "control", values[key])
            self.graph.controls[key] = slot.slot
            self.keys[key] = ("control", slot.slot)

    def control_values(self, controls, variables, overrides: dict[str, float]) -> dict:
        """Values of the control variables, with ``overrides`` (by key) applied first."""
        by_key = {reference_key(e.name): e for e in controls}
        constants = {
            reference_key(e.name): e.components[0].ast
            for e in variables
            if _is_number(e.components[0].ast)
        }
        values: dict[str, float] = {k: float(v) for k, v in overrides.items() if v is not None}

        def value_of(key: str, seen: tuple[str, ...] = ()) -> float:
            if key in values:
                return values[key]
            if key in seen:
                raise ModelFileError(f"control variables refer to each other in a loop: {seen}")
            if key in constants:
                return float(constants[key])
            if key not in by_key:
                label = CONTROL_KEYS.get(key, key)
                raise ModelFileError(f"the model does not define the control {label!r}")
            result = self._static_control(
                by_key[key].components[0].ast,
                by_key[key].name,
                lambda k: value_of(k, (*seen, key)),
            )
            values[key] = result
            return result

        return {key: value_of(key) for key in CONTROL_KEYS}

    def _static_control(self, ast, name: str, lookup) -> float:
        if _is_number(ast):
            return float(ast)
        if isinstance(ast, ae.ReferenceStructure) and ast.subscripts is None:
            return lookup(ast.reference)
        if isinstance(ast, ae.ArithmeticStructure):
            values = [self._static_control(a, name, lookup) for a in ast.arguments]
            if ast.operators == ["negative"]:
                return -values[0]
            result = values[0]
            for op, value in zip(ast.operators, values[1:], strict=True):
                if op == "+":
                    result = result + value
                elif op == "-":
                    result = result - value
                elif op == "*":
                    result = result * value
                elif op == "/":
                    result = result / value
                else:
                    break
            else:
                return result
        raise _unsupported(
            "non-constant control variable", name, "control variables must be constant numbers"
        )

    def _declare_lookup(self, name: str, ast) -> None:
        if not isinstance(ast, ae.LookupsStructure):
            raise _unsupported(_construct_name(ast), name)
        x, y = _table(ast)
        key = reference_key(name)
        xi = self.new_input(name, "lookup_x", x)
        yi = self.new_input(name, "lookup_y", y)
        self.graph.lookups[name] = (xi.slot, yi.slot)
        self.keys[key] = ("lookup", len(self.graph.lookups) - 1)
        self.lookup_inputs[key] = (xi, yi)

    def _define(self, element, component, node_id: int) -> None:
        node = self.graph.nodes[node_id]
        name = element.name
        ast = component.ast
        if isinstance(component, AbstractData):
            node.kind = "data"
            if node.dims:
                raise _unsupported("subscripted data", name)
            if isinstance(ast, ae.DataStructure):
                if component.keyword not in (None, "interpolate"):
                    raise _unsupported(
                        f"data keyword {component.keyword!r}",
                        name,
                        "only interpolated data are supported",
                    )
                xi = self.new_input(name, "series_x", None)
                yi = self.new_input(name, "series_y", None)
                self.graph.data[name] = (xi.slot, yi.slot)
                node.expr = Call("series", (Time(), xi, yi))
                return
        if isinstance(ast, np.ndarray):
            node.expr = self.array_input(ast, node.dims, name)
            return
        if _is_number(ast):
            node.kind = "constant"
            slot = self.new_input(name, "constant", float(ast))
            if node.dims:
                if name in self.series_overrides:
                    raise _unsupported("time series for a subscripted constant", name)
                self.graph.constants[name] = slot.slot
                node.expr = Call("fill", (slot, Static(self.shape(node.dims))))
                self.dim_cache[node.expr] = node.dims
                return
            self.graph.constants[name] = slot.slot
            if name in self.series_overrides:
                xi = self.new_input(name, "series_x", None)
                yi = self.new_input(name, "series_y", None)
                node.expr = Call("series", (Time(), xi, yi))
            else:
                node.expr = slot
            return
        if isinstance(ast, ae.IntegStructure):
            node.kind = "stock"
            self.graph.stocks.append(name)
        node.expr = self.expr(ast, name)

    # -- expressions -------------------------------------------------------
    def expr(self, ast, var: str):
        if _is_number(ast):
            return Num(float(ast))
        if isinstance(ast, ae.ArithmeticStructure):
            return self.arithmetic(ast, var)
        if isinstance(ast, ae.LogicStructure):
            return self.logic(ast, var)
        if isinstance(ast, ae.ReferenceStructure):
            return self.reference(ast, var)
        if isinstance(ast, ae.CallStructure):
            return self.call(ast, var)
        if isinstance(ast, ae.InlineLookupsStructure):
            x, y = _table(ast.lookups)
            xi = self.new_input(f"WITH LOOKUP in {var}", "lookup_x", x)
            yi = self.new_input(f"WITH LOOKUP in {var}", "lookup_y", y)
            return self.op("lookup", (self.expr(ast.argument, var), xi, yi))
        if isinstance(ast, ae.IntegStructure):
            update = "nonnegative" if ast.non_negative else "euler"
            return self.new_slot(
                var, self.expr(ast.initial, var), self.expr(ast.flow, var), update
            )
        if isinstance(ast, ae.SmoothStructure | ae.SmoothNStructure):
            return self.smooth(ast, var)
        if isinstance(ast, ae.DelayStructure):
            return self.delay(ast, var, self.static_order(ast.order, "DELAY", var))
        if isinstance(ast, ae.DelayNStructure):
            return self.delay_n(ast, var)
        if isinstance(ast, ae.DelayFixedStructure):
            return self.delay_fixed(ast, var)
        if isinstance(ast, ae.TrendStructure):
            return self.trend(ast, var)
        if isinstance(ast, ae.ForecastStructure):
            return self.forecast(ast, var)
        if isinstance(ast, ae.SampleIfTrueStructure):
            return self.sample_if_true(ast, var)
        if isinstance(ast, ae.InitialStructure):
            value = self.expr(ast.initial, var)
            node = self.new_node(f"INITIAL in {var}", value, "initial", False)
            self.graph.nodes[node].dims = self.dims_of(value)
            return Ref(node)
        if isinstance(ast, ae.GameStructure):  # pysd ignores GAME too
            return self.expr(ast.expression, var)
        if isinstance(ast, str):
            raise _unsupported("string argument", var)
        if isinstance(ast, np.ndarray):
            raise _unsupported("array constant inside an equation", var)
        raise _unsupported(_construct_name(ast), var)

    def arithmetic(self, ast: ae.ArithmeticStructure, var: str):
        args = [self.expr(a, var) for a in ast.arguments]
        ops = list(ast.operators)
        if ops == ["negative"]:
            return self.op("neg", (args[0],))
        if all(op == "^" for op in ops):
            # pysd writes a**b**c, which Python groups from the right.
            result = args[-1]
            for left in reversed(args[:-1]):
                result = self.op("pow", (left, result))
            return result
        names = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow"}
        result = args[0]
        for op, arg in zip(ops, args[1:], strict=True):
            if op not in names:
                raise _unsupported(f"operator {op!r}", var)
            result = self.op(names[op], (result, arg))
        return result

    def logic(self, ast: ae.LogicStructure, var: str):
        args = [self.expr(a, var) for a in ast.arguments]
        ops = list(ast.operators)
        names = {
            "=": "eq",
            "<>": "ne",
            "<": "lt",
            "<=": "le",
            ">": "gt",
            ">=": "ge",
            ":AND:": "and",
            ":OR:": "or",
        }
        if ops == [":NOT:"]:
            return self.op("not", (args[0],))
        # pysd nests binary logic from the right: a AND (b OR c).
        result = args[-1]
        for op, left in zip(reversed(ops), reversed(args[:-1]), strict=True):
            key = op.upper()
            if key not in names:
                raise _unsupported(f"operator {op!r}", var)
            result = self.op(names[key], (left, result))
        return result

    def reference(self, ast: ae.ReferenceStructure, var: str):
        expr = self._plain_reference(ast, var)
        subscripts = ast.subscripts.subscripts if ast.subscripts is not None else None
        dims = self.dims_of(expr)
        if subscripts is None:
            return expr
        if len(subscripts) != len(dims):
            raise ModelFileError(
                f"the equation of {var!r} refers to {ast.reference!r} with {len(subscripts)} "
                f"subscripts; it has {len(dims)}"
            )
        result_dims: list[str] = []
        axis = 0
        for subscript, target in zip(subscripts, dims, strict=True):
            bang = subscript.strip().endswith("!")
            name = subscript.strip().rstrip("!").strip()
            found = self.range_of(name)
            if found is None:
                index = self.index_in(name, target, var)
                expr = Call("take", (expr, Static(axis), Static(index)))
                continue
            suffix = "!" if bang else ""
            if found != target:
                members = [m.casefold() for m in self.graph.ranges[target]]
                wanted = self.elements(found)
                if not set(wanted) <= set(members):
                    raise _unsupported(
                        "subscript mapping", var, f"{found!r} is not a subrange of {target!r}"
                    )
                indices = tuple(members.index(e) for e in wanted)
                expr = Call("take", (expr, Static(axis), Static(indices)))
            result_dims.append(found + suffix)
            axis += 1
        result = tuple(result_dims)
        if result != dims:
            expr = Call("view", (expr, Static(result)))
            self.dim_cache[expr] = result
        return expr

    def _plain_reference(self, ast: ae.ReferenceStructure, var: str):
        key = reference_key(ast.reference)
        if key == "time":
            return Time()
        if key == "pi" and key not in self.keys:
            return Num(math.pi)
        if key not in self.keys:
            raise ModelFileError(f"the equation of {var!r} refers to an unknown name {key!r}")
        kind, index = self.keys[key]
        if kind == "control":
            return Input(index)
        if kind == "lookup":
            raise _unsupported("lookup used without an argument", var)
        return Ref(index)

    def call(self, ast: ae.CallStructure, var: str):
        key = reference_key(ast.function.reference)
        lookups = self.lookup_inputs
        if key in lookups:
            if len(ast.arguments) != 1:
                raise ModelFileError(f"lookup {key!r} called with {len(ast.arguments)} arguments")
            xi, yi = lookups[key]
            return self.op("lookup", (self.expr(ast.arguments[0], var), xi, yi))
        if key == "active_initial":
            if len(ast.arguments) != 2:
                raise ModelFileError(f"ACTIVE INITIAL in {var!r} needs two arguments")
            return Mode(self.expr(ast.arguments[0], var), self.expr(ast.arguments[1], var))
        if key not in FUNCTIONS:
            raise _unsupported(key.upper().replace("_", " "), var)
        op, arities = FUNCTIONS[key]
        if len(ast.arguments) not in arities:
            raise _unsupported(
                f"{key.upper().replace('_', ' ')} with {len(ast.arguments)} arguments", var
            )
        args = tuple(self.expr(a, var) for a in ast.arguments)
        if op in _REDUCTIONS:
            dims = self.dims_of(args[0])
            axes = tuple(i for i, d in enumerate(dims) if d.endswith("!"))
            if not axes:
                raise _unsupported(f"{op.upper()} without a '!' subscript", var)
            call = Call(op, (args[0], Static(axes)))
            self.dim_cache[call] = tuple(d for d in dims if not d.endswith("!"))
            return call
        if op in ("step", "pulse", "pulse_train", "ramp"):
            args = (Time(), Input(self.graph.controls["time_step"]), *args)
        return self.op(op, args)

    # -- stateful structures ----------------------------------------------
    def static_order(self, ast, construct: str, var: str) -> int:
        value = self.static_value(self.expr(ast, var))
        if value is None or not math.isfinite(value) or value < 1:
            raise _unsupported(
                f"{construct} with a variable order",
                var,
                "the order must be a constant number of at least 1",
            )
        return int(value)

    def static_value(self, expr) -> float | None:
        """Value of ``expr`` from literals and model defaults, or None if it varies."""
        if isinstance(expr, Num):
            return expr.value
        if isinstance(expr, Input):
            spec = self.graph.inputs[expr.slot]
            return float(spec.default) if spec.role in ("constant", "control") else None
        if isinstance(expr, Ref):
            node = self.graph.nodes[expr.node]
            return None if node.expr is None else self.static_value(node.expr)
        return None

    def check_order_input(self, expr, construct: str, var: str, order: int) -> None:
        """Refuse runs in which a sampled value would change a fixed order."""
        if not isinstance(expr, Num):
            self.graph.checks.append(
                (
                    self.op("eq", (expr, Num(float(order)))),
                    f"the order of {construct} in {var!r} was fixed at {order} when the model "
                    "was compiled; it cannot vary between runs",
                )
            )

    def smooth(self, ast, var: str):
        construct = "SMOOTH N" if isinstance(ast, ae.SmoothNStructure) else "SMOOTH"
        order = self.static_order(ast.order, construct, var)
        self.check_order_input(self.expr(ast.order, var), construct, var, order)
        target = self.expr(ast.input, var)
        smooth_time = self.expr(ast.smooth_time, var)
        initial = self.expr(ast.initial, var)
        stages = [self.new_slot(var, initial, None) for _ in range(order)]
        for stage in stages:
            # pysd: (targets - state) * order / smooth_time
            rate = self.op(
                "div", (self.op("mul", (self.op("sub", (target, stage)), Num(order))), smooth_time)
            )
            self.graph.slots[stage.slot].rate = rate
            target = stage
        return stages[-1]

    def delay(self, ast, var: str, order: int):
        delay_time = self.expr(ast.delay_time, var)
        self.order_fits(delay_time, order, "DELAY", var)
        initial = self.op("mul", (self.expr(ast.initial, var), delay_time))
        stages = [self.new_slot(var, initial, None) for _ in range(order)]
        inflow = self.expr(ast.input, var)
        for stage in stages:
            outflow = self.op("div", (stage, delay_time))
            self.graph.slots[stage.slot].rate = self.op(
                "mul", (self.op("sub", (inflow, outflow)), Num(order))
            )
            inflow = outflow
        return self.op("div", (stages[-1], delay_time))

    def order_fits(self, delay_time, order: int, construct: str, var: str) -> None:
        # pysd silently lowers the order when order * TIME STEP > delay time.
        dt = Input(self.graph.controls["time_step"])
        self.graph.checks.append(
            (
                self.op("le", (self.op("mul", (Num(float(order)), dt)), delay_time)),
                f"{construct} in {var!r}: the delay time is shorter than order × TIME STEP "
                f"(order {order}); pysd would lower the order, the batch engine refuses",
            )
        )

    def delay_n(self, ast, var: str):
        order = self.static_order(ast.order, "DELAY N", var)
        self.check_order_input(self.expr(ast.order, var), "DELAY N", var, order)
        delay_time = self.expr(ast.delay_time, var)
        self.order_fits(delay_time, order, "DELAY N", var)
        initial = self.op("mul", (self.expr(ast.initial, var), delay_time))
        stages = [self.new_slot(var, initial, None) for _ in range(order)]
        times = [self.new_slot(var, delay_time, None, "replace") for _ in range(order)]
        # pysd rolls the remembered delay times at each step, newest first.
        new_times = [delay_time, *times[:-1]]
        for time_slot, new_time in zip(times, new_times, strict=True):
            self.graph.slots[time_slot.slot].rate = new_time
        inflow = self.expr(ast.input, var)
        for stage, new_time in zip(stages, new_times, strict=True):
            outflow = self.op("div", (stage, new_time))
            self.graph.slots[stage.slot].rate = self.op(
                "mul", (self.op("sub", (inflow, outflow)), Num(order))
            )
            inflow = outflow
        return self.op("div", (stages[-1], times[0]))

    def delay_fixed(self, ast, var: str):
        if self.context_dims:
            raise _unsupported("subscripted DELAY FIXED", var)
        delay_time = self.expr(ast.delay_time, var)
        state = self.new_slot(
            var, self.expr(ast.initial, var), self.expr(ast.input, var), "fixed_delay"
        )
        # The pipeline length is computed from the delay time at initialisation.
        self.graph.slots[state.slot].length_expr = delay_time
        return state

    def trend(self, ast, var: str):
        value = self.expr(ast.input, var)
        average_time = self.expr(ast.average_time, var)
        initial_trend = self.expr(ast.initial_trend, var)
        initial = self.op(
            "div",
            (value, self.op("add", (Num(1.0), self.op("mul", (initial_trend, average_time))))),
        )
        state = self.new_slot(var, initial, None)
        self.graph.slots[state.slot].rate = self.op(
            "div", (self.op("sub", (value, state)), average_time)
        )
        return self.op(
            "zidz",
            (
                self.op("sub", (value, state)),
                self.op("mul", (average_time, self.op("abs", (state,)))),
            ),
        )

    def forecast(self, ast, var: str):
        value = self.expr(ast.input, var)
        average_time = self.expr(ast.average_time, var)
        horizon = self.expr(ast.horizon, var)
        initial = self.op(
            "div", (value, self.op("add", (Num(1.0), self.expr(ast.initial_trend, var))))
        )
        state = self.new_slot(var, initial, None)
        self.graph.slots[state.slot].rate = self.op(
            "div", (self.op("sub", (value, state)), average_time)
        )
        relative = self.op(
            "zidz", (self.op("sub", (value, state)), self.op("mul", (average_time, state)))
        )
        return self.op(
            "mul", (value, self.op("add", (Num(1.0), self.op("mul", (relative, horizon)))))
        )

    def sample_if_true(self, ast, var: str):
        condition = self.expr(ast.condition, var)
        value = self.expr(ast.input, var)
        state = self.new_slot(var, self.expr(ast.initial, var), None, "replace")
        sampled = self.op("if_then_else", (condition, value, state))
        self.graph.slots[state.slot].rate = self.op(
            "add", (self.op("mul", (state, Num(0.0))), sampled)
        )
        return sampled


def _table(lookup: ae.LookupsStructure) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(lookup.x, dtype=float)
    y = np.asarray(lookup.y, dtype=float)
    if lookup.type != "interpolate":
        raise _unsupported(f"lookup type {lookup.type!r}", "lookup")
    return x, y


def _construct_name(ast: object) -> str:
    name = type(ast).__name__
    return _STRUCTURE_NAMES.get(name, name.removesuffix("Structure").upper())


def fold(op: str, args: tuple):
    """Return ``Call(op, args)``, evaluated now when every argument is a literal."""
    if args and all(isinstance(a, Num) for a in args) and op not in _NOT_FOLDABLE:
        from .functions import evaluate_literal

        return Num(evaluate_literal(op, [a.value for a in args]))
    return Call(op, args)


_NOT_FOLDABLE = frozenset({"lookup", "series", "step", "pulse", "pulse_train", "ramp", "pi"})


def control_values(model: AbstractModel, overrides: dict[str, float | None]) -> dict:
    """Return INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER (by key) with ``overrides``.

    A control defined from another (``SAVEPER = TIME STEP``) follows an
    override of the other, as in pysd.
    """
    (main,) = [s for s in model.sections if s.type == "main"]
    elements = [e for e in main.elements if e.components]
    controls = [e for e in elements if isinstance(e, AbstractControlElement)]
    variables = [e for e in elements if not isinstance(e, AbstractControlElement)]
    return _Lowering(model, ()).control_values(controls, variables, overrides)


def lower_model(model: AbstractModel, series_overrides: Iterable[str] = ()) -> Graph:
    """Lower ``model`` into a :class:`~.ir.Graph`.

    Parameters
    ----------
    model : AbstractModel
        pysd's parsed model.
    series_overrides : iterable of str
        Constants to be driven by a time series instead of their value.

    Raises
    ------
    UnsupportedConstructError
        For a construct the engine does not support, naming it and the variable.
    ModelFileError
        For an inconsistent model (unknown reference, duplicate definition).
    """
    return _Lowering(model, series_overrides).run()
