"""What the lowering mixins borrow from the lowering they are mixed into.

:class:`~.lowering._Lowering` is put together from mixins
(:class:`~.subscripts.SubscriptLowering`, :class:`~.statefuls.StatefulLowering`)
that use its graph, its tables and one another's methods. :class:`LoweringHost`
declares that shared part once, for the type checker: the attributes the
lowering sets and the methods it or a sibling mixin defines. At run time it
adds nothing (annotations only; the method declarations exist only while
type checking, so they never shadow the real ones).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .ir import Graph, Input, State

__all__ = ["LoweringHost"]


class LoweringHost:
    """The attributes and methods shared by the lowering and its mixins (declarations only)."""

    graph: Graph
    keys: dict[str, tuple[str, int]]
    dim_cache: dict
    range_names: dict[str, str]
    subscripted_lookups: dict[str, tuple[tuple[str, ...], dict]]
    context_dims: tuple[str, ...]
    self_parts: tuple | None

    if TYPE_CHECKING:

        def expr(self, ast: Any, var: str) -> Any:
            """Lower a pysd expression of variable ``var``."""

        def op(self, name: str, args: tuple) -> Any:
            """``Call(name, args)`` with aligned arguments (subscripts)."""

        def dims_of(self, expr: Any) -> tuple[str, ...]:
            """The subscript dims of a lowered expression (subscripts)."""

        def shape(self, dims: tuple[str, ...]) -> tuple[int, ...]:
            """The array shape of ``dims`` (subscripts)."""

        def control_expr(self, key: str) -> Any:
            """The expression of control ``key``: an input, or a node computed each step."""

        def new_input(self, name: str, role: str, default: object, dims: tuple = ()) -> Input:
            """A new run input (lowering)."""

        def new_node(self, name: str, expr: object, kind: str, visible: bool) -> int:
            """A new graph node (lowering)."""

        def new_slot(self, owner: str, init: object, rate: object, update: str = "euler") -> State:
            """A new state slot (lowering)."""

        def define_external(self, element: Any, node_id: int) -> bool:
            """Define a variable read with GET constants or data (lowering)."""

        def _define(self, element: Any, component: Any, node_id: int) -> None:
            """Define one component of a variable (lowering)."""
