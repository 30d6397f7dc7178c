"""Command-line options that several sub-commands share, defined once."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_model_option", "add_scenario_dir_option"]


def add_model_option(
    parser: argparse.ArgumentParser, help: str = "Vensim .mdl file (default: shipped)"
) -> None:
    """Add ``--model PATH`` (default: None, the shipped model)."""
    parser.add_argument("--model", type=Path, default=None, metavar="PATH", help=help)


def existing_folder(text: str) -> Path:
    """Argument type: a path that must be an existing folder."""
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not an existing folder")
    return path


def add_scenario_dir_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--scenario-dir DIR`` (default: None, the shipped ``models/scenarios``)."""
    parser.add_argument(
        "--scenario-dir",
        type=existing_folder,
        default=None,
        metavar="DIR",
        help="folder of scenario TOML files (default: the shipped models/scenarios)",
    )
