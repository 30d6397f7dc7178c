"""Resuming from checkpoints of different work is refused, naming what differs.

A resume whose spec, model or seed changed would otherwise start the whole
computation over beside the old chunks while the user believes it resumed.
"""

from __future__ import annotations

import pytest

from gvc_upgrading.cli import main
from gvc_upgrading.errors import SpecError
from gvc_upgrading.resume import IDENTITY_FILE, check_resume
from gvc_upgrading.sensitivity import targets

from .conftest import Sandbox
from .test_specs import STUDY


@pytest.fixture
def interrupted(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A sensitivity study killed after its first chunk; returns its command line."""
    study = sandbox.write("study.toml", STUDY.replace("seed = 1", "seed = 1\nchunk_size = 8"))
    argv = ["sensitivity", str(study), "--out", str(sandbox.out), "--no-progress"]
    original = targets.ModelTarget.evaluate
    calls: list[int] = []

    def dies_on_second_chunk(self, samples):  # type: ignore[no-untyped-def]
        if calls:
            raise KeyboardInterrupt
        calls.append(len(samples))
        return original(self, samples)

    monkeypatch.setattr(targets.ModelTarget, "evaluate", dies_on_second_chunk)
    assert main(argv) == 130
    monkeypatch.setattr(targets.ModelTarget, "evaluate", original)
    assert len(list((sandbox.out / "checkpoint").rglob("rows_*.npy"))) == 1
    assert (sandbox.out / "checkpoint" / IDENTITY_FILE).is_file()
    return argv


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("seed = 1", "seed = 2", r"seed: 1 -> 2"),
        ("upper = 0.5", "upper = 0.4", r"parameters\.Growth\.upper: 0\.5 -> 0\.4"),
        ("year = 10", "year = 9", r"outputs\.stock\.year: 10(\.0)? -> 9"),
        ("chunk_size = 8", "chunk_size = 16", r"chunk_size: 8 -> 16"),
    ],
    ids=["seed", "bound", "output_year", "chunk_size"],
)
def test_resume_of_a_changed_study_is_refused(
    sandbox: Sandbox, capsys, interrupted: list[str], old: str, new: str, problem: str
) -> None:
    study = sandbox.root / "study.toml"
    study.write_text(study.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    sandbox.refuses([*interrupted, "--resume"], r"cannot resume .*" + problem, capsys)
    assert len(list((sandbox.out / "checkpoint").rglob("rows_*.npy"))) == 1  # nothing new


def test_resume_of_the_same_study_goes_on(sandbox: Sandbox, interrupted: list[str]) -> None:
    assert main([*interrupted, "--resume"]) == 0
    assert (sandbox.out / "sobol.nc").is_file()


def test_a_changed_model_is_named(tmp_path) -> None:
    check_resume(tmp_path, {"model": "a" * 64, "seed": 1}, "study 's'")
    with pytest.raises(SpecError, match=r"model: \"a+\.\.\. -> \"b+"):
        check_resume(tmp_path, {"model": "b" * 64, "seed": 1}, "study 's'")


def test_an_unreadable_record_is_refused(tmp_path) -> None:
    (tmp_path / IDENTITY_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(SpecError, match=r"checkpoint record .* is unreadable"):
        check_resume(tmp_path, {"seed": 1}, "study 's'")
