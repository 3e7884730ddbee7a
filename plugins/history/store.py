"""The history of audits: one database, SQLite by default, PostgreSQL when a URL is given.

Library API (used by ``scolint batch``, ``scolint historique`` and the portal)::

    from scolint.plugins.history.store import History, AuditRecord
    with History.open("postgresql://…" or "/data/historique.sqlite", secret=key) as h:
        before = h.previous("0750001A")            # the last recorded audit, or None
        rec = h.record(result, "0750001A")         # AuditResult -> one row set, one transaction
        h.trend("0750001A")                        # [(date, errors, warnings, infos, ready), …]

What is stored per audit: UAI, dates, the exports' formats and dates, counts per rule and
severity, readiness for the STSWEB remontée and each active finding's fingerprint as an
HMAC-SHA256 under the academy's secret. Never a name, an INE, a login or a message: see
docs/historique.md.

The same SQL runs on both databases (``?`` placeholders, rewritten to ``%s`` for
psycopg); identifiers are text (UUIDs) so that no auto-increment syntax is needed. Every
write is one transaction: a process killed in the middle leaves the history as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from scolint.engine.errors import UsageError
from scolint.engine.findings import NOT_EVALUATED, SEVERITIES

from .defaults import DB_NAME, DEFAULT_RETENTION_DAYS  # noqa: F401  (still names of this module)

#: Tag of the rules that must have no error before the STSWEB remontée.
REMONTEE_TAG = "remontee-sts"
SECRET_NAME = "cle-historique"
#: Where the secret is checked: an HMAC of this constant under the secret.
_SECRET_PROBE = b"scolint-historique:verification"

#: Versioned schema: migration ``n`` takes the database from version ``n - 1`` to ``n``.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, (
        "CREATE TABLE IF NOT EXISTS hist_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE audits (id TEXT PRIMARY KEY, uai TEXT NOT NULL, audited_at TEXT NOT NULL, "
        "recorded_at TEXT NOT NULL, school_year INTEGER, errors INTEGER NOT NULL, warnings INTEGER NOT NULL, "
        "infos INTEGER NOT NULL, not_evaluated INTEGER NOT NULL, ready_remontee INTEGER)",
        "CREATE TABLE audit_exports (audit_id TEXT NOT NULL, format_id TEXT NOT NULL, system_name TEXT, "
        "exported_at TEXT)",
        "CREATE TABLE audit_rules (audit_id TEXT NOT NULL, rule_id TEXT NOT NULL, severity TEXT NOT NULL, "
        "status TEXT NOT NULL, findings INTEGER NOT NULL, remontee INTEGER NOT NULL, PRIMARY KEY (audit_id, rule_id))",
        "CREATE TABLE audit_findings (audit_id TEXT NOT NULL, fingerprint TEXT NOT NULL, rule_id TEXT NOT NULL, "
        "severity TEXT NOT NULL, PRIMARY KEY (audit_id, fingerprint))",
    )),
    (2, (
        # Who recorded the audit (batch, portail) and the lookups by establishment.
        "ALTER TABLE audits ADD COLUMN source TEXT NOT NULL DEFAULT 'batch'",
        "CREATE INDEX audits_uai_date ON audits (uai, audited_at)",
        "CREATE INDEX audit_exports_audit ON audit_exports (audit_id)",
    )),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
#: Tables holding audit data, children first (deleting in this order keeps no orphan).
DATA_TABLES = ("audit_findings", "audit_rules", "audit_exports", "audits")


def now_iso() -> str:
    return utc_iso(dt.datetime.now(dt.timezone.utc))


def utc_iso(moment: dt.datetime | str) -> str:
    """A moment as stored: UTC, to the microsecond, always the same width (text order is
    time order). A naive moment or text is taken as local time."""
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment.strip())
        except ValueError:
            raise UsageError(f"historique : date d'audit invalide « {moment} » (attendu : AAAA-MM-JJTHH:MM:SS)") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def fingerprint_hmac(secret: bytes, fingerprint: str) -> str:
    """The keyed fingerprint stored for one finding (HMAC-SHA256, hex)."""
    return hmac.new(secret, fingerprint.encode("utf-8"), hashlib.sha256).hexdigest()


# -- what one audit leaves in the history ----------------------------------------------
@dataclass
class AuditRecord:
    """One audit as the history keeps it (small, picklable, no personal value)."""

    uai: str
    audited_at: str
    school_year: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    not_evaluated: int = 0
    ready_remontee: bool | None = None
    exports: list[tuple[str, str, str]] = field(default_factory=list)  # (format, system, exported_at)
    rules: list[tuple[str, str, str, int, bool]] = field(default_factory=list)  # (rule, severity, status, n, remontee)
    findings: dict[str, tuple[str, str]] = field(default_factory=dict)  # hmac -> (rule, severity)
    source: str = "batch"
    id: str = ""

    @classmethod
    def from_result(cls, result: Any, uai: str, secret: bytes, source: str = "batch",
                    audited_at: str | None = None) -> "AuditRecord":
        """Build the record of ``result`` (an :class:`~scolint.engine.findings.AuditResult`):
        accepted findings (exceptions, baseline) are not counted, as in the reports."""
        active = result.active()
        findings = {fingerprint_hmac(secret, f.fingerprint): (f.rule_id, f.severity) for f in active}
        per_rule: dict[str, int] = {}
        for f in active:
            per_rule[f.rule_id] = per_rule.get(f.rule_id, 0) + 1
        rules = [(o.rule_id, o.severity, o.status, per_rule.get(o.rule_id, 0), REMONTEE_TAG in (o.tags or []))
                 for o in result.outcomes]
        known = {r[0] for r in rules}
        for f in active:  # input problems (ENTREE-…) have findings but no rule outcome
            if f.rule_id not in known:
                known.add(f.rule_id)
                rules.append((f.rule_id, f.severity, "failed", per_rule[f.rule_id], REMONTEE_TAG in f.tags))
        return cls(uai=uai.upper(), audited_at=utc_iso(audited_at) if audited_at else now_iso(), school_year=result.year,
                   counts={s: sum(1 for f in active if f.severity == s) for s in SEVERITIES},
                   not_evaluated=sum(1 for o in result.outcomes if o.status == NOT_EVALUATED),
                   ready_remontee=readiness(result),
                   exports=sorted({(e.format_id, e.system or "", e.exported_at or "") for e in result.exports}),
                   rules=sorted(rules), findings=findings, source=source)


def readiness(result: Any) -> bool | None:
    """Ready for the remontée: no error among the rules tagged ``remontee-sts``; ``None``
    when none of them ran or one could not be evaluated (an export is missing)."""
    remontee = [o for o in result.outcomes if REMONTEE_TAG in (o.tags or [])]
    if any(f.severity == "error" and REMONTEE_TAG in f.tags for f in result.active()):
        return False
    if not remontee or any(o.status == NOT_EVALUATED for o in remontee):
        return None
    return True


@dataclass
class PastAudit:
    """One recorded audit, read back."""

    id: str
    uai: str
    audited_at: str
    recorded_at: str
    source: str
    school_year: int | None
    counts: dict[str, int]
    not_evaluated: int
    ready_remontee: bool | None
    exports: list[tuple[str, str, str]] = field(default_factory=list)
    findings: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class Changes:
    """What changed between two audits of one establishment (keyed fingerprints)."""

    since: str | None
    new: list[str]
    fixed: list[str]
    still: list[str]
    fixed_rules: dict[str, tuple[str, int]]  # rule -> (severity, count)

    def counts(self) -> dict[str, int]:
        return {"nouvelles": len(self.new), "corrigées": len(self.fixed), "toujours": len(self.still)}


def compare(previous: PastAudit | None, current: dict[str, tuple[str, str]]) -> Changes:
    """Compare the keyed fingerprints of an audit with those of ``previous``."""
    before = previous.findings if previous else {}
    fixed = sorted(set(before) - set(current))
    fixed_rules: dict[str, tuple[str, int]] = {}
    for fp in fixed:
        rule, sev = before[fp]
        fixed_rules[rule] = (sev, fixed_rules.get(rule, (sev, 0))[1] + 1)
    return Changes(since=previous.audited_at if previous else None,
                   new=sorted(set(current) - set(before)), fixed=fixed,
                   still=sorted(set(current) & set(before)), fixed_rules=fixed_rules)


# -- database access ------------------------------------------------------------------
class _Backend:
    """A DB-API connection and its dialect (placeholders, transactions)."""

    kind = ""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def sql(self, text: str) -> str:
        return text

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
        cur = self.conn.cursor()
        cur.execute(self.sql(sql), tuple(params))
        return cur

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.conn.cursor().executemany(self.sql(sql), rows)

    def close(self) -> None:
        self.conn.close()


class _SQLite(_Backend):
    kind = "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def tables(self) -> list[str]:
        return [r[0] for r in self.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]


class _Postgres(_Backend):
    kind = "postgresql"

    def sql(self, text: str) -> str:
        return text.replace("%", "%%").replace("?", "%s")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    def tables(self) -> list[str]:
        return [r[0] for r in self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "ORDER BY table_name")]


def _connect(target: str) -> _Backend:
    if target.startswith(("postgresql://", "postgres://")):
        try:
            import psycopg
        except ImportError:
            raise UsageError("historique PostgreSQL : le pilote psycopg n'est pas installé "
                             "(pip install 'scolint[historique-pg]')") from None
        try:
            conn = psycopg.connect(target, autocommit=True, connect_timeout=20)
        except psycopg.Error as exc:
            raise UsageError(f"historique : connexion PostgreSQL impossible ({_pg_reason(exc)})") from None
        return _Postgres(conn)
    import sqlite3
    path = Path(target[len("sqlite:///"):] if target.startswith("sqlite:///") else target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=60, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
    except (OSError, sqlite3.Error) as exc:
        raise UsageError(f"historique : base SQLite {path} inutilisable ({_sqlite_reason(exc)})") from None
    return _SQLite(conn)


def _sqlite_reason(exc: BaseException) -> str:
    """Why a SQLite base cannot be used, in French (sqlite3's text is English)."""
    import sqlite3
    if isinstance(exc, OSError):
        from scolint.engine.outputs import os_error_fr
        return os_error_fr(exc, path="")
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "base verrouillée par un autre programme"
    if "not a database" in text or "malformed" in text or (
            isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)):
        return "ce n'est pas une base SQLite, ou elle est endommagée"
    if "readonly" in text or "read-only" in text:
        return "base en lecture seule"
    return "base inaccessible (dossier absent, droits, disque plein ?)"


def _pg_reason(exc: Exception) -> str:
    """The first line of a driver message, without the connection string (no password)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text


def _db_errors() -> tuple[type[BaseException], ...]:
    import sqlite3
    errors: list[type[BaseException]] = [sqlite3.Error]
    try:
        import psycopg
        errors.append(psycopg.Error)
    except ImportError:
        pass
    return tuple(errors)


class History:
    """The history of audits of an academy (see the module docstring)."""

    #: Called inside a write transaction, just before it is committed (tests kill the
    #: process there to check that nothing is half-written).
    before_commit: Callable[[], None] | None = None

    def __init__(self, backend: _Backend, secret: bytes, retention_days: int = DEFAULT_RETENTION_DAYS,
                 where: str = "") -> None:
        self.db = backend
        self.secret = secret
        self.retention_days = retention_days
        self.where = where
        self.migrate()
        self._check_secret()

    # -- opening --------------------------------------------------------------------
    @classmethod
    def open(cls, url_or_path: str | os.PathLike[str], secret: bytes | str | None = None,
             retention_days: int = DEFAULT_RETENTION_DAYS, data_dir: str | os.PathLike[str] | None = None) -> "History":
        """Open (and create or migrate) the history at ``url_or_path``: a PostgreSQL URL
        (``postgresql://…``) or the path of a SQLite file.

        :param secret: the academy's key for the fingerprints; when ``None``, read from
            (or created in) ``data_dir/cle-historique`` (``data_dir`` defaults to the
            SQLite file's folder).
        """
        target = os.fspath(url_or_path)
        if secret is None:
            folder = Path(data_dir) if data_dir else (None if "://" in target else Path(target).parent)
            if folder is None:
                raise UsageError("historique PostgreSQL : donnez la clé de l'académie (--cle-historique, "
                                 "SCOLINT_HISTORIQUE_CLE) ou un dossier de données")
            secret = load_or_create_secret(folder)
        key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if len(key) < 16:
            raise UsageError("historique : la clé de l'académie doit compter au moins 16 caractères")
        where = "PostgreSQL" if "://" in target and not target.startswith("sqlite:") else target
        try:
            return cls(_connect(target), key, retention_days, where)
        except _db_errors() as exc:
            raise UsageError(f"historique {where} : base illisible ({_pg_reason(exc)})") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------
    def schema_version(self) -> int:
        if "hist_meta" not in self.db.tables():
            return 0
        row = self.db.execute("SELECT value FROM hist_meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def migrate(self) -> None:
        """Bring the schema to :data:`SCHEMA_VERSION`, each step in a transaction."""
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise UsageError(f"historique {self.where} : schéma en version {version}, plus récent que ce scolint "
                             f"(version {SCHEMA_VERSION}) : mettez scolint à jour")
        for target, statements in MIGRATIONS:
            if target <= version:
                continue
            with self.db.transaction():
                if self.schema_version() >= target:  # another process migrated meanwhile
                    continue
                for stmt in statements:
                    self.db.execute(stmt)
                self.db.execute("DELETE FROM hist_meta WHERE key = 'schema_version'")
                self.db.execute("INSERT INTO hist_meta (key, value) VALUES ('schema_version', ?)", (str(target),))

    def _check_secret(self) -> None:
        probe = hmac.new(self.secret, _SECRET_PROBE, hashlib.sha256).hexdigest()
        row = self.db.execute("SELECT value FROM hist_meta WHERE key = 'secret_check'").fetchone()
        if row is None:
            with self.db.transaction():
                if self.db.execute("SELECT value FROM hist_meta WHERE key = 'secret_check'").fetchone() is None:
                    self.db.execute("INSERT INTO hist_meta (key, value) VALUES ('secret_check', ?)", (probe,))
                    return
            row = self.db.execute("SELECT value FROM hist_meta WHERE key = 'secret_check'").fetchone()
        if not hmac.compare_digest(str(row[0]), probe):
            raise UsageError(f"historique {self.where} : la clé de l'académie n'est pas celle qui a servi à "
                             "enregistrer cet historique (les empreintes ne seraient plus comparables)")

    # -- writing --------------------------------------------------------------------
    def record(self, result: Any, uai: str, source: str = "batch", audited_at: str | None = None) -> AuditRecord:
        """Record one audit (an ``AuditResult`` or an :class:`AuditRecord`) in one transaction;
        prune what is older than the retention. Returns the record (with its ``id``)."""
        rec = result if isinstance(result, AuditRecord) else AuditRecord.from_result(
            result, uai, self.secret, source, audited_at)
        self.record_many([rec])
        return rec

    def record_many(self, records: list[AuditRecord], now: dt.datetime | None = None) -> int:
        """Record several audits in ONE transaction (all or nothing), then prune.
        Returns the number of audits pruned."""
        try:
            with self.db.transaction():
                for rec in records:
                    self._insert(rec)
                pruned = self._prune(now)
                if self.before_commit is not None:
                    self.before_commit()
        except _db_errors() as exc:
            raise UsageError(f"historique {self.where} : enregistrement impossible ({_pg_reason(exc)}) ; "
                             "l'historique est resté tel qu'il était") from None
        return pruned

    def _insert(self, rec: AuditRecord) -> None:
        rec.id = rec.id or uuid.uuid4().hex
        c = rec.counts
        self.db.execute(
            "INSERT INTO audits (id, uai, audited_at, recorded_at, source, school_year, errors, warnings, infos, "
            "not_evaluated, ready_remontee) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rec.id, rec.uai.upper(), utc_iso(rec.audited_at), now_iso(), rec.source, rec.school_year, c.get("error", 0),
             c.get("warning", 0), c.get("info", 0), rec.not_evaluated,
             None if rec.ready_remontee is None else int(rec.ready_remontee)))
        self.db.executemany("INSERT INTO audit_exports (audit_id, format_id, system_name, exported_at) "
                            "VALUES (?, ?, ?, ?)", [(rec.id, *e) for e in rec.exports])
        self.db.executemany("INSERT INTO audit_rules (audit_id, rule_id, severity, status, findings, remontee) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            [(rec.id, r, s, st, n, int(rem)) for r, s, st, n, rem in rec.rules])
        self.db.executemany("INSERT INTO audit_findings (audit_id, fingerprint, rule_id, severity) "
                            "VALUES (?, ?, ?, ?)", [(rec.id, fp, r, s) for fp, (r, s) in rec.findings.items()])

    def _delete_where(self, where: str, params: tuple[Any, ...]) -> int:
        ids = [r[0] for r in self.db.execute(f"SELECT id FROM audits WHERE {where}", params)]
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ", ".join("?" * len(chunk))
            for table in DATA_TABLES[:-1]:
                self.db.execute(f"DELETE FROM {table} WHERE audit_id IN ({marks})", chunk)
            self.db.execute(f"DELETE FROM audits WHERE id IN ({marks})", chunk)
        return len(ids)

    def _prune(self, now: dt.datetime | None = None) -> int:
        if self.retention_days <= 0:
            return 0
        limit = (now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(days=self.retention_days)
        return self._delete_where("audited_at < ?", (utc_iso(limit),))

    def prune(self, now: dt.datetime | None = None) -> int:
        """Delete the audits older than the retention; return how many."""
        with self.db.transaction():
            return self._prune(now)

    def delete_establishment(self, uai: str) -> int:
        """Delete every audit of ``uai`` (right to erasure); return how many."""
        with self.db.transaction():
            return self._delete_where("uai = ?", (uai.upper(),))

    # -- reading --------------------------------------------------------------------
    def _audits(self, where: str = "", params: tuple[Any, ...] = (), order: str = "uai, audited_at, id",
                limit: int | None = None) -> list[PastAudit]:
        sql = ("SELECT id, uai, audited_at, recorded_at, source, school_year, errors, warnings, infos, "
               f"not_evaluated, ready_remontee FROM audits {('WHERE ' + where) if where else ''} ORDER BY {order}")
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [PastAudit(r[0], r[1], r[2], r[3], r[4], r[5], {"error": r[6], "warning": r[7], "info": r[8]},
                          r[9], None if r[10] is None else bool(r[10]))
                for r in self.db.execute(sql, params)]

    def _with_details(self, audit: PastAudit) -> PastAudit:
        audit.exports = [tuple(r) for r in self.db.execute(  # type: ignore[misc]
            "SELECT format_id, system_name, exported_at FROM audit_exports WHERE audit_id = ? "
            "ORDER BY format_id, exported_at", (audit.id,))]
        audit.findings = {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT fingerprint, rule_id, severity FROM audit_findings WHERE audit_id = ?", (audit.id,))}
        return audit

    def audits(self, uai: str | None = None) -> list[PastAudit]:
        """Every recorded audit (of ``uai``), oldest first, without fingerprints."""
        return self._audits("uai = ?", (uai.upper(),)) if uai else self._audits()

    def previous(self, uai: str, before: str | None = None) -> PastAudit | None:
        """The last recorded audit of ``uai`` (strictly before ``before`` if given), with
        its exports and keyed fingerprints; ``None`` if it has none."""
        where, params = "uai = ?", (uai.upper(),)
        if before:
            where, params = "uai = ? AND audited_at < ?", (uai.upper(), before)
        found = self._audits(where, params, order="audited_at DESC, recorded_at DESC", limit=1)
        return self._with_details(found[0]) if found else None

    def last_two(self, uai: str) -> tuple[PastAudit | None, PastAudit | None]:
        """The last audit of ``uai`` and the one before, with their fingerprints."""
        found = self._audits("uai = ?", (uai.upper(),), order="audited_at DESC, recorded_at DESC", limit=2)
        found = [self._with_details(a) for a in found]
        return (found[0] if found else None, found[1] if len(found) > 1 else None)

    def trend(self, uai: str) -> list[tuple[str, int, int, int, bool | None]]:
        """``(date, errors, warnings, infos, ready)`` of each audit of ``uai``, oldest first."""
        return [(a.audited_at, a.counts["error"], a.counts["warning"], a.counts["info"], a.ready_remontee)
                for a in self._audits("uai = ?", (uai.upper(),), order="audited_at, recorded_at")]

    def establishments(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT uai FROM audits ORDER BY uai")]

    def rule_counts(self, audit_id: str) -> list[tuple[str, str, str, int, bool]]:
        return [(r[0], r[1], r[2], r[3], bool(r[4])) for r in self.db.execute(
            "SELECT rule_id, severity, status, findings, remontee FROM audit_rules WHERE audit_id = ? "
            "ORDER BY rule_id", (audit_id,))]

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table (for checks and for a full export)."""
        return {t: [tuple(r) for r in self.db.execute(f"SELECT * FROM {t}")] for t in self.db.tables()}


# -- the academy's secret -------------------------------------------------------------
def load_or_create_secret(folder: Path) -> bytes:
    """The key in ``folder/cle-historique``, created (random, mode 0600) when absent."""
    path = folder / SECRET_NAME
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # created meanwhile by another process
        return _read_secret(path)
    except OSError as exc:
        raise UsageError(f"historique : impossible de créer la clé {path} ({exc.strerror})") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    try:
        text = path.read_text("utf-8").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        from scolint.engine.outputs import read_error_fr
        raise UsageError(f"historique : clé {path} illisible ({read_error_fr(exc)})") from None
    if len(text) < 16:
        raise UsageError(f"historique : la clé {path} est trop courte (au moins 16 caractères)")
    return text.encode("utf-8")
