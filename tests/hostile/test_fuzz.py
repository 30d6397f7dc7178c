"""Fuzz the spec readers: any text or any TOML document gives a result or a GvcError, never
another exception (a traceback for the user)."""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gvc_upgrading.calibration import load_case
from gvc_upgrading.errors import GvcError
from gvc_upgrading.io import to_toml
from gvc_upgrading.model import load_model
from gvc_upgrading.scenarios import load_scenario
from gvc_upgrading.sensitivity.spec import load_study
from gvc_upgrading.spec_checks import read_toml

from .conftest import MODEL

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

KEYS = ["name", "description", "theory", "extends", "parameters", "series", "years", "values",
        "n", "seed", "lower", "upper", "outputs", "variable", "year", "model", "time", "free",
        "targets", "data", "Growth", "Stock", "start", "end", "colour"]  # fmt: skip
scalars = (
    st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.booleans()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "model.mdl"
    path.write_text(MODEL, encoding="utf-8")
    return load_model(path)


_COUNTER = itertools.count()
_ROOT: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _root(tmp_path_factory):
    _ROOT[:] = [tmp_path_factory.mktemp("fuzz-files")]


def _written(text: str | bytes, name: str) -> Path:
    folder = _ROOT[0] / f"example-{next(_COUNTER)}"
    folder.mkdir()
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return path


def _toml(document: dict) -> str:
    try:
        return to_toml(document)
    except (TypeError, ValueError):
        return ""


@FUZZ
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_read_toml_on_any_text(text) -> None:
    with contextlib.suppress(GvcError):
        assert isinstance(read_toml(_written(text, "spec.toml")), dict)


@FUZZ
@given(documents)
def test_scenario_reader(model, document) -> None:
    path = _written(_toml(document), "fuzzed.toml")
    with contextlib.suppress(GvcError):
        load_scenario(path, model)


@FUZZ
@given(documents)
def test_study_reader(document) -> None:
    with contextlib.suppress(GvcError):
        load_study(_written(_toml(document), "study.toml"))


@FUZZ
@given(documents, st.sampled_from(["", "variable,year,value\n", "a,b\n1\n", "\x00"]))
def test_case_reader(document, data) -> None:
    folder = _written(_toml(document), "case.toml").parent
    (folder / "data.csv").write_text(data, encoding="utf-8")
    with contextlib.suppress(GvcError):
        load_case(folder)
