"""Units: every variable has one, and every flow is in its stock's unit per Year.

Units are compared as products of named units with integer powers, so
``Dmnl/Year`` equals ``1/Year``, ``USD bn/Year/Year`` equals ``USD bn/(Year*Year)``
and spacing does not matter. A stock's flows are read from the ``INTEG``
equation's syntax tree: the net flow must be a sum and difference of named
flow variables, each of which is checked.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from pysd.translators.structures.abstract_expressions import (
    ArithmeticStructure,
    IntegStructure,
    ReferenceStructure,
)

from gvc_upgrading import Model, load_model

from .paths import TINY_MODEL

DIMENSIONLESS = {"dmnl", "dimensionless", "1", "fraction", "unitless"}
PLURALS = {"Years": "Year", "Months": "Month"}
_TOKEN = re.compile(
    r"\s*(?:(?P<op>[*/()^])|(?P<number>-?\d+(?:\.\d+)?(?![\w ]*[A-Za-z]))|(?P<name>[^*/()^]+))"
)


def parse_unit(text: str) -> Counter[str]:
    """Return a unit as {base unit: power}, dimensionless parts and zero powers dropped."""
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot parse unit {text!r}")
        kind = match.lastgroup
        tokens.append((kind, " ".join(match.group(kind).split())))
        position = match.end()
    tokens = [t for t in tokens if t[1]]

    def factor(i: int) -> tuple[Counter[str], int]:
        kind, value = tokens[i]
        if value == "(":
            result, i = expression(i + 1)
            if i >= len(tokens) or tokens[i][1] != ")":
                raise ValueError(f"unbalanced parentheses in unit {text!r}")
            i += 1
        elif kind == "number":
            result, i = Counter(), i + 1  # pure numbers carry no dimension
        elif kind == "name":
            name = PLURALS.get(value, value)
            result = Counter() if name.casefold() in DIMENSIONLESS else Counter({name: 1})
            i += 1
        else:
            raise ValueError(f"unexpected {value!r} in unit {text!r}")
        if i < len(tokens) and tokens[i][1] == "^":
            power = int(float(tokens[i + 1][1]))
            result = Counter({k: v * power for k, v in result.items()})
            i += 2
        return result, i

    def expression(i: int) -> tuple[Counter[str], int]:
        result, i = factor(i)
        while i < len(tokens) and tokens[i][1] in "*/":
            op = tokens[i][1]
            other, i = factor(i + 1)
            for key, power in other.items():
                result[key] += power if op == "*" else -power
        return result, i

    result, end = expression(0)
    if end != len(tokens):
        raise ValueError(f"cannot parse unit {text!r}")
    return Counter({k: v for k, v in result.items() if v != 0})


def per_year(unit: str) -> Counter[str]:
    result = parse_unit(unit)
    result["Year"] -= 1
    return Counter({k: v for k, v in result.items() if v != 0})


def flow_references(flow: object, stock: str) -> list[str]:
    """Return the Python names of the flows summed in a stock's net flow."""
    if isinstance(flow, ReferenceStructure):
        return [flow.reference]
    if isinstance(flow, ArithmeticStructure) and set(flow.operators) <= {"+", "-"}:
        return [ref for argument in flow.arguments for ref in flow_references(argument, stock)]
    raise AssertionError(f"the net flow of {stock!r} is not a sum of named flows: {flow!r:.200}")


def stock_flows(model: Model) -> dict[str, list[str]]:
    """Map each stock's Vensim name to the Vensim names of its flows."""
    vensim_name = {python: vensim for vensim, python in model.namespace.items()}
    flows = {}
    for section in model.abstract_model.sections:
        for element in section.elements:
            for component in element.components:
                if isinstance(component.ast, IntegStructure):
                    refs = flow_references(component.ast.flow, element.name)
                    flows[element.name] = [vensim_name[ref] for ref in refs]
    return flows


def unit_problems(model: Model) -> list[str]:
    """Return every missing unit and every flow whose unit is not its stock's unit per Year."""
    units = model.variables["unit"]
    problems = [f"{name!r} has no unit" for name, unit in units.items() if not unit.strip()]
    for stock, flows in stock_flows(model).items():
        expected = per_year(units[stock])
        for flow in flows:
            if parse_unit(units[flow]) != expected:
                problems.append(
                    f"flow {flow!r} of stock {stock!r} is in {units[flow]!r},"
                    f" expected {units[stock]!r} per Year"
                )
    return problems


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Dmnl/Year", "1/Year"),
        ("USD bn/Year/Year", "USD bn / (Year*Year)"),
        ("USD bn/Year/Year", "USD  bn/Year^2"),
        ("thousand workers*Month/Year", "Month*thousand workers/Year"),
        ("Dmnl", "1"),
        ("Years", "Year"),
    ],
)
def test_unit_algebra_equal(left: str, right: str) -> None:
    assert parse_unit(left) == parse_unit(right)


@pytest.mark.parametrize(("left", "right"), [("USD/Year", "USD"), ("Dmnl/Year", "Year")])
def test_unit_algebra_different(left: str, right: str) -> None:
    assert parse_unit(left) != parse_unit(right)


def test_flows_found_from_the_integ_syntax_tree(tiny_model: Model) -> None:
    assert stock_flows(tiny_model) == {
        "Supplier capability": ["Capability building", "Capability erosion"],
        "Export orders": ["Order growth"],
    }
    assert unit_problems(tiny_model) == []


def test_a_flow_in_the_wrong_unit_is_caught(tmp_path: Path) -> None:
    text = TINY_MODEL.read_text().replace("\tDmnl/Year\n", "\tDmnl\n", 1)
    path = tmp_path / "wrong_unit.mdl"
    path.write_text(text)
    problems = unit_problems(load_model(path))
    assert problems == [
        "flow 'Capability building' of stock 'Supplier capability' is in 'Dmnl',"
        " expected 'Dmnl' per Year"
    ]


def test_every_variable_of_the_shipped_model_has_units(shipped_model: Model) -> None:
    missing = [name for name, unit in shipped_model.variables["unit"].items() if not unit]
    assert missing == []


def test_every_flow_is_in_its_stocks_unit_per_year(shipped_model: Model) -> None:
    flows = stock_flows(shipped_model)
    assert set(flows) == set(shipped_model.stocks)
    assert all(flows.values())
    assert unit_problems(shipped_model) == []
