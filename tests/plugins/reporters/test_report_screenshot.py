"""Look at it: the demo's HTML report in headless Chromium, on a phone (390 px) and a
desktop (1280 px), and at 600 px (the mail's width).

The report has no JavaScript; the test adds a measuring script to a *copy* only, then
reads the measure from the DOM that Chromium dumps after layout.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser import measure, run_chromium

from scolint.engine.cli import main


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    previous = Path.cwd()
    os.chdir(folder)
    try:
        assert main(["demo"]) == 0
    finally:
        os.chdir(previous)
    page = folder / "rapport-demo.html"
    assert page.is_file() and (folder / "rapport-demo.md").is_file()
    return page


@pytest.mark.parametrize("width", [390, 600, 1280])
def test_demo_report_has_no_horizontal_overflow(demo_report, width):
    m = measure(demo_report, width)
    assert m["inner"] == width
    assert m["scroll"] <= width and m["right"] <= width, m
    assert m["height"] > 1500  # the whole report was laid out, not an empty page


def test_chart_labels_stay_readable_on_a_phone(demo_report):
    page = demo_report.with_name("graphique.html")
    page.write_text(demo_report.read_text("utf-8").replace("</body>", """<script>
window.addEventListener('load', function () {
  var sizes = [];
  document.querySelectorAll('svg text').forEach(function (t) { sizes.push(t.getBoundingClientRect().height); });
  var out = document.createElement('pre'); out.id = 'mesure';
  out.textContent = JSON.stringify({inner: window.innerWidth, scroll: 0, right: 0, height: Math.min.apply(null, sizes)});
  (window.parent || window).document.body.appendChild(out);
});
</script></body>"""), "utf-8")
    m = measure(page, 390)
    assert m["height"] >= 12, m  # the smallest label's box, in CSS pixels (it was 6 px)


def test_the_measure_sees_an_overflow(demo_report):
    wide = demo_report.with_name("trop-large.html")
    wide.write_text(demo_report.read_text("utf-8").replace(
        "</body>", '<table width="900"><tr><td>x</td></tr></table></body>'), "utf-8")
    m = measure(wide, 600)
    assert m["scroll"] > 600 and m["right"] > 600


@pytest.mark.parametrize("width", [390, 1280])
def test_screenshot_of_the_demo_report(demo_report, tmp_path, width):
    shot = tmp_path / "rapport.png"
    run_chromium(f"--window-size={width},2400", f"--screenshot={shot}", demo_report.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (w, h) == (width, 2400)
