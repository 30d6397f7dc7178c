"""Predictive bands at the observations, and the identifiability status of each estimate.

A predictive band combines parameter uncertainty (the bootstrap refits, or
the estimate alone without them) with the observation-error model of each
target: on the target's transform scale an observation is the model value
plus Gaussian noise of standard deviation ``sd / sqrt(weight)`` (``sd`` from
the error model, evaluated at the *model* value so that no hold-out value is
read), inflated by the series' in-sample residual scale when that is larger
than 1 (the fit missing by more than the declared error). Modelling choice:
the declared error is a floor, the fit's own misses widen it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .uncertainty import IDENTIFIABILITY, Profile

__all__ = ["identifiability_status", "noise_sd", "predictive_band"]

#: Draws per band (bootstrap parameter sets x noise draws, at least this many).
BAND_DRAWS = 4000
#: Unit-cube distance below which an estimate counts as on its search bound.
ON_BOUND = 1e-3


def _single_noise_sd(objective: Any, fitted: np.ndarray) -> np.ndarray:
    obs = objective.observations
    targets = {t.name: t for t in objective.case.targets}
    sd = np.empty(len(obs))
    for i, name in enumerate(obs.target):
        target = targets[name]
        if target.error.kind == "absolute" or target.transform == "log":
            value = target.error.value
        else:
            value = target.error.value * abs(fitted[i])
        sd[i] = value / np.sqrt(obs.weight[i]) if obs.weight[i] > 0 else value
    predicted = objective.transform(fitted[None, :])[0]
    r = (predicted - objective.y) * objective.factor  # NaN on the locked hold-out
    for name in dict.fromkeys(obs.target):
        mine = (obs.target == name) & objective.fit
        if mine.any():
            scale = float(np.sqrt(np.mean(r[mine] ** 2)))
            if np.isfinite(scale) and scale > 1.0:
                sd[obs.target == name] *= scale
    return sd


def noise_sd(objective: Any, fitted: np.ndarray) -> np.ndarray:
    """Observation-error standard deviation on each observation's transform scale.

    Parameters
    ----------
    objective : Objective or JointObjective
    fitted : numpy.ndarray
        Model levels at the observations ``(m,)`` (at the estimate).
    """
    parts = getattr(objective, "objectives", None)
    if parts is None:
        return _single_noise_sd(objective, np.asarray(fitted, float))
    out, start = [], 0
    for part in parts:
        m = len(part.observations)
        out.append(_single_noise_sd(part, np.asarray(fitted, float)[start : start + m]))
        start += m
    return np.concatenate(out)


def _is_log(objective: Any) -> np.ndarray:
    parts = getattr(objective, "objectives", None)
    if parts is None:
        return objective._transform.copy()
    return np.concatenate([p._transform for p in parts])


def predictive_band(
    objective: Any,
    fitted: np.ndarray,
    boot: np.ndarray,
    *,
    level: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper predictive band ``(m,)`` at every observation.

    Parameters
    ----------
    objective : Objective or JointObjective
    fitted : numpy.ndarray
        Levels at the estimate ``(m,)``.
    boot : numpy.ndarray
        Bootstrap parameter sets ``(B, p)`` (may be empty).
    level : float
        Central coverage of the band.
    rng : numpy.random.Generator
    """
    fitted = np.asarray(fitted, float)
    centres = objective.predict_levels(boot) if len(boot) else fitted[None, :]
    centres = np.where(np.isfinite(centres), centres, np.nan)
    per = int(np.ceil(BAND_DRAWS / centres.shape[0]))
    sd = noise_sd(objective, fitted)
    noise = rng.standard_normal((centres.shape[0], per, len(fitted))) * sd
    log = _is_log(objective)
    base = centres[:, None, :]
    draws = np.where(log, base * np.exp(noise), base + noise).reshape(-1, len(fitted))
    alpha = (1.0 - level) / 2.0
    lower, upper = np.nanquantile(draws, [alpha, 1.0 - alpha], axis=0)
    return lower, upper


def identifiability_status(
    objective: Any, unit_hat: np.ndarray, profiles: tuple[Profile, ...]
) -> tuple[str, ...]:
    """What each estimate means, in words (listed in the result and the report).

    - ``moves no target``: the profile is flat; the value is the start or the
      prior mode, not an estimate;
    - ``on bound, pushed there by the data``: on a search bound and the
      profile rises above the threshold towards the interior;
    - ``on bound, not determined by the data``: on a bound, profile too flat
      to say (or no profile computed);
    - otherwise the profile verdict (``identifiable``, ``practically
      non-identifiable``), or ``not profiled``.
    """
    by_name = {p.parameter: p for p in profiles}
    out = []
    for j, name in enumerate(objective.names):
        profile = by_name.get(name)
        on_bound = unit_hat[j] <= ON_BOUND or unit_hat[j] >= 1.0 - ON_BOUND
        if profile is not None and profile.verdict == IDENTIFIABILITY[2]:
            out.append("moves no target")
        elif on_bound:
            pushed = False
            if profile is not None:
                rises = profile.deviance >= profile.threshold
                pushed = bool(rises.any())
            out.append(
                "on bound, pushed there by the data"
                if pushed
                else "on bound, not determined by the data"
            )
        elif profile is not None:
            out.append(profile.verdict)
        else:
            out.append("not profiled")
    return tuple(out)
