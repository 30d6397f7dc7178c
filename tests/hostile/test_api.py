"""Hostile values through the Python API: a clear error of the package's own type, at once."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gvc_upgrading.errors import (
    ArgumentTypeError,
    GvcError,
    ParameterRangeError,
    SimulationError,
    SpecError,
)
from gvc_upgrading.limits import ResourceLimitError
from gvc_upgrading.model import load_model
from gvc_upgrading.validation import ParameterTable

from .conftest import MODEL


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("api") / "model.mdl"
    path.write_text(MODEL, encoding="utf-8")
    return load_model(path)


@pytest.fixture(scope="module")
def random_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("api") / "random.mdl"
    path.write_text(MODEL.replace("\t0.1\n", "\tRANDOM UNIFORM(0, 0.2, 1)\n"), encoding="utf-8")
    return load_model(path)


@pytest.fixture(scope="module")
def overflowing(tmp_path_factory):
    path = tmp_path_factory.mktemp("api") / "overflow.mdl"
    text = MODEL.replace("\t0.1\n", "\t900\n").replace("1/Year [0,1]", "1/Year")
    path.write_text(text.replace("FINAL TIME  = 10", "FINAL TIME  = 200"), encoding="utf-8")
    return load_model(path)


RUN_CASES = [
    ({"final_time": "2030"}, ArgumentTypeError, "final_time must be a number"),
    ({"final_time": True}, ArgumentTypeError, "final_time must be a number"),
    ({"final_time": None, "time_step": "1"}, ArgumentTypeError, "time_step must be a number"),
    ({"final_time": 1e9}, ResourceLimitError, "exceed the cap"),
    ({"final_time": math.inf}, ParameterRangeError, "final_time"),
    ({"final_time": -3.0}, ParameterRangeError, "final_time"),
    ({"time_step": 0}, ParameterRangeError, "time_step"),
    ({"time_step": math.nan}, ParameterRangeError, "time_step"),
    ({"time_step": 1e-9}, ResourceLimitError, "exceed the cap"),
    ({"params": [("Growth", 0.5)]}, GvcError, "mapping"),
    ({"params": {"Grwth": 0.5}}, GvcError, "did you mean 'Growth'"),
    ({"params": {"Stock": 0.5}}, GvcError, "not a constant"),
    ({"params": {"Growth": math.nan}}, ParameterRangeError, "not a finite"),
    ({"params": {"Growth": "0.5"}}, ParameterRangeError, "expected a number"),
    ({"params": {"Growth": True}}, ParameterRangeError, "expected a number"),
    ({"params": {"Growth": 10**400}}, ParameterRangeError, "Growth"),
    ({"params": {"Growth": 5.0}}, ParameterRangeError, "outside its range"),
    ({"params": {7: 0.5}}, GvcError, "strings"),
    ({"on_nonfinite": "ignore"}, SpecError, "on_nonfinite"),
    ({"scenario": "../../etc/passwd"}, GvcError, "scenario"),
]


def _ids(cases: list) -> list[str]:
    return [f"{i}-{next(iter(case[0]))}" for i, case in enumerate(cases)]


@pytest.mark.parametrize(("kwargs", "error", "problem"), RUN_CASES, ids=_ids(RUN_CASES))
def test_model_run_refuses(model, kwargs, error, problem) -> None:
    with pytest.raises(error, match=problem):
        model.run(**kwargs)


def test_random_functions_need_a_seed_and_are_reproducible(random_model) -> None:
    with pytest.raises(SpecError, match="RANDOM UNIFORM"):
        random_model.run()
    for seed in (1.5, -1, 2**40, "7"):
        with pytest.raises(SpecError, match="seed"):
            random_model.run(seed=seed)
    first = random_model.run(seed=7)["Stock"].to_numpy()
    again = random_model.run(seed=7)["Stock"].to_numpy()
    other = random_model.run(seed=8)["Stock"].to_numpy()
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_both_engines_refuse_non_finite_values_by_default(overflowing) -> None:
    with pytest.raises(SimulationError, match=r"non-finite value of 'Stock'.*at time"):
        overflowing.run()
    with pytest.raises(SimulationError, match=r"non-finite value"):
        overflowing.compile().run()
    kept = overflowing.run(on_nonfinite="keep")["Stock"].to_numpy()
    assert not np.isfinite(kept[-1]) and np.isfinite(kept[0])


BATCH_CASES = [
    ({"n": 0}, "n"),
    ({"n": 1.5}, "n"),
    ({"final_time": "x"}, "final_time must be a number"),
    ({"final_time": 1e9}, "exceed the cap"),
    ({"time_step": -1.0}, "TIME STEP|time_step"),
    ({"samples": {"Growth": np.array([math.nan])}}, "finite"),
    ({"samples": {"Growth": np.array([0.1, 0.2]), "Stock": np.array([1.0, 2.0])}}, "Stock"),
    ({"return_columns": ["Stok"]}, "Stok"),
    ({"chunk_size": 0}, "chunk"),
]


@pytest.mark.parametrize(("kwargs", "problem"), BATCH_CASES, ids=_ids(BATCH_CASES))
def test_batch_run_refuses(model, kwargs, problem) -> None:
    with pytest.raises(GvcError, match=problem):
        model.compile().run(**kwargs)


def test_memory_budget_is_checked_before_allocating(model, monkeypatch) -> None:
    batch = model.compile()
    monkeypatch.setenv("GVC_UPGRADING_MEMORY_BUDGET", "1MB")
    with pytest.raises(ResourceLimitError, match=r"about .* MB of memory, more than the budget"):
        batch.run(n=100_000)
    assert batch.run(n=10)["Stock"].shape == (10, 11)  # a small ensemble still runs
    monkeypatch.setenv("GVC_UPGRADING_MEMORY_BUDGET", "lots")
    with pytest.raises(ResourceLimitError, match="GVC_UPGRADING_MEMORY_BUDGET"):
        batch.run(n=10)


def test_parameter_table_checks_and_suggests(model) -> None:
    table = ParameterTable(model.parameters, str(model.path))
    assert table.check({"Growth": 0.5}) == {"Growth": 0.5}
    assert table.suggest("grwth") == ["Growth"]
    with pytest.raises(GvcError, match="did you mean 'Growth'"):
        table.check({"Growht": 0.5})
    broken = model.parameters.copy()
    broken.loc["Growth", "default"] = 2.0
    with pytest.raises(GvcError, match="outside its range"):
        ParameterTable(broken, "m.mdl")
