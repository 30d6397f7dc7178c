"""The causal-loop diagram: loops read from models/README.md, links checked in the equations."""

from __future__ import annotations

import html
from pathlib import Path

from gvc_upgrading.report.loops import draw_loops, read_loops
from gvc_upgrading.resources import shipped_path

TINY_MODEL = Path(__file__).parents[1] / "model" / "data" / "tiny.mdl"

README = """# tiny

## Feedback loops

- **B1 Erosion.** Supplier capability → capability erosion → supplier capability. Text.
- **R1 Orders lift capability.** Supplier capability → (higher) export orders → supplier
  capability. A loop the equations do not have.
- **Goal seeking (B).** Not a named loop.

## Variables
"""


def test_shipped_loops_are_checked_and_their_gaps_listed(model, report):
    loops = read_loops(shipped_path("models", "README.md"), model.path)
    assert len(loops) >= 5
    for loop in loops:
        assert len(loop.steps) >= 2 and len(loop.verified) == len(loop.steps)
        assert all(step in model.variables.index for step in loop.steps)
    closed = {loop.polarity for loop in loops if all(loop.verified)}
    assert closed == {"R", "B"}  # reinforcing and balancing loops that close in the equations
    text = (report.out / "report.html").read_text("utf-8")
    for loop in loops:
        for i, ok in enumerate(loop.verified):
            link = f"{loop.steps[i]} → {loop.steps[(i + 1) % len(loop.steps)]}"
            assert (html.escape(link) in text.split("links not found", 1)[-1]) or ok


def test_a_link_missing_from_the_equations_is_not_verified(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(README, encoding="utf-8")
    loops = {loop.key: loop for loop in read_loops(readme, TINY_MODEL)}
    assert set(loops) == {"B1", "R1"}
    assert loops["B1"].steps == ["Supplier capability", "Capability erosion"]
    assert loops["B1"].verified == [True, True]
    assert loops["R1"].steps == ["Supplier capability", "Export orders"]
    # Export orders depend on capability, capability never on export orders.
    assert loops["R1"].verified == [True, False]
    figure = draw_loops(list(loops.values()))
    dashed = [
        patch
        for ax in figure.axes
        for patch in ax.patches
        if patch.get_linestyle() not in ("-", "solid")
    ]
    assert len(dashed) == 1


def test_every_loop_the_model_readme_names_closes_in_the_equations(model):
    """The documented loops are claims about the model: each link must be in its equations."""
    loops = read_loops(shipped_path("models", "README.md"), model.path)
    broken = {
        loop.key: [
            f"{loop.steps[i]} → {loop.steps[(i + 1) % len(loop.steps)]}"
            for i, ok in enumerate(loop.verified)
            if not ok
        ]
        for loop in loops
        if not all(loop.verified)
    }
    assert broken == {}
