"""Entity kinds of the ENT family (``ent_account``), every field typed and described in French."""

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
               "nom+classe, nom+sorti (élève sorti que SIECLE ne met plus dans une classe), nom ; vide sinon"),
        student=("entité student", "l'élève SIECLE rapproché (profil élève)"),
        guardian=("entité guardian", "le responsable SIECLE rapproché (profil responsable)"),
        teacher=("entité teacher", "l'enseignant ou personnel STS rapproché"),
        aaf=("entité (fiche AAF)", "la fiche AAF de même jointure, ou rien"),
        pronote=("entité pronote_identifier", "l'identifiant PRONOTE rapproché quand il n'y en a qu'un"),
        pronote_candidates=("liste d'entités pronote_identifier", "identifiants PRONOTE qui correspondent au compte"),
        person_pronote=("liste d'entités pronote_identifier", "identifiants PRONOTE que l'export EDT ou l'export des "
                        "identifiants PRONOTE donnent à la personne du compte (rapprochement sans ambiguïté), quel "
                        "que soit l'identifiant porté par le compte"),
        idpn_owner=(_PERSON, "la personne à qui PRONOTE ou EDT donnent l'identifiant "
                    "PRONOTE porté par le compte (colonne idpn) quand ce n'est pas la personne du compte ; rien "
                    "sinon"),
        colleague_pronote=("entité pronote_identifier", "compte enseignant portant l'identifiant PRONOTE d'un(e) "
                           "collègue enseignant(e) alors que PRONOTE et EDT n'en donnent aucun à sa personne : "
                           "remplacement ponctuel probable (tutoriel, « Pas d'identifiant PRONOTE (1/5) ») ; rien "
                           "sinon"),
    )
    declare_person_relations(registries)


def declare_person_relations(registries: Registries) -> None:
    """The relations from a SIECLE/STS person to its ENT, PRONOTE and AAF records
    (filled by plugins/common/people.py, ``person_relations``)."""
    ent = registries.entities
    for kind, aaf_kind, who in (("student", "aaf_student", "l'élève"), ("guardian", "aaf_guardian", "le responsable"),
                                ("teacher", "aaf_teacher", "la personne")):
        ent.declare(
            kind,
            ent_accounts=("liste d'entités ent_account", f"comptes du fichier des identifiants ENT rapprochés de {who} "
                          "(vide : aucun compte ; plusieurs : doublons)"),
            pronote_identifiers=("liste d'entités pronote_identifier", f"identifiants PRONOTE rapprochés de {who} "
                                 "sans ambiguïté (export PRONOTE des identifiants ou IDPN de l'export EDT)"),
            aaf=(f"entité {aaf_kind}", f"la fiche AAF rapprochée de {who}, ou rien"),
        )
    ent.declare("guardian", pronote_guardians=(
        "liste d'entités pronote_guardian", "lignes de l'export PRONOTE des responsables rapprochées de ce responsable "
        "(une par enfant ; espace_parents dit s'il est autorisé à l'Espace Parents)"))
