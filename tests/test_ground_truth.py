"""Contract: the audit of generated data finds exactly the injected defects.

For several seeds and sizes, the set of (rule, kind, id) of the findings (of every
evaluated rule, and of input problems) must equal the generator's ground truth:
every injected defect is found by its rule, and the clean parts raise nothing. Every
family writer added to the generator must keep this true.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.findings import NOT_EVALUATED, RULE_ERROR
from scolint.plugins.gen.generate import all_defects, generate, writer_modules
from scolint.plugins.gen.shapes import SHAPES

SEEDS = (1, 2, 3)
SIZES = (80, 650)  # 650: two victims of most defects
#: Shapes of the exports checked on their own (the default shape is the runs above);
#: each with one size and two seeds (one odd, one even: EDT and ENT layouts differ by seed).
VARIANTS = ("avec-adresses", "sans-adresses", "sans-structures", "deux-formes", "optionnels-absents", "sts-espaces",
            "sts-compact")
#: Shapes whose audit does not yet give exactly the generator's ground truth: none.
PENDING: dict[str, str] = {}


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


def _audit(auditor: Auditor, folder):
    result = auditor.audit([folder])
    errors = [f"{o.rule_id}: {o.error}" for o in result.outcomes if o.status == RULE_ERROR]
    assert not errors, errors
    skipped = {o.rule_id for o in result.outcomes if o.status == NOT_EVALUATED}
    found = _named({(f.rule_id, f.entity_kind, f.entity_id) for f in result.findings if f.rule_id not in skipped})
    return result, found, skipped


def _named(keys) -> set:
    """A file-level finding names its file as shown (the path given to the audit, or the
    archive member): compared by the file's name on both sides."""
    return {(rule, kind, Path(ident.split("!")[-1]).name if kind == "file" else ident) for rule, kind, ident in keys}


def _explain(result, keys) -> list[str]:
    return [f"{f.rule_id} {f.entity_kind} {f.entity_id}: {f.message} ({f.location})"
            for f in result.findings if (f.rule_id, f.entity_kind, f.entity_id) in keys]


@pytest.fixture(scope="module")
def runs(auditor, tmp_path_factory):
    out = {}
    for size in SIZES:
        for seed in SEEDS:
            folder = tmp_path_factory.mktemp(f"gt{size}-{seed}")
            _est, truth = generate(folder, size, seed)
            out[(size, seed)] = (truth, *_audit(auditor, folder))
    return out


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_audit_equals_ground_truth(runs, size, seed):
    truth, result, found, _skipped = runs[(size, seed)]
    expected = _named(truth.keys())
    missing = sorted(expected - found)
    extra = sorted(found - expected)
    assert not missing, f"anomalies injectées non trouvées : {missing}"
    assert not extra, "anomalies inattendues :\n" + "\n".join(_explain(result, set(extra)))


def test_every_defect_is_exercised(runs):
    """Each declared defect's rules appear in the truth of at least one run."""
    covered = {f.rule for truth, *_rest in runs.values() for f in truth.findings}
    declared = {rule for defect in all_defects(writer_modules()) for rule in defect.rules}
    assert declared <= covered, f"défauts jamais injectés : {sorted(declared - covered)}"


def test_truth_rules_were_evaluated(runs):
    for truth, _result, _found, skipped in runs.values():
        assert not {f.rule for f in truth.findings} & skipped


def test_archived_exports_agree_with_ground_truth(auditor, tmp_path):
    """SIECLE exports in their ExportXML_<Nom>.zip: ids become ``archive.zip!fichier.xml``."""
    _est, truth = generate(tmp_path, 80, 3, archives=True)
    assert ("X-UAI-001", "export", "ExportXML_Nomenclature.zip!Nomenclature.xml") in truth.keys()
    assert any(name.startswith("ExportXML_") and name.endswith(".zip") for name in truth.files)
    result, found, _skipped = _audit(auditor, tmp_path)
    assert found == _named(truth.keys()), "\n".join(_explain(result, found ^ _named(truth.keys())))


@pytest.mark.parametrize("size,seed", [(80, 9), (400, 3)])
def test_clean_data_raises_nothing(auditor, tmp_path, size, seed):
    _est, truth = generate(tmp_path, size, seed, defects=False)
    assert truth.findings == []
    result, found, skipped = _audit(auditor, tmp_path)
    assert not found, "\n".join(_explain(result, found))
    declared = {rule for defect in all_defects(writer_modules()) for rule in defect.rules}
    assert not declared & skipped


def test_every_shape_is_checked():
    """A shape added to the generator is added here (or said why not)."""
    assert set(VARIANTS) | {"standard"} | set(PENDING) == set(SHAPES)
    assert not set(VARIANTS) & set(PENDING)


@pytest.mark.parametrize("seed", (4, 5))
@pytest.mark.parametrize("shape", VARIANTS)
def test_shapes_agree_with_ground_truth(auditor, tmp_path, shape, seed):
    """The same establishment written in another real shape: the audit still finds exactly
    the injected defects."""
    _est, truth = generate(tmp_path, 120, seed, shape=shape)
    result, found, _skipped = _audit(auditor, tmp_path)
    expected = _named(truth.keys())
    assert found == expected, "\n".join([f"manquant : {k}" for k in sorted(expected - found)]
                                         + _explain(result, found - expected))


@pytest.mark.slow
def test_ground_truth_at_5000_students(auditor, tmp_path):
    """The largest size the generator accepts (``pytest -m slow``)."""
    _est, truth = generate(tmp_path, 5000, 8)
    result, found, _skipped = _audit(auditor, tmp_path)
    assert found == _named(truth.keys()), "\n".join(_explain(result, found ^ _named(truth.keys())))
