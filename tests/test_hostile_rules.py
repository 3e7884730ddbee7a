"""Rules are bounded (issue 14, item 5): a rule that asks for a huge format width (``*``
included) or runs past its time bound is a rule error naming the rule; the audit goes on."""

from __future__ import annotations

import json

from scolint.engine.cli import main
from scolint.plugins.gen.generate import generate

RULES = {
    "BORNE-ETOILE-001": "('%*s' % (1000000000, 'x')) | length > 0",
    "BORNE-PRECISION-001": "('%.*f' % (1000000000, 1.5)) | length > 0",
    "BORNE-FILTRE-001": "('%*s' | format(1000000000, 'x')) | length > 0",
    # Each filter's own work is small, but the chain repeated for every pupil is not.
    "BORNE-DUREE-001": "(range(9000) | map('string') | sort | unique | list | join(',') | length) "
                       "+ (range(9000) | map('string') | sort(reverse=true) | unique | list | length) < 0",
}


def test_bounded_rules_are_rule_errors_and_the_audit_goes_on(tmp_path, capsys):
    folder = tmp_path / "exports"
    generate(folder, 300, 5)  # enough pupils for the costly rule to outlast its time bound
    rules = tmp_path / "regles"
    rules.mkdir()
    for rule_id, expr in RULES.items():
        (rules / f"{rule_id}.yml").write_text(
            f"id: {rule_id}\ntitle: Règle piégée\nseverity: warning\nfor_each: student\n"
            f"assert: \"{expr}\"\nmessage: x\nfix: y\n", encoding="utf-8")
    code = main(["check", str(folder), "--rules", str(rules), "--duree-max-regle", "0.2", "--format", "json",
                 "-o", str(tmp_path / "r.json")])
    capsys.readouterr()
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    status = {r["id"]: (r["statut"], r["erreur"] or "") for r in report["regles"]}
    for rule_id in ("BORNE-ETOILE-001", "BORNE-PRECISION-001", "BORNE-FILTRE-001"):
        assert status[rule_id][0] == "error" and "largeur de format trop grande" in status[rule_id][1], status[rule_id]
    assert status["BORNE-DUREE-001"][0] == "error" and "règle trop longue" in status["BORNE-DUREE-001"][1]
    assert status["SIE-DIV-001"][0] in ("passed", "failed")  # the other rules were evaluated
    assert code in (0, 1)
