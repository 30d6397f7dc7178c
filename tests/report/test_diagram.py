"""The stock-and-flow diagram drawn from the sketch of the shipped model, laid out in layers."""

from __future__ import annotations

import shutil

from gvc_upgrading.report.diagram import (
    SHADOW_COLOUR,
    draw_diagram,
    graph_of_view,
    pipe_heads,
    shown_name,
)
from gvc_upgrading.sector_layout import place_sector, shown
from gvc_upgrading.sketch import model_sectors, read_sketch, write_sketch


def test_every_view_is_drawn_with_every_sketch_variable(model):
    diagram = read_sketch(model.path)
    figures = draw_diagram(model.path)
    assert list(figures) == [view.name for view in diagram.views]
    for view in diagram.views:
        texts = {t.get_text().replace("\n", " "): t for t in figures[view.name].axes[0].texts}
        for variable in view.variables:
            label = f"<{variable.name}>" if variable.shadow else variable.name
            assert label in texts, f"{label!r} missing from view {view.name!r}"
            if variable.shadow:
                assert texts[label].get_color() == SHADOW_COLOUR


def test_sectors_have_their_own_colours(model):
    figures = draw_diagram(model.path)
    sectors = model_sectors(model.path)
    colour_of_sector = {}
    for view in read_sketch(model.path).views:
        texts = {t.get_text().replace("\n", " "): t for t in figures[view.name].axes[0].texts}
        for variable in view.variables:
            if not variable.shadow and variable.name in sectors:
                colour = texts[variable.name].get_color()
                colour_of_sector.setdefault(sectors[variable.name], set()).add(colour)
    assert all(len(colours) == 1 for colours in colour_of_sector.values())
    distinct = {next(iter(c)) for c in colour_of_sector.values()}
    assert len(distinct) == len(colour_of_sector)


def test_stocks_are_boxes_and_pipes_point_into_and_out_of_them(model):
    diagram = read_sketch(model.path)
    heads = pipe_heads(model.path)
    view = diagram.views[0]
    figure = draw_diagram(model.path)[view.name]
    stocks = [v for v in view.variables if v.is_stock_box]
    assert len(figure.axes[0].patches) >= len(stocks)
    pipes = [a for a in view.arrows if a.pipe]
    assert pipes and all((view.name, a.id) in heads for a in pipes)
    # each valve has one headed end (where the flow goes) and one tail
    for valve in view.valves:
        ends = [heads[(view.name, a.id)] for a in pipes if a.source == valve]
        assert sorted(ends) == [False, True]


def test_names_wrap_without_losing_words():
    name = "Multi stakeholder capability building"
    assert shown_name(name).replace("\n", " ") == name
    assert max(len(line) for line in shown_name(name).split("\n")) <= 16


def test_sector_views_have_no_overlapping_labels_and_few_crossings(model):
    """Each view's computed layout: no label, valve or cloud overlaps another, and the links
    as drawn cross fewer times than there are links (the old grid sketch had 8 to 15 crossings
    per link)."""
    heads = pipe_heads(model.path)
    for view in read_sketch(model.path).views:
        graph = graph_of_view(view, heads)
        place = place_sector(graph)
        assert place.overlaps() == [], view.name
        assert set(place.centre) >= set(graph.others) | set(graph.stocks)
        assert place.crossings() < len(graph.links), view.name


def test_the_vensim_sketch_gets_the_report_layout(model, tmp_path):
    """write_sketch writes the positions the report draws; the links are those of the equations."""
    copy = tmp_path / "model.mdl"
    shutil.copyfile(model.path, copy)
    write_sketch(copy)
    heads = pipe_heads(copy)
    for view in read_sketch(copy).views:
        place = place_sector(graph_of_view(view, heads))
        x0, y0, _, _ = place.extent()
        drawn: dict[str, list[tuple[int, int]]] = {}
        for variable in view.variables:
            drawn.setdefault(variable.name, []).append((variable.x, variable.y))
        for key, (x, y) in place.centre.items():
            assert (round(x + 60 - x0), round(y + 40 - y0)) in drawn[shown(key)], key
