"""Calibration of the model to case histories, with uncertainty and fit statistics.

A case is a folder ``calibration/cases/<case>/`` with ``case.toml`` and
``data.csv`` (see ``calibration/README.md``). :func:`calibrate` fits it and
returns an immutable :class:`CalibrationResult`; :func:`calibrate_joint` fits
several cases with shared parameters and :func:`leave_one_case_out` checks
how well shared parameters transfer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

#: Public names by submodule, imported on first use (the fit imports scipy).
_LAZY: dict[str, tuple[str, ...]] = {
    "case": ("Case", "Constraint", "Driver", "Prior", "check_case", "load_case", "shipped_cases"),
    "data": ("read_case_data",),
    "fit": ("calibrate", "check_budget"),
    "joint": ("JointObjective", "LeaveOneCaseOut", "calibrate_joint", "leave_one_case_out"),
    "objective": ("Objective", "build_observations"),
    "result": ("CalibrationResult",),
    "settings": ("METHODS", "FitSettings"),
    "simulator": ("BatchSimulator", "PysdSimulator", "Simulator"),
    "statistics": ("fit_statistics", "naive_forecasts", "statistics_table", "theil_decomposition"),
    "uncertainty": ("Profile",),
}

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from .case import Case, Constraint, Driver, Prior, check_case, load_case, shipped_cases
    from .data import read_case_data
    from .fit import METHODS, calibrate, check_budget
    from .joint import JointObjective, LeaveOneCaseOut, calibrate_joint, leave_one_case_out
    from .objective import Objective, build_observations
    from .result import CalibrationResult
    from .settings import FitSettings
    from .simulator import BatchSimulator, PysdSimulator, Simulator
    from .statistics import fit_statistics, naive_forecasts, statistics_table, theil_decomposition
    from .uncertainty import Profile

__all__ = [
    "METHODS",
    "BatchSimulator",
    "CalibrationResult",
    "Case",
    "Constraint",
    "Driver",
    "FitSettings",
    "JointObjective",
    "LeaveOneCaseOut",
    "Objective",
    "Prior",
    "Profile",
    "PysdSimulator",
    "Simulator",
    "build_observations",
    "calibrate",
    "calibrate_joint",
    "check_budget",
    "check_case",
    "fit_statistics",
    "leave_one_case_out",
    "load_case",
    "naive_forecasts",
    "read_case_data",
    "shipped_cases",
    "statistics_table",
    "theil_decomposition",
]

__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
