"""Each file of the bad-input corpus (tests/fixtures/bad/make_corpus.py), put in the place
of its family's export among the valid exports of the other families, gives what the
corpus says (an error or a finding naming the file, a line where asked), never a loader
crash, and the other files of the folder are still read.

A family is tested when its format is registered (its loader is installed).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.manager import get_plugin_host

HERE = Path(__file__).parent / "fixtures" / "bad"
_spec = importlib.util.spec_from_file_location("make_corpus", HERE / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["make_corpus"] = make_corpus
_spec.loader.exec_module(make_corpus)  # type: ignore[union-attr]

FORMATS = set(get_plugin_host(load_entrypoints=False).registries.formats)
CASES = [c for c in make_corpus.cases() if c.family in FORMATS]


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor(host=get_plugin_host(load_entrypoints=False))


@pytest.fixture(scope="module")
def clean(auditor, tmp_path_factory):
    folder = tmp_path_factory.mktemp("graines")
    for name, family in make_corpus.FAMILIES.items():
        seed = make_corpus.SEEDS / name
        if seed.is_file() and family in FORMATS:
            (folder / name).write_bytes(seed.read_bytes())
    return folder, auditor.audit([folder])


#: What a valid seed may still say about itself: an encrypted container cannot be audited.
SEED_NOTES = {"ENTREE-CHIFFRE"}


def entree_codes(result, path: Path) -> list[str]:
    return sorted(f.rule_id for f in result.findings if f.rule_id.startswith("ENTREE-")
                  and any(p.file == str(path) for p in f.provenance))


def test_seeds_are_valid_exports(clean):
    folder, result = clean
    entree = [(f.rule_id, f.location, f.message) for f in result.findings
              if f.rule_id.startswith("ENTREE-") and f.rule_id not in SEED_NOTES]
    assert entree == []
    read = {e.meta["name"].split("#")[0] for e in result.exports}  # "f.xml#vue": a second view of f.xml
    expected = {n for n, fam in make_corpus.FAMILIES.items() if fam in FORMATS and (folder / n).exists()}
    assert read == expected
    assert result.exit_code("error") == 0


def test_corpus_covers_every_registered_family_with_a_seed():
    families = {c.family for c in CASES}
    with_seed = {fam for n, fam in make_corpus.FAMILIES.items() if (make_corpus.SEEDS / n).is_file()}
    assert families == with_seed & FORMATS
    assert {"siecle-eleves", "siecle-responsables", "siecle-structures", "siecle-nomenclature", "sts-emp"} <= families


def test_script_writes_the_corpus(tmp_path):
    files = make_corpus.write(tmp_path)
    assert len(files) == len(make_corpus.cases())
    assert (tmp_path / "siecle-eleves" / "tronque.xml").read_bytes() == next(
        c.data for c in make_corpus.cases() if c.family == "siecle-eleves" and c.name == "tronque")


@pytest.mark.parametrize("case", CASES, ids=[f"{c.family}/{c.name}" for c in CASES])
def test_bad_input(case, clean, auditor, tmp_path):
    folder, clean_result = clean
    for p in folder.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    bad = tmp_path / case.filename
    bad.write_bytes(case.data)
    result = auditor.audit([tmp_path])

    crashes = [(f.location, f.message) for f in result.findings if f.rule_id == "ENTREE-CHARGEUR"]
    assert crashes == []
    about = [f for f in result.findings if any(p.file == str(bad) for p in f.provenance)]
    seed_codes = entree_codes(clean_result, folder / case.filename)
    entree = [f for f in about if f.rule_id.startswith("ENTREE-")]
    summary = [(f.rule_id, f.severity, f.location, f.message[:120]) for f in about]

    # The other files are still read.
    others = {e.meta["name"] for e in clean_result.exports if e.meta["name"].split("#")[0] != case.filename}
    expect = case.expect
    dups = [f for f in result.findings if f.rule_id == "ENTREE-DOUBLON"]
    if expect == "twin" and dups and "Seul" in dups[0].message:  # two exports of one kind: one is read, and said
        (dup,) = dups
        assert case.filename in dup.message, dup.message
        read = {e.meta["name"] for e in result.exports}
        assert len(others - read) <= 1 and others - read <= {n for n in others if n in dup.message}
        return
    if expect == "twin":  # a format read in several parts (AAF): both are read, the records read twice are said
        if dups:
            (dup,) = dups
            assert "déjà lue(s) dans" in dup.message and (
                str(bad) in dup.message or any(p.file == str(bad) for p in dup.provenance)), dup.message
            entree = [f for f in entree if f is not dup]
        expect = "read"
    assert others <= {e.meta["name"] for e in result.exports}

    if expect == "fatal":
        assert [f.rule_id for f in entree] == ["ENTREE-FICHIER"], summary
        assert result.exit_code("error") == 2
    elif expect == "unknown":
        assert [f.rule_id for f in entree] == ["ENTREE-INCONNU"], summary
        assert case.filename not in {e.meta["name"].split("#")[0] for e in result.exports}
    elif expect == "read":
        assert sorted(f.rule_id for f in entree if f.rule_id not in SEED_NOTES) == \
            [c for c in seed_codes if c not in SEED_NOTES], summary
        assert case.filename in {e.meta["name"].split("#")[0] for e in result.exports}
        assert result.exit_code("error") != 2
    elif expect == "warning":
        assert [f.severity for f in entree if f.rule_id not in seed_codes] == ["warning"], summary
        assert case.filename in {e.meta["name"].split("#")[0] for e in result.exports}
    else:  # "finding": one the valid file does not give
        seed_path = str(folder / case.filename)
        known = {(f.rule_id, f.message) for f in clean_result.findings
                 if any(p.file == seed_path for p in f.provenance)} | {f.fingerprint for f in clean_result.findings}
        new = [f for f in about if (f.rule_id, f.message) not in known and f.fingerprint not in known]
        assert new, f"aucune anomalie nouvelle ne nomme {case.filename} : {summary}"
    if case.line:
        assert any(f.provenance[0].line for f in about), summary
    for f in about:
        assert f.message and "Traceback" not in f.message
