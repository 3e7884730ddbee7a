"""Helpers of the portal tests: tokens made by the CLI, a portal in process, the forms."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from scolint.engine.cli import main


def new_token(data: Path, *args: str) -> str:
    """A token made by the command a person runs (``scolint serve jeton``)."""
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["serve", "jeton", *args, "--donnees", str(data)]) == 0
    return out.getvalue().strip().splitlines()[-1]


@contextmanager
def running(tmp_path: Path, **options: Any) -> Iterator[Any]:
    """A portal in this process (Starlette's TestClient), its worker processes started."""
    from starlette.testclient import TestClient

    from scolint.plugins.portal.app import PortalConfig, create_app
    data, tmp = tmp_path / "donnees", tmp_path / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    clock = options.pop("clock", None)
    config = PortalConfig(data_dir=data, tmp_root=tmp, **dict({"workers": 1}, **options))
    data.mkdir(parents=True, exist_ok=True)
    app = create_app(config, clock) if clock else create_app(config)
    with TestClient(app, base_url="http://testserver") as client:
        client.data, client.tmp = data, tmp
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "formulaire sans jeton anti-falsification"
    return found.group(1)


def login(client: Any, token: str) -> Any:
    page = client.get("/")
    return client.post("/connexion", data={"csrf": csrf_of(page.text), "jeton": token}, follow_redirects=False)


def upload(client: Any, paths: list[Path], csrf: str | None = "page", **kwargs: Any) -> Any:
    """Post ``paths`` as the upload form does (the CSRF field first, as the browser sends it)."""
    data = {}
    if csrf == "page":
        data["csrf"] = csrf_of(client.get("/").text)
    elif csrf is not None:
        data["csrf"] = csrf
    files = [("fichiers", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
    return client.post("/envoyer", data=data, files=files, **kwargs)


def leftovers(client: Any) -> list[Path]:
    """Every file or folder left under the portal's private upload folder."""
    return [p for private in client.tmp.iterdir() for p in private.rglob("*")]
