"""French-looking names, places and streets for the generator (invented lists).

No list here comes from a register of real persons: family names are common French
words and surnames of every region, first names the usual French ones, mixed at
random. Accents (é, è, ê, ë, ï, î, ç, ô, œ...) and hyphenated or two-word names are
frequent on purpose: they are what makes duplicates of one person in SIECLE.
"""

from __future__ import annotations

import functools
import random
import unicodedata

LAST_NAMES: tuple[str, ...] = (
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU",
    "LAURENT", "SIMON", "MICHEL", "LEFÈVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL",
    "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT",
    "MULLER", "LEFEBVRE", "FAURE", "ANDRÉ", "MERCIER", "BLANC", "GUÉRIN", "BOYER", "GARNIER",
    "CHEVALIER", "FRANÇOIS", "LEGRAND", "GAUTHIER", "GARCIA", "PERRIN", "ROBIN", "CLÉMENT",
    "MORIN", "NICOLAS", "HENRY", "ROUSSEL", "MATHIEU", "GAUTIER", "MASSON", "MARCHAND",
    "DUVAL", "DENIS", "DUMONT", "MARIE", "LEMAIRE", "NOËL", "MEYER", "DUFOUR", "MEUNIER",
    "BRUN", "BLANCHARD", "GIRAUD", "JOLY", "RIVIÈRE", "LUCAS", "BRUNET", "GAILLARD", "BARBIER",
    "ARNAUD", "MARTINEZ", "GÉRARD", "ROCHE", "RENARD", "SCHMITT", "ROY", "LEROUX", "COLIN",
    "VIDAL", "CARON", "PICARD", "ROGER", "FABRE", "AUBERT", "LEMOINE", "RENAUD", "DUMAS",
    "LACROIX", "OLIVIER", "PHILIPPE", "BOURGEOIS", "PIERRE", "BENOÎT", "REY", "LECLERC",
    "PAYET", "ROLLAND", "LECLERCQ", "GUILLAUME", "LECOMTE", "LÓPEZ", "JEAN", "DUPUY",
    "GUILLOT", "HUBERT", "BERGER", "CARPENTIER", "SANCHEZ", "DUPUIS", "MOULIN", "LOUIS",
    "DESCHAMPS", "HUET", "VASSEUR", "PEREZ", "BOUCHER", "FLEURY", "ROYER", "KLEIN", "JACQUET",
    "ADAM", "PARIS", "POIRIER", "MARTY", "AUBRY", "GUYOT", "CARRÉ", "CHARLES", "RENAULT",
    "CHARPENTIER", "MÉNARD", "MAILLARD", "BARON", "BERTIN", "BAILLY", "HERVÉ", "SCHNEIDER",
    "FERNANDEZ", "LE GALL", "COLLET", "LÉGER", "BOUVIER", "JULIEN", "PRÉVOST", "MILLET",
    "PERROT", "DANIEL", "LE ROUX", "COUSIN", "GERMAIN", "BRETON", "BESSON", "LANGLOIS", "RÉMY",
    "LE GOFF", "PELLETIER", "LÉVÊQUE", "PERRIER", "LEBLANC", "BARRÉ", "LEBRUN", "MARCHAL",
    "WEBER", "MALLET", "HAMON", "BOULANGER", "JACOB", "MONNIER", "MICHAUD", "RODRIGUEZ",
    "GUICHARD", "GILLET", "ÉTIENNE", "GRONDIN", "POULAIN", "TESSIER", "CHEVALLIER", "COLLIN",
    "CHAUVIN", "DA SILVA", "BOUCHET", "GAY", "LEMAÎTRE", "BÉNARD", "MARÉCHAL", "HUMBERT",
    "REYNAUD", "ANTOINE", "HOARAU", "PERRET", "BARTHÉLEMY", "CORDIER", "PICHON", "LEJEUNE",
    "GILBERT", "LAMY", "DELAUNAY", "PASQUIER", "CARLIER", "LAPORTE", "DE SOUSA", "N'DIAYE",
    "BOUCHÉ", "CÔTÉ", "DELACROIX", "FAVRE", "LAFFITTE", "LAGARDÈRE", "MAÏGA", "PÉCHEUR",
    "QUÉMÉNEUR", "THÉVENIN", "VÉRON", "ŒILLET", "LECŒUR", "BŒUF", "SAINT-JUST", "DUCLOS",
    "ESCANDE", "GRÉGOIRE", "HÉBRARD", "IBANEZ", "JOUBERT", "KERMARREC", "LAVERGNE", "MÉRIC",
    "NADAL", "ORTIZ", "PAGÈS", "QUINTIN", "RAYNAL", "SÉGUY", "TAILLANDIER", "URVOY", "VALLÉE",
)

#: Compound family names (a hyphen or two words).
COMPOUND_LAST: tuple[str, ...] = (
    "DUPONT-LEFÈVRE", "MARTIN-GUÉRIN", "BERNARD-NOËL", "DE LA FONTAINE", "LE BIHAN-ROUX",
    "GARCIA-LÓPEZ", "MOREAU-CHÂTELAIN", "ROUSSEAU-DELAÎTRE", "SAINT-ANDRÉ", "DU CHÊNE",
)

FIRST_NAMES_F: tuple[str, ...] = (
    "Emma", "Léa", "Chloé", "Manon", "Inès", "Jade", "Louise", "Camille", "Zoé", "Lola",
    "Léna", "Sarah", "Eva", "Juliette", "Lucie", "Anaïs", "Clémence", "Maëlle", "Océane",
    "Noémie", "Héloïse", "Mathilde", "Éloïse", "Romane", "Agathe", "Margaux", "Salomé",
    "Célia", "Maëlys", "Clarisse", "Gaëlle", "Hélène", "Céline", "Sophie", "Nathalie",
    "Isabelle", "Valérie", "Sandrine", "Stéphanie", "Véronique", "Aurélie", "Émilie",
    "Delphine", "Françoise", "Béatrice", "Mélanie", "Élodie", "Karine", "Laetitia", "Sévérine",
    "Agnès", "Cécile", "Geneviève", "Josiane", "Noëlle", "Zoë", "Adèle", "Thaïs", "Joséphine",
    "Anne-Sophie", "Marie-Hélène", "Marie-Claire", "Anne-Laure", "Léonie", "Ambre", "Capucine",
    "Solène", "Bérénice", "Ophélie", "Maïwenn", "Nolwenn", "Clothilde", "Perrine", "Édith",
)

FIRST_NAMES_M: tuple[str, ...] = (
    "Lucas", "Hugo", "Louis", "Nathan", "Gabriel", "Jules", "Léo", "Raphaël", "Arthur",
    "Théo", "Noé", "Ethan", "Mathis", "Tom", "Enzo", "Maël", "Timéo", "Clément", "Baptiste",
    "Maxime", "Quentin", "Alexandre", "Antoine", "Benoît", "Jérôme", "Stéphane", "Frédéric",
    "Sébastien", "Cédric", "Jérémie", "Grégory", "Hervé", "Rémi", "Aurélien", "Loïc", "Gaël",
    "Joël", "Noël", "Anaël", "Éric", "Étienne", "Émile", "Félix", "François", "Honoré",
    "Jean-Pierre", "Jean-François", "Pierre-Yves", "Jean-Noël", "Marc-Antoine", "Paul-Émile",
    "Thibaut", "Yannick", "Ludovic", "Mickaël", "Rodolphe", "Évan", "Kylian", "Adrien",
    "Bastien", "Damien", "Florian", "Gaëtan", "Josué", "Lény", "Mathéo", "Nicolas", "Olivier",
    "Pascal", "Thierry", "Valentin", "Xavier", "Yoann", "Zacharie", "Côme", "Anatole",
)

#: (commune, code postal, code INSEE, département) — invented communes.
COMMUNES: tuple[tuple[str, str, str, str], ...] = (
    ("Saint-Étienne-sur-Lèze", "31560", "31487", "031"),
    ("Montréjeau-les-Prés", "31210", "31390", "031"),
    ("Castelnau-d'Aubèze", "31620", "31117", "031"),
    ("Villefranche-en-Lauragais", "31290", "31582", "031"),
    ("Bélesta-la-Forêt", "31540", "31062", "031"),
    ("Lézignan-sur-Garonne", "31410", "31298", "031"),
    ("Saint-Geniès-Bellevue", "31180", "31490", "031"),
    ("Aussonne-le-Château", "31840", "31032", "031"),
    ("Pibrac-les-Châtaigniers", "31820", "31417", "031"),
    ("Fronton-Sainte-Cécile", "31620", "31202", "031"),
)

STREET_TYPES: tuple[str, ...] = ("RUE", "AVENUE", "CHEMIN", "ALLÉE", "IMPASSE", "PLACE", "BOULEVARD", "ROUTE")
STREET_NAMES: tuple[str, ...] = (
    "DES ÉCOLES", "DU MOULIN", "DE LA GARE", "VICTOR HUGO", "JEAN JAURÈS", "DES PRÉS",
    "DU CHÂTEAU", "DE L'ÉGLISE", "DES LILAS", "PASTEUR", "DES AUBÉPINES", "DU 8 MAI 1945",
    "GAMBETTA", "DES CÈDRES", "DE LA RÉPUBLIQUE", "DES VIGNES", "DU LAVOIR", "FRANÇOIS VERDIER",
    "DES FRÊNES", "DE L'OCCITANIE", "DU CANAL", "DES ÉRABLES", "SAINT-EXUPÉRY", "CLÉMENCE ISAURE",
)

#: Names of the fictional collège (DENOM_COMPL).
SCHOOL_NAMES: tuple[str, ...] = (
    "JEAN-PIERRE VERNANT", "LOUISE MICHEL", "GEORGES BRASSENS", "OLYMPE DE GOUGES",
    "PIERRE DE FERMAT", "CLÉMENCE ISAURE", "SIMONE VEIL", "JULES FERRY", "ANDRÉ MALRAUX",
    "MARIE CURIE", "ÉMILE ZOLA", "HÉLÈNE BOUCHER",
)

EMAIL_DOMAINS: tuple[str, ...] = ("exemple.fr", "courriel.test", "messagerie.example", "mel.invalid")


@functools.lru_cache(maxsize=1 << 16)
def fold_ascii(value: str) -> str:
    """Remove accents and ligatures (``"Lecœur"`` -> ``"Lecoeur"``); keep case."""
    text = value.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


@functools.lru_cache(maxsize=1 << 16)
def name_key(last: str, first: str) -> tuple[str, str]:
    """Key under which two persons' names are « the same » (accents, case, separators)."""
    def norm(s: str) -> str:
        s = fold_ascii(s).casefold()
        for sep in ("-", "'", "’", "_", "."):
            s = s.replace(sep, " ")
        return " ".join(s.split())
    return norm(last), norm(first)


def last_name(rng: random.Random) -> str:
    """A family name, compound about 5 % of the time."""
    if rng.random() < 0.05:
        return rng.choice(COMPOUND_LAST)
    return rng.choice(LAST_NAMES)


def first_name(rng: random.Random, sex: int) -> str:
    """A first name for ``sex`` (1 masculin, 2 féminin)."""
    return rng.choice(FIRST_NAMES_M if sex == 1 else FIRST_NAMES_F)


def street(rng: random.Random) -> str:
    """An address line: number, street type and name."""
    return f"{rng.randint(1, 120)} {rng.choice(STREET_TYPES)} {rng.choice(STREET_NAMES)}"


def login_base(first: str, last: str) -> str:
    """``prenom.nom`` in lower-case ASCII without spaces (ENT logins)."""
    def clean(s: str) -> str:
        s = fold_ascii(s).lower()
        return "".join(c for c in s if c.isalnum() or c == "-").strip("-")
    return f"{clean(first)}.{clean(last)}"


def accent_variant(rng: random.Random, last: str, first: str) -> tuple[str, str]:
    """The same person's name typed differently: accents dropped, case or spaces changed.

    Always differs from the input but has the same :func:`name_key`.
    """
    options = []
    if fold_ascii(first) != first:
        options.append(lambda: (last, fold_ascii(first)))
    if fold_ascii(last) != last:
        options.append(lambda: (fold_ascii(last), first))
    if "-" in first:
        options.append(lambda: (last, first.replace("-", " ")))
    if "-" in last or " " in last:
        options.append(lambda: (last.replace("-", " ").replace(" ", "  "), first))
    options.append(lambda: (last.title() if last.isupper() else last.upper(), first))
    options.append(lambda: (last, first.upper()))
    while True:
        new_last, new_first = rng.choice(options)()
        if (new_last, new_first) != (last, first):
            return new_last, new_first
