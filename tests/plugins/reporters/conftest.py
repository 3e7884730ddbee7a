"""Audit results of generated establishments, shared by the report tests."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.findings import AuditResult
from scolint.plugins.gen.generate import generate

FIXTURES = Path(__file__).parent / "fixtures"


def audit_folder(host, folder: Path) -> AuditResult:
    return Auditor(host=host).audit([folder])


@pytest.fixture(scope="session")
def session_host():
    from scolint.engine.manager import get_plugin_host
    return get_plugin_host(load_entrypoints=False)


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """A generated collège (120 students, injected defects)."""
    out = tmp_path_factory.mktemp("college")
    generate(out, 120, 7)
    return out


@pytest.fixture(scope="session")
def full_result(session_host, generated) -> AuditResult:
    return audit_folder(session_host, generated)


@pytest.fixture
def result(full_result) -> AuditResult:
    """A private copy of the full audit (tests may change it)."""
    return copy.deepcopy(full_result)


@pytest.fixture(scope="session")
def partial_result(session_host, generated, tmp_path_factory) -> AuditResult:
    """The same collège without the guardians export: some rules are not evaluated."""
    out = tmp_path_factory.mktemp("partiel")
    for f in generated.iterdir():
        if "Responsables" not in f.name:
            (out / f.name).write_bytes(f.read_bytes())
    return audit_folder(session_host, out)
