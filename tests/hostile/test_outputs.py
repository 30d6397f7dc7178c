"""Hostile output folders: writes stay inside --out; files the tool did not make are kept."""

from __future__ import annotations

import os
import sys

import pytest

from gvc_upgrading.outdir import MARKER, OutputFolder, OutputFolderError, part_path

from .conftest import Sandbox, snapshot


def _user_folder(sandbox: Sandbox) -> None:
    sandbox.out.mkdir()
    (sandbox.out / "notes.txt").write_text("mine", encoding="utf-8")


def _user_file_named_like_an_output(sandbox: Sandbox) -> None:
    OutputFolder.prepare(sandbox.out)  # a folder the tool made...
    (sandbox.out / "scenarios.csv").write_text("mine", encoding="utf-8")  # ...with a user file


def _out_is_a_file(sandbox: Sandbox) -> None:
    sandbox.out.write_text("mine", encoding="utf-8")


def _out_is_a_symlink(sandbox: Sandbox) -> None:
    target = sandbox.root / "elsewhere"
    target.mkdir()
    sandbox.out.symlink_to(target)


def _damaged_marker(sandbox: Sandbox) -> None:
    sandbox.out.mkdir()
    (sandbox.out / MARKER).write_text("{not json", encoding="utf-8")


def _foreign_marker(sandbox: Sandbox) -> None:
    sandbox.out.mkdir()
    (sandbox.out / MARKER).write_text('{"tool": "other", "files": []}', encoding="utf-8")


def _marker_lists_traversal(sandbox: Sandbox) -> None:
    sandbox.out.mkdir()
    (sandbox.out / MARKER).write_text(
        '{"tool": "gvc-upgrading", "files": ["../model.mdl"]}', encoding="utf-8"
    )


def _output_name_is_a_symlink(sandbox: Sandbox) -> None:
    OutputFolder.prepare(sandbox.out)
    (sandbox.out / "scenarios.nc").symlink_to(sandbox.model)


def _output_name_is_a_folder(sandbox: Sandbox) -> None:
    OutputFolder.prepare(sandbox.out)
    (sandbox.out / "scenarios.nc").mkdir()


def _read_only(sandbox: Sandbox) -> None:
    sandbox.out.mkdir()
    sandbox.out.chmod(0o500)


SETUPS = {
    "non_empty_user_folder": (_user_folder, "not empty and was not made by gvc-upgrading"),
    "user_file_with_an_output_name": (_user_file_named_like_an_output, "not written by"),
    "out_is_a_file": (_out_is_a_file, "not a folder"),
    "out_is_a_symlink": (_out_is_a_symlink, "symbolic link"),
    "damaged_marker": (_damaged_marker, "damaged"),
    "foreign_marker": (_foreign_marker, "damaged"),
    "marker_lists_traversal": (_marker_lists_traversal, "damaged|plain name"),
    "output_name_is_a_symlink": (_output_name_is_a_symlink, "refusing to replace"),
    "output_name_is_a_folder": (_output_name_is_a_folder, "refusing to replace"),
}
if hasattr(os, "geteuid") and os.geteuid() != 0:  # root writes anywhere
    SETUPS["read_only_folder"] = (_read_only, "not writable")


@pytest.mark.parametrize(("setup", "problem"), SETUPS.values(), ids=SETUPS.keys())
def test_run_refuses_the_output_folder(sandbox: Sandbox, capsys, setup, problem) -> None:
    setup(sandbox)
    try:
        # the out folder existed before: nothing in it may change either
        sandbox.refuses(sandbox.run_args(), problem, capsys, out=sandbox.root / "nowhere")
    finally:
        if sandbox.out.is_dir() and not sandbox.out.is_symlink():
            sandbox.out.chmod(0o700)
    assert not (sandbox.root / "elsewhere").exists() or not any(
        (sandbox.root / "elsewhere").iterdir()
    )


def test_parent_folder_missing(sandbox: Sandbox, capsys) -> None:
    argv = sandbox.run_args()
    argv[argv.index("--out") + 1] = str(sandbox.root / "missing" / "out")
    sandbox.refuses(argv, "parent .* does not exist", capsys)


def test_out_dot_in_a_folder_of_user_files(sandbox: Sandbox, capsys) -> None:
    argv = sandbox.run_args()
    argv[argv.index("--out") + 1] = "."
    sandbox.refuses(argv, "not empty", capsys, out=sandbox.root / "nowhere")


def test_out_with_control_characters(sandbox: Sandbox, capsys) -> None:
    argv = sandbox.run_args()
    argv[argv.index("--out") + 1] = str(sandbox.root / "out\nx")
    sandbox.refuses(argv, "control characters", capsys)


@pytest.mark.parametrize(
    "name",
    ["../escape.csv", "/tmp/escape.csv", "a/../../escape.csv", "", ".hidden", "a\nb.csv",
     "x.csv.123.part", MARKER, "a\\b.csv", "sub/../x.csv", "con\x00.csv"],
)  # fmt: skip
def test_output_file_names_must_stay_inside(tmp_path, name) -> None:
    folder = OutputFolder.prepare(tmp_path / "out")
    before = snapshot(tmp_path)
    with pytest.raises(OutputFolderError), folder.open(name) as part:
        part.write_text("x")
    assert snapshot(tmp_path) == before


def test_rerun_replaces_only_its_own_files(sandbox: Sandbox, capsys) -> None:
    from gvc_upgrading.cli import main

    assert main(sandbox.run_args()) == 0
    mine = sandbox.out / "my-notes.txt"
    mine.write_text("keep", encoding="utf-8")
    assert main(sandbox.run_args()) == 0
    assert mine.read_text(encoding="utf-8") == "keep"
    assert {p.name for p in sandbox.out.iterdir()} >= {"scenarios.nc", "my-notes.txt", MARKER}


def test_stale_part_files_of_dead_processes_are_cleaned(tmp_path) -> None:
    """A kill during the write phase leaves ``<name>.<pid>.part``; the next run removes it."""
    import subprocess

    folder = OutputFolder.prepare(tmp_path / "out")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = part_path(folder.path / "scenarios.nc", int(dead.stdout))
    stale.write_text("half")
    alive = part_path(folder.path / "other.nc")  # ours, still running: kept
    alive.write_text("in progress")
    user = folder.path / "notes.part"  # not of the <name>.<pid>.part form: not ours
    user.write_text("mine")
    OutputFolder.prepare(folder.path)
    assert not stale.exists() and alive.exists() and user.exists()
