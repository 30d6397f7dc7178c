"""Saltelli's design, built by array operations, row for row equal to SALib's ``sobol.sample``.

SALib's :func:`SALib.sample.sobol.sample` fills the ``N(2D+2)`` design rows
in a Python loop over base points and parameters (several seconds for the
default study). :class:`SaltelliDesign` draws the same scrambled Sobol' base
sequence (``scipy.stats.qmc.Sobol(d=2D, scramble=True, seed=seed)``), builds
the A, AB_k, [BA_k,] B rows of any range of base points with one masked
selection, and scales them with SALib's own ``scale_samples`` (so bounds and
distributions are SALib's). Rows of a range of base points can be built on
their own, so a large design never has to be held in memory at once.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from SALib.util import compute_groups_matrix, scale_samples
from scipy.stats import qmc

__all__ = ["SaltelliDesign"]


class SaltelliDesign:
    """Saltelli's cross-sampling of a scrambled Sobol' sequence (SALib's row order).

    Parameters
    ----------
    problem : dict
        SALib problem (``num_vars``, ``bounds``, optional ``groups`` and ``dists``).
    n : int
        Number of base points N.
    second_order : bool
        Include the BA_k rows (``2D + 2`` rows per base point, else ``D + 2``),
        D being the number of factors (parameters or groups).
    seed : int
        Seed of the scrambling.
    """

    def __init__(self, problem: dict[str, Any], n: int, *, second_order: bool, seed: int):
        self.problem = copy.deepcopy(problem)
        parameters = int(self.problem["num_vars"])
        base = qmc.Sobol(d=2 * parameters, scramble=True, seed=seed).random(n)
        self.a = base[:, :parameters]
        self.b = base[:, parameters:]
        groups = self.problem.get("groups")
        if groups:
            membership, _ = compute_groups_matrix(groups)
            self.membership = np.asarray(membership, dtype=bool)  # (parameters, factors)
        else:
            self.membership = np.eye(parameters, dtype=bool)
        self.factors = self.membership.shape[1]
        self.n = n
        self.second_order = second_order
        self.per_point = 2 * self.factors + 2 if second_order else self.factors + 2

    @property
    def rows(self) -> int:
        """Number of rows of the whole design."""
        return self.n * self.per_point

    def points(self, first: int, last: int) -> np.ndarray:
        """Scaled design rows of base points ``[first, last)``, ``per_point`` rows each."""
        a = self.a[first:last, None, :]
        b = self.b[first:last, None, :]
        from_b = self.membership.T[None, :, :]  # (1, factors, parameters)
        blocks = [a, np.where(from_b, b, a)]
        if self.second_order:
            blocks.append(np.where(from_b, a, b))
        blocks.append(b)
        unit = np.concatenate(blocks, axis=1).reshape(-1, self.a.shape[1])
        return scale_samples(unit, copy.deepcopy(self.problem))

    def rows_between(self, start: int, stop: int) -> np.ndarray:
        """Design rows ``[start, stop)`` (any range, not only whole base points)."""
        first, last = start // self.per_point, -(-stop // self.per_point)
        block = self.points(first, last)
        offset = first * self.per_point
        return block[start - offset : stop - offset]

    def sample(self) -> np.ndarray:
        """The whole design, equal to ``SALib.sample.sobol.sample`` with the same settings."""
        return self.points(0, self.n)
