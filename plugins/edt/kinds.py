"""Entity kinds read from EDT's exports (``edt_*``), every field typed and described in French.

Sources: ``edt`` for the timetable export ExportEmploiDuTemps (format ``edt-export``),
``edt_sts`` for the remontée file EDT_STS (format ``edt-sts``), ``edt_chiffre`` for the
encrypted container. Link fields (``student``, ``teacher``, ``division``…) are set by
:mod:`scolint.plugins.edt.link` after every file is read.
"""

from __future__ import annotations

from scolint.engine.registry import Registries

_DATE = "date ISO AAAA-MM-JJ"
_BOTH = ("edt", "edt_sts")


def declare_kinds(registries: Registries) -> None:
    """Declare the ``edt_*`` kinds and the link fields EDT adds to SIECLE/STS kinds."""
    ent = registries.entities
    ent.declare(
        "edt_course", "Un cours d'EDT : un créneau hebdomadaire (ExportEmploiDuTemps, ou cours rattaché "
        "d'un service dans le fichier de remontée EDT_STS).", _BOTH,
        day=("entier", "jour de la semaine, 1 = lundi"),
        day_name=("texte", "jour en toutes lettres (lundi…)"),
        start=("texte", "heure de début HH:MM"),
        end=("texte", "heure de fin HH:MM (si la grille horaire la donne)"),
        duration=("entier", "durée en minutes"),
        first_place=("entier", "numéro de la première place de la grille (ExportEmploiDuTemps, 0 = première)"),
        places=("entier", "nombre de places de la grille (ExportEmploiDuTemps)"),
        weeks=("liste d'entiers", "numéros des semaines de cours (bit n de Semaines = semaine n, comptée depuis "
               "DatePremierJourSemaine1) ; rien pour EDT_STS, qui donne des dates"),
        week_dates=("liste de textes", f"premier jour de chaque semaine de cours ({_DATE})"),
        alternance=("texte", "code de l'alternance (EDT_STS : H, SA…)"),
        teachers=("liste d'entités edt_teacher", "professeurs du cours"),
        classes=("liste d'entités edt_class", "classes entières du cours"),
        groups=("liste d'entités edt_group", "groupes du cours"),
        class_parts=("liste d'entités edt_class_part", "parties de classe du cours"),
        subject=("entité edt_subject", "matière du cours (ExportEmploiDuTemps), ou rien"),
        subject_code=("texte", "code matière : code EDT (Matiere@Code) ou code STS à 6 chiffres (EDT_STS)"),
        rooms=("liste d'entités edt_room", "salles du cours"),
        room=("entité edt_room", "première salle du cours, ou rien"),
        service=("entité edt_service", "service EDT_STS auquel le cours est rattaché (EDT_STS)"),
        exported=("booléen", "statut d'export : faux pour « Ne pas exporter » ; rien quand le fichier ne le "
                  "dit pas (ni ExportEmploiDuTemps ni EDT_STS ne le portent)"),
        complex_specified=("booléen", "cours complexe précisé ; rien quand le fichier ne le dit pas (aucun "
                           "export public ne le porte : voir docs/formats-edt.md pour l'inférence)"),
    )
    ent.declare(
        "edt_teacher", "Un professeur d'EDT (Professeur d'ExportEmploiDuTemps, ou ENSEIGNANT/INDIVIDU d'EDT_STS, "
        "identifié alors par son identifiant STS).", _BOTH,
        last_name=("texte", "nom (Nom)"), first_name=("texte", "prénom (Prenom)"),
        birth_date=("texte", f"date de naissance ({_DATE})"), postal_code=("texte", "code postal"),
        sts_id=("texte", "identifiant STS-Web (IDSTS, ou ID dans EDT_STS)"),
        idpn=("texte", "identifiant PRONOTE (IDPN ou IdPN)"), idcas=("texte", "identifiant CAS (IDCAS)"),
        courses=("liste d'entités edt_course", "cours du professeur"),
        services=("liste d'entités edt_service", "services du professeur (EDT_STS)"),
        teacher=("entité teacher", "l'enseignant de STS-Web rapproché, ou rien"),
        subjects=("liste d'entités edt_subject", "matières de ses cours (ExportEmploiDuTemps)",
                  ("edt_course", "edt_service")),
        subject_codes=("liste de textes", "codes matière de ses cours et services (code EDT, ex. MATHS, ou code STS "
                       "à 6 chiffres dans EDT_STS)", ("edt_course", "edt_service", "edt_subject")),
        link=("texte", "clé du rapprochement avec STS-Web : IDSTS, nom, ou rien"),
    )
    ent.declare(
        "edt_student", "Un élève d'EDT (Eleve d'ExportEmploiDuTemps), identifié par son Ident EDT.", ("edt",),
        last_name=("texte", "nom"), first_name=("texte", "prénom"),
        birth_date=("texte", f"date de naissance ({_DATE})"), sex=("texte", "sexe : M ou F"),
        ine=("texte", "INE (NumeroNational = ID_NATIONAL de SIECLE)"),
        siecle_id=("texte", "identifiant SIECLE (IDSconet = ELEVE_ID)"),
        id_etab=("texte", "identifiant établissement (IDEtablissement = ID_ELEVE_ETAB)"),
        idpn=("texte", "identifiant PRONOTE (IDPN ou IdPN)"), idcas=("texte", "identifiant CAS (IDCAS)"),
        edt_class=("entité edt_class", "classe actuelle dans EDT, ou rien"),
        class_name=("texte", "nom de la classe actuelle dans EDT"),
        classes=("liste d'entités edt_class", "classes actuelles (appartenance non terminée)"),
        past_classes=("liste d'entités edt_class", "classes quittées (DateSortie avant la fin de l'année)"),
        class_parts=("liste d'entités edt_class_part", "parties de classe actuelles"),
        groups=("liste d'entités edt_group", "groupes actuels (par les classes et parties de classe)"),
        group_names=("liste de textes", "noms des groupes actuels"),
        memberships=("liste de dictionnaires", "appartenances lues : kind (classe/partie), id, entry, exit, current"),
        guardians=("liste d'entités edt_guardian", "responsables de l'élève dans EDT"),
        student=("entité student", "l'élève de SIECLE rapproché, ou rien"),
        link=("texte", "clé du rapprochement avec SIECLE : IDSconet, INE, nom+naissance, ou rien"),
        class_matches=("booléen", "l'élève est rapproché d'un élève de SIECLE et sa classe actuelle dans EDT est sa "
                       "division dans SIECLE (même code)"),
    )
    ent.declare(
        "edt_guardian", "Un responsable d'élève d'EDT (Responsable d'un Eleve d'ExportEmploiDuTemps).", ("edt",),
        last_name=("texte", "nom"), first_name=("texte", "prénom"), civility=("texte", "civilité"),
        legal_rank=("texte", "rang de responsable légal (RespLegal : 1 ou 2) quand il est le même pour tous ses "
                             "élèves, sinon rien"),
        legal_ranks=("liste de textes", "rang de responsable légal (RespLegal) pour chacun de ses élèves, dans "
                                        "l'ordre de students"),
        idpn=("texte", "identifiant PRONOTE"), idcas=("texte", "identifiant CAS"),
        students=("liste d'entités edt_student", "élèves dont il est responsable"),
    )
    ent.declare(
        "edt_class", "Une classe d'EDT (Classe d'ExportEmploiDuTemps, ou DIVISION d'EDT_STS).", _BOTH,
        name=("texte", "nom de la classe (Nom, ou CODE dans EDT_STS)"),
        parts=("liste d'entités edt_class_part", "parties de classe"),
        students=("liste d'entités edt_student", "élèves actuels ; rien si le fichier ne donne pas les élèves"),
        groups=("liste d'entités edt_group", "groupes formés avec cette classe ou ses parties"),
        courses=("liste d'entités edt_course", "cours de la classe (entière)"),
        all_courses=("liste d'entités edt_course", "tous les cours de la classe : classe entière, ses groupes et ses "
                     "parties de classe (vide : la classe n'a aucun cours dans le fichier)"),
        services=("liste d'entités edt_service", "services rattachés (EDT_STS)"),
        division=("entité division", "la division de SIECLE (à défaut STS) de même code, ou rien"),
    )
    ent.declare(
        "edt_class_part", "Une partie de classe d'EDT (PartieDeClasse d'ExportEmploiDuTemps).", ("edt",),
        edt_class=("entité edt_class", "classe à laquelle la partie appartient, ou rien"),
        students=("liste d'entités edt_student", "élèves actuels ; rien si le fichier ne donne pas les élèves"),
        groups=("liste d'entités edt_group", "groupes qui contiennent cette partie"),
    )
    ent.declare(
        "edt_group", "Un groupe d'EDT (Groupe d'ExportEmploiDuTemps, ou GROUPE d'EDT_STS).", _BOTH,
        name=("texte", "nom du groupe (Nom, ou CODE dans EDT_STS)"),
        classes=("liste d'entités edt_class", "classes du groupe (entières, ou par leurs parties)"),
        whole_classes=("liste d'entités edt_class", "classes entières du groupe (élément Classe du Groupe)"),
        class_names=("liste de textes", "noms de ces classes (EDT_STS : DIVISIONS_APPARTENANCE)"),
        parts=("liste d'entités edt_class_part", "parties de classe du groupe"),
        students=("liste d'entités edt_student", "élèves actuels ; rien si le fichier ne donne pas les élèves"),
        courses=("liste d'entités edt_course", "cours du groupe"),
        services=("liste d'entités edt_service", "services rattachés (EDT_STS)"),
        group=("entité group", "le groupe de SIECLE (à défaut STS) de même code, ou rien ; à défaut, celui dont le "
               "code est le nom qu'EDT transmet à STSWEB (caractères refusés retirés, coupé à 8 caractères), si aucun "
               "autre groupe d'EDT ne porte ce code"),
        nested=("booléen", "EDT_STS : groupe écrit dans STRUCTURE/DIVISIONS au lieu de STRUCTURE/GROUPES"),
        sts=("entité group", "ExportEmploiDuTemps : le groupe de STS-Web (GROUPES de sts_emp) de même code, ou dont le "
             "code est le nom qu'EDT transmet à STSWEB, ou rien"),
        remontee=("entité edt_group", "ExportEmploiDuTemps : le groupe du fichier de remontée EDT_STS de même code, "
                  "ou dont le code est le nom qu'EDT transmet à STSWEB, ou rien"),
    )
    ent.declare(
        "edt_subject", "Une matière d'EDT (Matiere d'ExportEmploiDuTemps).", ("edt",),
        code=("texte", "code EDT (souvent le code de gestion : FRANC, MATHS…)"), label=("texte", "libellé"),
        subject=("entité subject", "matière de la nomenclature STS (à défaut SIECLE) de même code de gestion"),
    )
    ent.declare("edt_room", "Une salle d'EDT.", _BOTH, name=("texte", "nom ou code de la salle"),
                declared=("booléen", "déclarée dans la liste des salles (SALLES_COURS d'EDT_STS, Salles "
                          "d'ExportEmploiDuTemps), et pas seulement nommée par un cours"),
                courses=("liste d'entités edt_course", "cours rattachés qui ont lieu dans cette salle (EDT_STS)"))
    ent.declare(
        "edt_alternance", "Une alternance du fichier de remontée EDT_STS (ALTERNANCE : les semaines d'un rythme de "
        "cours, H pour hebdomadaire), identifiée par son CODE.", ("edt_sts",),
        code=("texte", "code de l'alternance (ALTERNANCE@CODE)"),
        weeks=("liste de textes", "premiers jours des semaines (DATE_DEBUT_SEMAINE, dates ISO AAAA-MM-JJ)"),
        first_week=("texte", "la plus ancienne de ces dates, ou rien"),
        last_week=("texte", "la plus récente de ces dates, ou rien"),
        year=("nombre", "année scolaire du fichier (PARAMETRES/ANNEE_SCOLAIRE : 2018 pour 2018-2019)"),
        year_start=("texte", "premier jour de l'année scolaire (1er septembre, date ISO), ou rien"),
        year_end=("texte", "dernier jour de l'année scolaire (31 août suivant, date ISO), ou rien"),
        first_week_start=("texte", "premier jour le plus tôt d'une semaine qui touche encore l'année scolaire "
                          "(6 jours avant le 1er septembre, date ISO), ou rien"),
    )
    ent.declare(
        "edt_service", "Un service du fichier de remontée EDT_STS : un enseignant × une classe ou un groupe × "
        "une matière × une modalité ; identifiant comme un service STS.", ("edt_sts",),
        teacher_id=("texte", "ENSEIGNANT@ID (identifiant STS-Web)"),
        teacher=("entité edt_teacher", "le professeur dans EDT_STS"),
        structure_code=("texte", "code de la division ou du groupe"),
        structure_type=("texte", "division ou group"),
        structure=("entité edt_class ou edt_group", "la structure dans EDT_STS"),
        subject_code=("texte", "code matière (SERVICE@CODE_MATIERE)"),
        mod=("texte", "modalité de cours (CODE_MOD_COURS)"),
        hours=("nombre", "heures de l'enseignant (HEURES_AGENT, à défaut HEURES_STRUCTURE)"),
        co_teaching=("booléen", "co-enseignement (CO_ENS)"),
        courses=("liste d'entités edt_course", "cours rattachés"),
        service=("entité service", "le service de STS-Web de même identifiant, ou rien"),
        subject=("entité subject", "la matière de la nomenclature STS-Web, ou rien si elle n'y est pas"),
    )
    ent.declare(
        "edt_container", "Un export EDT/PRONOTE chiffré (conteneur EXPORT_INDEX_EDUCATION) : illisible sans la "
        "clé privée d'un partenaire.", ("edt_chiffre",),
        partners=("liste de textes", "partenaires pour lesquels le contenu est chiffré (CLES/PARTENAIRE@NOM)"),
        software=("texte", "logiciel et version (LOGICIEL)"), version=("texte", "version du conteneur"),
        exported_at=("texte", "date et heure de l'export (DATEHEURE)"), uai=("texte", "UAI"),
        school_name=("texte", "nom de l'établissement"), city=("texte", "code postal et ville"),
        compressed=("booléen", "contenu compressé avant chiffrement"),
    )
    ent.declare("student", edt=("entité edt_student", "l'élève rapproché dans l'export EDT, ou rien"))
    ent.declare("teacher", edt=("entité edt_teacher", "le professeur rapproché dans ExportEmploiDuTemps, ou rien"),
                edt_sts=("entité edt_teacher", "le professeur rapproché dans le fichier de remontée EDT_STS, ou rien"))
    ent.declare("division", edt=("entité edt_class", "la classe d'EDT de même nom, ou rien"))
    ent.declare("group", edt=("entité edt_group", "le groupe d'EDT de même nom, ou rien"))
    ent.declare("service", edt=("entité edt_service", "le service du fichier EDT_STS de même identifiant, ou rien"))
