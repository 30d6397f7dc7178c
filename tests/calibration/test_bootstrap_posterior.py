"""Bootstrap refits with priors: centred on the posterior mode, posterior spread (closed form).

For a linear model y = G θ + ε with Gaussian errors (sd σ) and Gaussian priors
θ ~ N(μ, s²), the posterior mode and covariance are known in closed form:
A = (G'G/σ² + S⁻¹)⁻¹, mode = A (G'y/σ² + S⁻¹ μ). The refits of
:func:`bootstrap_refits` must be centred on the mode and spread like the
posterior. The plain residual bootstrap (resampled residuals added to the
fitted values) fails the first check: on data centred on the fit, the prior
pulls every refit toward μ a second time.
"""

from __future__ import annotations

import numpy as np
import pytest

from gvc_upgrading.calibration.case import Prior
from gvc_upgrading.calibration.objective import Observations, ResidualsMixin
from gvc_upgrading.calibration.uncertainty import bootstrap_refits

SIGMA = 0.5
MU = np.array([0.0, 0.0])
PRIOR_SD = np.array([0.3, 0.3])


class LinearObjective(ResidualsMixin):
    """y = G θ + ε, observed once per row of G, with normal priors on both parameters."""

    def __init__(self, g: np.ndarray, y: np.ndarray) -> None:
        m = len(y)
        self.names = ("a", "b")
        self.lower = np.array([-5.0, -5.0])
        self.upper = np.array([5.0, 5.0])
        self.g = g
        self.y = y
        self.factor = np.full(m, 1 / SIGMA)
        self.fit = np.ones(m, bool)
        self.priors = {n: Prior("normal", MU[i], PRIOR_SD[i]) for i, n in enumerate(self.names)}
        self.observations = Observations(
            target=np.array(["y"] * m),
            variable=np.array(["y"] * m),
            year=np.arange(m, dtype=float),
            time=np.arange(m, dtype=float),
            level=y,
            weight=np.ones(m),
            in_sample=np.ones(m, bool),
            verified=np.ones(m, bool),
        )

    def predict(self, theta: np.ndarray) -> np.ndarray:
        return np.atleast_2d(theta) @ self.g.T


@pytest.fixture(scope="module")
def problem() -> tuple[LinearObjective, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    m = 60
    t = np.linspace(0, 1, m)
    g = np.column_stack([np.ones(m), t])
    y = g @ np.array([1.0, -0.8]) + SIGMA * rng.standard_normal(m)
    precision = g.T @ g / SIGMA**2 + np.diag(1 / PRIOR_SD**2)
    cov = np.linalg.inv(precision)
    mode = cov @ (g.T @ y / SIGMA**2 + MU / PRIOR_SD**2)
    return LinearObjective(g, y), mode, cov


def test_refits_are_centred_on_the_posterior_mode(problem) -> None:
    objective, mode, cov = problem
    units, _, converged = bootstrap_refits(
        objective, objective.to_unit(mode), n=4000, rng=np.random.default_rng(5)
    )
    theta = objective.to_theta(units)
    assert converged.all()
    standard_error = np.sqrt(np.diag(cov) / len(theta))
    assert np.all(np.abs(theta.mean(axis=0) - mode) < 4 * standard_error)


def test_refits_spread_like_the_posterior(problem) -> None:
    objective, mode, cov = problem
    units, _, _ = bootstrap_refits(
        objective, objective.to_unit(mode), n=4000, rng=np.random.default_rng(6)
    )
    sample = np.cov(objective.to_theta(units).T)
    # Resampled residuals have about the error variance (inflated for the two
    # fitted parameters), so the spread matches the posterior within sampling error.
    np.testing.assert_allclose(np.diag(sample), np.diag(cov), rtol=0.15)
    corr = sample[0, 1] / np.sqrt(sample[0, 0] * sample[1, 1])
    assert corr == pytest.approx(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]), abs=0.05)


def test_point_estimate_lies_inside_its_interval(problem) -> None:
    """The symptom seen on the shipped fits: an estimate outside its own bootstrap interval."""
    objective, mode, _ = problem
    units, _, _ = bootstrap_refits(
        objective, objective.to_unit(mode), n=400, rng=np.random.default_rng(7)
    )
    low, high = np.percentile(objective.to_theta(units), [5, 95], axis=0)
    assert np.all((low < mode) & (mode < high))
