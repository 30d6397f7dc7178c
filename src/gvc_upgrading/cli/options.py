"""Command-line options that several sub-commands share, defined once."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "add_model_option",
    "add_scenario_dir_option",
    "add_setup_options",
    "add_user_scenario_dirs_option",
    "integer_at_least",
]


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


def add_user_scenario_dirs_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--scenario-dir DIR`` (repeatable): user folders added to the shipped scenarios."""
    parser.add_argument(
        "--scenario-dir",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="folder of your own scenario TOML files (format: models/scenarios/README.md), "
        "added to the shipped scenarios (with --model, used instead of them); repeatable",
    )


def add_setup_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--start YEAR`` and ``--set NAME=VALUE`` (the setup of a scenario comparison)."""
    parser.add_argument(
        "--start",
        type=float,
        default=None,
        metavar="YEAR",
        help="year the scenarios' levers switch on (a scenario file's own 'start' wins)",
    )
    parser.add_argument(
        "--set",
        dest="set_values",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help='set a model parameter in every run, e.g. --set "Crowding out=0.5"; repeatable',
    )


def integer_at_least(label: str, minimum: int) -> Callable[[str], int]:
    """Return an argparse ``type`` that reads an integer ``>= minimum``, naming ``label``.

    Examples
    --------
    >>> integer_at_least("seed", 0)("7")
    7
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{label} must be an integer, got {text!r}") from exc
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{label} must be at least {minimum}, got {value}")
        return value

    return parse
