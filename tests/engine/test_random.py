"""RANDOM functions in the batch engine: what "equal to pysd" means for random numbers.

pysd draws from NumPy's global generator, the engine from its own streams
(``gvc_upgrading.engine.randoms``), so single draws cannot be compared.
Instead:

* every variable that does not depend on a draw equals pysd (rel 1e-9);
* the draws follow pysd's distributions: a two-sample Kolmogorov-Smirnov
  test against pysd's own draws (seeded) over a long run, and bounds;
* what depends on a draw follows from it exactly (a stock integrates it);
* a seed reproduces a run bit for bit, and run ``i`` is the same whatever
  the batch size, chunk size or scheduler.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from gvc_upgrading.engine import compile_model
from gvc_upgrading.errors import SpecError, UnsupportedConstructError

from .reference import MODELS, pysd_run

MODEL = MODELS / "random.mdl"
DRAWN = ("uniform", "unit", "normal", "exponential")


@pytest.fixture(scope="module")
def batch():
    return compile_model(MODEL)


def test_variables_without_draws_equal_pysd(batch):
    from gvc_upgrading.run_checks import seeded

    result = batch.run(n=1, seed=11, return_columns="all")
    with seeded(11):
        frame = pysd_run(MODEL)
    for name in ("trend", "lo", "scaled level"):
        np.testing.assert_allclose(
            result[name].isel(run=0).values, frame[name].to_numpy(), rtol=1e-9, atol=1e-12
        )


def test_a_stock_integrates_the_drawn_values_exactly(batch):
    result = batch.run(n=3, seed=5, return_columns="all")
    dt = result.attrs["time_step"]
    level = result["level"].values
    uniform = result["uniform"].values
    np.testing.assert_array_equal(level[:, 1:], level[:, :-1] + uniform[:, :-1] * dt)
    # INITIAL freezes the first draw
    np.testing.assert_array_equal(result["first"].values, uniform[:, :1].repeat(level.shape[1], 1))


def test_draws_follow_pysds_distributions(batch):
    """Two-sample KS test: engine draws against pysd's own (seeded) draws."""
    from gvc_upgrading.run_checks import seeded

    long = {"final_time": 300.0}
    result = batch.run(n=4, seed=2026, return_columns=list(DRAWN), **long)
    with seeded(2026):
        frame = pysd_run(MODEL, final_time=300)
    for name in DRAWN:
        ours = result[name].values.ravel()
        columns = [c for c in frame.columns if c == name or c.startswith(f"{name}[")]
        theirs = frame[columns].to_numpy().ravel()
        assert len(ours) > 4000 and len(theirs) > 1000
        assert stats.ks_2samp(ours, theirs).pvalue > 1e-3, name
        # the truncation bounds of the model hold in both
        assert ours.min() >= theirs.min() - 0.5 and ours.max() <= theirs.max() + 0.5
    # the subscripted draw has one independent value per element
    normal = result["normal"].values
    assert not np.array_equal(normal[..., 0], normal[..., 1])


def test_uniform_bounds_follow_a_sampled_parameter(batch):
    result = batch.run({"lo": [0.0, 1.9]}, seed=1, return_columns=["uniform"])
    values = result["uniform"].values
    assert values[0].min() < 1.0  # draws below 1 only when lo is 0
    assert values[1].min() >= 1.9 and values.max() < 3.0


def test_same_seed_same_numbers_other_seed_other_numbers(batch):
    first = batch.run(n=3, seed=42, return_columns="all")
    again = batch.run(n=3, seed=42, return_columns="all")
    other = batch.run(n=3, seed=43, return_columns="all")
    for name in DRAWN:
        np.testing.assert_array_equal(first[name].values, again[name].values)
        assert not np.array_equal(first[name].values, other[name].values)
    assert first.attrs["seed"] == 42


def test_a_run_does_not_depend_on_batching(batch):
    whole = batch.run(n=7, seed=9, return_columns="all")
    chunked = batch.run(n=7, seed=9, return_columns="all", chunk_size=3)
    alone = batch.run(n=2, seed=9, return_columns="all")
    for name in (*DRAWN, "level"):
        np.testing.assert_array_equal(chunked[name].values, whole[name].values)
        np.testing.assert_array_equal(alone[name].values, whole[name].values[:2])
    # different runs get different numbers
    assert not np.array_equal(whole["uniform"].values[0], whole["uniform"].values[1])
    pytest.importorskip("dask")
    threads = batch.run(n=7, seed=9, return_columns="all", chunk_size=2, scheduler="threads")
    for name in (*DRAWN, "level"):
        np.testing.assert_array_equal(threads[name].values, whole[name].values)


def test_a_seed_is_required_and_checked(batch):
    with pytest.raises(SpecError, match="RANDOM functions"):
        batch.run(n=1)
    for bad in (-1, 2**32, 1.5, True):
        with pytest.raises(SpecError, match="seed"):
            batch.run(n=1, seed=bad)


def test_other_integrations_refuse_random_functions():
    with pytest.raises(UnsupportedConstructError, match="discontinuous"):
        compile_model(MODEL, integration="rk4")


@pytest.fixture
def random_scenarios(tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name, lo in (("baseline", 1.0), ("wide", 0.5)):
        (folder / f"{name}.toml").write_text(
            f'name = "{name}"\ndescription = "test"\ntheory = "test"\n\n'
            f'[parameters]\n"lo" = {lo}\n',
            encoding="utf-8",
        )
    return folder


@pytest.mark.parametrize("engine", ["pysd", "batch"])
def test_cli_run_seed(tmp_path, random_scenarios, engine, capsys):
    import xarray as xr

    from gvc_upgrading.cli import main

    base = ["run", "--model", str(MODEL), "--scenario-dir", str(random_scenarios)]
    base += ["--engine", engine, "--no-progress"]
    assert main([*base, "--out", str(tmp_path / "none")]) == 2
    assert "pass --seed N" in capsys.readouterr().err
    results = []
    for out in ("a", "b"):
        assert main([*base, "--seed", "7", "--out", str(tmp_path / out)]) == 0
        with xr.open_dataset(tmp_path / out / "scenarios.nc", engine="h5netcdf") as runs:
            results.append(runs.load())
    first, second = results
    assert first.attrs["seed"] == 7
    for name in DRAWN:  # the same seed: the same numbers
        np.testing.assert_array_equal(first[name].values, second[name].values)
    # every scenario runs from the seed: draws that no lever touches are common
    unit = first["unit"]
    np.testing.assert_array_equal(unit.sel(scenario="baseline"), unit.sel(scenario="wide"))
    assert not np.array_equal(
        first["uniform"].sel(scenario="baseline"), first["uniform"].sel(scenario="wide")
    )
