"""A rule file with a mistake gives one French line ``file:line: CODE: ...``, exit 2."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from scolint.engine.cli import main
from scolint.engine.errors import RuleFileError
from scolint.engine.rules import load_rule_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOOD = """\
id: TST-ABC-001
title: Règle de test
severity: error
for_each: export
assert: "export.readable"
message: "Le fichier {{ export.label }} est illisible."
fix: Refaire l'export.
"""


_MESSAGE = 'message: "Le fichier {{ export.label }} est illisible."'


def write(tmp_path, text, name="TST-ABC-001.yml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


@pytest.mark.parametrize("change, line, code, words", [
    (("severity: error", "severity: fatal"), 3, "SCHEMA", "fatal"),
    (("title: Règle de test", "title: Règle de test\ncolour: red"), 3, "SCHEMA", "colour"),
    (('assert: "export.readable"', 'assert: "export.readable and ("'), 5, "EXPRESSION", "assert"),
    (('for_each: export', 'for_each: [export'), 5, "YAML", "ligne 4"),
    (('for_each: export', 'for_each: eleve'), 4, "ENTITE", "eleve"),
    (('message: "Le fichier {{ export.label }} est illisible."', 'message: "{{ export.label "'), 6, "EXPRESSION", "message"),
    (('assert: "export.readable"', 'assert: "export.__class__"'), 5, "SECURITE", "__class__"),
    # what only Jinja's code generation or Python's compilation finds, still found at load
    ((_MESSAGE, "message: '{{ export.label | nosuchfilter }}'"), 6, "EXPRESSION", "nosuchfilter"),
    ((_MESSAGE, "message: '{{ export.label is nosuchtest }}'"), 6, "EXPRESSION", "nosuchtest"),
    ((_MESSAGE, "message: '{% for loop in export.x %}{{ loop }}{% endfor %}'"), 6, "EXPRESSION", "loop"),
    ((_MESSAGE, "message: '" + "{% for a in export.x %}" * 22 + "{% endfor %}" * 22 + "'"), 6, "EXPRESSION",
     "imbriqué trop profondément"),
    ((_MESSAGE, "message: '{{ [" + "9" * 4300 + ", " + "9" * 4300 + "] | sum }}'"), 6, "EXPRESSION", "démesurée"),
    ((_MESSAGE, "message: '{{ export.label | attr(\"x\") }}'"), 6, "SECURITE", "attr"),
    (("fix: Refaire l'export.\n", ""), 1, "SCHEMA", "fix"),
    # texts shown as written: a template mark would reach the reports as is
    (("fix: Refaire l'export.", "fix: |\n  1. Vérifiez la salle « {{ edt_room.id }} »."), 7, "TEXTE", "« {{ »"),
    (("title: Règle de test", "title: Règle {% if x %}de test{% endif %}"), 2, "TEXTE", "title"),
    (("fix: Refaire l'export.", "fix: Refaire l'export.\ndescription: Voir {# note #}."), 8, "TEXTE", "description"),
])
def test_rule_error_names_file_line_and_key(tmp_path, host, env, change, line, code, words):
    p = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(RuleFileError) as exc:
        load_rule_file(p, host.registries, env)
    msg = str(exc.value)
    assert msg.startswith(f"{p}:{line}: {code}:"), msg
    assert words in msg
    assert "\n" not in msg


def test_good_rule_loads(tmp_path, host, env):
    rule = load_rule_file(write(tmp_path, GOOD), host.registries, env)
    assert rule.check == "assert" and rule.flow == "GENERAL"


def test_file_name_must_be_rule_id(tmp_path, host, env):
    p = write(tmp_path, GOOD, "autre.yml")
    with pytest.raises(RuleFileError, match="NOM"):
        load_rule_file(p, host.registries, env)


def test_cli_bad_rule_exit_2_no_traceback(tmp_path, capsys):
    rules = tmp_path / "regles"
    rules.mkdir()
    write(rules, GOOD.replace("severity: error", "severity: fatal"))
    data = tmp_path / "vide"
    data.mkdir()
    code = main(["check", str(data), "--rules", str(rules)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "TST-ABC-001.yml:3: SCHEMA: severity : « fatal » n'est pas une valeur permise" in err


@pytest.mark.parametrize("command", ["check", "batch", "batch-2"])
def test_missing_rules_path_is_an_error_not_an_empty_pack(tmp_path, capsys, command):
    """A mistyped --regles must not run the audit without those rules, silently."""
    data = tmp_path / "export"
    data.mkdir()
    shutil.copy(FIXTURES / "etab" / "ElevesSansAdresses.xml", data)
    typo = tmp_path / "regle-academie"
    args = [command.split("-")[0], str(data if command == "check" else tmp_path), "--regles", str(typo)] + (
        ["-o", str(tmp_path / "rapports"), "--jobs", command[-1] if command == "batch-2" else "1"]
        if command.startswith("batch") else [])
    code = main(args)
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.err
    assert f"{typo}: FICHIER: dossier ou fichier de règles introuvable" in captured.err, captured.err
    assert "Rapport" not in captured.out + captured.err


def _rule_folder(tmp_path, *texts):
    rules = tmp_path / "regles"
    rules.mkdir()
    for n, text in enumerate(texts, 1):
        write(rules, text.replace("id: TST-ABC-001", f"id: TST-ABC-00{n}"), f"TST-ABC-00{n}.yml")
    data = tmp_path / "export"
    data.mkdir()
    shutil.copy(FIXTURES / "etab" / "ElevesSansAdresses.xml", data)
    return rules, data


BROKEN_ASSERT = GOOD.replace('assert: "export.readable"', 'assert: "export.readable and ("')


def test_a_selection_compiles_only_the_rules_it_runs(tmp_path, capsys):
    """docs/decisions.md, « Règles écartées par une sélection : lues, ni vérifiées par le schéma ni compilées »: a
    rule left out of ``--select`` is read and checked (YAML, schema) but its expressions
    are compiled only when it runs; ``check`` without a selection and ``rules lint`` still
    report it."""
    rules, data = _rule_folder(tmp_path, GOOD, BROKEN_ASSERT)
    code = main(["check", str(data), "--rules", str(rules), "--select", "TST-ABC-001"])
    err = capsys.readouterr().err
    assert code != 2 and "TST-ABC-002" not in err, err
    code = main(["check", str(data), "--rules", str(rules)])
    err = capsys.readouterr().err
    assert code == 2 and f"{rules / 'TST-ABC-002.yml'}:5: EXPRESSION: assert" in err, err
    code = main(["rules", "lint", str(rules)])
    out = capsys.readouterr()
    assert code != 0 and "TST-ABC-002.yml:5: EXPRESSION" in out.out + out.err
    # explaining the left-out rule compiles it first
    code = main(["explain", "TST-ABC-002", "x", str(data), "--rules", str(rules), "--select", "TST-ABC-001"])
    err = capsys.readouterr().err
    assert code == 2 and f"{rules / 'TST-ABC-002.yml'}:5: EXPRESSION: assert" in err, err


FATAL = GOOD.replace("severity: error", "severity: fatal")


def test_a_selection_checks_against_the_schema_only_the_rules_it_runs(tmp_path, capsys):
    """docs/decisions.md, « Règles écartées par une sélection : lues, ni vérifiées par le
    schéma ni compilées »: a rule left out of ``--select`` whose schema is wrong does not stop the
    audit; ``check`` without a selection, ``rules lint`` and ``explain`` of that rule report
    it, with its file and line, in French."""
    rules, data = _rule_folder(tmp_path, GOOD, FATAL)
    code = main(["check", str(data), "--rules", str(rules), "--select", "TST-ABC-001"])
    err = capsys.readouterr().err
    assert code != 2 and "TST-ABC-002" not in err, err
    wanted = f"{rules / 'TST-ABC-002.yml'}:3: SCHEMA: severity : « fatal » n'est pas une valeur permise"
    code = main(["check", str(data), "--rules", str(rules)])
    err = capsys.readouterr().err
    assert code == 2 and wanted in err, err
    code = main(["rules", "lint", str(rules)])
    out = capsys.readouterr()
    assert code != 0 and "TST-ABC-002.yml:3: SCHEMA: severity" in out.out + out.err
    code = main(["explain", "TST-ABC-002", "x", str(data), "--rules", str(rules), "--select", "TST-ABC-001"])
    err = capsys.readouterr().err
    assert code == 2 and wanted in err and "Traceback" not in err, err


def test_a_broken_selected_rule_is_reported_as_without_selection(tmp_path, capsys):
    rules, data = _rule_folder(tmp_path, FATAL, GOOD)
    code = main(["check", str(data), "--rules", str(rules), "--select", "TST-ABC-001"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert f"{rules / 'TST-ABC-001.yml'}:3: SCHEMA: severity : « fatal » n'est pas une valeur permise" in err, err
    # selected by a tag of its own
    (tmp_path / "b").mkdir()
    rules2, data2 = _rule_folder(tmp_path / "b", GOOD.replace("fix:", "tags: [essai]\nseverity_x: 1\nfix:"), GOOD)
    code = main(["check", str(data2), "--rules", str(rules2), "--tags", "essai"])
    err = capsys.readouterr().err
    assert code == 2 and f"{rules2 / 'TST-ABC-001.yml'}:8: SCHEMA: clé inconnue : « severity_x »" in err, err


@pytest.mark.parametrize("change, line, code_words", [
    # every file is still read: YAML, file name, id, tags and supersedes (what a selection needs)
    (('for_each: export', 'for_each: [export'), 5, "YAML"),
    (('id: TST-ABC-002', 'id: 2'), 1, "SCHEMA: id : type attendu : texte"),
    (('fix:', 'tags: edt\nfix:'), 7, "SCHEMA: tags : type attendu : liste"),
    (('fix:', 'supersedes: [TST-ABC-001, 3]\nfix:'), 7, "SCHEMA: supersedes.1 : type attendu : texte"),
    (('fix:', 'supersedes: [TST-ABC-009]\nfix:'), 7, "SUPERSEDES: supersedes : règle inconnue « TST-ABC-009 »"),
    (('id: TST-ABC-002', 'id: TST-ABC-001'), 1, "NOM"),
])
def test_a_selection_still_reads_every_rule_file(tmp_path, capsys, change, line, code_words):
    rules, data = _rule_folder(tmp_path, GOOD, GOOD)
    bad = rules / "TST-ABC-002.yml"
    bad.write_text(bad.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    code = main(["check", str(data), "--rules", str(rules), "--select", "TST-ABC-001"])
    err = capsys.readouterr().err
    assert code == 2 and f"{bad}:{line}: {code_words}" in err and "Traceback" not in err, err


def test_a_rule_that_supersedes_a_selected_one_is_checked(tmp_path, capsys):
    """An unselected rule superseding a selected one runs (silently): it is checked against
    the schema, so its mistake is reported."""
    rules, data = _rule_folder(tmp_path, GOOD, FATAL.replace("fix: Refaire", "supersedes: [TST-ABC-001]\nfix: Refaire"))
    code = main(["check", str(data), "--rules", str(rules), "--select", "TST-ABC-001"])
    err = capsys.readouterr().err
    assert code == 2 and f"{rules / 'TST-ABC-002.yml'}:3: SCHEMA: severity" in err, err


def test_a_rule_that_supersedes_a_selected_one_is_compiled(tmp_path, capsys):
    """An unselected rule superseding a selected one runs (silently): its expressions are
    compiled, so its mistake is reported."""
    rules, data = _rule_folder(tmp_path, GOOD, BROKEN_ASSERT.replace("fix: Refaire", "supersedes: [TST-ABC-001]\nfix: Refaire"))
    code = main(["check", str(data), "--rules", str(rules), "--select", "TST-ABC-001"])
    err = capsys.readouterr().err
    assert code == 2 and f"{rules / 'TST-ABC-002.yml'}:5: EXPRESSION: assert" in err, err


@pytest.mark.parametrize("change, french", [
    (('assert: "export.readable"', 'assert: "export.readable | nosuchfilter"'), "filtre « nosuchfilter » inconnu"),
    ((_MESSAGE, "message: '{{ export.label is nosuchtest }}'"), "test « nosuchtest » inconnu"),
    (('assert: "export.readable"', 'assert: "export.readable and ("'), "n'est pas fermé"),
    (('assert: "export.readable"', 'assert: "export.readable |"'), "il manque un nom"),
    ((_MESSAGE, "message: '{% if export.readable %}oui'"), "balise « if » non fermée (« endif » manquant)"),
    ((_MESSAGE, "message: '{% frobnicate %}'"), "balise « frobnicate » inconnue"),
    ((_MESSAGE, "message: '{{ export.label $ 2 }}'"), "caractère « $ » inattendu"),
])
def test_syntax_errors_are_said_in_french(tmp_path, host, env, change, french):
    """The author reads what is wrong in French, never Jinja's English words."""
    p = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(RuleFileError) as exc:
        load_rule_file(p, host.registries, env)
    msg = str(exc.value)
    assert french in msg, msg
    for english in ("No filter", "No test", "expected", "unexpected", "Encountered", "innermost", "got '"):
        assert english not in msg, msg
