"""The built report in a real browser: headless Chromium (Debian's ``chromium`` package).

A copy of ``report.html`` gets a small script that, once the page has loaded,
writes what the browser measured into the DOM (images loaded, elements wider
than the page, where the summary sits); Chromium's ``--dump-dom`` returns it.
A screenshot of the first screen is taken too and must not be blank; it is
kept in the test's temporary folder (named in every failure message). Skipped,
with the reason, when no Chromium is installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed (apt-get install chromium; .ci/run does)"
)

WIDTH, HEIGHT = 1280, 900

_PROBE = """<script>
window.addEventListener('load', () => {
  const page = document.documentElement.clientWidth;
  const images = [...document.images];
  const wide = [...document.querySelectorAll('body *')].filter(
    (e) => e.getBoundingClientRect().right > page + 1 && e.offsetParent !== null);
  const summary = document.getElementById('summary');
  const out = {
    images: images.length,
    broken: images.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.alt),
    pageWidth: page,
    scrollWidth: document.documentElement.scrollWidth,
    wide: wide.slice(0, 10).map((e) => e.tagName + '#' + e.id + ' ' + e.textContent.slice(0, 40)),
    summaryTop: summary ? summary.getBoundingClientRect().top : null,
    firstAnswer: document.querySelector('#summary p.answer')?.getBoundingClientRect().top ?? null,
    viewport: window.innerHeight,
    headings: [...document.querySelectorAll('h2')].map((h) => h.textContent),
  };
  const pre = document.createElement('pre');
  pre.id = 'browser-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{HEIGHT}",
        "--hide-scrollbars",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def browser(report, tmp_path_factory):
    """The measurements and first-screen screenshot of the report in Chromium."""
    folder = tmp_path_factory.mktemp("browser")
    page = report.out / "probe.html"  # beside report.html so relative links resolve
    text = (report.out / "report.html").read_text("utf-8")
    page.write_text(text.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    try:
        dom = _chromium(
            "--virtual-time-budget=10000", "--dump-dom", page.as_uri(), profile=folder / "p1"
        )
        shot = folder / "first_screen.png"
        _chromium(f"--screenshot={shot}", (report.out / "report.html").as_uri(),
                  profile=folder / "p2")  # fmt: skip
    finally:
        page.unlink()
    marker = '<pre id="browser-check">'
    assert marker in dom.stdout, f"no measurements from Chromium: {dom.stderr[-2000:]}"
    measured = json.loads(dom.stdout.split(marker, 1)[1].split("</pre>", 1)[0])
    return measured, shot


def test_every_image_loads(browser):
    measured, shot = browser
    assert measured["images"] >= 8, shot
    assert measured["broken"] == [], f"broken images {measured['broken']}; screenshot {shot}"


def test_nothing_overflows_the_page(browser):
    measured, shot = browser
    assert measured["scrollWidth"] <= measured["pageWidth"], (
        f"page scrolls sideways ({measured['scrollWidth']} > {measured['pageWidth']} px): "
        f"{measured['wide']}; screenshot {shot}"
    )


def test_the_first_screen_shows_the_summary(browser):
    measured, shot = browser
    assert measured["headings"][:2] == ["Summary: the paper's three questions", "Limitations"]
    assert measured["firstAnswer"] is not None
    assert 0 < measured["firstAnswer"] < measured["viewport"], f"screenshot {shot}"


def test_the_first_screen_is_not_blank(browser):
    _, shot = browser
    assert shot.is_file(), "Chromium wrote no screenshot"
    pixels = imread(shot)[..., :3]
    assert pixels.shape[:2] == (HEIGHT, WIDTH), shot
    ink = np.mean(pixels.mean(axis=2) < 0.6)  # share of dark (text) pixels
    assert 0.01 < ink < 0.5, f"first screen looks blank or broken ({ink:.3f}); screenshot {shot}"
