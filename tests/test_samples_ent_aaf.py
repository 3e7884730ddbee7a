"""Every real sample of the AAF, ENT and PRONOTE families in ../shared/samples loads
(skips when the folder is absent). No public ENT or PRONOTE CSV exists (formats.md §11):
their files, when added to the corpus, are picked up here by their folder."""

from __future__ import annotations

from scolint.engine.audit import Auditor

FAMILIES = ("aaf", "ent", "pronote")


def test_every_sample_of_the_families_loads(samples):
    files = [p for fam in FAMILIES if (samples / fam).is_dir() for p in sorted((samples / fam).iterdir())]
    assert files, "aucun échantillon AAF dans ../shared/samples"
    auditor = Auditor(use_default_rules=False)
    for path in files:
        graph, _ = auditor.load([path])
        assert not graph.problems, (path.name, [(p.code, p.line, p.message) for p in graph.problems])
        assert graph.exports and graph.exports[0].format_id.startswith(("aaf-", "ent-", "pronote-"))


def test_aaf_student_sample_fields(samples):
    graph, _ = Auditor(use_default_rules=False).load([samples / "aaf" / "ENT_Complet_20200101_Eleve_0000.xml"])
    (st,) = graph.all("aaf_student")
    assert (st.id, st["ine"], st["siecle_id"], st["birth_date"]) == ("2000000", "100000000AA", "1", "2000-01-01")
    assert st["division_codes"] == ["1AQUA"] and st["group_codes"] == []
    assert st["relative_jointures"] == ["2000000", "3000000"]
    assert graph.exports[0].format_id == "aaf-eleve"
