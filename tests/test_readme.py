"""The README stays true: its quickstart, its CLI lines and its Python example work."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from gvc_upgrading.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")


def _blocks(language: str, text: str = README) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def _quickstart() -> list[str]:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = _blocks("bash", section)
    assert len(blocks) == 1, "the quickstart holds one bash block"
    return [line for line in blocks[0].splitlines() if line.strip()]


def test_quickstart_is_two_commands_and_ci_runs_the_second() -> None:
    """Exactly two command lines: the report, then the test suite (run verbatim by CI)."""
    first, second = _quickstart()
    assert "gvc-upgrading report" in first and "pip install ." in first
    assert "pytest" in second and '".[test]"' in second
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert second in ci


def test_first_quickstart_command_is_a_valid_invocation() -> None:
    """The report command of the quickstart parses with the installed CLI."""
    first = _quickstart()[0]
    words = shlex.split(first.split("&&")[-1])
    assert words[0].endswith("gvc-upgrading")
    args = build_parser().parse_args(words[1:])
    assert args.command == "report"


def test_every_cli_line_in_the_readme_parses() -> None:
    """Each ``gvc-upgrading`` line of the command-line section is a valid invocation."""
    section = README.split("## The command line", 1)[1].split("\n## ", 1)[0]
    lines = [
        line.split("#", 1)[0].strip()
        for block in _blocks("", section)
        for line in block.splitlines()
        if line.startswith("gvc-upgrading")
    ]
    assert len(lines) >= 5
    parser = build_parser()
    for line in lines:
        parser.parse_args(shlex.split(line)[1:])


def test_python_examples_run(tmp_path: Path) -> None:
    """The Python examples of the README run as written (from a checkout's top level)."""
    (tmp_path / "sensitivity").symlink_to(ROOT / "sensitivity")
    code = "\n".join(_blocks("python"))
    assert "load_model" in code and "calibrate" in code and "build_report" in code
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        namespace: dict[str, object] = {}
        exec(compile(code, "README.md", "exec"), namespace)  # the project's own README
    finally:
        os.chdir(previous)
    assert (tmp_path / "report" / "report.html").is_file()


@pytest.mark.parametrize("path", ["models", "calibration", "sensitivity", "notebooks", "tests"])
def test_required_top_level_exists(path: str) -> None:
    assert (ROOT / path).is_dir()
