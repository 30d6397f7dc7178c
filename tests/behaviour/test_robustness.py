"""The behaviours hold across parameter uncertainty, not at one tuned value.

Issue 9: each behaviour of docs/design/model.md holds in at least 90% of 500
Latin-hypercube draws of the uncertain structural parameters (their declared
ranges), run through the batch engine. A small draw runs on every CI run; the
full one is marked slow (``pytest -m slow``) and in
``benchmarks/bench_behaviours.py``.

Measured with 500 draws (seed 20160125; models/README.md, "Robustness"):
behaviours 1, 4, 5, 6, 7, 8, 9, 10, 11 hold in at least 90% of draws;
behaviours 2 and 3 do not (0.72 and 0.62). Those two are asserted at a majority
here, and a strict expected failure records that they miss the 90% bar, so the
test suite notices if that changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gvc_upgrading import Model
from gvc_upgrading.errors import SpecError
from gvc_upgrading.robustness import (
    BEHAVIOURS,
    behaviour_shares,
    evaluate_runs,
    latin_hypercube,
    run_cases,
    uncertain_parameters,
)

BAR = 0.9
#: Behaviours that miss the 90% bar in the 500-draw study (documented in models/README.md).
BELOW_BAR = (2, 3)
CI_DRAWS = 32
CI_SEED = 2016


@pytest.fixture(scope="module")
def ci_held(model: Model) -> pd.DataFrame:
    """Per-draw results of every behaviour on the CI draw."""
    draws = latin_hypercube(uncertain_parameters(model), CI_DRAWS, CI_SEED)
    return evaluate_runs(model, run_cases(model, draws))


@pytest.mark.parametrize("number", [b.number for b in BEHAVIOURS if b.number not in BELOW_BAR])
def test_behaviour_holds_across_draws(ci_held: pd.DataFrame, number: int) -> None:
    """Behaviours that meet the bar hold in nearly every draw (sampling slack on 32 draws)."""
    assert ci_held[number].mean() >= BAR - 0.1


@pytest.mark.parametrize("number", BELOW_BAR)
def test_behaviour_below_bar_holds_in_most_draws(ci_held: pd.DataFrame, number: int) -> None:
    """The behaviours that miss the bar still hold in most draws."""
    assert ci_held[number].mean() > 0.5


@pytest.mark.xfail(strict=True, reason="behaviours 2 and 3 hold in fewer than 90% of draws")
def test_every_behaviour_meets_the_bar(ci_held: pd.DataFrame) -> None:
    """Issue 9's bar for every behaviour; known to fail (see the module docstring)."""
    assert (ci_held.mean() >= BAR).all()


def test_draws_cover_the_declared_ranges(model: Model) -> None:
    """Latin hypercube: each parameter's draws fill its range, one per stratum."""
    bounds = uncertain_parameters(model)
    assert len(bounds) > 40
    assert set(model.parameters.loc[bounds.index, "group"]) == {"structural"}
    draws = latin_hypercube(bounds, 50, 1)
    scaled = (draws - bounds["lower"]) / (bounds["upper"] - bounds["lower"])
    strata = np.floor(scaled.to_numpy() * 50).astype(int)
    for column in range(strata.shape[1]):
        assert sorted(strata[:, column]) == list(range(50))
    pd.testing.assert_frame_equal(draws, latin_hypercube(bounds, 50, 1))


def test_shares_report_each_behaviour(model: Model) -> None:
    """behaviour_shares returns one share in [0, 1] per behaviour."""
    shares = behaviour_shares(model, n=3, seed=5)
    assert list(shares.index) == [b.number for b in BEHAVIOURS]
    assert shares["share"].between(0, 1).all()
    assert (shares["draws"] == 3).all()


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_bad_draw_count_is_refused(model: Model, n: object) -> None:
    """A non-positive or non-integer number of draws is an error before any run."""
    with pytest.raises(SpecError, match=r"positive integer|n must be an integer"):
        behaviour_shares(model, n=n, seed=1)  # type: ignore[arg-type]


@pytest.mark.slow
def test_full_study_shares(model: Model) -> None:
    """The full 500-draw study: the shares reported in models/README.md."""
    shares = behaviour_shares(model, n=500, seed=20160125)["share"]
    assert (shares.drop(list(BELOW_BAR)) >= BAR).all()
    assert (shares[list(BELOW_BAR)] > 0.5).all()
