"""The Vensim sketch of the shipped model: complete, current and readable by pysd."""

from __future__ import annotations

import shutil
from pathlib import Path

import pysd
import pytest

from gvc_upgrading import ModelFileError
from gvc_upgrading.parameters import CONTROL_VARIABLES, variable_table
from gvc_upgrading.resources import SHIPPED_MODEL, shipped_path
from gvc_upgrading.sketch import model_sectors, read_sketch, write_sketch
from gvc_upgrading.translation import parse_abstract_model

MODEL = shipped_path(*SHIPPED_MODEL)


def test_every_variable_is_drawn_once_in_its_sector() -> None:
    """Each model variable appears once (not as a shadow) in the view of its equation group."""
    diagram = read_sketch(MODEL)
    sectors = model_sectors(MODEL)
    names = set(variable_table(parse_abstract_model(MODEL)).index) - CONTROL_VARIABLES
    drawn: dict[str, str] = {}
    for view in diagram.views:
        for variable in view.variables:
            if not variable.shadow:
                assert variable.name not in drawn, f"{variable.name} drawn twice"
                drawn[variable.name] = view.name
    assert set(drawn) == names
    assert all(drawn[name] == sectors[name] for name in names)
    assert {
        "Economic upgrading",
        "Wages",
        "Compliance",
        "Governance by buyers and civil society",
        "Governance by labour, state and cluster",
    } <= {view.name for view in diagram.views}


def test_stocks_are_boxes_with_flow_pipes() -> None:
    """Stocks are drawn as boxes, each connected by pipes to valves of its flows."""
    diagram = read_sketch(MODEL)
    boxes = [v for view in diagram.views for v in view.variables if v.is_stock_box]
    table = variable_table(parse_abstract_model(MODEL))
    assert sorted(v.name for v in boxes) == sorted(table.index[table["kind"] == "stock"])
    for view in diagram.views:
        box_ids = {v.id for v in view.variables if v.is_stock_box}
        piped = {a.target for a in view.arrows if a.pipe} | {
            a.source for a in view.arrows if a.pipe
        }
        assert box_ids <= piped | set(view.valves), view.name
        for arrow in view.arrows:
            assert view.position(arrow.source) is not None
            assert view.position(arrow.target) is not None


def test_sketch_is_current(tmp_path: Path) -> None:
    """Re-laying out the sketch from the equations reproduces the committed file."""
    copy = tmp_path / MODEL.name
    shutil.copyfile(MODEL, copy)
    write_sketch(copy)
    assert copy.read_text("utf-8") == MODEL.read_text("utf-8"), (
        "run `python -m gvc_upgrading.sketch models/gvc_upgrading.mdl`"
    )


def test_pysd_reads_the_views(tmp_path: Path) -> None:
    """pysd parses the sketch and splits the model by view."""
    copy = tmp_path / MODEL.name
    shutil.copyfile(MODEL, copy)
    pysd.read_vensim(str(copy), split_views=True, initialize=False)
    assert (tmp_path / "modules_gvc_upgrading").is_dir()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not found"):
        read_sketch(tmp_path / "absent.mdl")


def test_malformed_sketch_line_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mdl"
    text = MODEL.read_text("utf-8").replace(
        "10,1,Supplier capability,", "10,x,Supplier capability,", 1
    )
    broken.write_text(text, "utf-8")
    with pytest.raises(ModelFileError, match="malformed sketch line"):
        read_sketch(broken)
