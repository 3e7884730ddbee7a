"""ENT identifier file: every known layout, encodings and delimiters sniffed, rows checked
against schemas/csv (file, line, column, French), codes kept out of the graph, --profile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scolint.engine.audit import Auditor
from scolint.plugins.common import csvread

CODES = ("k7Wz9pQa", "Zr5tTq2m", "hV8nMx3c")

KOSMOS = (f"0310040A;1001;3 A;Eleve;Héloïse;CŒURDEROY;heloise.coeurderoy;{CODES[0]};J1001;2001;2002;;\n"
          f"0310040A;2001;;Parent;Jérôme;CŒURDEROY;jerome.coeurderoy;{{SHA}}Yw8xTmU3cEFhZg==;J2001;;;;;Héloïse;CŒURDEROY\n"
          f"0310040A;2002;;Parent;Anne;MARTIN;anne.martin;Mot de passe déjà modifié par l'utilisateur;J2002;;;;\n"
          f"0310040A;3001;;Enseignant;Paul;DURAND;paul.durand;{CODES[1]};J3001;;;;\n")
ENTCORE = ('"RNE";"UID";"Classe";"Profil";"Prénom";"Nom";"Login";"Mot de passe";"Clé de jointure";'
           '"UID Responsable 1";"UID Responsable 2";"UID tuteur 1";"UID tuteur 2"\n'
           f'"";"a1";"4B";"Eleve";"Léa";"DUPONT";"lea.dupont";"{CODES[2]}";"J1";"a2";"";"";""\n'
           '"";"a2";"";"Relative";"Marc";"DUPONT";"marc.dupont";"";"J2";"";"";"";""\n')
OPENENT = ("\ufeff\"Id\";\"Id Siecle\";\"Type\";\"Nom\";\"Prénom\";\"Login\";\"Alias de login\";\"Code d'activation\";"
           "\"Fonction(s)\";\"Structure(s)\";\"Classe(s)\";\"Enfant(s)\";\"Parent(s)\"\n"
           f"\"TOULOUSE-1\";\"1001\";\"Student\";\"NOÉ\";\"Zoé\";\"zoe.noe\";\"\";\"{CODES[0]}\";\"\";\"COLLEGE\";\"5C\";\"\";\"\"\n")


def _load(folder: Path, options=None):
    graph, _shown = Auditor(use_default_rules=False, options=options).load([folder])
    return graph


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("text,encoding,layout", [
    (KOSMOS, "iso-8859-15", "ent-kosmos-gepi"),
    (KOSMOS, "utf-8", "ent-kosmos-gepi"),
    ("RNE;UID;classe;profil;prénom;nom;login;mot de passe;clé de jointure;uid père;uid mère;uid tuteur1;"
     "uid tuteur2\n" + KOSMOS, "utf-8", "ent-kosmos-gepi"),
    (ENTCORE, "utf-8", "ent-entcore-gepi"),
    (ENTCORE.replace(";", ","), "cp1252", "ent-entcore-gepi"),
    (OPENENT, "utf-8", "ent-opentent-classique"),
])
def test_known_layouts_load(tmp_path, text, encoding, layout):
    _write(tmp_path, "ENT-Identifiants-0310040.A.csv", text, encoding)
    graph = _load(tmp_path)
    assert not graph.problems, graph.problems
    accounts = graph.all("ent_account", "ent")
    assert accounts and {a["layout"] for a in accounts} == {layout}
    assert graph.exports[0].format_id == "ent-identifiants"
    assert graph.exports[0].uai == "0310040A"
    names = {a["last_name"] for a in accounts}
    assert names & {"CŒURDEROY", "DUPONT", "NOÉ"}


def test_kosmos_fields_links_and_codes(tmp_path):
    _write(tmp_path, "ENT-Identifiants-0310040A.csv", KOSMOS, "iso-8859-15")
    graph = _load(tmp_path)
    acc = {a.id: a for a in graph.all("ent_account", "ent")}
    assert acc["heloise.coeurderoy"]["profile"] == "eleve"
    assert acc["heloise.coeurderoy"]["division_code"] == "3 A"
    assert acc["heloise.coeurderoy"]["parents"] == [acc["jerome.coeurderoy"], acc["anne.martin"]]
    assert acc["jerome.coeurderoy"]["children"] == [acc["heloise.coeurderoy"]]
    assert acc["jerome.coeurderoy"]["child_names"] == ["Héloïse CŒURDEROY"]
    assert [acc[k]["code_changed"] for k in ("heloise.coeurderoy", "jerome.coeurderoy", "anne.martin")] == \
        [False, True, True]
    assert acc["paul.durand"]["profile"] == "enseignant" and acc["paul.durand"]["code_present"]
    dump = repr([(e.label, e.data) for e in graph])
    for code in CODES[:2] + ("Yw8xTmU3cEFhZg",):
        assert code not in dump


def test_row_errors_name_file_line_and_column_in_french(tmp_path):
    bad = KOSMOS.replace("paul.durand", "paul durand").replace("0310040A;2002", "031004;2002")
    bad += "0310040A;4001;;Eleve;Tom\n"
    _write(tmp_path, "ENT-Identifiants-0310040A.csv", bad)
    graph = _load(tmp_path)
    probs = {(p.line, p.message) for p in graph.problems}
    assert any(line == 4 and "colonne « colonne 7 »" in msg and "identifiant de connexion" in msg for line, msg in probs)
    assert any(line == 3 and "colonne « colonne 1 »" in msg and "UAI" in msg for line, msg in probs)
    assert any(line == 5 and "5 champ(s) au lieu d'au moins 13" in msg for line, msg in probs)
    assert all(p.file.endswith("ENT-Identifiants-0310040A.csv") for p in graph.problems)
    assert "paul.durand" not in {a.id for a in graph.all("ent_account", "ent")}
    assert "anne.martin" in {a.id for a in graph.all("ent_account", "ent")}  # a bad UAI cell keeps the row


def test_errors_never_quote_a_code(tmp_path):
    text = ENTCORE.replace('"lea.dupont"', '"lea dupont"')
    _write(tmp_path, "ENT-Identifiants.csv", text)
    graph = _load(tmp_path)
    assert graph.problems
    assert not any(c in p.message for p in graph.problems for c in CODES)


def test_unknown_layout_needs_a_profile(tmp_path):
    _write(tmp_path, "comptes.csv", f"Identifiant,Catégorie,Nom de famille,Secret\nx.y,ELV,TRUC,{CODES[0]}\n")
    graph = _load(tmp_path)
    assert [p.code for p in graph.problems] == ["ENTREE-INCONNU"]
    profile = tmp_path.parent / "profil.yaml"
    profile.write_text("""id: ent-maison
famille: ent-identifiants
libelle: test
reconnaissance: {entete: [Identifiant, Catégorie]}
colonnes:
  login: {entete: [Identifiant]}
  profile: {entete: [Catégorie]}
  last_name: {entete: [Nom de famille]}
  code: {entete: [Secret], secret: true}
valeurs: {profile: {eleve: [ELV]}}
""", encoding="utf-8")
    graph = _load(tmp_path, {"profiles": [str(profile)]})
    (acc,) = graph.all("ent_account", "ent")
    assert (acc.id, acc["profile"], acc["layout"], acc["code_present"]) == ("x.y", "eleve", "ent-maison", True)


def test_cli_profile_option_and_bad_profile(tmp_path):
    _write(tmp_path / "d", "comptes.csv", "Identifiant;Catégorie;Nom de famille\nx.y;ELV;TRUC\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nfamille: ent-identifiants\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "scolint.engine.cli", "check", str(tmp_path / "d"),
                          "--profile", str(bad)], capture_output=True, text=True)
    assert run.returncode == 2
    assert "profil CSV invalide" in run.stderr and "Traceback" not in run.stderr


def test_sniffing():
    assert csvread.sniff_delimiter('"a","b","c"\n"1","2","3"\n') == ","
    assert csvread.sniff_delimiter("a;b,c;d\n1;2,3;4\n") == ";"
    assert csvread.decode("é".encode("cp1252") + b"\x80")[1] == "Windows-1252"
    assert csvread.decode("é€".encode("iso-8859-15"))[1] == "ISO-8859-15"
    assert csvread.decode("\ufeffé".encode("utf-8")) == ("é", "UTF-8 (avec BOM)")


def test_builtin_profiles_are_valid_and_documented():
    profiles = csvread.builtin_profiles()
    assert {p.family for p in profiles} == {"ent-identifiants", "pronote-identifiants", "pronote-responsables"}
    doc = (Path(__file__).resolve().parents[3] / "docs" / "profils-csv.md").read_text("utf-8")
    for p in profiles:
        assert p.id in doc
        assert p.status in ("connu", "suppose")
    assert {p.id for p in profiles if p.status == "suppose"} == {"pronote-identifiants-suppose",
                                                                "pronote-responsables-suppose"}
