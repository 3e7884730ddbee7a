"""Nomenclature data of the generated collège: MEFs, subjects, weekly hours.

Codes have the shape of the national nomenclature (MEF: 11 digits, subject: 6
characters) and, for the common subjects, the values seen in the real nomenclature
sample (e.g. 020700 FRANCAIS, 061300 MATHEMATIQUES). Hours are whole hours so that
the generated timetable can match the services exactly.
"""

from __future__ import annotations

from .model import Mef, Subject

#: level -> (code MEF, formation, libellé long, libellé édition, MEFSTAT11, MEFSTAT4)
MEFS: dict[int, tuple[str, str, str, str, str, str]] = {
    6: ("10010012110", "6EME", "6EME", "6ème", "21110010012", "2111"),
    5: ("10110001110", "5EME", "5EME", "5ème", "21120010001", "2112"),
    4: ("10210001110", "4EME", "4EME", "4ème", "21130010001", "2113"),
    3: ("10310019110", "3EME", "3EME", "3ème", "21160010019", "2116"),
}

#: level -> age reached during the calendar year of the rentrée by a pupil who never
#: repeated (a 6e pupil of rentrée 2024 was born in 2013: 11 in 2024). Repeaters are one
#: year older (6e 11-12, 3e 14-15; a lycée 2nde would be 15-16).
AGE: dict[int, int] = {6: 11, 5: 12, 4: 13, 3: 14}

#: code -> (gestion, libellé court, libellé long, édition, discipline STS, libellé discipline)
SUBJECTS: dict[str, tuple[str, str, str, str, str, str]] = {
    "020700": ("FRANC", "FRANCAIS", "FRANCAIS", "Français", "L0202", "LET MODERN"),
    "061300": ("MATHS", "MATHEMATIQUES", "MATHEMATIQUES", "Mathématiques", "L1300", "MATHEMATIQ"),
    "043700": ("HI-GE", "HISTOIRE-GEOGRAPHIE", "HISTOIRE-GEOGRAPHIE", "Histoire-géographie", "L1000", "HIST. GEOG."),
    "030201": ("AGL1", "ANGLAIS LV1", "ANGLAIS LV1", "Anglais LV1", "L0422", "ANGLAIS"),
    "030602": ("ESP2", "ESPAGNOL LV2", "ESPAGNOL LV2", "Espagnol LV2", "L0426", "ESPAGNOL"),
    "030102": ("ALL2", "ALLEMAND LV2", "ALLEMAND LV2", "Allemand LV2", "L0421", "ALLEMAND"),
    "062300": ("PH-CH", "PHYSIQUE-CHIMIE", "PHYSIQUE-CHIMIE", "Physique-chimie", "L1500", "PHY.CHIMIE"),
    "062900": ("SVT", "SCIENCES VIE & TERRE", "SCIENCES DE LA VIE ET DE LA TERRE", "Sciences de la vie et de la terre", "L1600", "SC.VIE TER"),  # noqa: E501
    "070200": ("TECHN", "TECHNOLOGIE", "TECHNOLOGIE", "Technologie", "L1400", "TECHNOLOGI"),
    "090100": ("A-PLA", "ARTS PLASTIQUES", "ARTS PLASTIQUES", "Arts plastiques", "L1800", "ARTS PLAST"),
    "083100": ("ED-MU", "EDUCATION MUSICALE", "EDUCATION MUSICALE", "Éducation musicale", "L1700", "EDU MUSIC."),
    "100100": ("EPS", "ED.PHYSIQUE & SPORT.", "EDUCATION PHYSIQUE ET SPORTIVE", "Éducation physique et sportive", "L1900", "EPS"),
    "020300": ("LCALA", "LCA LATIN", "LANGUES ET CULTURES DE L'ANTIQUITE LATIN", "LCA latin", "L0201", "LET CLASS."),
}

FRANC, MATHS, HG, AGL1, ESP2, ALL2 = "020700", "061300", "043700", "030201", "030602", "030102"
PHCH, SVT, TECHNO, ARTS, MUSIC, EPS, LATIN = "062300", "062900", "070200", "090100", "083100", "100100", "020300"

#: Whole-division hours by level (subject -> hours a week).
DIVISION_HOURS: dict[int, dict[str, int]] = {
    6: {FRANC: 5, MATHS: 4, HG: 3, AGL1: 4, EPS: 4, ARTS: 1, MUSIC: 1, PHCH: 1},
    5: {FRANC: 4, MATHS: 4, HG: 3, AGL1: 3, EPS: 3, ARTS: 1, MUSIC: 1, PHCH: 1},
    4: {FRANC: 4, MATHS: 4, HG: 3, AGL1: 3, EPS: 3, ARTS: 1, MUSIC: 1, PHCH: 2},
    3: {FRANC: 4, MATHS: 4, HG: 3, AGL1: 3, EPS: 3, ARTS: 1, MUSIC: 1, PHCH: 2},
}

#: Half-class pairs: each hour, half 1 has the first subject while half 2 has the
#: second, then they swap (so each half gets ``hours`` of each).
HALF_PAIRS: dict[int, tuple[str, str, int]] = {
    6: (SVT, TECHNO, 1),
    5: (SVT, TECHNO, 1),
    4: (SVT, TECHNO, 1),
    3: (SVT, TECHNO, 1),
}

#: Second language hours (levels 5 to 3) and Latin option hours.
LV2_HOURS = 2
LATIN_HOURS: dict[int, int] = {5: 1, 4: 2, 3: 2}

#: Weekly hours of a full-time teacher (certifié) and the most a teacher is given.
FULL_TIME = 18.0
MAX_HOURS = 21.0

#: Other staff of the STS file: (function, grade, discipline, discipline label).
STAFF: tuple[tuple[str, str, str, str], ...] = (
    ("DIR", "PERDIR 1C", "P0010", "DIRECTION"),
    ("DIR", "PERDIR 2C", "P0010", "DIRECTION"),
    ("EDU", "CPE CL N", "L0040", "C.P.E."),
    ("DOC", "CERT. CL N", "L0100", "DOCUMENTAT"),
)

#: Grades of teachers (epp) and of contract teachers (local).
GRADES_EPP: tuple[str, ...] = ("CERT. CL N", "CERT. HCL", "AGREGE CL N", "CERT. CL EX", "PEGC CL EX")
GRADE_LOCAL = "CONTRACT. CDD"


def make_mefs() -> dict[str, Mef]:
    """The MEFs of a collège, by code."""
    out = {}
    for level, (code, formation, label, edition, stat11, stat4) in MEFS.items():
        out[code] = Mef(code, formation, label, edition, stat11, stat4, level)
    return out


def make_subjects() -> dict[str, Subject]:
    """The subjects taught, by code."""
    return {code: Subject(code, g, s, long_, ed, disc, disc_label)
            for code, (g, s, long_, ed, disc, disc_label) in SUBJECTS.items()}
