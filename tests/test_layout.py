"""The layered layout: barycentre ordering removes avoidable crossings, labels never overlap."""

from __future__ import annotations

import random

import pytest

from gvc_upgrading.layout import (
    count_crossings,
    count_overlaps,
    layer_crossings,
    layered_layout,
    segments_cross,
)


def _tree_rows(seed: int) -> tuple[list[list[str]], list[tuple[str, str]]]:
    """A three-level tree (planar: it can be drawn without crossings), rows shuffled."""
    rows = [["r"], [f"a{i}" for i in range(4)], [f"b{i}{j}" for i in range(4) for j in range(3)]]
    links = [("r", f"a{i}") for i in range(4)]
    links += [(f"a{i}", f"b{i}{j}") for i in range(4) for j in range(3)]
    rng = random.Random(seed)
    for row in rows:
        rng.shuffle(row)
    return rows, links


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_planar_graph_is_drawn_without_crossings(seed: int) -> None:
    rows, links = _tree_rows(seed)
    sizes = {n: 40.0 for row in rows for n in row}
    layout = layered_layout(rows, links, width=sizes, height=sizes)
    assert layout.crossings_before > 0  # the shuffled order crosses ...
    assert layout.crossings == 0  # ... the sweeps untangle it
    assert count_crossings(list(layout.routes.values())) == 0  # and so does the drawing


def test_long_links_pass_through_the_rows_between() -> None:
    rows = [["a", "x"], ["b"], ["c", "y"]]
    links = [("a", "c"), ("x", "b"), ("b", "y")]
    sizes = {n: 30.0 for row in rows for n in row}
    layout = layered_layout(rows, links, width=sizes, height=sizes)
    route = layout.routes[("a", "c")]
    assert len(route) == 3  # one point in the middle row
    assert route[1][1] == layout.centre["b"][1]


def test_labels_keep_their_width_apart() -> None:
    rng = random.Random(7)
    rows = [[f"n{r}{i}" for i in range(6)] for r in range(4)]
    links = [(rows[r][i], rows[r + 1][rng.randrange(6)]) for r in range(3) for i in range(6)]
    width = {n: rng.uniform(20, 120) for row in rows for n in row}
    height = {n: 20.0 for row in rows for n in row}
    layout = layered_layout(rows, links, width=width, height=height, gap=10.0)
    boxes = {
        n: (x - width[n] / 2, y - height[n] / 2, x + width[n] / 2, y + height[n] / 2)
        for n, (x, y) in layout.centre.items()
    }
    assert count_overlaps(boxes) == []
    for row in layout.rows:
        xs = [layout.centre[n][0] for n in row]
        for a, b, xa, xb in zip(row, row[1:], xs, xs[1:], strict=False):
            assert xb - xa >= (width[a] + width[b]) / 2 + 10.0 - 1e-6


def test_counting_helpers() -> None:
    assert layer_crossings(["a", "b"], ["c", "d"], [("a", "d"), ("b", "c")]) == 1
    assert segments_cross((0, 0), (2, 2), (0, 2), (2, 0))
    assert not segments_cross((0, 0), (1, 0), (0, 1), (1, 1))
    assert count_overlaps({"a": (0, 0, 10, 10), "b": (5, 5, 15, 15), "c": (20, 0, 30, 10)}) == [
        ("a", "b")
    ]


def test_a_link_to_a_node_in_no_row_is_refused() -> None:
    with pytest.raises(ValueError, match="in no row"):
        layered_layout([["a"]], [("a", "z")], width={"a": 1.0}, height={"a": 1.0})
