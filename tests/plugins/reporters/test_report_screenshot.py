"""Look at it: the demo's HTML report in headless Chromium, at 600 px wide.

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
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("Chromium est nécessaire à ce test : apt-get install chromium (.ci/run l'installe)")


def run_chromium(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", "--disable-extensions", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180,
                          env=dict(os.environ, HOME=os.environ.get("HOME", "/tmp")))


def measure(page: Path, width: int) -> dict[str, int]:
    copy = page.with_name(page.stem + f"-mesure-{width}.html")
    copy.write_text(page.read_text("utf-8").replace("</body>", MEASURE + "</body>"), "utf-8")
    done = run_chromium(f"--window-size={width},900", "--dump-dom", copy.as_uri())
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


def test_demo_report_has_no_horizontal_overflow_at_600_px(demo_report):
    m = measure(demo_report, 600)
    assert m["inner"] == 600
    assert m["scroll"] <= 600 and m["right"] <= 600, m
    assert m["height"] > 1500  # the whole report was laid out, not an empty page


def test_the_measure_sees_an_overflow(demo_report):
    wide = demo_report.with_name("trop-large.html")
    wide.write_text(demo_report.read_text("utf-8").replace(
        "</body>", '<table width="900"><tr><td>x</td></tr></table></body>'), "utf-8")
    m = measure(wide, 600)
    assert m["scroll"] > 600 and m["right"] > 600


def test_screenshot_of_the_demo_report(demo_report, tmp_path):
    shot = tmp_path / "rapport.png"
    run_chromium("--window-size=600,2400", f"--screenshot={shot}", demo_report.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (600, 2400)
