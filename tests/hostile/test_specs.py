"""Hostile scenario, study and case specs: one-line errors naming file and key, before any run."""

from __future__ import annotations

import pytest

from .conftest import Sandbox

HEADER = 'name = "bad"\ndescription = "d"\ntheory = "t"\n'

#: (id, text of scenarios/bad.toml, expected problem)
SCENARIOS = [
    ("unknown_key", HEADER + "colour = 1\n", r"bad\.toml.*unknown key.*colour"),
    (
        "unknown_parameter",
        HEADER + '[parameters]\n"Grwth" = 0.5\n',
        r"unknown parameter 'Grwth'.*did you mean 'Growth'",
    ),
    ("variable_not_constant", HEADER + '[parameters]\n"Stock" = 0.5\n', r"'Stock'"),
    ("out_of_range", HEADER + '[parameters]\n"Growth" = 5.0\n', r"outside its range"),
    ("nan", HEADER + '[parameters]\n"Growth" = nan\n', r"finite"),
    ("inf", HEADER + '[parameters]\n"Growth" = inf\n', r"finite"),
    (
        "string_value",
        HEADER + '[parameters]\n"Growth" = "0.5"\n',
        r"'Growth'.*number|number.*'Growth'",
    ),
    ("bool_value", HEADER + '[parameters]\n"Growth" = true\n', r"'Growth'"),
    ("list_value", HEADER + '[parameters]\n"Growth" = [0.5]\n', r"'Growth'"),
    ("parameters_not_table", HEADER + "parameters = 5\n", r"parameters"),
    ("syntax_error", HEADER + "[parameters\n", r"TOML syntax error"),
    (
        "control_character",
        'name = "bad"\ndescription = "d\\u0007"\ntheory = "t"\n',
        r"control character",
    ),
    ("control_in_key", HEADER + '[parameters]\n"Gro\\u0000wth" = 0.5\n', r"control character"),
    ("not_utf8", b'name = "bad\xff"\n', r"not UTF-8"),
    ("empty", "", r"bad\.toml"),
    ("name_mismatch", HEADER.replace('"bad"', '"other"'), r"other|bad"),
    ("extends_unknown", HEADER + 'extends = "nowhere"\n', r"nowhere"),
    ("extends_itself", HEADER + 'extends = "bad"\n', r"bad"),
    (
        "series_unequal",
        HEADER + '[series."Growth"]\nyears = [0, 5]\nvalues = [0.1]\n',
        r"'values' has 1",
    ),
    (
        "series_unknown_key",
        HEADER + '[series."Growth"]\nyears = [0]\nvalues = [0.1]\nstep = 1\n',
        r"unknown key",
    ),
    (
        "series_decreasing",
        HEADER + '[series."Growth"]\nyears = [5, 0]\nvalues = [0.1, 0.2]\n',
        r"increasing",
    ),
    ("series_nan", HEADER + '[series."Growth"]\nyears = [0, 5]\nvalues = [0.1, nan]\n', r"finite"),
    ("series_empty", HEADER + '[series."Growth"]\nyears = []\nvalues = []\n', r"empty|Growth"),
]


@pytest.mark.parametrize(
    ("text", "problem"), [c[1:] for c in SCENARIOS], ids=[c[0] for c in SCENARIOS]
)
def test_hostile_scenario_file(sandbox: Sandbox, capsys, text, problem) -> None:
    (sandbox.scenarios / "bad.toml").write_bytes(
        text if isinstance(text, bytes) else text.encode()
    )
    sandbox.refuses(sandbox.run_args("--scenario", "bad"), problem, capsys)
    assert not sandbox.out.exists()


def test_scenario_too_large(sandbox: Sandbox, capsys) -> None:
    (sandbox.scenarios / "bad.toml").write_text(HEADER + "#" * 5_000_000 + "\n", encoding="utf-8")
    sandbox.refuses(sandbox.run_args("--scenario", "bad"), r"bytes, more than", capsys)


def test_unknown_scenario_name(sandbox: Sandbox, capsys) -> None:
    sandbox.refuses(sandbox.run_args("--scenario", "../model"), r"scenario", capsys)


def test_missing_scenario_folder(sandbox: Sandbox, capsys) -> None:
    """``--scenario-dir`` on a missing folder is refused by the argument parser (exit 2)."""
    from gvc_upgrading.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["scenarios", "--scenario-dir", str(sandbox.root / "missing")])
    assert stopped.value.code == 2
    assert "is not an existing folder" in capsys.readouterr().err


STUDY = """name = "bad"
model = "model.mdl"
n = 8
seed = 1
scenario = "baseline"

[[parameters]]
name = "Growth"
lower = 0.0
upper = 0.5

[[outputs]]
name = "stock"
variable = "Stock"
year = 10
"""

#: (id, text of study.toml, expected problem)
STUDIES = [
    ("unknown_key", STUDY + "colour = 1\n", r"unknown key|colour"),
    ("parameter_unknown_key", STUDY.replace("upper = 0.5", "upper = 0.5\nhigh = 1"), r"'high'"),
    ("empty_range", STUDY.replace("upper = 0.5", "upper = 0.0"), r"lower|upper|range"),
    ("inverted_range", STUDY.replace("lower = 0.0", "lower = 0.9"), r"lower|upper|range"),
    ("nan_bound", STUDY.replace("upper = 0.5", "upper = nan"), r"finite|upper"),
    ("n_not_power_of_two", STUDY.replace("n = 8", "n = 7"), r"power of two|n"),
    ("n_string", STUDY.replace("n = 8", 'n = "8"'), r"(?i)\bn\b"),
    ("n_negative", STUDY.replace("n = 8", "n = -8"), r"(?i)\bn\b"),
    ("seed_negative", STUDY.replace("seed = 1", "seed = -1"), r"seed"),
    ("seed_huge", STUDY.replace("seed = 1", "seed = 99999999999999999999"), r"seed|TOML"),
    ("seed_float", STUDY.replace("seed = 1", "seed = 1.5"), r"seed"),
    (
        "no_parameters",
        STUDY.split("[[parameters]]")[0] + STUDY.split("upper = 0.5\n")[1],
        r"parameters",
    ),
    ("no_outputs", STUDY.split("[[outputs]]")[0], r"outputs"),
    ("syntax_error", STUDY + "[[parameters\n", r"not valid TOML"),
    ("control_character", STUDY.replace('name = "bad"', 'name = "b\\u0001ad"'), r"control"),
    (
        "duplicate_parameter",
        STUDY + '\n[[parameters]]\nname = "Growth"\nlower = 0\nupper = 1\n',
        r"Growth|twice|duplicate",
    ),
]


@pytest.mark.parametrize(
    ("text", "problem"), [c[1:] for c in STUDIES], ids=[c[0] for c in STUDIES]
)
def test_hostile_study_file(sandbox: Sandbox, capsys, text, problem) -> None:
    study = sandbox.write("study.toml", text)
    argv = ["sensitivity", str(study), "--out", str(sandbox.out), "--no-progress"]
    sandbox.refuses(argv, problem, capsys)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (STUDY.replace('name = "Growth"', 'name = "Grwth"'), r"Grwth.*Growth"),
        (STUDY.replace('variable = "Stock"', 'variable = "Stok"'), r"Stok"),
        (STUDY.replace("upper = 0.5", "upper = 5"), r"Growth.*range|range.*Growth|outside"),
        (STUDY.replace("year = 10", "year = 3000"), r"3000"),
    ],
    ids=["unknown_parameter", "unknown_variable", "range_past_model_bounds", "year_outside_run"],
)
def test_study_that_does_not_fit_its_model(sandbox: Sandbox, capsys, text, problem) -> None:
    study = sandbox.write("study.toml", text)
    argv = ["sensitivity", str(study), "--out", str(sandbox.out), "--no-progress"]
    sandbox.refuses(argv, problem, capsys)
    assert not [p for p in sandbox.out.rglob("*") if p.is_file() and p.name.endswith(".nc")]


def test_missing_study_file(sandbox: Sandbox, capsys) -> None:
    argv = ["sensitivity", str(sandbox.root / "nowhere.toml"), "--out", str(sandbox.out)]
    sandbox.refuses(argv, r"does not exist", capsys)


def test_study_too_large_for_the_memory_budget(sandbox: Sandbox, capsys, monkeypatch) -> None:
    monkeypatch.setenv("GVC_UPGRADING_MEMORY_BUDGET", "10MB")
    study = sandbox.write("study.toml", STUDY.replace("n = 8", "n = 1048576"))
    argv = ["sensitivity", str(study), "--out", str(sandbox.out), "--no-progress"]
    sandbox.refuses(argv, r"would need about .* MB of memory, more than the budget", capsys)
    assert not sandbox.out.exists()
