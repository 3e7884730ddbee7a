"""The generator: determinism, French names, real shapes, internal consistency, commands."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from scolint.engine.cli import main
from scolint.plugins.gen import names
from scolint.plugins.gen.build import build_establishment
from scolint.plugins.gen.generate import TRUTH_FILE, all_defects, generate, writer_modules
from scolint.plugins.gen.truth import GroundTruth

SIECLE_FILES = ("ElevesSansAdresses.xml", "ResponsablesAvecAdresses.xml", "Structures.xml", "Nomenclature.xml")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    est, truth = generate(out, 200, 7)
    return out, est, truth


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    generate(tmp_path / "a", 120, 5)
    generate(tmp_path / "b", 120, 5)
    generate(tmp_path / "c", 120, 6)
    a, b, c = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert a == b
    assert a["ElevesSansAdresses.xml"] != c["ElevesSansAdresses.xml"]


def test_same_files_whatever_the_hash_seed(tmp_path):
    """No output depends on set iteration order (PYTHONHASHSEED differs between runs)."""
    code = "import sys; from scolint.engine.cli import main; sys.exit(main(sys.argv[1:]))"
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        subprocess.run([sys.executable, "-c", code, "generate", "--students", "90", "--seed", "3",
                        "--out", str(tmp_path / hash_seed)], check=True, env=env, capture_output=True)
    assert _files(tmp_path / "1") == _files(tmp_path / "2")


def test_file_names_and_real_shapes(generated):
    out, est, _truth = generated
    names_written = sorted(p.name for p in out.iterdir())
    assert names_written == sorted([*SIECLE_FILES, f"sts_emp_{est.uai}_{est.year}.xml", TRUTH_FILE,
                                    f"ExportEmploiDuTemps_{est.uai}_enclair.xml", f"emp_sts_{est.uai}_{est.year}.xml",
                                    f"Identifiants_PRONOTE_{est.uai}.csv", f"Responsables_PRONOTE_{est.uai}.csv",
                                    f"ENT-Identifiants-{est.uai}.csv",
                                    *(f"ENT_Complet_{est.export_date:%Y%m%d}_{c}_0000.xml"
                                      for c in ("Eleve", "PersRelEleve", "PersEducNat", "EtabEducNat"))])
    roots = {"ElevesSansAdresses.xml": ("BEE_ELEVES", "3.0"), "ResponsablesAvecAdresses.xml": ("BEE_RESPONSABLES", "2.1"),
             "Structures.xml": ("BEE_STRUCTURES", "2.0"), "Nomenclature.xml": ("BEE_NOMENCLATURES", "3.1")}
    for name, (root, version) in roots.items():
        raw = (out / name).read_bytes()
        assert raw.startswith(b'<?xml version="1.0" encoding="ISO-8859-15"?>')
        tree = etree.fromstring(raw)
        assert (tree.tag, tree.get("VERSION")) == (root, version)
        assert tree.findtext("PARAMETRES/UAJ") == est.uai
        assert tree.findtext("PARAMETRES/ANNEE_SCOLAIRE") in (str(est.year), str(est.year - 1))
        assert re.fullmatch(r"\d\d/\d\d/\d{4}", tree.findtext("PARAMETRES/DATE_EXPORT"))
        assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", tree.findtext("PARAMETRES/HORODATAGE"))
    sts = etree.fromstring((out / f"sts_emp_{est.uai}_{est.year}.xml").read_bytes())
    assert sts.tag == "STS_EDT" and sts.get("VERSION") is None
    assert sts.find("PARAMETRES/UAJ").get("CODE") == est.uai
    assert sts.find("PARAMETRES/ANNEE_SCOLAIRE").get("ANNEE") == str(est.year)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", sts.findtext("PARAMETRES/ANNEE_SCOLAIRE/DATE_DEBUT").strip())


def test_identifier_shapes(generated):
    _out, est, truth = generated
    assert re.fullmatch(r"\d{7}[A-Z]", est.uai)
    assert all(re.fullmatch(r"\d{11}", m) for m in est.mefs)
    assert all(re.fullmatch(r"[0-9A-Z]{6}", s) for s in est.subjects)
    everyone = [*est.students, *est.guardians, *est.teachers]
    idpn = [p.accounts.idpn for p in everyone if p.accounts.idpn]  # PRONOTE defects remove some
    shared = sum(1 for d in truth.defects if d["defect"] == "pronote.identifiant-unique-doublon"
                 and d["rule"] == "PRN-ENT-002")  # one identifier for a guardian entered twice
    assert all(re.fullmatch(r"[A-Z0-9]{16}", i) for i in idpn) and len(set(idpn)) == len(idpn) - shared
    assert len(idpn) >= len(everyone) - 3 * est.size // 300 - 3
    for field in ("ent_login", "ent_uid", "jointure"):
        values = [getattr(p.accounts, field) for p in everyone]
        assert all(values) and len(set(values)) == len(values), field
    ines = [s.ine for s in est.students]
    assert len(set(ines)) == len(ines) and all(re.fullmatch(r"\d{9}[A-Z]{2}", i) for i in ines)


def test_french_names_with_accents_and_hyphens(generated):
    out, est, _truth = generated
    text = (out / "ResponsablesAvecAdresses.xml").read_bytes().decode("iso-8859-15")
    text += (out / "ElevesSansAdresses.xml").read_bytes().decode("iso-8859-15")
    for letter in "éèëïç":
        assert letter in text, letter
    people = [*est.students, *est.guardians]
    assert any("-" in p.first_name for p in people)
    assert any(names.fold_ascii(p.last_name) != p.last_name for p in people)


def test_clean_model_is_consistent():
    est = build_establishment(300, 11)
    codes = {d.code for d in est.divisions}
    for g in est.groups:
        assert set(g.divisions) <= codes
        assert len(est.students_of(g.code)) >= 3, g.code
        assert all(s.division in g.divisions for s in est.students_of(g.code))
    for s in est.students:
        legal = est.guardians_of(s.eleve_id, legal_only=True)
        assert 1 <= len(legal) <= 2
        assert (s.division is None) == s.left
    keys = [names.name_key(p.last_name, p.first_name) for p in [*est.students, *est.guardians, *est.teachers]]
    assert len(set(keys)) == len(keys)
    teachers = {t.sts_id: t for t in est.teachers}
    for t in est.teachers:
        assert (t.function == "ENS") == bool(est.services_of(t.sts_id))
    service_hours = Counter()
    for s in est.services:
        assert teachers[s.teacher].function == "ENS"
        service_hours[(s.teacher, s.structure, s.subject)] += s.hours
    course_hours = Counter()
    busy = Counter()
    slots: dict[tuple[str, int, int], list] = {}
    for c in est.courses:
        for structure in c.divisions + c.groups:
            course_hours[(c.teachers[0], structure, c.subject)] += c.length
        blocked = set(c.divisions) | {d for g in c.groups for d in est.group(g).divisions}
        for p in range(c.start, c.start + c.length):
            assert p < est.day_places[c.day]
            for key in [f"t{c.teachers[0]}", f"r{c.room}"]:
                busy[(key, c.day, p)] += 1
            for d in blocked:
                slots.setdefault((d, c.day, p), []).append(c)
    assert course_hours == service_hours
    assert max(busy.values()) == 1
    for same_time in slots.values():  # a whole-class course alone, or groups each once
        if any(c.divisions for c in same_time):
            assert len(same_time) == 1
        else:
            groups = [g for c in same_time for g in c.groups]
            assert len(groups) == len(set(groups))


def test_defects_record_what_they_did(generated):
    _out, est, truth = generated
    assert truth.findings and len(truth.defects) == len(truth.findings)
    by_rule = {f.rule: f for f in truth.findings}
    left = est.student(by_rule["SIE-SORTIE-001"].id)
    assert left.left and left.division
    alone = by_rule["SIE-RESP-001"].id
    assert not est.guardians_of(alone, legal_only=True)
    nodiv = est.student(by_rule["SIE-DIV-001"].id)
    assert nodiv.division is None and not nodiv.left
    assert not est.services_of(by_rule["STS-SERV-001"].id)
    dup = est.guardian(by_rule["SIE-RESP-002"].id)
    twins = [g for g in est.guardians if names.name_key(g.last_name, g.first_name) == names.name_key(dup.last_name, dup.first_name)]  # noqa: E501
    assert len(twins) == 2 and est.guardians.index(twins[0]) < est.guardians.index(twins[1]) and twins[0] is dup
    assert (twins[0].last_name, twins[0].first_name) != (twins[1].last_name, twins[1].first_name)


def test_truth_file_round_trip(generated):
    out, _est, truth = generated
    again = GroundTruth.from_json((out / TRUTH_FILE).read_text(encoding="utf-8"))
    assert again.keys() == truth.keys() and again.seed == 7 and again.size == 200
    assert set(again.files) == {p.name for p in out.iterdir()} - {TRUTH_FILE}


def test_writer_discovery_skips_absent_modules():
    mods = writer_modules(("scolint.plugins.gen.siecle", "scolint.plugins.gen.pas_encore_ecrit"))
    assert [m.__name__ for m in mods] == ["scolint.plugins.gen.siecle"]
    rules = {r for d in all_defects(mods) for r in d.rules}
    assert {"SIE-RESP-001", "SIE-RESP-002", "SIE-SORTIE-001", "SIE-DIV-001", "X-UAI-001"} <= rules


def test_generate_command(tmp_path, capsys):
    out = tmp_path / "donnees"
    assert main(["generate", "--students", "60", "--seed", "4", "--out", str(out), "--sans-anomalies"]) == 0
    doc = json.loads((out / TRUTH_FILE).read_text(encoding="utf-8"))
    assert doc["findings"] == [] and doc["seed"] == 4 and doc["size"] == 60
    assert "Aucune anomalie injectée" in capsys.readouterr().out
    assert main(["generate", "--students", "60", "--seed", "4", "--out", str(out)]) == 2
    assert "n'est pas vide" in capsys.readouterr().err
    assert main(["generate", "--students", "60", "--seed", "4", "--out", str(out), "--force"]) == 0
    assert json.loads((out / TRUTH_FILE).read_text(encoding="utf-8"))["findings"]
    assert main(["generate", "--students", "3", "--out", str(tmp_path / "x")]) == 2
    assert "entre 40 et" in capsys.readouterr().err


def test_demo_writes_report_in_current_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--students", "120"]) == 0
    report = (tmp_path / "rapport-demo.md").read_text(encoding="utf-8")
    out = capsys.readouterr().out
    assert "rapport-demo.md" in out and "Bilan" in out
    assert "SIE-RESP-001" in report and "STS-SERV-001" in report
    assert not list(tmp_path.glob(".rapport-demo*"))


def test_check_exit_codes_on_generated_data(tmp_path, capsys):
    clean, spoiled = tmp_path / "propre", tmp_path / "anomalies"
    assert main(["generate", "--students", "60", "--seed", "2", "--out", str(clean), "--sans-anomalies"]) == 0
    assert main(["generate", "--students", "60", "--seed", "2", "--out", str(spoiled)]) == 0
    capsys.readouterr()
    assert main(["check", str(clean), "--fail-on", "info"]) == 0
    assert "0 erreur(s), 0 avertissement(s), 0 information(s)" in capsys.readouterr().out
    assert main(["check", str(spoiled)]) == 1
    assert "SIE-RESP-001" in capsys.readouterr().out


#: Elements the generator writes that the real samples lack, each described in
#: ../shared/formats.md (§1.2 BEE_ELEVES, §2 STS_EDT).
DOCUMENTED_EXTRAS = {
    "BEE_ELEVES/DONNEES/ELEVES/ELEVE/ELENOET", "BEE_ELEVES/DONNEES/ELEVES/ELEVE@ELENOET",
    "BEE_ELEVES/DONNEES/ELEVES/ELEVE/PRENOM2", "BEE_ELEVES/DONNEES/ELEVES/ELEVE/DATE_SORTIE",
    "BEE_ELEVES/DONNEES/ELEVES/ELEVE/CODE_MOTIF_SORTIE", "BEE_ELEVES/DONNEES/OPTIONS/OPTION@ELENOET",
    "BEE_ELEVES/DONNEES/STRUCTURES/STRUCTURES_ELEVE@ELENOET",
    "STS_EDT/DONNEES/INDIVIDUS/INDIVIDU/PROFS_PRINC", "STS_EDT/DONNEES/INDIVIDUS/INDIVIDU/PROFS_PRINC/PROF_PRINC",
    "STS_EDT/DONNEES/INDIVIDUS/INDIVIDU/PROFS_PRINC/PROF_PRINC/CODE_STRUCTURE",
}


def _paths(path: Path) -> set[str]:
    """Element and attribute paths of a file; STS divisions are described like groups."""
    out = set()
    for el in etree.parse(str(path)).iter():
        if not isinstance(el.tag, str):
            continue
        p = "/".join(x.tag for x in [*reversed(list(el.iterancestors())), el])
        p = p.replace("STRUCTURE/DIVISIONS/DIVISION", "STRUCTURE/GROUPES/GROUPE")
        out.add(p)
        out.update(f"{p}@{a}" for a in el.attrib)
    return out


def test_generated_shapes_follow_the_real_samples(generated, samples):
    out, est, _truth = generated
    pairs = {"ElevesSansAdresses.xml": "siecle/ElevesAvecAdresses_BEE_ELEVES-3.0.xml",
             "ResponsablesAvecAdresses.xml": "siecle/ResponsablesAvecAdresses_BEE_RESPONSABLES-2.1.xml",
             "Nomenclature.xml": "siecle/Nomenclature_BEE_NOMENCLATURES-3.1.xml",
             f"sts_emp_{est.uai}_{est.year}.xml": "sts/sts_emp_STS_EDT.xml"}
    sts_services = {p for p in _paths(out / f"sts_emp_{est.uai}_{est.year}.xml") if "/SERVICES/SERVICE" in p}
    for mine, real in pairs.items():
        extra = _paths(out / mine) - _paths(samples / real) - DOCUMENTED_EXTRAS - sts_services
        assert not extra, f"{mine} : éléments absents de l'échantillon réel {real} : {sorted(extra)}"
    assert sts_services, "les services STS (formats.md §2 : SERVICE@CODE_MATIERE, ENSEIGNANTS/ENSEIGNANT@ID)"


def test_pupils_age_fits_their_level(tmp_path):
    """Age reached during the calendar year of the rentrée: 6e 11 (12 when a year late),
    5e 12-13, 4e 13-14, 3e 14-15, read from the written pupils' export."""
    est, _truth = generate(tmp_path, 300, 12, defects=False)
    levels = {m.code: m.level for m in est.mefs.values()}
    expected = {6: {11, 12}, 5: {12, 13}, 4: {13, 14}, 3: {14, 15}}
    root = etree.parse(str(tmp_path / "ElevesSansAdresses.xml")).getroot()
    seen: dict[int, set[int]] = {}
    for el in root.iterfind("DONNEES/ELEVES/ELEVE"):
        level = levels[el.findtext("CODE_MEF")]
        age = est.year - int(el.findtext("DATE_NAISS")[-4:])
        seen.setdefault(level, set()).add(age)
    assert all(seen[level] <= expected[level] for level in expected), seen
    assert all(min(seen[level]) == min(expected[level]) for level in expected)


def test_large_establishment_has_numbered_divisions(tmp_path):
    """Beyond 26 divisions a level, codes are numbers (601, 602...), all distinct."""
    est = build_establishment(3200, 2)
    codes = [d.code for d in est.divisions]
    assert len(codes) == len(set(codes)) and len([d for d in est.divisions if d.level == 6]) > 26
    assert all(re.fullmatch(r"[6543]\d\d", c) for c in codes)


#: Elements of the ElevesAvecAdresses shape that the real sample lacks (its ADRESSES section
#: is empty): the address fields are those of BEE_RESPONSABLES (formats.md §1.3), and the
#: pupil's ADRESSE_ID link is written as the guardians' one is (an assumption, formats.md §1.2
#: says only that the shape adds the ADRESSES section and the ADRESSE_ID links).
ADDRESS_EXTRAS = {"BEE_ELEVES/DONNEES/ELEVES/ELEVE/ADRESSE_ID"} | {
    f"BEE_ELEVES/DONNEES/ADRESSES/ADRESSE{tail}" for tail in (
        "", "@ADRESSE_ID", "/LIGNE1_ADRESSE", "/LIGNE2_ADRESSE", "/LIGNE3_ADRESSE", "/LIGNE4_ADRESSE",
        "/COMMUNE_ETRANGERE", "/CODE_POSTAL", "/CODE_PAYS", "/CODE_COMMUNE_INSEE", "/LL_PAYS", "/CODE_DEPARTEMENT",
        "/LIBELLE_POSTAL")}


@pytest.mark.parametrize("shape", ["avec-adresses", "sans-adresses", "deux-formes", "optionnels-absents",
                                   "sts-espaces", "sts-compact", "sans-structures"])
def test_every_shape_follows_the_real_samples(tmp_path, samples, shape):
    est, truth = generate(tmp_path, 120, 4, shape=shape)
    pupils = sorted(p.name for p in tmp_path.glob("Eleves*.xml"))
    guardians = sorted(p.name for p in tmp_path.glob("Responsables*Adresses.xml"))
    assert pupils == {"avec-adresses": ["ElevesAvecAdresses.xml"],
                      "deux-formes": ["ElevesAvecAdresses.xml", "ElevesSansAdresses.xml"]}.get(
        shape, ["ElevesSansAdresses.xml"])
    assert guardians == ["ResponsablesSansAdresses.xml" if shape == "sans-adresses" else "ResponsablesAvecAdresses.xml"]
    reals = {"Eleves": "siecle/ElevesAvecAdresses_BEE_ELEVES-3.0.xml",
             "Responsables": "siecle/ResponsablesAvecAdresses_BEE_RESPONSABLES-2.1.xml"}
    for name in [*pupils, *guardians]:
        real = reals["Eleves" if name.startswith("Eleves") else "Responsables"]
        extra = _paths(tmp_path / name) - _paths(samples / real) - DOCUMENTED_EXTRAS - ADDRESS_EXTRAS
        assert not extra, f"{shape} {name} : {sorted(extra)}"
    sts_file = tmp_path / f"sts_emp_{est.uai}_{est.year}.xml"
    padded = b"<CODE>\n" in sts_file.read_bytes()
    assert padded == {"sts-espaces": True, "sts-compact": False}.get(shape, est.seed % 2 == 1)
    root = etree.parse(str(tmp_path / pupils[0])).getroot()
    if shape == "sans-structures":
        assert root.find("DONNEES/STRUCTURES") is None
        assert ("ENTREE-PARTIEL", "file", "ElevesSansAdresses.xml") in truth.keys()
        assert not {f.rule for f in truth.findings} & {"SIE-DIV-001", "SIE-SORTIE-001"}
    else:
        assert root.find("DONNEES/STRUCTURES/STRUCTURES_ELEVE") is not None
    if shape == "sans-adresses":
        resp = etree.parse(str(tmp_path / guardians[0])).getroot()
        assert resp.find("DONNEES/ADRESSES") is None
        households = Counter(el.findtext("ADRESSE_ID") for el in resp.iterfind("DONNEES/PERSONNES/PERSONNE"))
        assert max(households.values()) >= 2  # the two guardians of one household share it
    if shape in ("avec-adresses", "deux-formes"):
        avec = etree.parse(str(tmp_path / "ElevesAvecAdresses.xml")).getroot()
        ids = {el.get("ADRESSE_ID") for el in avec.iterfind("DONNEES/ADRESSES/ADRESSE")}
        links = {el.findtext("ADRESSE_ID") for el in avec.iterfind("DONNEES/ELEVES/ELEVE")} - {None}
        assert links and links <= ids
    if shape == "optionnels-absents":
        assert root.find("DONNEES/ELEVES/ELEVE").get("ELENOET") is None
        assert root.find("DONNEES/ELEVES/ELEVE/SCOLARITE_AN_DERNIER") is None
    if shape == "deux-formes":  # one export in two shapes: same pupils, same date
        sans = etree.parse(str(tmp_path / "ElevesSansAdresses.xml")).getroot()
        assert sans.findtext("PARAMETRES/HORODATAGE") == avec.findtext("PARAMETRES/HORODATAGE")
        assert [e.get("ELEVE_ID") for e in sans.iter("ELEVE")] == [e.get("ELEVE_ID") for e in avec.iter("ELEVE")]


def test_the_commands_constants_are_the_generators() -> None:
    """plugins/gen/commands.py repeats two constants so that registering it stays cheap."""
    from scolint.plugins.gen import build, commands, generate
    assert commands.MAX_STUDENTS == build.MAX_STUDENTS
    assert commands.TRUTH_FILE == generate.TRUTH_FILE
