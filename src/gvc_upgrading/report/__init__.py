"""The one-command report: scenarios of a calibrated case, calibration, sensitivity, provenance.

:func:`build_report` (what ``gvc-upgrading report`` runs) writes a folder with
a self-contained ``report.html``, figures (PNG and SVG), tables (CSV,
Markdown, LaTeX) and the data behind them (netCDF), every file usable on its
own. Modules: :mod:`.stored` (stored fits and Sobol' studies),
:mod:`.ensemble` (scenario runs of the case with bootstrap replicates),
:mod:`.comparison` (the scenario comparison under one stated setup, shared
with ``run --case``), :mod:`.tables`, :mod:`.fans`, :mod:`.diagram` (the
sector views of the ``.mdl`` sketch, laid out by
:mod:`gvc_upgrading.sector_layout`), :mod:`.findings`, :mod:`.provenance`,
:mod:`.html`, :mod:`.prerender` (the figure worker process, started early by
:mod:`.pool`) and :mod:`.build`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports
from ..resources import DEFAULT_CASE

#: Public names by submodule, imported on first use (they import xarray and matplotlib).
_LAZY: dict[str, tuple[str, ...]] = {
    "build": ("HORIZONS", "ReportResult", "build_report"),
    "comparison": ("ScenarioComparison", "compare_scenarios"),
    "diagram": ("draw_diagram",),
    "ensemble": ("REPORT_OUTCOMES",),
    "stored": ("StoredFit", "find_stored_fit", "load_stored_fit"),
}

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from .build import HORIZONS, ReportResult, build_report
    from .comparison import ScenarioComparison, compare_scenarios
    from .diagram import draw_diagram
    from .ensemble import REPORT_OUTCOMES
    from .stored import StoredFit, find_stored_fit, load_stored_fit

__all__ = [
    "DEFAULT_CASE",
    "HORIZONS",
    "REPORT_OUTCOMES",
    "ReportResult",
    "ScenarioComparison",
    "StoredFit",
    "build_report",
    "compare_scenarios",
    "draw_diagram",
    "find_stored_fit",
    "load_stored_fit",
]

__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
