"""Outputs never touch inputs nor anything that is not a plain file (issue 14, item 1 and 6).

Every command that writes refuses, with a French message and exit code 2, an output that
is one of its inputs (by name, symbolic link or hard link), an existing file inside an
audited folder, or an existing path that is not a regular file (directory, FIFO, socket,
character device where the tests run as root). A full disk and the other predictable
system errors are injected at the write boundary and give a French sentence; the previous
file is kept and no temporary file is left.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import stat
import zipfile
from pathlib import Path

import pytest
from test_no_change import make_corpus

from scolint.engine import outputs
from scolint.engine.cli import main
from scolint.plugins.gen.generate import generate


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def school(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ecole")
    folder = root / "0312201Z"
    generate(folder, 40, 3)
    (folder / "ENT-Identifiants.csv").write_bytes((make_corpus.SEEDS / "ENT-Identifiants.csv").read_bytes())
    with zipfile.ZipFile(root / "exports.zip", "w") as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, p.name)
    return folder


def run(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out + out.err


def refused(code: int, printed: str) -> bool:
    return code == 2 and "refusé" in printed and "Traceback" not in printed and "erreur interne" not in printed


def test_output_that_is_an_input_is_refused_for_every_command(school, tmp_path, capsys):
    ent = school / "ENT-Identifiants.csv"
    archive = school.parent / "exports.zip"
    hard = tmp_path / "lien-dur.csv"
    os.link(ent, hard)
    soft = tmp_path / "lien.csv"
    soft.symlink_to(ent)
    rules = tmp_path / "regles"
    rules.mkdir()
    rule = rules / "MA-REGLE-001.yml"
    rule.write_text("id: MA-REGLE-001\ntitle: Élève sans nom\nseverity: info\nfor_each: student\n"
                    "assert: student.last_name\nmessage: sans nom\nfix: ajoutez-le\n", encoding="utf-8")
    before, zip_before, rule_before = digest(school), archive.read_bytes(), rule.read_bytes()
    attempts = [
        ["check", str(school), "-o", str(ent)],                       # the ENT file of the folder
        ["check", str(school), "-o", str(school / "verite-terrain.json")],  # any existing file in it
        ["check", str(archive), "-o", str(archive)],                  # the archive audited
        ["check", str(school), "-o", str(hard)],                      # a hard link to an input
        ["check", str(school), "-o", str(soft)],                      # a symbolic link to an input
        ["check", str(school), "--rules", str(rules), "-o", str(rule)],  # a rule file read
        ["baseline", str(school), "-o", str(ent)],
        ["rules", "doc", "--rules", str(rules), "-o", str(rule)],
        ["publipostage", str(ent), "-o", str(hard)],
        # The mail merge never replaces a file that is not a previous mail merge (here an export).
        ["publipostage", str(ent), "-o", str(next(school.glob("sts_emp_*.xml")))],
    ]
    for argv in attempts:
        code, printed = run(argv, capsys)
        assert refused(code, printed), (argv, code, printed[-300:])
    assert digest(school) == before and archive.read_bytes() == zip_before and rule.read_bytes() == rule_before
    assert hard.read_bytes() == ent.read_bytes() and soft.is_symlink()


def _specials(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "tube"
    os.mkfifo(fifo)
    folder = tmp_path / "dossier"
    folder.mkdir()
    sock_path = tmp_path / "sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    sock.close()
    made = {"fifo": fifo, "dossier": folder, "socket": sock_path}
    if os.geteuid() == 0:  # CI runs as root: a character device like /dev/null, in tmp_path
        device = tmp_path / "nul"
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        made["peripherique"] = device
    return made


def test_non_regular_outputs_are_refused(school, tmp_path, capsys):
    specials = _specials(tmp_path)
    ent = school / "ENT-Identifiants.csv"
    for kind, path in specials.items():
        mode = os.lstat(path).st_mode
        for argv in (["check", str(school), "-o", str(path)], ["baseline", str(school), "-o", str(path)],
                     ["rules", "doc", "-o", str(path)], ["publipostage", str(ent), "-o", str(path)]):
            code, printed = run(argv, capsys)
            assert refused(code, printed), (kind, argv, printed[-300:])
            assert "pas un fichier ordinaire" in printed
        assert os.lstat(path).st_mode == mode, kind  # still a FIFO, a socket, a device, a folder


def test_new_report_inside_the_audited_folder_is_allowed_and_not_read_back(school, tmp_path, capsys):
    work = tmp_path / "copie"
    work.mkdir()
    for p in school.iterdir():
        (work / p.name).write_bytes(p.read_bytes())
    code, _ = run(["check", str(work), "--format", "json", "-o", str(work / "rapport.json")], capsys)
    assert code in (0, 1)
    import json
    first = json.loads((work / "rapport.json").read_text("utf-8"))
    code, printed = run(["check", str(work), "--format", "json", "-o", str(tmp_path / "second.json")], capsys)
    second = json.loads((tmp_path / "second.json").read_text("utf-8"))
    assert [e["fichier"] for e in second["exports"]] == [e["fichier"] for e in first["exports"]]
    # ... and the report cannot be overwritten in place by a second run: it is a file of the audited folder.
    code, printed = run(["check", str(work), "-o", str(work / "rapport.json")], capsys)
    assert refused(code, printed)


def test_dash_writes_to_standard_output(school, capsys):
    code, printed = run(["check", str(school), "--format", "json", "-o", "-"], capsys)
    assert code in (0, 1) and '"anomalies"' in printed


def test_code_file_is_0600_whatever_the_umask_and_reports_follow_it(school, tmp_path, capsys):
    old = os.umask(0)
    try:
        code, _ = run(["publipostage", str(school / "ENT-Identifiants.csv"), "-o", str(tmp_path / "codes.csv")], capsys)
        assert code == 0
        assert stat.S_IMODE(os.stat(tmp_path / "codes.csv").st_mode) == 0o600
        os.umask(0o022)
        code, _ = run(["check", str(school), "-o", str(tmp_path / "r.md"), "--format", "markdown"], capsys)
        assert stat.S_IMODE(os.stat(tmp_path / "r.md").st_mode) == 0o644
    finally:
        os.umask(old)


@pytest.mark.parametrize("err, french", [
    (errno.ENOSPC, "disque plein"), (errno.EDQUOT, "quota disque dépassé"), (errno.EIO, "erreur d'entrée-sortie"),
    (errno.EROFS, "lecture seule"), (errno.EACCES, "permission refusée")])
def test_write_errors_are_french_and_keep_the_previous_file(school, tmp_path, monkeypatch, capsys, err, french):
    target = tmp_path / "rapport.md"
    target.write_text("ANCIEN", encoding="utf-8")

    def failing(fd, data):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(outputs, "_write", failing)
    code, printed = run(["check", str(school), "--format", "markdown", "-o", str(target)], capsys)
    assert code == 2 and french in printed and "Traceback" not in printed and "erreur interne" not in printed
    assert target.read_text(encoding="utf-8") == "ANCIEN"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rapport.md"]


def test_disk_full_in_publipostage_leaves_no_code_file(school, tmp_path, monkeypatch, capsys):
    calls = []

    def half_then_full(fd, data):
        if calls:
            raise OSError(errno.ENOSPC, "No space left on device")
        calls.append(1)
        return os.write(fd, bytes(data[:10]))

    monkeypatch.setattr(outputs, "_write", half_then_full)
    code, printed = run(["publipostage", str(school / "ENT-Identifiants.csv"), "-o", str(tmp_path / "c.csv")], capsys)
    assert code == 2 and "disque plein" in printed
    assert list(tmp_path.iterdir()) == []


def test_predictable_path_errors_are_french(school, tmp_path, capsys):
    blocker = tmp_path / "fichier"
    blocker.write_text("x", encoding="utf-8")
    for target, french in ((blocker / "r.md", "n'est pas un dossier"),
                           (tmp_path / ("n" * 300 + ".md"), "nom de fichier trop long")):
        code, printed = run(["check", str(school), "-o", str(target)], capsys)
        assert code == 2 and french in printed and "erreur interne" not in printed, printed[-300:]


def test_batch_and_send_never_write_into_an_establishment_folder(school, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCOLINT_SMTP_FROM", "pole-appui@ac-exemple.fr")
    monkeypatch.chdir(tmp_path)
    academy = school.parent
    before = digest(school)
    code, printed = run(["batch", str(academy), "-o", str(school / "rapports"), "-j", "1"], capsys)
    assert refused(code, printed)
    code, printed = run(["send", str(academy), "--dry-run", str(school / "messages"), "--destinataire",
                         "ce.{uai}@ac-exemple.fr"], capsys)
    assert refused(code, printed), printed[-300:]
    assert digest(school) == before and not (school / "rapports").exists() and not (school / "messages").exists()
