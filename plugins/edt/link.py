"""Joins between EDT's records and SIECLE's / STS-Web's (called by the EDT plugin's
``link``, declared after the SIECLE and STS links).

- EDT students -> SIECLE students: ``IDSconet`` = ELEVE_ID, then ``NumeroNational`` = INE,
  then folded last name + first name + birth date; each step is tried when the previous
  one finds nothing.
- EDT teachers -> STS-Web teachers: ``IDSTS`` (EDT_STS: ``ID``) = INDIVIDU@ID, else folded
  last name + first name (and the birth date when both sides have one).
- EDT classes / groups -> SIECLE divisions / groups (else STS-Web ones): same code, else
  the same code without spaces and case; a group, else the name EDT sends to STSWEB
  (``sts_group_name``: refused characters removed, cut to 8), when no other EDT group has
  the target. EDT groups of the timetable export also get ``sts`` (the STS-Web group found
  the same way) and ``remontee`` (the group of the remontée file EDT_STS of that name).
- EDT students get ``class_matches`` (their current EDT class is their SIECLE division);
  EDT classes get ``all_courses`` (the courses of the class, of its groups and its parts).
- EDT_STS services -> STS-Web services (same id) and subjects of the STS nomenclature;
  EDT subjects -> nomenclature subjects by management code (CODE_GESTION).

Both sides get the relation and the other's provenance. A key matching several records
is an ``ENTREE-LIEN`` warning (no join is made); EDT students found nowhere are summed up
in one ``ENTREE-LIEN`` warning per file (teachers found nowhere: rule X-STS-EDT-004).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from scolint.engine.model import Entity, Graph
from scolint.plugins.language.filters import fold, sts_group_name

FIX_AMBIGU = ("Vérifiez les fiches en double (même identifiant ou même nom et date de naissance) dans SIECLE, "
              "STS-Web ou EDT, fusionnez ou corrigez-les, puis refaites les exports.")
FIX_ABSENT = ("1. Vérifiez que les exports SIECLE / STS-Web et EDT sont de la même date et du même établissement.\n"
              "2. Dans EDT, refaites l'import depuis SIECLE et STS-Web (Fichier > IMPORTS/EXPORTS), en établissant "
              "les correspondances, puis refaites les exports.")
MAX_NAMES = 10


def join(a: Entity, field_a: str, b: Entity, field_b: str) -> None:
    """Set ``a.field_a = b`` and ``b.field_b = a``, each side keeping the other's provenance."""
    a.data[field_a] = b
    b.data[field_b] = a
    for x, y in ((a, b), (b, a)):
        x.prov.extend(p for p in y.prov[:1] if p not in x.prov)


def _norm(code: Any) -> str:
    return "".join(str(code or "").split()).upper()


def _person_key(ent: Entity) -> str:
    return f"{fold(ent.get('last_name'))}|{fold(ent.get('first_name'))}"


def _index(items: Iterable[Entity], key: Callable[[Entity], Any]) -> dict[Any, list[Entity]]:
    out: dict[Any, list[Entity]] = {}
    for ent in items:
        k = key(ent)
        if k:
            out.setdefault(k, []).append(ent)
    return out


def _ambiguous(graph: Graph, ent: Entity, what: str, found: list[Entity]) -> None:
    prov = ent.prov[0] if ent.prov else None
    names = ", ".join(f"{e.label} ({e.id})" for e in found[:MAX_NAMES])
    graph.problem("ENTREE-LIEN", f"rapprochement ambigu : {what} « {ent.label} » correspond à plusieurs fiches "
                  f"({names}) ; aucun rapprochement n'est fait", prov.file if prov else "?",
                  prov.line if prov else None, severity="warning", fix=FIX_AMBIGU)


def _absent(graph: Graph, missing: list[Entity], what: str, where: str) -> None:
    by_file: dict[str, list[Entity]] = {}
    for ent in missing:
        by_file.setdefault(ent.prov[0].file if ent.prov else "?", []).append(ent)
    for file, ents in by_file.items():
        names = ", ".join(e.label for e in ents[:MAX_NAMES]) + (" …" if len(ents) > MAX_NAMES else "")
        graph.problem("ENTREE-LIEN", f"{len(ents)} {what} introuvable(s) dans {where} : {names}", file,
                      ents[0].prov[0].line if ents[0].prov else None, severity="warning", fix=FIX_ABSENT)


def link_students(graph: Graph) -> None:
    students = graph.all("student", "siecle")
    for st in students:
        st.data.setdefault("edt", None)
    edt_students = graph.all("edt_student", "edt")
    for es in edt_students:
        es.data.setdefault("student", None)
        es.data.setdefault("link", None)
        es.data["class_matches"] = False
    if not students or not edt_students:
        return
    # Each step's index is built the first time a student reaches it, and a student's key
    # for a step is computed only if the previous steps found nothing (most EDT students
    # are found by IDSconet: the folded names are then never needed).
    indexes: dict[str, dict[Any, list[Entity]]] = {"IDSconet": {s.id: [s] for s in students}}
    index_keys: dict[str, Callable[[Entity], Any]] = {
        "INE": lambda s: (s.get("ine") or "").upper(),
        "nom+naissance": lambda s: f"{_person_key(s)}|{s.get('birth_date') or ''}" if s.get("birth_date") else ""}
    student_keys: tuple[tuple[str, Callable[[Entity], Any]], ...] = (
        ("IDSconet", lambda es: es.get("siecle_id")),
        ("INE", lambda es: (es.get("ine") or "").upper()),
        ("nom+naissance", lambda es: f"{_person_key(es)}|{es.get('birth_date')}" if es.get("birth_date") else ""))
    missing = []
    for es in edt_students:
        for method, key_of in student_keys:
            key = key_of(es)
            if key:
                index = indexes.get(method)
                if index is None:
                    index = indexes[method] = _index(students, index_keys[method])
                found = index.get(key, [])
            else:
                found = []
            if len(found) > 1:
                _ambiguous(graph, es, "l'élève d'EDT", found)
                break
            if found:
                if found[0].data.get("edt") is not None:
                    _ambiguous(graph, es, "l'élève d'EDT", [found[0], found[0].data["edt"]])
                    break
                join(es, "student", found[0], "edt")
                es.data["link"] = method
                break
        else:
            missing.append(es)
    for es in edt_students:
        st = es.data.get("student")
        es.data["class_matches"] = bool(st is not None and es.data.get("class_name")
                                        and es.data.get("class_name") == st.data.get("division_code"))
    if missing:
        _absent(graph, missing, "élève(s) d'EDT", "SIECLE")


def link_teachers(graph: Graph) -> None:
    teachers = graph.all("teacher", "sts")
    for t in teachers:
        t.data.setdefault("edt", None)
        t.data.setdefault("edt_sts", None)
    if not teachers:
        return
    by_id = {t.id: t for t in teachers}
    by_name = _index(teachers, _person_key)
    for et in graph.all("edt_teacher", "edt_sts"):
        if et.id in by_id:
            join(et, "teacher", by_id[et.id], "edt_sts")
            et.data["link"] = "IDSTS"
            et.label = f"{by_id[et.id].label} (INDIVIDU {et.id})"
    missing = []
    for et in graph.all("edt_teacher", "edt"):
        target = by_id.get(et.get("sts_id") or "")
        method = "IDSTS"
        if target is None:
            found = [t for t in by_name.get(_person_key(et), [])
                     if not (t.get("birth_date") and et.get("birth_date") and t["birth_date"] != et["birth_date"])]
            if len(found) > 1:
                _ambiguous(graph, et, "le professeur d'EDT", found)
                continue
            target, method = (found[0], "nom") if found else (None, "")
        if target is None:
            if et.get("courses"):
                missing.append(et)
            continue
        if target.data.get("edt") is not None:
            _ambiguous(graph, et, "le professeur d'EDT", [target, target.data["edt"]])
            continue
        join(et, "teacher", target, "edt")
        et.data["link"] = method
    # A teacher of the clear export found nowhere in STS-Web is a rule finding
    # (X-STS-EDT-004, with the tutorial's fix), not an input-link warning: not said twice.
    del missing


def _find(name: str, exact: dict[str, Entity], loose: dict[Any, list[Entity]], graph: Graph, ent: Entity,
          sts_name: bool) -> Entity | None:
    """The structure of code ``name``: same code, else same code without spaces and case
    (several: an ``ENTREE-LIEN`` warning, None); with ``sts_name``, only the structure
    whose code is the name EDT sends to STSWEB (None when none or several)."""
    if sts_name:
        found = loose.get(_norm(sts_group_name(name)), [])
        return found[0] if len(found) == 1 else None
    target = exact.get(name)
    if target is not None:
        return target
    found = loose.get(_norm(name), [])
    if len(found) > 1:
        _ambiguous(graph, ent, "la structure d'EDT", found)
        return None
    return found[0] if found else None


def link_structures(graph: Graph) -> None:
    for kind, edt_kind, field in (("division", "edt_class", "division"), ("group", "edt_group", "group")):
        targets = graph.all(kind, "siecle") or graph.all(kind, "sts")
        for t in targets:
            t.data.setdefault("edt", None)
        if not targets:
            continue
        exact = {t.id: t for t in targets}
        loose = _index(targets, lambda t: _norm(t.id))
        for source in ("edt", "edt_sts"):
            unmatched = []
            for ent in graph.all(edt_kind, source):
                target = _find(ent.get("name") or "", exact, loose, graph, ent, False)
                if target is None and len(loose.get(_norm(ent.get("name")), ())) < 2:  # not ambiguous
                    unmatched.append(ent)
                else:
                    _attach(ent, field, target, source)
            if kind != "group":
                continue
            for ent in unmatched:  # the name EDT sends to STSWEB, for a group no other EDT group has
                target = _find(ent.get("name") or "", exact, loose, graph, ent, True)
                if target is not None and (source != "edt" or target.data.get("edt") is None):
                    _attach(ent, field, target, source)
    _link_group_names(graph)


def _attach(ent: Entity, field: str, target: Entity, source: str) -> None:
    if source == "edt":
        join(ent, field, target, "edt")
    else:
        ent.data[field] = target
        ent.prov.extend(p for p in target.prov[:1] if p not in ent.prov)


def _link_group_names(graph: Graph) -> None:
    """Each EDT group of the timetable export: its STS-Web group (``sts``) and its group in
    the remontée file (``remontee``), by code or by the name EDT sends to STSWEB."""
    edt_groups = graph.all("edt_group", "edt")
    for source, field in (("sts", "sts"), ("edt_sts", "remontee")):
        targets = graph.all("group" if source == "sts" else "edt_group", source)
        exact = {t.id: t for t in targets}  # a code (GROUPE@CODE of sts_emp or of EDT_STS)
        loose = _index(targets, lambda t: _norm(t.id))
        for ent in edt_groups:
            name = ent.get("name") or ""
            target = None
            if targets and name:
                target = exact.get(name)
                if target is None:
                    found = loose.get(_norm(name)) or loose.get(_norm(sts_group_name(name))) or []
                    target = found[0] if len(found) == 1 else None
            ent.data[field] = target
    for grp in graph.all("edt_group", "edt_sts"):
        grp.data.setdefault("sts", None)
        grp.data.setdefault("remontee", None)


def link_courses_of_classes(graph: Graph) -> None:
    """Each EDT class's ``all_courses``: its courses as a whole class, and those of its
    groups and class parts (in the order of the file, once each)."""
    for source in ("edt", "edt_sts"):
        classes = graph.all("edt_class", source)
        found: dict[Entity, dict[Entity, None]] = {c: {} for c in classes}
        for course in graph.all("edt_course", source):
            owners = list(course.data.get("classes") or [])
            for grp in course.data.get("groups") or []:
                owners.extend(grp.data.get("classes") or [])
            for part in course.data.get("class_parts") or []:
                if part.data.get("edt_class") is not None:
                    owners.append(part.data["edt_class"])
            for cls in owners:
                found.setdefault(cls, {})[course] = None
        for cls in classes:
            cls.data["all_courses"] = list(found[cls])


def link_services(graph: Graph) -> None:
    for svc in graph.all("service", "sts"):
        svc.data.setdefault("edt", None)
    for es in graph.all("edt_service", "edt_sts"):
        target = graph.get("service", es.id, "sts")
        if target is not None:
            join(es, "service", target, "edt")
        es.data["subject"] = graph.get("subject", es.get("subject_code") or "", "sts")
    subjects = graph.all("subject", "sts") or graph.all("subject", "siecle")
    by_code = _index(subjects, lambda s: _norm(s.get("management_code")))
    for subj in graph.all("edt_subject", "edt"):
        found = by_code.get(_norm(subj.get("code")), [])
        subj.data["subject"] = found[0] if len(found) == 1 else None


def link_subjects_taught(graph: Graph) -> None:
    """Each EDT teacher's subjects: those of his courses (``subjects``, ``subject_codes``)."""
    for source in ("edt", "edt_sts"):
        for et in graph.all("edt_teacher", source):
            subjects: dict[str, Entity] = {}
            codes: dict[str, None] = {}
            for course in et.data.get("courses") or []:
                subj = course.data.get("subject")
                if subj is not None:
                    subjects.setdefault(subj.id, subj)
                code = course.data.get("subject_code") or (subj.data.get("code") if subj is not None else None)
                if code:
                    codes[str(code)] = None
            for svc in et.data.get("services") or []:
                if svc.data.get("subject_code"):
                    codes[str(svc.data["subject_code"])] = None
            et.data["subjects"] = list(subjects.values())
            et.data["subject_codes"] = list(codes)


def link(graph: Graph) -> None:
    """Every join of EDT's records (see the module docstring)."""
    link_subjects_taught(graph)
    link_students(graph)
    link_teachers(graph)
    link_structures(graph)
    link_courses_of_classes(graph)
    link_services(graph)
