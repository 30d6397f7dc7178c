"""Analytic test functions for the sensitivity tests (importable by name in subprocesses)."""

from __future__ import annotations

import time

import numpy as np

ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1
SOBOL_G_A = np.array([0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0])


def ishigami(x: np.ndarray) -> np.ndarray:
    """Ishigami function with a = 7, b = 0.1 on [-pi, pi]^3."""
    return (
        np.sin(x[:, 0])
        + ISHIGAMI_A * np.sin(x[:, 1]) ** 2
        + ISHIGAMI_B * x[:, 2] ** 4 * np.sin(x[:, 0])
    )


def ishigami_indices() -> tuple[np.ndarray, np.ndarray]:
    """Analytic (S1, ST) of the Ishigami function."""
    a, b, pi = ISHIGAMI_A, ISHIGAMI_B, np.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / total, np.array([v1 + v13, v2, v13]) / total


def sobol_g(x: np.ndarray) -> np.ndarray:
    """Sobol' G function with a = [0, 1, 4.5, 9, 99, 99, 99, 99] on [0, 1]^8."""
    return np.prod((np.abs(4 * x - 2) + SOBOL_G_A) / (1 + SOBOL_G_A), axis=1)


def sobol_g_indices() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Analytic (S1, ST, S2) of the Sobol' G function."""
    partial = 1 / (3 * (1 + SOBOL_G_A) ** 2)
    total_variance = np.prod(1 + partial) - 1
    first = partial / total_variance
    total = (
        np.array([partial[i] * np.prod(np.delete(1 + partial, i)) for i in range(partial.size)])
        / total_variance
    )
    second = np.outer(partial, partial) / total_variance
    np.fill_diagonal(second, np.nan)
    return first, total, second


def slow_ishigami(x: np.ndarray) -> np.ndarray:
    """Ishigami, taking a while per call (for the interrupted-run test)."""
    time.sleep(0.2)
    return ishigami(x)
