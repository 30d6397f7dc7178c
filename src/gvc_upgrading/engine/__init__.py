"""The compiled batch engine: many parameter sets of one model in one vectorized pass.

The engine compiles pysd's parsed form of a Vensim model (its
``AbstractModel``) into NumPy code whose arrays carry a leading ``run`` axis,
and integrates whole ensembles at once with the same Euler scheme,
initialisation order and saving times as pysd, which it reproduces to
round-off.

Public API
----------
:func:`compile_model`
    ``compile_model(source, *, integration="euler", parameters=None)`` ->
    :class:`BatchModel`. ``source`` is a ``.mdl`` path or a loaded model
    (``Model.compile()`` calls it).
:class:`BatchModel`
    ``run(samples=None, *, n=None, scenario=None, return_columns=None,
    return_timestamps=None, chunk_size=None, scheduler=None, progress=None,
    check_bounds=True, final_time=None, time_step=None, out=None,
    on_nonfinite="raise")`` ->
    :class:`xarray.Dataset` over ``(run, time[, subscript ranges])``;
    attributes ``parameters``, ``variables``, ``stocks``, ``lookups``,
    ``data``, ``integration``, ``sha256``, ``path``; ``source()`` returns the
    generated code for inspection.
:data:`INTEGRATIONS`
    ``("euler", "rk4", "solve_ivp")``.
:func:`open_results`
    Open a netCDF file written by ``run(out=...)`` with its run coordinates
    and subscript elements.

Errors
------
Unknown sample names raise :class:`~gvc_upgrading.errors.UnknownParameterError`,
unknown ``return_columns`` :class:`~gvc_upgrading.errors.UnknownVariableError`,
non-finite or out-of-range samples
:class:`~gvc_upgrading.errors.ParameterRangeError` (``check_bounds=False``
allows values outside the bounds), unequal sample lengths, ``n < 1`` and bad
run settings :class:`~gvc_upgrading.errors.SpecError`, and a value that
becomes non-finite during integration
:class:`~gvc_upgrading.errors.SimulationError` naming the first variable,
run and time (unless ``on_nonfinite`` says to carry it on).

Samples
-------
``samples`` maps names of constants, lookups and data variables to a number
(every run), a 1-D array (one value per run), a :class:`pandas.Series`
indexed by time (the same series in every run: a constant then follows it,
a lookup takes it as its table, a data variable as its data) or a
:class:`pandas.DataFrame` indexed by time with one column per run. It may
also be a sequence of mappings, one per run. Values sampled per run become
coordinates on ``run``.

Supported Vensim
----------------
Every construct pysd 3.14 supports except GET TIME VALUE of the computer's
clock and an INITIAL TIME that depends on a stock (its start in pysd depends
on what the model object did before the run); the full table,
with the model that proves each one equal to pysd, is
``docs/engine-constructs.md``. That includes arithmetic,
logic and every built-in function; INTEG, INITIAL, ACTIVE INITIAL, the
SMOOTH/DELAY/TREND/FORECAST families, DELAY FIXED, SAMPLE IF TRUE; lookups
(also subscripted); macros; GET XLS/DIRECT constants, data, lookups and
subscript ranges (read once at compile time, from files named relative to
the model); subscripts with subranges, EXCEPT, copies, mappings, element-wise
definitions and stocks; SUM/PROD/VMIN/VMAX, VECTOR SELECT/SORT ORDER/RANK/
REORDER, INVERT MATRIX; ALLOCATE BY PRIORITY and ALLOCATE AVAILABLE (pysd's
own algorithms, looped over runs). A refused construct raises
:class:`~gvc_upgrading.errors.UnsupportedConstructError` at compile time,
naming the construct and the variable.

RANDOM 0 1, RANDOM UNIFORM, RANDOM NORMAL and RANDOM EXPONENTIAL draw from
pysd's distributions but from the engine's own streams: ``run(seed=...)``
is required, reproduces a run bit for bit, and gives run ``i`` the same
numbers however the runs are batched (:mod:`.randoms`). Control variables
computed from constants that differ between runs give each group of runs
its own time grid; control variables that change during the run (FINAL
TIME, TIME STEP or SAVEPER on Time or a stock) give each run its own clock,
following pysd's run loop with Euler steps (:mod:`.dynamic`), and the result
holds the union of the saved times. Beyond pysd, elements of a variable defined from each
other (``x[a2] = x[a1] + 1``, on which pysd recurses without end) run too.

``run(on_nonfinite=...)``: ``"raise"`` (default) stops at the first NaN or
infinite value naming variable, run and time; ``"warn"`` and ``"ignore"``
carry such values on as pysd does. ``run(return_columns="all")`` also
returns the constants.

Like pysd, a DELAY whose delay time is shorter than order × TIME STEP runs
at a lower order, fixed per run at initialisation. Known differences from
pysd: a delay time shorter than TIME STEP is refused
(:class:`~gvc_upgrading.errors.ParameterRangeError`; pysd fails). The order
of SMOOTH N and DELAY N is its value at the initial time, fixed when the
model is compiled (a run whose inputs would change it is refused). A DELAY N
whose delay time changes during the run uses the delay times of the previous
step for its output, which pysd does or does not do depending on evaluation
order.

Speed
-----
Euler runs go through a fused step (:mod:`.fusion`): every array operation
of a step is one ufunc call writing into a buffer that is reused as soon as
its value is dead, and two state sets alternate, so a step allocates
nothing; it gives bit for bit the values of the plain generated code. Runs
are integrated in chunks of at most 4096 so that a step's arrays stay in
cache. ``benchmarks/bench_engine.py`` compares the engine with pysd and with
the time of the same NumPy operations alone.

Security
--------
The generated functions are assembled from :mod:`ast` nodes: identifiers are
made by the compiler, numbers enter as constants, and model names and
documentation are never part of the code, so a hostile model file cannot run
code through them.

Examples
--------
>>> from gvc_upgrading.engine import compile_model   # doctest: +SKIP
>>> batch = compile_model("models/gvc_upgrading.mdl")  # doctest: +SKIP
>>> ds = batch.run({"Audit frequency": [0.2, 0.5, 0.8]})  # doctest: +SKIP
"""

from __future__ import annotations

from .batch import INTEGRATIONS, BatchModel, compile_model
from .output import open_results

__all__ = ["INTEGRATIONS", "BatchModel", "compile_model", "open_results"]
