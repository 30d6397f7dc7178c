"""Plain words for the report: display names, units, rounded numbers and synergy readings.

Everything here turns results into text a reader without the code can follow:
no raw ids (``cambodia_garment``), no column names (``difference_p05``), no
scientific notation, units a reader understands ("index, 0–1"), numbers
rounded to what the data support, and a synergy reading that is right for
losses as well as gains.
"""

from __future__ import annotations

import math

__all__ = [
    "SCENARIO_NAMES",
    "UNIT_LABELS",
    "number",
    "outcome_name",
    "scenario_name",
    "signed",
    "synergy_reading",
    "unit_label",
    "value_with_unit",
]

#: Display names of the shipped scenarios (user scenarios show their own name).
SCENARIO_NAMES: dict[str, str] = {
    "baseline": "baseline",
    "market": "market-driven path",
    "csr": "CSR-driven path",
    "multi_stakeholder": "multi-stakeholder path",
    "labour": "labour-centred path",
    "cluster": "cluster-centred path",
    "public": "public-governance path",
    "synergistic": "all paths together (synergistic governance)",
    "displacement": "CSR with displacement of public enforcement",
}

#: Units as a reader says them, by the model's unit string.
UNIT_LABELS: dict[str, str] = {
    "Dmnl": "index, 0–1",
    "USD/Month": "US$ per month",
    "USD bn/Year": "US$ bn per year",
    "LCU/Month": "local currency per month",
}

#: Decimal places of a value in each unit (what the data support).
_DECIMALS: dict[str, int] = {"Dmnl": 2, "USD/Month": 0, "USD bn/Year": 1, "LCU/Month": 0}


def scenario_name(name: str) -> str:
    """Return the display name of a scenario.

    Examples
    --------
    >>> scenario_name("multi_stakeholder"), scenario_name("my_strong_public")
    ('multi-stakeholder path', 'my strong public')
    """
    return SCENARIO_NAMES.get(name, name.replace("_", " "))


def outcome_name(name: str) -> str:
    """Return a model variable's name as it reads in a sentence (lower case).

    Examples
    --------
    >>> outcome_name("Social upgrading index")
    'social upgrading index'
    """
    return name[:1].lower() + name[1:]


def unit_label(unit: str) -> str:
    """Return a unit as a reader says it.

    Examples
    --------
    >>> unit_label("Dmnl"), unit_label("Thousand workers")
    ('index, 0–1', 'Thousand workers')
    """
    return UNIT_LABELS.get(unit, unit)


def number(value: float, unit: str = "Dmnl") -> str:
    """Round ``value`` to the decimals its unit supports; no scientific notation.

    Examples
    --------
    >>> number(0.26812), number(371.19, "USD/Month"), number(23.62, "USD bn/Year")
    ('0.27', '371', '23.6')
    >>> number(0.0231), number(-0.0064)
    ('0.023', '-0.0064')
    >>> number(float("nan"))
    'n/a'
    """
    if not math.isfinite(value):
        return "n/a"
    decimals = _DECIMALS.get(unit)
    if unit == "Dmnl" and 0 < abs(value) < 0.1:
        decimals = 3 if abs(value) >= 0.01 else 4  # two significant digits for small changes
    if decimals is None:
        magnitude = abs(value)
        decimals = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2
    text = f"{value:,.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


def signed(value: float, unit: str = "Dmnl") -> str:
    """Like :func:`number` with an explicit sign (a true minus sign).

    Examples
    --------
    >>> signed(0.171), signed(-0.116), signed(92.9, "USD/Month")
    ('+0.17', '−0.12', '+93')
    """
    text = number(value, unit)
    if text in ("n/a", "0") or set(text) <= set("0.,"):
        return text
    return text.replace("-", "−") if text.startswith("-") else "+" + text


def value_with_unit(value: float, unit: str, *, sign: bool = False) -> str:
    """Return a number with its unit: ``$371 per month``, ``0.27``, ``$23.6 bn per year``.

    Examples
    --------
    >>> value_with_unit(371.2, "USD/Month"), value_with_unit(-4.5, "USD/Month", sign=True)
    ('$371 a month', '−$4 a month')
    """
    text = signed(value, unit) if sign else number(value, unit)
    if unit == "USD/Month":
        return _dollars(text) + " a month"
    if unit == "USD bn/Year":
        return _dollars(text) + " bn a year"
    if unit in ("Dmnl", ""):
        return text
    return f"{text} {unit_label(unit)}"


def _dollars(text: str) -> str:
    if text[:1] in "+−":
        return text[0] + "$" + text[1:]
    return "$" + text


def synergy_reading(combined: float, total: float) -> str:
    """Say how the combined scenario's change compares with the single paths' changes added up.

    Right for losses as well as gains: a combined loss smaller than the sum of
    the single paths' losses is *not* called super-additive.

    Examples
    --------
    >>> synergy_reading(0.27, 0.33)
    'a gain smaller than the single paths’ gains added up: they overlap'
    >>> synergy_reading(-0.07, -0.12)
    'a loss smaller than the single paths’ losses added up'
    >>> synergy_reading(0.4, 0.33)
    'a gain larger than the single paths’ gains added up: synergy'
    """
    if not (math.isfinite(combined) and math.isfinite(total)):
        return "not available"
    if total > 0:
        if combined > total:
            return "a gain larger than the single paths’ gains added up: synergy"
        if combined > 0:
            return "a gain smaller than the single paths’ gains added up: they overlap"
        return "a loss, although the single paths’ changes add up to a gain"
    if total < 0:
        if combined >= 0:
            return "a gain, although the single paths’ changes add up to a loss"
        if combined > total:
            return "a loss smaller than the single paths’ losses added up"
        return "a loss larger than the single paths’ losses added up: the losses compound"
    return "a change where the single paths’ changes add up to none"
