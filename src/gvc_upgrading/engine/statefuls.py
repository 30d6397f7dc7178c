"""Stateful structures in the lowering pass: SMOOTH, DELAY, TREND, FORECAST, SAMPLE IF TRUE.

Each is rewritten into state slots with the same arithmetic as pysd's
``pysd.py_backend.statefuls`` classes, so that the engine reproduces pysd's
numbers to round-off.
"""

from __future__ import annotations

import math

import numpy as np
from pysd.translators.structures import abstract_expressions as ae

from .expressions import unsupported
from .host import LoweringHost
from .ir import Call, Input, Num, Ref

__all__ = ["StatefulLowering"]


class StatefulLowering(LoweringHost):
    """The stateful-structure half of :class:`~.lowering._Lowering` (a mixin)."""

    def static_order(self, ast, construct: str, var: str) -> int:
        expr = self.expr(ast, var)
        value = self.static_value(expr)
        if value is None:  # pysd sets the order once, at the initial time
            value = self.value_at_start(expr)
        if value is None or not math.isfinite(value) or value < 1:
            raise unsupported(
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
            if spec.role not in ("constant", "control"):
                return None
            return float(np.asarray(spec.default, dtype=float))  # a number for these roles
        if isinstance(expr, Ref):
            node = self.graph.nodes[expr.node]
            return None if node.expr is None else self.static_value(node.expr)
        return None

    def value_at_start(self, expr) -> float | None:
        """Value of ``expr`` at INITIAL TIME from literals and model defaults, or None."""
        from .functions import evaluate_literal
        from .ir import Call, Time

        if isinstance(expr, Time):
            start = self.graph.inputs[self.graph.controls["initial_time"]].default
            return float(np.asarray(start, dtype=float))
        if isinstance(expr, Call):
            starts = [self.value_at_start(a) for a in expr.args]
            values = [v for v in starts if v is not None]
            if len(values) != len(starts):
                return None
            try:
                return evaluate_literal(expr.op, values)
            except (KeyError, TypeError, ValueError):
                return None
        if isinstance(expr, Ref):
            node = self.graph.nodes[expr.node]
            return None if node.expr is None else self.value_at_start(node.expr)
        return self.static_value(expr)

    def check_order_input(self, expr, construct: str, var: str, order: int) -> None:
        """Refuse runs in which a sampled value would change a fixed order."""
        if not isinstance(expr, Num):
            self.graph.checks.append(
                (
                    self.op("eq", (self.op("integer", (expr,)), Num(float(order)))),
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
        effective = self.effective_order(delay_time, order, "DELAY", var)
        initial = self.op("mul", (self.expr(ast.initial, var), delay_time))
        stages = [self.new_slot(var, initial, None) for _ in range(order)]
        inflow = self.expr(ast.input, var)
        for i, stage in enumerate(stages):
            outflow = self.op("div", (stage, delay_time))
            rate = self.op("mul", (self.op("sub", (inflow, outflow)), effective))
            self.graph.slots[stage.slot].rate = self.active_stage(i, effective, rate)
            inflow = outflow
        return self.op("div", (self.last_stage(effective, stages), delay_time))

    def effective_order(self, delay_time, order: int, construct: str, var: str) -> Ref:
        """The order pysd uses: lowered while order × TIME STEP exceeds the delay time.

        It is fixed per run at initialisation (from the smallest delay time of
        the run's elements); a delay time shorter than TIME STEP is refused.
        """
        dt = self.control_expr("time_step")
        node = self.new_node(
            f"order of {construct} in {var}",
            Call("delay_order", (delay_time, Num(float(order)), dt)),
            "initial",
            False,
        )
        self.graph.checks.append(
            (
                self.op("ge", (Ref(node), Num(1.0))),
                f"{construct} in {var!r}: the delay time is shorter than TIME STEP",
            )
        )
        return Ref(node)

    def active_stage(self, index: int, effective: Ref, rate):
        """``rate`` where stage ``index`` exists at the run's order, else 0."""
        if index == 0:
            return rate
        return self.op(
            "if_then_else", (self.op("lt", (Num(float(index)), effective)), rate, Num(0.0))
        )

    def last_stage(self, effective: Ref, stages: list):
        """The last stage at each run's order."""
        call = Call("last_stage", (effective, *stages))
        self.dim_cache[call] = self.dims_of(stages[0])
        return call

    def delay_n(self, ast, var: str):
        order = self.static_order(ast.order, "DELAY N", var)
        self.check_order_input(self.expr(ast.order, var), "DELAY N", var, order)
        delay_time = self.expr(ast.delay_time, var)
        effective = self.effective_order(delay_time, order, "DELAY N", var)
        initial = self.op("mul", (self.expr(ast.initial, var), delay_time))
        stages = [self.new_slot(var, initial, None) for _ in range(order)]
        times = [self.new_slot(var, delay_time, None, "replace") for _ in range(order)]
        # pysd rolls the remembered delay times at each step, newest first.
        new_times = [delay_time, *times[:-1]]
        for time_slot, new_time in zip(times, new_times, strict=True):
            self.graph.slots[time_slot.slot].rate = new_time
        inflow = self.expr(ast.input, var)
        for i, (stage, new_time) in enumerate(zip(stages, new_times, strict=True)):
            outflow = self.op("div", (stage, new_time))
            rate = self.op("mul", (self.op("sub", (inflow, outflow)), effective))
            self.graph.slots[stage.slot].rate = self.active_stage(i, effective, rate)
            inflow = outflow
        return self.op("div", (self.last_stage(effective, stages), times[0]))

    def delay_fixed(self, ast, var: str):
        delay_time = self.expr(ast.delay_time, var)
        if self.dims_of(delay_time):
            raise unsupported(
                "DELAY FIXED with a subscripted delay time", var, "one delay time per run"
            )
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
