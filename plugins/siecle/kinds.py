"""Entity kinds read from SIECLE, with every field typed and described in French.

Kept apart from :mod:`scolint.plugins.siecle` so the loader stays short; ``scolint
entities`` and ``scolint rules lint`` read these declarations.
"""

from __future__ import annotations

from scolint.engine.registry import Registries

_DATE = "date ISO AAAA-MM-JJ"


def declare_kinds(registries: Registries) -> None:
    """Declare (or extend) student, guardian, division, group, mef and subject."""
    ent = registries.entities
    ent.declare(
        "student", "Un élève de SIECLE (export BEE_ELEVES), identifié par son ELEVE_ID.", ("siecle",),
        ine=("texte", "INE (ID_NATIONAL, à défaut INE_RNIE ou INE_BEA)"),
        elenoet=("texte", "numéro ELENOET (attribut de ELEVE, à défaut l'élément ELENOET)"),
        id_etab=("texte", "identifiant de l'élève dans l'établissement (ID_ELEVE_ETAB)"),
        last_name=("texte", "nom de famille (NOM_DE_FAMILLE)"),
        usage_name=("texte", "nom d'usage (NOM_USAGE)"),
        first_name=("texte", "prénom (PRENOM)"),
        birth_date=("texte", f"date de naissance ({_DATE})"),
        sex=("texte", "sexe : M ou F (CODE_SEXE 1 ou 2)"),
        mef=("texte", "code MEF de l'élève (CODE_MEF, 11 caractères)"),
        status=("texte", "statut (CODE_STATUT : ST, AP…)"),
        address_id=("texte", "identifiant de l'adresse de l'élève (ADRESSE_ID, exports « avec adresses » et certains extraits)"),
        division=("entité division", "(première) division (classe) de l'élève dans SIECLE, ou rien"),
        division_code=("texte", "code de la (première) division (STRUCTURE de type D)"),
        divisions=("liste d'entités division", "toutes les divisions de l'élève dans SIECLE (plusieurs STRUCTURE "
                   "de type D : un élève inscrit dans deux classes les garde toutes) ; « division » est la première"),
        division_codes=("liste de textes", "codes de toutes les divisions de l'élève"),
        groups=("liste d'entités group", "groupes de l'élève dans SIECLE"),
        group_codes=("liste de textes", "codes des groupes (STRUCTURE de type G)"),
        entry_date=("texte", f"date d'entrée dans l'établissement ({_DATE})"),
        exit_date=("texte", f"date de sortie DATE_SORTIE ({_DATE}), vide si l'élève est présent"),
        left=("booléen", "l'élève est sorti : DATE_SORTIE renseignée et antérieure ou égale à la date d'export"),
        guardians=("liste d'entités guardian", "tous les responsables de l'élève (export BEE_RESPONSABLES)"),
        legal_guardians=("liste d'entités guardian",
                         "responsables légaux : NIVEAU_RESPONSABILITE 1, ou RESP_LEGAL 1 ou 2 (ancien modèle)"),
        ent_accounts=("liste d'entités ent_account", "comptes du fichier des identifiants ENT rapprochés de l'élève"),
        ent_candidates=("liste d'entités ent_account", "comptes ENT qui pourraient être l'élève (rapprochement ambigu)"),
    )
    ent.declare(
        "guardian", "Un responsable d'élève de SIECLE (export BEE_RESPONSABLES), identifié par son PERSONNE_ID.",
        ("siecle",),
        civility=("texte", "civilité (LC_CIVILITE : M., MME)"),
        last_name=("texte", "nom de famille (NOM_DE_FAMILLE, ou NOM dans les anciens exports)"),
        usage_name=("texte", "nom d'usage (NOM_USAGE)"),
        first_name=("texte", "prénom (PRENOM)"),
        email=("texte", "adresse électronique (MEL)"),
        phone_mobile=("texte", "téléphone portable (TEL_PORTABLE)"),
        phone_home=("texte", "téléphone personnel (TEL_PERSONNEL)"),
        address_id=("texte", "identifiant de l'adresse (ADRESSE_ID), partagé par les personnes d'un même foyer"),
        address=("texte", "adresse en clair (lignes, code postal, commune) si le fichier a les ADRESSES"),
        students=("liste d'entités student", "élèves dont la personne est responsable"),
        present_students=("liste d'entités student", "ceux de ces élèves qui ne sont pas sortis"),
        legal=("booléen", "responsable légal d'au moins un élève"),
        ent_accounts=("liste d'entités ent_account", "comptes du fichier des identifiants ENT rapprochés du responsable"),
        ent_candidates=("liste d'entités ent_account", "comptes ENT qui pourraient être le responsable (ambigu)"),
        links=("liste de dictionnaires",
               "un lien par élève : student_id, level (NIVEAU_RESPONSABILITE), relation (CODE_PARENTE), "
               "resp_legal (RESP_LEGAL, ancien modèle), legal (booléen), line"),
    )
    ent.declare(
        "division", "Une division (classe), lue dans SIECLE ou dans STS-Web ; identifiant = code.", ("siecle",),
        code=("texte", "code de la division (espaces internes conservés, ex. « 3 A »)"),
        label=("texte", "libellé (LIBELLE_LONG), si l'export le donne"),
        students=("liste d'entités student", "élèves de la division (SIECLE)"),
        groups=("liste d'entités group", "groupes rattachés à la division (DIVISIONS_APPARTENANCE)"),
        mefs=("liste de textes", "codes MEF de la division (MEFS_APPARTENANCE)"),
    )
    ent.declare(
        "group", "Un groupe (langues, options, demi-classes), lu dans SIECLE ou dans STS-Web ; identifiant = code.",
        ("siecle",),
        code=("texte", "code du groupe"),
        label=("texte", "libellé (LIBELLE_LONG), si l'export le donne"),
        divisions=("liste de textes", "codes des divisions d'appartenance"),
        mefs=("liste de textes", "codes MEF d'appartenance"),
        students=("liste d'entités student", "élèves du groupe (SIECLE)"),
    )
    ent.declare(
        "mef", "Un MEF (module élémentaire de formation) des nomenclatures SIECLE ou STS ; identifiant = code.",
        ("siecle",),
        code=("texte", "code MEF (11 caractères)"),
        label=("texte", "libellé long"),
        edition_label=("texte", "libellé d'édition"),
        formation=("texte", "formation (ex. 3EME)"),
    )
    ent.declare(
        "subject", "Une matière des nomenclatures SIECLE ou STS ; identifiant = code matière (6 chiffres).",
        ("siecle",),
        code=("texte", "code matière (6 chiffres)"),
        management_code=("texte", "code de gestion (CODE_GESTION, ex. FRANC)"),
        short_label=("texte", "libellé court"),
        label=("texte", "libellé long"),
    )
