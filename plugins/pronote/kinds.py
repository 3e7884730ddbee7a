"""Entity kinds of the PRONOTE family (``pronote_*``), every field typed and described in French."""

from __future__ import annotations

from scolint.engine.registry import Registries

_DATE = "date ISO AAAA-MM-JJ"
_PERSON = "entité (élève, responsable ou enseignant)"
_PROFILE = "profil : eleve, responsable, enseignant, personnel (autre si inconnu)"


def declare_pronote(registries: Registries) -> None:
    """Declare ``pronote_identifier`` and ``pronote_guardian``."""
    ent = registries.entities
    ent.declare(
        "pronote_identifier", "Un identifiant PRONOTE (IDPN) d'une personne, lu dans l'export des identifiants "
        "PRONOTE ou dans l'export EDT/PRONOTE pour l'ENT (ExportEmploiDuTemps).", ("pronote",),
        idpn=("texte", "identifiant PRONOTE (16 caractères d'ordinaire)"),
        profile=("texte", _PROFILE),
        last_name=("texte", "nom"), first_name=("texte", "prénom"),
        birth_date=("texte", f"date de naissance ({_DATE})"),
        division_code=("texte", "classe"),
        siecle_id=("texte", "ELEVE_ID (IDSconet) d'un élève"), ine=("texte", "INE d'un élève"),
        sts_id=("texte", "identifiant STS (IDSTS) d'un enseignant"), cas_id=("texte", "identifiant CAS"),
        child_names=("liste de textes", "enfants d'un responsable (prénom nom)"),
        child_ids=("liste de textes", "ELEVE_ID des enfants d'un responsable quand ils sont connus"),
        origins=("liste de textes", "exports où l'identifiant a été lu (pronote-identifiants, edt-export)"),
        person=(_PERSON, "la personne SIECLE ou STS rapprochée quand il n'y en a qu'une"),
        persons=("liste d'entités", "personnes SIECLE ou STS possibles (plusieurs : rapprochement ambigu)"),
        ent_accounts=("liste d'entités ent_account", "comptes ENT auxquels cet identifiant correspond"),
    )
    sources = ("pronote_identifier", "ent_account", "student", "guardian", "teacher")
    ent.declare(
        "pronote_person", "Une personne de SIECLE ou STS-Web à qui un export donne un identifiant PRONOTE, avec "
        "les identifiants de chaque export : export EDT/PRONOTE pour l'ENT (ExportEmploiDuTemps), export des "
        "identifiants PRONOTE, fichier des identifiants ENT quand sa disposition porte l'identifiant PRONOTE. "
        "Identifiant : eleve:ELEVE_ID, responsable:PERSONNE_ID ou personnel:identifiant STS.", ("pronote",),
        person=(_PERSON, "la personne SIECLE (élève, responsable) ou STS (enseignant, "
                "personnel)"),
        profile=("texte", "eleve, responsable ou personnel (enseignants compris)"),
        identifiers=("liste d'entités pronote_identifier", "identifiants PRONOTE rapprochés de la personne sans "
                     "ambiguïté (export EDT, export des identifiants PRONOTE)"),
        accounts=("liste d'entités ent_account", "comptes ENT de la personne qui portent un identifiant PRONOTE"),
        values=("liste de dict", "chaque identifiant PRONOTE distinct : idpn, exports (les exports qui le portent, "
                "avec le fichier ou le compte ENT), owner (la personne à qui PRONOTE ou EDT donnent cet identifiant "
                "quand un compte ENT de celle-ci le porte, sinon rien)", sources),
        idpns=("liste de textes", "les identifiants PRONOTE distincts, tous exports confondus (plus d'un : les exports "
               "ne s'accordent pas)", sources),
    )
    ent.declare(
        "pronote_guardian", "Un responsable d'élève dans PRONOTE avec son autorisation d'accès à l'Espace "
        "Parents (une ligne par élève et responsable).", ("pronote",),
        last_name=("texte", "nom du responsable"), first_name=("texte", "prénom du responsable"),
        student_last_name=("texte", "nom de l'élève"), student_first_name=("texte", "prénom de l'élève"),
        division_code=("texte", "classe de l'élève"),
        student_siecle_id=("texte", "ELEVE_ID de l'élève quand le fichier le donne"),
        rank=("texte", "rang du responsable (1, 2) tel qu'écrit"),
        espace_parents=("booléen", "« Est autorisé à accéder à l'Espace Parents » est coché"),
        idpn=("texte", "identifiant PRONOTE du responsable"),
        student=("entité student", "l'élève SIECLE rapproché"),
        guardian=("entité guardian", "le responsable SIECLE rapproché (nom et enfant)"),
    )
