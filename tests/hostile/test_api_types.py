"""Wrong types through every public function: a clear error naming the argument, before any work.

Each case calls one function exported by ``gvc_upgrading`` (or a method of
its :class:`~gvc_upgrading.Model`) with one argument of the wrong type and
asserts an :class:`~gvc_upgrading.ArgumentTypeError` whose message names the
function and the argument. Simulating (pysd or the batch engine) is made to
fail the test, so the error must come before any computation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import gvc_upgrading as gvc
from gvc_upgrading.engine import batch as batch_module

from .conftest import BASELINE, MODEL


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> gvc.Model:
    path = tmp_path_factory.mktemp("types") / "model.mdl"
    path.write_text(MODEL, encoding="utf-8")
    return gvc.load_model(path)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenarios = tmp_path_factory.mktemp("types-scenarios")
    (scenarios / "baseline.toml").write_text(BASELINE, encoding="utf-8")
    return scenarios


@pytest.fixture
def no_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything is simulated."""

    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError("a simulation started before the arguments were checked")

    monkeypatch.setattr(gvc.Model, "_simulate", refuse)
    monkeypatch.setattr(batch_module, "integrate_chunk", refuse)


FRAME = pd.DataFrame({"draw": [0, 0], "csr": [0, 1], "Stock": [1.0, 2.0]})

#: (function named in the message, argument named, call taking (model, scenario folder)).
CASES: list[tuple[str, str, Callable[[gvc.Model, Path], object]]] = [
    ("load_model", "path", lambda m, f: gvc.load_model(3)),
    ("load_model", "path", lambda m, f: gvc.load_model([str(m.path)])),
    ("Model.run", "final_time", lambda m, f: m.run(final_time="2030")),
    ("Model.run", "time_step", lambda m, f: m.run(time_step=True)),
    ("Model.run", "check_bounds", lambda m, f: m.run(check_bounds="no")),
    ("Model.run", "on_nonfinite", lambda m, f: m.run(on_nonfinite="ignore")),
    ("Model.run", "on_nonfinite", lambda m, f: m.run(on_nonfinite=False)),
    ("Model.run", "return_columns", lambda m, f: m.run(return_columns=5)),
    ("Model.run", "return_columns", lambda m, f: m.run(return_columns=[1])),
    ("Model.run", "scenario", lambda m, f: m.run(scenario=3)),
    ("Model.run", "params", lambda m, f: m.run(params=[("Growth", 0.2)])),
    ("Model.overrides", "check_bounds", lambda m, f: m.overrides(check_bounds=None)),
    ("Model.overrides", "scenario", lambda m, f: m.overrides(scenario=1.5)),
    ("BatchModel.run", "progress", lambda m, f: m.compile().run(progress="yes")),
    ("BatchModel.run", "n", lambda m, f: m.compile().run(n=True)),
    ("BatchModel.run", "chunk_size", lambda m, f: m.compile().run(chunk_size=2.0)),
    ("BatchModel.run", "scheduler", lambda m, f: m.compile().run(scheduler=3)),
    ("BatchModel.run", "out", lambda m, f: m.compile().run(out=5)),
    ("BatchModel.run", "check_bounds", lambda m, f: m.compile().run(check_bounds="no")),
    ("BatchModel.run", "return_timestamps", lambda m, f: m.compile().run(return_timestamps="5")),
    ("BatchModel.run", "final_time", lambda m, f: m.compile().run(final_time="9")),
    ("BatchModel.run", "on_nonfinite", lambda m, f: m.compile().run(on_nonfinite=None)),
    ("list_scenarios", "directory", lambda m, f: gvc.list_scenarios(3)),
    ("load_scenario", "name_or_path", lambda m, f: gvc.load_scenario(3)),
    ("load_scenario", "model", lambda m, f: gvc.load_scenario("baseline", str(m.path))),
    ("load_scenario", "directory", lambda m, f: gvc.load_scenario("baseline", directory=1.5)),
    ("Scenario", "name", lambda m, f: gvc.Scenario(name=3, description="", theory="")),
    ("Scenario", "parameters", lambda m, f: gvc.Scenario("s", "", "", parameters=[1])),
    ("Scenario", "start", lambda m, f: gvc.Scenario("s", "", "", start="2020")),
    ("Scenario", "path", lambda m, f: gvc.Scenario("s", "", "", path=7)),
    ("compare", "model", lambda m, f: gvc.compare(str(m.path), directory=f)),
    ("compare", "progress", lambda m, f: gvc.compare(m, directory=f, progress="yes")),
    ("compare", "names", lambda m, f: gvc.compare(m, "baseline", directory=f)),
    ("compare", "outcomes", lambda m, f: gvc.compare(m, directory=f, outcomes="Stock")),
    ("compare", "singles", lambda m, f: gvc.compare(m, directory=f, singles=None)),
    ("compare", "engine", lambda m, f: gvc.compare(m, directory=f, engine="fast")),
    ("compare", "interactions", lambda m, f: gvc.compare(m, directory=f, interactions=1)),
    ("compare", "directory", lambda m, f: gvc.compare(m, directory=3)),
    ("compare", "baseline", lambda m, f: gvc.compare(m, directory=f, baseline=None)),
    ("run_factorial", "model", lambda m, f: gvc.run_factorial(None)),
    ("run_factorial", "paths", lambda m, f: gvc.run_factorial(m, paths="csr")),
    ("run_factorial", "year", lambda m, f: gvc.run_factorial(m, year="2035")),
    ("run_factorial", "draws", lambda m, f: gvc.run_factorial(m, draws={"Growth": 1})),
    ("run_factorial", "directory", lambda m, f: gvc.run_factorial(m, directory=3)),
    ("effects", "table", lambda m, f: gvc.effects(FRAME.to_dict())),
    ("effects", "order", lambda m, f: gvc.effects(FRAME, order=1.5)),
    ("effects", "order", lambda m, f: gvc.effects(FRAME, order=True)),
    ("effects_table", "effect_frame", lambda m, f: gvc.effects_table("effects")),
    ("effects_table", "order", lambda m, f: gvc.effects_table(FRAME, order="2")),
    ("effects_table", "outcomes", lambda m, f: gvc.effects_table(FRAME, outcomes="Stock")),
    ("behaviour_shares", "model", lambda m, f: gvc.behaviour_shares("m.mdl", 4, 1)),
    ("behaviour_shares", "n", lambda m, f: gvc.behaviour_shares(m, n=True, seed=1)),
    ("behaviour_shares", "n", lambda m, f: gvc.behaviour_shares(m, n=10.0, seed=1)),
    ("behaviour_shares", "seed", lambda m, f: gvc.behaviour_shares(m, n=4, seed=1.5)),
    ("behaviour_shares", "seed", lambda m, f: gvc.behaviour_shares(m, n=4, seed="1")),
    (
        "compile_model",
        "parameters",
        lambda m, f: batch_module.compile_model(m, parameters={"a": 1}),
    ),
    ("compile_model", "integration", lambda m, f: batch_module.compile_model(m, integration=4)),
]


@pytest.mark.parametrize(
    ("function", "argument", "call"),
    CASES,
    ids=[f"{i}-{function}-{argument}" for i, (function, argument, _) in enumerate(CASES)],
)
def test_wrong_type_is_refused_naming_the_argument(
    model: gvc.Model, folder: Path, no_runs: None, function: str, argument: str, call: Any
) -> None:
    with pytest.raises(gvc.ArgumentTypeError, match=rf"^{function}: {argument} must be ") as info:
        call(model, folder)
    assert isinstance(info.value, TypeError) and isinstance(info.value, gvc.SpecError)
    assert " got " in str(info.value)


def test_every_public_function_has_a_wrong_type_case() -> None:
    """Adding a public function without a case here fails."""
    functions = {
        name
        for name in gvc.__all__
        if callable(getattr(gvc, name)) and not isinstance(getattr(gvc, name), type)
    }
    covered = {function for function, _, _ in CASES}
    assert functions | {"Model.run", "Model.overrides", "BatchModel.run", "Scenario"} <= covered


def test_right_types_still_run(model: gvc.Model, folder: Path) -> None:
    """NumPy scalars and path objects are accepted where Python numbers and strings are."""
    import numpy as np

    run = model.run(final_time=np.float64(5), time_step=np.int64(1), return_columns="Stock")
    assert float(run["time"][-1]) == 5.0
    batch = model.compile().run(n=np.int64(2), progress=False, return_timestamps=[1.0, 2.0])
    assert batch["Stock"].shape == (2, 2)
    assert [s.name for s in gvc.list_scenarios(folder)] == ["baseline"]
