"""A construct the engine does not support is refused at compile time, by name."""

from __future__ import annotations

import pytest

from gvc_upgrading.engine import compile_model
from gvc_upgrading.errors import UnsupportedConstructError

from .reference import write_model

CASES = [
    (
        "VECTOR SELECT without a '!' subscript",
        "Picked",
        "Picked = VECTOR SELECT(a, b, 0, 0, 0) ~ dmnl ~ |\na = 1 ~ dmnl ~ |\nb = 2 ~ dmnl ~ |",
    ),
    (
        "GET TIME VALUE",
        "Clock",
        "Clock = GET TIME VALUE(2, 0, 1) ~ Year ~ |",
    ),
    (
        "the same subscript range twice in one variable",
        "matrix",
        "A: a1, a2 ~~|\nmatrix[A, A] = 1, 2; 3, 4; ~ dmnl ~ |",
    ),
    (
        "INITIAL TIME that depends on a stock",
        "INITIAL TIME",
        "Stock = INTEG(1, 0) ~ dmnl ~ |\nINITIAL TIME = MIN(Stock, Time) ~ Year ~ |",
    ),
    (
        "subscript mapping with an element list",
        "A",
        "A: a1, a2 -> (B: b2, b1) ~~|\nB: b1, b2 ~~|\nx[B] = Time ~ dmnl ~ |",
    ),
    (
        "subscript mapping",
        "Region",
        "Region: north, south -> Zone ~ ~ |\nZone: a, b, c ~ ~ |\nLevel[Region] = 1 ~ dmnl ~ |",
    ),
]


@pytest.mark.parametrize(("construct", "variable", "equations"), CASES, ids=[c[0] for c in CASES])
def test_unsupported_construct_is_named(tmp_path, construct, variable, equations):
    path = write_model(tmp_path, equations)
    if "INITIAL TIME" in equations:  # replace the default INITIAL TIME line
        text = path.read_text(encoding="utf-8").replace("INITIAL TIME = 0 ~ Year ~ |\n", "")
        path.write_text(text, encoding="utf-8")
    with pytest.raises(UnsupportedConstructError) as caught:
        compile_model(path)
    assert caught.value.construct == construct
    assert caught.value.variable == variable
    assert construct in str(caught.value) and variable in str(caught.value)


def test_changing_control_variables_need_euler_and_no_random_draws(tmp_path):
    """RK4 and solve_ivp need a grid fixed before the run; RANDOM draws a clock shared by runs."""
    path = write_model(tmp_path, "x = Time ~ dmnl ~ |", final="IF THEN ELSE(x > 5, Time, 10)")
    compile_model(path)  # fine with Euler
    for integration in ("rk4", "solve_ivp"):
        with pytest.raises(UnsupportedConstructError, match="changes during the run") as caught:
            compile_model(path, integration=integration)
        assert caught.value.variable == "FINAL TIME"
    path = write_model(
        tmp_path, "u = RANDOM UNIFORM(0, 1, 0) ~ dmnl ~ |", step="IF THEN ELSE(Time < 2, 0.5, 1)"
    )
    with pytest.raises(UnsupportedConstructError, match="RANDOM functions with a control") as c:
        compile_model(path)
    assert c.value.variable == "u" and "TIME STEP" in str(c.value)


def test_variable_order_of_smooth_n_is_refused(tmp_path):
    path = write_model(tmp_path, "x = SMOOTH N(Time, 2, 0, Time) ~ dmnl ~ |")
    with pytest.raises(UnsupportedConstructError, match="SMOOTH N with a variable order"):
        compile_model(path)


def test_rk4_refuses_discrete_states(tmp_path):
    path = write_model(tmp_path, "x = DELAY FIXED(Time, 1, 0) ~ dmnl ~ |")
    compile_model(path)  # fine with Euler
    with pytest.raises(UnsupportedConstructError, match="fixed delay"):
        compile_model(path, integration="rk4")


def test_algebraic_loop_is_reported_at_compile_time(tmp_path):
    from gvc_upgrading.errors import ModelFileError

    path = write_model(tmp_path, "a = b + 1 ~ dmnl ~ |\nb = a * 2 ~ dmnl ~ |")
    with pytest.raises(ModelFileError, match="circular definition"):
        compile_model(path)


def test_missing_external_data_file_is_named(tmp_path):
    from gvc_upgrading.errors import ModelFileError

    equations = "Observed := GET DIRECT DATA('data.csv', ',', 'A', 'B2') ~ dmnl ~ |"
    path = write_model(tmp_path, equations)
    with pytest.raises(ModelFileError, match=r"(?s)'Observed'.*data\.csv.*not found"):
        compile_model(path)


def test_external_data_resolve_relative_to_the_model_not_the_working_directory(
    tmp_path, monkeypatch
):
    from .reference import MODELS, assert_matches_pysd, pysd_run

    path = MODELS / "constructs" / "get_direct_data.mdl"
    monkeypatch.chdir(tmp_path)  # neither the model's folder nor the repository
    result = compile_model(path).run()
    assert_matches_pysd(result, pysd_run(path))


def test_translating_a_range_copy_leaves_later_models_alone(tmp_path):
    from gvc_upgrading.translation import translate

    # pysd's builder appends the copied range to a mapping list; it must not
    # reach the ranges of a model parsed afterwards in the same process
    translate(write_model(tmp_path, "A: a1, a2 ~~|\nB <-> A ~~|\nx[B] = 1 ~~|", name="copy"))
    other = write_model(tmp_path, "C: c1, c2, c3 ~~|\nD <-> C ~~|\ny[D] = Time ~~|", name="other")
    assert compile_model(other).run()["y"].shape[-1] == 3
