"""The exit-code policy of an audit, in one place: ``--fail-on``, the project file's
exceptions, the baseline of accepted findings and ``--strict``.

:func:`decide` changes the result (accepted findings are marked) and returns a
:class:`Verdict`: the exit code and the French notes the command line prints on stderr.
It prints nothing itself.

- 2: an input could not be read at all (``AuditResult.fatal_inputs``), or no export was read;
- 1: an active finding at or above ``fail_on``, or, with ``strict``, an accepted finding
  (exception or baseline) that has disappeared;
- 0: otherwise.

An exception or a baseline entry that can match nothing whatever the data (unknown rule,
record absent from the audited exports) is told at every run (« sans objet »), apart from
one that became obsolete (told with ``strict``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .baseline import Baseline, apply_baseline
from .config import AcceptedFinding, apply_exceptions
from .findings import AuditResult


def _close(name: str, options: list[str]) -> str:
    import difflib
    close = difflib.get_close_matches(name, options, n=1)
    return f" (vouliez-vous dire « {close[0]} » ?)" if close else ""


def pointless_reason(result: AuditResult, rule: str, kind: str | None, entity: str) -> str | None:
    """Why an exception or baseline entry can match nothing whatever the data: « règle
    inconnue » (no loaded rule has that id) or « enregistrement introuvable » (the audited
    exports hold no such record); None when it may match (then it is merely obsolete)."""
    known = result.known_rules
    if not known or rule.startswith("ENTREE-"):
        return None
    if rule not in known:
        return f"règle inconnue « {rule} »{_close(rule, list(known))}"
    selected = {o.rule_id for o in result.outcomes}
    if rule in selected and result.has_entity is not None and kind != "file" and not result.has_entity(kind, entity):
        what = f"{kind} « {entity} »" if kind else f"« {entity} »"
        return f"enregistrement introuvable {what} dans les exports audités"
    return None


@dataclass
class Verdict:
    """The exit code of an audit and what to tell the user about accepted findings."""

    code: int
    notes: list[str] = field(default_factory=list)


def decide(result: AuditResult, fail_on: str = "error", exceptions: list[AcceptedFinding] | None = None,
           baseline: Baseline | None = None, baseline_name: str = "", strict: bool = False,
           today: dt.date | None = None) -> Verdict:
    """Apply ``exceptions`` and ``baseline`` to ``result`` and decide the exit code."""
    notes: list[str] = []
    gone: list[str] = []
    exc_report = apply_exceptions(result, exceptions or [], today)
    for exc in exc_report.expired:
        notes.append(f"exception expirée, l'anomalie compte à nouveau : {exc.describe()} [{exc.where}]")
    for exc in exc_report.unused:
        reason = pointless_reason(result, exc.rule, exc.kind, exc.entity)
        if reason:  # told at every run, not only with --strict
            notes.append(f"exception sans objet : {reason} : {exc.describe()} [{exc.where}]")
            gone.append(f"exception sans objet ({reason}) : {exc.describe()} [{exc.where}]")
        else:
            gone.append(f"exception devenue obsolète (plus d'anomalie correspondante) : {exc.describe()} "
                        f"[{exc.where}]")
    if baseline is not None:
        notes.extend(getattr(baseline, "notes", []))  # an old baseline format, said once
        report = apply_baseline(result, baseline)
        if report.accepted:
            notes.append(f"{report.accepted} anomalie(s) déjà présente(s) dans la ligne de base "
                         f"{baseline_name} (non comptées).")
        for e in report.gone:
            ent = e.get("entity") or {}
            reason = pointless_reason(result, str(e.get("rule")), ent.get("kind"), str(ent.get("id")))
            if reason:
                notes.append(f"entrée de ligne de base sans objet : {reason} : {e.get('rule')} sur "
                             f"{ent.get('kind')} « {ent.get('id')} » [{baseline_name}]")
            gone.append(f"anomalie de la ligne de base disparue : {e.get('rule')} sur "
                        f"{ent.get('kind')} « {ent.get('id')} »")
    if exc_report.accepted:
        notes.append(f"{exc_report.accepted} anomalie(s) acceptée(s) par une exception du fichier de projet.")
    code = result.exit_code(fail_on)
    if gone and strict:
        notes.extend(f"--strict : {line}" for line in gone)
        notes.append("--strict : mettez à jour la ligne de base (scolint baseline) ou retirez les "
                     "exceptions devenues inutiles.")
        code = max(code, 1)
    return Verdict(code, notes)
