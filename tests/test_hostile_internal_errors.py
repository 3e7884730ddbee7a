"""Internal errors (a bug of scolint or of a plugin) never show a Python exception's text.

An exception's text may quote what the code was handling: a name, a value of an export, an
ENT code. Each test makes a real-shaped crash whose text quotes a secret value (``int()`` of
a field, as a loader would do) and checks that the secret, the exception's class and the
word « Traceback » reach no report, no summary, no terminal and no portal page, that the
user is told in French what stopped, and that ``SCOLINT_DEBUG=1`` gives whoever debugs the
whole traceback.
"""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pluggy
import pytest

from scolint.engine.cli import main
from scolint.engine.errors import ScolintError
from scolint.engine.manager import get_plugin_host
from scolint.plugins.gen.generate import generate

SECRET = "MdpLeak7Q2"  # what an ENT code looks like; the crash below quotes it

PYTHON_WORDS = ("Traceback", "ValueError", "invalid literal", "KeyError", "RuntimeError")


def _crash_on_a_value(*_args, **_kwargs):
    """What a loader bug looks like: a field read as a number, the error quoting the field."""
    return int(SECRET)


def _assert_no_internal_text(text: str | bytes, where: str) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    assert SECRET not in text, f"{where} : le texte de l'exception (et sa donnée) a fui"
    for word in PYTHON_WORDS:
        assert word not in text, f"{where} : « {word} » montré à l'utilisateur"


@pytest.fixture(scope="module")
def school(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("etab") / "0312201Z"
    generate(folder, 20, 5)
    (folder / "verite-terrain.json").unlink()
    return folder


@pytest.mark.parametrize("fmt", ["json", "markdown", "html", "junit", "sarif", "texte"])
def test_loader_crash_is_a_french_finding_without_its_text(school, tmp_path, capsys, monkeypatch, fmt):
    monkeypatch.delenv("SCOLINT_DEBUG", raising=False)
    monkeypatch.setattr("scolint.plugins.edt.export.load_export", _crash_on_a_value)
    target = tmp_path / f"rapport.{fmt}"
    code = main(["check", str(school), "--format", fmt, "-o", str(target)])
    captured = capsys.readouterr()
    assert code == 2  # a file not read: the audit is not green
    report = target.read_text("utf-8-sig")
    assert "ENTREE-CHARGEUR" in report and "erreur interne du chargeur" in report
    assert "SCOLINT_DEBUG=1" in report.replace("\\_", "_")  # the fix tells how (Markdown escapes _)
    _assert_no_internal_text(report, f"rapport {fmt}")
    _assert_no_internal_text(captured.out + captured.err, "terminal")


def test_loader_crash_detail_only_with_debug(school, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("scolint.plugins.edt.export.load_export", _crash_on_a_value)
    monkeypatch.setenv("SCOLINT_DEBUG", "1")
    target = tmp_path / "rapport.json"
    main(["check", str(school), "--format", "json", "-o", str(target)])
    err = capsys.readouterr().err
    assert "Traceback" in err and "ValueError" in err and "_crash_on_a_value" in err  # for whoever debugs
    _assert_no_internal_text(target.read_text("utf-8"), "rapport avec SCOLINT_DEBUG")  # never in the report


def test_command_crash_last_resort(school, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SCOLINT_DEBUG", raising=False)
    monkeypatch.setattr("scolint.engine.audit.Auditor.audit", _crash_on_a_value)
    code = main(["check", str(school), "--format", "json", "-o", str(tmp_path / "r.json")])
    captured = capsys.readouterr()
    assert code == 2 and "erreur interne" in captured.err and "SCOLINT_DEBUG=1" in captured.err
    _assert_no_internal_text(captured.out + captured.err, "dernier recours")
    assert not (tmp_path / "r.json").exists()


def test_batch_establishment_crash(school, tmp_path, capsys, monkeypatch):
    import shutil
    monkeypatch.delenv("SCOLINT_DEBUG", raising=False)
    academy = tmp_path / "academie"
    shutil.copytree(school, academy / school.name)
    monkeypatch.setattr("scolint.plugins.commands.batch._audit_entry", _crash_on_a_value)
    reports = tmp_path / "rapports"
    code = main(["batch", str(academy), "-o", str(reports), "-j", "1"])
    captured = capsys.readouterr()
    assert code == 2
    summary = (reports / "synthese-academie.csv").read_text("utf-8-sig")
    assert "erreur interne : l'audit de cet établissement s'est arrêté" in summary
    _assert_no_internal_text(summary, "synthèse CSV")
    _assert_no_internal_text((reports / "synthese-academie.html").read_text("utf-8"), "synthèse HTML")
    _assert_no_internal_text(captured.out + captured.err, "terminal du batch")


def test_portal_worker_crash(tmp_path, capsys, monkeypatch):
    """The page gets a French sentence; the server's log gets where it broke, not the text."""
    from scolint.plugins.portal import worker
    monkeypatch.delenv("SCOLINT_DEBUG", raising=False)
    monkeypatch.setattr(worker, "audit_job", _crash_on_a_value)
    server, child = multiprocessing.Pipe()
    thread = threading.Thread(target=worker.main, args=(child, {}), daemon=True)
    thread.start()
    assert server.recv() == ("pret",)
    server.send({"folder": str(tmp_path)})
    kind, text = server.recv()
    server.send(None)
    thread.join(30)
    log = capsys.readouterr().err
    assert kind == "erreur" and "erreur interne pendant l'analyse" in text
    _assert_no_internal_text(text, "page du portail")
    assert SECRET not in log and "test_hostile_internal_errors.py" in log  # where, for the operator


class _WrongHook:
    """A third-party plugin whose hook has a parameter scolint's hookspec does not have."""

    @pluggy.HookimplMarker("scolint")
    def scolint_register(self, registries, not_a_parameter):  # pragma: no cover - never called
        return None


def test_invalid_plugin_is_named_in_french():
    with pytest.raises(ScolintError) as info:
        get_plugin_host(load_entrypoints=False, extra_plugins=[_WrongHook()])
    text = str(info.value)
    assert "invalide" in text and "SCOLINT_DEBUG=1" in text
    assert "hookimpl" not in text and "Argument" not in text and "not_a_parameter" not in text


def test_own_files_unreadable_in_french(school, tmp_path, capsys):
    """A baseline in Latin-1 and a project file that is a folder: French reasons, no codec text."""
    base = tmp_path / "base.json"
    base.write_bytes('{"commentaire": "réf"}'.encode("latin-1"))
    code = main(["check", str(school), "--baseline", str(base), "-o", str(tmp_path / "r.json"), "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2 and "ligne de base illisible (texte qui n'est pas en UTF-8" in err, err
    assert "codec" not in err and "decode" not in err and "position" in err


@pytest.mark.parametrize("error", [ValueError, RuntimeError])
def test_explain_with_a_filter_that_crashes(school, capsys, monkeypatch, error):
    """A filter's bug (here the one SIE-INE-001 reads) explained in French, without its text."""
    import re
    monkeypatch.delenv("SCOLINT_DEBUG", raising=False)

    def broken(value, *args):
        raise error(f"valeur refusée : {SECRET}")

    monkeypatch.setattr("scolint.plugins.common.identity.ine_problem", broken)  # read when registered
    students = (school / "ElevesSansAdresses.xml").read_text("iso-8859-15")
    student = re.search(r'<ELEVE ELEVE_ID="([^"]+)"', students)[1]
    main(["explain", "SIE-INE-001", student, str(school)])
    captured = capsys.readouterr()
    assert "SIE-INE-001" in captured.out and "ine_problem" in captured.out
    _assert_no_internal_text(captured.out + captured.err, f"explain ({error.__name__})")
