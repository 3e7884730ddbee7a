"""No ENT code or password ever leaves scolint except in the publipostage CSV the user asks for.

A generated establishment gets distinctive codes in its ENT identifier file (plus {SHA}
hashes, « modifié par l'utilisateur » texts, and rows that break the schema or are cut
short, so that error paths run too). Every registered reporter (console, json, markdown,
html, junit, sarif... whatever the reports plugins register), the ``check`` command with
each format, to the terminal and to a file, pseudonymised or not, ``explain``, the
publipostage summary and its error paths, and CLI errors are searched for every code.
"""

from __future__ import annotations

import csv
import io

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.cli import main
from scolint.engine.manager import get_plugin_host
from scolint.plugins.gen.generate import generate


def _secret(n: int) -> str:
    return f"Mdp{n:04d}#Qz9"


@pytest.fixture(scope="module")
def leaky(tmp_path_factory):
    """A generated data set whose ENT file holds known, distinctive codes (and bad rows)."""
    out = tmp_path_factory.mktemp("fuite")
    est, _truth = generate(out, 80, 1)  # odd seed: Kosmos layout, no header
    ent = next(out.glob("ENT-Identifiants-*.csv"))
    rows = list(csv.reader(io.StringIO(ent.read_text("utf-8")), delimiter=";"))
    secrets = []
    for n, row in enumerate(rows):
        if row[7].startswith("{SHA}"):
            secrets.append(row[7][5:])  # the hash is secret too
        elif "modifié" not in row[7]:
            row[7] = _secret(n)
            secrets.append(row[7])
    bad_login = [est.uai, "9999991", "", "Eleve", "Zoé", "FUITE", "zoe fuite", _secret(9001), "J9", "", "", "", ""]
    bad_uai = [est.uai[:5], "9999992", "", "Eleve", "Noé", "FUITE", "noe.fuite", _secret(9002), "J8", "", "", "", ""]
    short = [est.uai, "9999993", "", "Eleve", "Léo", "FUITE", "leo.fuite", _secret(9003)]
    rows += [bad_login, bad_uai, short]
    secrets += [_secret(9001), _secret(9002), _secret(9003)]
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
    ent.write_text(buf.getvalue(), encoding="utf-8")
    return out, ent, secrets


def _assert_clean(text: str | bytes, secrets: list[str], where: str) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"{where} : code(s) divulgué(s) {leaked[:3]}"


def test_setup_really_has_codes_and_error_paths(leaky):
    out, ent, secrets = leaky
    assert len(secrets) > 150 and all(s in ent.read_text("utf-8") for s in secrets)
    result = Auditor().audit([out])
    rules = {f.rule_id for f in result.findings}
    assert {"ENT-SHA-001", "ENTREE-SCHEMA"} <= rules
    messages = " ".join(f.message for f in result.findings)
    assert "zoe fuite" in messages and "13" in messages  # the bad rows are reported (without their code)


def test_every_registered_reporter(leaky):
    out, _ent, secrets = leaky
    host = get_plugin_host(load_entrypoints=False)
    result = Auditor(host=host).audit([out])
    reporters = list(host.registries.reporters)
    assert {"console", "json", "markdown"} <= set(reporters)
    for fmt in reporters:
        _assert_clean(host.registries.reporters[fmt].render(result, {}), secrets, f"rapport {fmt}")
    _assert_clean(repr(result), secrets, "résultat d'audit")


@pytest.mark.parametrize("extra", [[], ["--pseudonymise"]])
def test_check_command_every_format(leaky, tmp_path, capsys, extra, monkeypatch):
    out, _ent, secrets = leaky
    monkeypatch.setenv("SCOLINT_SECRET_PSEUDONYMES", "cle-de-test-pour-les-pseudonymes")
    formats = list(get_plugin_host(load_entrypoints=False).registries.reporters)
    for fmt in formats:
        main(["check", str(out), "--format", fmt, *extra])
        main(["check", str(out), "--format", fmt, "-o", str(tmp_path / f"rapport.{fmt}"), *extra])
        captured = capsys.readouterr()
        _assert_clean(captured.out + captured.err, secrets, f"check --format {fmt} {extra}")
        _assert_clean((tmp_path / f"rapport.{fmt}").read_bytes(), secrets, f"fichier {fmt} {extra}")


def test_explain_and_cli_errors(leaky, capsys, tmp_path):
    out, ent, secrets = leaky
    for rule, entity in (("ENT-SHA-001", "zoe.fuite"), ("ENT-SHA-001", "noe.fuite"), ("PRN-ENT-003", "noe.fuite")):
        main(["explain", rule, entity, str(out)])
    main(["check", str(ent), "--profile", str(ent)])          # a CSV given as a profile
    main(["check", str(ent), "--format", "inconnu"])
    main(["publipostage", str(ent), "-o", str(ent)])           # refuses to overwrite its input
    gepi2 = tmp_path / "type2.csv"
    gepi2.write_text("Civilité;Nom;Prénom;Profil;Login;Identifiant ENT;Etablissement\n"
                     f"M.;FUITE;Jo;Eleve;jo.fuite;{_secret(9004)};X\n", encoding="utf-8")
    main(["publipostage", str(gepi2), "-o", str(tmp_path / "p.csv")])  # no code column
    captured = capsys.readouterr()
    _assert_clean(captured.out + captured.err, secrets + [_secret(9004)], "explain et erreurs")
    assert "Traceback" not in captured.err


def test_publipostage_summary_has_no_code_but_its_csv_has(leaky, tmp_path, capsys):
    _out, ent, secrets = leaky
    target = tmp_path / "courrier.csv"
    assert main(["publipostage", str(ent), "-o", str(target)]) == 0
    captured = capsys.readouterr()
    _assert_clean(captured.out + captured.err, secrets, "bilan du publipostage")
    written = target.read_text("utf-8-sig")
    sendable = [s for s in secrets if s.startswith("Mdp") and s not in (_secret(9001), _secret(9003))]
    assert all(s in written for s in sendable)
    assert not any(s in written for s in secrets if not s.startswith("Mdp"))  # never a {SHA} hash


def test_academy_batch_reports_and_summary(leaky, tmp_path, capsys):
    import shutil
    out, _ent, secrets = leaky
    academy = tmp_path / "academie"
    shutil.copytree(out, academy / out.name)
    reports = tmp_path / "rapports"
    main(["batch", str(academy), "-o", str(reports), "--formats", "html,markdown,json,junit,sarif", "-j", "1"])
    captured = capsys.readouterr()
    _assert_clean(captured.out + captured.err, secrets, "batch (sortie)")
    files = [p for p in reports.rglob("*") if p.is_file()]
    assert len(files) >= 5
    for path in files:
        _assert_clean(path.read_bytes(), secrets, f"batch : {path.name}")
