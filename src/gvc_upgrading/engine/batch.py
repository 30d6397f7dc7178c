"""``BatchModel``: many parameter sets of one model in one vectorized pass."""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pysd
import xarray as xr
from pysd.translators.structures.abstract_model import AbstractModel

from ..arguments import (
    BOOL,
    INTEGER,
    NAMES,
    NUMBER,
    PATH,
    TEXT,
    Kind,
    check_arguments,
    choice,
    instance_of,
    optional,
)
from ..errors import SpecError, UnknownVariableError, UnsupportedConstructError
from ..limits import check_batch_memory, check_controls
from ..parameters import parameter_table
from ..run_checks import check_seed, random_functions
from ..translation import file_sha256, parse_abstract_model
from .codegen import Program, generate
from .dynamic import integrate_dynamic, on_union_grid
from .integrate import NONFINITE, ChunkInputs, integrate_chunk
from .ir import Graph
from .lowering import control_values, lower_model, run_start
from .output import Layout, NetCDFWriter, allocate, assemble
from .randoms import RandomSource
from .samples import ResolvedInputs, resolve_samples
from .timeline import Timeline, make_timeline

__all__ = ["INTEGRATIONS", "BatchModel", "compile_model"]

#: Integration methods: pysd's Euler scheme, classic Runge-Kutta 4, and a
#: scipy ``solve_ivp`` (DOP853, rtol 1e-10) reference for error checks.
INTEGRATIONS = ("euler", "rk4", "solve_ivp")

#: Runs per chunk when ``chunk_size`` is not given. Each step of the fused
#: Euler code (:mod:`.fusion`) reads and writes a few hundred chunk-long arrays
#: (state, per-run constants, buffers): at 4096 runs that is a few MB, which
#: stays in the processor's last-level cache, while each NumPy call still
#: spends most of its time on the arithmetic rather than on its own overhead.
#: Measured on the shipped model (benchmarks/bench_engine.py --chunk-size):
#: 4096 was the fastest of 2048-16384 for the default Sobol' study's sampling
#: and on par with 8192 with every parameter sampled.
DEFAULT_CHUNK_SIZE = 4096

_SCHEDULERS = ("synchronous", "threads", "processes")
_NUMBERS = Kind(
    "a list of numbers",
    lambda v: (
        isinstance(v, Sequence | np.ndarray)
        and not isinstance(v, str)
        and all(NUMBER.accepts(x) for x in v)
    ),
)
#: What ``scheduler=`` may be (which string is checked when the chunks are handed out).
_SCHEDULER = optional(
    TEXT
    | Kind("a dask.distributed Client", lambda v: hasattr(v, "submit") and hasattr(v, "scatter"))
)


class BatchModel:
    """A model compiled to vectorized NumPy code; see :func:`compile_model`.

    Attributes
    ----------
    parameters : pandas.DataFrame
        The constants that may be sampled (``default, lower, upper, ...``).
    variables : tuple of str
        Every variable that :meth:`run` can return.
    stocks : tuple of str
        The stocks (INTEG variables), in model order.
    lookups : tuple of str
        Lookup tables (sample them with a Series or DataFrame).
    data : tuple of str
        Data variables (give them a Series or DataFrame).
    integration : str
        ``"euler"``, ``"rk4"`` or ``"solve_ivp"``.
    sha256 : str
        Digest of the model file.
    path : pathlib.Path or None
        The model file.
    """

    def __init__(
        self,
        abstract_model: AbstractModel,
        *,
        parameters: pd.DataFrame,
        path: Path | None,
        sha256: str,
        integration: str = "euler",
    ) -> None:
        if integration not in INTEGRATIONS:
            raise SpecError(f"integration must be one of {INTEGRATIONS}, got {integration!r}")
        self._abstract_model = abstract_model
        self.parameters = parameters
        self.path = path
        self.sha256 = sha256
        self.integration = integration
        self._programs: dict[tuple, tuple[Graph, Program]] = {}
        graph = lower_model(abstract_model)  # refuses unsupported constructs now
        if integration != "euler":
            for slot in graph.slots:
                if slot.update in ("replace", "fixed_delay", "nonnegative"):
                    raise UnsupportedConstructError(
                        f"{slot.update.replace('_', ' ')} state with integration={integration!r}",
                        slot.owner,
                        "DELAY FIXED, DELAY N, SAMPLE IF TRUE and non-negative stocks need "
                        "Euler integration",
                    )
        if graph.dynamic_controls:
            _refuse_with_dynamic_controls(graph, integration)
        if integration != "euler" and graph.random_sites:
            raise UnsupportedConstructError(
                f"RANDOM functions with integration={integration!r}",
                graph.random_sites[0],
                "a new draw at every evaluation time makes the rates discontinuous, which "
                "RK4 and solve_ivp assume they are not; use Euler integration",
            )
        self._graph = graph
        self.variables = tuple(n.name for n in graph.nodes if n.visible)
        self.stocks = tuple(graph.stocks)
        self.lookups = tuple(graph.lookups)
        self.data = tuple(graph.data)
        self._constants = {
            n: float(np.asarray(graph.inputs[i].default, dtype=float))  # a constant's number
            for n, i in graph.constants.items()
        }
        # Generate the default program now: algebraic loops are reported at compile time.
        self._program(frozenset(), self._requested(None))

    def __repr__(self) -> str:
        return (
            f"BatchModel(path={str(self.path)!r}, variables={len(self.variables)}, "
            f"stocks={len(self.stocks)}, integration={self.integration!r})"
        )

    # pickling (dask processes / distributed workers): recompile on arrival
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_programs"] = {}
        return state

    # -- compilation -------------------------------------------------------
    def _program(
        self,
        series: frozenset[str],
        requested: tuple[str, ...],
        static: frozenset[str] = frozenset(),
    ) -> tuple[Graph, Program]:
        """The graph and program for these series inputs, variables and overridden controls."""
        static = static & frozenset(self._graph.dynamic_controls)
        key = (series, requested, static)
        if key not in self._programs:
            graph = (
                lower_model(self._abstract_model, series, static)
                if series or static
                else self._graph
            )
            ids = [graph.by_name[name] for name in requested]
            self._programs[key] = (graph, generate(graph, ids))
        return self._programs[key]

    def source(self) -> str:
        """Return the generated Python code (for inspection; it is never re-parsed)."""
        import ast

        _, program = self._program(frozenset(), tuple(self.variables))
        return ast.unparse(program.source)

    # -- running -----------------------------------------------------------
    def run(
        self,
        samples: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        n: int | None = None,
        scenario: Any = None,
        return_columns: Sequence[str] | str | None = None,
        return_timestamps: Sequence[float] | float | None = None,
        chunk_size: int | None = None,
        scheduler: Any = None,
        progress: bool | None = None,
        check_bounds: bool = True,
        final_time: float | None = None,
        time_step: float | None = None,
        out: str | os.PathLike[str] | None = None,
        on_nonfinite: str = "raise",
        seed: int | None = None,
    ) -> xr.Dataset:
        """Simulate an ensemble of runs.

        Parameters
        ----------
        samples : mapping or sequence of mappings, optional
            Values per run by parameter name (see :mod:`.samples` for the
            accepted forms: numbers, 1-D arrays over runs, a pandas Series
            over time shared by all runs, a DataFrame time × run, or one
            mapping per run). Constants, lookups and data variables can be
            sampled.
        n : int, optional
            Number of runs; with no samples, ``n`` runs of the defaults
            (default 1).
        scenario : Scenario, optional
            Applied to every run under the samples (samples win): an object
            with ``parameters`` and ``series``, as
            :func:`gvc_upgrading.load_scenario` returns. The engine reads
            nothing from disk: a name or path is refused.
        return_columns : sequence of str or "all", optional
            Variables to return (default: every stock and auxiliary;
            ``"all"``: every variable, constants included, as pysd returns
            them; subscripted ones keep their dimensions).
        return_timestamps : sequence of float or float, optional
            Times to save instead of every SAVEPER; the run ends at the last
            one unless ``final_time`` is given (as in pysd).
        chunk_size : int, optional
            Runs integrated together (default: equal chunks of at most 4096);
            bounds the working memory.
        scheduler : str or dask.distributed.Client, optional
            ``None`` (in process, no dask), ``"synchronous"``, ``"threads"``,
            ``"processes"``, a ``dask.distributed`` scheduler address, or a
            connected ``Client``.
            Results are identical whichever is used.
        progress : bool, optional
            Show a progress bar over chunks (default: when stderr is a terminal).
        check_bounds : bool
            Refuse constants outside their ``[lower, upper]`` range (default True).
        final_time, time_step : float, optional
            Override FINAL TIME and TIME STEP.
        out : path-like, optional
            Stream results into this netCDF file and return it opened lazily.
        on_nonfinite : {"raise", "warn", "ignore"}
            A value that becomes NaN or infinite: stop with
            :class:`~gvc_upgrading.errors.SimulationError` naming the first
            variable, run and time (default); or carry it on as pysd does,
            with a ``RuntimeWarning`` naming them (``"warn"``) or silently.
        seed : int, optional
            Seed of the RANDOM functions, in ``[0, 2**32)``; required when
            the model uses them. The same seed gives the same numbers, bit
            for bit, and run ``i`` gets the same numbers whatever the number
            of runs, chunk size or scheduler (:mod:`.randoms`). Recorded in
            ``attrs["seed"]``.

        Returns
        -------
        xarray.Dataset
            Data variables named as in the model over ``(run, time)``;
            values sampled per run as coordinates on ``run``; provenance in
            ``attrs``.

        Raises
        ------
        UnknownParameterError
            A sampled or scenario name that is not a constant, lookup or data variable.
        UnknownVariableError
            A name in ``return_columns`` that is not a variable.
        ParameterRangeError
            A non-finite sample, or one outside its bounds.
        SpecError
            Unequal sample lengths, ``n < 1``, bad times, chunk size or scheduler.
        SimulationError
            A non-finite value during integration (naming variable, run and
            time), unless ``on_nonfinite`` says otherwise.
        """
        check_arguments(
            "BatchModel.run",
            n=(n, optional(INTEGER)),
            return_columns=(return_columns, optional(NAMES | TEXT)),
            return_timestamps=(return_timestamps, optional(NUMBER | _NUMBERS)),
            chunk_size=(chunk_size, optional(INTEGER)),
            scheduler=(scheduler, _SCHEDULER),
            progress=(progress, optional(BOOL)),
            check_bounds=(check_bounds, BOOL),
            final_time=(final_time, optional(NUMBER)),
            time_step=(time_step, optional(NUMBER)),
            out=(out, optional(PATH)),
            on_nonfinite=(on_nonfinite, choice(*NONFINITE)),
        )
        seed = check_seed(seed, self._random_uses(), self._source_label())
        scenario_object, scenario_name = _resolve_scenario(scenario)
        base: dict[str, Any] = {}
        if scenario_object is not None:
            base.update(getattr(scenario_object, "parameters", {}) or {})
            base.update(getattr(scenario_object, "series", {}) or {})
        resolved = resolve_samples(
            samples,
            n,
            base=base,
            constants=self._constants,
            tables=[*self.lookups, *self.data],
            bounds=self.parameters,
            variables=self.variables,
            check_bounds=check_bounds,
        )
        requested = self._requested(return_columns)
        static = _overridden(final_time, time_step, return_timestamps)
        if set(self._graph.dynamic_controls) - static:
            if out is not None:
                raise SpecError(
                    "out= streams runs whose time grid is known before the run; this model's "
                    "control variables change during the run, so run it in memory"
                )
            return self._run_dynamic(
                resolved,
                requested,
                static,
                _run_final_time(final_time, return_timestamps),
                time_step,
                return_timestamps,
                scenario_name=scenario_name,
                chunk_size=chunk_size,
                scheduler=scheduler,
                progress=progress,
                on_nonfinite=on_nonfinite,
                seed=seed,
            )
        if "final_time" in self._graph.dynamic_controls and final_time is None:
            final_time = _run_final_time(final_time, return_timestamps)
        controls = self._controls(final_time, time_step, return_timestamps, resolved)
        # FINAL TIME alone may differ within a group: its runs share the longest grid
        own_final = final_time is None and return_timestamps is None
        groups = _control_groups(controls, resolved.n_runs, own_final)
        options = {
            "static": static,
            "scenario_name": scenario_name,
            "return_timestamps": return_timestamps,
            "final_time": final_time,
            "chunk_size": chunk_size,
            "scheduler": scheduler,
            "progress": progress,
            "on_nonfinite": on_nonfinite,
            "seed": seed,
        }
        if len(groups) == 1:
            _, group_controls, finals = groups[0]
            timeline = self._timeline(final_time, time_step, return_timestamps, group_controls)
            return self._simulate(
                resolved, requested, timeline, out=out, final_times=finals, **options
            )
        if out is not None:
            raise SpecError(
                "out= streams runs that share one time grid; these runs' control variables "
                f"({', '.join(_varying(controls))}) differ, so run them in memory"
            )
        return self._run_groups(groups, resolved, requested, options)

    def _controls(self, final_time, time_step, return_timestamps, resolved) -> dict:
        """The control variables of each run (a float, or an array over the runs)."""
        for label, value in (("final_time", final_time), ("time_step", time_step)):
            if value is not None and (isinstance(value, bool) or not _is_real(value)):
                raise SpecError(f"{label} must be a number, got {value!r}")
        given = {k: v for k, v in resolved.values.items() if k in self._constants}
        return control_values(
            self._abstract_model, {"final_time": final_time, "time_step": time_step}, given
        )

    def _run_groups(self, groups, resolved, requested, options) -> xr.Dataset:
        """Runs whose control variables differ: one pass per time grid, put together.

        The result's ``time`` is the union of the grids; a run holds NaN at
        the times its own grid does not have. The controls of each run are
        coordinates on ``run`` (``INITIAL TIME``, ``FINAL TIME``, ...).
        """
        from ..errors import GvcError

        parts = []
        for runs, controls, finals in groups:
            timeline = self._timeline(
                options["final_time"], None, options["return_timestamps"], controls
            )
            try:
                part = self._simulate(
                    _subset(resolved, runs),
                    requested,
                    timeline,
                    run_ids=runs,
                    final_times=finals,
                    **options,
                )
            except GvcError as exc:  # name the run by its index in the whole ensemble
                message = re.sub(r"\brun (\d+)", functools.partial(_whole_run, runs), str(exc))
                raise type(exc)(message) from exc
            part = part.drop_vars(list(CONTROL_LABELS.values()), errors="ignore")
            parts.append(part.assign_coords(run=runs))
        combined = xr.concat(parts, dim="run", join="outer", combine_attrs="override")
        combined = combined.sortby("run")
        for key, label in CONTROL_LABELS.items():
            values = np.empty(resolved.n_runs)
            for runs, controls, finals in groups:
                values[runs] = (
                    finals if key == "final_time" and finals is not None else controls[key]
                )
            combined = combined.assign_coords({label: ("run", values)})
            combined.attrs.pop(key, None)
        combined.attrs["controls"] = "differ between runs: see the coordinates on run"
        return combined

    def _simulate(
        self,
        resolved: ResolvedInputs,
        requested: tuple[str, ...],
        timeline: Timeline,
        *,
        scenario_name: str,
        chunk_size,
        scheduler,
        progress,
        on_nonfinite: str,
        seed: int | None,
        out=None,
        run_ids: np.ndarray | None = None,
        final_times: np.ndarray | None = None,
        static: frozenset[str] = frozenset(),
        **_: Any,
    ) -> xr.Dataset:
        """Integrate ``resolved`` runs on one ``timeline`` (see :meth:`run`).

        ``final_times`` (one per run) end runs before the timeline does:
        their later saved times are NaN (the steps before are the same).
        """
        series_constants = frozenset(k for k in resolved.series if k in self._constants)
        size = _chunk_size(chunk_size, resolved.n_runs)
        attrs = self._attrs(scenario_name, resolved, timeline)
        coordinates = {
            name: np.broadcast_to(resolved.values[name], (resolved.n_runs,))
            for name in resolved.sampled
        }
        chunks = list(_chunk_bounds(resolved.n_runs, size))
        graph = self._program(series_constants, requested, static)[0]
        layout = Layout(
            names=requested,
            dims=tuple(graph.nodes[graph.by_name[name]].dims for name in requested),
            ranges=graph.ranges,
        )
        job = _Job(
            self, series_constants, requested, resolved, timeline, on_nonfinite, seed, run_ids
        )
        job.static = static
        job.final_times = final_times
        keep = None if final_times is None else _saved_until(timeline, final_times)
        if keep is not None:
            coordinates["FINAL TIME"] = np.asarray(final_times, dtype=float)
            attrs.pop("final_time", None)
            attrs["controls"] = "differ between runs: see the coordinates on run"
        if seed is not None:
            attrs["seed"] = seed
        check_batch_memory(timeline.n_saved, layout.rows, resolved.n_runs, size, to_disk=bool(out))
        bar = _progress(progress, len(chunks))
        writer = (
            NetCDFWriter(out, layout, timeline.saved_times, resolved.n_runs, coordinates, attrs)
            if out is not None
            else None
        )
        values = (
            None
            if writer is not None
            else allocate((timeline.n_saved, layout.rows, resolved.n_runs))
        )
        stops = dict(chunks)
        try:
            for start, block in _execute(job, chunks, scheduler, values):
                if keep is not None:  # runs that end earlier than the grid
                    part = (
                        block
                        if block is not None
                        else _present(values)[:, :, start : stops[start]]
                    )
                    np.copyto(part, np.nan, where=~keep[:, np.newaxis, start : stops[start]])
                if writer is not None:
                    writer.write(start, _present(block))
                elif block is not None:
                    _present(values)[:, :, start : start + block.shape[2]] = block
                bar.update(1)
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        finally:
            bar.close()
        if writer is not None:
            return writer.close()
        return assemble(_present(values), layout, timeline.saved_times, coordinates, attrs)

    def _run_dynamic(
        self,
        resolved: ResolvedInputs,
        requested: tuple[str, ...],
        static: frozenset[str],
        final_time: float | None,
        time_step: float | None,
        return_timestamps,
        *,
        scenario_name: str,
        chunk_size,
        scheduler,
        progress,
        on_nonfinite: str,
        seed: int | None,
    ) -> xr.Dataset:
        """Runs whose control variables change during the run (see :mod:`.dynamic`).

        Every run follows its own time; the result's ``time`` is the union of
        the saved times, NaN where a run saves nothing.
        """
        given = {k: v for k, v in resolved.values.items() if k in self._constants}
        controls = control_values(
            self._abstract_model,
            {"final_time": final_time, "time_step": time_step},
            given,
            dynamic=True,
        )
        graph, _ = self._program(frozenset(), requested, static)
        if "initial_time" in graph.dynamic_controls:  # pysd's start, from the run's constants
            controls["initial_time"] = run_start(graph, given)
        for key, label in CONTROL_LABELS.items():
            value = controls[key]
            if value is None or (key in graph.dynamic_controls and key != "initial_time"):
                continue
            value = np.asarray(value, dtype=float)
            if not np.isfinite(value).all():
                raise SpecError(f"{label} must be a finite number, got {value!r}")
            if key in ("time_step", "saveper") and not (value > 0).all():
                raise SpecError(f"{label} must be a positive number, got {value!r}")
        series_constants = frozenset(k for k in resolved.series if k in self._constants)
        size = _chunk_size(chunk_size, resolved.n_runs)
        chunks = list(_chunk_bounds(resolved.n_runs, size))
        graph = self._program(series_constants, requested, static)[0]
        job = _Job(self, series_constants, requested, resolved, None, on_nonfinite, seed)
        job.static = static
        job.controls = controls
        job.return_timestamps = return_timestamps
        bar = _progress(progress, len(chunks))
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        try:
            for _, block in _execute(job, chunks, scheduler, None):
                parts.append(block)  # type: ignore[arg-type]  # (labels, values) here
                bar.update(1)
        finally:
            bar.close()
        times, values = on_union_grid(parts, resolved.n_runs)
        layout = Layout(
            names=requested,
            dims=tuple(graph.nodes[graph.by_name[name]].dims for name in requested),
            ranges=graph.ranges,
        )
        coordinates = {
            name: np.broadcast_to(resolved.values[name], (resolved.n_runs,))
            for name in resolved.sampled
        }
        attrs = self._attrs(scenario_name, resolved, None)
        for key, label in CONTROL_LABELS.items():
            value = controls[key]
            if key in graph.dynamic_controls and key != "initial_time":
                value = None  # a variable of the result
            if value is not None and np.ndim(value) == 0:
                attrs[key] = float(value)
            elif value is not None:
                coordinates[label] = np.asarray(value, dtype=float)
        changing = [CONTROL_LABELS[k] for k in graph.dynamic_controls]
        attrs["controls"] = (
            f"change during the run ({', '.join(changing)}): see those variables; "
            "time is the union of the runs' saved times"
        )
        if seed is not None:
            attrs["seed"] = seed
        return assemble(values, layout, times, coordinates, attrs)

    def _random_uses(self) -> list[str]:
        """``"variable: function"`` for each RANDOM call of the model."""
        return random_functions(self._abstract_model) if self._graph.random_sites else []

    def _source_label(self) -> str:
        return self.path.name if self.path is not None else "the model"

    def _requested(self, return_columns: Sequence[str] | None) -> tuple[str, ...]:
        graph = self._graph
        if return_columns is None:
            return tuple(n.name for n in graph.nodes if n.visible and n.kind not in ("constant",))
        if isinstance(return_columns, str) and return_columns == "all":
            return tuple(n.name for n in graph.nodes if n.visible)
        if isinstance(return_columns, str):
            return_columns = [return_columns]
        names = list(dict.fromkeys(return_columns))
        for name in names:
            if name not in self._graph.by_name:
                import difflib

                close = difflib.get_close_matches(name, self.variables, n=3)
                hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
                raise UnknownVariableError(f"unknown variable {name!r}{hint}")
        return tuple(names)

    def _chunk_start(
        self,
        samples: Mapping[str, Any] | None,
        n: int,
        return_columns: Sequence[str] | str | None,
        *,
        strict: bool = True,
    ) -> tuple[Program, Graph, ChunkInputs, Timeline, dict, dict]:
        """One chunk of ``n`` runs at the initial time, as the integrator starts it.

        Returns the program, graph, chunk inputs, timeline, initial state and
        constants (:func:`.integrate._initialise`); for the benchmarks and tests
        of the generated step code, which run steps by hand.
        """
        from .integrate import _initialise

        program, graph, job, timeline = self._bench_job(samples, n, return_columns)
        inputs = job.inputs(graph, 0, n)
        state, constants, _ = _initialise(program, graph, inputs, timeline, strict=strict)
        return program, graph, inputs, timeline, state, constants

    def _bench_job(
        self,
        samples: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        n: int,
        return_columns: Sequence[str] | str | None,
    ) -> tuple[Program, Graph, _Job, Timeline]:
        """The program, graph, job and time grid of ``n`` runs on the model's own controls.

        For the benchmarks and tests that drive the generated step code by hand
        (:meth:`_chunk_start`, ``benchmarks/bench_engine.py --backend numba``).
        """
        requested = self._requested(return_columns)
        graph, program = self._program(frozenset(), requested)
        timeline = self._timeline(None, None, None)
        resolved = resolve_samples(
            samples or None,
            None if samples else n,
            base={},
            constants=self._constants,
            tables=[*self.lookups, *self.data],
            bounds=self.parameters,
            variables=self.variables,
            check_bounds=True,
        )
        return program, graph, _Job(self, frozenset(), requested, resolved, timeline), timeline

    def _timeline(
        self, final_time, time_step, return_timestamps, controls: dict | None = None
    ) -> Timeline:
        """The time grid of runs with these ``controls`` (default: the model's own)."""
        if controls is None:
            controls = control_values(
                self._abstract_model, {"final_time": final_time, "time_step": time_step}
            )
        final = final_time
        if final is None and return_timestamps is None:
            final = controls["final_time"]
        check_controls(controls, final, return_timestamps)  # before the time grid is built
        return make_timeline(
            controls["initial_time"],
            final,
            controls["time_step"],
            controls["saveper"],
            return_timestamps,
        )

    def _attrs(
        self, scenario_name: str, resolved: ResolvedInputs, timeline: Timeline | None
    ) -> dict:
        from .. import __version__

        grid = (
            {}
            if timeline is None
            else {
                "initial_time": timeline.initial_time,
                "final_time": timeline.final_time,
                "time_step": timeline.time_step,
                "saveper": timeline.saveper,
            }
        )
        return {
            "model_sha256": self.sha256,
            "model_file": str(self.path) if self.path is not None else "",
            "gvc_upgrading_version": __version__,
            "pysd_version": pysd.__version__,
            "engine": "gvc_upgrading.engine.BatchModel",
            "integration": self.integration,
            "scenario": scenario_name,
            **grid,
            "sampled": json.dumps(resolved.sampled),
            "series_inputs": json.dumps(sorted(resolved.series)),
            "fixed_inputs": json.dumps(
                {
                    k: float(v)
                    for k, v in resolved.values.items()
                    if k not in resolved.sampled and np.ndim(v) == 0
                },
                sort_keys=True,
            ),
        }


class _Job:
    """Everything a worker needs to simulate one chunk (picklable)."""

    def __init__(
        self,
        model: BatchModel,
        series: frozenset[str],
        requested: tuple[str, ...],
        resolved: ResolvedInputs,
        timeline: Timeline | None,
        on_nonfinite: str = "raise",
        seed: int | None = None,
        run_ids: np.ndarray | None = None,
    ) -> None:
        self.model = model
        self.on_nonfinite = on_nonfinite
        self.seed = seed
        self.run_ids = run_ids
        self.final_times: np.ndarray | None = None  # per run, when FINAL TIME differs
        self.series = series
        self.requested = requested
        self.resolved = resolved
        self.timeline = timeline
        #: controls given a value for the run (``final_time=`` ...)
        self.static: frozenset[str] = frozenset()
        #: without a timeline (controls that change during the run): each
        #: control's value before the run (None when computed at every step)
        self.controls: dict = {}
        self.return_timestamps = None

    def inputs(self, graph: Graph, start: int, stop: int) -> ChunkInputs:
        values: list[Any] = []
        resolved = self.resolved
        for spec in graph.inputs:
            if spec.role == "control":
                key = {
                    "INITIAL TIME": "initial_time",
                    "FINAL TIME": "final_time",
                    "TIME STEP": "time_step",
                    "SAVEPER": "saveper",
                }[spec.name]
                if self.timeline is None:
                    given = self.controls.get(key)
                    own = np.asarray(spec.default if given is None else given, dtype=float)
                    values.append(own[start:stop] if own.ndim else np.float64(own))
                elif key == "final_time" and self.final_times is not None:
                    values.append(np.asarray(self.final_times[start:stop], dtype=float))
                else:
                    values.append(np.float64(getattr(self.timeline, key)))
            elif spec.role == "array":
                values.append(spec.default)
            elif spec.role == "random":
                runs = None if self.run_ids is None else tuple(map(int, self.run_ids[start:stop]))
                values.append(RandomSource(int(self.seed or 0), start, stop - start, runs))
            elif spec.role == "constant":
                value = resolved.values.get(spec.name)
                if value is None:
                    value = np.asarray(spec.default, dtype=float)
                values.append(
                    np.asarray(value)[start:stop] if np.ndim(value) else np.float64(value)
                )
            elif spec.role in ("lookup_x", "series_x", "lookup_y", "series_y"):
                pair = resolved.series.get(spec.name)
                if pair is None:
                    if spec.default is None:
                        raise SpecError(
                            f"data variable {spec.name!r} has no values in the model file: "
                            "give it a pandas Series in samples or the scenario"
                        )
                    values.append(np.asarray(spec.default, dtype=float))
                elif spec.role.endswith("_x"):
                    values.append(pair[0])
                else:
                    values.append(pair[1][start:stop] if pair[1].ndim == 2 else pair[1])
            else:  # pragma: no cover - roles are fixed by the lowering
                raise AssertionError(spec.role)
        return ChunkInputs(values=values, n_runs=stop - start, first_run=start)

    def __call__(self, start: int, stop: int, out: np.ndarray | None = None):
        graph, program = self.model._program(self.series, self.requested, self.static)
        ids = [graph.by_name[name] for name in self.requested]
        if self.timeline is None:  # controls that change during the run
            return integrate_dynamic(
                program,
                graph,
                self.inputs(graph, start, stop),
                ids,
                self.on_nonfinite,
                self.return_timestamps,
            )
        return integrate_chunk(
            program,
            graph,
            self.inputs(graph, start, stop),
            self.timeline,
            ids,
            self.model.integration,
            out,
            self.on_nonfinite,
        )


def _run_chunk(job: _Job, start: int, stop: int) -> np.ndarray:
    return job(start, stop)


def _execute(
    job: _Job, chunks: list[tuple[int, int]], scheduler: Any, values: np.ndarray | None
) -> Iterator[tuple[int, np.ndarray | None]]:
    """Yield ``(first run, block)`` in run order; in process, blocks go straight into ``values``.

    With dask, a bounded window of chunks is in flight at a time, so that
    memory stays bounded when results are streamed to a file.
    """
    if scheduler is None:
        for start, stop in chunks:
            if values is None:
                yield start, job(start, stop)
            else:
                job(start, stop, values[:, :, start:stop])
                yield start, None
        return
    if hasattr(scheduler, "submit") and hasattr(scheduler, "scatter"):
        yield from _on_client(scheduler, job, chunks)
        return
    if not isinstance(scheduler, str):
        raise SpecError(
            "scheduler must be None, a string or a dask.distributed Client, got "
            f"{type(scheduler).__name__}"
        )
    try:
        import dask
    except ImportError as exc:  # pragma: no cover - dask is an optional extra
        raise SpecError("scheduler= needs dask: pip install 'gvc-upgrading[dask]'") from exc
    if scheduler in _SCHEDULERS:
        window = 2 * (os.cpu_count() or 1)
        for first in range(0, len(chunks), window):
            group = chunks[first : first + window]
            tasks = [dask.delayed(_run_chunk, pure=False)(job, a, b) for a, b in group]
            results = dask.compute(*tasks, scheduler=scheduler)
            yield from zip((a for a, _ in group), results, strict=True)
        return
    if "://" not in scheduler and ":" not in scheduler:
        raise SpecError(
            f"scheduler must be one of {_SCHEDULERS}, None, a dask.distributed Client or "
            f"scheduler address like 'tcp://host:8786'; got {scheduler!r}"
        )
    from distributed import Client

    with Client(scheduler, set_as_default=False) as client:
        yield from _on_client(client, job, chunks)


def _on_client(client: Any, job: _Job, chunks: list[tuple[int, int]]):
    """Run chunks on a dask.distributed client, a window of them at a time."""
    remote_job = client.scatter(job, broadcast=True)
    window = 2 * max(sum(client.nthreads().values()), 1)
    pending: list = []
    for start, stop in chunks:
        pending.append((start, client.submit(_run_chunk, remote_job, start, stop, pure=False)))
        if len(pending) >= window:
            first, future = pending.pop(0)
            yield first, future.result()
    for first, future in pending:
        yield first, future.result()


#: control variable key -> its Vensim name (a coordinate when it differs between runs).
CONTROL_LABELS = {
    "initial_time": "INITIAL TIME",
    "final_time": "FINAL TIME",
    "time_step": "TIME STEP",
    "saveper": "SAVEPER",
}


def _control_groups(
    controls: dict, n_runs: int, own_final: bool = False
) -> list[tuple[np.ndarray, dict, np.ndarray | None]]:
    """Split the runs by their control variables.

    Returns ``[(run indices, scalar controls, final times or None), ...]``.
    With ``own_final``, runs that differ only by FINAL TIME share a group
    (whose grid runs to the largest), each with its own final time.
    """
    every = {k: np.broadcast_to(np.asarray(controls[k], float), (n_runs,)) for k in CONTROL_LABELS}
    keys = [k for k in CONTROL_LABELS if not (own_final and k == "final_time")]
    table = np.stack([every[k] for k in keys])
    unique, inverse = np.unique(table, axis=1, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    groups = []
    for g in range(unique.shape[1]):
        runs = np.flatnonzero(inverse == g)
        scalar = {k: float(unique[i, g]) for i, k in enumerate(keys)}
        finals = every["final_time"][runs]
        scalar["final_time"] = float(finals.max())
        varying = own_final and bool(np.any(finals != finals[0]))
        groups.append((runs, scalar, np.array(finals) if varying else None))
    return groups


def _saved_until(timeline: Timeline, final_times: np.ndarray) -> np.ndarray:
    """``(saved time, run)``: whether a run whose FINAL TIME is its own reaches that time.

    pysd's loop stops at the first grid time ``t`` with ``t + TIME STEP ×
    1e-5 >= FINAL TIME``; every run shares the grid up to there.
    """
    prec = timeline.time_step * 1e-5
    grid = np.append(timeline.step_times, timeline.end_time)
    saved = grid[np.append(timeline.save_at_step, timeline.save_at_end)]
    last = np.searchsorted(grid + prec, np.asarray(final_times, dtype=float), side="left")
    ends = grid[np.minimum(last, len(grid) - 1)]
    return saved[:, np.newaxis] <= ends[np.newaxis, :]


def _overridden(final_time, time_step, return_timestamps) -> frozenset[str]:
    """The controls a run sets itself (pysd ends at the last return timestamp)."""
    keys = set()
    if final_time is not None or return_timestamps is not None:
        keys.add("final_time")
    if time_step is not None:
        keys.add("time_step")
    return frozenset(keys)


def _run_final_time(final_time, return_timestamps) -> float | None:
    """FINAL TIME of the run: given, else the last return timestamp (as pysd), else None."""
    if final_time is not None or return_timestamps is None:
        return final_time
    stamps = np.atleast_1d(np.asarray(return_timestamps, dtype=float))
    return float(stamps.max()) if stamps.size else None


def _refuse_with_dynamic_controls(graph: Graph, integration: str) -> None:
    """Refuse what cannot follow control variables that change during the run."""
    node = next(iter(graph.dynamic_controls.values()))
    name = graph.nodes[node].name
    if integration != "euler":
        raise UnsupportedConstructError(
            f"control variable that changes during the run with integration={integration!r}",
            name,
            "pysd advances such runs by Euler steps of the TIME STEP in force at each "
            "step; RK4 and solve_ivp need a grid fixed before the run",
        )
    if graph.random_sites:
        raise UnsupportedConstructError(
            "RANDOM functions with a control variable that changes during the run",
            graph.random_sites[0],
            f"the draws are keyed by the time the runs of a chunk share, and {name} lets "
            "each run follow its own times",
        )


def _varying(controls: dict) -> list[str]:
    return [CONTROL_LABELS[k] for k in CONTROL_LABELS if np.ndim(controls[k]) > 0]


def _subset(resolved: ResolvedInputs, runs: np.ndarray) -> ResolvedInputs:
    """The inputs of some of the runs."""
    n = resolved.n_runs

    def pick(value):
        return np.asarray(value)[runs] if np.ndim(value) and np.shape(value)[0] == n else value

    series = {
        name: (x, y[runs] if np.ndim(y) == 2 else y) for name, (x, y) in resolved.series.items()
    }
    return ResolvedInputs(
        n_runs=len(runs),
        values={k: pick(v) for k, v in resolved.values.items()},
        series=series,
        sampled=list(resolved.sampled),
    )


def _is_real(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating)


def _whole_run(runs: np.ndarray, match: re.Match[str]) -> str:
    """``run <i>`` of a chunk's message as the run's index in the whole ensemble."""
    return f"run {int(runs[int(match.group(1))])}"


def _present(values: np.ndarray | None) -> np.ndarray:
    """An array that this path always has (in-memory results, or the block of a streamed run)."""
    assert values is not None
    return values


def _chunk_size(chunk_size: int | None, n_runs: int) -> int:
    if chunk_size is None:
        pieces = -(-n_runs // DEFAULT_CHUNK_SIZE)
        return -(-n_runs // pieces)  # equal chunks of at most DEFAULT_CHUNK_SIZE
    if (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, int | np.integer)
        or chunk_size < 1
    ):
        raise SpecError(f"chunk_size must be a whole number of at least 1, got {chunk_size!r}")
    return int(min(chunk_size, n_runs))


def _chunk_bounds(n_runs: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n_runs, size):
        yield start, min(start + size, n_runs)


class _NoBar:
    def update(self, _: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(progress: bool | None, total: int):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress or total <= 1:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="chunks", unit="chunk")


def _resolve_scenario(scenario: Any) -> tuple[Any, str]:
    if scenario is None:
        return None, ""
    if hasattr(scenario, "parameters") and hasattr(scenario, "series"):
        return scenario, str(getattr(scenario, "name", ""))
    if isinstance(scenario, str | os.PathLike):
        raise SpecError(
            f"BatchModel.run takes a scenario object, not a name or path ({str(scenario)!r}): "
            "load it first with gvc_upgrading.load_scenario(name_or_path, model), which "
            "checks it against the model"
        )
    raise SpecError(
        "scenario must be a scenario object with .parameters and .series "
        f"(gvc_upgrading.load_scenario); got {type(scenario).__name__}"
    )


def compile_model(
    source: Any,
    *,
    integration: str = "euler",
    parameters: pd.DataFrame | None = None,
) -> BatchModel:
    """Compile a model into a :class:`BatchModel`.

    Parameters
    ----------
    source : path-like or model object
        A Vensim ``.mdl`` file, or an object with ``abstract_model``,
        ``parameters``, ``path`` and ``sha256`` (a loaded
        :class:`gvc_upgrading.model.Model`).
    integration : {"euler", "rk4", "solve_ivp"}
        Euler reproduces pysd (and Vensim); RK4 and scipy's ``solve_ivp``
        (DOP853, tight tolerances) measure integration error.
    parameters : pandas.DataFrame, optional
        Parameter table (``lower``/``upper`` bounds) to check samples
        against; default the model's own.

    Returns
    -------
    BatchModel

    Raises
    ------
    ModelFileError
        If the file is missing or not valid Vensim.
    UnsupportedConstructError
        If the model uses a construct the engine does not support.
    """
    check_arguments(
        "compile_model",
        integration=(integration, choice("euler", "rk4", "solve_ivp")),
        parameters=(parameters, optional(instance_of(pd.DataFrame))),
    )
    if isinstance(source, str | os.PathLike):
        file = Path(source)
        abstract_model = parse_abstract_model(file)
        sha256 = file_sha256(file)
        path: Path | None = file
        table = parameter_table(abstract_model)
    else:
        abstract_model = source.abstract_model
        path = Path(source.path) if getattr(source, "path", None) is not None else None
        sha256 = str(getattr(source, "sha256", ""))
        table = getattr(source, "parameters", None)
        if table is None:
            table = parameter_table(abstract_model)
    if parameters is not None:
        table = parameters
    return BatchModel(
        abstract_model, parameters=table, path=path, sha256=sha256, integration=integration
    )
