"""Outcome classes: did a run upgrade economically, socially, both, or neither?

Gereffi & Lee (2016, "Economic and Social Upgrading") hold that economic
upgrading does not bring social upgrading automatically. Each run is sorted by
the change of the economic and the social upgrading index over the study's
horizon (value at its end minus value at its start), against thresholds the
study declares (a modelling choice: a change smaller than the threshold is
read as no change):

============== =============================================================
class          rule (ΔE, ΔS: changes; tE, tS: thresholds)
============== =============================================================
both           ΔE > tE and ΔS > tS
economic_only  ΔE > tE and -tS ≤ ΔS ≤ tS
social_only    ΔE ≤ tE and ΔS > tS
displacement   ΔE > tE and ΔS < -tS: economic upgrading while social
               conditions fall (the paper's "economic upgrading without
               social upgrading" in its harshest form)
neither        every other run (ΔE ≤ tE and ΔS ≤ tS)
============== =============================================================

The classes are exclusive and exhaustive: every run is in exactly one.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CLASSES", "CLASS_DESCRIPTIONS", "class_names", "classify"]

#: Outcome classes, in the order of their integer codes.
CLASSES: tuple[str, ...] = ("both", "economic_only", "social_only", "displacement", "neither")

#: One line per class, for tables, figures and attributes.
CLASS_DESCRIPTIONS: dict[str, str] = {
    "both": "economic and social upgrading",
    "economic_only": "economic upgrading, social conditions unchanged",
    "social_only": "social upgrading without economic upgrading",
    "displacement": "economic upgrading while social conditions fall",
    "neither": "no economic upgrading and no social upgrading",
}


def classify(
    delta_economic: np.ndarray,
    delta_social: np.ndarray,
    economic_threshold: float,
    social_threshold: float,
) -> np.ndarray:
    """Return the class code (index into :data:`CLASSES`) of every run.

    Parameters
    ----------
    delta_economic, delta_social : numpy.ndarray
        Changes of the two indices over the horizon, one per run.
    economic_threshold, social_threshold : float
        Smallest change read as upgrading (≥ 0).

    Returns
    -------
    numpy.ndarray of int8
        Codes ``0..4`` in the order of :data:`CLASSES`.

    Raises
    ------
    ValueError
        If the arrays differ in shape, hold NaN, or a threshold is negative.

    Examples
    --------
    >>> import numpy as np
    >>> class_names(classify(np.array([0.2, 0.2, 0.0, 0.2, 0.0]),
    ...                      np.array([0.2, 0.0, 0.2, -0.2, -0.2]), 0.05, 0.05))
    ['both', 'economic_only', 'social_only', 'displacement', 'neither']
    """
    economic = np.asarray(delta_economic, dtype=float)
    social = np.asarray(delta_social, dtype=float)
    if economic.shape != social.shape:
        raise ValueError(f"shapes differ: {economic.shape} and {social.shape}")
    if np.isnan(economic).any() or np.isnan(social).any():
        raise ValueError("changes of the indices hold NaN")
    if economic_threshold < 0 or social_threshold < 0:
        raise ValueError("thresholds must be ≥ 0")
    up_e = economic > economic_threshold
    up_s = social > social_threshold
    down_s = social < -social_threshold
    codes = np.full(economic.shape, CLASSES.index("neither"), dtype=np.int8)
    codes[up_e & up_s] = CLASSES.index("both")
    codes[up_e & ~up_s & ~down_s] = CLASSES.index("economic_only")
    codes[~up_e & up_s] = CLASSES.index("social_only")
    codes[up_e & down_s] = CLASSES.index("displacement")
    return codes


def class_names(codes: np.ndarray) -> list[str]:
    """Return the class name of every code."""
    return [CLASSES[int(code)] for code in np.asarray(codes).ravel()]
