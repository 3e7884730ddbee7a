"""The history's tests run on SQLite and on a real PostgreSQL server.

The PostgreSQL server comes from ``SCOLINT_TEST_PG_URL`` (``.ci/run`` installs and starts
one, creates a role and a database and exports it). Without that variable the PostgreSQL
cases are skipped, except in CI (``CI=true``), where a missing server fails the tests.
Each PostgreSQL case gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

PG_ENV = "SCOLINT_TEST_PG_URL"


def _with_schema(url: str, schema: str) -> str:
    option = quote(f"-csearch_path={schema}", safe="")
    return f"{url}{'&' if '?' in url else '?'}options={option}"


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request, tmp_path: Path):
    """Where a test's history lives: a SQLite file in tmp_path, or a fresh schema of the
    PostgreSQL test server."""
    if request.param == "sqlite":
        yield str(tmp_path / "donnees" / "historique.sqlite")
        return
    base = os.environ.get(PG_ENV)
    if not base:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{PG_ENV} absent en CI : .ci/run doit démarrer PostgreSQL et l'exporter")
        pytest.skip(f"{PG_ENV} absent : pas de serveur PostgreSQL de test (.ci/run en démarre un)")
    import psycopg
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield _with_schema(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

