"""``scolint serve jeton|jetons|revoquer``: tokens shown once, stored hashed, revocable."""

from __future__ import annotations

import json
import stat

from portal_helpers import login, new_token, running

from scolint.engine.cli import main


def test_token_is_shown_once_and_stored_hashed(tmp_path, capsys):
    data = tmp_path / "donnees"
    assert main(["serve", "jeton", "0312201z", "--donnees", str(data)]) == 0
    out = capsys.readouterr().out
    token = out.strip().splitlines()[-1]
    assert "affiché une seule fois" in out and len(token) >= 40
    stored = (data / "jetons.json").read_text("utf-8")
    assert token not in stored
    entry = json.loads(stored)["jetons"][0]
    assert entry["cle"] == "0312201Z" and entry["role"] == "etablissement"
    assert entry["empreinte"].startswith("sha256:")
    assert stat.S_IMODE((data / "jetons.json").stat().st_mode) == 0o600
    assert main(["serve", "jetons", "--donnees", str(data)]) == 0
    listing = capsys.readouterr().out
    assert "0312201Z" in listing and token not in listing and "sha256" not in listing


def test_bad_uai_and_bad_options_are_refused_in_french(tmp_path, capsys):
    assert main(["serve", "jeton", "12345", "--donnees", str(tmp_path)]) == 2
    assert "UAI invalide « 12345 »" in capsys.readouterr().err
    assert main(["serve", "jeton", "--donnees", str(tmp_path)]) == 2
    assert "donnez l'UAI" in capsys.readouterr().err
    assert main(["serve", "revoquer", "0312201Z", "--donnees", str(tmp_path)]) == 2
    assert "aucun jeton" in capsys.readouterr().err
    assert main(["serve", "--port", "-1", "--donnees", str(tmp_path)]) == 2
    assert "--port doit valoir au moins 0" in capsys.readouterr().err
    (tmp_path / "jetons.json").write_text("{pas du json", "utf-8")
    assert main(["serve", "jetons", "--donnees", str(tmp_path)]) == 2
    assert "fichier des jetons illisible" in capsys.readouterr().err


def test_revoked_token_no_longer_opens_the_portal(tmp_path):
    data = tmp_path / "donnees"
    token = new_token(data, "0312201Z")
    kept = new_token(data, "0750001A")
    assert main(["serve", "revoquer", "0312201Z", "--donnees", str(data)]) == 0
    with running(tmp_path) as client:
        assert login(client, token).status_code == 403
        assert login(client, kept).status_code == 303
