"""Paths of the model-test fixtures."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
#: Capability (learning from buyer support, linear erosion) and export orders; 1995-2005.
TINY_MODEL = DATA / "tiny.mdl"
#: baseline, the six single paths and synergistic, for ``TINY_MODEL``.
TINY_SCENARIOS = DATA / "scenarios"
