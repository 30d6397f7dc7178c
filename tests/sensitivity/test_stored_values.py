"""Outputs left in the checkpoint chunks are checked once, then read back block by block."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from gvc_upgrading.errors import SpecError
from gvc_upgrading.sensitivity import checkpoint
from gvc_upgrading.sensitivity.checkpoint import ChunkStore, StoredValues

VALUES = np.arange(24.0).reshape(6, 4)
BOUNDS = [(0, 4), (4, 6)]


@pytest.fixture
def stored(tmp_path) -> StoredValues:
    store = ChunkStore(tmp_path / "checkpoint", "s" * 40)
    for start, stop in BOUNDS:
        store.save(start, stop, VALUES[start:stop])
    return StoredValues(store, BOUNDS, VALUES.shape[1])


def _flip_last_byte(store: ChunkStore) -> None:
    path = sorted(store.directory.glob("rows_*.npy"))[0]
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # the last value changes, stays finite
    path.write_bytes(bytes(data))


def test_blocks_of_columns_read_back_the_values(stored):
    assert np.array_equal(stored.columns(slice(1, 3)), VALUES[:, 1:3])
    assert np.array_equal(stored.columns([3, 0]), VALUES[:, [3, 0]])


def test_each_chunk_is_hashed_on_its_first_read_only(stored, monkeypatch):
    calls = []
    sha256 = hashlib.sha256

    def counting(data):
        calls.append(len(data))
        return sha256(data)

    monkeypatch.setattr(checkpoint.hashlib, "sha256", counting)
    for column in range(VALUES.shape[1]):
        assert np.array_equal(stored.columns([column]), VALUES[:, [column]])
    assert len(calls) == len(BOUNDS)


def test_a_chunk_damaged_before_its_first_read_is_refused(stored):
    _flip_last_byte(stored.store)
    with pytest.raises(SpecError, match="sha256"):
        stored.columns(slice(0, 2))


def test_load_without_verification_skips_only_the_checksum(stored):
    _flip_last_byte(stored.store)
    with pytest.raises(SpecError, match="sha256"):
        stored.store.load(0, 4)
    assert stored.store.load(0, 4, verify=False).shape == (4, 4)
