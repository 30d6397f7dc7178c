"""Macros in the lowering pass: each call is expanded in place, with its own variables.

A Vensim macro (``:MACRO: NAME(input, parameter) ... :END OF MACRO:``) is a
small model whose inputs are the call's arguments. pysd runs each call as a
separate ``Macro`` object with its own stocks; the engine does the same by
lowering the macro's equations once per call, with the parameters bound to
the (already lowered) argument expressions and the macro's variables made
hidden nodes and state slots of that call. The value of the call is the
macro's variable named like the macro. Macros may call other macros.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModelFileError
from .expressions import unsupported
from .ir import Ref

__all__ = ["MacroLowering"]


class MacroLowering:
    """The macro half of :class:`~.lowering._Lowering` (a mixin)."""

    #: Dimensions of the equation being lowered (set by the lowering).
    context_dims: tuple[str, ...]

    # ``self`` is the whole lowering (:class:`~.lowering._Lowering`), typed Any
    # here because this mixin only borrows its graph and helpers.
    def declare_macros(self: Any, sections, reference_key) -> None:
        """Remember every macro section by the key its calls use."""
        self.macros = {}
        for section in sections:
            if section.type == "macro":
                if section.returns:
                    raise unsupported(
                        "macro with additional outputs",
                        section.name,
                        "only the macro's own value can be returned",
                    )
                self.macros[reference_key(section.name)] = section
        self.macro_calls = 0

    def expand_macro(self: Any, key: str, arguments: tuple, var: str, reference_key):
        """Lower one call of macro ``key`` with lowered ``arguments``; return its value."""
        section = self.macros[key]
        if len(arguments) != len(section.params):
            raise ModelFileError(
                f"the equation of {var!r} calls macro {section.name!r} with "
                f"{len(arguments)} arguments; it takes {len(section.params)}"
            )
        if any(self.dims_of(a) for a in arguments):
            raise unsupported("macro called with subscripted arguments", var)
        self.macro_calls += 1
        label = f"{section.name} call {self.macro_calls} in {var}"
        saved_keys, saved_dims = self.keys, self.context_dims
        scope = {k: v for k, v in saved_keys.items() if v[0] in ("control", "dcontrol")}
        for name, argument in zip(section.params, arguments, strict=True):
            scope[reference_key(name)] = ("expr", argument)
        self.keys = scope
        self.context_dims = ()
        try:
            pending = []
            for element in section.elements:
                if not element.components:
                    continue
                if self._variable_dims(element):
                    raise unsupported("subscripted variable in a macro", element.name)
                node = self.new_node(f"{element.name} in {label}", None, "auxiliary", False)
                scope[reference_key(element.name)] = ("node", node)
                pending.append((element, node))
            # the call's own variables are hidden: not returned, stocks and
            # constants not listed as the model's (nor sampled)
            stocks, constants = len(self.graph.stocks), dict(self.graph.constants)
            for element, node in pending:
                self._define_element(element, node)
                self.graph.nodes[node].visible = False
                if self.graph.nodes[node].kind != "initial":
                    self.graph.nodes[node].kind = "hidden"
            del self.graph.stocks[stocks:]
            self.graph.constants = constants
            own = scope.get(key)
            if own is None or own[0] != "node":
                raise ModelFileError(f"macro {section.name!r} does not define its own value")
            return Ref(own[1])
        finally:
            self.keys, self.context_dims = saved_keys, saved_dims
