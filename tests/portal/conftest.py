"""Fixtures of the portal tests: a generated school (and its .zip), portals with tokens."""

from __future__ import annotations

import json
import re
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from scolint.engine.cli import main


@pytest.fixture(scope="session")
def school(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A generated 600-pupil school: its folder, its exports as a .zip, its ground truth."""
    base = tmp_path_factory.mktemp("ecole")
    folder = base / "exports"
    assert main(["generate", "--students", "600", "--seed", "1", "--out", str(folder)]) == 0
    truth = json.loads((folder / "verite-terrain.json").read_text("utf-8"))
    archive = base / "exports.zip"
    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in (".xml", ".csv"))
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.name)
    return {"folder": folder, "zip": archive, "truth": truth, "uai": truth["uai"], "files": files}


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
