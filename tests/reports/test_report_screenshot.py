"""Look at it: the demo's HTML report in headless Chromium, on a phone (390 px) and a
desktop (1280 px), and at 600 px (the mail's width).

The report has no JavaScript; the test adds a measuring script to a *copy* only, then
reads the measure from the DOM that Chromium dumps after layout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scolint.engine.cli import main

MEASURE = """<script>
window.addEventListener('load', function () {
  var right = 0;
  document.querySelectorAll('body *').forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > right) { right = r.right; }
  });
  var out = document.createElement('pre');
  out.id = 'mesure';
  out.textContent = JSON.stringify({inner: window.innerWidth, scroll: document.documentElement.scrollWidth,
                                    right: Math.ceil(right), height: document.documentElement.scrollHeight});
  (window.parent || window).document.body.appendChild(out);
});
</script>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("Chromium est nécessaire à ce test : apt-get install chromium (.ci/run l'installe)")


def run_chromium(*args: str) -> subprocess.CompletedProcess[str]:
    import tempfile
    with tempfile.TemporaryDirectory(prefix="scolint-chromium-") as profile:  # a new profile each time
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
               "--disable-extensions", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=dict(os.environ, HOME=profile))


def measure(page: Path, width: int) -> dict[str, int]:
    """Lay ``page`` out in a viewport ``width`` px wide and measure it.

    Headless Chromium's window is at least 500 px wide: the page is shown in an iframe of
    exactly ``width`` px (``srcdoc``: same origin, so its script can write the measure
    into the top document, which Chromium dumps)."""
    import html as html_lib
    inner = page.read_text("utf-8").replace("</body>", MEASURE + "</body>")
    copy = page.with_name(page.stem + f"-mesure-{width}.html")
    copy.write_text(f'<!DOCTYPE html><html><body style="margin:0"><iframe id="cadre" width="{width}" height="900" '
                    f'style="border:0" srcdoc="{html_lib.escape(inner, quote=True)}"></iframe></body></html>', "utf-8")
    done = run_chromium(f"--window-size={max(width, 500) + 40},1000", "--virtual-time-budget=10000",
                        "--dump-dom", copy.as_uri())
    found = re.search(r'<pre id="mesure">(.*?)</pre>', done.stdout)
    assert found, f"mesure absente (chromium : {done.stderr[-500:]})"
    return json.loads(found.group(1))


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
