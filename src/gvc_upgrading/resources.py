"""Where the shipped model, scenarios, cases and studies live.

The top-level study folders of the repository (``models/``, ``calibration/``,
``sensitivity/``) are installed as the package ``gvc_upgrading.shipped``; an
editable install or a checkout reads the same files in place.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_CASE", "SHIPPED_MODEL", "shipped_path"]

#: The case a report is about when none is named (if its fit is stored).
DEFAULT_CASE = "cambodia_garment"

_PACKAGE_ROOT = Path(__file__).resolve().parent
_INSTALLED = _PACKAGE_ROOT / "shipped"
_CHECKOUT = _PACKAGE_ROOT.parents[1]


def shipped_path(*parts: str) -> Path:
    """Return the path of a shipped file or folder.

    Parameters
    ----------
    *parts : str
        Path components below the repository top level, e.g.
        ``("models", "gvc_upgrading.mdl")``.

    Returns
    -------
    pathlib.Path
        The file in the installed package when it is there, else the file in
        the source checkout.

    Raises
    ------
    FileNotFoundError
        If neither location holds it.
    """
    for root in (_INSTALLED, _CHECKOUT):
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"shipped file {'/'.join(parts)!r} not found in {_INSTALLED} or {_CHECKOUT}"
    )


SHIPPED_MODEL = ("models", "gvc_upgrading.mdl")
