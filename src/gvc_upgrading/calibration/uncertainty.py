"""Parameter uncertainty: bootstrap refits, profile likelihood and (optional) MCMC.

All refits go through :func:`~.optimize.batched_levenberg_marquardt`, so that
200 bootstrap replicates or every profile point of every parameter are solved
side by side with one simulator batch per iteration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..errors import CalibrationError
from .objective import Objective
from .optimize import batched_levenberg_marquardt

__all__ = [
    "BOOTSTRAP_KINDS",
    "IDENTIFIABILITY",
    "Profile",
    "bootstrap_refits",
    "percentile_intervals",
    "profile_likelihood",
    "run_mcmc",
]

BOOTSTRAP_KINDS: tuple[str, ...] = ("residual", "block")
#: Verdicts of :func:`profile_likelihood`.
IDENTIFIABILITY: tuple[str, ...] = (
    "identifiable",
    "practically non-identifiable",
    "structurally non-identifiable",
)
#: A profile whose largest rise is below this (in likelihood-ratio units) is flat.
FLAT_PROFILE = 1e-3


def _series_groups(objective: Objective) -> list[np.ndarray]:
    obs = objective.observations
    fit = np.flatnonzero(objective.fit)
    groups = []
    for name in dict.fromkeys(obs.target[fit]):
        members = fit[obs.target[fit] == name]
        groups.append(members[np.argsort(obs.time[members], kind="stable")])
    return groups


def _resample(
    residuals: np.ndarray, rng: np.random.Generator, kind: str, block: int
) -> np.ndarray:
    n = len(residuals)
    if kind == "residual" or n <= 2:
        return residuals[rng.integers(0, n, size=n)]
    block = max(1, min(block, n))
    starts = rng.integers(0, n - block + 1, size=-(-n // block))
    picked = np.concatenate([residuals[s : s + block] for s in starts])
    return picked[:n]


def bootstrap_refits(
    objective: Objective,
    unit_hat: np.ndarray,
    *,
    n: int,
    rng: np.random.Generator,
    kind: str = "residual",
    block_length: int | None = None,
    max_iter: int = 60,
    ftol: float = 1e-8,
    batch: int = 256,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Refit the model to ``n`` perturbed copies of the data and the priors.

    Each replicate perturbs the observations by in-sample normalised
    residuals of the fit resampled within each series (``residual``: with
    replacement; ``block``: moving blocks of ``block_length`` consecutive
    residuals, default ``ceil(n_series ** (1/3))``), centred and inflated by
    ``sqrt(m / (m - p))`` for the degrees of freedom the fit used, and moves
    the centre of every informative prior by one prior standard deviation
    times a standard normal draw; the constraint penalties stay as they are.
    This is randomised maximum likelihood ("randomise then optimise": Oliver,
    He & Reynolds 1996; Bardsley, Solonen, Haario & Laine 2014) with the
    observation noise resampled from the residuals instead of drawn from a
    Gaussian: with no perturbation a replicate's objective is the fit's own,
    so the refits are centred on the posterior mode, and for a linear model
    with Gaussian errors and priors they are draws from the posterior.

    (Resampled residuals added to the *fitted* trajectory, the plain residual
    bootstrap, would be wrong here: on data centred on the fit, the priors and
    constraints pull every refit away from the mode a second time, so the
    intervals would be shrunk toward the prior centres and could exclude the
    estimate.)

    A refit stops when an accepted step lowers its cost by less than ``ftol``
    (relative), or after ``max_iter`` iterations.

    Returns
    -------
    unit : numpy.ndarray
        Refitted parameters ``(n, p)`` in unit coordinates.
    cost : numpy.ndarray
        Their costs on their own data sets.
    converged : numpy.ndarray of bool
        Whether each refit met its tolerance within ``max_iter`` iterations.
    """
    if kind not in BOOTSTRAP_KINDS:
        raise CalibrationError(f"bootstrap kind {kind!r} is not one of {list(BOOTSTRAP_KINDS)}")
    if n < 1:
        raise CalibrationError(f"bootstrap needs at least 1 replicate, got {n}")
    theta_hat = objective.to_theta(unit_hat)
    g_hat = objective.predict(theta_hat[None, :])[0]
    every = np.ones(len(g_hat), bool)
    r_hat = objective.residuals_from(g_hat[None, :], mask=every)[0]
    m, p = int(objective.fit.sum()), objective.n_params
    inflate = np.sqrt(m / (m - p)) if m > p else 1.0
    groups = _series_groups(objective)
    data = np.tile(objective.y, (n, 1))
    for b in range(n):
        for members in groups:
            e = r_hat[members] - r_hat[members].mean()
            length = block_length or int(np.ceil(len(members) ** (1 / 3)))
            data[b, members] = (
                objective.y[members]
                + inflate * _resample(e, rng, kind, length) / (objective.factor[members])
            )
    n_prior = objective.prior_residuals(theta_hat[None, :]).shape[1]
    prior_shift = rng.standard_normal((n, n_prior))
    units = np.empty((n, p))
    costs = np.empty(n)
    iterations = np.empty(n, int)
    for first in range(0, n, batch):
        rows = np.arange(first, min(n, first + batch))
        y, shift = data[rows], prior_shift[rows]

        def residuals(points, problem, y=y, shift=shift):
            return objective.residuals(objective.to_theta(points), y[problem], shift[problem])

        start = np.tile(unit_hat, (len(rows), 1))
        units[rows], costs[rows], iterations[rows] = batched_levenberg_marquardt(
            residuals, start, max_iter=max_iter, ftol=ftol
        )
        if progress:
            progress(len(rows))
    return units, costs, iterations < max_iter


def percentile_intervals(samples: np.ndarray, level: float) -> np.ndarray:
    """Percentile intervals ``(p, 2)`` at ``level`` from samples ``(n, p)``."""
    alpha = (1.0 - level) / 2.0
    return np.quantile(samples, [alpha, 1.0 - alpha], axis=0).T


@dataclass(frozen=True)
class Profile:
    """The profile likelihood of one parameter.

    Attributes
    ----------
    parameter : str
    values : numpy.ndarray
        Grid of the parameter (its whole search range, plus the estimate).
    deviance : numpy.ndarray
        ``m * log(SSR(value) / SSR(estimate))`` with the other parameters
        refitted (likelihood ratio with the error scale profiled out).
    threshold : float
        The chi-square(1) quantile at the profile's level.
    interval : tuple of float
        Where the deviance crosses the threshold (a search bound when it does not).
    verdict : str
        One of :data:`IDENTIFIABILITY`.
    """

    parameter: str
    values: np.ndarray
    deviance: np.ndarray
    threshold: float
    interval: tuple[float, float]
    verdict: str


def _crossing(values: np.ndarray, deviance: np.ndarray, threshold: float, side: str) -> float:
    """Where the deviance first reaches ``threshold`` walking from its minimum to one side."""
    centre = int(np.argmin(deviance))
    steps = range(centre, 0, -1) if side == "lower" else range(centre, len(values) - 1)
    for i in steps:
        outer = i - 1 if side == "lower" else i + 1
        if deviance[outer] >= threshold:
            return float(
                np.interp(threshold, [deviance[i], deviance[outer]], [values[i], values[outer]])
            )
    return float(values[0] if side == "lower" else values[-1])


def profile_likelihood(
    objective: Objective,
    unit_hat: np.ndarray,
    *,
    n_points: int = 13,
    level: float = 0.95,
    max_iter: int = 40,
) -> tuple[Profile, ...]:
    """Profile every free parameter over its search range, refitting the others.

    All grid points of all parameters are solved as one batch of problems.
    The verdict: *structurally non-identifiable* when the profile is flat
    (largest rise below :data:`FLAT_PROFILE`), *identifiable* when it rises
    above the chi-square threshold on both sides of the estimate inside the
    search range, *practically non-identifiable* otherwise.
    """
    p = objective.n_params
    m = int(objective.fit.sum())
    theta_hat = objective.to_theta(unit_hat)
    r0 = objective.residuals(theta_hat[None, :])[0]
    ssr_hat = max(float(r0 @ r0), 1e-300)
    grid = np.linspace(0.0, 1.0, n_points)
    starts, active, owner = [], [], []
    for j in range(p):
        values = np.unique(np.append(grid, unit_hat[j]))
        for value in values:
            point = unit_hat.copy()
            point[j] = value
            starts.append(point)
            mask = np.ones(p, bool)
            mask[j] = False
            active.append(mask)
            owner.append(j)
    starts_arr, owner_arr = np.array(starts), np.array(owner)

    def residuals(points, problem):
        return objective.residuals(objective.to_theta(points))

    units, costs, _ = batched_levenberg_marquardt(
        residuals, starts_arr, active=np.array(active), max_iter=max_iter
    )
    threshold = float(stats.chi2.ppf(level, 1))
    profiles = []
    for j, name in enumerate(objective.names):
        mine = owner_arr == j
        unit_values = units[mine, j]
        values = objective.lower[j] + unit_values * (objective.upper[j] - objective.lower[j])
        ssr = np.maximum(2.0 * costs[mine], 1e-300)
        deviance = np.maximum(m * np.log(ssr / ssr_hat), 0.0)
        order = np.argsort(values)
        values, deviance = values[order], deviance[order]
        below = values < theta_hat[j] - 1e-12
        above = values > theta_hat[j] + 1e-12
        rises_low = bool(np.any(deviance[below] >= threshold))
        rises_high = bool(np.any(deviance[above] >= threshold))
        if deviance.max() < FLAT_PROFILE:
            verdict = IDENTIFIABILITY[2]
        elif rises_low and rises_high:
            verdict = IDENTIFIABILITY[0]
        else:
            verdict = IDENTIFIABILITY[1]
        interval = (
            _crossing(values, deviance, threshold, "lower"),
            _crossing(values, deviance, threshold, "upper"),
        )
        profiles.append(Profile(name, values, deviance, threshold, interval, verdict))
    return tuple(profiles)


def run_mcmc(
    objective: Objective,
    unit_hat: np.ndarray,
    *,
    n_walkers: int | None = None,
    n_steps: int = 2000,
    burn: int = 500,
    rng: np.random.Generator,
) -> np.ndarray:
    """Sample the posterior with emcee (vectorised walkers); needs the ``mcmc`` extra.

    The likelihood is Gaussian in the normalised residuals with their scale
    fixed at the fit's residual variance; priors come from the case (uniform
    within the search bounds otherwise).

    Returns
    -------
    numpy.ndarray
        Posterior draws ``(n, p)`` in parameter units (after burn-in).

    Raises
    ------
    CalibrationError
        If emcee is not installed.
    """
    try:
        import emcee
    except ImportError as exc:
        raise CalibrationError(
            "MCMC needs the optional package emcee: pip install 'gvc-upgrading[mcmc]' "
            "(or pip install emcee)"
        ) from exc
    p = objective.n_params
    walkers = n_walkers or max(2 * p + 2, 16)
    m = int(objective.fit.sum())
    theta_hat = objective.to_theta(unit_hat)
    r0 = objective.data_residuals(theta_hat[None, :])[0]
    s2 = max(float(r0 @ r0) / max(m - p, 1), 1e-12)
    priors = objective.priors

    def log_prob(theta: np.ndarray) -> np.ndarray:
        theta = np.atleast_2d(theta)
        inside = np.all((theta >= objective.lower) & (theta <= objective.upper), axis=1)
        out = np.full(theta.shape[0], -np.inf)
        if inside.any():
            r = objective.data_residuals(theta[inside])
            value = -0.5 * np.sum(r * r, axis=1) / s2
            for j, name in enumerate(objective.names):
                if priors.get(name) is not None:
                    value = value + priors[name].logpdf(theta[inside, j])
            out[inside] = value
        return out

    spread = 1e-3 * (objective.upper - objective.lower)
    start = theta_hat + spread * rng.standard_normal((walkers, p))
    start = np.clip(start, objective.lower, objective.upper)
    sampler = emcee.EnsembleSampler(walkers, p, log_prob, vectorize=True)
    sampler.random_state = np.random.RandomState(int(rng.integers(2**31 - 1))).get_state()
    sampler.run_mcmc(start, n_steps, progress=False)
    return sampler.get_chain(discard=burn, flat=True)
