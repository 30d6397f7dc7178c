"""The model's key outcomes: the variables scenario comparisons, reports and studies show first."""

from __future__ import annotations

__all__ = [
    "ECONOMIC_OUTCOMES",
    "KEY_OUTCOMES",
    "SOCIAL_COMPONENTS",
    "SOCIAL_OUTCOMES",
    "STOCKS",
    "STOCKS_0_1",
]

#: Economic upgrading (Gereffi & Lee 2016, "Economic and Social Upgrading").
ECONOMIC_OUTCOMES: tuple[str, ...] = (
    "Economic upgrading index",
    "Supplier capability",
    "Export orders",
    "Cluster capacity",
    "Employment",
    "Supplier margin",
)

#: Components of the social upgrading index: outcomes only (wages, true compliance, rights used).
SOCIAL_COMPONENTS: tuple[str, ...] = ("Wage component", "Standards component", "Rights component")

#: Social upgrading: measurable standards and enabling rights, by segment and contract.
SOCIAL_OUTCOMES: tuple[str, ...] = (
    "Social upgrading index",
    *SOCIAL_COMPONENTS,
    "Average wage",
    "Temporary worker wage",
    "True compliance visible",
    "True compliance less visible",
    "Reported compliance",
    "Labour organisation",
    "Temporary worker share",
)

KEY_OUTCOMES: tuple[str, ...] = (
    ECONOMIC_OUTCOMES + SOCIAL_OUTCOMES + ("State enforcement capacity",)
)

#: Stocks whose meaning is a share, bounded to [0, 1].
STOCKS_0_1: tuple[str, ...] = (
    "Supplier capability",
    "True compliance visible",
    "True compliance less visible",
    "Concealment",
    "Buyer CSR pressure",
    "Civil society pressure",
    "Labour organisation",
    "State enforcement capacity",
    "Cluster collective action",
    "Temporary worker share",
    "Post scandal institutions",
)

#: Every stock of the model; none may go negative.
STOCKS: tuple[str, ...] = (
    *STOCKS_0_1,
    "Export orders",
    "Cluster capacity",
    "Average wage local",
    "Minimum wage local",
    "Compliance cost",
    "Wage reviews applied",
)
