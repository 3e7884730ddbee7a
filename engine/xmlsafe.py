"""Safe XML parsing and XSD validation helpers for loader plugins.

No external entity, no DTD loading, no network, no entity expansion; a document that
declares entities is refused. Errors carry the file and line for the user.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

from .errors import InputError

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
#: Deepest element nesting accepted (real exports are under 12 levels).
MAX_DEPTH = 256


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=False,
                           collect_ids=False)


def parse(path: Path | str, data: bytes | None = None) -> etree._ElementTree:
    """Parse an XML file safely; raise :class:`InputError` with file and line."""
    p = str(path)
    if data is None:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(p, None, f"fichier illisible : {exc.strerror}") from None
    if not data.strip():
        raise InputError(p, None, "fichier vide")
    head = data[:65536]
    if _ENTITY_DECL.search(head):
        line = head[: _ENTITY_DECL.search(head).start()].count(b"\n") + 1  # type: ignore[union-attr]
        raise InputError(p, line, "déclaration d'entité XML (<!ENTITY>) refusée par sécurité")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else None)
        msg = _syntax_fr(exc)
        raise InputError(p, line, f"XML mal formé ({msg}) : fichier tronqué ou abîmé ?") from None
    root = tree.getroot()
    depth = _depth(root)
    if depth > MAX_DEPTH:
        raise InputError(p, None, f"XML imbriqué sur {depth} niveaux (maximum {MAX_DEPTH}) : refusé")
    return tree


def _depth(root: Any) -> int:
    best = 0
    stack = [(root, 1)]
    while stack:
        el, d = stack.pop()
        if d > best:
            best = d
            if best > MAX_DEPTH:
                return best
        stack.extend((c, d + 1) for c in el)
    return best


def _syntax_fr(exc: etree.XMLSyntaxError) -> str:
    text = str(exc.msg or exc)
    if "Premature end of data" in text or "EndTag" in text or "end of data" in text.lower():
        return "fin de fichier inattendue"
    if "Opening and ending tag mismatch" in text:
        return "balise fermante ne correspondant pas à la balise ouvrante"
    if "Document is empty" in text or "Start tag expected" in text:
        return "aucun élément XML trouvé"
    if "encoding" in text.lower() or "Input is not proper" in text:
        return "caractères non conformes à l'encodage déclaré"
    return text.split(",")[0]


@lru_cache(maxsize=None)
def schema(name: str) -> etree.XMLSchema:
    """Load (once) the XSD ``schemas/xsd/<name>`` shipped with scolint."""
    ref = resources.files("scolint.schemas").joinpath("xsd", name)
    with resources.as_file(ref) as p:
        doc = etree.parse(str(p), _parser())
    return etree.XMLSchema(doc)


def validate(tree: etree._ElementTree, xsd_name: str, max_errors: int = 20) -> list[tuple[int | None, str]]:
    """Validate ``tree`` against ``xsd_name``; return up to ``max_errors`` (line, message)."""
    xsd = schema(xsd_name)
    if xsd.validate(tree):
        return []
    out = []
    for err in xsd.error_log:
        out.append((err.line or None, _xsd_fr(err.message)))
        if len(out) >= max_errors:
            break
    return out


def _xsd_fr(msg: str) -> str:
    msg = re.sub(r"\{[^}]*\}", "", msg)
    msg = msg.replace("Element '", "élément « ").replace("': ", " » : ")
    msg = msg.replace("This element is not expected.", "élément inattendu à cet endroit.")
    msg = msg.replace("Missing child element(s). Expected is", "élément(s) enfant(s) manquant(s) ; attendu :")
    msg = msg.replace("Expected is", "attendu :")
    msg = msg.replace("is not a valid value of the atomic type", "n'est pas une valeur valide du type")
    msg = msg.replace("The attribute", "l'attribut").replace("is required but missing", "est obligatoire mais absent")
    msg = msg.replace("[facet 'pattern'] The value", "la valeur").replace("is not accepted by the pattern", "ne respecte pas le motif")
    return msg


def text(el: Any, path: str, default: str | None = None) -> str | None:
    """Stripped text of the first ``path`` under ``el`` (None/``default`` if absent or empty)."""
    found = el.find(path)
    if found is None or found.text is None:
        return default
    value = found.text.strip()
    return value if value else default
