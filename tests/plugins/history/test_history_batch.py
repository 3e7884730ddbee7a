"""The academy team's use, on SQLite and on PostgreSQL: two ``scolint batch`` runs on
generated schools with one school fixed by hand in between; a batch killed while it
writes its history; no personal value in the database."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from scolint.engine.cli import main
from scolint.plugins.gen.generate import generate
from scolint.plugins.history.store import History

#: Rules about group names cut or changed on their way to STSWEB: renaming the groups in
#: EDT fixes them all.
GROUP_RULES = ("EDT-STS-002", "EDT-STS-003")


def make_schools(root: Path, seeds: tuple[int, ...] = (1, 2)) -> dict[str, object]:
    """Generated schools in ``root/<UAI>/``; their models by UAI."""
    schools = {}
    for seed in seeds:
        tmp = root / f"gen-{seed}"
        est, _ = generate(tmp, 40, seed)
        assert est.uai not in schools
        tmp.rename(root / est.uai)
        schools[est.uai] = est
    return schools


def batch(root: Path, out: Path, url: str, data: Path, *extra: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["batch", str(root), "-o", str(out), "--formats", "html,markdown,json", "--jobs", "1",
                     "--sans-config", "--historique", url, "--donnees", str(data), *extra])
    return code, err.getvalue()


def fix_group_names(school: Path) -> list[str]:
    """Rename, in the EDT export, every group the ground truth says STSWEB would rename
    (as the school would in EDT); return the group ids renamed."""
    truth = json.loads((school / "verite-terrain.json").read_text("utf-8"))
    ids = {f["id"] for f in truth["findings"] if f["rule"] == "EDT-STS-002"}
    [edt] = school.glob("ExportEmploiDuTemps_*.xml")
    text = edt.read_text("utf-8")
    # groups merged by STSWEB are said once, by EDT-STS-003 on the first: rename them all
    merged = {f["id"] for f in truth["findings"] if f["rule"] == "EDT-STS-003"}
    for gid, name in re.findall(r'<Groupe Ident="([^"]+)" Nom="([^"]*)"', text):
        first = dict(re.findall(r'<Groupe Ident="([^"]+)" Nom="([^"]*)"', text))
        if any(first.get(m, "")[:8] == name[:8] for m in merged):
            ids.add(gid)
    ids = sorted(ids)
    for gid in ids:
        text, n = re.subn(rf'(<Groupe Ident="{gid}" Nom=")[^"]*(")', rf"\g<1>G{gid}\g<2>", text)
        assert n == 1
    edt.write_text(text, "utf-8")
    return ids


def report(out: Path, uai: str) -> dict:
    return json.loads((out / f"rapport-{uai}.json").read_text("utf-8"))


def active_fps(doc: dict) -> dict[str, str]:
    return {a["fingerprint"]: a["rule"] for a in doc["anomalies"] if a["accepted"] is None}


def personal_values(schools: dict[str, object]) -> set[str]:
    """Every name, INE, login, e-mail and phone number of the schools' people."""
    values: set[str] = set()
    for est in schools.values():
        people = [*est.students, *est.guardians, *est.teachers]
        for p in people:
            for attr in ("last_name", "first_name", "birth_name", "ine", "email", "phone_home", "phone_mobile"):
                values.add(str(getattr(p, attr, "") or ""))
            acc = p.accounts
            values.update([acc.idpn, acc.ent_login, acc.ent_uid, acc.ent_code, acc.jointure])
    return {v.strip() for v in values if v and len(v.strip()) >= 2}


def test_two_batches_one_school_fixed(history_url, tmp_path):
    root = tmp_path / "depots"
    root.mkdir()
    schools = make_schools(root)
    fixed_uai = next(u for u in schools
                     if any(f["rule"] == "EDT-STS-002" for f in
                            json.loads((root / u / "verite-terrain.json").read_text())["findings"]))
    other = next(u for u in schools if u != fixed_uai)
    data = tmp_path / "donnees"

    code1, err1 = batch(root, tmp_path / "r1", history_url, data)
    assert code1 == 1, err1
    assert "Premier audit de ces établissements" in err1
    first = {u: report(tmp_path / "r1", u) for u in schools}
    assert first[fixed_uai]["changements"]["depuis"] is None

    fix_group_names(root / fixed_uai)
    code2, err2 = batch(root, tmp_path / "r2", history_url, data)
    second = {u: report(tmp_path / "r2", u) for u in schools}

    # what changed, from the reports' own (unkeyed) fingerprints of both runs
    before, after = active_fps(first[fixed_uai]), active_fps(second[fixed_uai])
    fixed = set(before) - set(after)
    new = set(after) - set(before)
    assert fixed and {before[fp] for fp in fixed} == set(GROUP_RULES) & set(before.values())
    assert not {r for r in after.values() if r in GROUP_RULES}

    # JSON report
    ch = second[fixed_uai]["changements"]
    assert ch["bilan"] == {"nouvelles": len(new), "corrigées": len(fixed), "toujours": len(set(before) & set(after))}
    assert sorted(c["regle"] for c in ch["corrigées"]) == sorted(before[fp] for fp in fixed)
    assert set(ch["nouvelles"]) == new
    assert second[other]["changements"]["bilan"] == {"nouvelles": 0, "corrigées": 0,
                                                     "toujours": len(active_fps(second[other]))}
    # Markdown and HTML reports say it in words, with the list
    md = (tmp_path / "r2" / f"rapport-{fixed_uai}.md").read_text("utf-8")
    assert f"**{len(new)} nouvelle(s)**, **{len(fixed)} corrigée(s)**" in md
    n_002 = sum(1 for fp in fixed if before[fp] == "EDT-STS-002")
    assert re.search(rf"- EDT-STS-002 — .* : {n_002} corrigée\(s\)", md)
    html = (tmp_path / "r2" / f"rapport-{fixed_uai}.html").read_text("utf-8")
    assert "Ce qui a changé" in html and f"{len(fixed)} corrigée(s)" in html
    assert "EDT-STS-002" in html.split("Ce qui a changé")[1].split("Par étape du flux")[0]
    md_other = (tmp_path / "r2" / f"rapport-{other}.md").read_text("utf-8")
    assert "**0 nouvelle(s)**, **0 corrigée(s)**" in md_other

    # academy totals printed by the batch
    assert f"Depuis l'audit précédent de 2 établissement(s) : {len(new)} nouvelle(s) anomalie(s), " \
           f"{len(fixed)} corrigée(s) dans l'académie." in err2

    # the dashboard: fixed findings and the trend of errors
    errors = [first[fixed_uai]["bilan"]["error"], second[fixed_uai]["bilan"]["error"]]
    assert errors[1] < errors[0]
    dash = (tmp_path / "r2" / "tableau-academie.html").read_text("utf-8")
    row = next(r for r in dash.split("<tr>") if f"<strong>{fixed_uai}</strong>" in r)
    assert f'data-label="Corrigées" data-v="{len(fixed)}"' in row
    assert f'data-label="Nouvelles" data-v="{len(new)}"' in row
    assert f'aria-label="Erreurs par audit : {errors[0]}, {errors[1]}"' in row
    assert "<polyline" in row
    assert not re.search(r'(src|href)="(https?:)?//', dash)  # self-contained
    rows = list(csv.reader(io.StringIO((tmp_path / "r2" / "tableau-academie.csv").read_text("utf-8-sig")),
                           delimiter=";"))
    line = dict(zip(rows[0], next(r for r in rows if r[0] == fixed_uai)))
    assert (line["corrigees"], line["nouvelles"], line["evolution_erreurs"], line["audits"]) == (
        str(len(fixed)), str(len(new)), f"{errors[0]} > {errors[1]}", "2")
    assert line["remontee_sts"] in ("prêt", "non prêt", "indéterminé")

    # nothing personal in any table or column
    with History.open(history_url, secret=None, data_dir=data) as h:
        dump = h.dump()
    values = personal_values(schools)
    assert len(values) > 100
    assert_no_personal_value(dump, values)
    # the search does find a value that is there
    student = next(iter(schools.values())).students[0]
    for planted in (student.ine, student.last_name, student.accounts.ent_login):
        with pytest.raises(AssertionError):
            assert_no_personal_value(dict(dump, audits=dump["audits"] + [("x", f"note {planted}")]), values)


HEX = re.compile(r"[0-9a-f]{32,64}")


def assert_no_personal_value(dump: dict, values: set[str]) -> None:
    """Every cell is a hexadecimal key or holds none of ``values`` (whole value for long
    ones, a whole word for short ones, case and accents as written)."""
    assert dump["audit_findings"] and dump["audits"]
    long_values = {v.casefold() for v in values if len(v) >= 6}
    short_values = {v.casefold() for v in values if len(v) < 6}
    for table, rows in dump.items():
        for row in rows:
            for cell in row:
                if cell is None or isinstance(cell, int):
                    continue
                text = str(cell)
                if HEX.fullmatch(text):
                    continue
                folded = text.casefold()
                leaks = {v for v in long_values if v in folded}
                leaks |= short_values & set(re.split(r"[^\w]+", folded))
                assert not leaks, f"{table}: {text!r} contient {leaks}"


KILLER = r"""
import sys, time
from scolint.engine.cli import main
from scolint.plugins.history.store import History

def hook():
    print("ECRITURE", flush=True)
    time.sleep(300)

History.before_commit = staticmethod(hook)
sys.exit(main(sys.argv[1:]))
"""


def test_batch_killed_while_writing_leaves_the_history_as_it_was(history_url, tmp_path):
    root = tmp_path / "depots"
    root.mkdir()
    schools = make_schools(root, (4, 5))
    data = tmp_path / "donnees"
    batch(root, tmp_path / "r1", history_url, data)
    with History.open(history_url, data_dir=data) as h:
        before = h.dump()
    assert len(before["audits"]) == 2
    fix_group_names(root / next(iter(schools)))
    args = ["batch", str(root), "-o", str(tmp_path / "r2"), "--jobs", "1", "--sans-config",
            "--historique", history_url, "--donnees", str(data)]
    proc = subprocess.Popen([sys.executable, "-c", KILLER, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, cwd=tmp_path, env=dict(os.environ))
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ECRITURE"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with History.open(history_url, data_dir=data) as h:
        after = h.dump()
    assert {t: sorted(map(repr, rows)) for t, rows in after.items()} == \
           {t: sorted(map(repr, rows)) for t, rows in before.items()}
    # and the next batch records normally
    code, err = batch(root, tmp_path / "r3", history_url, data)
    with History.open(history_url, data_dir=data) as h:
        assert len(h.audits()) == 4
    assert "2 audit(s) enregistré(s)" in err


def test_dashboard_never_leaves_out_an_establishment_the_batch_could_not_audit(tmp_path):
    """One school read last week and unreadable today, one unreadable from the start: both
    stay on the academy's dashboard, said « audit impossible » with the batch's reason, and
    neither counts as ready (the older audit is not shown as today's state)."""
    import shutil
    root, data = tmp_path / "academie", tmp_path / "donnees"
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    schools = make_schools(root)
    broken_later, fine = sorted(schools)
    code, _ = batch(root, tmp_path / "r1", url, data)
    assert code in (0, 1)
    # the school's exports are now unreadable (saved over by a tool), and a new school's too
    for p in (root / broken_later).iterdir():
        p.write_bytes(b"\x00" * 64)
    newcomer = root / "0312345X"
    newcomer.mkdir()
    (newcomer / "ElevesSansAdresses.xml").write_bytes(b"<?xml version='1.0'?><BEE_ELEVES")
    code, err = batch(root, tmp_path / "r2", url, data)
    assert code == 2, err
    dash = (tmp_path / "r2" / "tableau-academie.html").read_text("utf-8")
    rows = {uai: next(r for r in dash.split("<tr>") if f"<strong>{uai}</strong>" in r)
            for uai in (broken_later, fine, "0312345X")}
    for uai in (broken_later, "0312345X"):
        assert "audit impossible" in rows[uai] and "Dernier lot : " in rows[uai], rows[uai]
        assert "badge ko" in rows[uai]
    assert "les chiffres sont ceux de l'audit précédent" in rows[broken_later]
    assert "aucun audit" in rows["0312345X"] and "audit impossible" not in rows[fine]
    assert "<strong>2</strong>audit(s) impossible(s) au dernier lot" in dash
    table = list(csv.reader(io.StringIO((tmp_path / "r2" / "tableau-academie.csv").read_text("utf-8-sig")),
                            delimiter=";"))
    lines = {r[0]: dict(zip(table[0], r)) for r in table[1:]}
    assert set(lines) == {broken_later, fine, "0312345X"}
    assert lines[broken_later]["remontee_sts"] == lines["0312345X"]["remontee_sts"] == "audit impossible"
    assert lines[broken_later]["erreur_dernier_lot"] and lines["0312345X"]["erreur_dernier_lot"]
    assert lines[fine]["erreur_dernier_lot"] == "" and lines[fine]["remontee_sts"] != "audit impossible"
    shutil.rmtree(root)
