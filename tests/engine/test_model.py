"""Graph.add, the one call every loader makes per record: its fast path keeps the contract;
Graph.release, which a batch or the portal calls when done with a graph."""

from __future__ import annotations

import gc

from scolint.engine.model import Entity, Graph, Provenance

P1 = Provenance("Eleves.xml", 12, "SIECLE")
P2 = Provenance("Structures.xml", 40, "SIECLE")


def test_new_entity_fields_label_and_provenance() -> None:
    g = Graph()
    fields = {"last_name": "MARTIN", "division": "3A"}
    ent = g.add("student", 1234, source="siecle", prov=P1, **fields)
    assert isinstance(ent, Entity) and ent.id == "1234" and ent.label == "1234"
    assert ent.data == fields and ent.data is not fields  # the caller's dict is not shared
    assert ent.prov == [P1] and ent.key == ("student", "siecle", "1234")
    assert g.add("student", "99", source="siecle", label="DURAND Léa").label == "DURAND Léa"
    assert g.add("student", "98", source="siecle", prov=[P1, P2]).prov == [P1, P2]
    assert g.add("student", "97", source="siecle").prov == []


def test_same_key_merges_fields_and_provenance() -> None:
    g = Graph()
    first = g.add("student", "1", source="siecle", prov=P1, label="A", a=1)
    again = g.add("student", 1, source="siecle", prov=(P1, P2), b=2)
    assert again is first and first.data == {"a": 1, "b": 2} and first.prov == [P1, P2]
    assert first.label == "A"
    g.add("student", "1", source="siecle", label="B")
    assert first.label == "B" and len(g) == 1 and g.all("student") == [first]


def test_first_added_wins_across_sources_and_kinds_stay_in_load_order() -> None:
    g = Graph()
    edt = g.add("student", "7", source="edt")
    siecle = g.add("student", "7", source="siecle")
    g.add("division", "3A", source="siecle")
    assert g.get("student", "7") is edt and g.get("student", "7", "siecle") is siecle
    assert g.kinds() == ["student", "division"] and g.all("student") == [edt, siecle]
    assert [e.key for e in g] == [edt.key, siecle.key, ("division", "siecle", "3A")]


def test_an_index_is_rebuilt_after_a_new_entity() -> None:
    g = Graph()
    g.add("student", "1", source="siecle", division="3A")
    assert [e.id for e in g.index("student", "division")["3A"]] == ["1"]
    g.add("student", "2", source="siecle", division="3A")
    assert [e.id for e in g.index("student", "division")["3A"]] == ["1", "2"]


def test_entities_of_one_source_follow_the_entities_added_since_the_last_call() -> None:
    g = Graph()
    a = g.add("student", "1", source="siecle")
    assert g.all("student", "siecle") == [a] and g.all("student", "edt") == [] and g.all("guardian", "siecle") == []
    listed = g.all("student", "siecle")
    listed.append(a)  # the caller's list: the graph is not changed
    assert g.all("student", "siecle") == [a]
    b = g.add("student", "2", source="edt")
    c = g.add("student", "3", source="siecle")
    assert g.all("student", "siecle") == [a, c] and g.all("student", "edt") == [b]
    assert g.all("student") == [a, b, c]
    d = g.add("student", "4", source="pronote")
    assert g.all("student", "pronote") == [d] and g.all("student", "siecle") == [a, c]


def test_a_released_graph_is_freed_without_the_collector() -> None:
    def build() -> tuple[Graph, Entity]:
        g = Graph()
        pupil = g.add("student", "1", source="siecle", prov=P1, last_name="MARTIN")
        guardian = g.add("guardian", "7", source="siecle", prov=P2, children=[pupil])
        pupil.data["guardians"] = [guardian]  # relations both ways: a cycle
        return g, guardian

    was_enabled, debug = gc.isenabled(), gc.get_debug()
    gc.disable()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds stays in gc.garbage, to be counted
    try:
        g, kept = build()
        g.release()
        assert len(g) == 0 and g.all("student") == [] and g.get("guardian", "7") is None
        assert kept.data == {} and kept.label == "7" and kept.prov == [P2]  # held elsewhere: no fields
        del g, kept
        gc.collect()
        assert not [o for o in gc.garbage if type(o) is Entity]  # reference counting freed them
    finally:
        gc.set_debug(debug)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
