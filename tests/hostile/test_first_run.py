"""A first run that fails (Ctrl-C, a failed write) leaves no output folder behind.

Every command makes its ``--out`` folder through ``OutputFolder.writing``;
when the folder did not exist before and the run stops before any result is
written, the folder (with its marker and an empty checkpoint folder) goes
again, so the user is not left with an empty folder of ours.
"""

from __future__ import annotations

import pytest

from gvc_upgrading.calibration import outputs as calibration_outputs
from gvc_upgrading.cli import main
from gvc_upgrading.cli import run as run_cli
from gvc_upgrading.sensitivity import targets

from .conftest import Sandbox
from .test_cases import _calibrate, _case
from .test_specs import STUDY


def _interrupt(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


def _run(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(run_cli, "_write_outputs", _interrupt)  # Ctrl-C while writing
    return sandbox.run_args()


def _sensitivity(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(targets.ModelTarget, "evaluate", _interrupt)  # Ctrl-C in the first runs
    study = sandbox.write("study.toml", STUDY)
    return ["sensitivity", str(study), "--out", str(sandbox.out), "--no-progress"]


def _calibration(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(calibration_outputs, "write_result", _interrupt)  # Ctrl-C while writing
    return _calibrate(sandbox, _case(sandbox))


@pytest.mark.parametrize("command", [_run, _sensitivity, _calibration], ids=lambda c: c.__name__)
def test_an_interrupted_first_run_leaves_no_folder(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys, command
) -> None:
    argv = command(sandbox, monkeypatch)
    assert main(argv) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not sandbox.out.exists()


def test_a_failed_study_in_an_existing_folder_keeps_it(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder that was there before stays (with the user's files), whatever fails."""
    sandbox.out.mkdir()
    argv = _sensitivity(sandbox, monkeypatch)
    assert main(argv) == 130
    assert sandbox.out.is_dir() and not (sandbox.out / "checkpoint").exists()
