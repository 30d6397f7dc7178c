"""The stored findings of the default exploration study belong to the shipped model."""

from __future__ import annotations

import pandas as pd
import pytest

from gvc_upgrading.exploration import CLASSES, load_findings, stored_findings
from gvc_upgrading.exploration.stored import REFRESH, STORED_RESULTS
from gvc_upgrading.resources import SHIPPED_MODEL, shipped_path
from gvc_upgrading.translation import file_sha256

FOLDER = shipped_path(*STORED_RESULTS)


def test_stored_findings_were_made_with_the_shipped_model() -> None:
    findings = load_findings(FOLDER)
    current = file_sha256(shipped_path(*SHIPPED_MODEL))
    assert findings.model_sha256 == current, f"stale: re-run `{REFRESH}`"
    assert stored_findings() == findings


def test_stored_findings_agree_with_the_stored_table() -> None:
    findings = stored_findings()
    table = pd.read_csv(FOLDER / "tables" / "robustness.csv", index_col="policy")
    assert list(table.index) == findings.ranking
    for policy, shares in findings.shares.items():
        assert sum(shares.values()) == pytest.approx(1.0)
        for name in CLASSES:
            assert shares[name] == pytest.approx(table.at[policy, f"share_{name}"])
    assert findings.n >= 20000
    assert findings.sentences


def test_stale_findings_are_refused(monkeypatch) -> None:
    monkeypatch.setattr("gvc_upgrading.exploration.stored.file_sha256", lambda path: "0" * 64)
    with pytest.raises(ValueError, match="another model file"):
        stored_findings()
    assert stored_findings(check_model=False).study == "default"
