"""gvc-upgrading: governance and upgrading in global value chains, as a system-dynamics model.

The model (``models/gvc_upgrading.mdl``) encodes the governance framework of
Gereffi & Lee (2016), "Economic and Social Upgrading in Global Value Chains and
Industrial Clusters: Why Governance Matters", Journal of Business Ethics
133(1): 25-38.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from .errors import (
    ArgumentTypeError,
    CalibrationError,
    DataError,
    GvcError,
    ModelFileError,
    ParameterRangeError,
    ScenarioError,
    SimulationError,
    SpecError,
    UnknownParameterError,
    UnknownVariableError,
    UnsupportedConstructError,
)
from .lazy import lazy_exports

#: Public names defined in modules that import numpy, pandas, xarray or pysd, by
#: module: imported on first use (module ``__getattr__``), so that the command
#: line's ``--help`` and the commands that need none of them start quickly.
_LAZY: dict[str, tuple[str, ...]] = {
    "factorial": ("effects", "effects_table", "run_factorial"),
    "model": ("Model", "load_model"),
    "robustness": ("behaviour_shares",),
    "scenarios": ("Scenario", "compare", "list_scenarios", "load_scenario"),
}

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from .factorial import effects, effects_table, run_factorial
    from .model import Model, load_model
    from .robustness import behaviour_shares
    from .scenarios import Scenario, compare, list_scenarios, load_scenario

try:
    __version__ = version("gvc-upgrading")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
    __version__ = "0+unknown"

__all__ = [
    "ArgumentTypeError",
    "CalibrationError",
    "DataError",
    "GvcError",
    "Model",
    "ModelFileError",
    "ParameterRangeError",
    "Scenario",
    "ScenarioError",
    "SimulationError",
    "SpecError",
    "UnknownParameterError",
    "UnknownVariableError",
    "UnsupportedConstructError",
    "__version__",
    "behaviour_shares",
    "compare",
    "effects",
    "effects_table",
    "list_scenarios",
    "load_model",
    "load_scenario",
    "run_factorial",
]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
