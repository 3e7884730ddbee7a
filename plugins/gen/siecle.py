"""Generator writer of the SIECLE (BEE) exports, in their real shapes.

Files, named as SIECLE names the XML inside each ``ExportXML_<Nom>.zip``:
``ElevesSansAdresses.xml`` (BEE_ELEVES 3.0), ``ResponsablesAvecAdresses.xml``
(BEE_RESPONSABLES 2.1, NIVEAU_RESPONSABILITE model), ``Structures.xml``
(BEE_STRUCTURES 2.0) and ``Nomenclature.xml`` (BEE_NOMENCLATURES 3.1). ISO-8859-15,
dates dd/mm/yyyy, a PARAMETRES block in each (formats.md §1). On demand, each is put
alone in its ``ExportXML_<Nom>.zip`` as SIECLE delivers it.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from . import catalog
from .defects_siecle import DEFECTS  # noqa: F401  (the family's defects, see generate.py)
from .model import Establishment
from .names import fold_ascii
from .shapes import shape_of
from .truth import GroundTruth
from .xmlout import XmlWriter, fr_date

FILES = {
    "eleves": "ElevesSansAdresses.xml",
    "eleves-avec": "ElevesAvecAdresses.xml",
    "responsables": "ResponsablesAvecAdresses.xml",
    "responsables-sans": "ResponsablesSansAdresses.xml",
    "structures": "Structures.xml",
    "nomenclature": "Nomenclature.xml",
}
CIVILITY = {1: ("M.", "MONSIEUR"), 2: ("MME", "MADAME")}


def _params(w: XmlWriter, est: Establishment, year: int | None = None, uai: str | None = None) -> None:
    date = est.export_date if year is None else est.export_date.replace(year=est.export_date.year - est.year + year)
    w.open("PARAMETRES")
    w.leaf("UAJ", uai or est.uai)
    w.leaf("ANNEE_SCOLAIRE", year or est.year)
    w.leaf("DATE_EXPORT", fr_date(date))
    w.leaf("HORODATAGE", f"{fr_date(date)} {est.export_time}")
    w.close()


def _home(est: Establishment, eleve_id: str) -> str | None:
    """The ADRESSE_ID of a pupil's home: that of the first guardian the pupil lives with."""
    for lk in est.links_of(eleve_id):
        if lk.lives_with:
            return est.guardian(lk.personne_id).address_id
    return None


def _address(w: XmlWriter, a, sparse: bool) -> None:
    w.open("ADRESSE", [("ADRESSE_ID", a.id)])
    lines = [("LIGNE1_ADRESSE", a.line1), ("LIGNE2_ADRESSE", a.line2), ("LIGNE3_ADRESSE", ""), ("LIGNE4_ADRESSE", "")]
    w.leaves([(tag, v) for tag, v in lines if v or not sparse])
    if not sparse:
        w.leaf("COMMUNE_ETRANGERE", "")
    w.leaves([("CODE_POSTAL", a.postal_code), ("CODE_PAYS", "100"), ("CODE_COMMUNE_INSEE", a.insee),
              ("LL_PAYS", "FRANCE"), ("CODE_DEPARTEMENT", a.dept), ("LIBELLE_POSTAL", fold_ascii(a.city).upper())])
    w.close()


def write_eleves(est: Establishment, path: Path, addresses: bool = False) -> Path:
    """BEE_ELEVES; ``addresses``: the ElevesAvecAdresses shape (ADRESSE_ID of the pupil's
    home, then the ADRESSES section after BOURSES, where the real file has it)."""
    shape = shape_of(est.flags)
    sparse = shape.optional_absent
    w = XmlWriter()
    w.open("BEE_ELEVES", [("VERSION", "3.0")])
    _params(w, est)
    w.open("DONNEES").open("ELEVES")
    modified = fr_date(est.export_date - dt.timedelta(days=2))
    homes: dict[str, None] = {}
    for s in est.students:
        w.open("ELEVE", [("ELEVE_ID", s.eleve_id)] + ([] if sparse else [("ELENOET", s.elenoet)]))
        w.leaves([("ID_NATIONAL", s.ine), ("ELENOET", s.elenoet), ("ID_ELEVE_ETAB", s.id_etab),
                  ("NOM_DE_FAMILLE", s.last_name), ("PRENOM", s.first_name)])
        if s.first_name2 and not sparse:
            w.leaf("PRENOM2", s.first_name2)
        city, _cp, insee, dept = s.birth_commune
        w.leaves([("DATE_NAISS", fr_date(s.birth_date)), ("DOUBLEMENT", int(s.repeating)), ("CODE_PAYS", "100"),
                  ("ACCEPTE_SMS", "0"), ("DATE_MODIFICATION", modified), ("CODE_REGIME", s.regime),
                  ("DATE_ENTREE", fr_date(s.entry_date))])
        if s.exit_date:
            w.leaves([("DATE_SORTIE", fr_date(s.exit_date)), ("CODE_MOTIF_SORTIE", s.exit_reason)])
        w.leaves([("VILLE_NAISS", city.upper()), ("CODE_SEXE", s.sex), ("CODE_PAYS_NAT", "100"),
                  ("CODE_STATUT", s.status), ("CODE_MEF", s.mef), ("CODE_DEPARTEMENT_NAISS", dept),
                  ("CODE_COMMUNE_INSEE_NAISS", insee), ("ADHESION_TRANSPORT", "0"), ("CODE_PROVENANCE", "1")])
        home = _home(est, s.eleve_id) if addresses else None
        if home:
            w.leaf("ADRESSE_ID", home)
            homes[home] = None
        if s.previous and not sparse:
            w.open("SCOLARITE_AN_DERNIER")
            w.leaves([("CODE_MEF", s.previous[0]), ("CODE_STRUCTURE", s.previous[1]), ("CODE_RNE", est.uai),
                      ("CODE_NATURE", "340"), ("SIGLE", est.sigle), ("DENOM_PRINC", est.denom),
                      ("DENOM_COMPL", est.name), ("LIGNE1_ADRESSE", est.street),
                      ("CODE_COMMUNE_INSEE", est.commune[2]), ("LL_COMMUNE_INSEE", fold_ascii(est.commune[0]).upper())])
            w.close()
        w.close()
    w.close()
    w.open("OPTIONS")
    for s in est.students:
        if not s.options:
            continue
        w.open("OPTION", [("ELEVE_ID", s.eleve_id), ("ELENOET", s.elenoet)])
        for num, (subject, modality) in enumerate(s.options, start=1):
            w.open("OPTIONS_ELEVE").leaves([("NUM_OPTION", num), ("CODE_MODALITE_ELECT", modality),
                                            ("CODE_MATIERE", subject)]).close()
        w.close()
    w.close()
    if shape.missing_section != "STRUCTURES":
        _structures_section(w, est)
    w.empty("BOURSES", space=True)
    if addresses:
        w.open("ADRESSES")
        for a in est.addresses:
            if a.id in homes:
                _address(w, a, sparse)
        w.close()
    w.close().close()
    return w.save(path)


def _structures_section(w: XmlWriter, est: Establishment) -> None:
    w.open("STRUCTURES")
    for s in est.students:
        structures = ([(s.division, "D")] if s.division else []) + [(g, "G") for g in s.groups]
        if not structures:
            continue
        w.open("STRUCTURES_ELEVE", [("ELEVE_ID", s.eleve_id), ("ELENOET", s.elenoet)])
        for code, kind in structures:
            w.open("STRUCTURE").leaves([("CODE_STRUCTURE", code), ("TYPE_STRUCTURE", kind)]).close()
        w.close()
    w.close()


def write_responsables(est: Establishment, path: Path, addresses: bool = True) -> Path:
    """BEE_RESPONSABLES; without ``addresses`` (ResponsablesSansAdresses) the ADRESSES section
    is left out and only each person's ADRESSE_ID remains (shared by one household)."""
    sparse = shape_of(est.flags).optional_absent
    w = XmlWriter()
    w.open("BEE_RESPONSABLES", [("VERSION", "2.1")])
    _params(w, est)
    w.open("DONNEES").open("PERSONNES")
    for g in est.guardians:
        short, long_ = CIVILITY[g.civility]
        # one household in three without e-mail nor home phone (decided by the address, so
        # that the records of one household, a person entered twice included, agree)
        quiet = sparse and int(g.address_id) % 3 == 0
        w.open("PERSONNE", [("PERSONNE_ID", g.personne_id)])
        w.leaves([("LC_CIVILITE", short), ("LL_CIVILITE", long_), ("NOM_DE_FAMILLE", g.last_name),
                  ("PRENOM", g.first_name)])
        if not quiet:
            w.leaf("TEL_PERSONNEL", g.phone_home)
        w.leaves([("TEL_PORTABLE", g.phone_mobile), ("ACCEPTE_SMS", "1")])
        if not sparse:
            w.leaf("TEL_PROFESSIONNEL", "")
        if not quiet:
            w.leaf("MEL", g.email)
        w.leaves([("COMMUNICATION_ADRESSE", "1"), ("ADRESSE_ID", g.address_id), ("CODE_PROFESSION", g.profession)])
        w.close()
    w.close().open("RESPONSABLES")
    for lk in est.links:
        w.open("RESPONSABLE_ELEVE")
        w.leaves([("ELEVE_ID", lk.eleve_id), ("PERSONNE_ID", lk.personne_id),
                  ("NIVEAU_RESPONSABILITE", lk.level), ("CODE_PARENTE", lk.relation),
                  ("PAIE_FRAIS_SCOLAIRES", int(lk.pays)), ("PERCOIT_LES_AIDES", str(lk.pays).lower()),
                  ("HEBERGE_ELEVE", str(lk.lives_with).lower()),
                  ("A_CONTACTER_EN_PRIORITE", str(lk.priority).lower())])
        w.close()
    w.close()
    if addresses:
        w.open("ADRESSES")
        used = {g.address_id for g in est.guardians}
        for a in est.addresses:
            if a.id in used:
                _address(w, a, sparse)
        w.close()
    w.close().close()
    return w.save(path)


def write_structures(est: Establishment, path: Path) -> Path:
    w = XmlWriter()
    w.open("BEE_STRUCTURES", [("VERSION", "2.0")])
    _params(w, est)
    w.open("DONNEES").open("DIVISIONS")
    for d in est.divisions:
        w.open("DIVISION", [("CODE_STRUCTURE", d.code)]).leaf("LIBELLE_LONG", d.label)
        w.open("MEFS_APPARTENANCE").open("MEF_APPARTENANCE").leaf("CODE_MEF", d.mef).close().close()
        w.close()
    w.close().open("GROUPES")
    for g in est.groups:
        w.open("GROUPE", [("CODE_STRUCTURE", g.code)]).leaf("LIBELLE_LONG", g.label)
        w.open("DIVISIONS_APPARTENANCE")
        for code in g.divisions:
            w.open("DIVISION_APPARTENANCE").leaf("CODE_STRUCTURE", code).close()
        w.close().close()
    w.close().close().close()
    return w.save(path)


_CODE_LISTS: tuple[tuple[str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("MODALITES_ELECTION", "MODALITE_ELECTION", "CODE_MODALITE_ELECT", (
        ("S", "TRONC COMM", "MATIERE ENSEIGNEE EN TRONC COMMUN"),
        ("O", "OBLIGATOIR", "MATIERE ENSEIGNEE OPTION OBLIGATOIRE"),
        ("F", "FACULTATIF", "MATIERE ENSEIGNEE OPTION FACULTATIVE"))),
    ("REGIMES", "REGIME", "CODE_REGIME", (
        ("0", "EXTERN", "EXTERNE LIBRE"), ("2", "DP DAN", "DEMI-PENSIONNAIRE DANS L'ETABLISSEMENT"))),
    ("LIENS_PARENTE", "LIEN_PARENTE", "CODE_PARENTE", (
        ("10", "MERE", "MERE"), ("20", "PERE", "PERE"), ("38", "ASCENDANT", "ASCENDANT"),
        ("39", "AUTRE FAM.", "AUTRE MEMBRE DE LA FAMILLE"), ("50", "TUTEUR", "TUTEUR"),
        ("90", "AUTRE LIEN", "AUTRE LIEN"))),
    ("MOTIFS_SORTIE", "MOTIF_SORTIE", "CODE_MOTIF_SORTIE", (
        ("10", "SE 2D PUAC", "SUITE ETUDES 2D DEG. MEN:PUBLIC ACADEMIE"),
        ("12", "SE 2D PUHA", "SUITE ETUDES 2D DEG. MEN:PUBLIC HORS ACA"), ("99", "INCONNU", "INCONNU"))),
    ("STATUTS_ELEVE", "STATUT_ELEVE", "CODE_STATUT", (("ST", "SCOLAIRE", "SCOLAIRE"),)),
    ("CIVILITES", "CIVILITE", "CODE_CIVILITE", (("1", "M.", "MONSIEUR"), ("2", "MME", "MADAME"))),
)


def write_nomenclature(est: Establishment, path: Path, year: int | None = None) -> Path:
    w = XmlWriter()
    w.open("BEE_NOMENCLATURES", [("VERSION", "3.1")])
    _params(w, est, year=year)
    w.open("DONNEES").open("MEFS")
    for m in est.mefs.values():
        w.open("MEF", [("CODE_MEF", m.code)])
        w.leaves([("FORMATION", m.formation), ("LIBELLE_LONG", m.label), ("LIBELLE_EDITION", m.edition),
                  ("STATUT_MEF", "1"), ("MEF_RATTACHEMENT", m.code), ("CODE_MEFSTAT", m.mefstat11),
                  ("NB_OPT_OBLIG", "1" if m.level == 6 else "2"), ("NB_OPT_MINI", "1" if m.level == 6 else "2"),
                  ("DATE_OUVERTURE", "01/09/2016"), ("DATE_FERMETURE", "31/12/9999")])
        w.close()
    w.close().open("MATIERES")
    for s in est.subjects.values():
        w.open("MATIERE", [("CODE_MATIERE", s.code)])
        w.leaves([("CODE_GESTION", s.gestion), ("LIBELLE_COURT", s.short), ("LIBELLE_LONG", s.long),
                  ("LIBELLE_EDITION", s.edition), ("MATIERE_ETP", "0")])
        w.close()
    w.close().open("PROGRAMMES")
    for level, hours in catalog.DIVISION_HOURS.items():
        mef = catalog.MEFS[level][0]
        rows = [(code, "S", h) for code, h in hours.items()]
        first, second, h = catalog.HALF_PAIRS[level]
        rows += [(first, "S", h), (second, "S", h)]
        if level != 6:
            rows += [(catalog.ESP2, "O", catalog.LV2_HOURS), (catalog.ALL2, "O", catalog.LV2_HOURS),
                     (catalog.LATIN, "F", catalog.LATIN_HOURS[level])]
        for code, modality, h in rows:
            w.open("PROGRAMME").leaves([("CODE_MEF", mef), ("CODE_MATIERE", code),
                                        ("CODE_MODALITE_ELECT", modality), ("HORAIRE", f"{h:.2f}")]).close()
    w.close()
    for section, item, attr, rows in _CODE_LISTS:
        w.open(section)
        for code, short, long_ in rows:
            w.open(item, [(attr, code)]).leaves([("LIBELLE_COURT", short), ("LIBELLE_LONG", long_)]).close()
        w.close()
    w.open("NIVEAUX_RESPONSABILITE")
    for code, short, long_ in (("1", "LEGAL", "REPRESENTANT LEGAL"), ("2", "EN CHARGE", "PERSONNE EN CHARGE DE L'ELEVE"),
                               ("3", "CONTACT", "PERSONNE A CONTACTER")):
        w.open("N_NIVEAU_RESPONSABILITE", [("NIVEAU_RESPONSABILITE", code)])
        w.leaves([("LIBELLE_COURT", short), ("LIBELLE_LONG", long_)]).close()
    w.close().close().close()
    return w.save(path)


def _archive(path: Path) -> Path:
    """Put ``path`` alone in ``ExportXML_<Nom>.zip`` as SIECLE delivers it; remove the XML."""
    target = path.with_name(f"ExportXML_{path.stem}.zip")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(path.name, date_time=(2000, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, path.read_bytes())
    path.unlink()
    return target


#: Rules that read the pupils' STRUCTURES section (their ``requires_sections``): a file
#: without it is not judged by them.
#: Rules that only examine pupils placed in a division, which only STRUCTURES gives.
NEEDS_STRUCTURES = ("SIE-DIV-001", "SIE-SORTIE-001", "X-SIE-EDT-001", "X-SIE-EDT-002", "X-SIE-EDT-003",
                    "X-SIE-EDT-004", "X-SIE-EDT-005", "X-SIE-EDT-006")


def _partial(truth: GroundTruth, section: str, files: list[str]) -> None:
    """A section left out: one ENTREE-PARTIEL per file, and the findings of the rules that
    need the section are no longer due (they skip the file)."""
    for rule in NEEDS_STRUCTURES if section == "STRUCTURES" else ():
        for f in [f for f in truth.findings if f.rule == rule]:
            truth.remove(f.rule, f.kind, f.id)
    for name in files:
        truth.add("ENTREE-PARTIEL", "file", name, defect=f"forme.sans-{section.lower()}",
                  detail=f"section {section} absente")


def write(est: Establishment, out_dir: Path, truth: GroundTruth) -> list[Path]:
    """Write the four SIECLE files (see the module docstring).

    With ``est.flags["archives"]`` each file is put in its ``ExportXML_<Nom>.zip``,
    as downloaded from SIECLE (the export id is then ``ExportXML_<Nom>.zip!<Nom>.xml``).
    """
    stale_year = est.flags.get("siecle.nomenclature_annee")
    shape = shape_of(est.flags)
    paths = [write_eleves(est, out_dir / FILES["eleves" if kind == "sans" else "eleves-avec"], addresses=kind == "avec")
             for kind in shape.eleves]
    with_addresses = shape.responsables == "avec"
    paths += [
        write_responsables(est, out_dir / FILES["responsables" if with_addresses else "responsables-sans"],
                           addresses=with_addresses),
        write_structures(est, out_dir / FILES["structures"]),
        write_nomenclature(est, out_dir / FILES["nomenclature"], year=stale_year),
    ]
    if shape.missing_section:
        _partial(truth, shape.missing_section, [p.name for p in paths[:len(shape.eleves)]])
    if len(shape.eleves) > 1:  # one export in two shapes: the richer is read, and the audit says so
        truth.add("ENTREE-DOUBLON", "file", str(out_dir / FILES["eleves-avec"]), defect="forme.deux-formes",
                  detail="même export des élèves sous deux formes")
    nomenclature_id = FILES["nomenclature"]
    if est.flags.get("archives"):
        paths = [_archive(p) for p in paths]
        nomenclature_id = f"{paths[-1].name}!{FILES['nomenclature']}"
    if stale_year:
        truth.add("X-UAI-001", "export", nomenclature_id, defect="siecle.nomenclature-autre-annee",
                  detail=f"Nomenclature de l'année scolaire {stale_year}-{stale_year + 1}")
    return paths
