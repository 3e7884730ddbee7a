"""``scolint explain``: sub-expressions evaluated in the sandbox, the deciding part, in French."""

from __future__ import annotations

import textwrap

import pytest

from scolint.engine.explain import ExpressionExplainer, explain_rule, unparse
from scolint.engine.model import Graph, Provenance
from scolint.engine.rules import parse_rule

AUDIT = {"uai": "0310040A", "uais": ["0310040A", "0311234Y"], "year": 2024, "years": [2023, 2024],
         "formats": ["siecle-eleves", "sts-emp"], "today": None}


def exports() -> Graph:
    g = Graph()
    for name, uai, year, readable in [("ElevesSansAdresses.xml", "0310040A", 2024, True),
                                      ("sts_emp_0311234Y_2024.xml", "0311234Y", 2024, True),
                                      ("Nomenclature.xml", "0310040A", 2023, True),
                                      ("Structures.xml", None, None, False)]:
        g.add("export", name, source="scolint", prov=Provenance(name, None, "SIECLE"),
              format="siecle-eleves", uai=uai, year=year, readable=readable,
              password="{SHA}Zm9vYmFyYmF6" if name.startswith("sts") else None)
    return g


@pytest.fixture
def uai_rule(host, env):
    from scolint.engine.rules import load_rules
    return {r.id: r for r in load_rules(host.rule_paths(), host.registries, env)}["X-UAI-001"]


def explain(rule, ent_id, host, env, graph=None, formats=frozenset({"siecle-eleves", "sts-emp"})):
    g = graph or exports()
    return explain_rule(rule, g.get("export", ent_id), g, host.registries, env, AUDIT, set(formats))


EXPRESSIONS = [
    "a | length > 0 and not b.c", "-x | abs", "(a + b) * 2 - c // 3 % 2", "x if y else z",
    "a is defined and b is divisibleby(3)", "a[1:2].b", "'é\\'' ~ x ~ 'fin'", "(1,)",
    "{'a': [1, none, true]}", "x | join(', ') | upper", "not (a and b) or c", "a in [1, 2] and b not in 'xy'",
    "(x | first).code", "x | selectattr('left') | list | length", "a < b <= c",
]


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_unparse_gives_back_the_same_tree(env, source):
    tree = env.parse("{{ " + source + " }}").body[0].nodes[0]
    again = env.parse("{{ " + unparse(tree) + " }}").body[0].nodes[0]
    assert again == tree


def test_sub_expressions_are_evaluated_with_short_circuit(env):
    ex = ExpressionExplainer(env, {"a": [1, 2], "b": {"c": True}, "z": None})
    step = ex.explain("a | length > 2 and not b.c")
    assert step.value is False
    left, right = step.children
    assert (left.text, left.value, left.note) == ("a | length > 2", False, "2 > 2")
    assert right.text == "not b.c" and right.shown() == "non évalué"
    assert "suffit" in step.note
    # a failing sub-expression is shown as an error, not raised
    assert ex.explain("z.x + 1").shown().startswith("erreur (")


def test_fired_case_names_the_deciding_comparison(host, env, uai_rule):
    lines, fired = explain(uai_rule, "sts_emp_0311234Y_2024.xml", host, env)
    text = "\n".join(lines)
    assert fired is True
    assert "  export.uai = « 0311234Y »" in lines and "  audit.uai = « 0310040A »" in lines
    assert ("Décision : ANOMALIE — l'assertion est fausse parce que « not export.uai » vaut faux et "
            "« not audit.uai » vaut faux et « export.uai | uai_problem » vaut vide et "
            "« export.uai | upper == audit.uai » vaut faux "
            "(« 0311234Y » == « 0310040A »).") in lines
    assert "Message : Le fichier sts_emp_0311234Y_2024.xml est de l'établissement 0311234Y, alors que" in text
    assert "{SHA}" not in text


def test_non_fired_case_and_other_year(host, env, uai_rule):
    lines, fired = explain(uai_rule, "ElevesSansAdresses.xml", host, env)
    assert fired is False
    assert lines[-1].startswith("Décision : PAS D'ANOMALIE — l'assertion est vraie parce que "
                                "« export.uai | upper == audit.uai » vaut vrai (« 0310040A » == « 0310040A »)")
    lines, fired = explain(uai_rule, "Nomenclature.xml", host, env)
    assert fired is True and "« export.year == audit.year » vaut faux (2023 == 2024)" in lines[-2]


def test_filtered_out_by_where(host, env, uai_rule):
    lines, fired = explain(uai_rule, "Structures.xml", host, env)
    assert fired is False
    assert lines[-1] == ("Décision : PAS D'ANOMALIE — l'entité est écartée par le filtre « where » parce que "
                         "« export.readable » vaut faux : la règle ne l'examine pas.")


RULE = """\
id: TST-SEC-001
title: Mot de passe modifié
severity: info
for_each: export
where: "export.readable"
assert: "not (export.password | default('', true)).startswith('{SHA}')"
message: "{{ export.label }} : code modifié."
fix: Ne pas l'envoyer.
"""

UNIQUE = """\
id: TST-DBL-001
title: Deux exports de la même année
severity: warning
for_each: export
unique: {key: "export.year"}
message: "{{ export.label }} et {{ duplicates | map(attribute='label') | join(', ') }}"
fix: Garder le plus récent.
"""


def test_secret_values_are_never_shown(host, env):
    rule = parse_rule("TST-SEC-001.yml", RULE, host.registries, env)
    lines, fired = explain(rule, "sts_emp_0311234Y_2024.xml", host, env)
    text = "\n".join(lines)
    assert fired is True
    assert "Zm9v" not in text and "{SHA}Zm" not in text
    assert "  export.password = (valeur masquée : donnée secrète)" in lines
    assert "      (export.password | default('', true)).startswith('{SHA}')  vaut  vrai" in lines


def test_missing_export_means_not_evaluated(host, env):
    rule = parse_rule("TST-SEC-001.yml", RULE, host.registries, env)
    rule.requires = ["sts-emp"]  # as if the rule required the STS export
    lines, fired = explain(rule, "sts_emp_0311234Y_2024.xml", host, env, formats={"siecle-eleves"})
    assert fired is None and lines[-1].startswith("Décision : règle NON ÉVALUÉE — export(s) absent(s) : sts-emp")


def test_other_check_kinds_show_the_hit_variables(host, env):
    rule = parse_rule("TST-DBL-001.yml", textwrap.dedent(UNIQUE), host.registries, env)
    lines, fired = explain(rule, "sts_emp_0311234Y_2024.xml", host, env)
    assert fired is True
    assert any(line.startswith("Décision : ANOMALIE — signalée par le contrôle « unique » sur export "
                               "ElevesSansAdresses.xml") for line in lines)
    assert "  key = 2024" in lines
    lines, fired = explain(rule, "Nomenclature.xml", host, env)
    assert fired is False and lines[-1] == "Décision : PAS D'ANOMALIE — le contrôle « unique » ne signale pas cette entité."


# ---------------------------------------------------------------------------
# The command, on the project's fictional establishment
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import json

    from scolint.engine.cli import main
    out = tmp_path_factory.mktemp("demo") / "demo"
    assert main(["generate", "--students", "60", "--seed", "5", "--out", str(out)]) == 0
    truth = json.loads((out / "verite-terrain.json").read_text("utf-8"))["findings"]
    return out, truth


def test_explain_command_fired_and_not_fired(demo, capsys):
    from scolint.engine.cli import main
    folder, truth = demo
    capsys.readouterr()
    fired = next(f for f in truth if f["rule"] == "SIE-RESP-001")
    assert main(["explain", "SIE-RESP-001", fired["id"], str(folder)]) == 0
    out = capsys.readouterr().out
    assert f"Entité : student {fired['id']} « " in out
    assert "  student.legal_guardians = [] (liste vide)" in out
    assert "Décision : ANOMALIE — l'assertion est fausse parce que « student.legal_guardians » vaut [] (liste vide)" in out
    assert "Message : L'élève " in out
    # another student of the same file, with guardians: no finding, and why
    others = [f["id"] for f in truth if f["rule"] == "SIE-RESP-001"]
    import xml.etree.ElementTree as ET
    ids = [e.get("ELEVE_ID") for e in ET.parse(folder / "ElevesSansAdresses.xml").iter("ELEVE")]
    quiet = next(i for i in ids if i not in others)
    assert main(["explain", "SIE-RESP-001", quiet, str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Décision : PAS D'ANOMALIE — " in out and "student.legal_guardians = [guardian " in out


def test_explain_command_unknown_entity_or_rule(demo, capsys):
    from scolint.engine.cli import main
    folder, _ = demo
    capsys.readouterr()
    assert main(["explain", "SIE-RESP-001", "inconnu", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "aucune entité « inconnu » de type « student » (celui qu'examine SIE-RESP-001)" in err
    assert "Traceback" not in err
    assert main(["explain", "SIE-RESP-01", "x", str(folder)]) == 2
    assert "vouliez-vous dire SIE-RESP-001" in capsys.readouterr().err


def test_generators_from_filters_are_shown_as_lists(env):
    ex = ExpressionExplainer(env, {"a": [{"x": 1}, {"x": 0}]})
    step = ex.explain("a | selectattr('x') | list")
    assert step.children[0].text == "a | selectattr('x')" and step.children[0].shown() == "[{x: 1}]"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_LEAVES = st.sampled_from(["a", "b.c", "d[0]", "1", "'x'", "none", "true", "[1, 2]", "e.f.g"])
_OPS = st.sampled_from([" and ", " or ", " == ", " < ", " in ", " + ", " - ", " * ", " ~ "])
_FILTERS = st.sampled_from(["length", "upper", "fold", "default(0)", "join(', ')"])
_TESTS = st.sampled_from(["defined", "none", "divisibleby(2)"])


def _extend(inner):
    return st.one_of(
        st.tuples(inner, _OPS, inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        inner.map(lambda x: f"not ({x})"),
        inner.map(lambda x: f"-({x})"),
        st.tuples(inner, _FILTERS).map(lambda t: f"{t[0]} | {t[1]}"),
        st.tuples(inner, _TESTS).map(lambda t: f"({t[0]} is {t[1]})"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
    )


EXPR = st.recursive(_LEAVES, _extend, max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(source=EXPR)
def test_unparse_is_faithful_on_random_expressions(source):
    from scolint.engine.evaluate import make_environment
    from scolint.engine.manager import get_plugin_host
    if not _ENV:
        _ENV.append(make_environment(get_plugin_host(load_entrypoints=False).registries))
    env = _ENV[0]
    tree = env.parse("{{ " + source + " }}").body[0].nodes[0]
    assert env.parse("{{ " + unparse(tree) + " }}").body[0].nodes[0] == tree, unparse(tree)


_ENV: list = []
