"""Checkpoint and resume: an interrupted study resumes and gives identical indices."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import sensitivity_functions as functions
import xarray as xr

from gvc_upgrading.sensitivity import sobol

HERE = Path(__file__).resolve().parent
STUDY = {
    "name": "resume",
    "chunk_size": 96,
    "parameters": [{"name": f"x{i}", "lower": -np.pi, "upper": np.pi} for i in (1, 2, 3)],
}


class Interrupted(Exception):
    pass


def _data(result: xr.Dataset) -> xr.Dataset:
    return result.drop_attrs()


def test_interrupted_run_resumes_from_finished_chunks(tmp_path):
    reference = sobol(STUDY, functions.ishigami, n=128, seed=5)
    calls = {"rows": 0, "chunks": 0}

    def dies_after_three_chunks(x):
        if calls["chunks"] == 3:
            raise Interrupted
        calls["chunks"] += 1
        return functions.ishigami(x)

    dies_after_three_chunks.__qualname__ = "ishigami"  # same identity as the resumed run
    dies_after_three_chunks.__module__ = functions.ishigami.__module__
    with pytest.raises(Interrupted):
        sobol(STUDY, dies_after_three_chunks, n=128, seed=5, checkpoint_dir=tmp_path)
    chunk_files = list(tmp_path.rglob("rows_*.npy"))
    assert len(chunk_files) == 3

    def counting(x):
        calls["rows"] += len(x)
        return functions.ishigami(x)

    counting.__qualname__ = "ishigami"
    counting.__module__ = functions.ishigami.__module__
    resumed = sobol(STUDY, counting, n=128, seed=5, checkpoint_dir=tmp_path)
    total_rows = 128 * 8
    assert calls["rows"] == total_rows - 3 * 96
    xr.testing.assert_identical(_data(resumed), _data(reference))


def test_changed_study_does_not_reuse_chunks(tmp_path):
    sobol(STUDY, functions.ishigami, n=64, seed=5, checkpoint_dir=tmp_path)
    other = sobol(STUDY, functions.ishigami, n=64, seed=6, checkpoint_dir=tmp_path)
    fresh = sobol(STUDY, functions.ishigami, n=64, seed=6)
    xr.testing.assert_identical(_data(other), _data(fresh))
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == 2


def test_killed_process_resumes_with_identical_indices(tmp_path):
    script = textwrap.dedent(
        f"""
        import numpy as np
        import sensitivity_functions as functions
        from gvc_upgrading.sensitivity import sobol
        study = {STUDY!r}
        sobol(study, functions.slow_ishigami, n=128, seed=9, checkpoint_dir={str(tmp_path)!r},
              progress=False)
        """
    )
    path = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    log = tmp_path / "stderr.txt"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", script], env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.rglob("rows_*.npy"))) < 2:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the study never wrote a checkpoint"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    finished = len(list(tmp_path.rglob("rows_*.npy")))
    assert 2 <= finished < 128 * 8 // 96
    assert not list(tmp_path.rglob("*.part"))

    resumed = sobol(STUDY, functions.slow_ishigami, n=128, seed=9, checkpoint_dir=tmp_path)
    reference = sobol(STUDY, functions.ishigami, n=128, seed=9)
    xr.testing.assert_identical(_data(resumed), _data(reference))


def test_large_outputs_stay_in_the_checkpoint_chunks(tmp_path, monkeypatch):
    import importlib

    from gvc_upgrading.sensitivity import checkpoint, estimation

    sobol_module = importlib.import_module("gvc_upgrading.sensitivity.sobol")

    study = {
        "parameters": [{"name": f"x{i}", "lower": -np.pi, "upper": np.pi} for i in (1, 2, 3)],
        "outputs": [{"name": "ishigami"}, {"name": "square"}, {"name": "first"}],
        "chunk_size": 100,
    }

    def three(x):
        y = functions.ishigami(x)
        return np.column_stack([y, y**2, x[:, 0]])

    in_memory = sobol(study, three, n=64, seed=2, second_order=True)
    reads = []
    original = checkpoint.StoredValues.columns

    def counting(self, chosen):
        reads.append(chosen)
        return original(self, chosen)

    monkeypatch.setattr(checkpoint.StoredValues, "columns", counting)
    monkeypatch.setattr(sobol_module, "IN_MEMORY_BYTES", 0)
    monkeypatch.setattr(sobol_module, "READ_BYTES", 1)  # one column per read
    monkeypatch.setattr(estimation, "READ_BYTES", 1)
    monkeypatch.setattr(estimation, "BLOCK_BYTES", 1)
    stored = sobol(study, three, n=64, seed=2, second_order=True, checkpoint_dir=tmp_path / "c")
    # read back column by column: summaries, then S1/ST, then S2
    widths = [len(c) if isinstance(c, list) else len(range(3)[c]) for c in reads]
    assert widths == [1] * 9
    for name in ("S1", "S1_conf", "ST", "ST_conf", "S2", "S2_conf", "variance"):
        np.testing.assert_allclose(stored[name], in_memory[name], rtol=1e-12, atol=1e-15)
