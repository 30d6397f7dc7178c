"""``gvc-upgrading explore``: writes its files; refuses bad input before running."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gvc_upgrading.cli import build_parser, main
from gvc_upgrading.exploration import load_findings

SPEC = """
name = "tiny"
n = 12
seed = 1
policies = ["baseline", "public"]
[classes]
reference = "baseline"
[prim]
max_runs = 100
[feature_scoring]
max_runs = 100
trees = 10
[[uncertainties]]
name = "Frontier productivity growth"
lower = 0.01
upper = 0.05
[[uncertainties]]
name = "Living cost growth"
lower = 0.02
upper = 0.06
"""


def test_explore_is_a_command() -> None:
    args = build_parser().parse_args(["explore", "study.toml", "--out", "x", "--n", "10"])
    assert args.command == "explore" and args.n == 10


def test_explore_writes_tables_figures_and_findings(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "tiny.toml"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    code = main(["explore", str(spec), "--out", str(out), "--no-progress", "--no-netcdf"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "12 futures × 2 policies = 24 runs" in printed
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        ".gvc-upgrading-output.json",  # the output-folder marker: lists what the tool wrote
        "figures/class_shares.png",
        "figures/prim_tradeoff.png",
        "findings.json",
        "tables/feature_scores.csv",
        "tables/prim_box.csv",
        "tables/prim_trajectory.csv",
        "tables/robustness.csv",
    ]
    findings = load_findings(out)
    assert findings.n == 12 and set(findings.shares) == {"baseline", "public"}
    assert json.loads((out / "findings.json").read_text())["study"] == "tiny"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SPEC.replace("Living cost growth", "Living costs growth"), "did you mean"),
        (SPEC.replace('"public"]', '"publik"]'), "unknown scenario 'publik'"),
        (SPEC.replace("n = 12", "n = 1"), "'n' must be a whole number"),
    ],
)
def test_bad_specs_exit_2_and_write_nothing(tmp_path: Path, capsys, text, message) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    out = tmp_path / "out"
    assert main(["explore", str(spec), "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not any(p.is_file() for p in out.rglob("*"))


def test_a_missing_parent_folder_is_refused(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "tiny.toml"
    spec.write_text(SPEC)
    assert main(["explore", str(spec), "--out", str(tmp_path / "no" / "out")]) == 2
    assert "parent" in capsys.readouterr().err
