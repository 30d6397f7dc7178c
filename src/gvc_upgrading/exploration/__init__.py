"""Exploratory modelling: under which conditions do economic and social upgrading go together?

Open exploration of the model over deep uncertainties × governance policies,
in the manner of the EMA Workbench (Kwakkel 2017): every policy runs in every
sampled future through the batch engine; each run is sorted into an outcome
class by the change of the economic and social upgrading indices (both,
economic only, social only, displacement, neither); PRIM and extra-trees
feature scores (ema-workbench's analysis functions, on our arrays) find the
conditions under which both upgrades happen; regret ranks the policies.

Public API
----------
:func:`explore`
    ``explore(spec, model=None, *, n, seed, scheduler, scenario_dir,
    checkpoint_dir, progress)`` -> labelled :class:`xarray.Dataset` over
    ``(run, time)``.
:func:`analyse`
    Robustness table, PRIM box and feature scores of a result.
:func:`summarise`
    ``summarise(result) -> Findings``: shares, ranking, box, conditions and
    sentences in plain words.
:func:`load_findings`, :func:`save_findings`
    Read and write ``findings.json``.
:func:`stored_findings`
    The findings of the shipped default study
    (``sensitivity/exploration/results/default/findings.json``) for the report.
:func:`write_exploration`
    Write netCDF, CSV tables, figures and findings to a folder.
:func:`load_spec`
    Read a study spec (``sensitivity/exploration/*.toml``).

Needs the ``explore`` extra (ema-workbench 2.5, scikit-learn).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

#: Public names by submodule, imported on first use (scipy, ema-workbench, scikit-learn).
_LAZY: dict[str, tuple[str, ...]] = {
    "analysis": ("Analysis", "analyse"),
    "classify": ("CLASS_DESCRIPTIONS", "CLASSES", "classify"),
    "findings": ("Findings", "load_findings", "save_findings", "summarise"),
    "output": ("RESULT_FILE", "write_exploration"),
    "runs": ("explore",),
    "spec": ("ExplorationSpec", "load_spec"),
    "stored": ("STORED_RESULTS", "stored_findings"),
}

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from .analysis import Analysis, analyse
    from .classify import CLASS_DESCRIPTIONS, CLASSES, classify
    from .findings import Findings, load_findings, save_findings, summarise
    from .output import RESULT_FILE, write_exploration
    from .runs import explore
    from .spec import ExplorationSpec, load_spec
    from .stored import STORED_RESULTS, stored_findings

__all__ = [
    "CLASSES",
    "CLASS_DESCRIPTIONS",
    "RESULT_FILE",
    "STORED_RESULTS",
    "Analysis",
    "ExplorationSpec",
    "Findings",
    "analyse",
    "classify",
    "explore",
    "load_findings",
    "load_spec",
    "save_findings",
    "stored_findings",
    "summarise",
    "write_exploration",
]

__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
