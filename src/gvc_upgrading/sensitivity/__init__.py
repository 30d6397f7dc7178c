"""Global sensitivity analysis of the model: Sobol' indices and Morris screening.

Studies are declared as data (``sensitivity/studies/*.toml``, see
:func:`load_study`); :func:`sobol` and :func:`morris` run them against a
:class:`~gvc_upgrading.model.Model` (through its batch engine) or any
vectorised function, using SALib's samplers and estimators, and return
labelled :class:`xarray.Dataset` results.
"""

from __future__ import annotations

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
