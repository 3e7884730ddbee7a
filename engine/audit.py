"""The pipeline: discover, detect, load (validate inside loaders), link, evaluate.

``Auditor`` builds the plugin host, loads the rules once and audits any number of
input sets (the academy batch reuses one Auditor per worker).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from . import xmlsafe
from .discover import Discovery, read_head
from .errors import InputError, internal_error
from .evaluate import Evaluator, make_environment
from .findings import AuditResult, Finding, fingerprint
from .manager import PluginHost, get_plugin_host
from .model import Graph, Provenance
from .rules import Rule, RuleSchema, check_expressions, check_rule, load_rules
from .selection import Selection
from .uai import uai_problem


def check_selection(sel: Selection, rules: list[Rule]) -> None:
    """``UsageError`` naming every id or tag of ``--select``, ``--ignore`` and ``--tags``
    that no rule has: a misspelt id must not turn into a silent green light."""
    from .errors import UsageError
    ids = {r.id for r in rules} | set(_PROBLEM_TITLES)
    tags = {t for r in rules for t in r.tags} | {"entree"}
    unknown_ids = [i for i in sel.ids if i not in ids]
    unknown_tags = [t for t in sel.tags if t not in tags]
    for name in [*sel.exclude_ids, *sel.exclude_tags]:  # --ignore takes ids and tags alike
        if name not in ids and name not in tags:
            (unknown_ids if name.upper() == name and "-" in name else unknown_tags).append(name)
    if unknown_ids or unknown_tags:
        import difflib
        parts = []
        for kind, names, pool in (("règle(s) inconnue(s)", unknown_ids, ids), ("étiquette(s) inconnue(s)", unknown_tags, tags)):
            if names:
                hints = [f"{n} (voulez-vous dire {close[0]} ?)" if (close := difflib.get_close_matches(n, pool, 1)) else n
                         for n in dict.fromkeys(names)]
                parts.append(f"{kind} : {', '.join(hints)}")
        raise UsageError(" ; ".join(parts) + " (voir « scolint rules list »)")


class Auditor:
    """Loads plugins and rules once; audits input sets."""

    def __init__(
        self,
        rule_paths: Iterable[Path] = (),
        selection: Selection | None = None,
        host: PluginHost | None = None,
        use_default_rules: bool = True,
        severity_overrides: dict[str, str] | None = None,
        options: dict[str, Any] | None = None,
        rule_errors: str = "error",
        rule_time_limit: float | None = None,
    ) -> None:
        self.host = host or get_plugin_host()
        #: severity of a rule error (a record a rule cannot evaluate, a rule that fails)
        self.rule_errors = rule_errors
        #: records ``(kind or None, id)`` the caller will ask about after the audit (those
        #: named by exceptions and baseline entries): the result says which ones the audited
        #: exports hold (``AuditResult.has_entity``) without keeping the graph
        self.lookups: list[tuple[str | None, str]] = []
        self.registries = self.host.registries
        self.env = make_environment(self.registries)
        paths = list(self.host.rule_paths()) if use_default_rules else []
        paths.extend(Path(p) for p in rule_paths)
        sel = selection or Selection()
        # Without a selection every rule file is checked in full. With one, every file is
        # read (YAML, id, tags, supersedes: what the selection and the replacements need),
        # but only the rules that run are checked against the schema and have their
        # expressions and message compiled (docs/decisions.md, « Règles écartées par une
        # sélection : lues, ni vérifiées par le schéma ni compilées »).
        self.all_rules = load_rules(paths, self.registries, self.env, expressions=False,
                                    check_all=sel.selects_all())
        check_selection(sel, self.all_rules)
        chosen = {r.id for r in self.all_rules if sel.accepts(r)}
        # Rules not selected that supersede a selected one: evaluated silently, so that a
        # selection reports what the full audit reports for its rules (a fact said once).
        running = chosen | {r.id for r in self.all_rules if chosen & set(r.supersedes)}
        self._severity_overrides = severity_overrides or {}
        schema = RuleSchema(self.registries)
        # in file order: the first broken rule is reported
        self.all_rules = [check_rule(r, self.registries, schema) if r.id in running else r for r in self.all_rules]
        for rule in self.all_rules:
            if rule.checked:
                rule.severity = _severity_for(rule, self._severity_overrides)
        self.rules = [r for r in self.all_rules if r.id in chosen]
        self.helpers = [r for r in self.all_rules if r.id in running and r.id not in chosen]
        for rule in self.all_rules:
            if rule.id in running:
                check_expressions(rule, self.registries, self.env)
        self.options = options or {}
        self.evaluator = Evaluator(self.rules, self.registries, self.env, rule_errors, rule_time_limit,
                                   helpers=self.helpers)
        self._read: tuple[set[str], set[str]] | None = None  # kinds_read(self.rules), computed once
        #: a :class:`~scolint.engine.readahead.ReadAhead` given by the caller (the ``check``
        #: command), whose thread parses and validates the next XML file; None: all here
        self.read_ahead: Any = None

    def checked(self, rule: Rule) -> Rule:
        """``rule`` (one of :attr:`all_rules`) checked in full and compiled, with its
        severity from the project: a rule the selection left out was only read
        (``Rule.checked`` False). :class:`~scolint.engine.errors.RuleFileError` when it is
        broken."""
        if not rule.checked:
            full = check_rule(rule, self.registries)
            full.severity = _severity_for(full, self._severity_overrides)
            self.all_rules = [full if r is rule else r for r in self.all_rules]
            rule = full
        check_expressions(rule, self.registries, self.env)
        return rule

    def kinds_for(self, format_ids: Iterable[str]) -> set[str] | None:
        """The entity kinds the selected rules need from an input set of ``format_ids``
        (engine/needs.py); None (every kind) when every rule is selected."""
        if len(self.rules) == len(self.all_rules):
            return None
        from .needs import kinds_read, kinds_to_load
        if self._read is None:
            self._read = kinds_read(self.rules + self.helpers, self.registries, self.env)
        kinds, names = self._read
        return kinds_to_load(kinds, names, format_ids, self.registries)

    # -- pipeline -------------------------------------------------------------------
    def load(self, inputs: Iterable[str | Path], for_rules: bool = False) -> tuple[Graph, list[str]]:
        """Discover, detect and load every input file into a new graph.

        ``for_rules``: loaders may skip the entity kinds the selected rules do not need
        (``options["kinds"]``); the graph then serves these rules only (:meth:`audit`).
        """
        return self._load(inputs, for_rules)

    def _load(self, inputs: Iterable[str | Path], for_rules: bool = False) -> tuple[Graph, list[str]]:
        graph = Graph()
        shown: list[str] = []
        with Discovery() as disc:
            disc.add(inputs)
            for err in disc.errors:
                graph.problem("ENTREE-ARCHIVE", err.detail, err.path, err.line, fatal=True,
                              fix="Téléchargez à nouveau l'export ou fournissez les fichiers XML/CSV directement.")
            detected = [self._detect(item.path) for item in disc.files]
            skipped = self._one_export_a_kind(graph, disc.files, detected)
            kinds = self.kinds_for(fmt for _h, fmt in detected if fmt) if for_rules else None
            options = self.options if kinds is None else dict(self.options, kinds=frozenset(kinds))
            ahead = self.read_ahead
            if ahead is not None:
                ahead.start([(str(item.path), xsd) for i, (item, (_h, fmt)) in enumerate(zip(disc.files, detected))
                             if i not in skipped and fmt in self.registries.formats
                             and (xsd := self.registries.formats[fmt].xsd)])
            with ahead.lookup() if ahead is not None else contextlib.nullcontext():
                for i, (item, (head, fmt)) in enumerate(zip(disc.files, detected)):
                    shown.append(item.display)
                    if i not in skipped:  # not read: another export of its kind is read instead
                        self._load_one(graph, item.path, item.display, item.name, head, fmt, options)
                        if ahead is not None:  # its thread frees the tree it built
                            ahead.release()
            self.host.link(graph)
        self._add_export_entities(graph)
        return graph, shown

    def _one_export_a_kind(self, graph: Graph, files: list[Any],
                           detected: list[tuple[bytes | OSError, str | None]]) -> set[int]:
        """Several exports of one kind for one establishment: read one, say which and why.

        The plugin of each format stamps its files (hook ``scolint_export_stamp``: UAI,
        date the file carries, richness of its shape). In a group of one format and one
        UAI, the most recent file is read; at equal dates (or without dates) the richest
        shape (« avec adresses » before « sans adresses »); without any date, the first file
        in the listing order. The others are not read: their records would be merged with
        the chosen one's silently. Returns the indexes of the files not to read.
        """
        groups: dict[tuple[str, str | None], list[tuple[int, dict[str, Any]]]] = {}
        for i, (item, (head, fmt)) in enumerate(zip(files, detected)):
            if fmt is None or not isinstance(head, bytes):
                continue
            try:
                stamp = self.host.export_stamp(item.path, fmt, head)
            except Exception:  # a stamping bug must not stop the audit: the file is read
                stamp = None
            if stamp is not None:
                uai = (stamp.get("uai") or "").upper() or None
                groups.setdefault((fmt, uai), []).append((i, stamp))
        skipped: set[int] = set()
        for (fmt, uai), members in groups.items():
            if len(members) < 2:
                continue
            order = {i: n for n, (i, _s) in enumerate(members)}
            best_i, best = max(members, key=lambda m: (m[1].get("date") or "", m[1].get("year") or 0,
                                                       m[1].get("rank", 0), m[1].get("time") or "", -order[m[0]]))
            skipped.update(i for i, _s in members if i != best_i)
            graph.problem("ENTREE-DOUBLON", _duplicate_message(fmt, uai, files, members, best_i, best, self.registries),
                          files[best_i].display, None,
                          severity="info" if _two_shapes(members) else "warning",
                          fix="Ne gardez dans le dossier audité que le dernier export de chaque type (retirez les "
                              "anciens) ; refaites l'export si aucun n'est récent.")
        return skipped

    def _detect(self, path: Path) -> tuple[bytes | OSError, str | None]:
        """``(head or read error, format id or None)`` of one file (no problem recorded)."""
        try:
            head = read_head(path)
        except OSError as exc:
            return exc, None
        if not head.strip() and _blank(path):
            return head, None
        return head, self.host.detect_format(path=path, head=head)

    def _load_one(self, graph: Graph, path: Path, display: str, name: str, head: bytes | OSError,
                  fmt: str | None, options: dict[str, Any]) -> None:
        if isinstance(head, OSError):
            graph.problem("ENTREE-LECTURE", f"fichier illisible : {head.strerror}", display, fatal=True)
            return
        if not head.strip() and _blank(path):
            graph.problem("ENTREE-FICHIER", "fichier vide : export interrompu ou mal enregistré ?", display, fatal=True,
                          fix="Refaites l'export depuis le logiciel d'origine (ou retirez ce fichier vide du dossier).")
            return
        packed = _packed_kind(head) if fmt is None else None
        if packed:
            graph.problem("ENTREE-INCONNU", f"fichier {packed} : non lu (scolint ne lit que les exports tels que "
                          "les logiciels les produisent)", display, severity="warning",
                          fix="Décompressez ou déchiffrez le fichier, puis donnez l'export lui-même à scolint.")
            return
        if fmt is None:
            graph.problem("ENTREE-INCONNU", "fichier non reconnu (ni export SIECLE, STS, EDT, PRONOTE, ENT ni AAF) : ignoré",
                          display, severity="info",
                          fix="Vérifiez qu'il s'agit bien d'un export attendu ; sinon retirez-le du dossier.")
            return
        before = len(graph.exports)
        try:
            with xmlsafe.notes() as notes:
                opts = dict(options, display=display)
                # a family may hand a file over to the family of another format (a CSV whose
                # user profile names a PRONOTE layout, read first as a generic CSV)
                opts["load_as"] = lambda other: self.host.load(path, other, graph, dict(options, display=display))
                handled = self.host.load(path, fmt, graph, opts)
            for _path, line, note in notes:
                graph.problem("ENTREE-ENCODAGE", note, display, line, severity="warning",
                              fix="Refaites l'export depuis le logiciel d'origine et donnez le fichier tel quel, "
                                  "sans l'ouvrir ni l'enregistrer dans un éditeur ou un tableur.")
        except InputError as exc:
            graph.problem("ENTREE-FICHIER", exc.detail, display, exc.line, fatal=True,
                          fix="Refaites l'export depuis le logiciel d'origine, sans l'ouvrir ni l'enregistrer dans un tableur.")
            handled = True
        except Exception as exc:  # a loader bug must not end the audit of other files
            internal_error(exc)  # its text may quote the file: shown only with SCOLINT_DEBUG=1
            graph.problem("ENTREE-CHARGEUR", f"erreur interne du chargeur « {fmt} » : la lecture de ce fichier s'est "
                          "arrêtée (les autres fichiers sont audités)", display, fatal=True,
                          fix="Signalez-le à l'équipe scolint sans transmettre le fichier s'il contient des données "
                              "personnelles : relancez la commande avec SCOLINT_DEBUG=1 pour obtenir le détail technique "
                              "à lui joindre.")
            handled = True
        if not handled:
            graph.problem("ENTREE-INCONNU", f"aucun chargeur pour le format « {fmt} »", display, severity="warning")
        for export in graph.exports[before:]:
            export.meta.setdefault("display", display)
            export.meta.setdefault("name", name or display)

    def _add_export_entities(self, graph: Graph) -> None:
        for i, exp in enumerate(graph.exports):
            display = exp.meta.get("display", exp.path)
            info = self.registries.formats.get(exp.format_id)
            graph.add("export", exp.meta.get("name", display), source="scolint", prov=Provenance(display, None, exp.system),
                      label=f"{Path(display.split('!')[-1]).name} ({info.label if info else exp.format_id})",
                      format=exp.format_id, format_id=exp.format_id, system=exp.system, uai=exp.uai, year=exp.year,
                      exported_at=exp.exported_at, file=display, readable=exp.readable)

    def audit_vars(self, graph: Graph) -> dict[str, Any]:
        """The ``audit`` variable of expressions: the set's main UAI and year, formats, today."""
        uais = Counter(e.uai.upper() for e in graph.exports if e.uai)
        # An invalid UAI (X-UAI-002) is not the establishment's: the most frequent valid one is.
        known = Counter({u: n for u, n in uais.items() if uai_problem(u) is None}) or uais
        years = Counter(e.year for e in graph.exports if e.year)
        return {
            "uai": known.most_common(1)[0][0] if known else None,
            "uais": sorted(uais),
            "year": years.most_common(1)[0][0] if years else None,
            "years": sorted(years),
            "formats": sorted(graph.formats()),
            "today": dt.date.today(),
        }

    def audit(self, inputs: Iterable[str | Path]) -> AuditResult:
        """Run the whole pipeline on ``inputs`` and return the result."""
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        inputs = list(inputs)
        graph, shown = self.load(inputs, for_rules=True)
        return self.evaluate(graph, shown, started)

    def evaluate(self, graph: Graph, shown: list[str], started: str) -> AuditResult:
        """Evaluate the rules over a loaded graph."""
        audit = self.audit_vars(graph)
        findings, outcomes, ctx = self.evaluator.run(graph, audit)
        problem_findings = [_problem_finding(p) for p in graph.problems]
        establishment = None
        for exp in graph.exports:
            if exp.meta.get("establishment"):
                establishment = exp.meta["establishment"]
                break
        return AuditResult(
            findings=problem_findings + findings,
            outcomes=outcomes,
            exports=list(graph.exports),
            inputs=shown,
            started_at=started,
            uai=audit["uai"],
            year=audit["year"],
            establishment=establishment,
            fatal_inputs=sum(1 for p in graph.problems if p.fatal),
            formats={k: v for k, v in self.registries.formats.items()},
            meta={"evaluations": ctx.counter[0], "entities": len(graph)},
            flows=self.registries.families.flows(),
            rule_error_severity=self.rule_errors,
            known_rules={r.id: list(r.tags) for r in self.all_rules},
            has_entity=_entity_lookup(graph, self.lookups),
        )


def _show_date(iso: str | None) -> str:
    """``2024-09-02T10:12:03`` -> ``02/09/2024 10:12:03`` (the way the exports write it)."""
    if not iso:
        return "sans date"
    day = f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}"
    return f"{day} {iso[11:19]}".strip() if len(iso) > 10 else day


def _two_shapes(members: list[tuple[int, dict[str, Any]]]) -> bool:
    """One export in two shapes: one date (known), different ranks (avec / sans adresses)."""
    dates = {s.get("date") for _i, s in members}
    ranks = {s.get("rank", 0) for _i, s in members}
    return len(members) == 2 and len(dates) == 1 and None not in dates and len(ranks) == 2


def _duplicate_message(fmt: str, uai: str | None, files: list[Any], members: list[tuple[int, dict[str, Any]]],
                       best_i: int, best: dict[str, Any], registries: Any) -> str:
    info = registries.formats.get(fmt)
    label = info.label if info else fmt
    names = ", ".join(f"{Path(files[i].display.split('!')[-1]).name} ({_show_date(s.get('date'))})"
                      for i, s in members)
    chosen = Path(files[best_i].display.split("!")[-1]).name
    undated = [Path(files[i].display.split("!")[-1]).name for i, s in members if not s.get("date")]
    where = f" de l'établissement {uai}" if uai else ""
    if _two_shapes(members):
        why = ("les deux sont le même export sous deux formes (même date) : la forme la plus complète est lue, "
               "l'autre est ignorée")
    elif not best.get("date") and len({s.get("year") for _i, s in members}) > 1:
        why = (f"aucune date d'export dans ces fichiers ; celui de l'année scolaire la plus récente "
               f"({best['year']}-{best['year'] + 1}) est lu")
    elif not best.get("date"):
        why = ("aucune date dans ces fichiers (ni DATE_EXPORT ni HORODATAGE, ou un format qui n'en porte pas) : "
               "impossible de savoir lequel est le plus récent ; le premier dans l'ordre des fichiers est lu, "
               "vérifiez que c'est le bon")
    else:
        why = f"c'est le plus récent (daté du {_show_date(best.get('date'))})"
        if undated:
            why += f" ; aucune date dans {', '.join(undated)}"
    return f"{len(members)} exports « {label} »{where} dans l'audit : {names}. Seul {chosen} est lu : {why}."
def _entity_lookup(graph: Graph, lookups: list[tuple[str | None, str]]) -> Any:
    """``has(kind or None, id)``: whether ``graph`` holds that record, for the records of
    ``lookups`` (True, « maybe », for any other: the graph itself is not kept)."""
    kinds = graph.kinds()
    asked = {(k, str(i)) for k, i in lookups}
    present = {(k, i) for k, i in asked if any(graph.get(x, i) is not None for x in ([k] if k else kinds))}

    def has(kind: str | None, ident: str) -> bool:
        key = (kind, str(ident))
        return key in present or key not in asked
    return has


_MAGIC = ((b"\x1f\x8b", "compressé (gzip)"), (b"BZh", "compressé (bzip2)"), (b"\xfd7zXZ\x00", "compressé (xz)"),
          (b"7z\xbc\xaf\x27\x1c", "compressé (7-Zip)"), (b"Rar!\x1a\x07", "compressé (RAR)"),
          (b"\x28\xb5\x2f\xfd", "compressé (zstd)"), (b"-----BEGIN PGP", "chiffré (PGP)"),
          (b"\x85\x01\x0c", "chiffré (PGP)"), (b"Salted__", "chiffré (OpenSSL)"), (b"%PDF", "PDF"),
          (b"\xd0\xcf\x11\xe0", "Office ancien format (ou chiffré)"))


def _packed_kind(head: bytes) -> str | None:
    """``"compressé (gzip)"``… when ``head`` starts like a compressed or encrypted file."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def _blank(path: Path) -> bool:
    """True when ``path`` holds only white space (or nothing)."""
    try:
        with open(path, "rb") as fh:
            return not any(chunk.strip() for chunk in iter(lambda: fh.read(1 << 16), b""))
    except OSError:
        return False


def _severity_for(rule: Rule, overrides: dict[str, str]) -> str:
    """The overridden severity of ``rule``: by id first, then by its first listed tag."""
    if rule.id in overrides:
        return overrides[rule.id]
    for tag in rule.tags:
        if tag in overrides:
            return overrides[tag]
    return rule.severity


def _problem_finding(p: Any) -> Finding:
    name = Path(p.file.split("!")[-1]).name
    return Finding(
        rule_id=p.code, severity=p.severity, title=_PROBLEM_TITLES.get(p.code, "Fichier d'entrée"),
        message=p.message, fix=p.fix, entity_kind="file", entity_id=p.file, entity_source="scolint",
        entity_label=name, provenance=[Provenance(p.file, p.line, "fichier")], flow="GENERAL",
        tags=["entree"], fingerprint=problem_fingerprint(p.code, p.file, p.message),
    )


_LINE_NUMBERS = re.compile(r"\b(lignes?|line)\s+[0-9][0-9, et]*", re.I)


def problem_fingerprint(code: str, file: str, message: str) -> str:
    """The fingerprint of a reading problem: its code, its file and what it says (line
    numbers left out), so that two schema errors of one file are two problems and a
    baseline that accepts one does not hide the next (docs/rapports.md, « Lignes de base »)."""
    return fingerprint(code, "file", "scolint", [file, _LINE_NUMBERS.sub("", message)])


_PROBLEM_TITLES = {
    "ENTREE-ARCHIVE": "Archive refusée",
    "ENTREE-LECTURE": "Fichier illisible",
    "ENTREE-INCONNU": "Fichier non reconnu",
    "ENTREE-FICHIER": "Fichier d'export illisible",
    "ENTREE-CHARGEUR": "Erreur interne de lecture",
    "ENTREE-SCHEMA": "Export non conforme à son schéma",
    "ENTREE-LIEN": "Rapprochement ambigu ou impossible",
    "ENTREE-CHIFFRE": "Export chiffré illisible",
    "ENTREE-ENCODAGE": "Encodage déclaré inexact",
    "ENTREE-PARTIEL": "Export partiel (section absente)",
    "ENTREE-DOUBLON": "Plusieurs exports du même type",
}
