"""``scolint publipostage``: the sendable accounts only, by profile then class, a French
summary of who was left out and why, usage errors without traceback."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from scolint.engine.cli import main
from scolint.plugins.gen.ent import ent_people, flags
from scolint.plugins.gen.generate import generate

ORDER = ["élève", "responsable", "enseignant", "personnel"]


@pytest.fixture(scope="module", params=[1, 2])  # Kosmos layout (odd seed), Open ENT NG template (even)
def data(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"pub{request.param}")
    est, truth = generate(out, 120, request.param)
    return out, est, truth


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8-sig", newline=""), delimiter=";"))


def test_sendable_accounts_sorted_by_profile_and_class(data, tmp_path, capsys):
    out, est, truth = data
    target = tmp_path / "courrier.csv"
    assert main(["publipostage", str(next(out.glob("ENT-Identifiants-*.csv"))), "-o", str(target)]) == 0
    rows = _rows(target)
    changed = set(flags(est)["sha"])
    students, guardians, teachers = ent_people(est)
    everyone = {p.accounts.ent_login: p.accounts.ent_code for p in [*students, *guardians, *teachers]}
    everyone.update({e["login"]: e["code"] for e in flags(est)["stale_guardians"]})
    assert {r["Identifiant"] for r in rows} == set(everyone) - changed
    assert all(r["Code"] == everyone[r["Identifiant"]] for r in rows)
    keys = [(ORDER.index(r["Profil"]), r["Classe"].casefold()) for r in rows]
    assert keys == sorted(keys)
    pupil = next(s for s in students if s.division)
    row = next(r for r in rows if r["Identifiant"] == pupil.accounts.ent_login)
    assert row["Classe"] == pupil.division
    if est.seed % 2 == 0:  # parents get their children's class through the UID columns
        parent = est.guardians_of(pupil.eleve_id, legal_only=True)[0]
        prow = next((r for r in rows if r["Identifiant"] == parent.accounts.ent_login), None)
        assert prow is None or pupil.division in prow["Classe"]
    summary = capsys.readouterr().out
    assert f"{len(rows)} compte(s) à qui envoyer" in summary
    assert f"code déjà modifié par l'utilisateur ({{SHA}} ou « modifié par l'utilisateur ») : {len(changed)}" in summary
    for login in changed:
        assert f"{login}, " in summary
    assert {f.id for f in truth.findings if f.rule == "ENT-SHA-001"} == changed


def test_profile_filter_and_usage_errors(data, tmp_path, capsys):
    out, _est, _truth = data
    ent = next(out.glob("ENT-Identifiants-*.csv"))
    target = tmp_path / "parents.csv"
    assert main(["publipostage", str(ent), "-o", str(target), "--profils", "responsable"]) == 0
    assert {r["Profil"] for r in _rows(target)} == {"responsable"}
    assert main(["publipostage", str(ent), "-o", str(target), "--profils", "directeur"]) == 2
    assert main(["publipostage", str(tmp_path / "absent.csv"), "-o", str(target)]) == 2
    assert main(["publipostage", str(ent), "-o", str(ent)]) == 2
    err = capsys.readouterr().err
    assert "profil(s) inconnu(s) : directeur" in err and "introuvable" in err
    assert "ne peut pas être le fichier des identifiants" in err and "Traceback" not in err


def test_file_without_codes_and_bad_rows(tmp_path, capsys):
    gepi2 = tmp_path / "type2.csv"
    gepi2.write_text("Civilité;Nom;Prénom;Profil;Login;Identifiant ENT;Etablissement\nM.;DURAND;Jo;Eleve;jo.d;x;Y\n",
                     encoding="utf-8")
    assert main(["publipostage", str(gepi2), "-o", str(tmp_path / "p.csv")]) == 2
    assert "pas de colonne de code" in capsys.readouterr().err
    kosmos = tmp_path / "ENT-Identifiants-0310040A.csv"
    kosmos.write_bytes("0310040A;1;3A;Eleve;Léa;DUPONT;lea.dupont;abcd1234;J1;;;;\n"
                       "0310040A;2;3A;Eleve;Tom;MARTIN;tom martin;efgh5678;J2;;;;\n"
                       "0310040A;3;;Parent;Marc;DUPONT;marc.dupont;;J3;;;;\n".encode("cp1252"))
    assert main(["publipostage", str(kosmos), "-o", str(tmp_path / "k.csv")]) == 0
    assert [r["Identifiant"] for r in _rows(tmp_path / "k.csv")] == ["lea.dupont"]
    out = capsys.readouterr().out
    assert "ligne non conforme (voir scolint check) : 1" in out and "ligne 2" in out
    assert "aucun code dans le fichier : 1" in out and "DUPONT Marc (marc.dupont, responsable)" in out
    assert "efgh5678" not in out
