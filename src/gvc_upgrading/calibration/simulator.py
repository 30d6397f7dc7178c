"""What the calibration needs from a model: many parameter sets per call.

A :class:`Simulator` takes ``samples`` (parameter name → 1-D array, one value
per run) and returns an ``xarray.Dataset`` over ``(run, time)``.
:class:`BatchSimulator` wraps the compiled batch engine of a Vensim model;
:class:`PysdSimulator` runs the same model through pysd one set at a time (a
slow reference). Tests plug in closed-form simulators with the same shape.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["BatchSimulator", "PysdSimulator", "Simulator", "simulator_for"]


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
