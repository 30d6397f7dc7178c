"""The outcome lists name real variables of the shipped model."""

from __future__ import annotations

from gvc_upgrading import Model
from gvc_upgrading.outcomes import KEY_OUTCOMES, SOCIAL_COMPONENTS, STOCKS, STOCKS_0_1


def test_stock_lists_match_the_model(shipped_model: Model) -> None:
    """STOCKS is every stock of the model; the 0-1 stocks are among them."""
    assert set(STOCKS) == set(shipped_model.stocks)
    assert set(STOCKS_0_1) < set(STOCKS)


def test_key_outcomes_include_the_social_index_components(shipped_model: Model) -> None:
    """compare() and the report show each component of the social upgrading index."""
    names = set(shipped_model.variables.index)
    assert set(KEY_OUTCOMES) <= names
    assert set(SOCIAL_COMPONENTS) <= set(KEY_OUTCOMES)
