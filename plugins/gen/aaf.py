"""Generator writer of the AAF feeds (ficAlimMENESR), and the AAF defect.

Four complete files, ``ENT_Complet_<AAAAMMJJ>_<Catégorie>_0000.xml`` (Eleve, PersRelEleve,
PersEducNat, EtabEducNat), with the ``<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">``
line of the public files; UTF-8, or ISO-8859-15 when the seed is a multiple of 3. Every
person carries the AAF jointure of the model (the ENT file's « clé de jointure »), classes
and groups are prefixed by the school's structure jointure, teachers' classes and subjects
come from their STS services. For odd seeds one teacher also teaches in another school
(a class under another structure jointure), which the audit must leave out.

Defect ``aaf.fiche-obsolete`` (X-STS-AAF-001): a teacher's AAF record still lists a class
of last year that STS-Web no longer gives them.
"""

from __future__ import annotations

import random
from pathlib import Path

from .ent import ent_people
from .model import Establishment
from .truth import Defect, GroundTruth, per_size
from .xmlout import XmlWriter

DOCTYPE = '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n'
OTHER_SCHOOL = "9990001"


def structure(est: Establishment) -> str:
    """The school's structure jointure (ENTStructureJointure), stable for a seed."""
    return str(est.rng("aaf-structure").randint(1000000, 1999999))


def _request(w: XmlWriter, category: str, ident: str, attrs: list[tuple[str, list[str]]],
             key: str = "categoriePersonne") -> None:
    w.open("addRequest").open("operationalAttributes").open("attr", [("name", key)]).leaf("value", category)
    w.close().close().open("identifier").leaf("id", ident).close().open("attributes")
    for name, values in attrs:
        w.open("attr", [("name", name)])
        for v in values or [""]:
            w.leaf("value", v)
        w.close()
    w.close().close()


def _save(est: Establishment, w: XmlWriter, path: Path) -> Path:
    encoding = "ISO-8859-15" if est.seed % 3 == 0 else "UTF-8"
    data = w.document(encoding)
    first_line_end = data.index(b"\n") + 1
    path.write_bytes(data[:first_line_end] + DOCTYPE.encode("ascii") + data[first_line_end:])
    return path


def _name(est: Establishment, category: str) -> str:
    return f"ENT_Complet_{est.export_date:%Y%m%d}_{category}_0000.xml"


def write(est: Establishment, out_dir: Path, truth: GroundTruth) -> list[Path]:
    """Write the four AAF files."""
    st = structure(est)
    students, _g, teachers = ent_people(est)
    ids = {s.eleve_id for s in students}
    paths = []
    w = XmlWriter(indent="    ").open("ficAlimMENESR")
    for s in students:
        rel = [f"{est.guardian(lk.personne_id).accounts.jointure}${lk.relation}${int(lk.pays)}$"
               f"{1 if lk.level == 1 else 0}$1${int(lk.pays)}" for lk in est.links_of(s.eleve_id)]
        _request(w, "Eleve", s.accounts.jointure, [
            ("ENTPersonJointure", [s.accounts.jointure]), ("ENTEleveINE", [s.ine]),
            ("ENTEleveStructRattachId", [s.eleve_id]), ("ENTPersonDateNaissance", [f"{s.birth_date:%d/%m/%Y}"]),
            ("sn", [s.last_name]), ("givenName", [s.first_name]), ("personalTitle", ["M." if s.sex == 1 else "Mme"]),
            ("ENTElevePersRelEleve", rel), ("ENTEleveMEF", [s.mef]), ("ENTPersonStructRattach", [st]),
            ("ENTEleveClasses", [f"{st}${s.division}"] if s.division else []),
            ("ENTEleveGroupes", [f"{st}${g}" for g in s.groups])])
    paths.append(_save(est, w.close(), out_dir / _name(est, "Eleve")))
    w = XmlWriter(indent="    ").open("ficAlimMENESR")
    for g in est.guardians:
        kids = [c for c in est.children_of(g.personne_id) if c.eleve_id in ids]
        if not kids:
            continue
        _request(w, "PersRelEleve", g.accounts.jointure, [
            ("ENTPersonJointure", [g.accounts.jointure]), ("sn", [g.last_name]), ("givenName", [g.first_name]),
            ("personalTitle", ["M." if g.civility == 1 else "Mme"]), ("mail", [g.email] if g.email else []),
            ("ENTAuxPersRelEleveEleve", [c.accounts.jointure for c in kids])])
    paths.append(_save(est, w.close(), out_dir / _name(est, "PersRelEleve")))
    obsolete = est.flags.get("aaf", {}).get("obsolete", {})
    w = XmlWriter(indent="    ").open("ficAlimMENESR")
    for n, t in enumerate(teachers):
        services = est.services_of(t.sts_id)
        classes = [f"{st}${s.structure}${s.subject}" for s in services if s.structure_type == "division"]
        classes += [f"{st}${code}${subj}" for code, subj in obsolete.get(t.sts_id, [])]
        if est.seed % 2 and services and n == 0:
            classes.append(f"{OTHER_SCHOOL}$3A${services[0].subject}")
        groups = [f"{st}${s.structure}${s.subject}" for s in services if s.structure_type == "group"]
        function = f"{st}${t.function}$" + ("ENSEIGNEMENT" if t.function == "ENS" else "DIRECTION") + \
            f"${t.discipline}${t.discipline_label}"
        _request(w, "PersEducNat", t.accounts.jointure, [
            ("ENTPersonJointure", [t.accounts.jointure]), ("sn", [t.last_name]), ("givenName", [t.first_name]),
            ("ENTPersonDateNaissance", [f"{t.birth_date:%d/%m/%Y}"] if t.birth_date else []),
            ("ENTPersonSTSId", [t.sts_id]), ("ENTPersonFonctions", [function]),
            ("ENTAuxEnsClassesMatieres", list(dict.fromkeys(classes))),
            ("ENTAuxEnsGroupesMatieres", list(dict.fromkeys(groups))),
            ("PersEducNatPresenceDevantEleves", ["O" if services else "N"])])
    paths.append(_save(est, w.close(), out_dir / _name(est, "PersEducNat")))
    w = XmlWriter(indent="    ").open("ficAlimMENESR")
    _request(w, "EtabEducNat", st, [
        ("ENTStructureJointure", [st]), ("ENTStructureUAI", [est.uai]), ("ENTStructureNomCourant", [est.name]),
        ("ENTServAcAcademie", [est.academy[1]]), ("ENTEtablissementContrat", ["PU"])], key="categorieStructure")
    paths.append(_save(est, w.close(), out_dir / _name(est, "EtabEducNat")))
    return paths


def _obsolete_record(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    name = "aaf.fiche-obsolete"
    codes = {d.code for d in est.divisions}
    t = est.pick(rng, est.teachers, lambda x: f"teacher:{x.sts_id}", name,
                 where=lambda x: x.function == "ENS" and bool(est.services_of(x.sts_id))
                 and len({s.structure for s in est.services_of(x.sts_id)} & codes) < len(codes))
    if t is None:
        return
    mine = {s.structure for s in est.services_of(t.sts_id)}
    old = rng.choice([d.code for d in est.divisions if d.code not in mine])
    subject = est.services_of(t.sts_id)[0].subject
    est.flags.setdefault("aaf", {}).setdefault("obsolete", {}).setdefault(t.sts_id, []).append((old, subject))
    truth.add("X-STS-AAF-001", "aaf_teacher", t.accounts.jointure, defect=name,
              detail=f"{t.first_name} {t.last_name} : classe {old} de l'an passé encore dans la fiche AAF")


DEFECTS: tuple[Defect, ...] = (
    Defect("aaf.fiche-obsolete", ("X-STS-AAF-001",),
           "La fiche AAF d'un enseignant garde une classe de l'an passé (fiche AAF obsolète).",
           _obsolete_record, per_size(400), changes=False),
)
