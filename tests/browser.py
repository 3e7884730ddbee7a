"""Headless Chromium for the report tests: lay a page out at a given width and measure it,
take screenshots (a new profile each time, no network, no background services)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

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


