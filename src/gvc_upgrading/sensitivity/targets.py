"""What a study evaluates: a vectorised function, or a model through its batch engine.

Both kinds are wrapped in a :class:`Target`: ``evaluate(X)`` maps an ``(n, D)``
sample array (columns in the study's parameter order) to an ``(n, K)`` array of
output columns, and :attr:`Target.layout` says which output (and which year,
for a trajectory) each column holds.
"""

from __future__ import annotations

import json
import math
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..errors import SimulationError, SpecError
from ..scenario_spec import load_scenario
from .spec import OutputSpec, Study

__all__ = ["FunctionTarget", "ModelTarget", "OutputColumns", "Target", "make_target"]

SampleFunction = Callable[[np.ndarray], Any]


@dataclass(frozen=True)
class OutputColumns:
    """Where one output lives in the evaluation array.

    Attributes
    ----------
    output : OutputSpec
        The output.
    start : int
        First column.
    times : tuple of float or None
        Saved years of a trajectory output (one column each); ``None`` for a
        scalar output (one column).
    """

    output: OutputSpec
    start: int
    times: tuple[float, ...] | None = None

    @property
    def width(self) -> int:
        """Number of columns."""
        return 1 if self.times is None else len(self.times)

    @property
    def columns(self) -> slice:
        """The columns as a slice."""
        return slice(self.start, self.start + self.width)


class Target(Protocol):
    """The evaluation interface used by the estimators."""

    study: Study

    @property
    def layout(self) -> tuple[OutputColumns, ...]:
        """Output columns of :meth:`evaluate`, in order."""
        ...

    def evaluate(self, samples: np.ndarray) -> np.ndarray:
        """Return the ``(n, K)`` outputs for an ``(n, D)`` sample array."""
        ...

    def provenance(self) -> dict[str, str]:
        """Return attributes describing the target (netCDF-safe)."""
        ...

    def fingerprint(self) -> str:
        """Return a string that changes whenever the target's results may change."""
        ...


class FunctionTarget:
    """A vectorised Python function of the samples array.

    Parameters
    ----------
    study : Study
        The study; its ``outputs`` (if any) name the function's output columns.
    function : callable
        Maps an ``(n, D)`` array to ``(n,)`` or ``(n, k)``.
    """

    def __init__(self, study: Study, function: SampleFunction) -> None:
        self.study = study
        self.function = function
        self._layout: tuple[OutputColumns, ...] | None = None
        if study.outputs:
            self._layout = _scalar_layout(study.outputs)

    @property
    def layout(self) -> tuple[OutputColumns, ...]:
        """Output columns; known after the first evaluation when the study names none."""
        if self._layout is None:
            raise SpecError("the function's outputs are not known before it has been evaluated")
        return self._layout

    def evaluate(self, samples: np.ndarray) -> np.ndarray:
        """Call the function and check the shape and finiteness of what it returns."""
        result = np.asarray(self.function(samples), dtype=float)
        if result.ndim == 1:
            result = result[:, None]
        if result.ndim != 2 or result.shape[0] != samples.shape[0]:
            raise SpecError(
                f"the target function returned shape {np.shape(result)} for {samples.shape[0]}"
                " samples; expected (n,) or (n, k)"
            )
        self.settle_layout(result.shape[1])
        _check_finite(result, [c.output.name for c in self.layout for _ in range(c.width)])
        return result

    def settle_layout(self, width: int) -> None:
        """Fix the output names from the number of columns the function returns."""
        if self._layout is None:
            names = ["y"] if width == 1 else [f"y{i}" for i in range(width)]
            self._layout = _scalar_layout(tuple(OutputSpec(name=n, variable=n) for n in names))
        if sum(c.width for c in self._layout) != width:
            raise SpecError(
                f"the target function returned {width} output column(s) but the study names"
                f" {len(self._layout)} output(s)"
            )

    def provenance(self) -> dict[str, str]:
        """Describe the function (module and qualified name)."""
        name = getattr(self.function, "__qualname__", type(self.function).__name__)
        module = getattr(self.function, "__module__", "") or ""
        return {"target": f"function {module}.{name}".strip()}

    def fingerprint(self) -> str:
        """The function's module and qualified name.

        Checkpoints of a function target are keyed on it: a function whose
        body changed under the same name must not resume from old checkpoints.
        """
        return self.provenance()["target"]


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compiled(model: Any) -> Any:
    """The model's batch engine, compiled once per model object (and model file hash).

    A study compiles the same model for the Sobol' design, the grouped design
    and the lever contrast; compiling (generating the engine's code) takes
    seconds, so the compiled engine is kept as long as the model object lives.
    """
    key = str(getattr(model, "sha256", ""))
    try:
        cached = _COMPILED.get(model)
    except TypeError:  # not weak-referenceable: compile every time
        return model.compile()
    if cached is None or cached[0] != key:
        cached = (key, model.compile())
        _COMPILED[model] = cached
    return cached[1]


#: Runs per engine chunk in process. A study saves a few variables only, and
#: evaluates its rows in blocks whose outputs are held whole anyway, so the
#: engine chunk sets only the step's working set, not the memory held. With
#: the default study's sampling (28 of the model's parameters, so a few dozen
#: per-run constants) 8192 runs per chunk took 5-16 % less CPU time than the
#: engine's default 4096 and than 16384 (benchmarks/bench_sensitivity.py
#: --engine-chunks, interleaved, CPU time): twice the runs per NumPy call,
#: while the step's arrays still come from the last-level cache.
STUDY_ENGINE_CHUNK = 8192


def engine_chunk_size(runs: int, scheduler: Any) -> int:
    """Runs per engine chunk for one evaluation chunk of ``runs`` rows.

    In process (no scheduler): equal chunks of at most
    :data:`STUDY_ENGINE_CHUNK`. With a dask scheduler the rows are split into
    one engine chunk per worker thread or process, so that the scheduler has
    chunks to run side by side (the study's own chunks are evaluated one
    after the other).
    """
    if scheduler is None:
        pieces = max(1, -(-runs // STUDY_ENGINE_CHUNK))
        return max(1, -(-runs // pieces))
    workers = os.cpu_count() or 1
    return max(1, -(-runs // workers))


class ModelTarget:
    """A gvc-upgrading :class:`~gvc_upgrading.model.Model` run through its batch engine.

    Parameters
    ----------
    study : Study
        The study, already resolved against the model.
    model : Model
        The loaded model.
    scheduler : str, optional
        Passed on to ``BatchModel.run``.
    """

    def __init__(self, study: Study, model: Any, scheduler: Any = None) -> None:
        self.study = study
        self.model = model
        self.scheduler = scheduler
        self.batch = compiled(model)
        # the engine takes scenario objects only: the study's scenario is loaded (and
        # checked against the model) here, once
        self.scenario = load_scenario(study.scenario, model) if study.scenario else None
        self._variables = list(dict.fromkeys(o.variable for o in study.outputs))
        probe = self._run({p.name: np.array([_midpoint(p)]) for p in study.parameters})
        self.times = tuple(float(t) for t in probe["time"].values)
        self._layout = self._build_layout()

    @property
    def layout(self) -> tuple[OutputColumns, ...]:
        """Output columns: one per scalar output, one per saved year per trajectory."""
        return self._layout

    def _build_layout(self) -> tuple[OutputColumns, ...]:
        layout = []
        start = 0
        for output in self.study.outputs:
            for year in (output.year, output.start, output.end):
                if year is not None and output.reducer == "at" and not self._is_saved(year):
                    raise SpecError(
                        f"study {self.study.name!r}: output {output.name!r} asks for year"
                        f" {year:g}, which is not a saved time of the model"
                    )
            if output.reducer == "mean" and not any(
                _window(output)[0] - 1e-9 <= t <= _window(output)[1] + 1e-9 for t in self.times
            ):
                raise SpecError(
                    f"study {self.study.name!r}: output {output.name!r} averages over"
                    f" {output.start:g}-{output.end:g}, which holds no saved time of the model"
                )
            times = self.times if output.is_trajectory else None
            layout.append(OutputColumns(output=output, start=start, times=times))
            start += layout[-1].width
        return tuple(layout)

    def _is_saved(self, year: float) -> bool:
        return any(math.isclose(year, t, abs_tol=1e-9) for t in self.times)

    def _run(self, samples: dict[str, np.ndarray]):
        runs = len(next(iter(samples.values()))) if samples else 1
        return self.batch.run(
            samples=samples,
            scenario=self.scenario,
            return_columns=self._variables,
            scheduler=self.scheduler,
            chunk_size=engine_chunk_size(runs, self.scheduler),
            progress=False,
        )

    def evaluate(self, samples: np.ndarray) -> np.ndarray:
        """Run the model once per sample row and reduce each output."""
        columns = {p.name: samples[:, j].copy() for j, p in enumerate(self.study.parameters)}
        result = self._run(columns)
        time = result["time"].values
        out = np.empty((samples.shape[0], sum(c.width for c in self.layout)))
        for column in self.layout:
            series = np.asarray(result[column.output.variable].transpose("run", "time").values)
            out[:, column.columns] = _reduce(column.output, series, time)
        _check_finite(out, [c.output.name for c in self.layout for _ in range(c.width)])
        return out

    def provenance(self) -> dict[str, str]:
        """Model file, its sha256 and the scenario."""
        return {
            "target": "model",
            "model_file": str(self.model.path),
            "model_sha256": str(self.model.sha256),
            "scenario": self.study.scenario or "",
        }

    def fingerprint(self) -> str:
        """The model's sha256 (its equations determine every result)."""
        return json.dumps(self.provenance(), sort_keys=True)


def _reduce(output: OutputSpec, series: np.ndarray, time: np.ndarray) -> np.ndarray:
    if output.reducer == "trajectory":
        return series
    if output.reducer == "at":
        index = int(np.argmin(np.abs(time - output.year)))
        return series[:, index : index + 1]
    start, end = _window(output)
    mask = (time >= start - 1e-9) & (time <= end + 1e-9)
    return series[:, mask].mean(axis=1, keepdims=True)


def _window(output: OutputSpec) -> tuple[float, float]:
    """The averaging window of a ``mean`` output (the study reader requires both ends)."""
    if output.start is None or output.end is None:
        raise SpecError(f"output {output.name!r}: reducer 'mean' needs 'start' and 'end'")
    return output.start, output.end


def _midpoint(parameter) -> float:
    return 0.5 * (parameter.lower + parameter.upper)


def _scalar_layout(outputs: tuple[OutputSpec, ...]) -> tuple[OutputColumns, ...]:
    return tuple(OutputColumns(output=o, start=i) for i, o in enumerate(outputs))


def _check_finite(values: np.ndarray, names: list[str]) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        raise SimulationError(
            f"output {names[column]!r} is not finite ({values[row, column]}) for sample row {row}"
        )


def make_target(study: Study, target: Any, *, scheduler: Any = None) -> tuple[Study, Target]:
    """Wrap ``target`` (a Model or a vectorised function) for evaluation.

    A model study is resolved against the model first (bounds and groups from
    its parameter table, outputs checked against its variables).

    Returns
    -------
    (Study, Target)
        The (resolved) study and the wrapped target.

    Raises
    ------
    SpecError
        If the study does not fit the target, or the target is neither.
    """
    if hasattr(target, "compile") and hasattr(target, "parameters"):
        resolved = study.resolve(
            target.parameters,
            target.variables.index,
            time_range=(target.initial_time, target.final_time),
        )
        return resolved, ModelTarget(resolved, target, scheduler)
    if callable(target):
        if scheduler is not None:
            raise SpecError(
                "scheduler= runs a model's chunks on dask; it has no effect on a function"
                " target (vectorise the function instead)"
            )
        study.require_bounds()
        return study, FunctionTarget(study, target)
    raise SpecError(
        f"target must be a gvc_upgrading Model or a function of the samples array,"
        f" got {type(target).__name__}"
    )
