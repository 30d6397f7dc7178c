"""RANDOM functions in the batch engine: reproducible draws, the same whatever the batching.

pysd draws ``RANDOM 0 1``, ``RANDOM UNIFORM``, ``RANDOM NORMAL`` and ``RANDOM
EXPONENTIAL`` from NumPy's global generator, one value per element of the
variable at every time step, and ignores the Vensim ``seed`` argument. The
engine draws from the same distributions (pysd's truncations and
parameters), but from its own streams, so its numbers are not pysd's; what
it guarantees instead:

* **Reproducible under a seed.** Every value is a function of the run seed
  (``BatchModel.run(seed=...)``), the call site (the position of the RANDOM
  call in the model), the simulation time, the run's index and the element:
  the same seed gives the same numbers, bit for bit.
* **Independent of batching.** Run ``i`` gets the same numbers whether it is
  simulated alone, in a batch of any size, in any chunk or on any worker:
  each (site, time) has its own PCG64 stream (``SeedSequence(seed,
  spawn_key=(site, time bits))``), and run ``i`` takes its values at position
  ``i × elements`` of it (PCG64 jumps there with ``advance``).
* **One draw per step**, as in pysd: the value at a time is the same however
  often the equation is evaluated at that time.

Each value is made from one uniform number ``u`` in ``[0, 1)`` by the
inverse of the distribution function (``lo + (hi - lo) u`` for the uniform,
as NumPy's ``uniform``; scipy's ``truncnorm.ppf`` and ``truncexpon.ppf``
with pysd's truncation bounds for the others).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RANDOM_FUNCTIONS", "RandomSource", "random_draw", "uniforms"]

#: Vensim RANDOM functions pysd supports (by pysd's key) -> their arity.
RANDOM_FUNCTIONS: dict[str, int] = {
    "random_0_1": 0,
    "random_uniform": 3,
    "random_normal": 5,
    "random_exponential": 5,
}


@dataclass(frozen=True)
class RandomSource:
    """The random streams of one chunk of runs.

    Attributes
    ----------
    seed : int
        The run seed (``BatchModel.run(seed=...)``).
    first_run : int
        Index of the chunk's first run in the whole ensemble.
    n_runs : int
        Runs in the chunk.
    runs : tuple of int, optional
        The runs' indices in the whole ensemble when they are not
        ``first_run, first_run + 1, ...`` (runs grouped by their time grid).
    """

    seed: int
    first_run: int
    n_runs: int
    runs: tuple[int, ...] | None = None


def uniforms(source: RandomSource, site: int, time, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform numbers in ``[0, 1)`` of shape ``(run, *shape)`` for one call site at ``time``."""
    size = int(np.prod(shape, dtype=np.int64))
    time_bits = int(np.asarray(time, dtype=np.float64).reshape(()).view(np.uint64))
    sequence = np.random.SeedSequence(source.seed, spawn_key=(site, time_bits))
    if source.runs is None:
        segments = [(source.first_run, source.n_runs)]
    else:  # one stretch of the stream per run
        segments = [(run, 1) for run in source.runs]
    pieces = []
    for first, count in segments:
        bits = np.random.PCG64(sequence)
        bits.advance(int(first) * size)  # one 64-bit output per double
        pieces.append(np.random.Generator(bits).random(count * size))
    values = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
    return values.reshape((source.n_runs, *shape))


def _xidz(numerator, denominator, value_if_zero):
    from .functions import xidz

    return xidz(numerator, denominator, value_if_zero)


def random_draw(source, time, site, shape, kind, *parameters):
    """The values of one RANDOM call at ``time``, shape ``(run, *shape)``.

    Parameters
    ----------
    source : RandomSource
        The chunk's streams.
    time : float
        The simulation time (keys the stream).
    site : int
        The call site (keys the stream).
    shape : tuple of int
        Sizes of the subscripts of the variable being defined (one value per element).
    kind : str
        A key of :data:`RANDOM_FUNCTIONS`.
    parameters
        The Vensim arguments (the trailing seed argument is ignored, as in pysd).
    """
    u = uniforms(source, site, time, shape)
    if kind == "random_0_1":
        return u
    if kind == "random_uniform":
        low, high = parameters[0], parameters[1]
        return low + (high - low) * u
    from scipy import stats

    low, high, shift, scale = parameters[:4]
    if kind == "random_normal":  # pysd: truncnorm(a, b, loc=mean, scale=sd)
        a = _xidz(low - shift, scale, -np.inf)
        b = _xidz(high - shift, scale, np.inf)
        return stats.truncnorm.ppf(u, a, b, loc=shift, scale=scale)
    # random_exponential, pysd: truncexpon(b, loc=max(min, shift), scale=stretch)
    loc = np.maximum(low, shift)
    b = _xidz(high - loc, scale, np.inf)
    return stats.truncexpon.ppf(u, b, loc=loc, scale=scale)
