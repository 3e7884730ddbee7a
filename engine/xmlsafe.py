"""Safe XML parsing and XSD validation helpers for loader plugins.

No external entity, no DTD loading, no network, no entity expansion; a document that
declares entities is refused. Bounded: file size (:data:`MAX_BYTES`), element count
(:data:`MAX_ELEMENTS`), nesting (:data:`MAX_DEPTH`) and text node size (libxml2's own
limits without ``huge_tree``). Errors carry the file and line, in French.

A file whose declaration names a single-byte encoding (ISO-8859-15...) but whose bytes are
UTF-8 (re-saved by an editor) is read as UTF-8, and a note is recorded: loaders need not
know, the auditor collects the notes with :func:`notes` and reports them as warnings.
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import itertools
import re
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from lxml import etree

from .errors import InputError

#: Deepest element nesting accepted (real exports are under 12 levels; libxml2 stops at 256).
MAX_DEPTH = 256
#: libxml2's own nesting limit without ``huge_tree`` ("Excessive depth in document"): the
#: Python walk of :func:`_depth` (a third of the parse time of a big export) only runs
#: when :data:`MAX_DEPTH` is lower.
LIBXML2_MAX_DEPTH = 256
#: Largest XML file read (bytes): real exports of a big school are under 50 MB.
MAX_BYTES = 256 * 1024 * 1024
#: Most elements (counted as ``<`` characters) in one file: a big school's export has
#: under 500 000; each element costs about 300 bytes of memory once parsed.
MAX_ELEMENTS = 2_000_000

_ENTITY_DECLS = tuple(re.compile(re.escape("<!ENTITY".encode(enc)), re.IGNORECASE)
                      for enc in ("ascii", "utf-16-le", "utf-16-be"))
_DECL_ENC = re.compile(rb"^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")
_HIGH = re.compile(rb"[\x80-\xff]")
#: Bytes of a file decoded first when telling whether it is UTF-8 under another name.
_UTF8_PROBE = 64 * 1024
_SINGLE_BYTE = {"iso-8859-1", "iso-8859-15", "latin1", "latin-1", "latin9", "iso8859-1", "iso8859-15",
                "windows-1252", "cp1252", "us-ascii", "ascii"}

_notes: contextvars.ContextVar[list[tuple[str, int | None, str]] | None] = \
    contextvars.ContextVar("scolint_xml_notes", default=None)


@contextlib.contextmanager
def notes() -> Iterator[list[tuple[str, int | None, str]]]:
    """Collect, while the block runs, the notes of :func:`parse`: ``(path, line, message)``."""
    collected: list[tuple[str, int | None, str]] = []
    token = _notes.set(collected)
    try:
        yield collected
    finally:
        _notes.reset(token)


#: The object of :func:`read_elsewhere` (None: every file is parsed and validated here).
_elsewhere: contextvars.ContextVar[Any] = contextvars.ContextVar("scolint_xml_elsewhere", default=None)
#: most errors kept by :func:`read_file` (a caller asking for more validates itself)
ELSEWHERE_MAX_ERRORS = 200
#: One XSD validation at a time: an ``XMLSchema`` keeps its errors in its own log.
_validation_lock = threading.Lock()


@contextlib.contextmanager
def read_elsewhere(source: Any) -> Iterator[None]:
    """While the block runs, :func:`parse` of a file first asks ``source.parsed(path)``
    for its tree (None: it parses the file itself) and :func:`validate` of a tree read
    from a file asks ``source.validated(path, xsd_name)`` for its errors (None: it
    validates itself). ``source`` is a read-ahead (engine/readahead.py) that parsed and
    validated the file with the functions of this module: same bytes, same parser, same
    schema, same result. Bytes given to :func:`parse` (a decrypted export) are never looked up."""
    token = _elsewhere.set(source)
    try:
        yield
    finally:
        _elsewhere.reset(token)


def read_file(path: str, xsd_name: str) -> tuple[Any, list[tuple[str, int | None, str]],
                                                 list[tuple[int | None, str]] | None]:
    """:func:`parse` the file ``path`` here and now and :func:`validate` its tree against
    ``xsd_name`` (up to :data:`ELSEWHERE_MAX_ERRORS` errors): ``(tree or the InputError
    raised, notes written by the parse, errors or None)``. Run by a read-ahead's thread
    (engine/readahead.py)."""
    with notes() as written:
        try:
            tree = _parse(path)
        except InputError as exc:
            return exc, list(written), None
    return tree, list(written), _validate(tree, xsd_name, ELSEWHERE_MAX_ERRORS)


def _note(path: str, line: int | None, message: str) -> None:
    sink = _notes.get()
    if sink is not None:
        sink.append((path, line, message))


def _parser(encoding: str | None = None) -> etree.XMLParser:
    # Never pass collect_ids=False: with lxml 6 / libxml2 2.14 it makes libxml2 read the
    # external DTD subset named by <!DOCTYPE ... SYSTEM "..."> (a local file read).
    # remove_blank_text: the indentation between elements is not data, and its text nodes
    # are a third of a big export's tree in memory (libxml2 keeps the blank content of an
    # element that has no child, so ``<A> </A>`` still reads " ").
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=False,
                           remove_blank_text=True, encoding=encoding)


def parse(path: Path | str, data: bytes | None = None) -> etree._ElementTree:
    """Parse an XML file safely; raise :class:`InputError` with file and line."""
    source = _elsewhere.get()
    if source is not None and data is None:
        tree = source.parsed(str(path))
        if tree is not None:
            return tree  # type: ignore[no-any-return]
    return _parse(path, data)


def _parse(path: Path | str, data: bytes | None = None) -> etree._ElementTree:
    p = str(path)
    from_file = data is None
    if data is None:
        try:
            size = Path(path).stat().st_size
            if size > MAX_BYTES:
                raise InputError(p, None, f"fichier XML de {size // (1024 * 1024)} Mo : trop gros "
                                 f"(maximum {MAX_BYTES // (1024 * 1024)} Mo), refusé")
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(p, None, f"fichier illisible : {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise InputError(p, None, f"fichier XML trop gros (maximum {MAX_BYTES // (1024 * 1024)} Mo), refusé")
    if not data.strip():
        raise InputError(p, None, "fichier vide")
    # UTF-16 text has a NUL byte in every ASCII character: without one, only the ASCII
    # pattern can match (a third of the time of the checks before parsing a big file).
    for pattern in _ENTITY_DECLS if b"\x00" in data else _ENTITY_DECLS[:1]:
        m = pattern.search(data)
        if m:
            nl = b"\n" if pattern is _ENTITY_DECLS[0] else "\n".encode("utf-16-le" if pattern is _ENTITY_DECLS[1] else "utf-16-be")  # noqa: E501
            line = data[: m.start()].count(nl) + 1
            raise InputError(p, line, "déclaration d'entité XML (<!ENTITY>) refusée par sécurité")
    elements = data.count(b"<")
    if elements > MAX_ELEMENTS:
        raise InputError(p, None, f"plus de {MAX_ELEMENTS} éléments XML : fichier trop gros, refusé")
    encoding = _utf8_under_wrong_name(p, data)
    try:
        tree = ParsedTree()
        tree._setroot(etree.fromstring(data, _parser(encoding)))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else None)
        msg = _syntax_fr(exc)
        raise InputError(p, line, f"XML mal formé ({msg})") from None
    except (ValueError, LookupError):  # e.g. an encoding lxml cannot use
        raise InputError(p, None, "XML illisible (encodage déclaré inconnu ou inutilisable)") from None
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise InputError(p, 1, "déclaration d'entité XML (<!ENTITY>) refusée par sécurité")
    if MAX_DEPTH < LIBXML2_MAX_DEPTH:  # else libxml2 refused deeper nesting while parsing
        depth = _depth(tree.getroot())
        if depth > MAX_DEPTH:
            raise InputError(p, None, f"XML imbriqué sur {depth} niveaux (maximum {MAX_DEPTH}) : refusé")
    tree.source, tree.source_encoding = data, encoding or _declared_encoding(data)
    if from_file:
        tree.path = p
    return tree


class ParsedTree(etree._ElementTree):
    """The tree :func:`parse` returns: an lxml ``ElementTree`` that also keeps the bytes it
    was parsed from until a loader takes them (:func:`take_source`).

    A check that a regular expression can answer on the file's bytes (values of the whole
    file) then needs no serialisation of the tree. lxml objects take no weak reference,
    hence a subclass rather than a side table.
    """

    source: bytes | None = None
    #: The encoding of the bytes, lower case (see :func:`_declared_encoding`; ``utf-8``
    #: when a file declaring a single-byte encoding was read as UTF-8).
    source_encoding: str | None = None
    #: The file the tree was read from (None when :func:`parse` was given the bytes).
    path: str | None = None


def take_source(tree: Any) -> tuple[bytes, str | None] | None:
    """The bytes ``tree`` was parsed from and their encoding (None when libxml2 guessed
    it: UTF-16...), released from the tree; None for another tree, or when already taken."""
    data = getattr(tree, "source", None)
    if data is None:
        return None
    tree.source = None
    return data, tree.source_encoding


def _declared_encoding(data: bytes) -> str | None:
    """The encoding ``data`` declares (lower case), ``utf-8`` when it declares none or
    starts with a UTF-8 byte order mark (which wins), None when it may be UTF-16 or UCS-4
    (a NUL byte: libxml2 guesses those from the bytes)."""
    if b"\x00" in data[:4]:
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    m = _DECL_ENC.match(data[:200])
    return m.group(1).decode("ascii").lower() if m else "utf-8"


def _utf8_under_wrong_name(path: str, data: bytes) -> str | None:
    """``"utf-8"`` when ``data`` declares a single-byte encoding but is UTF-8 (noted)."""
    m = _DECL_ENC.match(data[:200])
    if m is None or m.group(1).decode("ascii").lower() not in _SINGLE_BYTE:
        return None
    if data.isascii():  # no byte above 127 (a C scan, many times faster than _HIGH's)
        return None
    try:
        # A Latin file fails on one of its first accents: a decoder that stops there costs
        # nothing, while a failing decode of the whole file copies it (into the error).
        codecs.getincrementaldecoder("utf-8")().decode(data[:_UTF8_PROBE], final=False)
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    high = _HIGH.search(data)  # found: the bytes are not ASCII
    line = data[: high.start()].count(b"\n") + 1  # type: ignore[union-attr]
    _note(path, line, f"le fichier déclare l'encodage {m.group(1).decode('ascii')} mais son contenu "
                      "est en UTF-8 (il a sans doute été réenregistré par un éditeur) : lu en UTF-8")
    return "utf-8"


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


_SYNTAX_FR = (
    ("Premature end of data", "fin de fichier inattendue : fichier tronqué ?"),
    ("EndTag", "fin de fichier inattendue : fichier tronqué ?"),
    ("end of data", "fin de fichier inattendue : fichier tronqué ?"),
    ("Opening and ending tag mismatch", "balise fermante ne correspondant pas à la balise ouvrante"),
    ("Document is empty", "aucun élément XML trouvé"),
    ("Start tag expected", "aucun élément XML trouvé : ce n'est pas un fichier XML"),
    ("Extra content at the end", "contenu après la fin de l'élément racine : deux fichiers mis bout à bout ?"),
    ("Excessive depth", f"éléments imbriqués sur plus de {MAX_DEPTH} niveaux : refusé"),
    ("Maximum entity amplification", "expansion d'entités excessive (bombe XML) : refusé"),
    ("Detected an entity reference loop", "boucle d'entités XML : refusé"),
    ("Text node too long", "texte de plus de 10 Mo dans un seul élément : refusé"),
    ("Resource limit exceeded", "valeur ou attribut démesuré (plus de 10 Mo) : refusé"),
    ("huge text node", "texte de plus de 10 Mo dans un seul élément : refusé"),
    ("xmlSAX2Characters", "texte démesuré : refusé"),
    ("failed to load", "DTD ou entité externe refusée (aucun accès aux fichiers ni au réseau)"),
    ("network", "DTD ou entité externe refusée (aucun accès aux fichiers ni au réseau)"),
    ("Entity '", "référence à une entité XML non déclarée"),
    ("Unsupported encoding", "encodage déclaré inconnu"),
    ("unknown encoding", "encodage déclaré inconnu"),
    ("Invalid bytes in character encoding", "octets non conformes à l'encodage déclaré : le fichier a sans "
                                            "doute été réenregistré par un éditeur ou un tableur"),
    ("Input is not proper", "caractères non conformes à l'encodage déclaré : le fichier a sans doute été "
                            "réenregistré par un éditeur ou un tableur"),
    ("encoding", "caractères non conformes à l'encodage déclaré"),
    ("Char 0x", "caractère interdit en XML (octet nul ou de contrôle) : fichier binaire ou abîmé ?"),
    ("PCDATA invalid Char", "caractère interdit en XML : fichier binaire ou abîmé ?"),
    ("not well-formed", "caractère inattendu"),
    ("Couldn't find end of Start Tag", "balise ouvrante non terminée : fichier tronqué ?"),
    ("expected '>'", "balise mal formée : « > » manquant"),
    ("AttValue", "valeur d'attribut mal formée"),
    ("attributes construct error", "attribut mal formé"),
    ("Attribute", "attribut mal formé ou répété"),
    ("StartTag: invalid element name", "nom d'élément invalide"),
    ("xmlParseEntityRef", "caractère & isolé (à écrire &amp;)"),
    ("Comment not terminated", "commentaire non terminé"),
    ("CData section not finished", "section CDATA non terminée"),
    ("XML declaration allowed only at the start", "déclaration <?xml ?> ailleurs qu'au début du fichier"),
    ("ParsePI", "instruction de traitement <? ?> mal formée"),
    ("Blank needed", "espace manquant dans une déclaration"),
    ("DOCTYPE", "déclaration DOCTYPE mal formée"),
)


def _syntax_fr(exc: etree.XMLSyntaxError) -> str:
    """A French reading of a libxml2 syntax error (the original text when unknown)."""
    text = str(exc.msg or exc)
    for needle, french in _SYNTAX_FR:
        if needle.lower() in text.lower():
            return french
    return text.split(",")[0]


@lru_cache(maxsize=None)
def schema(name: str) -> etree.XMLSchema:
    """Load (once) an XSD: ``schemas/xsd/<name>`` shipped with scolint, or the file at the
    absolute path ``name`` (the XSD a third-party family ships in its own package)."""
    if Path(name).is_absolute():
        return etree.XMLSchema(etree.parse(name, _parser()))
    ref = resources.files("scolint.schemas").joinpath("xsd", name)
    with resources.as_file(ref) as p:
        doc = etree.parse(str(p), _parser())
    return etree.XMLSchema(doc)


def validate(tree: etree._ElementTree, xsd_name: str, max_errors: int = 20) -> list[tuple[int | None, str]]:
    """Validate ``tree`` against ``xsd_name``; return up to ``max_errors`` (line, message)."""
    source = _elsewhere.get()
    path = getattr(tree, "path", None)
    if source is not None and path is not None:
        found = source.validated(path, xsd_name)
        # the first max_errors of a longer run are the same errors, in the same order
        if found is not None and (max_errors <= ELSEWHERE_MAX_ERRORS or len(found) < ELSEWHERE_MAX_ERRORS):
            return found[:max_errors]
    return _validate(tree, xsd_name, max_errors)


def _validate(tree: etree._ElementTree, xsd_name: str, max_errors: int) -> list[tuple[int | None, str]]:
    xsd = schema(xsd_name)
    with _validation_lock:
        if xsd.validate(tree):
            return []
        log = [(err.line or None, err.message) for err in itertools.islice(xsd.error_log, max_errors)]
    return [(line, _xsd_fr(message)) for line, message in log]


def _xsd_fr(msg: str) -> str:
    msg = re.sub(r"\{[^{}:]*:[^{}]*\}", "", msg)  # namespaces only: a pattern keeps its {7}
    # A huge value is quoted whole by libxml2: keep its start only.
    msg = re.sub(r"'([^']{60})[^']{20,}'", lambda m: f"'{m.group(1)}…'", msg)
    msg = msg.replace("Element '", "élément « ").replace("': ", " » : ")
    msg = msg.replace("This element is not expected.", "élément inattendu à cet endroit.")
    msg = msg.replace("Missing child element(s). Expected is", "élément(s) enfant(s) manquant(s) ; attendu :")
    msg = msg.replace("Expected is", "attendu :")
    msg = msg.replace("is not a valid value of the atomic type", "n'est pas une valeur valide du type")
    msg = msg.replace("The attribute", "l'attribut").replace("is required but missing", "est obligatoire mais absent")
    msg = msg.replace("[facet 'pattern'] The value", "la valeur").replace("is not accepted by the pattern", "ne respecte pas le motif")  # noqa: E501
    return msg


def text(el: Any, path: str, default: str | None = None) -> str | None:
    """Stripped text of the first ``path`` under ``el`` (None/``default`` if absent or empty)."""
    found = el.find(path)
    if found is None or found.text is None:
        return default
    value = found.text.strip()
    return value if value else default
