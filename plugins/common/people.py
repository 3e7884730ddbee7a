"""Linking ENT accounts, PRONOTE identifiers and AAF records to SIECLE/STS people.

Order of the keys (issue 4): jointure keys first (ELEVE_ID, INE, STS id, AAF jointure),
then folded name + birth date, then name + child for guardians (and, lacking a birth
date, name + class for students -- or the one pupil of that name who has left and has no
class any more --, name alone for staff). A step that finds two or more
people stops the search: the record keeps ``person_candidates`` / ``persons`` and the
rules report the ambiguity. Every join is a dictionary look-up (no quadratic scan).
"""

from __future__ import annotations

from typing import Any, Iterable

from scolint.engine.model import Entity, Graph
from scolint.plugins.common.csvread import fold

Found = tuple[Entity | None, list[Entity], str | None]


def name_key(last: Any, first: Any) -> str:
    """Folded ``nom prénom``."""
    return f"{fold(last)}|{fold(first)}"


def _folded_part(value: Any) -> str:
    """``fold(f"{value}")``: with the other part of a name, ``fold(f"{a} {b}")`` is the
    non-empty of ``fold(a)`` and ``fold(b)`` joined by a space (folding works character by
    character and makes every run of separators one space, stripped at both ends); each
    part is then a look-up in the memo of folded texts, the pair is not folded again."""
    return fold(value if type(value) is str else f"{value}")


def _one(cands: Iterable[Entity], how: str) -> Found | None:
    uniq = list(dict.fromkeys(cands))
    if len(uniq) == 1:
        return uniq[0], uniq, how
    if len(uniq) > 1:
        return None, uniq, how
    return None


def people_index(graph: Graph) -> "People":
    """The index of SIECLE/STS people of ``graph``, built once and shared by the link steps
    of the PRONOTE, AAF and ENT families (:meth:`Graph.shared`)."""
    return graph.shared("people", People)  # type: ignore[no-any-return]


class People:
    """Indexes of SIECLE students and guardians and STS teachers of one graph."""

    def __init__(self, graph: Graph) -> None:
        # fields read from ``entity.data`` directly in these loops (Entity.get is a call more)
        self.students = {s.id: s for s in graph.all("student", "siecle")}
        self.by_ine: dict[str, list[Entity]] = {}
        self.student_names: dict[str, list[Entity]] = {}
        for s in self.students.values():
            data = s.data
            if data.get("ine"):
                self.by_ine.setdefault(str(data["ine"]).upper(), []).append(s)
            self.student_names.setdefault(name_key(data.get("last_name"), data.get("first_name")), []).append(s)
        self.guardian_names: dict[str, list[Entity]] = {}
        for g in graph.all("guardian", "siecle"):
            data = g.data
            for last in dict.fromkeys((data.get("last_name"), data.get("usage_name"))):
                if last:  # NOM_DE_FAMILLE, and NOM_USAGE (the AAF's sn, an ENT's display name)
                    self.guardian_names.setdefault(name_key(last, data.get("first_name")), []).append(g)
        self._kid_ids: dict[Entity, set[str]] = {}  # guardian -> its children's ids
        self._kid_names: dict[Entity, set[str]] = {}  # guardian -> its children's folded names
        self.teachers = {t.id: t for t in graph.all("teacher", "sts")}
        self.teacher_names: dict[str, list[Entity]] = {}
        for t in self.teachers.values():
            data = t.data
            for last in {data.get("last_name"), data.get("birth_name")} - {None}:
                self.teacher_names.setdefault(name_key(last, data.get("first_name")), []).append(t)

    def student(self, siecle_id: Any = None, ine: Any = None, last: Any = None, first: Any = None,
                birth: Any = None, division: Any = None) -> Found:
        """A SIECLE student by ELEVE_ID, INE, name + birth date, name + class (or, for a pupil
        who has left and whom SIECLE no longer puts in a class, name alone: the other export
        still shows the class he had)."""
        if siecle_id and str(siecle_id) in self.students:
            return self.students[str(siecle_id)], [self.students[str(siecle_id)]], "id-siecle"
        if ine:
            hit = _one(self.by_ine.get(str(ine).upper(), []), "ine")
            if hit:
                return hit
        named = self.student_names.get(name_key(last, first), []) if last else []
        if birth:
            hit = _one([s for s in named if s.data.get("birth_date") == birth], "nom+naissance")
            if hit:
                return hit
        if division:
            hit = _one([s for s in named if fold(s.data.get("division_code")) == fold(division)], "nom+classe")
            if hit:
                return hit
            # a pupil who has left: SIECLE no longer gives his class, the ENT or PRONOTE still do
            hit = _one([s for s in named if s.data.get("left") and not s.data.get("division_code")], "nom+sorti")
            if hit:
                return hit
        if not birth and not division:
            hit = _one([s for s in named if not s.data.get("left")], "nom")
            if hit:
                return hit
        return None, [], None

    def guardian(self, last: Any, first: Any, child_ids: Iterable[str] = (),
                 child_names: Iterable[str] = (), other_last: Any = None) -> Found:
        """A SIECLE guardian by folded name and one child in common (ELEVE_ID or name).

        ``other_last``: a second last name of the record (the AAF's ENTPersonNomPatro beside
        its sn), looked up too; each SIECLE guardian is found by NOM_DE_FAMILLE or NOM_USAGE.

        The children's names are folded only for a guardian that shares no child id with
        the record (most records name a child whose SIECLE id is known)."""
        names = self.guardian_names
        if other_last:
            named: list[Entity] = list(dict.fromkeys(g for name in (last, other_last) if name
                                                     for g in names.get(name_key(name, first), ())))
        else:  # one key: its list holds each guardian once
            named = names.get(name_key(last, first), []) if last else []
        if not named:
            return None, [], None
        ids = child_ids if isinstance(child_ids, (set, frozenset)) else set(child_ids)
        folded_children: set[str] | None = None
        out = []
        for g in named:
            if not self._children_ids(g).isdisjoint(ids):
                out.append(g)
                continue
            if folded_children is None:
                folded_children = {fold(n) for n in child_names}
            if folded_children and not self._children_names(g).isdisjoint(folded_children):
                out.append(g)
        if len(out) == 1:
            return out[0], out, "nom+enfant"
        return _one(out, "nom+enfant") or (None, [], None)

    def _children_ids(self, guardian: Entity) -> set[str]:
        """Ids of a guardian's students."""
        known = self._kid_ids.get(guardian)
        if known is None:
            known = self._kid_ids[guardian] = {k.id for k in guardian.data.get("students") or ()}
        return known

    def _children_names(self, guardian: Entity) -> set[str]:
        """Folded names (« prénom nom » and « nom prénom ») of a guardian's students."""
        known = self._kid_names.get(guardian)
        if known is None:
            known = set()
            for k in guardian.data.get("students") or ():
                first, last = _folded_part(k.data.get("first_name")), _folded_part(k.data.get("last_name"))
                if first and last:
                    known.update((f"{first} {last}", f"{last} {first}"))
                else:  # one part (or none): both orders give the same text
                    known.add(first or last)
            self._kid_names[guardian] = known
        return known

    def teacher(self, sts_id: Any = None, last: Any = None, first: Any = None, birth: Any = None) -> Found:
        """An STS person by INDIVIDU id, name + birth date, else name alone."""
        if sts_id and str(sts_id) in self.teachers:
            return self.teachers[str(sts_id)], [self.teachers[str(sts_id)]], "id-sts"
        named = self.teacher_names.get(name_key(last, first), []) if last else []
        if birth:
            hit = _one([t for t in named if t.data.get("birth_date") == birth], "nom+naissance")
            if hit:
                return hit
        return _one(named, "nom") or (None, [], None)


def _children_ids(account: Entity) -> list[str]:
    ids = []
    for child in account.get("children") or []:
        st = child.get("student")
        if st is not None:
            ids.append(st.id)
        elif child.get("siecle_id"):
            ids.append(str(child["siecle_id"]))
    return ids


def _children_names(account: Entity) -> list[str]:
    names = list(account.get("child_names") or [])
    for child in account.get("children") or []:
        names.append(f"{child.get('first_name')} {child.get('last_name')}")
    return names


def find_person(people: People, account: Entity) -> Found:
    """The SIECLE/STS person of an ENT account (profile decides where to look)."""
    profile = account.get("profile")
    aaf = account.get("aaf")
    if aaf is not None and aaf.get("person") is not None:
        return aaf["person"], [aaf["person"]], "jointure"
    birth = account.get("birth_date") or (aaf.get("birth_date") if aaf is not None else None)
    last, first = account.get("last_name"), account.get("first_name")
    if profile == "eleve":
        return people.student(account.get("siecle_id"), None, last, first, birth, account.get("division_code"))
    if profile == "responsable":
        return people.guardian(last, first, _children_ids(account), _children_names(account))
    if profile in ("enseignant", "personnel"):
        return people.teacher(None, last, first, birth)
    return None, [], None


def link_accounts(graph: Graph) -> None:
    """Set parents/children, the AAF record, the person and the PRONOTE identifiers of every account."""
    # the PRONOTE family's link (declared before the ENT's) has merged EDT's IDPN already
    people = people_index(graph)
    accounts = graph.all("ent_account", "ent")
    if not accounts:
        person_relations(graph)
        return
    by_uid = graph.index("ent_account", "uid", "ent")
    aaf_by_jointure: dict[str, Entity] = {}
    for kind in ("aaf_student", "aaf_guardian", "aaf_teacher"):
        for rec in graph.all(kind, "aaf"):
            aaf_by_jointure.setdefault(str(rec.get("jointure")), rec)
    for acc in accounts:
        acc.data.update(parents=[], children=[])
    for acc in accounts:
        for uid in acc.get("parent_uids") or []:
            for parent in by_uid.get(uid, []):
                if parent not in acc.data["parents"]:
                    acc.data["parents"].append(parent)
                    parent.data["children"].append(acc)
        acc.data["aaf"] = aaf_by_jointure.get(str(acc.get("jointure"))) if acc.get("jointure") else None
    # The reverse relation: every SIECLE/STS person gets the ENT accounts found for it (and,
    # apart, the accounts that may be it when the match is ambiguous): a person with neither
    # has no ENT account (rules ENT-COMPTE-*).
    for kind, source in (("student", "siecle"), ("guardian", "siecle"), ("teacher", "sts")):
        for person in graph.all(kind, source):
            person.data.update(ent_accounts=[], ent_candidates=[])
    # students first: a guardian is then found through the SIECLE student of a child account
    for acc in sorted(accounts, key=lambda a: a.get("profile") != "eleve"):
        person, cands, how = find_person(people, acc)
        acc.data.update(person=person, person_candidates=cands if person is None else [], match=how if person else None,
                        student=person if person is not None and person.kind == "student" else None,
                        guardian=person if person is not None and person.kind == "guardian" else None,
                        teacher=person if person is not None and person.kind == "teacher" else None)
        if person is not None and "ent_accounts" in person.data:
            person.data["ent_accounts"].append(acc)
        for cand in acc.data["person_candidates"]:
            if "ent_candidates" in cand.data:
                cand.data["ent_candidates"].append(acc)
    link_pronote(graph, accounts)
    person_relations(graph)


#: Kinds of the people of SIECLE and STS-Web, with their source.
PERSON_KINDS = (("student", "siecle"), ("guardian", "siecle"), ("teacher", "sts"))


def person_relations(graph: Graph) -> None:
    """The relations from a SIECLE/STS person to its records in the other exports:
    ``ent_accounts`` (ENT accounts tied to the person), ``pronote_identifiers`` (PRONOTE
    identifiers tied to it without ambiguity), ``aaf`` (its AAF record, or None) and, for a
    guardian, ``pronote_guardians`` (the rows of PRONOTE's guardians export). Each is the
    reverse of a link already made (``ent_account.person``, ``pronote_identifier.person``,
    ``aaf_*.person``, ``pronote_guardian.guardian``): nothing is matched again here."""
    persons = [p for kind, source in PERSON_KINDS for p in graph.all(kind, source)]
    if not persons:
        return
    for p in persons:
        p.data["ent_accounts"] = []
        p.data["pronote_identifiers"] = []
        p.data["aaf"] = None
        if p.kind == "guardian":
            p.data["pronote_guardians"] = []
    for acc in graph.all("ent_account", "ent"):
        person = acc.data.get("person")
        if person is not None and "ent_accounts" in person.data:
            person.data["ent_accounts"].append(acc)
    for ident in graph.all("pronote_identifier", "pronote"):
        person = ident.data.get("person")
        if person is not None and "pronote_identifiers" in person.data:
            person.data["pronote_identifiers"].append(ident)
    for kind in ("aaf_student", "aaf_guardian", "aaf_teacher"):
        for rec in graph.all(kind, "aaf"):
            person = rec.data.get("person")
            if person is not None and "aaf" in person.data and person.data["aaf"] is None:
                person.data["aaf"] = rec
    for row in graph.all("pronote_guardian", "pronote"):
        guardian = row.data.get("guardian")
        if guardian is not None and "pronote_guardians" in guardian.data:
            guardian.data["pronote_guardians"].append(row)
    pronote_persons(graph, persons)


#: How a PRONOTE identifier's origin and a person's kind are said (``pronote_person``).
ORIGIN_WORDS = {"edt-export": ("EDT", "l'export EDT/PRONOTE pour l'ENT"),
                "pronote-identifiants": ("PRONOTE", "l'export des identifiants PRONOTE")}
PERSON_WORDS = {"student": ("eleve", "élève SIECLE"), "guardian": ("responsable", "responsable SIECLE"),
                "teacher": ("personnel", "personnel STS")}


def person_words(person: Entity) -> str:
    """« DURAND Léa (élève SIECLE 1001) »."""
    return f"{person.label} ({PERSON_WORDS[person.kind][1]} {person.id})"


def pronote_persons(graph: Graph, persons: list[Entity]) -> None:
    """One ``pronote_person`` per SIECLE/STS person given a PRONOTE identifier by an export:
    the EDT export and the PRONOTE identifiers export (its ``pronote_identifiers``, tied
    without ambiguity) and the ENT identifier file (the IDPN its accounts carry, when the
    layout gives it). ``values`` lists each distinct IDPN with the exports that carry it."""
    file_names: dict[str, str] = {}  # a provenance's file -> its name, said once per file
    for p in persons:
        data = p.data
        idents = data.get("pronote_identifiers") or []
        accounts = [a for a in data.get("ent_accounts") or [] if a.data.get("idpn")]
        if not idents and not accounts:
            continue
        values: dict[str, dict[str, Any]] = {}
        prov: list[Any] = []
        for ident in idents:
            for origin in ident.data.get("origins") or []:
                system, words = ORIGIN_WORDS.get(origin, (None, origin))
                where = [w for w in ident.prov if w.system == system]
                names = []
                for w in where:
                    name = file_names.get(w.file)
                    if name is None:
                        name = file_names[w.file] = w.file.replace("\\", "/").split("/")[-1]
                    if name not in names:
                        names.append(name)
                _carry(values, prov, ident.id, f"{words} {', '.join(names)}" if names else words, where, None)
        for acc in accounts:
            _carry(values, prov, str(acc.data["idpn"]), f"le fichier des identifiants ENT (compte {acc.id})",
                   acc.prov, acc.data.get("idpn_owner"))
        if not values:
            continue
        prefix = PERSON_WORDS[p.kind][0]
        graph.add("pronote_person", f"{prefix}:{p.id}", source="pronote", prov=prov, label=person_words(p)).data.update({
            "person": p, "profile": prefix, "identifiers": idents, "accounts": accounts,
            "values": list(values.values()), "idpns": list(values)})


def _carry(values: dict[str, dict[str, Any]], prov: list[Any], idpn: str, export: str, where: list[Any],
           owner: Entity | None) -> None:
    """Note that ``export`` gives ``idpn`` (to ``owner``, another person, if not None)."""
    v = values.get(idpn)
    if v is None:
        v = values[idpn] = {"idpn": idpn, "exports": [], "owner": None}
    if export not in v["exports"]:
        v["exports"].append(export)
    if owner is not None and v["owner"] is None:
        v["owner"] = person_words(owner)
    for w in where:
        if w not in prov:
            prov.append(w)


def _pronote_key(rec: Entity) -> str:
    return f"{rec.get('profile')}|{name_key(rec.get('last_name'), rec.get('first_name'))}"


def link_pronote(graph: Graph, accounts: list[Entity]) -> None:
    """Each account's PRONOTE identifiers: same IDPN, else same person, else same name (+ birth, child)."""
    idents = graph.all("pronote_identifier", "pronote")
    by_idpn = {i.id: i for i in idents}
    by_person: dict[Entity, list[Entity]] = {}  # an entity is its graph key (one entity per key)
    for ident in idents:
        ident.data["ent_accounts"] = []
        for p in ident.get("persons") or []:
            by_person.setdefault(p, []).append(ident)
    by_owner: dict[Entity, list[Entity]] = {}  # identifiers tied to one person without ambiguity
    for ident in idents:
        if ident.get("person") is not None:
            by_owner.setdefault(ident["person"], []).append(ident)
    by_name: dict[str, list[Entity]] | None = None  # built when an account needs it
    for acc in accounts:
        if acc.get("idpn"):
            found = [by_idpn[acc["idpn"]]] if acc["idpn"] in by_idpn else []
        elif acc.get("person") is not None:
            found = list(by_person.get(acc["person"], []))
        elif acc.get("person_candidates"):
            found = []  # ambiguous person: reported by ENT-LIEN-001, not guessed here
        else:
            if by_name is None:
                by_name = {}
                for ident in idents:
                    by_name.setdefault(_pronote_key(ident), []).append(ident)
            found = [i for i in by_name.get(_pronote_key(acc), []) if _compatible(acc, i)]
        found = list(dict.fromkeys(found))
        acc.data["pronote_candidates"] = found
        acc.data["pronote"] = found[0] if len(found) == 1 else None
        for ident in found:
            ident.data["ent_accounts"].append(acc)
        _carried(acc, by_owner.get(acc.get("person"), []) if acc.get("person") is not None else [])


def _carried(acc: Entity, own: list[Entity]) -> None:
    """What the IDPN an account carries (a column of its layout) says, beside ``own``, the
    identifiers PRONOTE/EDT give to the account's person (``person_pronote``):

    - ``idpn_owner``: the person PRONOTE/EDT give the carried IDPN to, when it is another
      one (a known person; the account's person unknown, another name);
    - ``colleague_pronote``: the tutorial's short replacement, a teacher's account carrying
      a colleague teacher's identifier while PRONOTE/EDT give none to the account's person.
    """
    acc.data["person_pronote"] = own
    ident = acc.get("pronote") if acc.get("idpn") else None
    owner = ident.get("person") if ident is not None else None
    mine = acc.get("person")
    if owner is None or owner is mine or (mine is None and _pronote_key(acc) == _pronote_key(ident)):
        owner = None
    acc.data["idpn_owner"] = owner
    substitute = (owner is not None and not own and acc.get("profile") == "enseignant"
                  and owner.kind == "teacher" and ident.get("profile") == "enseignant")
    acc.data["colleague_pronote"] = ident if substitute else None


def _compatible(acc: Entity, ident: Entity) -> bool:
    """Same name already: birth dates and children must not contradict."""
    if acc.get("birth_date") and ident.get("birth_date") and acc["birth_date"] != ident["birth_date"]:
        return False
    kids_a = {fold(n) for n in _children_names(acc)}
    kids_i = {fold(n) for n in ident.get("child_names") or []}
    return not (kids_a and kids_i) or bool(kids_a & kids_i)
