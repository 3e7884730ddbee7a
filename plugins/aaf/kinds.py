"""Entity kinds of the AAF family (``aaf_*``), every field typed and described in French."""

from __future__ import annotations

from scolint.engine.registry import Registries

_DATE = "date ISO AAAA-MM-JJ"
_PERSON = "entité (élève, responsable ou enseignant)"


def declare_aaf(registries: Registries) -> None:
    """Declare ``aaf_student``, ``aaf_guardian``, ``aaf_teacher`` and ``aaf_establishment``."""
    ent = registries.entities
    common = dict(
        jointure=("texte", "ENTPersonJointure (clé de l'AAF)"),
        operation=("texte", "opération : add, modify ou delete (addRequest…)"),
        last_name=("texte", "nom (sn)"), first_name=("texte", "prénom (givenName)"),
        civility=("texte", "civilité (personalTitle)"),
        birth_date=("texte", f"date de naissance ({_DATE})"),
    )
    ent.declare(
        "aaf_student", "Une fiche élève de l'AAF (ficAlimMENESR, catégorie Eleve).", ("aaf",), **common,
        ine=("texte", "INE (ENTEleveINE)"),
        siecle_id=("texte", "ELEVE_ID de SIECLE (ENTEleveStructRattachId)"),
        mef=("texte", "code MEF (ENTEleveMEF)"),
        structure=("texte", "jointure de l'établissement de rattachement (ENTPersonStructRattach)"),
        division_codes=("liste de textes", "classes (ENTEleveClasses, sans le préfixe de structure)"),
        group_codes=("liste de textes", "groupes (ENTEleveGroupes, sans le préfixe de structure)"),
        relative_jointures=("liste de textes", "jointures des responsables (ENTElevePersRelEleve, 1er champ)"),
        legal_relative_jointures=("liste de textes", "jointures des responsables légaux (respLégal 1 ou 2)"),
        legal_relatives=("liste d'entités aaf_guardian", "fiches AAF (PersRelEleve) des responsables légaux, "
                         "celles des fichiers audités : moins que legal_relative_jointures quand une fiche manque"),
        student=("entité student", "l'élève SIECLE (par ELEVE_ID, à défaut INE)"),
        person=(_PERSON, "la personne SIECLE rapprochée (= student)"),
    )
    ent.declare(
        "aaf_guardian", "Une fiche responsable de l'AAF (catégorie PersRelEleve).", ("aaf",), **common,
        birth_name=("texte", "nom de naissance (ENTPersonNomPatro) ; last_name est le nom d'usage (sn)"),
        email=("texte", "courriel (mail)"),
        student_jointures=("liste de textes", "jointures des élèves (ENTAuxPersRelEleveEleve, ou déduites des élèves)"),
        students=("liste d'entités aaf_student", "fiches élèves AAF de ses enfants"),
        guardian=("entité guardian", "le responsable SIECLE : même nom (sn ou ENTPersonNomPatro, contre "
                  "NOM_DE_FAMILLE ou NOM_USAGE) et prénom, et un enfant en commun ; rien si aucun ou plusieurs"),
        guardian_candidates=("liste d'entités guardian", "les responsables SIECLE qui pourraient être la fiche quand "
                             "plusieurs ont ce nom et un de ses enfants (rapprochement ambigu)"),
        person=(_PERSON, "la personne SIECLE rapprochée (= guardian)"),
    )
    ent.declare(
        "aaf_teacher", "Une fiche personnel de l'Éducation nationale de l'AAF (catégorie PersEducNat), "
        "enseignant ou non.", ("aaf",), **common,
        sts_id=("texte", "identifiant STS (ENTPersonSTSId, déprécié mais encore présent)"),
        functions=("liste de textes", "fonctions (ENTPersonFonctions, codes ENS, DIR, EDU…)"),
        is_teacher=("booléen", "a la fonction ENS"),
        class_subjects=("liste de textes", "couples « classe ou groupe$matière » (ENTAuxEnsClassesMatieres, "
                        "ENTAuxEnsGroupesMatieres), sans le préfixe de structure"),
        structure_codes=("liste de textes", "classes et groupes de la fiche (ENTAuxEnsClasses, "
                         "ENTAuxEnsClassesMatieres, ENTAuxEnsGroupes…), sans le préfixe de structure"),
        sts_structure_codes=("liste de textes", "classes et groupes des services STS actuels de l'enseignant rapproché"),
        teacher=("entité teacher", "l'enseignant STS (ENTPersonSTSId, à défaut nom et date de naissance)"),
        person=(_PERSON, "la personne STS rapprochée (= teacher)"),
    )
    ent.declare(
        "aaf_establishment", "Une structure de l'AAF (catégorie EtabEducNat).", ("aaf",),
        jointure=("texte", "ENTStructureJointure"), uai=("texte", "UAI (ENTStructureUAI)"),
        name=("texte", "nom courant (ENTStructureNomCourant)"), siren=("texte", "SIREN (ENTStructureSIREN)"),
        academy=("texte", "académie (ENTServAcAcademie)"), contract=("texte", "contrat (ENTEtablissementContrat)"),
        operation=("texte", "opération : add, modify ou delete"),
        file=("texte", "nom du fichier AAF qui porte la fiche"),
    )
