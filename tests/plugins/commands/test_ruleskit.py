"""``scolint rules``: list, show, lint, test, new, doc; ``scolint entities``."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from scolint.engine.cli import main

ROOT = Path(__file__).resolve().parents[3]

GOOD = """\
id: ACA-EXP-001
title: Export sans date
severity: warning
tags: [academie]
for_each: export
where: "export.readable"
assert: "export.exported_at"
message: "{{ export.label }} n'a pas de date d'export ({{ audit.uai }})."
fix: Refaire l'export.
tests:
  - name: sans date
    given: {exports: [{id: a.xml, readable: true}]}
    expect: [a.xml]
  - name: avec date
    given: {exports: [{id: a.xml, readable: true, exported_at: "2024-09-02"}]}
    expect: []
"""


def write(folder: Path, text: str, name: str = "ACA-EXP-001.yml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def variant(old: str, new: str, rule_id: str = "ACA-EXP-001") -> str:
    assert old in GOOD
    return GOOD.replace(old, new).replace("ACA-EXP-001", rule_id)


LINT_CASES = [
    # (text, line, code, words)
    (variant('assert: "export.exported_at"', 'assert: "exprt.exported_at"'), 7, "VARIABLE",
     "variable inconnue « exprt » (vouliez-vous dire « export » ?)"),
    (variant('assert: "export.exported_at"', 'assert: "export.exported_on"'), 7, "VARIABLE",
     "le type « export » n'a pas de champ « exported_on » (vouliez-vous dire « exported_at » ?)"),
    (variant("({{ audit.uai }})", "({{ audit.uia }})"), 8, "VARIABLE", "« audit.uia » n'existe pas"),
    (variant("tests:\n", "old_tests:\n").split("old_tests:")[0], 1, "TESTS", "aucun cas de test"),
    (variant("    expect: [a.xml]", "    expect: []"), 10, "TESTS", "aucun cas qui déclenche"),
    (variant("given: {exports: [{id: a.xml, readable: true, exported_at",
             "given: {exprts: [{id: a.xml, readable: true, exported_at"), 14, "CAS",
     "type d'entité inconnu « exprts »"),
    (variant("{id: a.xml, readable: true}]}", "{id: a.xml, readble: true}]}"), 11, "CAS",
     "n'a pas de champ « readble » (vouliez-vous dire « readable » ?)"),
    # two schema mistakes: only the first one, no cascade
    (variant("severity: warning", "severity: grave\ncolor: red"), 4, "SCHEMA", "clé inconnue : « color »"),
]


@pytest.mark.parametrize("text, line, code, words", LINT_CASES)
def test_lint_one_french_line_per_problem(tmp_path, capsys, text, line, code, words):
    path = write(tmp_path / "regles", text)
    rc, out, _ = cli(capsys, "rules", "lint", str(tmp_path / "regles"))
    problems = [x for x in out.splitlines() if x.startswith(str(path))]
    assert rc == 1
    assert problems == [problems[0]] and problems[0].startswith(f"{path}:{line}: {code}: "), out
    assert words in problems[0]


def test_lint_clean_rules_and_message_loop_variables(tmp_path, capsys):
    write(tmp_path / "regles", GOOD)
    write(tmp_path / "regles", variant(
        'message: "{{ export.label }}', 'message: "{% for f in audit.formats %}{{ f }} {% endfor %}{{ export.label }}',
        "ACA-EXP-002"), "ACA-EXP-002.yml")
    rc, out, _ = cli(capsys, "rules", "lint", str(tmp_path / "regles"))
    assert rc == 0, out
    assert "2 règle(s) chargée(s), 0 problème(s)" in out


def test_lint_duplicate_id_with_default_rules(tmp_path, capsys):
    path = write(tmp_path / "regles", variant("Export sans date", "Autre", "X-UAI-001"), "X-UAI-001.yml")
    rc, out, _ = cli(capsys, "rules", "lint", str(tmp_path / "regles"))
    assert rc == 1
    assert f"{path}:1: DOUBLON: identifiant « X-UAI-001 » déjà utilisé par " in out
    assert "rules/general/X-UAI-001.yml" in out
    # the default pack linted alone is clean
    rc, out, _ = cli(capsys, "rules", "lint")
    assert rc == 0, out


def test_test_prints_expected_vs_found(tmp_path, capsys):
    path = write(tmp_path / "regles", variant("    expect: [a.xml]", "    expect: [b.xml]"))
    rc, out, _ = cli(capsys, "rules", "test", str(tmp_path / "regles"), "--sans-demo")
    assert rc == 1
    assert f"{path}:11: ÉCHEC: ACA-EXP-001 « sans date » : attendu ['b.xml'], trouvé ['a.xml']" in out
    assert "1 règle(s), 2 cas : 1 réussi(s), 1 en échec." in out


def test_test_reads_fixture_case_files(tmp_path, capsys):
    write(tmp_path / "regles", GOOD)
    cases = write(tmp_path / "cas", """\
        rule: ACA-EXP-001
        cases:
          - name: illisible, donc écarté par le filtre
            given: {exports: [{id: z.xml, readable: false}]}
            expect: []
          - name: mauvais attendu
            given: {exports: [{id: z.xml, readable: true}]}
            expect: []
        """, "ACA-EXP-001.yml")
    rc, out, _ = cli(capsys, "rules", "test", str(tmp_path / "regles"), "--cases", str(tmp_path / "cas"), "--sans-demo")
    assert rc == 1
    assert f"{cases}:6: ÉCHEC: ACA-EXP-001 « mauvais attendu » : attendu [], trouvé ['z.xml']" in out
    assert "4 cas : 3 réussi(s), 1 en échec" in out


def test_new_skeleton_lints_and_passes_its_tests(tmp_path, capsys):
    folder = tmp_path / "mes-regles"
    rc, out, _ = cli(capsys, "rules", "new", "aca-exp-009", "--pour", "export", "--dossier", str(folder))
    assert rc == 0
    text = (folder / "ACA-EXP-009.yml").read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=rule.schema.json")
    assert "# Gravité : error (bloquant)" in text
    schema = json.loads((folder / "rule.schema.json").read_text("utf-8"))
    assert {"assert", "unique", "reference", "compare_sets"} <= set(schema["properties"])
    assert cli(capsys, "rules", "lint", str(folder))[0] == 0
    rc, out, _ = cli(capsys, "rules", "test", str(folder), "--sans-demo")
    assert rc == 0 and "2 cas : 2 réussi(s), 0 en échec." in out
    rc, _, err = cli(capsys, "rules", "new", "ACA-EXP-009", "--pour", "export", "--dossier", str(folder))
    assert rc == 2 and "existe déjà" in err
    rc, _, err = cli(capsys, "rules", "new", "mauvais", "--pour", "export", "--dossier", str(folder))
    assert rc == 2 and "FLUX-SUJET-NNN" in err


def test_list_filters_by_tag_and_show_gives_fix_and_tests(tmp_path, capsys):
    write(tmp_path / "regles", GOOD)
    rc, out, _ = cli(capsys, "rules", "list", "--rules", str(tmp_path / "regles"), "--tags", "academie")
    lines = out.splitlines()
    assert rc == 0 and lines[0].split() == ["RÈGLE", "GRAVITÉ", "ÉTIQUETTES", "TITRE"]
    assert lines[1].split() == ["ACA-EXP-001", "avertissement", "academie", "Export", "sans", "date"]
    assert lines[-1] == "1 règle(s)."
    rc, out, _ = cli(capsys, "rules", "show", "X-UAI-001")
    assert rc == 0
    assert "Correction :\n  1. Vérifiez dans le fichier" in out
    assert "Tests (3) :" in out and "expect:\n    - sts.xml\n    - resp.xml" in out
    rc, _, err = cli(capsys, "rules", "show", "X-UAI-01")
    assert rc == 2 and "vouliez-vous dire X-UAI-001" in err


def test_schema_gives_description_and_examples_for_every_key():
    schema = json.loads((ROOT / "schemas" / "rule.schema.json").read_text("utf-8"))

    def walk(props: dict, where: str) -> None:
        for key, sub in props.items():
            assert sub.get("description"), f"{where}{key} : description manquante"
            assert sub.get("examples"), f"{where}{key} : exemples manquants"
            walk(sub.get("properties", {}), f"{where}{key}.")
            walk(sub.get("items", {}).get("properties", {}), f"{where}{key}[].")

    walk(schema["properties"], "")


def test_project_file_schema_for_the_editor(tmp_path, capsys):
    out = tmp_path / ".scolint.schema.json"
    assert cli(capsys, "rules", "schema", "--projet", "-o", str(out))[0] == 0
    schema = json.loads(out.read_text("utf-8"))
    assert {"packs", "select", "ignore", "severity", "profiles", "exceptions"} <= set(schema["properties"])
    assert "expires" in schema["properties"]["exceptions"]["additionalProperties"]["items"]["required"]


def test_entities_lists_fields_and_rejects_unknown_kind(capsys):
    rc, out, _ = cli(capsys, "entities", "export")
    assert rc == 0
    assert out.splitlines()[0].startswith("export — Un fichier d'export")
    assert any(line.split()[:2] == ["uai", "texte"] for line in out.splitlines())
    rc, _, err = cli(capsys, "entities", "exprt")
    assert rc == 2 and "vouliez-vous dire export" in err


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The project's fictional establishment (scolint generate), written once."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    assert main(["generate", "--students", "60", "--seed", "3", "--out", str(out)]) == 0
    return out


def test_test_warns_about_rules_that_apply_to_nothing_on_the_demo(tmp_path, capsys, demo):
    folder = tmp_path / "regles"
    good = """\
        id: ACA-INE-001
        title: Élève sans INE
        severity: warning
        requires: [siecle-eleves]
        for_each: student
        where: "not student.left"
        assert: "student.ine"
        message: "{{ student.label }} n'a pas d'INE."
        fix: Renseigner l'INE dans SIECLE.
        tests:
          - {name: sans INE, given: {students: [{id: "1", ine: ""}]}, expect: ["1"]}
          - {name: avec INE, given: {students: [{id: "2", ine: "120495345AB"}]}, expect: []}
        """
    write(folder, good, "ACA-INE-001.yml")
    never = write(folder, textwrap.dedent(good).replace("ACA-INE-001", "ACA-INE-002")
                  .replace('where: "not student.left"', 'where: "student.division_code == \'6EME Z\'"')
                  .replace('{id: "1", ine: ""}', '{id: "1", ine: "", division_code: "6EME Z"}'),
                  "ACA-INE-002.yml")
    # the generator is run by the command itself
    rc, out, _ = cli(capsys, "rules", "test", str(folder))
    assert rc == 0, out
    assert "ACA-INE-001" not in out.replace("ACA-INE-001.yml", "")
    assert (f"{never}:5: DEMO: ACA-INE-002 ne s'applique à aucune entité des données de démonstration "
            "(for_each: student, where: student.division_code == '6EME Z')") in out
    # same with a given data folder
    rc, out, _ = cli(capsys, "rules", "test", str(folder), "--demo", str(demo))
    assert rc == 0 and out.count(": DEMO: ") == 1
