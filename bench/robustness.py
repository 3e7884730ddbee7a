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

def run(fuzz: int) -> dict[str, Any]:
    from scolint.engine.manager import get_plugin_host
    formats = set(get_plugin_host(load_entrypoints=False).registries.formats)
    seeds = {n: (make_corpus.SEEDS / n).read_bytes() for n, fam in make_corpus.FAMILIES.items()
             if fam in formats and (make_corpus.SEEDS / n).is_file()}
    figures: dict[str, Any] = {"families": defaultdict(Counter), "fuzz": defaultdict(Counter),
                               "times": defaultdict(list), "mem": defaultdict(list), "crashes": [],
                               "hostile_xml": [], "hostile_zip": [], "payloads": Counter()}
    auditor()  # plugins, rules and sandbox loaded before forking: the children share them

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
    return figures


def _fmt_table(rows: list[list[str]], head: list[str]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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
    args = parser.parse_args(argv)
    figures = run(args.fuzz)
    text = render(figures, args.fuzz)
    from scolint.engine.discover import atomic_write
    atomic_write(args.doc, text)
    print(f"{args.doc} écrit ; plantages : {len(figures['crashes'])}")
    return 1 if figures["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
