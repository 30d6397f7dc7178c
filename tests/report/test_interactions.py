"""Robustness (stored behaviour shares) and the factorial synergy table in the report."""

from __future__ import annotations

import pandas as pd

from gvc_upgrading.report.interactions import stored_behaviour_shares
from gvc_upgrading.resources import shipped_path


def test_stored_behaviour_shares_are_read_from_the_model_readme(tmp_path):
    shares, how = stored_behaviour_shares(shipped_path("models", "README.md"))
    assert len(shares) >= 5 and shares["share"].between(0, 1).all()
    assert shares["meets_90pct"].tolist() == (shares["share"] >= 0.9).tolist()
    assert "draws" in how
    bare = tmp_path / "README.md"
    bare.write_text("# model\n\n## Variables\n")
    assert stored_behaviour_shares(bare)[0].empty


def test_the_factorial_table_reads_synergy_from_the_interaction_sign(report):
    table = pd.read_csv(report.out / "tables" / "factorial_effects.csv")
    assert set(table["order"]) == {1, 2}
    assert (table["order"] == 1).sum() == 6 and (table["order"] == 2).sum() == 15
    pairs = table[table["order"] == 2]
    social = pairs["Social upgrading index"]
    assert (pairs["reading"] == "synergy").tolist() == (social > 0).tolist()
    text = (report.out / "report.html").read_text("utf-8")
    assert "How robust the model" in text and "Synergy as interaction" in text
    for effect in table.loc[table["reading"] == "synergy", "effect"]:
        assert f"<td>{effect}</td>" in text
