"""Shared fixtures: a fresh plugin host per test (built-ins only), samples folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from scolint.engine.evaluate import make_environment
from scolint.engine.manager import get_plugin_host

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples"
SCHEMAS = ROOT.parent / "shared" / "schemas"


@pytest.fixture
def host():
    """A plugin host with the built-in plugins only (no third-party entry points)."""
    return get_plugin_host(load_entrypoints=False)


@pytest.fixture
def env(host):
    return make_environment(host.registries)


@pytest.fixture
def samples() -> Path:
    """The real export samples of ../shared/samples (skip when absent)."""
    if not SAMPLES.is_dir():
        pytest.skip("../shared/samples/ absent : tests de conformité aux échantillons réels ignorés")
    return SAMPLES


@pytest.fixture(scope="session", autouse=True)
def _history_data_folder(tmp_path_factory):
    """``scolint batch`` records its audits in the data folder: never the user's home in
    tests (a test that needs its own history gives --donnees or --historique)."""
    import os
    folder = tmp_path_factory.mktemp("donnees-scolint")
    old = os.environ.get("SCOLINT_DONNEES")
    os.environ["SCOLINT_DONNEES"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("SCOLINT_DONNEES", None)
    else:
        os.environ["SCOLINT_DONNEES"] = old


@pytest.fixture(scope="session")
def schemas() -> Path:
    """The official CI-format schemas of ../shared/schemas, read in place (skip when absent):
    junit-10.xsd (Jenkins), sarif-schema-2.1.0.json (OASIS), gitlab-codequality.json (GitLab)."""
    if not SCHEMAS.is_dir():
        pytest.skip("../shared/schemas/ absent : validation par les schémas officiels ignorée")
    return SCHEMAS
