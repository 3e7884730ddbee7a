"""``scolint batch``: 20 generated establishments, one broken, audited in parallel."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.cli import main
from scolint.plugins.commands.batch import find_entries
from scolint.plugins.gen.generate import generate


def make_academy(root: Path, count: int, zipped: int = 0, students: int = 40, last: int = 0) -> list[str]:
    """``count`` generated establishments in ``root`` (the first ``zipped`` as .zip), the
    last one with ``last`` pupils when given (a long audit)."""
    root.mkdir(parents=True, exist_ok=True)
    uais: list[str] = []
    seed = 0
    while len(uais) < count:
        seed += 1
        tmp = root / f"tmp-{seed}"
        est, _ = generate(tmp, last if last and len(uais) == count - 1 else students, seed)
        if est.uai in uais:  # two seeds drew the same UAI: keep one
            for f in tmp.iterdir():
                f.unlink()
            tmp.rmdir()
            continue
        uais.append(est.uai)
        if len(uais) <= zipped:
            with zipfile.ZipFile(root / f"{est.uai}.zip", "w", zipfile.ZIP_DEFLATED) as z:
                for f in sorted(tmp.iterdir()):
                    z.write(f, f"exports/{f.name}")
                    f.unlink()
            tmp.rmdir()
        else:
            tmp.rename(root / est.uai)
    return uais


@pytest.fixture(scope="module")
def academy(tmp_path_factory):
    root = tmp_path_factory.mktemp("academie") / "depots"
    uais = make_academy(root, 20, zipped=4)
    broken = uais[1]  # a download cut in the middle
    data = (root / f"{broken}.zip").read_bytes()
    (root / f"{broken}.zip").write_bytes(data[: len(data) // 2])
    return root, uais, broken


@pytest.fixture(scope="module")
def batch_run(academy, tmp_path_factory):
    root, uais, broken = academy
    out = tmp_path_factory.mktemp("sortie") / "rapports"
    import contextlib
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["batch", str(root), "--jobs", "2", "--formats", "html,json", "-o", str(out), "--sans-config"])
    return code, out, err.getvalue()


def test_twenty_establishments_one_broken(academy, batch_run):
    root, uais, broken = academy
    code, out, err = batch_run
    assert code == 2  # one establishment in error
    html = sorted(p.name for p in out.glob("rapport-*.html"))
    assert html == sorted(f"rapport-{u}.html" for u in uais if u != broken)
    assert len(list(out.glob("rapport-*.json"))) == 19
    error_lines = [line for line in err.splitlines() if "en erreur :" in line]
    assert len(error_lines) == 1 and broken in error_lines[0] and ".zip" in error_lines[0]
    assert "[##############################] 20/20" in err


def test_summary_csv_and_html(academy, batch_run, host):
    root, uais, broken = academy
    code, out, err = batch_run
    text = (out / "synthese-academie.csv").read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [r["uai"] for r in rows] == sorted(uais)
    bad = [r for r in rows if r["statut"] == "erreur"]
    assert [r["uai"] for r in bad] == [broken] and "archive" in bad[0]["motif_erreur"]
    # the figures of one establishment are those of its own audit and its JSON report
    sample = next(u for u in uais if (root / u).is_dir())
    row = next(r for r in rows if r["uai"] == sample)
    direct = Auditor(host=host).audit([root / sample])
    counts = direct.counts()
    assert (int(row["erreurs"]), int(row["avertissements"]), int(row["informations"])) == (
        counts["error"], counts["warning"], counts["info"])
    assert int(row["flux_siecle"]) == sum(1 for f in direct.active() if f.flow == "SIECLE")
    worst = row["regles_principales"].split(" | ")[0].split(" ")[0]
    assert worst in {f.rule_id for f in direct.active() if f.severity == "error"}
    report = json.loads((out / f"rapport-{sample}.json").read_text("utf-8"))
    assert report["uai"] == sample and report["bilan"] == counts
    html = (out / "synthese-academie.html").read_text("utf-8")
    assert "20 établissement(s) audité(s)" in html and broken in html and "<script" not in html
    assert all(u in html for u in uais)


def test_zipped_establishment_reports_name_the_archive(academy, batch_run):
    root, uais, broken = academy
    code, out, err = batch_run
    zipped = next(u for u in uais[:4] if u != broken)
    report = json.loads((out / f"rapport-{zipped}.json").read_text("utf-8"))
    assert report["fichiers"] and all(f.startswith(f"{zipped}.zip!") for f in report["fichiers"])


def test_entries_and_usage_errors(tmp_path, capsys):
    (tmp_path / "0310001A").mkdir()
    (tmp_path / "0310001A-bis.zip").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(Exception, match="plusieurs dossiers ou archives pour l'UAI 0310001A"):
        find_entries(tmp_path)
    assert main(["batch", str(tmp_path / "absent"), "--sans-config"]) == 2
    assert "n'est pas un dossier" in capsys.readouterr().err
    (tmp_path / "0310001A-bis.zip").unlink()
    assert main(["batch", str(tmp_path), "--formats", "pdf", "--sans-config", "-o", str(tmp_path / "r")]) == 2
    assert "format de rapport inconnu « pdf »" in capsys.readouterr().err


def test_batch_pseudonymise(academy, batch_run, tmp_path, monkeypatch):
    root, uais, broken = academy
    code, clear_out, err = batch_run
    monkeypatch.setenv("SCOLINT_SECRET_PSEUDONYMES", "secret-de-l-academie-pour-les-tests")
    out = tmp_path / "pseudo"
    import contextlib
    with contextlib.redirect_stderr(io.StringIO()):
        assert main(["batch", str(root), "-j", "2", "--formats", "json", "-o", str(out), "--pseudonymise",
                     "--sans-config"]) == 2
    checked = 0
    for report in sorted(clear_out.glob("rapport-*.json")):
        clear = json.loads(report.read_text("utf-8"))
        pseudo_text = (out / report.name).read_text("utf-8")
        pseudo = json.loads(pseudo_text)
        assert len(pseudo["anomalies"]) == len(clear["anomalies"])
        for finding in clear["anomalies"]:
            if finding["entity"]["kind"] == "student":
                assert finding["entity"]["label"] not in pseudo_text
                assert f'"{finding["entity"]["id"]}"' not in pseudo_text
                checked += 1
    assert checked >= 19
