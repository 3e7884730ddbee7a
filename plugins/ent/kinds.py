"""Entity kinds of the ENT, PRONOTE and AAF plugins, every field typed and described in French.

Kept apart so the loaders stay short; ``scolint entities`` and ``scolint rules lint`` read
these declarations. No field ever holds an ENT code or password.
"""

from __future__ import annotations

from scolint.engine.registry import Registries

_DATE = "date ISO AAAA-MM-JJ"
_PERSON = "entité (élève, responsable ou enseignant)"
_PROFILE = "profil : eleve, responsable, enseignant, personnel (autre si inconnu)"


def declare_ent(registries: Registries) -> None:
    """Declare ``ent_account``."""
    registries.entities.declare(
        "ent_account", "Un compte du fichier des identifiants ENT (ENT-Identifiants-<UAI>.csv), "
        "identifié par son identifiant de connexion (login). Le code n'est jamais conservé.", ("ent",),
        login=("texte", "identifiant de connexion à l'ENT"),
        uid=("texte", "UID du compte (clé de l'authentification unique), ou Id d'Open ENT NG"),
        uai=("texte", "UAI (RNE) indiqué sur la ligne"),
        profile=("texte", _PROFILE),
        profile_label=("texte", "profil lu, après la table « valeurs » du profil de colonnes (valeur brute si "
                       "elle n'y figure pas)"),
        last_name=("texte", "nom"), first_name=("texte", "prénom"),
        division_code=("texte", "classe indiquée sur la ligne"),
        jointure=("texte", "clé de jointure AAF (ENTPersonJointure)"),
        siecle_id=("texte", "ELEVE_ID de SIECLE quand le fichier le donne (« Id Siecle »)"),
        idpn=("texte", "identifiant PRONOTE quand la disposition du fichier le donne"),
        birth_date=("texte", f"date de naissance quand le fichier la donne ({_DATE})"),
        layout=("texte", "profil de colonnes CSV qui a lu le fichier (plugins/common/profiles)"),
        code_present=("booléen", "un code (mot de passe initial) figure sur la ligne"),
        code_changed=("booléen", "le code a été changé par l'utilisateur ({SHA}…, « modifié par l'utilisateur ») : "
                      "il n'y a rien à lui envoyer"),
        parent_uids=("liste de textes", "UID des responsables indiqués sur une ligne d'élève"),
        parent_names=("liste de textes", "responsables indiqués par leur nom (« Parent(s) »)"),
        child_names=("liste de textes", "enfants indiqués sur une ligne de responsable (prénom nom)"),
        parents=("liste d'entités ent_account", "comptes des responsables (par leur UID)"),
        children=("liste d'entités ent_account", "comptes des enfants (lignes d'élèves qui citent cet UID)"),
        person=(_PERSON, "la personne SIECLE ou STS rapprochée, ou rien"),
        person_candidates=("liste d'entités", "personnes possibles quand le rapprochement est ambigu"),
        match=("texte", "comment la personne a été trouvée : jointure, id-siecle, nom+naissance, nom+enfant, "
               "nom+classe, nom ; vide sinon"),
        student=("entité student", "l'élève SIECLE rapproché (profil élève)"),
        guardian=("entité guardian", "le responsable SIECLE rapproché (profil responsable)"),
        teacher=("entité teacher", "l'enseignant ou personnel STS rapproché"),
        aaf=("entité (fiche AAF)", "la fiche AAF de même jointure, ou rien"),
        pronote=("entité pronote_identifier", "l'identifiant PRONOTE rapproché quand il n'y en a qu'un"),
        pronote_candidates=("liste d'entités pronote_identifier", "identifiants PRONOTE qui correspondent au compte"),
    )


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
        student=("entité student", "l'élève SIECLE (par ELEVE_ID, à défaut INE)"),
        person=(_PERSON, "la personne SIECLE rapprochée (= student)"),
    )
    ent.declare(
        "aaf_guardian", "Une fiche responsable de l'AAF (catégorie PersRelEleve).", ("aaf",), **common,
        email=("texte", "courriel (mail)"),
        student_jointures=("liste de textes", "jointures des élèves (ENTAuxPersRelEleveEleve, ou déduites des élèves)"),
        students=("liste d'entités aaf_student", "fiches élèves AAF de ses enfants"),
        guardian=("entité guardian", "le responsable SIECLE (nom et enfant)"),
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
