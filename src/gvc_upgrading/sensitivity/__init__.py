"""Global sensitivity analysis of the model: Sobol' indices and Morris screening.

Studies are declared as data (``sensitivity/studies/*.toml``, see
:func:`load_study`); :func:`sobol` and :func:`morris` run them against a
:class:`~gvc_upgrading.model.Model` (through its batch engine) or any
vectorised function, using SALib's samplers and estimators, and return
labelled :class:`xarray.Dataset` results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

#: Public names by submodule, imported on first use (SALib and scipy.stats take ~1 s).
_LAZY: dict[str, tuple[str, ...]] = {
    "convergence": ("SobolConvergence", "sobol_convergence"),
    "interactions": ("interaction_map", "lever_contrast"),
    "morris": ("morris",),
    "sobol": ("sobol",),
    "spec": ("OutputSpec", "ParameterSpec", "Study", "load_study"),
    "study_run": ("StudyResults", "run_study", "write_figures", "write_study"),
}

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from .convergence import SobolConvergence, sobol_convergence
    from .interactions import interaction_map, lever_contrast
    from .morris import morris
    from .sobol import sobol
    from .spec import OutputSpec, ParameterSpec, Study, load_study
    from .study_run import StudyResults, run_study, write_figures, write_study

__all__ = [
    "OutputSpec",
    "ParameterSpec",
    "SobolConvergence",
    "Study",
    "StudyResults",
    "interaction_map",
    "lever_contrast",
    "load_study",
    "morris",
    "run_study",
    "sobol",
    "sobol_convergence",
    "write_figures",
    "write_study",
]

__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
