"""The compiled engine reproduces pysd on the shipped model: baseline, scenarios, random sets."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gvc_upgrading.engine import compile_model
from gvc_upgrading.resources import shipped_path

from .reference import assert_matches_pysd, pysd_model

MODEL = shipped_path("models", "gvc_upgrading.mdl")
SCENARIOS = sorted(p.stem for p in shipped_path("models", "scenarios").glob("*.toml"))
#: Random parameter sets compared with pysd: a few in the default run (each
#: pysd run of the shipped model takes about a second), many in the slow one.
N_RANDOM = 8
N_RANDOM_SLOW = 50


@pytest.fixture(scope="module")
def batch():
    return compile_model(MODEL)


@pytest.fixture(scope="module")
def reference(batch):
    """pysd runs of the model with every constant set explicitly (no state leaks between runs)."""
    model = pysd_model(MODEL)
    defaults = batch.parameters["default"].to_dict()

    def run(overrides: dict | None = None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.run(params={**defaults, **(overrides or {})})

    return run


def test_baseline_matches_pysd(batch, reference):
    result = batch.run()
    compared = assert_matches_pysd(result, reference())
    assert compared == len(result.data_vars) > 100
    for stock in batch.stocks:
        assert stock in result


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_matches_pysd(batch, reference, name):
    from gvc_upgrading.scenarios import load_scenario

    scenario = load_scenario(name)
    result = batch.run(scenario=scenario)
    assert result.attrs["scenario"] == name
    assert_matches_pysd(result, reference(scenario.overrides()))


def test_the_engine_takes_scenario_objects_not_names(batch, tmp_path):
    """Scenario data is loaded above the engine; a name or path is refused, naming the fix."""
    from gvc_upgrading import SpecError

    for given in ("csr", tmp_path / "csr.toml"):
        with pytest.raises(SpecError, match="load_scenario"):
            batch.run(scenario=given)


def _random_sets_match_pysd(batch, reference, n_random: int, chunk_size: int) -> None:
    table = batch.parameters.dropna(subset=["lower", "upper"])
    rng = np.random.default_rng(3)
    samples = {p: rng.uniform(row.lower, row.upper, n_random) for p, row in table.iterrows()}
    result = batch.run(samples, chunk_size=chunk_size)  # several chunks, one of them ragged
    for run in range(n_random):
        assert_matches_pysd(
            result, reference({p: float(v[run]) for p, v in samples.items()}), run=run
        )


def test_random_parameter_sets_match_pysd(batch, reference):
    _random_sets_match_pysd(batch, reference, N_RANDOM, chunk_size=3)


@pytest.mark.slow
def test_many_random_parameter_sets_match_pysd(batch, reference):
    _random_sets_match_pysd(batch, reference, N_RANDOM_SLOW, chunk_size=17)


@pytest.mark.parametrize("closure", [1.0, 0.3])
def test_wage_board_calendar_matches_pysd(batch, reference, closure):
    """With the calendar on, the discrete revisions (TIME STEP idiom) equal pysd's, for a
    board that sets the indicated wage and for one that closes part of the gap."""
    import pandas as pd

    reviews = pd.Series(
        [0.0, 0.0, 1.0, 1.0, 2.0, 2.0], index=[1995.0, 2004.99, 2005.0, 2012.49, 2012.5, 2035.0]
    )
    overrides = {
        "Wage review calendar": 1.0,
        "Wage reviews in effect": reviews,
        "Wage review closure": closure,
    }
    result = batch.run(overrides)
    assert_matches_pysd(result, reference(overrides))
