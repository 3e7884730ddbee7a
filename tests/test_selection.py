"""Loading only the entity kinds the selected rules read (issue 7, EDT rules vs Schematron).

``scolint check --select`` of rules that read only part of the graph must give the same
report as the full audit filtered to those rules (every problem ENTREE-* included), while
the loaders skip what nobody reads: three EDT rules on a timetable export do not build
its 2,500 students and their guardians.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scolint.engine.audit import Auditor, Selection
from scolint.engine.cli import main
from scolint.engine.needs import kinds_read
from scolint.plugins.gen.generate import generate

EDT_RULES = ["EDT-PRN-001", "EDT-PRN-002", "EDT-STS-002"]
PEOPLE = ("edt_student", "edt_guardian")


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("etab")
    generate(folder, 200, 7)
    return folder


def _edt_export(folder: Path) -> Path:
    found = sorted(p for p in folder.rglob("*.xml") if b"<ExportEmploiDuTemps" in p.read_bytes()[:2000])
    assert found, f"no ExportEmploiDuTemps in {folder}"
    return found[0]


def _findings(result: Any, rules: set[str] | None = None) -> list[dict[str, Any]]:
    kept = [f.to_dict() for f in result.findings if rules is None or f.rule_id in rules or f.rule_id.startswith("ENTREE-")]
    return sorted(kept, key=lambda d: json.dumps(d, sort_keys=True, default=str))


def _same_as_full_audit(paths: list[Path], rules: list[str]) -> Any:
    full = Auditor().audit(paths)
    selected = Auditor(selection=Selection(ids=rules)).audit(paths)
    assert _findings(selected) == _findings(full, set(rules))
    assert [vars(e) for e in selected.exports] == [vars(e) for e in full.exports]
    assert [(o.rule_id, o.status, o.count) for o in selected.outcomes] == \
        [(o.rule_id, o.status, o.count) for o in full.outcomes if o.rule_id in rules]
    return selected


def _kinds(auditor: Auditor, paths: list[Path]) -> set[str]:
    graph, _shown = auditor.load(paths, for_rules=True)
    return set(graph.kinds())


def test_edt_rules_read_no_people_kind(host: Any, env: Any) -> None:
    auditor = Auditor(selection=Selection(ids=EDT_RULES), host=host)
    kinds, _names = kinds_read(auditor.rules, auditor.registries, auditor.env)
    assert {"edt_course", "edt_group", "edt_teacher", "edt_class", "export"} <= kinds
    assert not kinds & {"edt_student", "edt_guardian", "student", "guardian"}
    # a rule reading a relation field brings its target kind (and nothing when unselected)
    every = Auditor(host=host)
    assert every.kinds_for(["edt-export"]) is None
    student_rules = [r for r in every.rules if r.for_each == "edt_student"]
    if student_rules:
        kinds, _ = kinds_read(student_rules, every.registries, every.env)
        assert "edt_student" in kinds


def test_selected_edt_rules_on_the_timetable_alone(school: Path) -> None:
    export = _edt_export(school)
    result = _same_as_full_audit([export], EDT_RULES)
    assert result.findings, "the generated timetable holds EDT anomalies"
    kinds = _kinds(Auditor(selection=Selection(ids=EDT_RULES)), [export])
    assert "edt_course" in kinds and not kinds & set(PEOPLE)
    assert set(PEOPLE) <= _kinds(Auditor(), [export])  # without a selection, everything is built


def test_selected_edt_rules_on_the_whole_establishment(school: Path) -> None:
    _same_as_full_audit([school], EDT_RULES)
    # SIECLE's loader does not declare its kinds: the EDT students may be joined with
    # SIECLE's (and reported as missing there), so they are kept
    assert "edt_student" in _kinds(Auditor(selection=Selection(ids=EDT_RULES)), [school])


def test_selected_edt_rules_on_the_edt_samples(samples: Path) -> None:
    edt = samples / "edt"
    _same_as_full_audit([edt / "ExportEmploiDuTemps_enclair.xml"], EDT_RULES)
    _same_as_full_audit([edt], EDT_RULES)
    # the whole samples folder: « élèves d'EDT introuvables dans SIECLE » is still reported
    result = _same_as_full_audit([samples], EDT_RULES)
    assert any(f.rule_id == "ENTREE-LIEN" and "élève(s) d'EDT" in f.message for f in result.findings)
    alone = _kinds(Auditor(selection=Selection(ids=EDT_RULES)), [edt / "ExportEmploiDuTemps_enclair.xml"])
    assert not alone & set(PEOPLE)


def test_other_selections_give_the_full_audit_findings(school: Path) -> None:
    for rules in (["EDT-STS-001"], ["X-SIE-EDT-003"], ["EDT-PRN-001", "SIE-RESP-002"]):
        _same_as_full_audit([school], rules)


def test_check_command_select_report_is_the_full_one_filtered(school: Path, tmp_path: Path) -> None:
    export = _edt_export(school)
    out_sel, out_all = tmp_path / "sel.json", tmp_path / "all.json"
    main(["check", str(export), "--select", ",".join(EDT_RULES), "--format", "json", "-o", str(out_sel)])
    main(["check", str(export), "--format", "json", "-o", str(out_all)])
    sel, full = (json.loads(p.read_text(encoding="utf-8")) for p in (out_sel, out_all))
    keep = set(EDT_RULES)
    assert sel["anomalies"] and len(sel["anomalies"]) < len(full["anomalies"])
    assert sel["anomalies"] == [a for a in full["anomalies"] if a["rule"] in keep or a["rule"].startswith("ENTREE-")]
    assert sel["exports"] == full["exports"]


def test_selected_edt_rules_on_the_bad_input_corpus(tmp_path: Path) -> None:
    """Every spoilt EDT file of the bad-input corpus (truncated, re-encoded, duplicated
    records, impossible dates…): the same problems and findings with and without the
    selection, and no loader error."""
    import importlib.util
    import sys

    here = Path(__file__).parent / "fixtures" / "bad"
    spec = importlib.util.spec_from_file_location("make_corpus_select", here / "make_corpus.py")
    corpus = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["make_corpus_select"] = corpus
    spec.loader.exec_module(corpus)  # type: ignore[union-attr]
    written = [p for p in corpus.write(tmp_path) if p.parent.name.startswith("edt")]
    assert len(written) > 10
    full, selected = Auditor(), Auditor(selection=Selection(ids=EDT_RULES))
    for path in written:
        everything, chosen = full.audit([path]), selected.audit([path])
        assert _findings(chosen) == _findings(everything, set(EDT_RULES)), path.name
        assert not any(f.rule_id == "ENTREE-CHARGEUR" for f in chosen.findings), path.name


def test_rules_on_pronote_identifiers_keep_the_edt_people(school: Path, tmp_path: Path) -> None:
    """The PRONOTE link derives identifiers from the EDT export's people: a rule reading
    ``pronote_identifier`` gets them even with no other file but the PRONOTE one."""
    for name in (_edt_export(school).name, *(p.name for p in school.glob("*PRONOTE*.csv"))):
        (tmp_path / name).write_bytes(next(school.rglob(name)).read_bytes())
    auditor = Auditor()
    readers = [r.id for r in auditor.rules if r.for_each == "pronote_identifier"]
    assert readers
    for rule in readers:
        _same_as_full_audit([tmp_path], [rule])
    graph, _shown = Auditor(selection=Selection(ids=readers[:1])).load([tmp_path], for_rules=True)
    assert graph.all("edt_student")


@pytest.mark.slow  # every rule alone: one audit per rule (run by .ci/run after the README's command)
def test_each_rule_alone_on_formats_that_declare_their_kinds(school: Path, tmp_path: Path) -> None:
    """EDT, EDT_STS, ENT and PRONOTE files only (every format declares its kinds, so the
    loaders do skip kinds): each rule selected alone finds what the full audit finds."""
    auditor = Auditor()
    kept = []
    for path in sorted(school.iterdir()):
        head = path.read_bytes()[:4096]
        fmt = auditor.host.detect_format(path=path, head=head)
        info = auditor.registries.formats.get(fmt) if fmt else None
        if info is not None and info.kinds is not None:
            (tmp_path / path.name).write_bytes(path.read_bytes())
            kept.append(fmt)
    assert {"edt-export", "edt-sts", "ent-identifiants", "pronote-identifiants"} <= set(kept)
    full = auditor.audit([tmp_path])
    skipped = 0
    for rule in auditor.rules:
        selected = Auditor(selection=Selection(ids=[rule.id]))
        assert _findings(selected.audit([tmp_path])) == _findings(full, {rule.id}), rule.id
        graph, _shown = selected.load([tmp_path], for_rules=True)
        skipped += len(graph) < full.meta["entities"]
    assert skipped  # some selections did build fewer entities
