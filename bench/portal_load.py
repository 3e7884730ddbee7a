"""Load test of the portal on loopback: ``python bench/portal_load.py`` (docs/performance.md).

Generates (once, cached in bench/out/portail/) ``--schools`` establishments of 600 pupils
with the project's generator, creates one token per establishment with
``scolint serve jeton``, starts ``scolint serve`` on 127.0.0.1 (a free port) and sends all
uploads at once, one thread per establishment, each with its own token: the .zip of its
exports, the streamed progress page read to its end, then its report. Every answer is
checked (status, the establishment's UAI in the report); the memory of the server and of
its audit processes is sampled all along. Bounded: one upload per establishment, a socket
timeout on every request, 127.0.0.1 only. Writes its section of docs/performance.md
(between its own markers) unless ``--no-doc``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "portail"
BEGIN = "<!-- portail : début des mesures (écrit par bench/portal_load.py) -->"
END = "<!-- portail : fin des mesures -->"
SCOLINT = [sys.executable, "-c", "import sys; from scolint.engine.cli import main; sys.exit(main())"]
HOST = "127.0.0.1"


def generate(seed: int, students: int) -> tuple[str, Path]:
    """The .zip of establishment ``seed`` (generated once) and its UAI."""
    folder = OUT / f"ecole-{students}-{seed}"
    archive = OUT / f"ecole-{students}-{seed}.zip"
    truth = folder / "verite-terrain.json"
    if not archive.exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(SCOLINT + ["generate", "--students", str(students), "--seed", str(seed), "--out", str(folder)],
                       check=True, stdout=subprocess.DEVNULL)
        tmp = archive.with_suffix(".tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(folder.iterdir()):
                if f.suffix.lower() in (".xml", ".csv"):
                    zf.write(f, f.name)
        tmp.replace(archive)
    return json.loads(truth.read_text("utf-8"))["uai"], archive


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (kB), from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


def own_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def upload(port: int, token: str, uai: str, archive: Path, timeout: float) -> dict[str, Any]:
    """One school's upload, its streamed page read to the end, then its report."""
    boundary = secrets.token_hex(16)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"fichiers\"; filename=\"{archive.name}\"\r\n"
            "Content-Type: application/zip\r\n\r\n").encode() + archive.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    auth = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    out: dict[str, Any] = {"uai": uai, "ok": False}
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("POST", "/envoyer", body=body, headers=dict(auth, **{
            "Content-Type": f"multipart/form-data; boundary={boundary}"}))
        resp = conn.getresponse()
        first = None
        chunks = []
        while True:
            chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
            if not chunk:
                break
            if first is None:
                first = time.monotonic() - started
            chunks.append(chunk)
        page = b"".join(chunks).decode("utf-8", "replace")
        out["status"] = resp.status
        out["first_byte"] = first
        out["steps"] = re.findall(r'<li data-etape="">([^<]*)</li>', page)
        url = resp.getheader("X-Scolint-Resultat")
        conn.close()
        if resp.status != 200 or not url:
            out["error"] = f"envoi : HTTP {resp.status}"
            return out
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        conn.request("GET", url, headers=auth)
        report = conn.getresponse()
        text = report.read().decode("utf-8", "replace")
        out["report_status"] = report.status
        out["seconds"] = time.monotonic() - started
        out["ok"] = report.status == 200 and uai in text and "Télécharger" in text
        if not out["ok"]:
            out["error"] = f"rapport : HTTP {report.status}"
    except OSError as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description="Test de charge du portail sur 127.0.0.1 (écrit docs/performance.md)")
    ap.add_argument("--schools", type=int, default=20, help="établissements, donc envois simultanés (défaut 20)")
    ap.add_argument("--students", type=int, default=600, help="élèves par établissement (défaut 600)")
    ap.add_argument("--processus", type=int, default=2, help="processus d'analyse du portail (défaut 2)")
    ap.add_argument("--timeout", type=float, default=600, help="délai de chaque requête, s (défaut 600)")
    ap.add_argument("--no-doc", action="store_true", help="ne pas écrire docs/performance.md")
    args = ap.parse_args()
    if not 1 <= args.schools <= 100:
        ap.error("--schools : de 1 à 100")
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:  # the generator runs in processes: two at a time
        schools = list(pool.map(lambda s: generate(s, args.students), range(1, args.schools + 1)))
    uais = [u for u, _ in schools]
    if len(set(uais)) != len(uais):
        print("scolint : des graines donnent le même UAI ; établissements en double", file=sys.stderr)
        return 2
    print(f"{len(schools)} établissement(s) prêts ({time.monotonic() - t0:.0f} s)", file=sys.stderr)

    work = Path(tempfile.mkdtemp(prefix="scolint-bench-portail-"))
    data, tmp = work / "donnees", work / "tmp"
    tmp.mkdir()
    tokens = {}
    for uai in uais:
        done = subprocess.run(SCOLINT + ["serve", "jeton", uai, "--donnees", str(data)], check=True,
                              capture_output=True, text=True)
        tokens[uai] = done.stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen(SCOLINT + ["serve", "--donnees", str(data), "--port", str(port), "--processus",
                                         str(args.processus), "--dossier-temporaire", str(tmp),
                                         "--envois-par-heure", "1000"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=work)
    results: list[dict[str, Any]] = []
    samples: list[tuple[int, int]] = []
    try:
        for _ in range(600):  # at most 60 s to start
            try:
                c = http.client.HTTPConnection(HOST, port, timeout=2)
                c.request("GET", "/sante")
                if c.getresponse().read() == b"ok":
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("le portail n'a pas démarré")
        time.sleep(3)  # the audit processes load their rules
        idle = rss_kb(server.pid)
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.2):
                samples.append((rss_kb(server.pid), own_rss_kb(server.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        barrier = threading.Barrier(len(schools))

        def one(item: tuple[str, Path]) -> dict[str, Any]:
            uai, archive = item
            barrier.wait(60)
            return upload(port, tokens[uai], uai, archive, args.timeout)

        t1 = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(schools)) as pool:
            results = list(pool.map(one, schools))
        wall = time.monotonic() - t1
        stop.set()
        sampler.join()
        left = [p for private in tmp.iterdir() for p in private.rglob("*")]
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)

    ok = [r for r in results if r["ok"]]
    times = sorted(r["seconds"] for r in ok)
    first = sorted(r["first_byte"] for r in results if r.get("first_byte") is not None)
    peak_total = max(s[0] for s in samples) if samples else 0
    peak_server = max(s[1] for s in samples) if samples else 0
    zip_kb = sum(a.stat().st_size for _, a in schools) // len(schools) // 1024

    def q(values: list[float], f: float) -> float:
        return values[min(len(values) - 1, int(f * len(values)))] if values else float("nan")

    facts = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(), "schools": len(schools), "students": args.students, "workers": args.processus,
        "zip_kb": zip_kb, "answered": len(ok), "lost": len(results) - len(ok), "wall": wall,
        "median": q(times, 0.5), "p90": q(times, 0.9), "max": times[-1] if times else float("nan"),
        "first_median": q(first, 0.5), "idle_mb": idle / 1024, "peak_mb": peak_total / 1024,
        "server_peak_mb": peak_server / 1024, "left": len(left),
        "errors": sorted({r.get("error", "") for r in results if not r["ok"]}),
    }
    text = markdown(facts)
    print(text)
    if not args.no_doc:
        write_doc(text)
        print("docs/performance.md écrit", file=sys.stderr)
    return 0 if facts["lost"] == 0 and facts["left"] == 0 else 1


def markdown(f: dict[str, Any]) -> str:
    def s(x: float) -> str:
        return f"{x:.1f} s".replace(".", ",")

    def mb(x: float) -> str:
        return f"{x:.0f} Mo"

    lines = [
        f"Dernière exécution : {f['date']}, {f['cpus']} cœurs. {f['schools']} établissements générés de "
        f"{f['students']} élèves (archive .zip de {f['zip_kb']} ko chacun), un jeton chacun ; le portail "
        f"(`scolint serve --processus {f['workers']}`) reçoit les {f['schools']} envois au même instant.",
        "",
        "| mesure | valeur |",
        "| --- | --- |",
        f"| envois répondus par leur rapport | {f['answered']} sur {f['schools']} (perdus : {f['lost']}) |",
        f"| durée totale (premier envoi → dernier rapport) | {s(f['wall'])} |",
        f"| délai d'un envoi jusqu'à son rapport : médiane / 90 % / max | {s(f['median'])} / {s(f['p90'])} / {s(f['max'])} |",
        f"| premier octet de la page d'avancement (médiane) | {s(f['first_median'])} |",
        f"| mémoire du portail au repos (serveur + processus d'analyse) | {mb(f['idle_mb'])} |",
        f"| mémoire au plus haut pendant la charge (serveur + processus d'analyse) | {mb(f['peak_mb'])} |",
        f"| dont le processus serveur seul | {mb(f['server_peak_mb'])} |",
        f"| fichiers restés dans le dossier temporaire après la charge | {f['left']} |",
    ]
    if f["errors"]:
        lines += ["", "Erreurs : " + " ; ".join(e for e in f["errors"] if e)]
    return "\n".join(lines) + "\n"


def write_doc(text: str) -> None:
    doc = ROOT / "docs" / "performance.md"
    current = doc.read_text("utf-8")
    block = f"{BEGIN}\n{text}{END}"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        current = head + block + rest.split(END, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + SECTION + block + "\n" + ANALYSIS
    doc.write_text(current, "utf-8")


SECTION = """## Portail : 20 envois simultanés

`python bench/portal_load.py` (depuis la racine du dépôt, dans le venv du projet, avec
l'extra `portail`) génère les établissements (mis en cache dans `bench/out/portail/`),
crée un jeton par établissement avec `scolint serve jeton`, lance `scolint serve` sur
127.0.0.1 et envoie toutes les archives en même temps, chacune avec son jeton, comme le
ferait un script (`Authorization: Bearer`) : la page d'avancement est lue jusqu'au bout,
puis le rapport. Chaque réponse est vérifiée (le rapport porte l'UAI de l'établissement) ;
la mémoire du serveur et de ses processus d'analyse est relevée toutes les 0,2 s.

"""

ANALYSIS = """

Lecture : les analyses ne se font jamais dans le processus serveur ; `--processus N`
processus d'analyse en mènent N à la fois, les autres envois attendent leur tour (la page
d'avancement le dit) jusqu'à `--file-attente` envois, au-delà le portail répond « portail
occupé » (503) au lieu de se laisser déborder. La mémoire est donc bornée par le nombre de
processus d'analyse (chacun garde ses règles et le graphe d'un seul établissement à la
fois), plus les rapports gardés en mémoire quelques minutes (`--conservation`, au plus
200 résultats) : elle ne croît pas avec le nombre d'envois simultanés, seul le délai de
réponse croît (environ la durée d'un audit × envois / processus).
"""


if __name__ == "__main__":
    sys.exit(main())
