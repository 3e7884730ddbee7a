"""Rule language v2 (issue 17), at the CLI: the recipes of docs/recettes.md lint, pass their
tests and fire on a generated establishment edited by hand; a record an expression breaks
on is reported by name while the rule reports every other record, and counts in the exit
code; no author-facing message carries Python's exception text; the project file never
fails silently."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from scolint.engine.audit import Auditor
from scolint.engine.cli import main
from scolint.engine.expressions import PYTHON_WORDS

ROOT = Path(__file__).resolve().parents[1]
RECETTES = ROOT / "docs" / "recettes.md"
BLOCK = re.compile(r"^```yaml recette\n(.*?)^```", re.S | re.M)
ISSUE_RULES = ("RCT-DIV-001", "RCT-DISC-001", "RCT-PAR-001", "RCT-EXP-001")


def recipes() -> list[str]:
    return [m.group(1) for m in BLOCK.finditer(RECETTES.read_text("utf-8"))]


def write_recipes(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for text in recipes():
        (folder / f"{yaml.safe_load(text)['id']}.yml").write_text(text, "utf-8")
    return folder


def edit(path: Path, change) -> None:
    """Edit an XML export by hand, in its own encoding."""
    raw = path.read_bytes()
    m = re.match(rb'<\?xml[^>]*encoding="([^"]+)"', raw)
    enc = m.group(1).decode() if m else "utf-8"
    path.write_bytes(change(raw.decode(enc)).encode(enc))


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def no_python_words(text: str) -> None:
    found = [w for w in PYTHON_WORDS if w in text]
    assert not found, (found, text)


@pytest.fixture(scope="module")
def school(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ecole") / "ecole"
    assert main(["generate", "--students", "120", "--seed", "3", "--out", str(root)]) == 0
    return root


# -- the recipes page ---------------------------------------------------------------------------
def test_recipes_cover_every_check_kind_relation_and_fact(host):
    texts = recipes()
    rules = [yaml.safe_load(t) for t in texts]
    assert len(rules) >= 15
    assert len({r["id"] for r in rules}) == len(rules)
    kinds = {next(k for k in r if k in host.registries.checks) for r in rules}
    assert kinds == set(host.registries.checks)
    page = "\n".join(texts)
    for used in ("student.divisions", "teacher.edt", "discipline_codes", "pronote_guardians", "ent_accounts",
                 "pronote_identifiers", "student.aaf", "edt_teacher.teacher", "division.sts", "edt_student.student",
                 "audit.exports", "audit.entities", "target_key", "days_between", "latest"):
        assert used in page, used
    assert set(ISSUE_RULES) <= {r["id"] for r in rules}


def test_recipes_lint_and_pass_their_tests(tmp_path, capsys):
    folder = write_recipes(tmp_path / "regles")
    code, out, err = cli(capsys, "rules", "lint", str(folder))
    assert code == 0, out + err
    assert "0 problème(s)" in out
    code, out, err = cli(capsys, "rules", "test", str(folder), "--sans-demo")
    assert code == 0, out + err
    assert f"{len(recipes())} règle(s)" in out and "0 en échec" in out


def _findings(capsys, folder: Path, data: Path, out: Path) -> dict[str, set[str]]:
    code, _o, err = cli(capsys, "check", str(data), "--no-default-rules", "--rules", str(folder), "--sans-config",
                        "--select", ",".join(ISSUE_RULES), "--format", "json", "-o", str(out))
    assert code in (0, 1), err
    doc = json.loads(out.read_text("utf-8"))
    found: dict[str, set[str]] = {r: set() for r in ISSUE_RULES}
    for f in doc["anomalies"]:
        found.setdefault(f["rule"], set()).add(f["entity"]["id"])
    return found


def test_the_four_rules_of_the_issue_fire_on_a_school_edited_by_hand(school, tmp_path, capsys):
    folder = write_recipes(tmp_path / "regles")
    data = tmp_path / "ecole"
    shutil.copytree(school, data)
    before = _findings(capsys, folder, data, tmp_path / "avant.json")

    graph, _ = Auditor(use_default_rules=False).load([data])
    # 1. a present pupil with one division gets a second one in BEE_ELEVES
    pupil = next(s for s in graph.all("student", "siecle") if not s["left"] and len(s["divisions"]) == 1)
    other = next(d.id for d in graph.all("division", "siecle") if d.id != pupil["division_code"])

    def second_division(text: str) -> str:
        start = text.index(f'<STRUCTURES_ELEVE ELEVE_ID="{pupil.id}"')
        end = text.index("</STRUCTURES_ELEVE>", start)
        return (text[:end] + f"  <STRUCTURE>\n          <CODE_STRUCTURE>{other}</CODE_STRUCTURE>\n"
                "          <TYPE_STRUCTURE>D</TYPE_STRUCTURE>\n        </STRUCTURE>\n      " + text[end:])

    edit(data / "ElevesSansAdresses.xml", second_division)
    # 2. a physics teacher (L1500) with physics courses in EDT becomes a maths teacher (L1300) in STS-Web
    teacher = next(t for t in graph.all("teacher", "sts") if t["discipline_codes"] == ["L1500"]
                   and t["edt"] is not None and t["edt"]["subject_codes"] == ["PH-CH"])

    def maths(text: str) -> str:
        at = text.index('CODE="L1500"', text.index(f'<INDIVIDU ID="{teacher.id}"'))
        return text[:at] + 'CODE="L1300"' + text[at + len('CODE="L1500"'):]

    edit(next(data.glob("sts_emp_*.xml")), maths)
    # 3. a guardian authorised for the Espace Parents loses his only line of the ENT file
    guardian = next(g for g in graph.all("guardian", "siecle")
                    if any(r["espace_parents"] for r in g["pronote_guardians"]) and len(g["ent_accounts"]) == 1)
    line = guardian["ent_accounts"][0].prov[0].line
    path = next(data.glob("ENT-Identifiants-*.csv"))
    lines = path.read_bytes().split(b"\n")
    del lines[line - 1]
    path.write_bytes(b"\n".join(lines))
    # 4. the structures export was taken two months before the others
    edit(data / "Structures.xml", lambda text: text.replace("28/10/2024", "01/09/2024"))

    after = _findings(capsys, folder, data, tmp_path / "apres.json")
    assert after["RCT-DIV-001"] - before["RCT-DIV-001"] == {pupil.id}
    assert after["RCT-DISC-001"] - before["RCT-DISC-001"] == {teacher.id}
    assert after["RCT-PAR-001"] - before["RCT-PAR-001"] == {guardian.id}
    assert after["RCT-EXP-001"] - before["RCT-EXP-001"] == {"Structures.xml"}
    for rule in ISSUE_RULES:
        assert before[rule] <= after[rule], rule
    # with only STS-Web and EDT given (so the loaders build only the kinds the selected rules
    # read), the teacher's EDT subjects are still there
    only = tmp_path / "sts-edt"
    only.mkdir()
    for pattern in ("sts_emp_*.xml", "ExportEmploiDuTemps_*.xml"):
        for f in data.glob(pattern):
            shutil.copy(f, only / f.name)
    alone = _findings(capsys, folder, only, tmp_path / "seul.json")
    assert alone["RCT-DISC-001"] == after["RCT-DISC-001"]


# -- one record never silences a rule -------------------------------------------------------------
AGE_RULE = """\
id: ACA-AGE-001
title: Élève de moins de 9 ans
severity: info
requires: [siecle-eleves]
for_each: student
assert: audit.today.year - (student.birth_date | date).year >= 9
message: "{{ student.label }} : moins de 9 ans."
fix: Vérifiez la date de naissance dans SIECLE.
"""


def test_a_broken_record_is_named_and_the_rule_reports_the_others(school, tmp_path, capsys):
    data = tmp_path / "ecole"
    shutil.copytree(school, data)
    ids: list[str] = []

    def two_pupils(text: str) -> str:
        # the first pupil's birth date is emptied, the second one is made 5 years old
        births = re.findall(r"<DATE_NAISS>(\d\d/\d\d/\d{4})</DATE_NAISS>", text)
        assert len(births) > 2
        text = text.replace(f"<DATE_NAISS>{births[0]}</DATE_NAISS>", "<DATE_NAISS></DATE_NAISS>", 1)
        young = "01/01/" + str(dt.date.today().year - 5)
        text = text.replace(f"<DATE_NAISS>{births[1]}</DATE_NAISS>", f"<DATE_NAISS>{young}</DATE_NAISS>", 1)
        ids.extend(re.findall(r'<ELEVE ELEVE_ID="(\d+)"', text))
        return text

    edit(data / "ElevesSansAdresses.xml", two_pupils)
    folder = tmp_path / "regles"
    folder.mkdir()
    (folder / "ACA-AGE-001.yml").write_text(AGE_RULE, "utf-8")
    args = ("check", str(data), "--no-default-rules", "--rules", str(folder), "--sans-config", "--format", "json")
    code, _o, err = cli(capsys, *args, "-o", str(tmp_path / "r.json"))
    doc = json.loads((tmp_path / "r.json").read_text("utf-8"))
    by_id: dict[str, list] = {}
    for f in doc["anomalies"]:
        by_id.setdefault(f["entity"]["id"], []).append(f)
    assert ids[1] in by_id and "moins de 9 ans" in by_id[ids[1]][0]["message"]
    broken = by_id[ids[0]][0]
    assert "student.birth_date" in broken["message"] and "vide" in broken["message"]
    assert "erreur-de-regle" in broken["tags"]
    no_python_words(json.dumps(doc, ensure_ascii=False))
    # the rule is "info", the exit code is 1 anyway: a rule error counts as an error by default
    assert code == 1
    code, _o, _e = cli(capsys, *args, "--erreurs-de-regle", "info", "-o", str(tmp_path / "r2.json"))
    assert code == 0
    code, _o, _e = cli(capsys, *args, "--erreurs-de-regle", "info", "--fail-on", "info", "-o", str(tmp_path / "r3.json"))
    assert code == 1
    # explain names the broken record in the same words
    code, out, err = cli(capsys, "explain", "ACA-AGE-001", ids[0], str(data), "--no-default-rules", "--rules",
                         str(folder), "--sans-config")
    assert code == 0, err
    assert "NON ÉVALUABLE" in out and "student.birth_date" in out
    no_python_words(out + err)


# -- French words at every error ------------------------------------------------------------------
BROKEN = {
    "ACA-ERR-001": ("student", "audit.year - student.birth_date | length > (student.division.code + 1)"),
    "ACA-ERR-002": ("student", "student.guardians[5].email or student.last_name * student.first_name"),
    "ACA-ERR-003": ("student", "audit.today.year - none > 3"),
    "ACA-ERR-004": ("student", "(student.entry_date | int) / 0 > 1"),
    "ACA-ERR-005": ("student", "student.groups | map(attribute='code') | sum > 3"),
}


def _broken_rule(rule_id: str, kind: str, expr: str) -> str:
    return yaml.safe_dump({
        "id": rule_id, "title": "Règle cassée", "severity": "warning", "for_each": kind, "assert": expr,
        "message": "{{ " + kind + ".label }} {{ " + kind + ".birth_date - 1 }}", "fix": "Rien.",
        "tests": [{"name": "cas", "given": {"students": [{"id": "E1", "birth_date": "", "guardians": []}]},
                   "expect": ["E1"]},
                  {"name": "vide", "audit": {"today": None, "year": None},
                   "given": {"students": [{"id": "E2"}]}, "expect": []}],
    }, allow_unicode=True, sort_keys=False)


def test_no_python_exception_text_reaches_an_author(school, tmp_path, capsys):
    folder = tmp_path / "regles"
    folder.mkdir()
    for rule_id, (kind, expr) in BROKEN.items():
        (folder / f"{rule_id}.yml").write_text(_broken_rule(rule_id, kind, expr), "utf-8")
    (tmp_path / "cas").mkdir()
    (tmp_path / "cas" / "cas.yml").write_text("rule: [ACA-ERR-001\n", "utf-8")
    (tmp_path / "cas" / "autre.yml").write_text("cases: 3\n", "utf-8")
    outputs = []
    outputs.append(cli(capsys, "rules", "lint", str(folder), "--cases", str(tmp_path / "cas")))
    outputs.append(cli(capsys, "rules", "test", str(folder), "--sans-demo"))
    outputs.append(cli(capsys, "check", str(school), "--no-default-rules", "--rules", str(folder), "--sans-config"))
    outputs.append(cli(capsys, "check", str(school), "--no-default-rules", "--rules", str(folder), "--sans-config",
                       "--format", "json"))
    student = re.search(rb'<ELEVE ELEVE_ID="(\d+)"', (school / "ElevesSansAdresses.xml").read_bytes()).group(1).decode()
    for rule_id in BROKEN:
        outputs.append(cli(capsys, "explain", rule_id, student, str(school), "--no-default-rules", "--rules",
                           str(folder), "--sans-config"))
    for code, out, err in outputs:
        assert out or err
        no_python_words(out + err)
    # the rules in error make the check fail
    assert outputs[2][0] == 1
    # a test case that leaves audit.today / audit.year empty says which one and how to set it
    assert "« audit.today » est vide : dans un cas de test, donnez-la avec « audit: {today: 2024-09-02} »" in outputs[1][1]
    assert "« audit.year » est vide" in outputs[1][1]
    # a field a case does not give is named
    assert "champ « division » absent de l'entité" in outputs[1][1]


# -- configuration never fails silently ----------------------------------------------------------
def test_pointless_exceptions_and_one_folder_given_twice(school, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_recipes(tmp_path / "regles")
    uai = re.search(r"ENT-Identifiants-(\w+)\.csv", " ".join(p.name for p in school.iterdir())).group(1)
    (tmp_path / ".scolint.yaml").write_text(
        "packs: [regles]\n"
        "select: [RCT-EXP-001, RCT-UAI-001, RCT-EXP-01]\n"
        "exceptions:\n"
        f"  {uai}:\n"
        "    - {rule: RCT-EXP-010, entity: Structures.xml, reason: Export refait demain, author: Mme Martin, "
        "expires: 2099-01-01}\n"
        "    - {rule: RCT-EXP-001, entity: Absent.xml, reason: Export refait demain, author: Mme Martin, "
        "expires: 2099-01-01}\n", "utf-8")
    # packs: and --rules name the same folder: read once, no DOUBLON
    code, out, err = cli(capsys, "check", str(school), "--no-default-rules", "--rules", "regles",
                         "-o", str(tmp_path / "r.txt"))
    assert code in (0, 1), err
    assert "DOUBLON" not in err
    assert "exception sans objet : règle inconnue « RCT-EXP-010 » (vouliez-vous dire « RCT-EXP-001 » ?)" in err
    assert "exception sans objet : enregistrement introuvable « Absent.xml »" in err
    assert "règle ou étiquette inconnue « RCT-EXP-01 »" in err
    assert "obsolète" not in err
    no_python_words(err)


# -- reference an author can use --------------------------------------------------------------------
def test_author_guide_lists_every_requires_format_id(host):
    guide = (ROOT / "docs" / "premiere-regle.md").read_text("utf-8")
    table = dict(re.findall(r"^\| `([a-z0-9-]+)` \| (.+) \|$", guide, re.M))
    assert set(table) == set(host.registries.formats), set(host.registries.formats) ^ set(table)


def test_every_check_kind_and_filter_has_a_french_description_and_an_example_that_lints(host, tmp_path, capsys):
    catalogue = (ROOT / "docs" / "catalogue.md").read_text("utf-8")
    folder = tmp_path / "regles"
    folder.mkdir()
    for i, kind in enumerate(host.registries.checks.values()):
        assert kind.doc_fr and kind.example, kind.id
        assert kind.doc_fr in catalogue and kind.example in catalogue
        rule = yaml.safe_load(kind.example)
        var = rule["for_each"]
        rule.update({"id": f"ACA-EX-{i + 1:03d}", "title": "Exemple", "severity": "info",
                     "message": "{{ " + var + ".label }}", "fix": "Rien."})
        (folder / f"ACA-EX-{i + 1:03d}.yml").write_text(yaml.safe_dump(rule, allow_unicode=True), "utf-8")
    code, out, _err = cli(capsys, "rules", "lint", str(folder))
    # only the missing tests are reported: every variable, field, relation and target exists
    assert {line.split(": ")[1] for line in out.splitlines() if ": " in line and ".yml" in line} <= {"TESTS"}, out
    for name in host.registries.filters:
        desc, example = host.registries.filter_docs[name]
        assert desc and example, name
        assert f"| `{name}` | {desc}" in catalogue
