"""Import ema-workbench's analysis functions quietly, with a clear error when it is missing."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from types import ModuleType

from ..errors import GvcError

__all__ = ["ema_analysis", "quiet_ema"]


def ema_analysis() -> tuple[ModuleType, ModuleType, ModuleType]:
    """Return ema-workbench's ``prim``, ``feature_scoring`` and ``scenario_discovery_util``.

    ema-workbench warns at import about optional parallel back ends
    (ipyparallel, altair) that this package never uses; those warnings are
    silenced.

    Raises
    ------
    GvcError
        If ema-workbench is not installed.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import feature_scoring, prim
            from ema_workbench.analysis import scenario_discovery_util as sdutil
    except ImportError as exc:  # pragma: no cover - the explore extra is a test dependency
        raise GvcError(
            "scenario discovery needs ema-workbench and scikit-learn: "
            "pip install 'gvc-upgrading[explore]'"
        ) from exc
    return prim, feature_scoring, sdutil


@contextlib.contextmanager
def quiet_ema() -> Iterator[None]:
    """Silence warnings raised from inside ema-workbench (pandas deprecations of its own calls)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"ema_workbench(\..*)?$")
        yield
