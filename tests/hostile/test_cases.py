"""Hostile calibration cases and data files: one-line errors before any fitting."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from .conftest import Sandbox

LOGISTIC = Path(__file__).resolve().parents[1] / "calibration" / "data" / "logistic.mdl"

CASE = """name = "{name}"
model = "{model}"

[time]
start = 1995
end = 2030

[[targets]]
name = "exports"
model = "Exports"
transform = "log"
error = {{ model = "relative", cv = 0.05 }}
data = [{{ variable = "exports_usd_m", scale = 0.001 }}]

[free."Growth rate"]
lower = 0.05
upper = 0.6
"""

HEAD = "variable,year,value,unit,verified,source\n"


def _data() -> str:
    rows = [
        f"exports_usd_m,{year},{1000 * math.exp(0.2 * (year - 1995)) / 30:.4f},u,yes,synthetic"
        for year in range(1996, 2025)
    ]
    return HEAD + "\n".join(rows) + "\n"


def _case(sandbox: Sandbox, folder: str = "case", *, toml: str | None = None,
          data: str | bytes | None = None, name: str = "synthetic") -> Path:  # fmt: skip
    model = sandbox.root / "logistic.mdl"
    if not model.exists():
        shutil.copyfile(LOGISTIC, model)
    text = toml if toml is not None else CASE
    sandbox.write(f"{folder}/case.toml", text.format(name=name, model=model.as_posix()))
    if data is not None or not (sandbox.root / folder / "data.csv").exists():
        sandbox.write(f"{folder}/data.csv", _data() if data is None else data)
    return sandbox.root / folder


def _calibrate(sandbox: Sandbox, target: Path) -> list[str]:
    return ["calibrate", str(target), "--out", str(sandbox.out), "--bootstrap", "0",
            "--n-starts", "1", "--no-profile", "--no-progress"]  # fmt: skip


#: (id, case.toml, data.csv, expected problem); None keeps the valid one.
CASES = [
    ("name_parent_traversal", None, None, "../escape", r"case name '\.\./escape'"),
    ("name_absolute", None, None, "/tmp/escape", r"case name '/tmp/escape'"),
    ("name_with_newline", None, None, "a\\nb", r"case name|control"),
    ("name_with_space", None, None, "my case", r"case name 'my case'"),
    ("unknown_key", CASE + "colour = 1\n", None, "synthetic", r"unknown key.*colour"),
    (
        "unknown_free_parameter",
        CASE.replace('"Growth rate"', '"Growth rat"'),
        None,
        "synthetic",
        r"Growth rat",
    ),
    (
        "empty_free_range",
        CASE.replace("upper = 0.6", "upper = 0.05"),
        None,
        "synthetic",
        r"lower|upper|range",
    ),
    (
        "inverted_free_range",
        CASE.replace("upper = 0.6", "upper = 0.01"),
        None,
        "synthetic",
        r"lower|upper|range",
    ),
    (
        "free_range_nan",
        CASE.replace("upper = 0.6", "upper = nan"),
        None,
        "synthetic",
        r"finite|upper|nan",
    ),
    (
        "free_bound_string",
        CASE.replace("upper = 0.6", 'upper = "0.6"'),
        None,
        "synthetic",
        r"upper",
    ),
    (
        "unknown_model_variable",
        CASE.replace('model = "Exports"', 'model = "Exprots"'),
        None,
        "synthetic",
        r"Exprots",
    ),
    (
        "time_inverted",
        CASE.replace("end = 2030", "end = 1990"),
        None,
        "synthetic",
        r"start|end|time",
    ),
    ("toml_syntax", CASE + "[free\n", None, "synthetic", r"not valid TOML"),
    (
        "toml_control_character",
        CASE.replace('name = "exports"', 'name = "ex\\u0007"'),
        None,
        "synthetic",
        r"control",
    ),
    ("data_empty_file", None, "", "synthetic", r"data\.csv"),
    ("data_header_only", None, HEAD, "synthetic", r"data\.csv|no observation|empty"),
    (
        "data_missing_column",
        None,
        "variable,year,value\nexports_usd_m,2000,1\n",
        "synthetic",
        r"missing column",
    ),
    ("data_nan_value", None, HEAD + "exports_usd_m,2000,nan,u,yes,s\n", "synthetic", r"value"),
    (
        "data_text_value",
        None,
        HEAD + "exports_usd_m,2000,lots,u,yes,s\n",
        "synthetic",
        r"value|lots",
    ),
    (
        "data_year_text",
        None,
        HEAD + "exports_usd_m,FY2000,1,u,yes,s\n",
        "synthetic",
        r"year|FY2000",
    ),
    (
        "data_duplicate_row",
        None,
        _data() + "exports_usd_m,2000,1,u,yes,s\n",
        "synthetic",
        r"duplicate",
    ),
    (
        "data_not_utf8",
        None,
        b"variable,year,value,unit,verified,source\n\xff\xfe,1,1,u,yes,s\n",
        "synthetic",
        r"data\.csv|UTF|decode",
    ),
    ("data_binary", None, b"\x00\x01\x02\x03", "synthetic", r"data\.csv"),
    (
        "data_inf_value",
        None,
        HEAD + "exports_usd_m,2000,inf,u,yes,s\n",
        "synthetic",
        r"value|inf|finite",
    ),
    (
        "data_outside_time_span",
        None,
        HEAD + "exports_usd_m,2500,1,u,yes,s\n",
        "synthetic",
        r"2500|time span|outside",
    ),
    (
        "data_bad_verified",
        None,
        HEAD + "exports_usd_m,2000,1,u,maybe,s\n",
        "synthetic",
        r"verified",
    ),
]


@pytest.mark.parametrize(("toml", "data", "name", "problem"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_hostile_case(sandbox: Sandbox, capsys, toml, data, name, problem) -> None:
    folder = _case(sandbox, toml=toml, data=data, name=name)
    sandbox.refuses(_calibrate(sandbox, folder), problem, capsys)
    assert not sandbox.out.exists()
    assert not (sandbox.root.parent / "escape").exists()


def test_missing_data_file(sandbox: Sandbox, capsys) -> None:
    folder = _case(sandbox)
    (folder / "data.csv").unlink()
    sandbox.refuses(_calibrate(sandbox, folder), r"data\.csv", capsys)


def test_data_file_is_a_symlink_to_a_folder(sandbox: Sandbox, capsys) -> None:
    folder = _case(sandbox)
    (folder / "data.csv").unlink()
    (folder / "data.csv").symlink_to(sandbox.root)
    sandbox.refuses(_calibrate(sandbox, folder), r"data\.csv", capsys)


def test_two_cases_with_one_name(sandbox: Sandbox, capsys) -> None:
    _case(sandbox, "cases/a")
    _case(sandbox, "cases/b")
    sandbox.refuses(_calibrate(sandbox, sandbox.root / "cases"), r"two cases are named", capsys)


def test_folder_without_cases(sandbox: Sandbox, capsys) -> None:
    (sandbox.root / "empty").mkdir()
    sandbox.refuses(_calibrate(sandbox, sandbox.root / "empty"), r"no case folder", capsys)


@pytest.mark.parametrize(
    ("flag", "value", "problem"),
    [("--bootstrap", "-1", "bootstrap"), ("--seed", "-3", "seed"),
     ("--seed", str(2**70), "seed"), ("--n-starts", "0", "n-starts"),
     ("--holdout-from", "nan", "holdout"), ("--holdout-from", "2100", "no observation")],
)  # fmt: skip
def test_bad_calibrate_arguments(sandbox: Sandbox, capsys, flag, value, problem) -> None:
    folder = _case(sandbox)
    sandbox.refuses([*_calibrate(sandbox, folder), flag, value], problem, capsys)
