"""The experiment design: every policy in every sampled future (common random numbers).

Futures are a Latin hypercube over the uncertain parameters (scipy's
``qmc.LatinHypercube``, seeded). Each policy is applied to the same futures,
so that policies can be compared draw by draw (regret). Rows are ordered
policy-major: row ``p * n + d`` is policy ``p`` in future ``d``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc

from ..errors import SpecError
from .spec import ExplorationSpec, PolicySpec

__all__ = ["Design", "make_design", "policy_levers", "sample_futures"]


@dataclass(frozen=True)
class Design:
    """Inputs of every run.

    Attributes
    ----------
    futures : pandas.DataFrame
        ``n × uncertainties``: the sampled futures.
    levers : pandas.DataFrame
        ``policies × levers``: each policy's lever values (defaults where it is silent).
    starts : tuple of float or None
        Each policy's start year (None: from the first year).
    """

    futures: pd.DataFrame
    levers: pd.DataFrame
    starts: tuple[float | None, ...] = ()

    @property
    def n(self) -> int:
        """Number of futures."""
        return len(self.futures)

    @property
    def policies(self) -> list[str]:
        """Policy names, in row-block order."""
        return [str(p) for p in self.levers.index]

    @property
    def runs(self) -> int:
        """Number of runs (policies × futures)."""
        return self.n * len(self.levers)

    def matrix(self) -> pd.DataFrame:
        """Return every run's inputs, ``runs × (uncertainties + levers)``, policy-major."""
        futures = np.tile(self.futures.to_numpy(), (len(self.levers), 1))
        levers = np.repeat(self.levers.to_numpy(), self.n, axis=0)
        return pd.DataFrame(
            np.hstack([futures, levers]),
            columns=[*self.futures.columns, *self.levers.columns],
        )

    def policy_codes(self) -> np.ndarray:
        """Index of each run's policy."""
        return np.repeat(np.arange(len(self.levers)), self.n)

    def start_years(self, initial_time: float) -> np.ndarray:
        """Year each run's levers switch on (``initial_time`` for policies without a start)."""
        starts = np.array([initial_time if s is None else s for s in self.starts], dtype=float)
        return starts[self.policy_codes()]

    def draw_codes(self) -> np.ndarray:
        """Index of each run's future."""
        return np.tile(np.arange(self.n), len(self.levers))


def sample_futures(spec: ExplorationSpec, n: int, seed: int) -> pd.DataFrame:
    """Return ``n`` futures: a seeded Latin hypercube scaled to the uncertainty ranges."""
    sampler = qmc.LatinHypercube(d=len(spec.uncertainties), rng=np.random.default_rng(seed))
    unit = sampler.random(n)
    lower = np.array([u.lower for u in spec.uncertainties])
    upper = np.array([u.upper for u in spec.uncertainties])
    return pd.DataFrame(qmc.scale(unit, lower, upper), columns=list(spec.uncertainty_names))


def _merge(policy: PolicySpec, scenario_values: Mapping[str, Mapping[str, float]], rule: str):
    merged: dict[str, float] = {}
    for scenario in policy.scenarios:
        for name, value in scenario_values[scenario].items():
            if name in merged and merged[name] != value:
                if rule == "error":
                    raise SpecError(
                        f"policy {policy.name!r}: its scenarios set {name!r} to "
                        f"{merged[name]:g} and {value:g} (combination rule 'error')"
                    )
                value = max(merged[name], value)
            merged[name] = value
    merged.update(policy.parameters)
    return merged


def policy_levers(
    spec: ExplorationSpec,
    scenario_values: Callable[[str], Mapping[str, float]],
    defaults: pd.Series,
) -> pd.DataFrame:
    """Return each policy's lever values, ``policies × levers``.

    Parameters
    ----------
    spec : ExplorationSpec
        The study.
    scenario_values : callable
        Maps a scenario name to its constant overrides (``Scenario.parameters``).
    defaults : pandas.Series
        The model's default of every constant.

    Returns
    -------
    pandas.DataFrame
        One row per policy; one column per lever any policy sets; a policy that
        is silent about a lever keeps the model default. With intensity ``a`` a
        lever is ``default + a * (value - default)``.

    Raises
    ------
    SpecError
        If a scenario sets a time series (not supported here), or merged
        scenarios disagree under the ``"error"`` rule.
    """
    names = {s for p in spec.policies for s in p.scenarios}
    values = {name: dict(scenario_values(name)) for name in sorted(names)}
    merged = {p.name: _merge(p, values, spec.combine) for p in spec.policies}
    levers = list(dict.fromkeys(name for m in merged.values() for name in m))
    table = pd.DataFrame(
        [
            [merged[p.name].get(name, float(defaults[name])) for name in levers]
            for p in spec.policies
        ],
        index=pd.Index([p.name for p in spec.policies], name="policy"),
        columns=levers,
        dtype=float,
    )
    intensity = np.array([p.intensity for p in spec.policies])[:, None]
    base = defaults.reindex(levers).to_numpy(dtype=float)[None, :]
    table.loc[:, :] = base + intensity * (table.to_numpy() - base)
    return table


def make_design(
    spec: ExplorationSpec,
    scenario_values: Callable[[str], Mapping[str, float]],
    defaults: pd.Series,
    *,
    n: int | None = None,
    seed: int | None = None,
) -> Design:
    """Return the design of ``spec``: sampled futures and each policy's levers."""
    n = spec.n if n is None else n
    seed = spec.seed if seed is None else seed
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise SpecError(f"n must be a whole number ≥ 2, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecError(f"seed must be a whole number ≥ 0, got {seed!r}")
    levers = policy_levers(spec, scenario_values, defaults)
    both = [name for name in levers.columns if name in spec.uncertainty_names]
    if both:
        raise SpecError(
            f"{spec.source}: {both} are uncertainties and levers that policies set; "
            "make each either an uncertainty or a lever"
        )
    starts = tuple(p.start for p in spec.policies)
    return Design(sample_futures(spec, int(n), int(seed)), levers, starts)
