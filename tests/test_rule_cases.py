"""One runner for every rule test case: inline ``tests:`` and tests/fixtures/rules/*.yml.

Ids are ``<RULE>_<case>`` so ``pytest -k EDT-PRN-001`` selects one rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scolint.engine.evaluate import make_environment
from scolint.engine.manager import get_plugin_host
from scolint.engine.rules import load_rules
from scolint.engine.testing import cases_of, load_case_file, run_case

FIXTURES = Path(__file__).parent / "fixtures" / "rules"

_host = get_plugin_host(load_entrypoints=False)
_env = make_environment(_host.registries)
_rules = {r.id: r for r in load_rules(_host.rule_paths(), _host.registries, _env)}
_cases = [c for r in _rules.values() for c in cases_of(r)]
for f in sorted(FIXTURES.glob("*.yml")):
    _cases.extend(load_case_file(f))


def test_every_rule_has_a_firing_and_a_quiet_case():
    for rule in _rules.values():
        expects = [c.expect for c in _cases if c.rule_id == rule.id]
        assert any(e and e != "non_evaluee" for e in expects), f"{rule.id}: aucun cas qui déclenche"
        assert any(e == [] for e in expects), f"{rule.id}: aucun cas sans anomalie"


@pytest.mark.parametrize("case", _cases, ids=[f"{c.rule_id}_{c.name}" for c in _cases])
def test_rule_case(case):
    result = run_case(_rules[case.rule_id], case, _host.registries, _env)
    assert result.ok, f"{case.path}:{case.line}: attendu {result.expected}, trouvé {result.found} {result.error}"
