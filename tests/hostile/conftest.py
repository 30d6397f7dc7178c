"""Helpers of the hostile-input catalogue: a sandbox, file snapshots and the error check.

Every case of the catalogue runs the command line (in process, as
``gvc-upgrading`` would) or the Python API on one bad input inside a sandbox
folder and asserts:

- a non-zero exit code (2 for a refused input) and exactly one error line
  on stderr, ``gvc-upgrading <command>: error: <message>``, last (after any
  progress notes of the same form), matching the expected problem, with no
  traceback;
- that no file outside the output folder, nor any file that was already
  in it, was created, changed or removed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from gvc_upgrading.cli import main

#: A model small enough to translate in well under a second.
MODEL = """{UTF-8}
Stock= INTEG (Growth*Stock, 1)
	~	Widget
	~	A stock.
	|

Growth=
	0.1
	~	1/Year [0,1]
	~	Growth rate of the stock. Group: economic.
	|

INITIAL TIME  = 0
	~	Year
	~	The initial time for the simulation.
	|

FINAL TIME  = 10
	~	Year
	~	The final time for the simulation.
	|

TIME STEP  = 1
	~	Year [0,?]
	~	The time step for the simulation.
	|

SAVEPER  = TIME STEP
	~	Year [0,?]
	~	The frequency with which output is stored.
	|
"""

BASELINE = 'name = "baseline"\ndescription = "d"\ntheory = "t"\n[parameters]\n'


def snapshot(root: Path) -> dict[str, str]:
    """Every file, folder and link under ``root``: relative path -> content digest."""
    state = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            state[relative] = "link:" + str(path.readlink())
        elif path.is_dir():
            state[relative] = "dir"
        else:
            state[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


class Sandbox:
    """A working folder holding the inputs of one case; ``out`` is its output folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.out = root / "out"
        self.scenarios = root / "scenarios"
        self.scenarios.mkdir()
        (self.scenarios / "baseline.toml").write_text(BASELINE, encoding="utf-8")
        self.model = self.write("model.mdl", MODEL)

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def run_args(self, *extra: str, model: Path | None = None) -> list[str]:
        """``run`` on the sandbox model and its baseline-only scenario folder."""
        return [
            "run", "--model", str(model or self.model), "--scenario-dir", str(self.scenarios),
            "--out", str(self.out), "--no-progress", *extra,
        ]  # fmt: skip

    def refuses(
        self,
        argv: Sequence[str],
        problem: str,
        capsys: pytest.CaptureFixture[str],
        *,
        out: Path | None = None,
        code: int = 2,
    ) -> str:
        """Run the command line; assert a one-line error matching ``problem``, nothing written.

        Files may appear only inside ``out`` (default: the sandbox's output
        folder), and only where nothing was before.
        """
        out = self.out if out is None else out
        capsys.readouterr()
        before = snapshot(self.root)
        status = main(list(argv))
        captured = capsys.readouterr()
        lines = [line for line in captured.err.splitlines() if line.strip()]
        assert status == code, captured.err
        assert "Traceback" not in captured.err
        # progress notes ("gvc-upgrading <command>: <stage>") may come first; one error, last
        prefix = f"gvc-upgrading {argv[0]}: "
        assert all(line.startswith(prefix) for line in lines), captured.err
        errors = [line for line in lines if line.startswith(prefix + "error: ")]
        assert errors == lines[-1:], captured.err
        assert re.search(problem, errors[0]), errors[0]
        self.assert_nothing_changed(before, out)
        return errors[0]

    def assert_nothing_changed(self, before: dict[str, str], out: Path | None = None) -> None:
        after = snapshot(self.root)
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        inside = out.relative_to(self.root).as_posix() if out is not None else None
        for key in changed:
            new_in_out = inside is not None and (key == inside or key.startswith(inside + "/"))
            assert new_in_out and key not in before, f"{key} changed outside the output folder"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    root = tmp_path / "sandbox"
    root.mkdir()
    monkeypatch.chdir(root)
    return Sandbox(root)
