"""Robustness figures of scolint, written to docs/robustness.md (French).

Runs, each in a fresh child process (so that time and peak memory are its own):

- the bad-input corpus of tests/fixtures/bad/ (every case of every registered family,
  audited among the valid files of the other families);
- random mutations of the valid seeds (bytes, truncations, elements), :data:`FUZZ_PER_FAMILY`
  per family;
- the hostile XML files of tests/test_hostile_xml.py and hostile .zip archives;
- the template-injection payloads of tests/fixtures/rule_payloads.yaml.

A *crash* is an exception out of the audit, an ``ENTREE-CHARGEUR`` finding (a loader bug)
or a rule payload that neither is refused nor ends as a rule error. Usage::

    python bench/robustness.py [--doc docs/robustness.md] [--fuzz N]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import multiprocessing as mp
import os
import platform
import random
import resource
import sys
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
FUZZ_PER_FAMILY = 60


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


make_corpus = _load("make_corpus", ROOT / "tests" / "fixtures" / "bad" / "make_corpus.py")

_AUDITOR: list[Any] = []


def auditor() -> Any:
    if not _AUDITOR:
        from scolint.engine.audit import Auditor
        from scolint.engine.manager import get_plugin_host
        _AUDITOR.append(Auditor(host=get_plugin_host(load_entrypoints=False)))
    return _AUDITOR[0]


# -- one measured task in a child process -------------------------------------------------

def _peak_mb() -> float:
    """Peak resident memory of this process (VmHWM; ru_maxrss keeps the parent's peak after fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current size
    except OSError:
        pass
    start = time.perf_counter()
    try:
        outcome = fn(*args)
    except BaseException as exc:  # noqa: BLE001 - a crash is what we count
        outcome = f"crash: {type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - start
    conn.send((outcome, elapsed, _peak_mb()))
    conn.close()


def measure(fn: Callable[..., Any], *args: Any, timeout: float = 300.0) -> tuple[Any, float, float]:
    """Run ``fn(*args)`` in a forked child: (outcome, seconds, peak resident MB)."""
    parent, child = mp.Pipe(duplex=False)
    proc = mp.get_context("fork").Process(target=_child, args=(child, fn, args))
    proc.start()
    child.close()
    if parent.poll(timeout):
        result = parent.recv()
    else:
        proc.kill()
        result = ("crash: délai dépassé", timeout, float("nan"))
    proc.join()
    return result


# -- tasks --------------------------------------------------------------------------------

def _noop() -> str:
    return "ok"


def audit_folder(folder: str) -> str:
    """Audit a whole folder (the big establishment): number of findings."""
    result = auditor().audit([folder])
    if any(f.rule_id == "ENTREE-CHARGEUR" for f in result.findings):
        return "crash: ENTREE-CHARGEUR"
    return f"{len(result.findings)} anomalies"


def audit_case(family_files: dict[str, bytes], name: str, data: bytes) -> str:
    """Audit ``data`` named ``name`` among ``family_files``: the answer's kind, or crash."""
    with tempfile.TemporaryDirectory() as tmp:
        for other, content in family_files.items():
            (Path(tmp) / other).write_bytes(content)
        (Path(tmp) / name).write_bytes(data)
        result = auditor().audit([tmp])
        bad = str(Path(tmp) / name)
    about = [f for f in result.findings if any(p.file == bad for p in f.provenance)]
    if any(f.rule_id == "ENTREE-CHARGEUR" for f in result.findings):
        return "crash: ENTREE-CHARGEUR"
    codes = {f.rule_id for f in about}
    if "ENTREE-FICHIER" in codes:
        return "refusé (erreur, code 2)"
    if "ENTREE-INCONNU" in codes:
        return "non reconnu (information)"
    if any(c.startswith("ENTREE-") and c != "ENTREE-CHIFFRE" for c in codes):
        return "lu, écarts signalés"
    return "lu"


def parse_hostile(data: bytes) -> str:
    from scolint.engine import xmlsafe
    from scolint.engine.errors import InputError
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hostile.xml"
        path.write_bytes(data)
        try:
            xmlsafe.parse(path)
        except InputError as exc:
            return f"refusé : {exc.detail}"
    return "lu"


def discover_zip(path: Path) -> str:
    from scolint.engine.discover import Discovery
    with Discovery() as disc:
        disc.add([path])
        errors = [e.detail for e in disc.errors]
    return f"refusé : {errors[0]}" if errors else "accepté"


def payload_case(case: dict[str, str]) -> str:
    import yaml

    from scolint.engine.errors import RuleFileError
    from scolint.engine.evaluate import Evaluator, make_environment
    from scolint.engine.findings import RULE_ERROR
    from scolint.engine.manager import get_plugin_host
    from scolint.engine.model import Graph, Provenance
    from scolint.engine.rules import parse_rule
    host = get_plugin_host(load_entrypoints=False)
    env = make_environment(host.registries)
    with tempfile.TemporaryDirectory() as tmp:
        payload = case["payload"].replace("SENTINEL", str(Path(tmp) / "sentinelle"))
        rule = {"id": "TST-PAY-001", "title": "Charge", "severity": "error", "for_each": "student",
                "assert": "student.last_name != 'ZZZ'", "message": "{{ student.label }}", "fix": "Rien."}
        rule["assert" if case["where"] == "assert" else "message"] = payload
        try:
            loaded = parse_rule("TST-PAY-001.yml", yaml.safe_dump(rule, allow_unicode=True), host.registries, env)
        except RuleFileError:
            answer = "refusée au chargement"
        else:
            g = Graph()
            g.add("student", "E1", source="siecle", prov=Provenance("e.xml", 1, "SIECLE"), label="ZZZ Léa",
                  last_name="ZZZ", group_codes=["3A"], groups=[])
            _f, outcomes, _c = Evaluator([loaded], host.registries, env).run(g, {})
            answer = "erreur de règle à l'exécution" if outcomes[0].status == RULE_ERROR else "crash: exécutée"
        if (Path(tmp) / "sentinelle").exists():
            answer = "crash: commande exécutée"
    return answer


# -- mutations (plain random, seeded: the same inputs at every run) ------------------------

def mutations(seed: bytes, count: int, rng: random.Random) -> list[bytes]:
    from lxml import etree
    out = []
    for i in range(count):
        kind = i % 3
        if kind == 0:
            data = bytearray(seed)
            for _ in range(rng.randint(1, 12)):
                pos = rng.randrange(len(data))
                op = rng.choice("rid")
                if op == "r":
                    data[pos] = rng.randrange(256)
                elif op == "i":
                    data.insert(pos, rng.randrange(256))
                else:
                    del data[pos]
            out.append(bytes(data))
        elif kind == 1:
            out.append(seed[: rng.randrange(len(seed) + 1)])
        else:
            try:
                root = etree.fromstring(seed, etree.XMLParser(resolve_entities=False, no_network=True))
            except etree.XMLSyntaxError:  # CSV seeds: duplicate or drop lines
                lines = seed.split(b"\r\n")
                j = rng.randrange(len(lines))
                lines.insert(j, lines[j]) if rng.random() < 0.5 else lines.pop(j)
                out.append(b"\r\n".join(lines))
                continue
            for _ in range(rng.randint(1, 4)):
                elements = [e for e in root.iter() if e is not root and isinstance(e.tag, str)]
                if not elements:
                    break
                el = rng.choice(elements)
                parent = el.getparent()
                if rng.random() < 0.5:
                    parent.remove(el)
                else:
                    parent.insert(parent.index(el), etree.fromstring(etree.tostring(el)))
            out.append(etree.tostring(root, xml_declaration=True, encoding=make_corpus._declared(seed)))
    return out


# -- hostile archives ---------------------------------------------------------------------

def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _bomb(size: int, member: str = "gros.xml") -> bytes:
    """A zip holding ``size`` bytes of zeros, written by chunks (no big buffer)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, zf.open(member, "w", force_zip64=True) as out:
        chunk = b"\0" * (1 << 20)
        for _ in range(size // len(chunk)):
            out.write(chunk)
    return buf.getvalue()


def _lying_bomb(size: int) -> bytes:
    """A bomb whose headers announce 1 000 bytes (the real size shows only when reading)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("a.xml", "w") as out:
        chunk = b"\0" * (1 << 20)
        for _ in range(size // len(chunk)):
            out.write(chunk)
    data = bytearray(buf.getvalue())
    central = data.rfind(b"PK\x01\x02")
    data[22:26] = (1000).to_bytes(4, "little")
    data[central + 24: central + 28] = (1000).to_bytes(4, "little")
    return bytes(data)


def hostile_zips(folder: Path) -> dict[str, Path]:
    """Write the hostile archives in ``folder`` (before measuring: only reading is measured)."""
    xml = b"<r/>"
    builders: dict[str, Callable[[], bytes]] = {
        "chemin ../ (traversée)": lambda: _zip({"../../evil.xml": xml}),
        "chemin absolu": lambda: _zip({"/tmp/evil.xml": xml}),
        "bombe de 1 Go (taux 1000:1)": lambda: _bomb(1024 * 1024 * 1024),
        "bombe de 300 Mo annonçant 1 000 octets": lambda: _lying_bomb(300 * 1024 * 1024),
        "archives imbriquées sur 3 niveaux": lambda: _zip({"n1.zip": _zip({"n2.zip": _zip({"x.xml": xml})})}),
        "16 archives imbriquées de 40 Mo chacune": lambda: _zip({f"n{i}.zip": _bomb(40 * 1024 * 1024, "x.xml")
                                                                 for i in range(16)}),
        "6 000 fichiers": lambda: _zip({f"f{i}.xml": xml for i in range(6000)}),
        "archive tronquée": lambda: _zip({"a.xml": xml * 1000, "b.xml": xml})[:-40],
        "pas une archive": lambda: b"PK\x03\x04" + bytes((i * 37) % 256 for i in range(2000)),
    }
    out = {}
    for i, (label, build) in enumerate(builders.items()):
        path = folder / f"hostile{i}.zip"
        path.write_bytes(build())
        out[label] = path
    return out


# -- the report ---------------------------------------------------------------------------

def run(fuzz: int, only_attacks: bool = False) -> dict[str, Any]:
    from scolint.engine.manager import get_plugin_host
    formats = set(get_plugin_host(load_entrypoints=False).registries.formats)
    seeds = {n: (make_corpus.SEEDS / n).read_bytes() for n, fam in make_corpus.FAMILIES.items()
             if fam in formats and (make_corpus.SEEDS / n).is_file()}
    figures: dict[str, Any] = {"families": defaultdict(Counter), "fuzz": defaultdict(Counter),
                               "times": defaultdict(list), "mem": defaultdict(list), "crashes": [],
                               "hostile_xml": [], "hostile_zip": [], "payloads": Counter()}
    auditor()  # plugins, rules and sandbox loaded before forking: the children share them
    if only_attacks:
        run_attacks(figures)
        return figures

    bases: dict[str, float] = {}

    def record(group: str, label: str, answer: str, seconds: float, mb: float, bucket: Counter | None) -> None:
        if group not in bases:  # the resting process just before this group (same parent state)
            bases[group] = measure(_noop)[2]
        mb = max(mb - bases[group], 0.0)
        figures["times"][group].append(seconds)
        figures["mem"][group].append(mb)
        if bucket is not None:
            bucket[answer] += 1
        if str(answer).startswith("crash"):
            figures["crashes"].append(f"{group} / {label} : {answer}")

    for case in make_corpus.cases():
        if case.family not in formats:
            continue
        others = {n: d for n, d in seeds.items() if n != case.filename}
        answer, sec, mb = measure(audit_case, others, case.filename, case.data)
        record("corpus", f"{case.family}/{case.name}", answer, sec, mb, figures["families"][case.family])
    rng = random.Random(20241027)
    for name, seed in seeds.items():
        family = make_corpus.FAMILIES[name]
        others = {n: d for n, d in seeds.items() if n != name}
        for i, data in enumerate(mutations(seed, fuzz, rng)):
            answer, sec, mb = measure(audit_case, others, name, data)
            record("fuzz", f"{family} #{i}", answer, sec, mb, figures["fuzz"][family])
    with tempfile.TemporaryDirectory() as tmp:  # a big valid establishment, for scale
        from scolint.plugins.gen.generate import generate
        generate(tmp, 2000, 7)
        figures["big"] = measure(audit_folder, tmp)
    figures["baseline"] = measure(_noop)[2]
    hostile = _load("test_hostile_xml", ROOT / "tests" / "test_hostile_xml.py").HOSTILE
    hostile = dict(hostile)
    hostile["1 990 000 éléments (juste sous la limite)"] = (b"<r>" + b"<a/>" * 1_990_000 + b"</r>", "", None)
    hostile["2 100 000 éléments (au-delà de la limite)"] = (b"<r>" + b"<a/>" * 2_100_000 + b"</r>", "", None)
    for label, (data, _words, _line) in hostile.items():
        answer, sec, mb = measure(parse_hostile, data)
        record("xml", label, answer, sec, mb, None)
        figures["hostile_xml"].append((label, answer, sec, figures["mem"]["xml"][-1]))
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in hostile_zips(Path(tmp)).items():
            answer, sec, mb = measure(discover_zip, path)
            record("zip", label, answer, sec, mb, None)
            figures["hostile_zip"].append((label, answer, sec, figures["mem"]["zip"][-1]))
    import yaml
    payloads = yaml.safe_load((ROOT / "tests" / "fixtures" / "rule_payloads.yaml").read_text(encoding="utf-8"))
    for case in payloads:
        answer, sec, mb = measure(payload_case, case)
        record("payloads", case["payload"][:60], answer, sec, mb, figures["payloads"])
    run_attacks(figures)
    return figures


# -- attacks on what scolint writes and sends (issue 14) ------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
REPORT_FORMATS = ("console", "json", "markdown", "html", "junit", "sarif")
_SCHOOL: list[Path] = []


def base_school() -> Path:
    """One generated establishment (40 pupils) with the ENT seed file: copied by every attack."""
    if not _SCHOOL:
        from scolint.plugins.gen.generate import generate
        tmp = Path(tempfile.mkdtemp(prefix="scolint-bench-ecole-")) / "ecole"
        est, _truth = generate(tmp, 40, 3)
        folder = tmp.with_name(est.uai)  # batch and send check the folder's name against the exports
        tmp.rename(folder)
        (folder / "verite-terrain.json").unlink()
        (folder / "ENT-Identifiants.csv").write_bytes((make_corpus.SEEDS / "ENT-Identifiants.csv").read_bytes())
        _SCHOOL.append(folder)
    return _SCHOOL[0]


def _copy_school(root: Path, name: str | None = None) -> Path:
    import shutil
    target = root / (name or base_school().name)
    shutil.copytree(base_school(), target)
    return target


def _state(paths: list[Path]) -> dict[str, Any]:
    """Kind and bytes of every input (a FIFO stays a FIFO, a file keeps its bytes)."""
    import hashlib
    import stat as st
    out: dict[str, Any] = {}
    for p in paths:
        items = [p] + (sorted(p.rglob("*")) if p.is_dir() and not p.is_symlink() else [])
        for q in items:
            mode = os.lstat(q).st_mode
            out[str(q)] = (st.S_IFMT(mode), hashlib.sha256(q.read_bytes()).hexdigest()
                           if st.S_ISREG(mode) else None)
    return out


def _run_cli(argv: list[str], cwd: Path) -> tuple[Any, str]:
    import contextlib

    from scolint.engine.cli import main
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code: Any = main(argv)
            except BaseException as exc:  # noqa: BLE001 - counted as a traceback
                code = f"Traceback: {type(exc).__name__}"
    finally:
        os.chdir(previous)
    return code, out.getvalue() + err.getvalue()


def _run_signalled(argv: list[str], cwd: Path, sig: int) -> tuple[Any, str]:
    import subprocess
    tmpdir = Path(os.environ["TMPDIR"])
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from scolint.engine.cli import main; sys.exit(main())",
                             *argv], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    deadline = time.monotonic() + 120
    while not any(tmpdir.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.003)
    if proc.poll() is None:
        proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, (out + err).decode("utf-8", "replace")


def attack_case(attack: dict[str, Any]) -> dict[str, Any]:
    """Run one attack in this (forked) child and say what went wrong (every figure 0 = held)."""
    import shutil
    root = Path(tempfile.mkdtemp(prefix="scolint-attaque-"))
    tmpdir = root / "_tmp"
    tmpdir.mkdir()
    os.environ["TMPDIR"] = str(tmpdir)
    tempfile.tempdir = None
    try:
        ctx = attack["prepare"](root)
        inputs = [Path(p) for p in ctx.get("inputs", [])]
        before = _state(inputs)
        start = time.perf_counter()
        printed, code = "", None
        for argv in ctx["runs"]:
            if ctx.get("signal"):
                code, text = _run_signalled(argv, ctx.get("cwd", root), ctx["signal"])
            else:
                code, text = _run_cli(argv, ctx.get("cwd", root))
            printed += text
        seconds = time.perf_counter() - start
        secrets = [s for s in ctx.get("secrets", []) if s]
        skip = {str(Path(p)) for p in ctx.get("allowed", [])} | set(before)
        written = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and str(p) not in skip
                   and tmpdir not in p.parents]
        texts = [printed] + [p.read_bytes().decode("utf-8", "replace") for p in written]
        left = [p for p in tmpdir.rglob("*")]
        wrong = {
            "traceback": isinstance(code, str) or "Traceback" in printed,
            "interne": "erreur interne" in printed,
            "fuite": any(s in t for s in secrets for t in texts) or bool(left),
            "entree_modifiee": _state(inputs) != before,
            "faux_vert": "expect" in ctx and code not in ctx["expect"],
            "injection": bool(ctx["check"](root, printed)) if "check" in ctx else False,
            "depassement": bool(ctx["overrun"](root, printed, seconds)) if "overrun" in ctx else False,
        }
        return {"wrong": wrong, "code": code, "seconds": seconds}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _special(root: Path, kind: str) -> Path:
    import socket
    import stat as st
    path = root / f"cible-{kind}"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(path))
        s.close()
    elif kind == "dossier":
        path.mkdir()
    elif kind == "peripherique":
        os.mknod(path, 0o666 | st.S_IFCHR, os.makedev(1, 3))
    return path


def _output_attack(command: str, target: str) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        school = _copy_school(root)
        ent = school / "ENT-Identifiants.csv"
        archive = root / "exports.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for p in sorted(school.iterdir()):
                zf.write(p, p.name)
        if target == "fichier-ent":
            out = ent
        elif target == "autre-fichier-du-dossier":
            out = next(school.glob("sts_emp_*.xml"))
        elif target == "archive-auditee":
            out = archive
        elif target == "lien-dur":
            out = root / "lien-dur.csv"
            os.link(ent, out)
        elif target == "lien-symbolique":
            out = root / "lien.csv"
            out.symlink_to(ent)
        else:
            out = _special(root, target)
        source = str(archive) if target == "archive-auditee" else str(school)
        argv = {"check": ["check", source, "-o", str(out)],
                "baseline": ["baseline", source, "-o", str(out)],
                "rules doc": ["rules", "doc", "-o", str(out)],
                "publipostage": ["publipostage", str(ent), "-o", str(out)]}[command]
        if command == "rules doc" and target in ("fichier-ent", "autre-fichier-du-dossier", "lien-dur",
                                                  "lien-symbolique", "archive-auditee"):
            # The inputs of ``rules doc`` are its rule files: the output aims at one of them.
            rules = root / "regles"
            rules.mkdir()
            rule = rules / "MA-REGLE-001.yml"
            rule.write_text("id: MA-REGLE-001\ntitle: Élève sans nom\nseverity: info\nfor_each: student\n"
                            "assert: student.last_name\nmessage: sans nom\nfix: ajoutez-le\n", "utf-8")
            out = {"lien-dur": root / "regle-lien-dur.yml", "lien-symbolique": root / "regle-lien.yml"}.get(target, rule)
            if target == "lien-dur":
                os.link(rule, out)
            elif target == "lien-symbolique":
                out.symlink_to(rule)
            argv = ["rules", "doc", "--rules", str(rules), "-o", str(out)]
            return {"runs": [argv], "inputs": [school, rules, out], "expect": {2}}
        return {"runs": [argv], "inputs": [school, archive, out], "secrets": list(make_corpus.ENT_PASSWORDS),
                "expect": {2}}
    return {"classe": "sortie sur une entrée ou un fichier spécial", "label": f"{command} → {target}",
            "prepare": prepare}


def _false_green_attack(kind: str, fail_on: str) -> dict[str, Any]:
    import bz2
    import gzip
    import lzma

    def prepare(root: Path) -> dict[str, Any]:
        folder = root / "exports"
        folder.mkdir()
        seed = (make_corpus.SEEDS / "ElevesSansAdresses.xml").read_bytes()
        target: Path = folder
        if kind == "tronque":
            (folder / "ElevesSansAdresses.xml").write_bytes(seed[: len(seed) // 3])
        elif kind == "gzip":
            (folder / "ElevesSansAdresses.xml.gz").write_bytes(gzip.compress(seed))
        elif kind == "xz":
            (folder / "ElevesSansAdresses.xml.xz").write_bytes(lzma.compress(seed))
        elif kind == "bzip2":
            (folder / "ElevesSansAdresses.xml.bz2").write_bytes(bz2.compress(seed))
        elif kind == "chiffre-pgp":
            (folder / "ElevesSansAdresses.xml.gpg").write_bytes(b"-----BEGIN PGP MESSAGE-----\n\nhQEMA0x\n")
        elif kind == "chiffre-openssl":
            (folder / "ElevesSansAdresses.xml.enc").write_bytes(b"Salted__" + os.urandom(64))
        elif kind == "fifo-dans-le-dossier":
            os.mkfifo(folder / "ElevesSansAdresses.xml")
        elif kind == "fifo-seul":
            target = folder / "ElevesSansAdresses.xml"
            os.mkfifo(target)
        elif kind == "inconnu":
            (folder / "notes.txt").write_text("rien\n", "utf-8")
        elif kind == "zip-vide":
            with zipfile.ZipFile(folder / "exports.zip", "w"):
                pass
        elif kind == "caches-seulement":
            (folder / ".ElevesSansAdresses.xml").write_bytes(seed)
        return {"runs": [["check", str(target), "--fail-on", fail_on]], "inputs": [folder], "expect": {2}}
    return {"classe": "rien de lisible (faux vert)", "label": f"{kind}, --fail-on {fail_on}", "prepare": prepare}


def _unknown_selection_attack(command: str, option: str, value: str) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        school = _copy_school(root)
        argv = (["check", str(school)] if command == "check" else
                ["batch", str(root), "-j", "1", "-o", str(root / "rapports")]) + [option, value]
        return {"runs": [argv], "inputs": [school], "expect": {2},
                "check": lambda r, printed: value not in printed}
    return {"classe": "identifiant de règle ou étiquette inconnu", "label": f"{command} {option} {value}",
            "prepare": prepare}


def _swallow_attack(where: int) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        rows = [make_corpus.ent_row(i, "Eleve", "Léo", f"NOM{i}", f"Avale-{i:04d}") for i in range(60)]
        rows[where][4] = '"Léo'
        ent = root / "ENT-Identifiants.csv"
        ent.write_bytes(make_corpus.ent_with(rows))
        out = root / "courrier.csv"
        return {"runs": [["check", str(ent)], ["publipostage", str(ent), "-o", str(out)]], "inputs": [ent],
                "expect": {2}, "secrets": [r[7] for r in rows] + list(make_corpus.ENT_PASSWORDS),
                "check": lambda r, printed: (r / "courrier.csv").exists() or "guillemet non fermé" not in printed}
    return {"classe": "guillemet qui avale des lignes", "label": f"guillemet ouvert ligne {where + 7}",
            "prepare": prepare}


def _shifted_attack(shift: str, fmt: str) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        secret = "Dec4l-S3cret"
        row = make_corpus.shifted_ent_row(shift, secret)
        folder = root / "ecole"
        folder.mkdir()
        (folder / "ENT-Identifiants.csv").write_bytes(make_corpus.ent_with([row]))
        return {"runs": [["check", str(folder), "--format", fmt, "-o", str(root / f"rapport.{fmt}")]],
                "inputs": [folder], "secrets": [secret] + list(make_corpus.ENT_PASSWORDS)}
    return {"classe": "ligne ENT décalée (code cité ?)", "label": f"{shift}, rapport {fmt}", "prepare": prepare}


def _hash_attack(code: str) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        rows = [make_corpus.ent_row(1, "Responsable", "Jo", "HASH", code, ""),
                make_corpus.ent_row(2, "Eleve", "Ana", "CLAIR", "Bon-Code-2")]
        ent = root / "ENT-Identifiants.csv"
        ent.write_bytes(make_corpus.ent_with(rows))
        out = root / "courrier.csv"

        def sent_hash(r: Path, printed: str) -> bool:
            text = out.read_text("utf-8-sig") if out.exists() else ""
            return code in text or "x1.hash, " not in printed
        return {"runs": [["publipostage", str(ent), "-o", str(out)]], "inputs": [ent], "allowed": [out],
                "secrets": [code], "check": sent_hash, "expect": {0}}
    return {"classe": "empreinte envoyée comme code", "label": code[:24], "prepare": prepare}


def _recipients_leak_attack() -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        academy = root / "depots"
        _copy_school(academy)
        ent = academy / base_school().name / "ENT-Identifiants.csv"
        os.environ["SCOLINT_SMTP_FROM"] = "pole@ac-exemple.fr"
        return {"runs": [["send", str(academy), "--dry-run", str(root / "eml"), "--destinataires", str(ent),
                          "--sans-config"]], "inputs": [academy], "secrets": list(make_corpus.ENT_PASSWORDS),
                "expect": {2}}
    return {"classe": "ligne d'entrée recopiée dans un message", "label": "send --destinataires ENT-Identifiants.csv",
            "prepare": prepare}


def _signal_attack(sig_name: str) -> dict[str, Any]:
    import signal as _s

    def prepare(root: Path) -> dict[str, Any]:
        school = _copy_school(root)
        archive = root / "exports.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(BIG_SCHOOL[0].iterdir()):
                zf.write(p, p.name)
            zf.write(school / "ENT-Identifiants.csv", "ENT-Identifiants.csv")
        return {"runs": [["check", str(archive), "-o", str(root / "r.json"), "--format", "json"]],
                "inputs": [archive, school], "signal": getattr(_s, sig_name), "secrets": list(make_corpus.ENT_PASSWORDS),
                "expect": {130, 128 + getattr(_s, sig_name)}}
    return {"classe": "signal pendant l'audit d'une archive", "label": sig_name, "prepare": prepare}


BIG_SCHOOL: list[Path] = []


def _name_in_sts(folder: Path, name: str) -> None:
    import re
    from xml.sax.saxutils import escape
    sts = next(folder.glob("sts_emp_*.xml"))
    text = sts.read_bytes().decode("iso-8859-15")
    value = escape(name).replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#9;")
    text = re.sub(r"<DENOM_PRINC>.*?</DENOM_PRINC>", f"<DENOM_PRINC>{value}</DENOM_PRINC>", text, count=1, flags=re.S)
    sts.write_bytes(text.encode("iso-8859-15", "xmlcharrefreplace"))


def _mail_attack(kind: str) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        academy = root / "depots"
        school = _copy_school(academy)
        _name_in_sts(school, make_corpus.HOSTILE_NAMES[kind])
        os.environ["SCOLINT_SMTP_FROM"] = "Pôle <pole@ac-exemple.fr>"

        def injected(r: Path, printed: str) -> bool:
            import email
            from email import policy
            allowed = {"subject", "from", "to", "date", "message-id", "mime-version", "content-type"}
            part_ok = {"content-type", "content-transfer-encoding", "content-disposition", "mime-version"}
            emls = list((r / "eml").glob("*.eml"))
            if not emls:
                return True
            for p in emls:
                msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
                if {k.lower() for k in msg.keys()} - allowed or str(msg["To"]) != f"ce.{school.name.lower()}@ac-exemple.fr":
                    return True
                if any({k.lower() for k in part.keys()} - part_ok for part in msg.walk() if part is not msg):
                    return True
            rows = (r / "rapports" / "synthese-academie.csv").read_text("utf-8-sig").splitlines()[1:]
            return any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row.split(";"))
        return {"runs": [["send", str(academy), "--dry-run", str(root / "eml"), "--destinataire",
                          "ce.{uai}@ac-exemple.fr", "--sans-config", "-j", "1", "-o", str(root / "rapports")]],
                "inputs": [academy], "check": injected, "secrets": list(make_corpus.ENT_PASSWORDS),
                "allowed": []}
    return {"classe": "en-tête de courriel injecté", "label": kind, "prepare": prepare}


def _recipient_cell_attack(cell: str) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        academy = root / "depots"
        _copy_school(academy)
        table = root / "table.csv"
        table.write_text('uai;courriel\n0312201Z;"' + cell.replace('"', '""') + '"\n', "utf-8")
        os.environ["SCOLINT_SMTP_FROM"] = "pole@ac-exemple.fr"
        return {"runs": [["send", str(academy), "--dry-run", str(root / "eml"), "--destinataires", str(table),
                          "--sans-config"]], "inputs": [academy, table], "expect": {2},
                "check": lambda r, printed: (r / "eml").exists()}
    return {"classe": "adresse piégée dans la table des destinataires", "label": repr(cell)[:40], "prepare": prepare}


def _subject_attack(subject: str) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        academy = root / "depots"
        _copy_school(academy)
        config = root / "envoi.yaml"
        config.write_text("from: pole@ac-exemple.fr\nrecipient: ce.{uai}@ac-exemple.fr\nsubject: '"
                          + subject.replace("'", "''") + "'\n", "utf-8")
        return {"runs": [["send", str(academy), "--config-envoi", str(config), "--dry-run", str(root / "eml"),
                          "--sans-config"]], "inputs": [academy], "expect": {2},
                "overrun": lambda r, printed, seconds: seconds > 30}
    return {"classe": "modèle de sujet piégé", "label": subject[:40], "prepare": prepare}


def _formula_attack(kind: str) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        value = make_corpus.HOSTILE_NAMES[kind]
        rows = [make_corpus.ent_row(1, "Eleve", value, value.strip() or "X", "Code-001"),
                make_corpus.ent_row(2, "Responsable", "Jo", value.strip() or "Y", "Code-002", "")]
        ent = root / "ENT-Identifiants.csv"
        ent.write_bytes(make_corpus.ent_with(rows))
        out = root / "courrier.csv"

        def live(r: Path, printed: str) -> bool:
            import csv as _csv
            cells = [c for row in _csv.reader(out.open(encoding="utf-8-sig", newline=""), delimiter=";")
                     for c in row] if out.exists() else ["="]
            return any(c.startswith(FORMULA_STARTS) for c in cells)
        return {"runs": [["publipostage", str(ent), "-o", str(out)]], "inputs": [ent], "allowed": [out],
                "check": live}
    return {"classe": "formule de tableur dans un CSV écrit", "label": kind, "prepare": prepare}


def _markup_attack(kind: str, fmt: str) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        folder = root / "exports"
        folder.mkdir()
        value = make_corpus.HOSTILE_NAMES[kind]
        (folder / (value.replace("/", "_") + ".xml")).write_text("<inconnu/>", "utf-8")
        (folder / "ElevesSansAdresses.xml").write_bytes((make_corpus.SEEDS / "ElevesSansAdresses.xml").read_bytes())
        argv = ["check", str(folder), "--format", fmt] + (["-o", str(root / "r.md")] if fmt == "markdown" else [])

        def raw(r: Path, printed: str) -> bool:
            if fmt == "markdown":
                text = (r / "r.md").read_text("utf-8")
                return ("<img" in text.replace("\\<img", "") or "](http" in text
                        or any(line.startswith("# Titre") for line in text.splitlines()))
            return any(c in printed for c in ("\x1b", "\x07", "\u202e"))
        return {"runs": [argv], "inputs": [folder], "check": raw}
    return {"classe": "balisage ou séquence de terminal injecté", "label": f"{kind}, {fmt}", "prepare": prepare}


def _bound_attack(label: str, expr: str) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        import shutil
        folder = root / "exports"
        shutil.copytree(BIG_SCHOOL[0], folder)  # 600 pupils: the costly rule outlasts its bound
        rules = root / "regles"
        rules.mkdir()
        (rules / "PIEGE-BORNE-001.yml").write_text(
            "id: PIEGE-BORNE-001\ntitle: Règle piégée\nseverity: warning\nfor_each: student\n"
            f"assert: \"{expr}\"\nmessage: x\nfix: y\n", encoding="utf-8")

        def overrun(r: Path, printed: str, seconds: float) -> bool:
            import json
            report = json.loads((r / "r.json").read_text("utf-8"))
            status = {x["id"]: x["statut"] for x in report["regles"]}
            return status.get("PIEGE-BORNE-001") != "error" or status.get("SIE-DIV-001") not in ("passed", "failed") \
                or seconds > 60
        return {"runs": [["check", str(folder), "--rules", str(rules), "--duree-max-regle", "0.5", "--format", "json",
                          "-o", str(root / "r.json")]], "inputs": [folder, rules], "overrun": overrun}
    return {"classe": "règle sans borne (temps, largeur, taille)", "label": label, "prepare": prepare}


def _write_error_attack(err: int) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        from scolint.engine import outputs

        def failing(fd: int, data: Any) -> int:
            raise OSError(err, os.strerror(err))
        outputs._write = failing  # type: ignore[assignment]  (this child only)
        school = _copy_school(root)
        target = root / "rapport.md"
        target.write_text("ANCIEN", "utf-8")
        return {"runs": [["check", str(school), "--format", "markdown", "-o", str(target)]],
                "inputs": [school, target], "expect": {2}}
    import errno as _e
    return {"classe": "erreur d'écriture (disque plein, lecture seule…)", "label": _e.errorcode.get(err, str(err)),
            "prepare": prepare}


def _path_error_attack(kind: str) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        school = _copy_school(root)
        blocker = root / "fichier"
        blocker.write_text("x", "utf-8")
        target = {"nom-trop-long": root / ("n" * 300 + ".md"), "parent-fichier": blocker / "r.md",
                  "chemin-vide": Path("")}[kind]
        return {"runs": [["check", str(school), "-o", str(target)]], "inputs": [school, blocker], "expect": {2}}
    return {"classe": "chemin de sortie impossible", "label": kind, "prepare": prepare}


def _zip_name_attack(kind: str) -> dict[str, Any]:
    def prepare(root: Path) -> dict[str, Any]:
        archive = root / "exports.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("PLACEHOLDER1" if kind == "nom-vide" else make_corpus.HOSTILE_NAMES.get(kind, kind) + ".xml",
                        "<a/>")
            zf.writestr("ElevesSansAdresses.xml", (make_corpus.SEEDS / "ElevesSansAdresses.xml").read_bytes())
        if kind == "nom-vide":
            archive.write_bytes(archive.read_bytes().replace(b"PLACEHOLDER1", b"\x00" * 12))
        return {"runs": [["check", str(archive)]], "inputs": [archive],
                "check": lambda r, printed: any(c in printed for c in ("\x1b", "\u202e"))}
    return {"classe": "nom de membre d'archive étrange", "label": kind, "prepare": prepare}


def _batch_interrupt_attack(command: str) -> dict[str, Any]:
    import signal as _s

    def prepare(root: Path) -> dict[str, Any]:
        academy = root / "depots"
        academy.mkdir()
        for uai in ("0312201Z", "0312202A", "0312203B"):  # archives: extracted into TMPDIR by the workers
            with zipfile.ZipFile(academy / f"{uai}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
                for p in sorted(BIG_SCHOOL[0].iterdir()):
                    zf.write(p, p.name)
        os.environ["SCOLINT_SMTP_FROM"] = "pole@ac-exemple.fr"
        argv = (["batch", str(academy), "-j", "2", "-o", str(root / "r")] if command == "batch" else
                ["send", str(academy), "-j", "2", "--dry-run", str(root / "eml"), "--destinataire",
                 "ce.{uai}@ac-exemple.fr", "-o", str(root / "r")])
        return {"runs": [argv + ["--sans-config"]], "inputs": [academy], "signal": _s.SIGINT, "expect": {130}}
    return {"classe": "Ctrl-C pendant batch ou send", "label": command, "prepare": prepare}


def attacks() -> list[dict[str, Any]]:
    """Every attack, by class (a class is one way of attacking; its variants are the cases)."""
    import errno
    out: list[dict[str, Any]] = []
    targets = ["fichier-ent", "autre-fichier-du-dossier", "archive-auditee", "lien-dur", "lien-symbolique",
               "fifo", "socket", "dossier"] + (["peripherique"] if os.geteuid() == 0 else [])
    for command in ("check", "baseline", "rules doc", "publipostage"):
        out += [_output_attack(command, t) for t in targets]
    for kind in ("vide", "tronque", "gzip", "xz", "bzip2", "chiffre-pgp", "chiffre-openssl", "fifo-dans-le-dossier",
                 "fifo-seul", "inconnu", "zip-vide", "caches-seulement"):
        out += [_false_green_attack(kind, f) for f in ("error", "info")]
    for command in ("check", "batch"):
        out += [_unknown_selection_attack(command, o, v) for o, v in
                (("--select", "NOPE-001"), ("--ignore", "NOPE-001"), ("--tags", "remontee-st"),
                 ("--ignore", "etiquette-inconnue"))]
    out += [_swallow_attack(w) for w in (0, 10, 30, 59)]
    for shift in make_corpus.SHIFTS:
        out += [_shifted_attack(shift, fmt) for fmt in REPORT_FORMATS]
    out += [_hash_attack(c) for c in make_corpus.HASHED_CODES]
    out.append(_recipients_leak_attack())
    out += [_signal_attack(s) for s in ("SIGTERM", "SIGHUP", "SIGINT")]
    out += [_mail_attack(k) for k in ("entete-mot-encode", "entete-crlf", "entete-lf", "formule-egal",
                                      "formule-plus", "formule-moins", "formule-arobase", "formule-tabulation")]
    out += [_recipient_cell_attack(c) for c in ('a@b.fr\nBcc: evil@evil.example', 'x@y.fr>, <evil@evil.example',
                                                 'Evil <evil@evil.example>', 'a@b.fr\x00',
                                                 '=?utf-8?q?a=0D=0ABcc:_e@e.fr?=@b.fr')]
    out += [_subject_attack(s) for s in ("{etablissement!r:>100000000}", "{etablissement:>100000000}",
                                         "{uai:{erreurs}}", "{champ}", "{uai.__class__}", "{0}", "{uai",
                                         "x" * 2000)]
    out += [_formula_attack(k) for k in make_corpus.HOSTILE_NAMES if k.startswith("formule-")]
    out += [_markup_attack(k, "markdown") for k in ("markdown-accent-grave", "markdown-titre")]
    out += [_markup_attack(k, "console") for k in ("console-echappement", "console-bidi")]
    out += [_bound_attack(lbl, e) for lbl, e in (
        ("largeur * de 10^9", "('%*s' % (1000000000, 'x')) | length > 0"),
        ("précision .* de 10^9", "('%.*f' % (1000000000, 1.5)) | length > 0"),
        ("filtre format et *", "('%*s' | format(1000000000, 'x')) | length > 0"),
        ("largeur écrite de 10^9", "('%1000000000s' % 'x') | length > 0"),
        ("chaîne de filtres", "(range(9000) | map('string') | sort | unique | list | join(',') | length) "
                              "+ (range(9000) | map('string') | sort(reverse=true) | unique | list | length) < 0"),
        ("répétition", "('x' * 1000000000) | length > 0"),
        ("range géant", "range(1000000000) | list | length > 0"))]
    out += [_write_error_attack(e) for e in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EACCES,
                                             errno.EPERM)]
    out += [_path_error_attack(k) for k in ("nom-trop-long", "parent-fichier", "chemin-vide")]
    out += [_zip_name_attack(k) for k in ("nom-vide", "console-echappement", "console-bidi", "markdown-titre")]
    out += [_batch_interrupt_attack(c) for c in ("batch", "send")]
    return out


WRONG_FR = {"traceback": "traces Python (Traceback)", "interne": "« erreur interne »",
            "fuite": "fuites (code dans une sortie, l'erreur standard ou un fichier temporaire restant)",
            "entree_modifiee": "entrées ou fichiers spéciaux modifiés", "injection": "injections réussies",
            "faux_vert": "faux verts (code de sortie autre que celui attendu)",
            "depassement": "règles ou modèles hors de leurs bornes"}


def run_attacks(figures: dict[str, Any]) -> None:
    from scolint.plugins.gen.generate import generate
    base_school()
    big = Path(tempfile.mkdtemp(prefix="scolint-bench-gros-"))
    generate(big, 600, 8)
    (big / "verite-terrain.json").unlink()
    BIG_SCHOOL.append(big)
    by_class: dict[str, Counter] = defaultdict(Counter)
    failures: list[str] = []
    try:
        _run_all(by_class, failures)
    finally:
        import shutil
        shutil.rmtree(big, ignore_errors=True)
        shutil.rmtree(base_school().parent, ignore_errors=True)
    figures["attacks"] = by_class
    figures["attack_failures"] = failures


def _run_all(by_class: dict[str, Counter], failures: list[str]) -> None:
    for attack in attacks():
        outcome, sec, _mb = measure(attack_case, attack, timeout=300)
        counts = by_class[attack["classe"]]
        counts["cas"] += 1
        if isinstance(outcome, str):  # the child itself crashed
            counts["traceback"] += 1
            failures.append(f"{attack['classe']} / {attack['label']} : {outcome}")
            continue
        for key, bad in outcome["wrong"].items():
            if bad:
                counts[key] += 1
                failures.append(f"{attack['classe']} / {attack['label']} : {WRONG_FR[key]} (code {outcome['code']})")
        print(f"{sum(c['cas'] for c in by_class.values())} : {attack['classe']} / {attack['label']} : "
              + ", ".join(k for k, v in (outcome["wrong"].items() if isinstance(outcome, dict) else []) if v),
              file=sys.stderr, flush=True)


def _fmt_table(rows: list[list[str]], head: list[str]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


PROTECTIONS = [
    "Toute sortie passe par `engine/outputs.py` : refus (code 2, message en français) d'une sortie qui est "
    "une entrée, un lien (symbolique ou dur) vers une entrée, un fichier existant d'un dossier audité, ou "
    "un chemin existant qui n'est pas un fichier ordinaire (dossier, tube, socket, périphérique) ; "
    "`-o -` écrit sur la sortie standard.",
    "Écriture atomique (fichier temporaire dans le même dossier puis renommage) : disque plein, signal ou "
    "panne laissent l'ancien fichier, jamais un demi-fichier ni un fichier temporaire.",
    "Le fichier de publipostage (codes) est créé en 0600 quel que soit l'umask ; les rapports suivent "
    "l'umask (0644 avec l'umask habituel 022).",
    "`batch` et `send` n'écrivent jamais dans le dossier d'un établissement ; un dossier de rapports placé "
    "dans le dossier académique n'est pas pris pour un établissement.",
    "Erreurs du système (disque plein, quota, lecture seule, permission, nom trop long, dossier attendu, "
    "connexion refusée…) : une phrase en français, code 2.",
    "Aucune cellule d'un fichier d'identifiants ENT n'est citée dans un message (ligne et colonne seulement) ; "
    "une ligne ENT décalée (colonne manquante ou en trop) est ignorée et signalée.",
    "Aucune ligne d'entrée recopiée dans un message (table des destinataires : numéro de ligne seulement).",
    "Les membres d'archive extraits sont supprimés dans un `finally`, aussi sur SIGINT, SIGTERM et SIGHUP "
    "(gestion des signaux dans le point d'entrée de la ligne de commande et des processus de `batch`).",
    "Toute valeur `{SCHEMA}` (quelle que soit la casse), chaîne crypt(3) (`$2b$`, `$6$`…) ou empreinte "
    "hexadécimale n'est jamais envoyée comme code ; le bilan du publipostage liste ces comptes.",
    "En-têtes de courriel construits avec la politique `email` de la bibliothèque standard, valeurs "
    "neutralisées (caractères de contrôle, mots encodés `=?…?=`), adresses analysées une à une, "
    "en-têtes relus et vérifiés avant envoi.",
    "Modèles de sujet et de destinataire : champs connus seulement, ni conversion ni attribut, largeur "
    "plafonnée, vérifiés avant tout audit.",
    "Tout CSV écrit (publipostage, synthèse académique) neutralise les formules (apostrophe devant =, +, -, "
    "@, tabulation, retour chariot), comme le recommande l'OWASP ; un code qui commencerait ainsi est "
    "écarté et signalé.",
    "Markdown : chaque valeur est échappée (accents graves, HTML, liens, titres, retours à la ligne), noms "
    "de fichiers et de membres d'archive compris ; la correction d'une règle garde ses listes numérotées.",
    "Console et messages d'erreur : caractères de contrôle et marques bidirectionnelles affichés échappés "
    "(`\\x1b`, `\\u202e`).",
    "Aucun feu vert sur rien : code 2 et phrase en français quand aucun export n'a pu être lu (dossier vide, "
    "fichiers inconnus, tronqués, compressés ou chiffrés, tube) ; dossier ou fichier illisible = erreur.",
    "`--select`, `--ignore`, `--tags` inconnus : erreur d'utilisation nommant les identifiants (avec une "
    "suggestion).",
    "Un guillemet non fermé qui avale des lignes : fichier refusé avec les numéros de ligne et le nombre "
    "de lignes lues ; le publipostage n'écrit rien.",
    "Chaque règle a une durée maximale (5 s par défaut, `--duree-max-regle`, vérifiée au fil des opérations) "
    "et des tailles plafonnées (largeurs `*` comprises, range, répétitions, filtres comptés à la taille de "
    "leur entrée) : au-delà, la règle est en erreur et l'audit continue.",
    "Ctrl-C pendant `batch` ou `send` : processus arrêtés proprement, bilan de ce qui a été fait, code 130 ; "
    "un établissement en échec n'arrête pas les autres ; serveur SMTP et authentification vérifiés avant "
    "le premier audit.",
]


ATTACKS_START, ATTACKS_END = "<!-- attaques -->", "<!-- /attaques -->"


def render_attacks(figures: dict[str, Any]) -> str:
    """The attack section: protections, then every figure (all expected at 0)."""
    by_class = figures["attacks"]
    total = Counter()
    for c in by_class.values():
        total.update(c)
    keys = ["traceback", "interne", "fuite", "entree_modifiee", "injection", "faux_vert", "depassement"]
    head = ["classe d'attaque", "cas", "traces", "« erreur interne »", "fuites", "entrées modifiées",
            "injections", "faux verts", "dépassements"]
    rows = [[_cell(cls), str(c["cas"])] + [str(c[k]) for k in keys] for cls, c in sorted(by_class.items())]
    rows.append(["**total**", f"**{total['cas']}**"] + [f"**{total[k]}**" for k in keys])
    lines = [
        "## Sorties, secrets, injections, faux verts : les protections",
        "",
    ] + [f"- {p}" for p in PROTECTIONS] + [
        "",
        "## Attaques sur ce que scolint écrit et envoie",
        "",
        f"Dernière mesure : le {time.strftime('%d/%m/%Y')} (`python bench/robustness.py --attaques` ne "
        "refait que cette partie ; sans l'option, tout le document est refait). "
        f"**{total['cas']}** cas en **{len(by_class)}** classes d'attaque (chaque classe est une façon "
        "d'attaquer, ses cas en sont les variantes). Chaque cas tourne dans un processus à part, dans un "
        "dossier temporaire neuf avec son propre `TMPDIR` ; on compte : les traces Python, les messages "
        "« erreur interne », les fuites (chaque code ENT des entrées cherché dans les fichiers écrits — sauf "
        "le CSV de publipostage, fait pour eux —, la sortie et l'erreur standard, et tout fichier temporaire "
        "restant), les entrées ou fichiers spéciaux modifiés (contenu et type comparés avant et après), "
        "les injections réussies (en-tête ajouté, formule vivante, HTML ou lien Markdown, séquence de "
        "terminal), les faux verts (code de sortie autre que celui attendu, 2 en général) et les règles ou "
        "modèles sortis de leurs bornes (règle non mise en erreur, autres règles non évaluées, durée).",
        "",
        _fmt_table(rows, head),
        "",
        "Les mêmes attaques sont vérifiées en intégration continue : `tests/test_hostile_outputs.py`, "
        "`tests/test_hostile_false_green.py`, `tests/test_hostile_secrets.py`, `tests/test_hostile_injection.py`, "
        "`tests/test_hostile_rules.py`, `tests/test_hostile_send.py`.",
        "",
    ]
    if figures["attack_failures"]:
        lines += ["Attaques qui ont réussi :", ""] + [f"- {_cell(f)}" for f in figures["attack_failures"]] + [""]
    return "\n".join(lines)


def render(figures: dict[str, Any], fuzz: int) -> str:
    from scolint.engine import discover, expressions, xmlsafe
    from scolint.engine.rules import MAX_RULE_CHARS
    from scolint.engine.yamlines import MAX_NODES

    t, m, base = figures["times"], figures["mem"], figures["baseline"]
    total_inputs = sum(sum(c.values()) for c in figures["families"].values()) + \
        sum(sum(c.values()) for c in figures["fuzz"].values())
    answers = sorted({a for c in list(figures["families"].values()) + list(figures["fuzz"].values()) for a in c})
    fam_rows = []
    for fam in sorted(set(figures["families"]) | set(figures["fuzz"])):
        corpus, fz = figures["families"][fam], figures["fuzz"][fam]
        fam_rows.append([fam, str(sum(corpus.values())), str(sum(fz.values()))]
                        + [str(corpus[a] + fz[a]) for a in answers])
    crashes = figures["crashes"]
    lines = [
        "# Robustesse : entrées abîmées ou hostiles, règles piégées",
        "",
        "<!-- Fichier produit par bench/robustness.py : ne pas modifier à la main. -->",
        "",
        "Ce document donne les chiffres mesurés par `python bench/robustness.py --doc docs/robustness.md`",
        f"(machine : {platform.machine()}, {os.cpu_count()} cœurs, Python {platform.python_version()}, "
        f"le {time.strftime('%d/%m/%Y')}). Chaque essai tourne dans un processus à part ; on mesure sa durée "
        "et la mémoire résidente maximale qu'il ajoute à un processus scolint au repos "
        f"(greffons et règles chargés : {base:.0f} Mo).",
        "",
        "Les mêmes cas sont vérifiés en intégration continue, sans mesure de temps : "
        "`tests/test_bad_inputs.py` (corpus), `tests/test_fuzz_loaders.py` et `tests/test_fuzz_rules.py` "
        "(fuzzing avec hypothesis), `tests/test_hostile_xml.py`, `tests/test_hostile_zip.py`, "
        "`tests/test_rule_payloads.py`, `tests/test_no_change.py` (entrées inchangées, écriture atomique, "
        "aucun mot de passe dans les sorties).",
        "",
        "## Bilan",
        "",
        f"- **{total_inputs}** fichiers abîmés audités ({sum(sum(c.values()) for c in figures['families'].values())} "
        f"du corpus, {sum(sum(c.values()) for c in figures['fuzz'].values())} mutations aléatoires), "
        f"**{len(figures['hostile_xml'])}** fichiers XML hostiles, **{len(figures['hostile_zip'])}** archives "
        f"hostiles, **{sum(figures['payloads'].values())}** charges d'injection dans des règles.",
        f"- Plantages : **{len(crashes)}** (objectif 0).",
        f"- Durée maximale d'un essai : corpus {max(t['corpus'], default=0):.2f} s, mutations "
        f"{max(t['fuzz'], default=0):.2f} s, XML hostile {max(t['xml'], default=0):.2f} s, archive hostile "
        f"{max(t['zip'], default=0):.2f} s, règle piégée {max(t['payloads'], default=0):.2f} s.",
        f"- Mémoire ajoutée maximale d'un essai : corpus {max(m['corpus'], default=0):.0f} Mo, XML hostile "
        f"{max(m['xml'], default=0):.0f} Mo, archive hostile {max(m['zip'], default=0):.0f} Mo, règle piégée "
        f"{max(m['payloads'], default=0):.0f} Mo.",
        f"- Pour comparaison, l'audit d'un établissement valide de 2 000 élèves généré (tous les exports, "
        f"anomalies injectées) prend {figures['big'][1]:.1f} s et {figures['big'][2] - base:.0f} Mo "
        f"({figures['big'][0]}).",
        "",
    ]
    if crashes:
        lines += ["Plantages relevés :", ""] + [f"- {_cell(c)}" for c in crashes] + [""]
    lines += [ATTACKS_START, render_attacks(figures) + ATTACKS_END, ""]
    lines += [
        "## Fichiers abîmés, par famille d'export",
        "",
        "Le corpus (`tests/fixtures/bad/make_corpus.py`) dérive de fichiers valides (sortie du générateur, "
        "ou écrits à la main d'après la documentation des formats) : fichier vide, tronqué, balise non "
        "fermée, deux fichiers bout à bout, octet nul, binaire, XML étranger, enregistré par Excel, racine "
        "inconnue, sans déclaration, BOM UTF-8, UTF-16, fins de ligne CRLF, encodage déclaré menteur (dans "
        "les deux sens), date impossible, champ énorme, doublon d'identifiant, partie manquante, fichier "
        "d'une autre famille sous ce nom ; pour les CSV : tableur Windows-1252, guillemets, tabulations "
        "UTF-16, virgules, en-tête faux, doublé ou répété, ligne courte, guillemet non fermé. Chaque "
        f"fichier est audité à la place de l'export de sa famille, parmi les autres exports valides. Les "
        f"mutations aléatoires ({fuzz} par famille, graine fixe) remplacent, insèrent ou suppriment des "
        "octets, tronquent le fichier, suppriment ou dupliquent des éléments.",
        "",
        _fmt_table(fam_rows, ["famille", "corpus", "mutations"] + answers),
        "",
        "« refusé » : anomalie `ENTREE-FICHIER` (fichier illisible, code de sortie 2) ; « non reconnu » : "
        "information `ENTREE-INCONNU` ; « lu, écarts signalés » : anomalies `ENTREE-SCHEMA` ou "
        "`ENTREE-ENCODAGE` avec leur ligne ; « lu » : le fichier est lu (les règles signalent ce qui est "
        "faux). Dans tous les cas les autres fichiers du dossier sont audités.",
        "",
        "## XML hostile",
        "",
        _fmt_table([[_cell(lbl), _cell(ans[:110]), f"{sec:.2f}", f"{mb:.0f}"]
                    for lbl, ans, sec, mb in figures["hostile_xml"]], ["cas", "réponse", "durée (s)", "mémoire ajoutée (Mo)"]),
        "",
        "## Archives .zip hostiles",
        "",
        _fmt_table([[_cell(lbl), _cell(ans[:110]), f"{sec:.2f}", f"{mb:.0f}"]
                    for lbl, ans, sec, mb in figures["hostile_zip"]], ["cas", "réponse", "durée (s)", "mémoire ajoutée (Mo)"]),
        "",
        "Les membres d'une archive sont extraits dans un dossier temporaire privé, sous des noms choisis "
        "par scolint (aucun chemin de l'archive n'est utilisé sur le disque), et supprimés en fin d'audit.",
        "",
        "## Règles piégées (injection de modèles Jinja2)",
        "",
        _fmt_table([[_cell(a), str(n)] for a, n in sorted(figures["payloads"].items())], ["réponse", "charges"]),
        "",
        "Les charges (`tests/fixtures/rule_payloads.yaml`) visent `__class__`, `__mro__`, "
        "`__subclasses__`, `__globals__`, `__builtins__`, les globales de Jinja (`cycler`, `joiner`, "
        "`namespace`, `lipsum`), `self`, le filtre `attr`, `format`, les imports, `{% include %}`, "
        "`{% import %}`, `{% extends %}`, les macros récursives, `{% set %}`, les boucles imbriquées, "
        "`range` et les chaînes démesurées, les puissances géantes et la modification des données.",
        "",
        "## Limites appliquées",
        "",
        _fmt_table([
            ["fichier XML", f"{xmlsafe.MAX_BYTES // (1024 * 1024)} Mo, {xmlsafe.MAX_ELEMENTS:,} éléments".replace(",", " ")
             + f", {xmlsafe.MAX_DEPTH} niveaux, 10 Mo par texte (libxml2)"],
            ["XML", "aucune entité déclarée, aucune DTD externe lue, aucun accès réseau, pas de XInclude"],
            ["archives", f"{discover.MAX_ZIP_TOTAL // (1024 * 1024)} Mo décompressés pour toutes les archives "
             f"d'un audit, taux {discover.MAX_ZIP_RATIO}:1 au-delà de 10 Mo, {discover.MAX_ZIP_MEMBERS} fichiers, "
             "un seul niveau d'archive dans l'archive, ni lien symbolique ni fichier chiffré"],
            ["expressions", f"{expressions.MAX_OPERATIONS:,} opérations par évaluation, range() de "
             f"{expressions.MAX_RANGE:,} au plus, chaînes et listes de {expressions.MAX_STRING:,} au plus, "
             f"source de {expressions.MAX_SOURCE:,} caractères".replace(",", " ")],
            ["messages", "blocs {% if %} et {% for %} seulement ; message de "
             f"{expressions.MAX_STRING:,} caractères au plus".replace(",", " ")],
            ["fichiers de règles", f"{MAX_RULE_CHARS:,} caractères, {MAX_NODES:,} valeurs YAML une fois les "
             "alias développés".replace(",", " ")],
        ], ["quoi", "limite"]),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mesure la robustesse de scolint et écrit docs/robustness.md.")
    parser.add_argument("--doc", default=str(ROOT / "docs" / "robustness.md"), help="document à écrire")
    parser.add_argument("--fuzz", type=int, default=FUZZ_PER_FAMILY, help="mutations aléatoires par famille")
    parser.add_argument("--attaques", action="store_true",
                        help="seulement les attaques sur les sorties et l'envoi (leur partie du document est remplacée)")
    args = parser.parse_args(argv)
    figures = run(args.fuzz, only_attacks=args.attaques)
    bad = len(figures["crashes"]) + len(figures["attack_failures"])
    if args.attaques:  # only the attack section of the document is replaced
        section = render_attacks(figures)
        doc = Path(args.doc)
        old = doc.read_text("utf-8") if doc.is_file() else ""
        block = f"{ATTACKS_START}\n{section}{ATTACKS_END}\n"
        if ATTACKS_START in old and ATTACKS_END in old:
            new = old[:old.index(ATTACKS_START)] + block + old[old.index(ATTACKS_END) + len(ATTACKS_END) + 1:]
        elif "## Fichiers abîmés" in old:
            at = old.index("## Fichiers abîmés")
            new = old[:at] + block + "\n" + old[at:]
        else:
            new = old + "\n" + block
        from scolint.engine.outputs import write_file
        write_file(doc, new)
        print(section)
        return 1 if bad else 0
    text = render(figures, args.fuzz)
    from scolint.engine.discover import atomic_write
    atomic_write(args.doc, text)
    print(f"{args.doc} écrit ; plantages : {len(figures['crashes'])} ; attaques réussies : "
          f"{len(figures['attack_failures'])}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
