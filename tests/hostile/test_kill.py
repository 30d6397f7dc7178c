"""A real ``kill -9`` during the write phase, and damaged checkpoints on resume.

The command line is started in a subprocess whose figure writer (the last
file written) first writes half a file and then hangs; the test kills it with
SIGKILL there. No final file may exist, only ``<name>.<pid>.part`` files; a
re-run must remove them and succeed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from gvc_upgrading.cli import main
from gvc_upgrading.errors import SpecError
from gvc_upgrading.outdir import MARKER
from gvc_upgrading.sensitivity.checkpoint import ChunkStore

from .conftest import Sandbox

HANGS_IN_WRITE = textwrap.dedent(
    """
    import pathlib, sys, time
    import gvc_upgrading.cli.run as run_module

    def half_then_hang(figure, path, **kwargs):
        pathlib.Path(path).write_bytes(b"half a figure")
        pathlib.Path(sys.argv[1]).write_text("writing")
        time.sleep(600)

    run_module.write_figure = half_then_hang
    from gvc_upgrading.cli import main
    sys.exit(main(sys.argv[2:]))
    """
)

FINAL = {"scenarios.nc", "scenarios.csv", "key_outcomes.png"}


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_during_the_write_leaves_only_part_files(sandbox: Sandbox) -> None:
    ready = sandbox.root / "ready"
    script = sandbox.write("hang.py", HANGS_IN_WRITE)
    process = subprocess.Popen(
        [sys.executable, str(script), str(ready), *sandbox.run_args()],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert process.poll() is None, "the run ended before its write phase"
            assert time.monotonic() < deadline, "the run never reached its write phase"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    left = {p.name for p in sandbox.out.iterdir()}
    assert not left & FINAL, left
    parts = {name for name in left if name.endswith(f".{process.pid}.part")}
    assert parts >= {f"{name}.{process.pid}.part" for name in FINAL}
    assert left == parts | {MARKER}

    assert main(sandbox.run_args()) == 0  # the re-run cleans the dead run's files up
    names = {p.name for p in sandbox.out.iterdir()}
    assert names >= FINAL
    assert not [name for name in names if name.endswith(".part")]


@pytest.fixture
def store(tmp_path):
    chunks = ChunkStore(tmp_path / "checkpoint", "k" * 40)
    chunks.save(0, 4, np.arange(8.0).reshape(4, 2))
    return chunks


def test_a_stored_chunk_is_read_back(store) -> None:
    assert np.array_equal(store.load(0, 4), np.arange(8.0).reshape(4, 2))


def _truncate(path):
    path.write_bytes(path.read_bytes()[:40])


def _flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def _store_inf(path):
    """Replace the chunk by one holding inf with a matching checksum: only finiteness fails."""
    import hashlib
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([[np.inf, 1.0]] * 4), allow_pickle=False)
    path.write_bytes(buffer.getvalue())
    digest = hashlib.sha256(buffer.getvalue()).hexdigest()
    path.with_suffix(".sha256").write_text(digest)


def _drop_checksum(path):
    path.with_suffix(".sha256").unlink()


@pytest.mark.parametrize(
    ("damage", "problem"),
    [(_truncate, "sha256"), (_flip_a_byte, "sha256"), (_store_inf, "non-finite"),
     (_drop_checksum, "damaged")],
    ids=["truncated", "flipped_byte", "holds_inf", "no_checksum"],
)  # fmt: skip
def test_a_damaged_chunk_is_refused_on_resume(store, damage, problem) -> None:
    (chunk,) = store.directory.glob("rows_*.npy")
    damage(chunk)
    with pytest.raises(SpecError, match=problem):
        store.load(0, 4)
