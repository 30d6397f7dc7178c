"""A loaded Vensim model and its reference (pysd) runs.

:func:`load_model` translates a ``.mdl`` file with pysd (once; the
translation is cached) and returns a :class:`Model`. ``Model.run`` returns an
:class:`xarray.Dataset` over ``time`` with one data variable per model
variable, named as in the ``.mdl`` file, and provenance attributes. A run
never changes the loaded model: each run simulates a fresh copy of the pysd
model.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pysd
import xarray as xr
from pysd.translators.structures.abstract_model import AbstractModel

from . import resources
from .arguments import (
    BOOL,
    MAPPING,
    NAMES,
    NUMBER,
    PATH,
    TEXT,
    Kind,
    check_arguments,
    choice,
    optional,
)
from .errors import (
    GvcError,
    ModelFileError,
    ParameterRangeError,
    SimulationError,
    UnknownVariableError,
)
from .limits import check_time_settings
from .parameters import CONTROL_VARIABLES, parameter_table, variable_table
from .provenance import provenance_attrs
from .run_checks import (
    NONFINITE_POLICIES,
    as_floats,
    check_finite,
    check_seed,
    random_functions,
    seeded,
)
from .translation import Translation, translate
from .validation import (
    ParameterValue,
    check_mapping,
    check_parameter_table,
    close_matches,
    validate_params,
)

if TYPE_CHECKING:
    from .scenarios import Scenario

__all__ = ["Model", "load_model"]


def _is_scenario(value: object) -> bool:
    from .scenario_spec import Scenario

    return isinstance(value, Scenario)


#: What ``scenario=`` may be: a loaded scenario, a shipped name or a TOML path.
SCENARIO = Kind("a Scenario", _is_scenario) | PATH

# pysd warns whenever a constant is given a time series; that is what we ask for.
_SERIES_WARNING = "Replacing a constant value with a time-dependent value"
_PYSD_DIR = str(Path(pysd.__file__).resolve().parent)


def _sort_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """Keep pysd's simulation notes, drop its pandas deprecations, re-emit the rest.

    pysd reports e.g. lookups extrapolated beyond their table as ``UserWarning``;
    they describe the run and are returned (one per distinct message) for the
    result's ``simulation_warnings`` attribute. Deprecation warnings raised by
    pandas inside pysd are not the caller's to act on. Anything else is warned
    again as it was.
    """
    notes: list[str] = []
    for caught_warning in caught:
        from_pysd = str(Path(caught_warning.filename).resolve()).startswith(_PYSD_DIR)
        message = str(caught_warning.message)
        if from_pysd and issubclass(caught_warning.category, DeprecationWarning | FutureWarning):
            continue
        if from_pysd and issubclass(caught_warning.category, UserWarning):
            if not message.startswith(_SERIES_WARNING):
                note = " ".join(message.split())
                if note not in notes:
                    notes.append(note)
            continue
        warnings.warn_explicit(
            caught_warning.message,
            caught_warning.category,
            caught_warning.filename,
            caught_warning.lineno,
        )
    return notes


class Model:
    """A Vensim model translated by pysd, ready to run.

    Build one with :func:`load_model`.

    Attributes
    ----------
    path : pathlib.Path
        The ``.mdl`` file.
    sha256 : str
        Digest of the file's bytes (recorded in every result).
    abstract_model : AbstractModel
        pysd's parsed form of the model (what the batch engine compiles).
    parameters : pandas.DataFrame
        The constants that may be varied: indexed by Vensim name, columns
        ``default, lower, upper, unit, group, description``.
    variables : pandas.DataFrame
        Every variable: indexed by Vensim name, columns ``kind, unit, lower,
        upper, group, description``.
    stocks : tuple of str
        Names of the stocks (INTEG variables), in model order.
    """

    def __init__(self, translation: Translation) -> None:
        self._translation = translation
        self.path: Path = translation.source
        self.sha256: str = translation.sha256
        self.abstract_model: AbstractModel = translation.abstract_model
        self.parameters: pd.DataFrame = parameter_table(translation.abstract_model)
        check_parameter_table(self.parameters, str(self.path))  # empty ranges, stray defaults
        self.variables: pd.DataFrame = variable_table(translation.abstract_model)
        self.stocks: tuple[str, ...] = tuple(
            self.variables.index[self.variables["kind"] == "stock"]
        )
        try:
            self._pysd = pysd.load(str(translation.python_file))
        except Exception as exc:  # pysd raises bare exceptions of many kinds
            raise ModelFileError(
                f"pysd cannot load the translation of {self.path}: {exc}"
            ) from exc

    def __repr__(self) -> str:
        return f"Model(path={str(self.path)!r}, sha256={self.sha256[:12]!r})"

    @property
    def python_file(self) -> Path:
        """The cached pysd translation of the model."""
        return self._translation.python_file

    @property
    def namespace(self) -> dict[str, str]:
        """Map from each Vensim name to the Python name pysd gave it (as in the AST)."""
        return {name: py for name, py in self._pysd.namespace.items() if name != "Time"}

    @property
    def initial_time(self) -> float:
        """The model's INITIAL TIME."""
        return float(self._pysd.components.initial_time())

    @property
    def final_time(self) -> float:
        """The model's FINAL TIME."""
        return float(self._pysd.components.final_time())

    @property
    def time_step(self) -> float:
        """The model's TIME STEP."""
        return float(self._pysd.components.time_step())

    def overrides(
        self,
        params: Mapping[str, object] | None = None,
        *,
        scenario: Scenario | str | os.PathLike[str] | None = None,
        check_bounds: bool = True,
    ) -> tuple[str, dict[str, ParameterValue]]:
        """Return the scenario name and the validated overrides a run would apply.

        The scenario's values come first and ``params`` on top of them.

        Raises
        ------
        UnknownParameterError, ParameterRangeError, ScenarioError
            As :meth:`run`.
        """
        check_arguments(
            "Model.overrides",
            params=(params, optional(MAPPING)),
            scenario=(scenario, optional(SCENARIO)),
            check_bounds=(check_bounds, BOOL),
        )
        if params is not None:
            check_mapping(params)
        merged: dict[str, object] = {}
        scenario_name = ""
        if scenario is not None:
            from .scenarios import Scenario, load_scenario

            loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, self)
            scenario_name = loaded.name
            merged.update(loaded.parameters)
            merged.update(loaded.series)
        merged.update(params or {})
        checked = validate_params(
            merged, self.parameters, check_bounds=check_bounds, variables=self.variables.index
        )
        return scenario_name, checked

    def run(
        self,
        params: Mapping[str, object] | None = None,
        *,
        scenario: Scenario | str | os.PathLike[str] | None = None,
        final_time: float | None = None,
        time_step: float | None = None,
        check_bounds: bool = True,
        on_nonfinite: str = "raise",
        seed: int | None = None,
        return_columns: Sequence[str] | None = None,
    ) -> xr.Dataset:
        """Simulate the model with pysd and return every variable over time.

        Parameters
        ----------
        params : mapping of str to number or pandas.Series, optional
            Parameter overrides by Vensim name. A series indexed by year is a
            time-series input, interpolated linearly (held at its end values).
        scenario : Scenario, str or path-like, optional
            A scenario (object, shipped name or TOML path) whose values are
            applied first; ``params`` are applied on top.
        final_time : float, optional
            Simulate up to this year instead of the model's FINAL TIME.
        time_step : float, optional
            Integration step (years) instead of the model's TIME STEP.
        check_bounds : bool, default True
            Refuse ``params`` values outside their ``[lower, upper]`` range.
        on_nonfinite : {"raise", "keep"}, default "raise"
            A non-finite value in the run raises :class:`SimulationError`
            naming the variable and time, as the batch engine does; ``"keep"``
            returns it (see :mod:`gvc_upgrading.run_checks`).
        seed : int, optional
            Seed of RANDOM functions; required when the model uses them.
        return_columns : sequence of str, optional
            Return only these variables (default: every variable pysd
            returns, constants included).

        Returns
        -------
        xarray.Dataset
            Dimension ``time`` (years, every SAVEPER); one data variable per
            model variable (lookups and control variables left out; a
            subscripted variable keeps its subscript dimensions), each with
            ``units`` and ``description`` attributes; provenance in ``attrs``
            (``model_sha256, model_file, gvc_upgrading_version, pysd_version,
            scenario, overrides, created``), plus ``time_step`` and
            ``simulation_warnings`` (JSON list of pysd's notes on the run,
            e.g. a lookup read beyond its table, which holds its end value).

        Raises
        ------
        UnknownParameterError
            If a name is not a parameter of the model.
        UnknownVariableError
            If a name in ``return_columns`` is not a variable of the model.
        ParameterRangeError
            If a value is not finite or out of range, or ``final_time`` /
            ``time_step`` is invalid.
        ScenarioError
            If the scenario cannot be loaded or does not fit the model.

        Examples
        --------
        >>> model = load_model()
        >>> run = model.run({"Crowding out": 0.5}, scenario="csr", final_time=2000)
        >>> float(run["time"][-1]), run.attrs["scenario"]
        (2000.0, 'csr')
        >>> float(run["Crowding out"][0])
        0.5
        """
        check_arguments(
            "Model.run",
            params=(params, optional(MAPPING)),
            scenario=(scenario, optional(SCENARIO)),
            final_time=(final_time, optional(NUMBER)),
            time_step=(time_step, optional(NUMBER)),
            check_bounds=(check_bounds, BOOL),
            on_nonfinite=(on_nonfinite, choice(*NONFINITE_POLICIES)),
            return_columns=(return_columns, optional(NAMES | TEXT)),
        )
        scenario_name, overrides = self.overrides(
            params, scenario=scenario, check_bounds=check_bounds
        )
        self._check_time_settings(final_time, time_step)
        columns = self._requested(return_columns)
        seed = check_seed(seed, random_functions(self.abstract_model), self.path.name)
        with seeded(seed):
            frame, notes = self._simulate(overrides, final_time=final_time, time_step=time_step)
        check_finite(frame, on_nonfinite, self.path.name)
        dataset = self._to_dataset(frame, columns)
        dataset.attrs.update(
            provenance_attrs(
                model_sha256=self.sha256,
                model_file=str(self.path),
                scenario=scenario_name,
                overrides=overrides,
            )
        )
        dataset.attrs["time_step"] = float(time_step if time_step is not None else self.time_step)
        dataset.attrs["simulation_warnings"] = json.dumps(notes)
        return dataset

    def compile(self, **kwargs: Any):
        """Compile the model for vectorised batch runs.

        Keyword arguments go to :func:`gvc_upgrading.engine.compile_model`.
        """
        from .engine import compile_model

        return compile_model(self, **kwargs)

    def _check_time_settings(self, final_time: float | None, time_step: float | None) -> None:
        if final_time is not None and not (
            math.isfinite(final_time) and final_time > self.initial_time
        ):
            raise ParameterRangeError(
                f"final_time must be a finite year after INITIAL TIME {self.initial_time:g},"
                f" got {final_time!r}"
            )
        if time_step is not None and not (math.isfinite(time_step) and time_step > 0):
            raise ParameterRangeError(
                f"time_step must be a positive finite number of years, got {time_step!r}"
            )
        try:
            controls = (
                self.initial_time,
                self.final_time if final_time is None else final_time,
                self.time_step if time_step is None else time_step,
                None if time_step is not None else self._pysd.components.saveper(),
            )
        except Exception as exc:  # pysd evaluates the controls as generated Python
            raise ModelFileError(
                f"{self.path.name}: cannot evaluate INITIAL TIME, FINAL TIME, TIME STEP and"
                f" SAVEPER ({type(exc).__name__}: {exc})"
            ) from exc
        # the model's own values too, and the step cap (gvc_upgrading.limits)
        check_time_settings(*controls, source=self.path.name)

    def _simulate(
        self,
        overrides: Mapping[str, ParameterValue],
        *,
        final_time: float | None,
        time_step: float | None,
    ) -> tuple[pd.DataFrame, list[str]]:
        fresh = self._pysd.copy(reload=True)  # runs never touch the loaded model
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                frame = fresh.run(
                    params=dict(overrides) or None,
                    final_time=final_time,
                    time_step=time_step,
                    progress=False,
                )
            except (FloatingPointError, OverflowError, ZeroDivisionError) as exc:
                raise SimulationError(f"simulation of {self.path.name} failed: {exc}") from exc
            except GvcError:
                raise
            except RecursionError as exc:
                raise SimulationError(
                    f"pysd cannot simulate {self.path.name}: its equations refer to each other"
                    " in a loop (an algebraic loop); --engine batch names the variables"
                ) from exc
            except Exception as exc:  # pysd raises bare exceptions of many kinds
                raise SimulationError(
                    f"pysd cannot simulate {self.path.name}: {type(exc).__name__}: {exc}"
                    " (e.g. an unsupported function or a duplicate definition; --engine batch"
                    " names the construct)"
                ) from exc
        return frame, _sort_warnings(caught)

    def _requested(self, return_columns: Sequence[str] | None) -> list[str] | None:
        """Check the names asked for; ``None`` means every variable."""
        if return_columns is None:
            return None
        if isinstance(return_columns, str):
            return_columns = [return_columns]
        names = list(dict.fromkeys(return_columns))
        for name in names:
            if not isinstance(name, str) or name not in self.variables.index:
                hint = close_matches(str(name), list(self.variables.index))
                suggestion = f"; did you mean {' or '.join(map(repr, hint))}?" if hint else ""
                raise UnknownVariableError(
                    f"{self.path.name}: unknown variable {name!r} in return_columns{suggestion}"
                )
        return names

    def _to_dataset(self, frame: pd.DataFrame, columns: list[str] | None = None) -> xr.Dataset:
        """pysd's flat output as a Dataset; ``name[a,b]`` columns regrouped by subscript."""
        time = frame.index.to_numpy(dtype=float)
        wanted = set(columns) if columns is not None else None
        flat: dict[str, list[str]] = {}
        for column in frame.columns:
            base = column.split("[", 1)[0] if column.endswith("]") else column
            if base in CONTROL_VARIABLES or base not in self.variables.index:
                continue
            if wanted is None or base in wanted:
                flat.setdefault(base, []).append(column)
        data_vars: dict[str, xr.Variable | xr.DataArray] = {}
        for name, flat_columns in flat.items():
            info = self.variables.loc[name]
            attrs = {"units": info["unit"], "description": info["description"]}
            coords = self._pysd.get_coords(name) if flat_columns != [name] else None
            if coords is None:
                data_vars[name] = xr.Variable("time", as_floats(frame[name]), attrs=attrs)
                continue
            element_coords, dims = coords
            shape = [len(element_coords[dim]) for dim in dims]
            values = np.full((len(time), *shape), np.nan)
            for index in np.ndindex(*shape):
                label = ",".join(element_coords[d][i] for d, i in zip(dims, index, strict=True))
                values[(slice(None), *index)] = as_floats(frame[f"{name}[{label}]"])
            data_vars[name] = xr.DataArray(
                values,
                dims=("time", *dims),
                coords={dim: element_coords[dim] for dim in dims},
                attrs=attrs,
            )
        return xr.Dataset(
            data_vars, coords={"time": xr.Variable("time", time, attrs={"units": "Year"})}
        )


def load_model(path: str | os.PathLike[str] | None = None) -> Model:
    """Load a Vensim model, translating it with pysd (cached).

    Parameters
    ----------
    path : path-like, optional
        A Vensim ``.mdl`` file. Default: the shipped model
        ``models/gvc_upgrading.mdl``.

    Returns
    -------
    Model

    Raises
    ------
    ModelFileError
        If the file is missing, not a ``.mdl`` file, or not valid Vensim.
    ArgumentTypeError
        If ``path`` is not a path.
    """
    check_arguments("load_model", path=(path, optional(PATH)))
    if path is None:
        try:
            path = resources.shipped_path(*resources.SHIPPED_MODEL)
        except FileNotFoundError as exc:
            raise ModelFileError(str(exc)) from exc
    return Model(translate(path))
