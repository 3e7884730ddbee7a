"""Look at it: the academy dashboard in headless Chromium, on a narrow (phone layout) and
a desktop window; its sorting script sorts. The measuring script is added to a *copy* only."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from browser import chromium

from scolint.engine.cli import main
from scolint.plugins.gen.generate import generate

PROBE = """<script>
window.addEventListener('load', function () {
  function order() {
    return Array.prototype.map.call(document.querySelectorAll('tbody tr td.first strong'),
                                    function (e) { return e.textContent; });
  }
  var right = 0;
  document.querySelectorAll('body *').forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > right) { right = r.right; }
  });
  var out = {inner: window.innerWidth, scroll: document.documentElement.scrollWidth, right: Math.ceil(right),
             initial: order(), thead: getComputedStyle(document.querySelector('thead')).display};
  var button = document.querySelector('th button[data-col="3"]');
  button.click(); out.first_click = order();
  button.click(); out.second_click = order();
  var pre = document.createElement('pre');
  pre.id = 'mesure';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""




def probe(page: Path, width: int) -> dict:
    copy = page.with_name(f"mesure-{width}.html")
    copy.write_text(page.read_text("utf-8").replace("</body>", PROBE + "</body>"), "utf-8")
    done = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", "--disable-background-networking", f"--window-size={width},900",
                           "--dump-dom", copy.as_uri()],
                          capture_output=True, text=True, timeout=180,
                          env=dict(os.environ, HOME=str(page.parent)))
    found = re.search(r'<pre id="mesure">(.*?)</pre>', done.stdout)
    assert found, f"mesure absente (chromium : {done.stderr[-500:]})"
    return json.loads(found.group(1))


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    base = tmp_path_factory.mktemp("tableau")
    root = base / "depots"
    for seed in (11, 12, 13):
        est, _ = generate(root / f"g{seed}", 40, seed)
        (root / f"g{seed}").rename(root / est.uai)
    args = ["batch", str(root), "--jobs", "1", "--sans-config", "--donnees", str(base / "donnees"),
            "--formats", "json"]
    with contextlib.redirect_stderr(io.StringIO()):
        main([*args, "-o", str(base / "r1")])
        main([*args, "-o", str(base / "r2")])
    errors = {p.stem[len("rapport-"):]: json.loads(p.read_text("utf-8"))["bilan"]["error"]
              for p in (base / "r2").glob("rapport-*.json")}
    return base / "r2" / "tableau-academie.html", errors


@pytest.mark.parametrize("width", [500, 1280])  # 500: the narrowest window headless Chromium lays out here
def test_dashboard_fits_and_sorts(dashboard, width):
    page, errors = dashboard
    m = probe(page, width)
    assert m["inner"] == width
    assert m["thead"] == ("none" if width < 760 else "table-header-group")  # phone: one card per school
    assert m["scroll"] <= width and m["right"] <= width, m
    assert sorted(m["initial"]) == sorted(errors)
    by_errors = sorted(errors, key=lambda u: errors[u])
    assert [errors[u] for u in m["first_click"]] == sorted(errors.values(), reverse=True)
    assert [errors[u] for u in m["second_click"]] == [errors[u] for u in by_errors]


def test_dashboard_is_self_contained(dashboard):
    page, _ = dashboard
    html = page.read_text("utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    assert "<svg" in html and html.count("<tr>") == 1 + 3
