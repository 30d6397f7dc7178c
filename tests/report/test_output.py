"""The report command's options and the checks of stored results."""

from __future__ import annotations

from gvc_upgrading.cli import build_parser
from gvc_upgrading.report.provenance import model_check


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
