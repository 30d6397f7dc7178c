"""The report folder (checked, published at once) and the checks of stored results."""

from __future__ import annotations

import pytest

from gvc_upgrading.cli import build_parser
from gvc_upgrading.io import OutputPathError
from gvc_upgrading.report.output import check_report_folder, publish
from gvc_upgrading.report.provenance import model_check


def _staged(parent, text: str):
    staging = parent / ".report.abc.part"
    staging.mkdir()
    (staging / "report.html").write_text(text)
    (staging / "figures").mkdir()
    return staging


def test_publish_moves_the_staged_folder_into_place(tmp_path):
    publish(_staged(tmp_path, "new"), tmp_path / "report")
    assert (tmp_path / "report" / "report.html").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_publish_replaces_an_earlier_report_and_leaves_nothing_behind(tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.html").write_text("old")
    (out / "stale.png").write_bytes(b"x")
    check_report_folder(out)  # an earlier report may be replaced
    publish(_staged(tmp_path, "new"), out)
    assert sorted(p.name for p in out.iterdir()) == ["figures", "report.html"]
    assert (out / "report.html").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_report_folder_checks(tmp_path):
    with pytest.raises(OutputPathError, match="does not exist"):
        check_report_folder(tmp_path / "missing" / "report")
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputPathError, match="not a folder"):
        check_report_folder(tmp_path / "file")
    (tmp_path / "empty").mkdir()
    check_report_folder(tmp_path / "empty")


def test_cli_offers_the_report_command():
    parser = build_parser()
    args = parser.parse_args(["report", "--quick", "--case", "bangladesh_rmg", "--out", "r"])
    assert args.quick and args.case == "bangladesh_rmg" and str(args.out) == "r"
    assert not parser.parse_args(["report"]).quick
    help_text = parser._subparsers._group_actions[0].choices["report"].format_help()
    assert "--quick" in help_text and "--out" in help_text and "--case" in help_text


def test_model_check_of_stored_results():
    assert "does not record" in model_check(None, "a" * 64)
    assert "another version" in model_check("b" * 64, "a" * 64)
    assert "made with the report's model file" in model_check("a" * 64, "a" * 64)
