"""Shapes of the exports: the layouts the real systems write, chosen per data set.

A :class:`Shape` says which files and which optional parts the writers produce; the
model (people, structures, timetable) and the defects do not depend on it, so the ground
truth of a seed is the same in every shape except where the shape itself is a problem
(a missing section). Every layout here is one a real export has (../shared/samples and
../shared/formats.md); docs/generateur.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    """What the writers produce.

    :param eleves: the pupils' files written: ``"sans"`` (ElevesSansAdresses.xml),
        ``"avec"`` (ElevesAvecAdresses.xml, with its ADRESSES section), or both: one export
        in two shapes, of the same date, as a school that downloaded both leaves them.
    :param responsables: ``"avec"`` (ResponsablesAvecAdresses.xml) or ``"sans"``
        (ResponsablesSansAdresses.xml: no ADRESSES section, no address text; the two
        guardians of one household share their ADRESSE_ID).
    :param optional_absent: leave out the optional elements the real files often lack
        (``ELEVE@ELENOET``, SCOLARITE_AN_DERNIER, PRENOM2, the guardians' MEL and
        TEL_PERSONNEL for one household in three, empty TEL_PROFESSIONNEL and LIGNE*_ADRESSE
        left out).
    :param sts_padded: the STS-Web export (sts_emp) with every text value on its own line,
        padded with spaces, as in every real sts_emp of the samples (the remontée file
        emp_sts is compact in all of them); ``None``: odd seeds only.
    :param missing_section: a section of the pupils' export left out (``"STRUCTURES"``, as
        in the reduced real extract ElevesSansStructures): one file-level finding.
    """

    name: str
    description: str
    eleves: tuple[str, ...] = ("sans",)
    responsables: str = "avec"
    optional_absent: bool = False
    sts_padded: bool | None = None
    missing_section: str | None = None

    def padded(self, seed: int) -> bool:
        return seed % 2 == 1 if self.sts_padded is None else self.sts_padded


SHAPES: dict[str, Shape] = {s.name: s for s in (
    Shape("standard", "ElevesSansAdresses et ResponsablesAvecAdresses ; valeurs STS sur leur propre ligne "
                      "pour les graines impaires (forme par défaut)."),
    Shape("avec-adresses", "ElevesAvecAdresses (section ADRESSES) et ResponsablesAvecAdresses.", eleves=("avec",)),
    Shape("sans-adresses", "ElevesSansAdresses et ResponsablesSansAdresses (sans texte d'adresse : les deux "
                           "responsables d'un foyer partagent leur ADRESSE_ID).", responsables="sans"),
    Shape("deux-formes", "Le même export des élèves sous ses deux formes, de la même date : ElevesSansAdresses "
                         "et ElevesAvecAdresses.", eleves=("sans", "avec")),
    Shape("optionnels-absents", "Éléments facultatifs absents (attribut ELENOET, SCOLARITE_AN_DERNIER, PRENOM2, "
                                "courriel et téléphone fixe d'un foyer sur trois, éléments vides).",
          optional_absent=True),
    Shape("sts-espaces", "Export STS-Web (sts_emp) aux valeurs sur leur propre ligne, entourées d'espaces, "
                         "quelle que soit la graine.", sts_padded=True),
    Shape("sts-compact", "Export STS-Web aux valeurs sur la ligne de leur balise, quelle que soit la graine.",
          sts_padded=False),
    Shape("sans-structures", "Export des élèves sans sa section STRUCTURES (extrait réduit) : un seul constat "
                             "« export partiel » attendu.", missing_section="STRUCTURES"),
)}
DEFAULT = "standard"


def shape_of(est_flags: dict) -> Shape:
    """The shape a data set is written in (``est.flags["shape"]``, else the default)."""
    return est_flags.get("shape") or SHAPES[DEFAULT]
