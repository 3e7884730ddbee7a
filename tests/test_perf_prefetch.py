"""The XML read-ahead thread: same trees, notes and errors as a plain parse, any order."""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator

import pytest

from scolint.engine.errors import InputError
from scolint.engine.prefetch import XmlPrefetcher, schema_roots


class FakeXml:
    """Records every parse and validation; ``bad`` paths raise, ``noisy`` ones write a note."""

    def __init__(self, bad: tuple[str, ...] = (), noisy: tuple[str, ...] = ()) -> None:
        self.parsed: list[str] = []
        self.validated: list[tuple[str, str]] = []
        self.bad, self.noisy = bad, noisy
        self.sink: list[Any] | None = None
        self.replayed: list[Any] = []
        self.lock = threading.Lock()

    def parse(self, path: str) -> Any:
        with self.lock:
            self.parsed.append(str(path))
        if str(path) in self.bad:
            raise InputError(str(path), 3, "XML mal formé")
        if str(path) in self.noisy and self.sink is not None:
            self.sink.append((str(path), 1, "encodage annoncé faux"))
        return _Tree(str(path))

    def validate(self, tree: Any, xsd: str, max_errors: int) -> list[Any]:
        self.validated.append((tree.path, xsd))
        return [(n, f"erreur {n}") for n in range(1, 31)][:max_errors]

    @contextlib.contextmanager
    def notes(self) -> Iterator[list[Any]]:
        self.sink = []
        try:
            yield self.sink
        finally:
            self.sink = None

    def replay(self, *note: Any) -> None:
        self.replayed.append(note)


class _Root:
    tag = "BEE_ELEVES"


class _Tree:
    def __init__(self, path: str) -> None:
        self.path = path

    def getroot(self) -> _Root:
        return _Root()


def _prefetcher(fake: FakeXml, paths: list[str], ahead: int = 1) -> XmlPrefetcher:
    return XmlPrefetcher(paths, fake.parse, fake.validate, fake.notes, fake.replay, ahead=ahead)


def _load(pf: XmlPrefetcher, fake: FakeXml, path: str) -> Any:
    """What xmlsafe.parse does: the prefetched tree, else a parse of its own."""
    tree = pf.take(path)
    return tree if tree is not None else fake.parse(path)


def test_in_order_every_file_is_parsed_once() -> None:
    fake = FakeXml()
    paths = [f"f{i}.xml" for i in range(6)]
    pf = _prefetcher(fake, paths).start()
    assert pf.wait(paths[0], timeout=10)
    trees = [_load(pf, fake, p) for p in paths]
    pf.close(wait=True)
    assert [t.path for t in trees] == paths
    assert sorted(fake.parsed) == sorted(paths)  # no file parsed twice
    assert pf.hits + pf.misses == len(paths) and pf.hits >= 1


def test_out_of_order_requests_never_wait_for_the_thread() -> None:
    fake = FakeXml()
    paths = [f"f{i}.xml" for i in range(8)]
    pf = _prefetcher(fake, paths).start()
    got = {}
    for p in reversed(paths):  # the audit may load files in another order
        got[p] = _load(pf, fake, p)
    pf.close(wait=True)
    assert [got[p].path for p in paths] == paths
    assert pf.misses >= 1  # files the thread had not started were handed back


def test_a_parse_error_and_the_notes_reach_the_loader() -> None:
    fake = FakeXml(bad=("b.xml",), noisy=("a.xml",))
    pf = _prefetcher(fake, ["a.xml", "b.xml", "c.xml"]).start()
    assert pf.wait("a.xml", timeout=10)
    assert pf.take("a.xml").path == "a.xml"
    assert pf.wait("b.xml", timeout=10)
    assert fake.replayed == [("a.xml", 1, "encodage annoncé faux")]
    with pytest.raises(InputError) as caught:
        pf.take("b.xml")
    assert caught.value.line == 3
    assert _load(pf, fake, "c.xml").path == "c.xml"
    pf.close(wait=True)
    assert fake.parsed.count("b.xml") == 1


def test_validation_is_answered_only_for_the_same_tree_and_schema() -> None:
    fake = FakeXml()
    pf = _prefetcher(fake, ["a.xml", "b.xml"]).start()
    assert pf.wait("a.xml", timeout=10)
    tree = pf.take("a.xml")
    assert pf.validation(tree, "autre.xsd", 21) is None  # another schema: validate again
    assert pf.validation(_Tree("a.xml"), "bee_eleves.xsd", 21) is None  # another tree
    assert pf.validation(tree, "bee_eleves.xsd", 21) == fake.validate(tree, "bee_eleves.xsd", 21)
    assert pf.validation(tree, "bee_eleves.xsd", 21) is None  # answered once
    pf.close(wait=True)


def test_files_never_taken_do_not_stall_the_read_ahead() -> None:
    fake = FakeXml()
    paths = [f"f{i}.xml" for i in range(5)]
    pf = _prefetcher(fake, paths).start()
    assert pf.wait(paths[0], timeout=10)
    # f0 and f1 were not XML exports after all: never asked for. Taking f2 frees the
    # read-ahead window f0 held, so the thread goes on with f3, f4.
    assert _load(pf, fake, paths[2]).path == paths[2]
    assert pf.wait(paths[3], timeout=10)
    assert pf.take(paths[3]).path == paths[3]
    pf.close(wait=True)


def test_close_ends_the_thread() -> None:
    fake = FakeXml()
    pf = _prefetcher(fake, [f"f{i}.xml" for i in range(4)]).start()
    pf.close(wait=True)
    assert not any(t.name == "scolint-prefetch" and t.is_alive() for t in threading.enumerate())


def test_schema_roots_come_from_the_shipped_schemas() -> None:
    roots = schema_roots()
    assert roots[(None, "BEE_ELEVES")] == "bee_eleves.xsd"
    assert all(name.endswith(".xsd") for name in roots.values())


# -- wired into the audit ------------------------------------------------------------------

def _audit(folder: Any, read_ahead: bool) -> tuple[list[Any], Any]:
    from scolint.engine.audit import Auditor

    seen: list[Any] = []
    auditor = Auditor()
    auditor.read_ahead = read_ahead
    import scolint.engine.prefetch as prefetch
    real_start, real_take = prefetch.XmlPrefetcher.start, prefetch.XmlPrefetcher.take

    def start(self: XmlPrefetcher) -> XmlPrefetcher:
        seen.append(self)
        return real_start(self)

    def take(self: XmlPrefetcher, path: Any) -> Any:
        # On a busy machine the thread may lag behind every loader (each file then
        # parsed by the loader itself): wait for it, so that every tree, note, error
        # and validation does come from the thread here.
        self.wait(path, timeout=60)
        return real_take(self, path)

    prefetch.XmlPrefetcher.start = start  # type: ignore[method-assign]
    prefetch.XmlPrefetcher.take = take  # type: ignore[method-assign]
    try:
        result = auditor.audit([folder])
    finally:
        prefetch.XmlPrefetcher.start = real_start  # type: ignore[method-assign]
        prefetch.XmlPrefetcher.take = real_take  # type: ignore[method-assign]
    return [f.to_dict() for f in result.findings], seen


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from scolint.plugins.gen.generate import generate

    out = tmp_path_factory.mktemp("etab")
    generate(out, 150, 11)
    # a broken export and one whose declared encoding is wrong: the read-ahead thread
    # meets the error and the note, the loader must report them as a plain parse does
    (out / "Structures.xml").write_bytes((out / "Structures.xml").read_bytes()[:-40])
    aaf = next(out.glob("ENT_Complet_*_Eleve_*.xml"))
    data = aaf.read_bytes()
    assert b'encoding="UTF-8"' in data[:100]
    aaf.write_bytes(data.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1))
    return out


def test_the_audit_finds_the_same_with_and_without_read_ahead(generated: Any) -> None:
    plain, none = _audit(generated, read_ahead=False)
    ahead, used = _audit(generated, read_ahead=True)
    assert none == [] and len(used) == 1
    assert ahead == plain
    problems = {(f["rule"], f["provenance"][0]["file"].rsplit("/", 1)[-1]) for f in plain
                if f["rule"].startswith("ENTREE-") and f["provenance"]}
    assert ("ENTREE-FICHIER", "Structures.xml") in problems  # the truncated export
    assert any(code == "ENTREE-ENCODAGE" and name.startswith("ENT_Complet") for code, name in problems)
    pf = used[0]
    assert pf.misses == 0 and pf.hits >= 9  # every XML export came from the thread
    assert pf.validation_hits >= 8  # schema guessed from the root element, not validated twice


def test_no_read_ahead_thread_outlives_the_audit(generated: Any) -> None:
    _audit(generated, read_ahead=True)
    from scolint.engine import xmlsafe
    assert xmlsafe._prefetcher is None
    for t in threading.enumerate():
        if t.name == "scolint-prefetch":
            t.join(timeout=30)
            assert not t.is_alive()


# -- started by the command line, before the plugins and rules ----------------------------

def test_check_reads_its_xml_files_ahead_from_the_command_line(generated: Any, tmp_path: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import scolint.engine.prefetch as prefetch
    from scolint.engine.cli import main

    started: list[XmlPrefetcher] = []
    real_start = prefetch.XmlPrefetcher.start

    def start(self: XmlPrefetcher) -> XmlPrefetcher:
        started.append(self)
        return real_start(self)

    monkeypatch.setattr(prefetch.XmlPrefetcher, "start", start)
    plain = tmp_path / "plain.json"
    monkeypatch.setattr(prefetch, "start_early", lambda _args: None)  # no early thread
    main(["check", str(generated), "--format", "json", "-o", str(plain), "--sans-config"])
    monkeypatch.undo()
    monkeypatch.setattr(prefetch.XmlPrefetcher, "start", start)
    started.clear()
    early = tmp_path / "early.json"
    main(["check", str(generated), "--format", "json", "-o", str(early), "--sans-config"])
    assert len(started) == 1  # one thread, started before the audit and adopted by it
    pf = started[0]
    assert pf.hits + pf.misses >= 9 and prefetch._early is None
    strip = lambda p: {k: v for k, v in json.loads(p.read_text(encoding="utf-8")).items() if k != "execute_le"}
    assert strip(early) == strip(plain)


def test_early_read_ahead_skips_option_values_and_is_stopped_without_audit(tmp_path: Any) -> None:
    import scolint.engine.prefetch as prefetch

    xml = tmp_path / "a.xml"
    xml.write_bytes(b"<R/>")
    (tmp_path / "rapport.xml").write_bytes(b"<old/>")
    pf = prefetch.start_early(["--format", "junit", "-o", str(tmp_path / "rapport.xml"), str(xml),
                               str(tmp_path / "absent.xml")])
    assert pf is not None and pf._order == [str(xml)]
    prefetch.stop_early()
    assert prefetch._early is None
    assert prefetch.start_early(["-o", str(xml)]) is None  # only an option's value: nothing to read
