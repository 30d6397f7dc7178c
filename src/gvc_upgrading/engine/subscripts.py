"""Subscripts in the lowering pass: dimensions, alignment and element-wise definitions.

Every expression has dims, the subscript ranges of its value (whose shape is
``(run, *sizes)``; a value without dims is a scalar or one number per run).
Operations align their arguments on the union of their dims; a reference with
subscripts selects elements (``x[North]``), a subrange (``x[Coast]``) or marks
a dimension to reduce (``x[Region!]`` inside SUM, PROD, VMIN, VMAX); a
definition over ranges is broadcast to its full shape; element-wise
definitions fill their blocks of one array.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from pysd.translators.structures import abstract_expressions as ae
from pysd.translators.structures.abstract_model import AbstractData

from ..errors import ModelFileError
from .expressions import fold, unsupported
from .host import LoweringHost
from .ir import Call, Input, Mode, Num, Ref, State, Static, Time
from .tables import read_constants, read_data, read_subscripts

__all__ = ["SubscriptLowering"]


def _range_key(name: str) -> str:
    """A range name as equations may spell it (any case, spaces or underscores)."""
    return re.sub(r"[\s_]+", "_", name.strip().casefold())


class SubscriptLowering(LoweringHost):
    """The subscript half of :class:`~.lowering._Lowering` (a mixin)."""

    def shape(self, dims: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(len(self.graph.ranges[d.rstrip("!")]) for d in dims)

    def range_of(self, name: str) -> str | None:
        return self.range_names.get(_range_key(name))

    def elements(self, name: str) -> list[str]:
        """Elements (casefolded) of a range, or the element itself."""
        found = self.range_of(name)
        if found is not None:
            return [e.casefold() for e in self.graph.ranges[found]]
        return [name.strip().casefold()]

    def mapped(self, dims: list[str]) -> list[str]:
        """Rename ranges that map (A -> B) onto a range of the equation being defined."""
        context = self.context_dims
        out = list(dims)
        for i, dim in enumerate(out):
            base, suffix = dim.rstrip("!"), "!" if dim.endswith("!") else ""
            if base in context:
                continue
            for mapped_to in self.mappings.get(base, []):
                target = self.range_of(mapped_to)
                if (
                    target is not None
                    and target in context
                    and target not in [d.rstrip("!") for d in out]
                ):
                    out[i] = target + suffix
                    break
        return out

    def position(self, element: str) -> int | None:
        """Position (from 1) of ``element`` in the largest range holding it, as pysd numbers it."""
        wanted = element.strip().casefold()
        holders = [r for r in self.graph.ranges.values() if wanted in [e.casefold() for e in r]]
        if not holders:
            return None
        main = max(holders, key=len)
        return [e.casefold() for e in main].index(wanted) + 1

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
        copies = []
        self.mappings: dict[str, list[str]] = {}
        for subscript_range in ranges:
            for target in subscript_range.mapping:
                self.mappings.setdefault(subscript_range.name, []).append(target)
            if isinstance(subscript_range.subscripts, str):  # DimB <-> DimA: a copy
                copies.append(subscript_range)
                continue
            if isinstance(subscript_range.subscripts, dict):  # GET XLS/DIRECT SUBSCRIPT
                members = read_subscripts(subscript_range.subscripts, subscript_range.name)
            else:
                members = list(subscript_range.subscripts)
            self.graph.ranges[subscript_range.name] = members
            self.range_names[_range_key(subscript_range.name)] = subscript_range.name

        # a range may list other ranges among its members: expand them, as pysd does
        def expand(name: str, seen: tuple[str, ...]) -> list[str]:
            members = []
            for member in self.graph.ranges[name]:
                inner = self.range_of(member)
                if inner is not None and inner != name:
                    if inner in seen:
                        raise ModelFileError(f"subscript ranges {seen} contain each other")
                    members.extend(expand(inner, (*seen, inner)))
                else:
                    members.append(member)
            return members

        for name in list(self.graph.ranges):
            self.graph.ranges[name] = expand(name, (name,))
        for subscript_range in copies:
            source = self.range_of(subscript_range.subscripts)
            if source is None:
                raise ModelFileError(
                    f"subscript range {subscript_range.name!r} copies the unknown range "
                    f"{subscript_range.subscripts!r}"
                )
            self.graph.ranges[subscript_range.name] = list(self.graph.ranges[source])
            self.range_names[_range_key(subscript_range.name)] = subscript_range.name

        for name, targets in self.mappings.items():
            for target in targets:
                found = self.range_of(target)
                members = [m.casefold() for m in self.graph.ranges[name]]
                listed = self.elements(found) if found is not None else []
                if found is not None and len(members) > len(listed) > 0:
                    tail = members[len(members) - len(listed) :]
                    if sorted(tail) == sorted(listed):
                        raise unsupported(
                            "subscript mapping with an element list",
                            name,
                            f"pysd 3.14 misreads '{name} -> ({found}: ...)': it appends "
                            f"{found}'s elements to {name!r} and maps to the whole of "
                            f"{found!r}, so it cannot translate or compare the model; map to "
                            f"the whole range ({name} -> {found}), listing {name!r}'s "
                            f"elements in {found!r}'s order",
                        )
                if found is None or len(self.graph.ranges[found]) != len(self.graph.ranges[name]):
                    raise unsupported(
                        "subscript mapping",
                        name,
                        f"{target!r} is not a range of the same size as {name!r}",
                    )

    def _variable_dims(self, element) -> tuple[str, ...]:
        components = element.components
        lists = [component.subscripts[0] for component in components]
        if not any(lists):
            if len(components) > 1:
                raise ModelFileError(f"variable {element.name!r} is defined twice")
            return ()
        if len({len(x) for x in lists}) != 1:
            raise ModelFileError(f"{element.name!r}: definitions with different subscripts")
        dims: list[str] = []
        for position in range(len(lists[0])):
            names = [x[position] for x in lists]
            if len(names) == 1 and (only := self.range_of(names[0])) is not None:
                dims.append(only)
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
            named = {self.range_of(n) for n in names}
            dims.append(
                min(
                    candidates,
                    # a range named here first, then one not used yet, then the smallest
                    key=lambda r: (r not in named, r in dims, len(self.graph.ranges[r])),
                )
            )
        if len(set(dims)) != len(dims):
            dims = self._distinct_dims(element.name, lists, dims)
        return tuple(dims)

    def _distinct_dims(self, name: str, lists, dims: list[str]) -> list[str]:
        """Give a range that appears twice (``m[A, dim]``, A in dim) a copy, as pysd does.

        A position written with elements (not the range's name) takes another
        range holding them that the variable does not use, or else a copy of
        the range named ``<range><j>`` with the smallest free ``j`` (pysd's
        ``make_merge_list``), so that results keep distinct dimension names.
        """
        dims = list(dims)
        for position, dim in enumerate(dims):
            if dims.index(dim) == position and dims.count(dim) == 1:
                continue
            named = any(self.range_of(x[position]) == dim for x in lists)
            if named:
                continue
            wanted = {e for x in lists for e in self.elements(x[position])}
            others = [d for i, d in enumerate(dims) if i != position]
            equal = [
                r
                for r, members in self.graph.ranges.items()
                if {m.casefold() for m in members} == wanted and r not in others
            ]
            if equal:
                dims[position] = equal[0]
                continue
            j = 1
            while f"{dim}{j}" in self.graph.ranges:
                j += 1
            copy = f"{dim}{j}"  # never written in an equation: not a name equations resolve
            self.graph.ranges[copy] = list(self.graph.ranges[dim])
            dims[position] = copy
        if len(set(dims)) != len(dims):
            raise unsupported(
                "the same subscript range twice in one variable",
                name,
                f"its subscripts are {dims}, each written as the range's name, which pysd "
                "cannot translate either; define a copy of the range (B <-> A) for one of them",
            )
        return dims

    def _define_element(self, element, node_id: int) -> None:
        node = self.graph.nodes[node_id]
        components = element.components
        if self.define_external(element, node_id):
            return
        simple = (
            len(components) == 1
            and not components[0].subscripts[1]
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
        stocks = [isinstance(c.ast, ae.IntegStructure) for c in components]
        if any(
            isinstance(c, AbstractData) and not isinstance(c.ast, ae.GetDataStructure)
            for c in components
        ) or (any(stocks) and not all(stocks)):
            raise unsupported("element-wise data, or stock mixed with equations", element.name)
        if all(stocks):  # one stock over the whole array, its parts defined block by block
            node.kind = "stock"
            self.graph.stocks.append(element.name)
            init = self._blockwise(element, node, lambda ast: ast.initial)
            flow = self._blockwise(element, node, lambda ast: ast.flow)
            floor = any(c.ast.non_negative for c in components)
            self.context_dims = node.dims
            try:
                node.expr = self.new_slot(
                    element.name, init, flow, "nonnegative" if floor else "euler"
                )
            finally:
                self.context_dims = ()
            return
        from .lowering import reference_key

        if any(_refers_to(c.ast, reference_key(element.name)) for c in components):
            node.expr = self._self_referring(element, node)
            return
        node.expr = self._blockwise(element, node, lambda ast: ast)

    # -- elements of one variable that refer to each other ---------------------
    def _self_referring(self, element, node):
        """An element-wise variable whose definitions use its other elements (``x[a2] = x[a1]``).

        Each definition becomes a hidden node holding its block (NaN
        elsewhere); a reference to the variable inside its own definitions
        reads only the definitions that hold the elements it selects (see
        :meth:`self_reference`), so that only a definition that needs itself
        is an algebraic loop. The variable is the definitions' blocks put
        together.
        """
        from .lowering import reference_key

        components = element.components
        blocks = [self._block_of(c, node, element.name) for c in components]
        parts = []
        for index, component in enumerate(components):
            label = f"{element.name}{list(component.subscripts[0])} (definition {index + 1})"
            part = self.new_node(label, None, "hidden", False)
            self.graph.nodes[part].dims = node.dims
            parts.append(part)
        previous = self.self_parts
        try:
            for index, component in enumerate(components):
                self.self_parts = (reference_key(element.name), blocks, parts, index)
                value = self._blockwise(element, node, lambda ast: ast, [component])
                self.graph.nodes[parts[index]].expr = value
        finally:
            self.self_parts = previous
        return self._put_together(node.dims, blocks, parts)

    def _put_together(self, dims, blocks, parts):
        pieces = tuple(
            Call("take_block", (Ref(p), Static(b[0]))) for p, b in zip(parts, blocks, strict=True)
        )
        call = Call("assemble", (Static(self.shape(dims)), Static(tuple(blocks)), *pieces))
        self.dim_cache[call] = dims
        return call

    def self_reference(self, key: str, subscripts, dims, expr, var: str):
        """Inside a self-referring variable, read only the definitions ``subscripts`` select."""
        if self.self_parts is None or self.self_parts[0] != key:
            return expr
        import itertools

        _, blocks, parts, current = self.self_parts
        selected = []
        for position, dim in enumerate(dims):
            if subscripts is None:
                selected.append(set(range(len(self.graph.ranges[dim]))))
                continue
            name = subscripts[position].strip().rstrip("!").strip()
            if self.range_of(name) is None:
                selected.append({self.index_in(name, dim, var)})
                continue
            members = [m.casefold() for m in self.graph.ranges[dim]]
            selected.append({members.index(e) for e in self.elements(name) if e in members})
        touched = [
            i
            for i, (block, _) in enumerate(blocks)
            if any(
                all(c in axis for c, axis in zip(cell, block, strict=True))
                for cell in itertools.product(*selected)
            )
        ]
        if not touched or current in touched:  # needs itself: a genuine algebraic loop
            return expr
        if len(touched) == 1:
            return Ref(parts[touched[0]])
        return self._put_together(dims, [blocks[i] for i in touched], [parts[i] for i in touched])

    def _block_of(self, component, node, name: str):
        """A definition's block of ``node``: indices per axis, and its EXCEPT mask."""
        subscripts = component.subscripts[0]
        block = tuple(
            tuple(self.index_in(e, node.dims[p], name) for e in self.elements(x))
            for p, x in enumerate(subscripts)
        )
        return block, self._except_mask(subscripts, component.subscripts[1])

    def _blockwise(self, element, node, part, components=None):
        """``assemble`` the value of ``part(ast)`` of each definition into its block."""
        values, blocks = [], []
        for component in element.components if components is None else components:
            subscripts = component.subscripts[0]
            cdims = tuple(self.range_of(x) for x in subscripts if self.range_of(x))
            block, mask = self._block_of(component, node, element.name)
            if isinstance(part(component.ast), ae.GetConstantsStructure):
                # read over this definition's own elements: already the block's shape
                table = read_constants(
                    [component], node.dims, self.graph.ranges, self.elements, element.name, True
                )
                values.append(self.new_input(element.name, "array", table))
                blocks.append((block, mask))
                continue
            if isinstance(part(component.ast), ae.GetDataStructure):
                times, table = read_data(
                    [component], node.dims, self.graph.ranges, self.elements, element.name, True
                )
                xi = self.new_input(f"{element.name} times", "array", times)
                yi = self.new_input(f"{element.name} values", "array", table)
                keyword = Static(component.keyword or "interpolate")
                values.append(Call("data_table", (Time(), xi, yi, keyword)))
                blocks.append((block, mask))
                continue
            self.context_dims = cdims
            try:
                value = self._component_value(part(component.ast), cdims, element.name)
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
            values.append(value)
            blocks.append((block, mask))
        call = Call("assemble", (Static(self.shape(node.dims)), Static(tuple(blocks)), *values))
        self.dim_cache[call] = node.dims
        return call

    def declare_subscripted_lookup(self, element, dims: tuple[str, ...], key: str) -> None:
        """One table per element of a subscripted lookup (definitions or GET LOOKUPS)."""
        import itertools

        from .lowering import _table
        from .tables import read_lookup

        tables: dict[tuple[int, ...], tuple] = {}
        name = element.name
        if all(isinstance(c.ast, ae.GetLookupsStructure) for c in element.components):
            x, y = read_lookup(element.components, dims, self.graph.ranges, self.elements, name)
            for index in itertools.product(*(range(n) for n in self.shape(dims))):
                block: tuple[Any, ...] = (slice(None), *index)
                tables[index] = (x, y[block])
        else:
            for component in element.components:
                if not isinstance(component.ast, ae.LookupsStructure):
                    raise unsupported("subscripted lookup mixing GET and tables", name)
                lists = [
                    [self.index_in(e, dims[p], name) for e in self.elements(x)]
                    for p, x in enumerate(component.subscripts[0])
                ]
                for index in itertools.product(*lists):
                    tables[index] = _table(component.ast)
        for index in itertools.product(*(range(n) for n in self.shape(dims))):
            # an element without a table gives NaN, as in pysd
            tables.setdefault(index, (np.zeros(1), np.full(1, np.nan)))
        inputs = {}
        for index, (x, y) in tables.items():
            elements = (self.graph.ranges[d][i] for d, i in zip(dims, index, strict=True))
            label = f"{name}[{','.join(elements)}]"
            xi = self.new_input(label, "lookup_x", np.asarray(x, dtype=float))
            yi = self.new_input(label, "lookup_y", np.asarray(y, dtype=float))
            inputs[index] = (xi, yi)
        self.subscripted_lookups[key] = (dims, inputs)
        self.keys[key] = ("lookup", -1)

    def call_subscripted_lookup(self, key: str, subscripts, argument, var: str):
        """``tab[sub](argument)``: each selected element's table at its argument."""
        import itertools

        dims, inputs = self.subscripted_lookups[key]
        names = subscripts.subscripts if subscripts is not None else None
        if names is None or len(names) != len(dims):
            raise ModelFileError(
                f"the equation of {var!r} calls the subscripted lookup {key!r} without "
                f"its {len(dims)} subscripts"
            )
        selected: list[tuple[str | None, list[int]]] = []  # (range kept or None, indices)
        for name, dim in zip(names, dims, strict=True):
            clean = name.strip().rstrip("!").strip()
            found = self.range_of(clean)
            if found is None:
                selected.append((None, [self.index_in(clean, dim, var)]))
            else:
                selected.append(
                    (found, [self.index_in(e, dim, var) for e in self.elements(found)])
                )
        kept = tuple(d for d, _ in selected if d is not None)
        arg_dims = self.dims_of(argument)
        target = (*kept, *(d for d in arg_dims if d not in kept))
        values, blocks = [], []
        for combo in itertools.product(*(indices for _, indices in selected)):
            value = argument
            value_dims = list(arg_dims)
            positions_in_kept = {}
            k = 0
            for (kept_dim, indices), index in zip(selected, combo, strict=True):
                if kept_dim is None:
                    continue
                positions_in_kept[kept_dim] = indices.index(index)
                k += 1
                if kept_dim in value_dims:  # the argument varies along this range: its element
                    axis = value_dims.index(kept_dim)
                    value = Call("take", (value, Static(axis), Static(indices.index(index))))
                    value_dims.pop(axis)
            xi, yi = inputs[tuple(combo)]
            value = Call("lookup", (value, xi, yi))
            if target and not isinstance(value, Num):
                positions = tuple(target.index(d) for d in value_dims)
                value = Call("align", (value, Static(positions), Static(len(target))))
            block = [
                (positions_in_kept[d],) if d in positions_in_kept else tuple(range(n))
                for d, n in zip(target, self.shape(target), strict=True)
            ]
            values.append(value)
            blocks.append((tuple(block), None))
        if not target:
            return values[0]
        call = Call("assemble", (Static(self.shape(target)), Static(tuple(blocks)), *values))
        self.dim_cache[call] = target
        return call

    def _except_mask(self, subscripts, excepts) -> tuple[bool, ...] | None:
        """Flat mask over a definition's block: False where an EXCEPT leaves it out."""
        if not excepts:
            return None
        import itertools

        lists = [self.elements(x) for x in subscripts]
        excluded = [[set(self.elements(x)) for x in combo] for combo in excepts]
        keep = []
        for combo in itertools.product(*lists):
            hit = any(
                all(e in allowed for e, allowed in zip(combo, rule, strict=True))
                for rule in excluded
            )
            keep.append(not hit)
        return tuple(keep)

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


def _refers_to(ast, key: str) -> bool:
    """Whether pysd's syntax tree ``ast`` refers to the variable ``key``."""
    import dataclasses

    from .lowering import reference_key

    if isinstance(ast, ae.ReferenceStructure):
        return reference_key(ast.reference) == key
    if isinstance(ast, list | tuple):
        return any(_refers_to(a, key) for a in ast)
    if dataclasses.is_dataclass(ast) and not isinstance(ast, type):
        return any(_refers_to(getattr(ast, f.name), key) for f in dataclasses.fields(ast))
    return False
