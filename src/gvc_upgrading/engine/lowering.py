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
from collections.abc import Iterable, Mapping

import numpy as np
from pysd.translators.structures import abstract_expressions as ae
from pysd.translators.structures.abstract_model import (
    AbstractControlElement,
    AbstractData,
    AbstractLookup,
    AbstractModel,
)

from ..errors import ModelFileError
from .expressions import is_number, unsupported
from .ir import Call, Graph, Input, InputSpec, Mode, Node, Num, Ref, Slot, State, Static, Time
from .macros import MacroLowering
from .randoms import RANDOM_FUNCTIONS
from .statefuls import StatefulLowering
from .subscripts import SubscriptLowering
from .tables import read_constants, read_data, read_lookup

__all__ = [
    "CONTROL_KEYS",
    "FUNCTIONS",
    "control_values",
    "lower_model",
    "reference_key",
    "run_start",
]

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


class _Lowering(SubscriptLowering, StatefulLowering, MacroLowering):
    """One pass over an AbstractModel; see :func:`lower_model`."""

    def __init__(
        self,
        model: AbstractModel,
        series_overrides: Iterable[str],
        static_controls: Iterable[str] = (),
    ) -> None:
        self.model = model
        self.series_overrides = frozenset(series_overrides)
        #: control keys given a value for the run (``final_time=`` ...): never dynamic
        self.static_controls = frozenset(static_controls)
        self.graph = Graph()
        self.keys: dict[str, tuple[str, int]] = {}  # key -> (kind, node id / element index)
        self.dim_cache: dict = {}  # expression -> its subscript dims
        self.context_dims: tuple[str, ...] = ()  # dims of the equation being lowered
        self.range_names: dict[str, str] = {}  # casefolded range name -> range name
        self.lookup_inputs: dict[str, tuple[Input, Input]] = {}  # key -> (x, y) inputs
        #: key -> (dims, {element indices: (x, y) inputs}) of subscripted lookups
        self.subscripted_lookups: dict[str, tuple[tuple[str, ...], dict]] = {}
        self.random_input: Input | None = None  # the chunk's random streams, once needed
        #: while lowering a self-referring variable: (key, blocks, part nodes, definition)
        self.self_parts: tuple | None = None

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

    # -- the model ---------------------------------------------------------
    def run(self) -> Graph:
        sections = self.model.sections
        self.declare_macros(sections, reference_key)
        (main,) = [s for s in sections if s.type == "main"]
        self._declare_ranges(main.subscripts)
        elements = [e for e in main.elements if e.components]
        controls = [e for e in elements if isinstance(e, AbstractControlElement)]
        variables = [e for e in elements if not isinstance(e, AbstractControlElement)]
        # Reserve one node per variable so that references resolve in any order.
        pending = self._declare_controls(controls, variables)
        for element in variables:
            key = reference_key(element.name)
            if key in self.keys:
                raise ModelFileError(f"variable {element.name!r} is defined twice")
            dims = self._variable_dims(element)
            component = element.components[0]
            if isinstance(component, AbstractLookup):
                if dims:
                    self.declare_subscripted_lookup(element, dims, key)
                    continue
                if isinstance(component.ast, ae.GetLookupsStructure):
                    table = read_lookup(
                        element.components, (), self.graph.ranges, self.elements, element.name
                    )
                    self._declare_table(element.name, *table)
                else:
                    self._declare_lookup(element.name, component.ast)
                continue
            node = self.new_node(element.name, None, "auxiliary", True)
            self.graph.nodes[node].dims = dims
            self.keys[key] = ("node", node)
            self.graph.by_name[element.name] = node
            pending.append((element, component, node))
        # Constants first, so that orders of SMOOTH N / DELAY N can read them;
        # then a changing INITIAL TIME, as its start value is read by others.
        start = self.graph.dynamic_controls.get("initial_time")
        pending.sort(key=lambda item: (not is_number(item[1].ast), item[2] != start))
        for element, _component, node in pending:
            self._define_element(element, node)
            if node == start:
                self._fix_initial_time(element.name, node)
        for slot in self.graph.slots:
            if slot.dims:
                slot.init = self.conform(slot.init, slot.dims, slot.owner)
                slot.rate = self.conform(slot.rate, slot.dims, slot.owner)
        return self.graph

    def _declare_controls(self, controls, variables) -> list:
        """Declare the control variables; return the changing ones to define like variables.

        A control computed from numbers and constants is an input of the run
        (its value per run is known before the run). One that depends on
        Time or on a variable that changes during the run is a node computed
        at every step, as pysd re-evaluates it (see :mod:`.dynamic`).
        """
        values = self.control_values(controls, variables, {}, dynamic=True)
        by_key = {reference_key(e.name): e for e in controls}
        pending = []
        for key, name in CONTROL_KEYS.items():
            value = values[key]
            if value is None and key not in self.static_controls:
                element = by_key[key]
                node = self.new_node(name, None, "auxiliary", True)
                self.keys[key] = ("dcontrol", node)
                self.graph.by_name[name] = node
                self.graph.dynamic_controls[key] = node
                pending.append((element, element.components[0], node))
            slot = self.new_input(name, "control", np.nan if value is None else value)
            self.graph.controls[key] = slot.slot
            if key not in self.graph.dynamic_controls:
                self.keys[key] = ("control", slot.slot)
            if value is None and key in self.static_controls:
                # given for the run: still a variable, as in the model's own graph
                self.graph.by_name[name] = self.new_node(name, slot, "auxiliary", True)
        return pending

    def control_expr(self, key: str):
        """The expression giving control ``key`` (an input, or the node of a changing one)."""
        if key in self.graph.dynamic_controls:
            return Ref(self.graph.dynamic_controls[key])
        return Input(self.graph.controls[key])

    def _fix_initial_time(self, name: str, node_id: int) -> None:
        """Refuse an INITIAL TIME whose start pysd fixes from its history; keep the default start.

        See :func:`run_start`. The start is computed from Time, numbers and
        constants; a stock would make pysd's start depend on what its model
        object did before the run.
        """
        start = run_start(self.graph)
        if start is None or not np.isfinite(start).all():
            raise unsupported(
                "INITIAL TIME that depends on a stock",
                name,
                "pysd fixes the start of a run by evaluating INITIAL TIME when the model is "
                "loaded and again when the run starts, so with a stock (or a variable computed "
                "from one) in its equation the start depends on what the pysd model object did "
                "before; INITIAL TIME may depend on Time, numbers and constants",
            )
        self.graph.inputs[self.graph.controls["initial_time"]].default = float(start)

    def control_values(
        self,
        controls,
        variables,
        overrides: Mapping[str, float | None],
        given: dict | None = None,
        dynamic: bool = False,
    ) -> dict:
        """Values of the control variables, with ``overrides`` (by key) applied first.

        ``given`` maps constants (by Vensim name) to the values of the runs
        (a float, or an array over runs): the controls computed from them
        are then arrays over runs too. A control that depends on Time or on
        a changing variable is ``None`` with ``dynamic``, else refused.
        """
        by_key = {reference_key(e.name): e for e in controls}
        constants: dict[str, float | np.ndarray] = {
            reference_key(e.name): float(e.components[0].ast)
            for e in variables
            if is_number(e.components[0].ast)
        }
        for name, value in (given or {}).items():
            if reference_key(name) in constants:
                array = np.asarray(value, dtype=float)
                constants[reference_key(name)] = float(array) if array.ndim == 0 else array
        values: dict[str, float | np.ndarray | None] = {
            k: float(v) for k, v in overrides.items() if v is not None
        }

        def value_of(key: str, seen: tuple[str, ...] = ()) -> float | np.ndarray | None:
            if key in values:
                return values[key]
            if key in seen:
                raise ModelFileError(f"control variables refer to each other in a loop: {seen}")
            if key in constants:
                return constants[key]
            if key not in by_key:
                if key in CONTROL_KEYS:
                    label = CONTROL_KEYS[key]
                    raise ModelFileError(f"the model does not define the control {label!r}")
                return None  # a variable that is not a constant

            def lookup(k: str) -> float | np.ndarray:
                value = value_of(k, (*seen, key))
                if value is None:
                    raise _Dynamic
                return value

            result: float | np.ndarray | None
            try:
                result = self._static_control(
                    by_key[key].components[0].ast, by_key[key].name, lookup
                )
            except _Dynamic:
                if not dynamic:
                    raise _refuse_dynamic(by_key[key].name) from None
                result = None
            values[key] = result
            return result

        return {key: value_of(key) for key in CONTROL_KEYS}

    def _static_control(self, ast, name: str, lookup) -> float | np.ndarray:
        if is_number(ast):
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
        raise _Dynamic

    def _declare_lookup(self, name: str, ast) -> None:
        if not isinstance(ast, ae.LookupsStructure):
            raise unsupported(_construct_name(ast), name)
        self._declare_table(name, *_table(ast))

    def _declare_table(self, name: str, x: np.ndarray, y: np.ndarray) -> None:
        key = reference_key(name)
        xi = self.new_input(name, "lookup_x", x)
        yi = self.new_input(name, "lookup_y", y)
        self.graph.lookups[name] = (xi.slot, yi.slot)
        self.keys[key] = ("lookup", len(self.graph.lookups) - 1)
        self.lookup_inputs[key] = (xi, yi)

    def define_external(self, element, node_id: int) -> bool:
        """Define a variable read with GET constants or data; False if it is not one."""
        asts = [c.ast for c in element.components]
        node = self.graph.nodes[node_id]
        name = element.name
        args = (element.components, node.dims, self.graph.ranges, self.elements, name)
        if all(isinstance(a, ae.GetConstantsStructure) for a in asts):
            values = read_constants(*args)
            if node.dims:
                node.expr = self.new_input(name, "array", values, node.dims)
                return True
            node.kind = "constant"
            slot = self.new_input(name, "constant", values)
            self.graph.constants[name] = slot.slot
            node.expr = slot
            return True
        if all(isinstance(a, ae.GetDataStructure) for a in asts):
            node.kind = "data"
            keyword = element.components[0].keyword or "interpolate"
            if node.dims or keyword != "interpolate":
                # read as they are, evaluated like pysd's Data (not sampled)
                x, y = read_data(*args)
                xi = self.new_input(f"{name} times", "array", x)
                yi = self.new_input(f"{name} values", "array", y)
                node.expr = Call("data_table", (Time(), xi, yi, Static(keyword)))
                self.dim_cache[node.expr] = node.dims
                return True
            x, y = read_data(*args)
            xi = self.new_input(name, "series_x", x)
            yi = self.new_input(name, "series_y", y)
            self.graph.data[name] = (xi.slot, yi.slot)
            node.expr = Call("series", (Time(), xi, yi))
            return True
        return False

    def _define(self, element, component, node_id: int) -> None:
        node = self.graph.nodes[node_id]
        name = element.name
        ast = component.ast
        if isinstance(component, AbstractData):
            node.kind = "data"
            if node.dims:
                raise unsupported("subscripted data", name)
            if isinstance(ast, ae.DataStructure):
                if component.keyword not in (None, "interpolate"):
                    raise unsupported(
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
        if is_number(ast):
            node.kind = "constant"
            slot = self.new_input(name, "constant", float(ast))
            if node.dims:
                if name in self.series_overrides:
                    raise unsupported("time series for a subscripted constant", name)
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
        if is_number(ast):
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
        if isinstance(ast, ae.AllocateByPriorityStructure):
            return self.allocate_by_priority(ast, var)
        if isinstance(ast, ae.AllocateAvailableStructure):
            return self.allocate_available(ast, var)
        if isinstance(ast, ae.GameStructure):  # pysd ignores GAME too
            return self.expr(ast.expression, var)
        if isinstance(ast, str):
            raise unsupported("string argument", var)
        if isinstance(ast, np.ndarray):
            raise unsupported("array constant inside an equation", var)
        raise unsupported(_construct_name(ast), var)

    def array_function(self, key: str, arguments, var: str):
        """INVERT MATRIX and the VECTOR SORT ORDER/RANK/REORDER family, over the last subscript."""
        construct = key.upper().replace("_", " ")
        target = self.context_dims
        needed = 2 if key == "invert_matrix" else 1
        if len(target) < needed:
            raise ModelFileError(f"{construct} in {var!r}: the variable needs subscripts")
        if len(arguments) != 2:
            raise ModelFileError(f"{construct} in {var!r} takes two arguments")
        array = self.conform(self.expr(arguments[0], var), target, var)
        if key == "invert_matrix":
            call = Call(key, (array,))
        elif key == "vector_reorder":
            call = Call(key, (array, self.conform(self.expr(arguments[1], var), target, var)))
        else:
            direction = self.expr(arguments[1], var)
            if self.dims_of(direction):
                raise unsupported(f"{construct} with a subscripted direction", var)
            call = Call(key, (array, direction))
        self.dim_cache[call] = target
        return call

    def random_call(self, key: str, arguments, var: str):
        """A RANDOM function: one draw per element of the variable and per time (see .randoms)."""
        construct = key.upper().replace("_", " ")
        arity = RANDOM_FUNCTIONS[key]
        if len(arguments) != arity:
            raise ModelFileError(f"{construct} in {var!r} takes {arity} arguments")
        if self.random_input is None:
            self.random_input = self.new_input("random streams", "random", None)
        target = self.context_dims
        parameters = [self.expr(a, var) for a in arguments[: max(arity - 1, 0)]]
        if target:
            parameters = [self.conform(p, target, var) for p in parameters]
        elif any(self.dims_of(p) for p in parameters):
            raise ModelFileError(
                f"{construct} in {var!r}: subscripted arguments in a variable without subscripts"
            )
        site = len(self.graph.random_sites)
        self.graph.random_sites.append(var)
        call = Call(
            "random_draw",
            (
                self.random_input,
                Time(),
                Static(site),
                Static(self.shape(target)),
                Static(key),
                *parameters,
            ),
        )
        if target:
            self.dim_cache[call] = target
        return call

    def get_time_value(self, arguments, var: str):
        """GET TIME VALUE(relative to, offset, measure): pysd's one case, the time plus offset.

        pysd implements only ``relative to`` 0 (the simulation time) with
        ``measure`` 0 (units of Time); the other cases are refused, each with
        its reason.
        """
        if len(arguments) != 3:
            raise ModelFileError(f"GET TIME VALUE in {var!r} takes three arguments")
        relative, offset, measure = (self.expr(a, var) for a in arguments)
        construct = "GET TIME VALUE"
        if not isinstance(relative, Num) or not isinstance(measure, Num):
            raise unsupported(
                construct,
                var,
                "its 'relative to' and 'measure' arguments must be numbers written in the "
                "equation (they choose what the function computes)",
            )
        if relative.value == 2:
            raise unsupported(
                construct,
                var,
                "'relative to' 2 reads the computer's clock: a run could not be reproduced",
            )
        if relative.value == 1:
            raise unsupported(
                construct, var, "'relative to' 1 (the initial time) is not implemented by pysd"
            )
        if relative.value != 0:
            raise ModelFileError(
                f"GET TIME VALUE in {var!r}: 'relative to' must be 0, 1 or 2, "
                f"not {relative.value:g}"
            )
        if measure.value != 0:
            raise unsupported(
                construct,
                var,
                f"measure {measure.value:g} (a calendar unit) is defined only for the "
                "computer's clock; pysd returns no value for the simulation time",
            )
        return self.op("add", (Time(), offset))

    def vector_select(self, arguments, var: str):
        """VECTOR SELECT(selection[dim!], expression[dim!], missing, action, error)."""
        if len(arguments) != 5:
            raise ModelFileError(f"VECTOR SELECT in {var!r} takes five arguments")
        selection, expression, missing = (self.expr(a, var) for a in arguments[:3])
        action, error = (self.expr(a, var) for a in arguments[3:])
        if self.dims_of(action) or self.dims_of(error):
            raise unsupported("VECTOR SELECT with a subscripted action", var)
        union: list[str] = []
        for d in (*self.dims_of(selection), *self.dims_of(expression)):
            if d not in union:
                union.append(d)
        target = tuple(union)
        selection = self.align(selection, self.dims_of(selection), target)
        expression = self.align(expression, self.dims_of(expression), target)
        axes = tuple(i for i, d in enumerate(target) if d.endswith("!"))
        if not axes:
            raise unsupported("VECTOR SELECT without a '!' subscript", var)
        kept = tuple(d for d in target if not d.endswith("!"))
        if self.dims_of(missing):
            raise unsupported("VECTOR SELECT with a subscripted missing value", var)
        call = Call(
            "vector_select",
            (selection, expression, Static(axes), missing, action, error),
        )
        self.dim_cache[call] = kept
        return call

    def allocate_available(self, ast, var: str):
        """ALLOCATE AVAILABLE over the last subscript of the variable being defined."""
        target = self.context_dims
        if not target:
            raise ModelFileError(
                f"ALLOCATE AVAILABLE in {var!r}: the variable needs the targets' subscript"
            )
        profiles = self.expr(self._whole_profile(ast.pp, var), var)
        extra = [d for d in self.dims_of(profiles) if d not in target]
        if len(extra) != 1:
            raise ModelFileError(
                f"ALLOCATE AVAILABLE in {var!r}: the priority profiles need one subscript "
                "for (type, priority, width, extra)"
            )
        args = (
            self.conform(self.expr(ast.request, var), target, var),
            self.conform(profiles, (*target, extra[0]), var),
            self.conform(self.expr(ast.avail, var), target[:-1], var),
        )
        call = Call("allocate_available", args)
        self.dim_cache[call] = target
        return call

    def _whole_profile(self, pp, var: str):
        """``pp[..., ptype]`` names the profile by its first element: take the whole range."""
        import dataclasses

        subscripts = getattr(getattr(pp, "subscripts", None), "subscripts", None)
        if not subscripts or self.range_of(subscripts[-1]) is not None:
            return pp
        key = reference_key(pp.reference)
        if key not in self.keys or self.keys[key][0] != "node":
            return pp
        dims = self.graph.nodes[self.keys[key][1]].dims
        if len(dims) != len(subscripts):
            return pp
        whole = dataclasses.replace(pp.subscripts, subscripts=[*subscripts[:-1], dims[-1]])
        return dataclasses.replace(pp, subscripts=whole)

    def allocate_by_priority(self, ast, var: str):
        """ALLOCATE BY PRIORITY over the last subscript of the variable being defined."""
        target = self.context_dims
        if not target:
            raise ModelFileError(
                f"ALLOCATE BY PRIORITY in {var!r}: the variable needs the targets' subscript"
            )
        args = (
            self.conform(self.expr(ast.request, var), target, var),
            self.conform(self.expr(ast.priority, var), target, var),
            self.conform(self.expr(ast.width, var), target[:-1], var),
            self.conform(self.expr(ast.supply, var), target[:-1], var),
        )
        call = Call("allocate_by_priority", args)
        self.dim_cache[call] = target
        return call

    def arithmetic(self, ast: ae.ArithmeticStructure, var: str):
        args = [self.expr(a, var) for a in ast.arguments]
        ops = list(ast.operators)
        if ops == ["negative"]:
            return self.op("neg", (args[0],))
        if all(op == "^" for op in ops):
            # pysd writes a**b**c, which Python groups from the right. A negative
            # number as a base keeps its sign outside the power (-2^2 = -4), as
            # in Vensim and in pysd's ``-2**2``.
            result = args[-1]
            for raw, left in zip(reversed(ast.arguments[:-1]), reversed(args[:-1]), strict=True):
                if is_number(raw) and raw < 0:
                    result = self.op("neg", (self.op("pow", (Num(-float(raw)), result)),))
                else:
                    result = self.op("pow", (left, result))
            return result
        names = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow"}
        result = args[0]
        for op, arg in zip(ops, args[1:], strict=True):
            if op not in names:
                raise unsupported(f"operator {op!r}", var)
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
                raise unsupported(f"operator {op!r}", var)
            result = self.op(names[key], (left, result))
        return result

    def reference(self, ast: ae.ReferenceStructure, var: str):
        expr = self._plain_reference(ast, var)
        subscripts = ast.subscripts.subscripts if ast.subscripts is not None else None
        dims = self.dims_of(expr)
        if isinstance(expr, Ref):
            key = reference_key(ast.reference)
            expr = self.self_reference(key, subscripts, dims, expr, var)
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
                    raise unsupported(
                        "subscript mapping", var, f"{found!r} is not a subrange of {target!r}"
                    )
                indices = tuple(members.index(e) for e in wanted)
                expr = Call("take", (expr, Static(axis), Static(indices)))
            result_dims.append(found + suffix)
            axis += 1
        result = tuple(self.mapped(result_dims))
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
        if key not in self.keys and (dim := self.range_of(ast.reference)) is not None:
            # a subscript range used as a value: each element's position in its main range
            positions = [self.position(e) for e in self.graph.ranges[dim]]
            values = np.asarray(positions, dtype=float).reshape(1, -1)
            return self.new_input(f"position in {dim}", "array", values, (dim,))
        if key not in self.keys and (position := self.position(ast.reference)) is not None:
            return Num(float(position))  # an element: its position
        if key not in self.keys:
            raise ModelFileError(f"the equation of {var!r} refers to an unknown name {key!r}")
        kind, index = self.keys[key]
        if kind == "expr":  # a macro parameter: the call's argument
            return index
        if kind == "control":
            return Input(index)
        if kind == "dcontrol":
            return Ref(index)
        if kind == "lookup":
            raise unsupported("lookup used without an argument", var)
        return Ref(index)

    def call(self, ast: ae.CallStructure, var: str):
        key = reference_key(ast.function.reference)
        if key in self.subscripted_lookups:
            if len(ast.arguments) != 1:
                raise ModelFileError(f"lookup {key!r} called with {len(ast.arguments)} arguments")
            return self.call_subscripted_lookup(
                key, ast.function.subscripts, self.expr(ast.arguments[0], var), var
            )
        lookups = self.lookup_inputs
        if key in lookups:
            if len(ast.arguments) != 1:
                raise ModelFileError(f"lookup {key!r} called with {len(ast.arguments)} arguments")
            xi, yi = lookups[key]
            return self.op("lookup", (self.expr(ast.arguments[0], var), xi, yi))
        if key in self.macros:
            arguments = tuple(self.expr(a, var) for a in ast.arguments)
            return self.expand_macro(key, arguments, var, reference_key)
        if key == "active_initial":
            if len(ast.arguments) != 2:
                raise ModelFileError(f"ACTIVE INITIAL in {var!r} needs two arguments")
            return Mode(self.expr(ast.arguments[0], var), self.expr(ast.arguments[1], var))
        if key in ("invert_matrix", "vector_sort_order", "vector_rank", "vector_reorder"):
            return self.array_function(key, ast.arguments, var)
        if key == "vector_select":
            return self.vector_select(ast.arguments, var)
        if key == "get_time_value":
            return self.get_time_value(ast.arguments, var)
        if key in RANDOM_FUNCTIONS:
            return self.random_call(key, ast.arguments, var)
        if key == "elmcount":
            argument = ast.arguments[0] if len(ast.arguments) == 1 else None
            dim = self.range_of(getattr(argument, "reference", "") or "")
            if dim is None:
                raise ModelFileError(f"ELMCOUNT in {var!r} needs a subscript range name")
            return Num(float(len(self.graph.ranges[dim])))
        if key not in FUNCTIONS:
            raise unsupported(key.upper().replace("_", " "), var)
        op, arities = FUNCTIONS[key]
        if len(ast.arguments) not in arities:
            raise unsupported(
                f"{key.upper().replace('_', ' ')} with {len(ast.arguments)} arguments", var
            )
        args = tuple(self.expr(a, var) for a in ast.arguments)
        if op in _REDUCTIONS:
            dims = self.dims_of(args[0])
            axes = tuple(i for i, d in enumerate(dims) if d.endswith("!"))
            if not axes:
                raise unsupported(f"{op.upper()} without a '!' subscript", var)
            call = Call(op, (args[0], Static(axes)))
            self.dim_cache[call] = tuple(d for d in dims if not d.endswith("!"))
            return call
        if op in ("step", "pulse", "pulse_train", "ramp"):
            args = (Time(), self.control_expr("time_step"), *args)
        return self.op(op, args)


class _Dynamic(Exception):  # an internal signal, never escapes
    """A control variable depends on Time or on a variable that changes during the run."""


def _refuse_dynamic(name: str) -> Exception:
    return unsupported(
        "control variable that changes during the run",
        name,
        "it has no value before the run; the batch engine computes it at every step",
    )


def run_start(graph: Graph, given: Mapping[str, object] | None = None):
    """The start of the runs when INITIAL TIME changes with Time, as pysd fixes it.

    pysd evaluates INITIAL TIME once when it loads the model (Time is then 0,
    the constants have the model's values) and again when the run starts
    (Time is then that first value, the constants have the run's values,
    ``given`` by name); the run starts at the second value and its grid is
    counted from there, while the variable INITIAL TIME keeps being
    re-evaluated as time goes on. Returns a float, one value per run, or None
    when the equation holds something else than Time, numbers and constants.
    """
    expr = graph.nodes[graph.dynamic_controls["initial_time"]].expr
    first = _value_at(expr, 0.0, graph, {})
    if first is None or np.ndim(first):
        return None
    return _value_at(expr, float(first), graph, given or {})


def _value_at(expr, time: float, graph: Graph, given: Mapping[str, object]):
    """``expr`` at ``time`` from Time, numbers and constants (``given`` or defaults), or None."""
    from .functions import HELPERS, OPERATORS

    if isinstance(expr, Num):
        return float(expr.value)
    if isinstance(expr, Time):
        return float(time)
    if isinstance(expr, Input) and graph.inputs[expr.slot].role == "constant":
        spec = graph.inputs[expr.slot]
        value = np.asarray(given.get(spec.name, spec.default), dtype=float)
        return float(value) if value.ndim == 0 else value
    if isinstance(expr, Ref) and graph.nodes[expr.node].expr is not None:
        return _value_at(graph.nodes[expr.node].expr, time, graph, given)
    if isinstance(expr, Call) and not any(isinstance(a, Static) for a in expr.args):
        found = [_value_at(a, time, graph, given) for a in expr.args]
        values = [v for v in found if v is not None]
        function = OPERATORS.get(expr.op) or HELPERS.get(expr.op)
        if len(values) != len(found) or function is None:
            return None
        with np.errstate(all="ignore"):
            result = np.asarray(
                function(*(np.float64(v) if np.ndim(v) == 0 else v for v in values)), dtype=float
            )
        return float(result) if result.ndim == 0 else result
    return None


def _table(lookup: ae.LookupsStructure) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(lookup.x, dtype=float)
    y = np.asarray(lookup.y, dtype=float)
    if lookup.type != "interpolate":
        raise unsupported(f"lookup type {lookup.type!r}", "lookup")
    return x, y


def _construct_name(ast: object) -> str:
    name = type(ast).__name__
    return _STRUCTURE_NAMES.get(name, name.removesuffix("Structure").upper())


def control_values(
    model: AbstractModel,
    overrides: dict[str, float | None],
    given: dict | None = None,
    dynamic: bool = False,
) -> dict:
    """Return INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER (by key) with ``overrides``.

    A control defined from another (``SAVEPER = TIME STEP``) follows an
    override of the other, as in pysd. ``given`` holds the runs' values of
    constants by name (floats or arrays over runs); controls computed from
    them follow them (arrays over runs where they differ). A control that
    depends on Time or on a changing variable is ``None`` with ``dynamic``
    (else refused with UnsupportedConstructError).
    """
    (main,) = [s for s in model.sections if s.type == "main"]
    elements = [e for e in main.elements if e.components]
    controls = [e for e in elements if isinstance(e, AbstractControlElement)]
    variables = [e for e in elements if not isinstance(e, AbstractControlElement)]
    return _Lowering(model, ()).control_values(controls, variables, overrides, given, dynamic)


def lower_model(
    model: AbstractModel, series_overrides: Iterable[str] = (), static_controls: Iterable[str] = ()
) -> Graph:
    """Lower ``model`` into a :class:`~.ir.Graph`.

    Parameters
    ----------
    model : AbstractModel
        pysd's parsed model.
    series_overrides : iterable of str
        Constants to be driven by a time series instead of their value.
    static_controls : iterable of str
        Control keys (``"final_time"``, ``"time_step"``) given a value for
        the run: inputs even when the model computes them during the run.

    Raises
    ------
    UnsupportedConstructError
        For a construct the engine does not support, naming it and the variable.
    ModelFileError
        For an inconsistent model (unknown reference, duplicate definition).
    """
    return _Lowering(model, series_overrides, static_controls).run()
