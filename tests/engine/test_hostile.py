"""A model whose names and documentation hold Python code compiles to code that runs none of it."""

from __future__ import annotations

import shutil

import numpy as np

from gvc_upgrading.engine import compile_model

from .reference import MODELS


def test_hostile_names_and_documentation_never_execute(tmp_path, monkeypatch):
    path = tmp_path / "hostile.mdl"
    shutil.copyfile(MODELS / "hostile.mdl", path)
    monkeypatch.chdir(tmp_path)
    batch = compile_model(path)
    source = batch.source()
    for fragment in ("import", "HOSTILE", "exec", "system", "Path", "open"):
        assert fragment not in source
    rate_name = batch.parameters.index[0]
    assert "exec" in rate_name  # the hostile names are kept, as labels only
    result = batch.run({rate_name: [0.1, 0.2]})
    assert not (tmp_path / "HOSTILE_MARKER").exists()
    stock = next(name for name in result.data_vars if name.startswith('"__import__'))
    # Euler growth: S(t + dt) = S(t) * (1 + rate * dt), dt = 0.5, S(0) = 1
    steps = np.arange(result.sizes["time"])
    np.testing.assert_allclose(result[stock].values[0], 1.05**steps, rtol=1e-12)
    np.testing.assert_allclose(result[stock].values[1], 1.10**steps, rtol=1e-12)
