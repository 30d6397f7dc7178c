"""Outcome classes follow their rules, and every run is in exactly one class."""

from __future__ import annotations

import numpy as np
import pytest

from gvc_upgrading.exploration.classify import CLASSES, class_names, classify


def test_each_rule_on_hand_made_changes() -> None:
    economic = np.array([0.2, 0.2, 0.0, 0.2, 0.0, -0.3, 0.0])
    social = np.array([0.2, 0.0, 0.2, -0.2, -0.2, 0.01, 0.0])
    assert class_names(classify(economic, social, 0.05, 0.05)) == [
        "both",
        "economic_only",
        "social_only",
        "displacement",
        "neither",
        "neither",
        "neither",
    ]


def test_a_change_equal_to_the_threshold_is_not_upgrading() -> None:
    codes = classify(np.array([0.05, 0.06]), np.array([0.06, 0.05]), 0.05, 0.05)
    assert class_names(codes) == ["social_only", "economic_only"]


def test_thresholds_move_runs_between_classes() -> None:
    economic, social = np.array([0.1]), np.array([0.1])
    assert class_names(classify(economic, social, 0.05, 0.05)) == ["both"]
    assert class_names(classify(economic, social, 0.05, 0.2)) == ["economic_only"]
    assert class_names(classify(economic, social, 0.2, 0.05)) == ["social_only"]


def test_classes_are_exclusive_and_exhaustive() -> None:
    rng = np.random.default_rng(3)
    economic, social = rng.normal(0, 0.1, 5000), rng.normal(0, 0.1, 5000)
    codes = classify(economic, social, 0.05, 0.05)
    assert set(np.unique(codes)) == set(range(len(CLASSES)))
    up_e, up_s, down_s = economic > 0.05, social > 0.05, social < -0.05
    # Each class's rule, checked independently of the implementation's order.
    assert np.array_equal(codes == 0, up_e & up_s)
    assert np.array_equal(codes == 1, up_e & ~up_s & ~down_s)
    assert np.array_equal(codes == 2, ~up_e & up_s)
    assert np.array_equal(codes == 3, up_e & down_s)
    assert np.array_equal(codes == 4, ~up_e & ~up_s)


@pytest.mark.parametrize(
    ("economic", "social", "thresholds", "message"),
    [
        ([0.1, 0.2], [0.1], (0.05, 0.05), "shapes differ"),
        ([np.nan], [0.1], (0.05, 0.05), "NaN"),
        ([0.1], [0.1], (-0.1, 0.05), "thresholds"),
    ],
)
def test_bad_input_is_refused(economic, social, thresholds, message) -> None:
    with pytest.raises(ValueError, match=message):
        classify(np.array(economic), np.array(social), *thresholds)
