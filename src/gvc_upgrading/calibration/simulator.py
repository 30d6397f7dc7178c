"""What the calibration needs from a model: many parameter sets per call.

A :class:`Simulator` takes ``samples`` (parameter name → 1-D array, one value
per run) and returns an ``xarray.Dataset`` over ``(run, time)``. Two
implementations: :class:`BatchSimulator` wraps the compiled batch engine of a
Vensim model (the real thing), :class:`ToySimulator` is a small pure-NumPy
model with the same call shape, for tests, examples and benchmarks of the
calibration machinery itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import ParameterRangeError, UnknownParameterError, UnknownVariableError

__all__ = ["BatchSimulator", "PysdSimulator", "Simulator", "ToySimulator", "simulator_for"]


@runtime_checkable
class Simulator(Protocol):
    """Runs many parameter sets of one model in one call.

    Attributes
    ----------
    parameters : pandas.DataFrame
        Indexed by parameter name, with columns ``default, lower, upper``.
    variable_names : frozenset of str
        Names of the variables :meth:`run` can return.
    initial_time, final_time : float
        The simulated span.
    """

    parameters: pd.DataFrame
    variable_names: frozenset[str]
    initial_time: float
    final_time: float

    def run(
        self,
        samples: Mapping[str, np.ndarray],
        *,
        return_columns: Sequence[str],
        inputs: Mapping[str, pd.Series] | None = None,
        scheduler: Any = None,
        final_time: float | None = None,
    ) -> xr.Dataset:
        """Simulate ``len`` of the sample arrays runs; return ``(run, time)`` data.

        ``inputs`` are time series (indexed by year) given to every run;
        ``final_time`` may end the runs early (saving times stay the model's).
        """
        ...


class BatchSimulator:
    """A Vensim model run through the compiled batch engine.

    Parameters
    ----------
    model : path-like or gvc_upgrading.model.Model, optional
        The model (the shipped one when None).
    chunk_size : int, optional
        Passed to :meth:`BatchModel.run`.
    """

    def __init__(self, model: Any = None, *, chunk_size: int | None = None) -> None:
        from ..model import Model, load_model

        self.model = model if isinstance(model, Model) else load_model(model)
        self.batch = self.model.compile()
        self.parameters = self.model.parameters
        self.variable_names = frozenset(self.model.variables.index)
        self.initial_time = float(self.model.initial_time)
        self.final_time = float(self.model.final_time)
        self.chunk_size = chunk_size

    def run(
        self,
        samples: Mapping[str, np.ndarray],
        *,
        return_columns: Sequence[str],
        inputs: Mapping[str, pd.Series] | None = None,
        scheduler: Any = None,
        final_time: float | None = None,
    ) -> xr.Dataset:
        """Run the batch engine; fixed input series are given to every run."""
        samples = dict(samples)
        n = len(next(iter(samples.values()))) if samples else 1
        samples.update(inputs or {})
        return self.batch.run(
            samples=samples,
            n=n,
            return_columns=list(return_columns),
            chunk_size=self.chunk_size,
            scheduler=scheduler,
            progress=False,
            final_time=final_time,
        )


class PysdSimulator:
    """A Vensim model run through pysd one parameter set at a time (reference, slow).

    Same call shape as :class:`BatchSimulator`; meant for checking the batch
    engine and for tiny problems.
    """

    def __init__(self, model: Any = None) -> None:
        from ..model import Model, load_model

        self.model = model if isinstance(model, Model) else load_model(model)
        self.parameters = self.model.parameters
        self.variable_names = frozenset(self.model.variables.index)
        self.initial_time = float(self.model.initial_time)
        self.final_time = float(self.model.final_time)

    def run(
        self,
        samples: Mapping[str, np.ndarray],
        *,
        return_columns: Sequence[str],
        inputs: Mapping[str, pd.Series] | None = None,
        scheduler: Any = None,
        final_time: float | None = None,
    ) -> xr.Dataset:
        """Run each parameter set with ``Model.run``; stack along ``run``."""
        arrays = {k: np.atleast_1d(np.asarray(v, float)) for k, v in samples.items()}
        n = len(next(iter(arrays.values()))) if arrays else 1
        runs = []
        for i in range(n):
            params: dict[str, Any] = {k: float(v[i]) for k, v in arrays.items()}
            params.update(inputs or {})
            runs.append(self.model.run(params, final_time=final_time)[list(return_columns)])
        out = xr.concat(runs, dim="run", join="override", combine_attrs="drop")
        return out.assign_coords(run=np.arange(n))


def simulator_for(model: str | os.PathLike[str] | None) -> Simulator:
    """Return a :class:`BatchSimulator` for a model file (the shipped model when None)."""
    return BatchSimulator(model)


# --------------------------------------------------------------------------- toy model

_TOY_PARAMETERS = pd.DataFrame(
    {
        "default": [0.15, 20.0, 1.0, 3.0, 0.05, 30.0, 2040.0, 0.0, 0.0],
        "lower": [0.0, 1.0, 0.1, 0.25, 0.0, 5.0, 1995.0, 0.0, 0.0],
        "upper": [1.0, 100.0, 10.0, 20.0, 0.2, 200.0, 2040.0, 1.0, 1000.0],
        "unit": [
            "1/Year",
            "USD bn/Year",
            "USD bn/Year",
            "Year",
            "1/Year",
            "USD/Month",
            "Year",
            "Dmnl",
            "USD/Month",
        ],
    },
    index=pd.Index(
        [
            "Export growth rate",
            "Export capacity",
            "Initial export orders",
            "Wage adjustment time",
            "Wage growth rate",
            "Initial minimum wage",
            "Scandal year",
            "Scandal size",
            "Historical minimum wage",
        ],
        name="name",
    ),
)


class ToySimulator:
    """A two-stock NumPy model with the batch call shape, for tests and examples.

    ``Export orders`` grows logistically (rate ``Export growth rate``, capacity
    ``Export capacity``, a scandal in ``Scandal year`` cuts the growth rate by
    ``Scandal size`` for one year); ``Minimum wage`` grows at ``Wage growth
    rate`` plus a catch-up to a target proportional to export orders, adjusting
    over ``Wage adjustment time``. When the input series ``Historical minimum
    wage`` is positive it replaces the wage. Euler integration, ``TIME STEP``
    0.125, saved every year from 1995 to 2035.

    Parameters
    ----------
    time_step : float, default 0.125
    initial_time, final_time : float, default 1995, 2035
    """

    variable_names = frozenset({"Export orders", "Minimum wage", "Effective minimum wage"})

    def __init__(
        self, *, time_step: float = 0.125, initial_time: float = 1995.0, final_time: float = 2035.0
    ) -> None:
        self.parameters = _TOY_PARAMETERS.copy()
        self.time_step = float(time_step)
        self.initial_time = float(initial_time)
        self.final_time = float(final_time)
        self.calls = 0
        self.runs = 0

    def run(
        self,
        samples: Mapping[str, np.ndarray],
        *,
        return_columns: Sequence[str],
        inputs: Mapping[str, pd.Series] | None = None,
        scheduler: Any = None,
        final_time: float | None = None,
    ) -> xr.Dataset:
        """Simulate; see the class docstring. ``scheduler`` and ``final_time`` are ignored."""
        unknown = [name for name in samples if name not in self.parameters.index]
        if unknown:
            raise UnknownParameterError(f"unknown parameter(s) {unknown}")
        missing = [c for c in return_columns if c not in self.variable_names]
        if missing:
            raise UnknownVariableError(f"unknown variable(s) {missing}")
        sizes = {len(np.atleast_1d(v)) for v in samples.values()}
        if len(sizes) > 1:
            raise ParameterRangeError(f"sample arrays have unequal lengths {sorted(sizes)}")
        n = sizes.pop() if sizes else 1
        value = {
            name: np.broadcast_to(
                np.asarray(samples.get(name, self.parameters.at[name, "default"]), float), (n,)
            )
            for name in self.parameters.index
        }
        self.calls += 1
        self.runs += n
        dt = self.time_step
        steps = round((self.final_time - self.initial_time) / dt)
        per_save = round(1.0 / dt)
        times = self.initial_time + dt * np.arange(steps + 1)
        history = None
        if inputs and "Historical minimum wage" in inputs:
            series = inputs["Historical minimum wage"]
            history = np.interp(times, series.index.to_numpy(float), series.to_numpy(float))
        exports = value["Initial export orders"].copy()
        wage = value["Initial minimum wage"].copy()
        saved_e, saved_w, saved_eff = [], [], []
        for step in range(steps + 1):
            t = times[step]
            driven = history[step] if history is not None else 0.0
            effective = np.where(driven > 0, driven, wage) if np.ndim(driven) == 0 else wage
            if step % per_save == 0:
                saved_e.append(exports.copy())
                saved_w.append(wage.copy())
                saved_eff.append(np.broadcast_to(effective, (n,)).copy())
            if step == steps:
                break
            in_scandal = (t >= value["Scandal year"]) & (t < value["Scandal year"] + 1.0)
            rate = value["Export growth rate"] * (1.0 - value["Scandal size"] * in_scandal)
            d_exports = rate * exports * (1.0 - exports / value["Export capacity"])
            target = wage * (1.0 + 0.5 * exports / value["Export capacity"])
            d_wage = (
                value["Wage growth rate"] * wage
                + (target - wage) / value["Wage adjustment time"] * 0.2
            )
            exports = exports + dt * d_exports
            wage = wage + dt * d_wage
        saved_times = times[::per_save]
        data = {
            "Export orders": np.stack(saved_e, axis=1),
            "Minimum wage": np.stack(saved_w, axis=1),
            "Effective minimum wage": np.stack(saved_eff, axis=1),
        }
        coords = {"time": saved_times, "run": np.arange(n)}
        for name in samples:
            coords[name] = ("run", value[name])
        return xr.Dataset(
            {name: (("run", "time"), data[name]) for name in return_columns}, coords=coords
        )
