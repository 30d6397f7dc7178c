"""Optimizers over the unit cube of the free parameters, all evaluating in batches.

- :func:`fit_multistart`: Latin-hypercube starts descending together, the
  best refined by bounded :func:`scipy.optimize.least_squares`
  (trust-region reflective) whose finite-difference Jacobian is one batch of
  ``p`` runs.
- :func:`fit_differential_evolution`: :func:`scipy.optimize.differential_evolution`
  with ``vectorized=True`` (the whole population is one batch), polished by
  ``least_squares``.
- :func:`batched_levenberg_marquardt`: many independent least-squares problems
  (bootstrap replicates, profile points) solved side by side, each iteration
  one batch call for all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize
from scipy.stats import qmc

__all__ = [
    "LocalFit",
    "OptimizerReport",
    "batched_levenberg_marquardt",
    "fit_differential_evolution",
    "fit_multistart",
    "latin_hypercube",
]

#: Finite-difference step in unit-cube coordinates.
FD_STEP = 1e-6


@dataclass(frozen=True)
class LocalFit:
    """One local least-squares solution (unit-cube coordinates)."""

    unit: np.ndarray
    cost: float
    nfev: int
    status: int
    message: str


@dataclass(frozen=True)
class OptimizerReport:
    """What an optimizer did: best point, every local solution, counters."""

    method: str
    unit: np.ndarray
    cost: float
    success: bool
    message: str
    starts: tuple[LocalFit, ...] = ()
    extra: dict = field(default_factory=dict)


def latin_hypercube(n: int, p: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` Latin-hypercube points in ``[0, 1]^p`` (seeded by ``rng``)."""
    return qmc.LatinHypercube(d=p, rng=rng).random(n)


class _BatchedProblem:
    """Residuals and a batch finite-difference Jacobian for scipy, in unit coordinates."""

    def __init__(self, residuals: Callable[[np.ndarray], np.ndarray], p: int) -> None:
        self.residuals = residuals
        self.p = p
        self.nfev = 0
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def fun(self, u: np.ndarray) -> np.ndarray:
        r = self.residuals(u[None, :])[0]
        self._last = (u.copy(), r)
        self.nfev += 1
        return r

    def jac(self, u: np.ndarray) -> np.ndarray:
        if self._last is not None and np.array_equal(self._last[0], u):
            r0 = self._last[1]
        else:
            r0 = self.fun(u)
        step = np.where(u + FD_STEP <= 1.0, FD_STEP, -FD_STEP)
        points = u[None, :] + np.diag(step)
        r = self.residuals(points)
        self.nfev += self.p
        return ((r - r0[None, :]) / step[:, None]).T


def _least_squares(
    residuals: Callable[[np.ndarray], np.ndarray], u0: np.ndarray, *, max_nfev: int | None
) -> LocalFit:
    problem = _BatchedProblem(residuals, len(u0))
    result = optimize.least_squares(
        problem.fun,
        np.clip(u0, 0.0, 1.0),
        jac=problem.jac,
        bounds=(0.0, 1.0),
        method="trf",
        x_scale="jac",
        max_nfev=max_nfev,
        ftol=1e-10,
        xtol=1e-10,
        gtol=1e-10,
    )
    return LocalFit(
        np.asarray(result.x, float),
        float(result.cost),
        problem.nfev,
        result.status,
        str(result.message),
    )


def fit_multistart(
    residuals: Callable[[np.ndarray], np.ndarray],
    p: int,
    *,
    n_starts: int,
    rng: np.random.Generator,
    initial: np.ndarray | None = None,
    max_nfev: int | None = 200,
    max_iter: int = 100,
    n_polish: int = 2,
    progress: Callable[[int], None] | None = None,
) -> OptimizerReport:
    """Multi-start bounded least squares from Latin-hypercube starts.

    All starts descend together (:func:`batched_levenberg_marquardt`, one
    simulator batch per iteration for every start); the ``n_polish`` best
    distinct solutions are then refined with bounded
    :func:`scipy.optimize.least_squares` (trust-region reflective, batch
    finite-difference Jacobian) and the best is returned.

    Parameters
    ----------
    residuals : callable
        Maps unit-cube points ``(k, p)`` to residuals ``(k, m)``.
    p : int
        Number of parameters.
    n_starts : int
        Number of Latin-hypercube starts (``initial`` adds one more).
    rng : numpy.random.Generator
    initial : numpy.ndarray, optional
        A start in unit coordinates (e.g. the case's initial values).
    max_nfev : int, optional
        Iteration limit of each ``least_squares`` polish.
    max_iter : int
        Iteration limit of the joint descent.
    n_polish : int
        How many of the best distinct solutions to polish.
    progress : callable, optional
        Called with the number of starts finished.

    Returns
    -------
    OptimizerReport
    """
    if n_starts < 1:
        raise ValueError(f"n_starts must be at least 1, got {n_starts}")
    starts = latin_hypercube(n_starts, p, rng)
    if initial is not None:
        starts = np.vstack([np.clip(initial, 0.0, 1.0)[None, :], starts])
    units, costs, iterations = batched_levenberg_marquardt(
        lambda points, problem: residuals(points), starts, max_iter=max_iter
    )
    if progress:
        progress(len(starts))
    order = np.argsort(costs, kind="stable")
    chosen: list[int] = []
    for index in order:
        if all(np.max(np.abs(units[index] - units[c])) > 1e-3 for c in chosen):
            chosen.append(int(index))
        if len(chosen) == n_polish:
            break
    fits = [
        LocalFit(units[i], float(costs[i]), int(iterations[i]), 0, "batched descent")
        for i in range(len(starts))
    ]
    polished = [_least_squares(residuals, units[i], max_nfev=max_nfev) for i in chosen]
    best = min([*polished, fits[order[0]]], key=lambda f: f.cost)
    return OptimizerReport(
        "multistart",
        best.unit,
        best.cost,
        any(f.status > 0 for f in polished),
        best.message,
        tuple(fits) + tuple(polished),
        {
            "n_starts": len(starts),
            "descent_iterations": int(iterations.max()),
            "polish_nfev": sum(f.nfev for f in polished),
        },
    )


def fit_differential_evolution(
    residuals: Callable[[np.ndarray], np.ndarray],
    p: int,
    *,
    rng: np.random.Generator,
    popsize: int = 15,
    maxiter: int = 200,
    tol: float = 1e-6,
    max_nfev: int | None = 200,
) -> OptimizerReport:
    """Differential evolution on the half sum of squares, population as one batch.

    scipy's vectorized contract: the objective receives ``x`` with shape
    ``(p, S)`` and returns ``(S,)``; ``updating="deferred"`` is what vectorized
    evaluation implies, and is passed explicitly. The best member is then
    polished with bounded ``least_squares``.
    """
    counter = {"nfev": 0}

    def cost(x: np.ndarray) -> np.ndarray:
        points = np.atleast_2d(x.T) if x.ndim == 2 else x[None, :]
        counter["nfev"] += points.shape[0]
        r = residuals(points)
        return 0.5 * np.sum(r * r, axis=1)

    result = optimize.differential_evolution(
        cost,
        bounds=[(0.0, 1.0)] * p,
        rng=rng,
        popsize=popsize,
        maxiter=maxiter,
        tol=tol,
        init="latinhypercube",
        polish=False,
        vectorized=True,
        updating="deferred",
    )
    polished = _least_squares(residuals, np.asarray(result.x, float), max_nfev=max_nfev)
    best = (
        polished
        if polished.cost <= result.fun
        else LocalFit(np.asarray(result.x, float), float(result.fun), 0, 1, str(result.message))
    )
    return OptimizerReport(
        "differential_evolution",
        best.unit,
        best.cost,
        bool(result.success) or polished.status > 0,
        str(result.message),
        (polished,),
        {"nfev": counter["nfev"] + polished.nfev, "generations": int(result.nit)},
    )


def batched_levenberg_marquardt(
    residuals: Callable[[np.ndarray, np.ndarray], np.ndarray],
    start: np.ndarray,
    *,
    active: np.ndarray | None = None,
    max_iter: int = 60,
    ftol: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve ``K`` bounded least-squares problems side by side.

    Parameters
    ----------
    residuals : callable
        ``residuals(points, problem)`` maps unit points ``(n, p)`` and the index
        of the problem each point belongs to ``(n,)`` to residuals ``(n, m)``.
    start : numpy.ndarray
        Starting points ``(K, p)`` in unit coordinates.
    active : numpy.ndarray of bool, optional
        ``(K, p)`` or ``(p,)``: which coordinates each problem may move
        (profile likelihood fixes one). Default: all.
    max_iter : int
        Iterations; each is one batch of Jacobian points and one of trial points.
    ftol : float
        A problem stops when an accepted step lowers its cost by less than
        ``ftol`` relative.

    Returns
    -------
    unit : numpy.ndarray
        Solutions ``(K, p)``.
    cost : numpy.ndarray
        Half sums of squares ``(K,)``.
    iterations : numpy.ndarray
        Iterations used per problem.
    """
    u = np.clip(np.array(start, float, copy=True), 0.0, 1.0)
    k, p = u.shape
    act = np.ones((k, p), bool) if active is None else np.broadcast_to(active, (k, p)).copy()
    every = np.arange(k)
    r = residuals(u, every)
    cost = 0.5 * np.sum(r * r, axis=1)
    lam = np.full(k, 1e-3)
    done = np.zeros(k, bool)
    iterations = np.zeros(k, int)
    jac = np.zeros((k, r.shape[1], p))
    stale = np.ones(k, bool)
    for _ in range(max_iter):
        live = np.flatnonzero(~done)
        if live.size == 0:
            break
        need = live[stale[live]]
        if need.size:
            step = np.where(u[need] + FD_STEP <= 1.0, FD_STEP, -FD_STEP)
            points = (u[need][:, None, :] + step[:, :, None] * np.eye(p)[None]).reshape(-1, p)
            shifted = residuals(points, np.repeat(need, p)).reshape(need.size, p, -1)
            jac[need] = np.transpose((shifted - r[need][:, None, :]) / step[:, :, None], (0, 2, 1))
            stale[need] = False
        gradient = np.einsum("kmi,km->ki", jac[live], r[live])
        pinned = ((u[live] <= 0.0) & (gradient > 0)) | ((u[live] >= 1.0) & (gradient < 0))
        frozen = ~act[live] | pinned  # fixed, or held at a bound the descent pushes against
        j = jac[live] * ~frozen[:, None, :]
        a = np.einsum("kmi,kmj->kij", j, j)
        g = np.where(frozen, 0.0, gradient)
        diag = np.einsum("kii->ki", a)
        scale = np.maximum(diag, 1e-12 * np.maximum(diag.max(axis=1, keepdims=True), 1e-300))
        damped = a + (lam[live][:, None] * scale)[:, :, None] * np.eye(p)[None]
        damped += np.eye(p)[None] * frozen[:, :, None]
        delta = -np.linalg.solve(damped, g[:, :, None])[:, :, 0]
        trial = np.clip(u[live] + delta, 0.0, 1.0)
        r_trial = residuals(trial, live)
        c_trial = 0.5 * np.sum(r_trial * r_trial, axis=1)
        better = c_trial < cost[live]
        iterations[live] += 1
        accepted = live[better]
        gain = (cost[accepted] - c_trial[better]) / np.maximum(cost[accepted], 1e-300)
        u[accepted], r[accepted], cost[accepted] = trial[better], r_trial[better], c_trial[better]
        stale[accepted] = True
        lam[accepted] = np.maximum(lam[accepted] / 3.0, 1e-9)
        rejected = live[~better]
        lam[rejected] *= 4.0
        done[accepted[gain < ftol]] = True
        done[rejected[lam[rejected] > 1e8]] = True
    return u, cost, iterations
