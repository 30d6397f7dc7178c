"""The engine's intermediate form: a flat graph of nodes, state slots and inputs.

The lowering pass (:mod:`.lowering`) turns pysd's ``AbstractModel`` into this
form; the code generator (:mod:`.codegen`) turns it into NumPy code. Nothing
here holds model text that could ever be executed: names are plain strings
used only as labels, expressions are small frozen dataclasses.

Expressions
-----------
``Num`` a literal; ``Time`` the simulation time; ``Ref`` the value of a graph
node; ``State`` the current value of a state slot; ``Input`` a value supplied
at run time (parameter, control variable, lookup table, series); ``Call`` a
runtime operation (see :data:`.codegen.OPERATIONS`); ``Mode`` a value that
differs between the initialisation and the run phase (``ACTIVE INITIAL``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Call",
    "Expr",
    "Graph",
    "Input",
    "InputSpec",
    "Mode",
    "Node",
    "Num",
    "Ref",
    "Slot",
    "State",
    "Static",
    "Time",
]


@dataclass(frozen=True)
class Num:
    """A literal number."""

    value: float


@dataclass(frozen=True)
class Time:
    """The simulation time."""


@dataclass(frozen=True)
class Ref:
    """The value of graph node ``node``."""

    node: int


@dataclass(frozen=True)
class State:
    """The current value of state slot ``slot``."""

    slot: int


@dataclass(frozen=True)
class Input:
    """Run-time input number ``slot`` (see :class:`InputSpec`)."""

    slot: int


@dataclass(frozen=True)
class Call:
    """A runtime operation ``op`` applied to ``args``."""

    op: str
    args: tuple


@dataclass(frozen=True)
class Static:
    """A fixed argument of a shape operation (axes, indices, shapes): ints and tuples."""

    value: object


@dataclass(frozen=True)
class Mode:
    """``init`` during initialisation, ``run`` afterwards (ACTIVE INITIAL)."""

    run: object
    init: object


Expr = Num | Time | Ref | State | Input | Call | Mode | Static


@dataclass
class InputSpec:
    """A value supplied at run time.

    Attributes
    ----------
    name : str
        The model name it belongs to (e.g. the constant's Vensim name).
    role : str
        ``"constant"``, ``"control"``, ``"lookup_x"``, ``"lookup_y"``,
        ``"series_x"``, ``"series_y"``, ``"array"`` (a subscripted
        constant given element by element; not sampled) or ``"random"``
        (the chunk's :class:`~.randoms.RandomSource`).
    default : object
        The model's own value (float, or a 1-D array for tables); ``None``
        when the model holds none (a data variable read from a file).
    """

    name: str
    role: str
    default: object
    dims: tuple[str, ...] = ()


@dataclass
class Node:
    """A value computed from other values: an auxiliary, a stock's level, ...

    Attributes
    ----------
    id : int
        Position in :attr:`Graph.nodes`.
    name : str
        The Vensim name, or a descriptive hidden name for a structure nested in
        an equation (e.g. ``"SMOOTH in 'x'"``).
    expr : Expr
        The expression giving its value.
    kind : str
        ``"auxiliary"``, ``"stock"``, ``"constant"``, ``"initial"`` (value
        frozen at initialisation), ``"data"`` or ``"hidden"``.
    visible : bool
        Whether it is a model variable that can be returned.
    dims : tuple of str
        Its subscript ranges; its value has shape ``(run, *sizes)`` (or is a
        scalar or ``(run,)`` array when there are none).
    """

    id: int
    name: str
    expr: object
    kind: str = "auxiliary"
    visible: bool = True
    dims: tuple[str, ...] = ()


@dataclass
class Slot:
    """One number per run that the integrator carries from step to step.

    Attributes
    ----------
    id : int
        Position in :attr:`Graph.slots`.
    owner : str
        The variable it belongs to (for messages).
    init : Expr
        Its value at the initial time (evaluated in the initialisation phase).
    rate : Expr
        Its time derivative (``update == "euler"`` or ``"nonnegative"``) or
        its next value (``"replace"``, ``"fixed_delay"``).
    update : str
        ``"euler"``: integrated; ``"nonnegative"``: integrated and floored at
        zero; ``"replace"``: set to ``rate`` before the integration step;
        ``"fixed_delay"``: a pipeline of ``length`` values (DELAY FIXED).
    length_expr : Expr or None
        For ``"fixed_delay"``: the delay time, from which the pipeline length
        (delay time ÷ TIME STEP) is set at initialisation.
    dims, shape : tuple
        Subscript ranges of the slot and their sizes.
    """

    id: int
    owner: str
    init: object
    rate: object
    update: str = "euler"
    length_expr: object = None
    dims: tuple[str, ...] = ()
    shape: tuple[int, ...] = ()


@dataclass
class Graph:
    """A lowered model: nodes, state slots, inputs and control settings."""

    nodes: list[Node] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    inputs: list[InputSpec] = field(default_factory=list)
    #: Vensim name -> node id, for every visible variable.
    by_name: dict[str, int] = field(default_factory=dict)
    #: Vensim name -> (x input, y input) of each lookup.
    lookups: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: Vensim name -> input slot of each constant.
    constants: dict[str, int] = field(default_factory=dict)
    #: Vensim name -> (x input, y input) of each data variable.
    data: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: control name ("initial_time", ...) -> input slot.
    controls: dict[str, int] = field(default_factory=dict)
    #: control name -> node id of each control computed at every step (one that
    #: depends on Time or on a changing variable); its input holds the start
    #: value for INITIAL TIME and nothing for the others.
    dynamic_controls: dict[str, int] = field(default_factory=dict)
    #: Model-order names of the stocks (INTEG variables).
    stocks: list[str] = field(default_factory=list)
    #: Subscript range name -> its elements, in order.
    ranges: dict[str, list[str]] = field(default_factory=dict)
    #: Conditions checked once per run at initialisation: (expression that is
    #: true where the run is valid, message naming the variable and the rule).
    checks: list[tuple[object, str]] = field(default_factory=list)
    #: The variable of each RANDOM call, by call site (see :mod:`.randoms`).
    random_sites: list[str] = field(default_factory=list)
