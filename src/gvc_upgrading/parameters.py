"""The parameter table of a model, read from its Vensim source.

A parameter is a constant of the model: its value, ``[lower, upper]`` range
(from the Vensim units field), unit, governance group and description (both
from the documentation string). The group is written in the documentation as
``Group: <name>.`` where ``<name>`` is one of :data:`GROUPS`.
"""

from __future__ import annotations

import math
import re

import pandas as pd
from pysd.translators.structures.abstract_model import AbstractModel

__all__ = ["CONTROL_VARIABLES", "GROUPS", "parameter_table", "variable_table"]

#: Governance actor × scope (Gereffi & Lee 2016, Table 1), plus model structure.
GROUPS: tuple[str, ...] = (
    "private_cluster",
    "private_gvc",
    "social_cluster",
    "social_gvc",
    "public_cluster",
    "public_gvc",
    "economic",
    "structural",
)

CONTROL_VARIABLES: frozenset[str] = frozenset(
    {"INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER"}
)

_GROUP_TAG = re.compile(r"\bGroup:\s*([a-z_]+)\.?", re.IGNORECASE)


def _elements(abstract_model: AbstractModel):
    for section in abstract_model.sections:
        yield from section.elements


def _kind(element) -> str:
    component = element.components[0]
    name = type(component.ast).__name__
    if isinstance(component.ast, (int, float)) and not isinstance(component.ast, bool):
        return "constant"
    if component.type == "Lookup" or name in ("LookupsStructure", "GetLookupsStructure"):
        return "lookup"
    if name == "IntegStructure":
        return "stock"
    if component.type in ("Data",) or name.startswith("GetData"):
        return "data"
    return "auxiliary"


def _bound(value) -> float:
    return math.nan if value is None else float(value)


def _clean_doc(doc: str) -> str:
    return " ".join(_GROUP_TAG.sub("", doc or "").split())


def _described(element) -> dict[str, object]:
    """Unit, range, group and description of one element, as in the tables."""
    doc = element.documentation or ""
    tag = _GROUP_TAG.search(doc)
    lower, upper = (element.limits or (None, None))[:2]
    return {
        "name": element.name,
        "lower": _bound(lower),
        "upper": _bound(upper),
        "unit": (element.units or "").strip(),
        "group": tag.group(1).lower() if tag else "",
        "description": _clean_doc(doc),
    }


def variable_table(abstract_model: AbstractModel) -> pd.DataFrame:
    """Return every variable of the model with kind, unit, range and documentation.

    Columns: ``kind`` (stock, auxiliary, constant, lookup, data), ``unit``,
    ``lower``, ``upper``, ``group``, ``description``; indexed by the Vensim name.
    """
    rows = [
        {**_described(element), "kind": _kind(element)}
        for element in _elements(abstract_model)
        if element.components
    ]
    columns = ["kind", "unit", "lower", "upper", "group", "description"]
    table = pd.DataFrame(rows).set_index("name")[columns]
    return table[~table.index.duplicated(keep="first")]


def parameter_table(abstract_model: AbstractModel) -> pd.DataFrame:
    """Return the model's constants as a parameter table.

    Returns
    -------
    pandas.DataFrame
        Indexed by the Vensim name, with columns ``default, lower, upper,
        unit, group, description``. Control variables (``TIME STEP`` …) are
        left out; a missing bound is NaN; a constant without a ``Group:`` tag
        is ``structural``.
    """
    rows = [
        {
            **_described(element),
            "default": float(element.components[0].ast),
        }
        for element in _elements(abstract_model)
        if element.name not in CONTROL_VARIABLES
        and len(element.components) == 1
        and _kind(element) == "constant"
    ]
    columns = ["default", "lower", "upper", "unit", "group", "description"]
    if not rows:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="name"))
    table = pd.DataFrame(rows).set_index("name")[columns]
    table["group"] = table["group"].replace("", "structural")
    return table
