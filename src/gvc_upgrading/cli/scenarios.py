"""``gvc-upgrading scenarios``: list the scenarios with their descriptions."""

from __future__ import annotations

import argparse
import textwrap

from .options import add_model_option, add_scenario_dir_option

__all__ = ["register", "scenarios_command"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``scenarios`` sub-command."""
    parser = subparsers.add_parser(
        "scenarios",
        help="list the scenarios with their descriptions",
        description=(
            "List the governance scenarios (models/scenarios/*.toml) with their "
            "descriptions; with --verbose also the theory each encodes and its values."
        ),
    )
    add_scenario_dir_option(parser)
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="show theory, extends and parameter values"
    )
    add_model_option(parser, help="check every scenario against this model (default: no check)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="check every scenario against the model (the shipped one unless --model)",
    )
    parser.set_defaults(handler=scenarios_command)


def scenarios_command(args: argparse.Namespace) -> int:
    """Print every scenario's name and description."""
    from ..scenario_spec import list_scenarios, load_scenario

    scenarios = list_scenarios(args.scenario_dir)
    if args.check or args.model is not None:
        from ..model import load_model

        model = load_model(args.model)
        for scenario in scenarios:
            load_scenario(scenario.path, model)  # type: ignore[arg-type]  # listed: has a path
    width = max((len(s.name) for s in scenarios), default=0)
    for scenario in scenarios:
        lines = textwrap.wrap(scenario.description, width=max(40, 96 - width)) or [""]
        print(f"{scenario.name:<{width}}  {lines[0]}")
        for line in lines[1:]:
            print(f"{'':<{width}}  {line}")
        if args.verbose:
            indent = " " * (width + 2)
            print(f"{indent}theory: {scenario.theory}")
            if scenario.extends:
                print(f"{indent}extends: {scenario.extends}")
            for name, value in scenario.parameters.items():
                print(f"{indent}{name} = {value:g}")
            for name, series in scenario.series.items():
                points = ", ".join(f"{year:g}: {v:g}" for year, v in series.items())
                print(f"{indent}{name} = series({points})")
    if args.check or args.model is not None:
        print(f"all {len(scenarios)} scenarios fit the model")
    return 0
