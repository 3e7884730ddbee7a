"""Academy commands: ``scolint batch`` and ``scolint send``.

``send`` audits every establishment like ``batch`` and e-mails each one its report over
SMTP: the action plan as HTML and plain text (each under 100 kB as encoded), the full
list as a spreadsheet attached; a school whose exports are missing or unreadable gets
a mail saying which exports to send and how to produce them. Settings come from a YAML
file (``--config-envoi``, default ``scolint-envoi.yaml``) and environment variables; the
password never on the command line.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scolint.engine import hookimpl
from scolint.engine.cli import SEVERITY_METAVAR, severity_choice
from scolint.engine.errors import UsageError, internal_error
from scolint.engine.findings import SEVERITIES

if TYPE_CHECKING:
    import smtplib
    from email.message import EmailMessage

    from .batch_summary import Outcome

# smtplib, ssl, email, csv and PyYAML are imported by ``send`` itself: registering the
# command must not cost every ``scolint check`` their import.

DEFAULT_CONFIG = "scolint-envoi.yaml"
SECURITIES = ("ssl", "starttls", "aucune")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "aucune": 25}
ENV = {"host": "SCOLINT_SMTP_HOST", "port": "SCOLINT_SMTP_PORT", "security": "SCOLINT_SMTP_SECURITY",
       "user": "SCOLINT_SMTP_USER", "password": "SCOLINT_SMTP_PASSWORD", "from": "SCOLINT_SMTP_FROM",
       "recipient": "SCOLINT_RECIPIENT", "recipients_csv": "SCOLINT_RECIPIENTS_CSV"}
DEFAULT_SUBJECT = "Contrôle des exports de {etablissement} ({uai}) : {erreurs} erreur(s)"
SUBJECT_FIELDS = ("uai", "etablissement", "erreurs", "avertissements", "informations")


@dataclass
class SendSettings:
    """Where and how to send (password excluded from ``repr``)."""

    host: str = ""
    port: int = 0
    security: str = "starttls"
    user: str = ""
    password: str = field(default="", repr=False)
    ca_file: str = ""
    sender: str = ""
    reply_to: str = ""
    recipient: str = ""
    table: dict[str, list[str]] = field(default_factory=dict)
    subject: str = DEFAULT_SUBJECT

    def recipients(self, uai: str) -> list[str]:
        """The addresses of establishment ``uai``: the table first, then the pattern."""
        from .mailsafe import Template, parse_address
        if uai.upper() in self.table:
            return self.table[uai.upper()]
        if self.recipient:
            address = Template(self.recipient, ("uai", "UAI"), "modèle de destinataire").render(
                {"uai": uai.lower(), "UAI": uai.upper()})
            return [parse_address(address, f"destinataire de {uai}")]
        return []


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    from scolint.engine.yamlines import load_with_lines
    try:
        data = load_with_lines(path.read_text("utf-8-sig"))[0] or {}  # budgeted: no alias bomb
    except OSError as exc:
        raise UsageError(f"{path}: configuration d'envoi illisible ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise UsageError(f"{path}:{mark.line + 1 if mark else 1}: YAML invalide : {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict) or not isinstance(data.get("smtp", {}), dict):
        raise UsageError(f"{path}: la configuration d'envoi doit être un dictionnaire YAML (clé smtp: dictionnaire)")
    unknown = sorted(set(data) - {"smtp", "from", "reply_to", "recipient", "recipients_csv", "subject"})
    unknown += sorted(f"smtp.{k}" for k in set(data.get("smtp", {})) - {"host", "port", "security", "user", "password",
                                                                        "password_file", "ca_file"})
    if unknown:
        raise UsageError(f"{path}: clé(s) inconnue(s) : {', '.join(unknown)}")
    return data


def read_table(path: Path) -> dict[str, list[str]]:
    """The CSV table UAI -> address(es) (``;`` or ``,`` separated, optional header).

    A wrong line is named by its number, never quoted (a wrong file could hold codes)."""
    import csv

    from scolint.engine.outputs import os_error_fr

    from .mailsafe import parse_address
    try:
        text = path.read_text("utf-8-sig")
    except OSError as exc:
        raise UsageError(f"table des destinataires illisible : {os_error_fr(exc, path)}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} : table des destinataires illisible (le fichier n'est pas en UTF-8)") from None
    delimiter = ";" if text.count(";") >= text.count(",") else ","
    table: dict[str, list[str]] = {}
    try:
        rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    except csv.Error:
        raise UsageError(f"{path} : table des destinataires illisible (guillemets mal fermés)") from None
    for n, row in enumerate(rows, 1):
        if not row or not "".join(row).strip() or (n == 1 and row[0].strip().lower() == "uai"):
            continue
        addresses = [a.strip() for cell in row[1:] for a in cell.replace(",", " ").split() if a.strip()]
        if len(row) < 2 or not addresses or any("@" not in a for a in addresses) or len(row) > 6:
            raise UsageError(f"{path}:{n}: ligne attendue « UAI{delimiter}adresse » ({len(row)} colonne(s) lue(s) ; "
                             "la ligne n'est pas recopiée ici : est-ce bien la table des destinataires ?)")
        table[row[0].strip().upper()] = [parse_address(a, f"{path}:{n}") for a in addresses]
    return table


def settings_from(args: argparse.Namespace, environ: dict[str, str] | None = None) -> SendSettings:
    """Settings: the command line, then the environment, then the file, then defaults."""
    env = os.environ if environ is None else environ
    path = Path(args.config_envoi) if args.config_envoi else Path(DEFAULT_CONFIG)
    data = _read_yaml(path) if (args.config_envoi or path.is_file()) else {}
    smtp = data.get("smtp", {})
    s = SendSettings()
    s.host = env.get(ENV["host"]) or str(smtp.get("host") or "")
    s.security = (env.get(ENV["security"]) or str(smtp.get("security") or "starttls")).lower()
    if s.security not in SECURITIES:
        raise UsageError(f"sécurité SMTP inconnue « {s.security} » (attendu : {', '.join(SECURITIES)})")
    port = env.get(ENV["port"]) or smtp.get("port") or DEFAULT_PORTS[s.security]
    try:
        s.port = int(port)
    except (TypeError, ValueError):
        raise UsageError(f"port SMTP invalide « {port} »") from None
    s.user = env.get(ENV["user"]) or str(smtp.get("user") or "")
    s.password = env.get(ENV["password"]) or _file_password(path, smtp)
    s.ca_file = str(smtp.get("ca_file") or "")
    s.sender = env.get(ENV["from"]) or str(data.get("from") or "")
    s.reply_to = str(data.get("reply_to") or "")
    s.recipient = args.recipient or env.get(ENV["recipient"]) or str(data.get("recipient") or "")
    table = args.recipients or env.get(ENV["recipients_csv"]) or data.get("recipients_csv")
    if table:
        table_path = Path(table) if Path(table).is_absolute() or not data.get("recipients_csv") else path.parent / table
        s.table = read_table(table_path)
    s.subject = str(data.get("subject") or DEFAULT_SUBJECT)
    from .mailsafe import Template, parse_sender
    Template(s.subject, SUBJECT_FIELDS, "modèle de sujet (subject)")  # checked before any audit
    if s.recipient and "{uai}" not in s.recipient and "{UAI}" not in s.recipient:
        raise UsageError(f"modèle de destinataire sans {{uai}} : « {s.recipient} »")
    if s.recipient:
        Template(s.recipient, ("uai", "UAI"), "modèle de destinataire")
    if not s.recipient and not s.table:
        raise UsageError("aucun destinataire : donnez --destinataire 'ce.{uai}@ac-exemple.fr', --destinataires "
                         "FICHIER.csv ou recipient / recipients_csv dans la configuration d'envoi")
    if not s.sender:
        raise UsageError(f"adresse d'expéditeur manquante : clé from de {path} ou variable {ENV['from']}")
    parse_sender(s.sender, "adresse d'expéditeur (from)")
    if s.reply_to:
        parse_sender(s.reply_to, "adresse de réponse (reply_to)")
    return s


def _file_password(path: Path, smtp: dict[str, Any]) -> str:
    if smtp.get("password_file"):
        pw_path = Path(str(smtp["password_file"])).expanduser()
        try:
            return pw_path.read_text("utf-8").strip()
        except OSError as exc:
            raise UsageError(f"{path}: fichier du mot de passe SMTP illisible : {pw_path} ({exc.strerror})") from None
    if smtp.get("password"):
        if os.name == "posix" and path.stat().st_mode & 0o077:
            print(f"scolint : attention, {path} contient un mot de passe et est lisible par d'autres "
                  f"utilisateurs (chmod 600 {path}).", file=sys.stderr)
        return str(smtp["password"])
    return ""


#: The systems whose exports a school sends (AAF files come from the academy).
SCHOOL_SYSTEMS = ("SIECLE", "STS", "EDT", "PRONOTE", "ENT")
#: Formats never asked for: the ciphered EDT export (send the clear one), CSV layouts
#: declared by a profile (the ENT's own file is asked for).
NOT_ASKED = ("edt-chiffre", "csv-profil")


def _headers(s: SendSettings, o: Outcome, to: list[str], subject: str) -> tuple[EmailMessage, list[str]]:
    """A message with its headers, and the headers it must have once serialised.

    Headers go through the standard ``email`` policy with every value neutralised
    (:mod:`.mailsafe`): no value read from the exports or the settings adds or splits a header."""
    from email import policy
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    from .mailsafe import header_text, parse_sender
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = header_text(subject)
    name, addr = parse_sender(s.sender, "adresse d'expéditeur (from)")
    msg["From"] = Address(display_name=name, addr_spec=addr)
    msg["To"] = tuple(Address(addr_spec=a) for a in to)
    expected = ["Subject", "From", "To", "Date", "Message-ID", "MIME-Version", "Content-Type",
                "Content-Transfer-Encoding"]
    if s.reply_to:
        rname, raddr = parse_sender(s.reply_to, "adresse de réponse (reply_to)")
        msg["Reply-To"] = Address(display_name=rname, addr_spec=raddr)
        expected.append("Reply-To")
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=addr.rsplit("@", 1)[-1])
    return msg, expected


def build_message(s: SendSettings, o: Outcome, to: list[str]) -> EmailMessage:
    """The e-mail of one establishment: the action plan as text and HTML alternatives
    (each under the mail budget, reporters/html.py), the full list as a spreadsheet."""
    from .mailsafe import Template, check_headers, header_text
    files = {fmt: Path(p) for fmt, p in o.reports.items()}
    fields = {"uai": header_text(o.key), "etablissement": header_text(o.establishment or o.key),
              "erreurs": o.counts.get("error", 0), "avertissements": o.counts.get("warning", 0),
              "informations": o.counts.get("info", 0)}
    subject = Template(s.subject, SUBJECT_FIELDS, "modèle de sujet (subject)").render(fields)
    msg, expected = _headers(s, o, to, subject)
    msg.set_content(files["texte"].read_text("utf-8"))
    msg.add_alternative(files["html"].read_text("utf-8"), subtype="html")
    sheet = files["tableur"]
    msg.add_attachment(sheet.read_bytes(), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=sheet.name)
    check_headers(msg.as_bytes(), expected)
    return msg


def exports_to_send(host: Any) -> list[dict[str, str]]:
    """The exports a school sends, in the flow's order, with how to produce each."""
    out = []
    for system in SCHOOL_SYSTEMS:
        for fid, fmt in host.registries.formats.items():
            if fmt.system == system and fmt.how_to_get and fid not in NOT_ASKED and fmt.kinds != ():
                out.append({"label": fmt.label, "how": fmt.how_to_get})
    return out


def unreadable_message(s: SendSettings, o: Outcome, to: list[str], host: Any) -> EmailMessage:
    """The e-mail of an establishment whose exports could not be audited: why, and which
    exports to send, with the steps to produce each."""
    from scolint.plugins.reporters.common import template_env

    from .mailsafe import check_headers
    env = template_env()
    ctx = {"uai": o.key, "reason": o.error, "exports": exports_to_send(host)}
    msg, expected = _headers(s, o, to, f"Contrôle des exports de l'établissement {o.key} : exports à renvoyer")
    msg.set_content(env.get_template("exports-a-envoyer.txt.j2").render(**ctx))
    msg.add_alternative(env.get_template("exports-a-envoyer.html.j2").render(**ctx), subtype="html")
    check_headers(msg.as_bytes(), expected)
    return msg


def connect(s: SendSettings) -> smtplib.SMTP:
    """An SMTP connection, secured and logged in as configured."""
    import smtplib
    import ssl
    if not s.host:
        raise UsageError(f"serveur SMTP manquant : clé smtp.host ou variable {ENV['host']}")
    context = ssl.create_default_context(cafile=s.ca_file or None)
    loopback = s.host in ("localhost", "127.0.0.1", "::1")
    if s.security == "aucune" and s.user and not loopback:
        raise UsageError("connexion SMTP sans chiffrement : identifiant et mot de passe refusés (utilisez ssl ou starttls)")
    try:
        if s.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, context=context, timeout=60)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=60)
            if s.security == "starttls":
                smtp.starttls(context=context)
        if s.user:
            smtp.login(s.user, s.password)
    except smtplib.SMTPAuthenticationError:
        raise UsageError(f"authentification SMTP refusée pour {s.user} sur {s.host}") from None
    except (OSError, smtplib.SMTPException) as exc:
        from scolint.engine.outputs import os_error_fr
        why = os_error_fr(exc) if isinstance(exc, OSError) else _smtp_fr(exc)
        raise UsageError(f"connexion SMTP impossible à {s.host}:{s.port} ({s.security}) : {why}") from None
    return smtp


def _send_one(smtp: Any, settings: SendSettings, msg: Any) -> Any:
    """Send ``msg``; reconnect once when the server closed the connection meanwhile."""
    import smtplib
    try:
        smtp.send_message(msg)
    except smtplib.SMTPServerDisconnected:
        smtp = connect(settings)
        smtp.send_message(msg)
    return smtp


def cmd_send(args: argparse.Namespace) -> int:
    import smtplib

    from scolint.engine.outputs import check_folder, os_error_fr, write_file

    from .batch import Interrupted, Progress, config_from_args, find_entries, run_batch
    settings = settings_from(args)
    entries = find_entries(Path(args.dossier), exclude=[Path(p) for p in (args.out, args.dry_run) if p])
    if args.uai:
        wanted = {u.upper() for u in args.uai}
        entries = [e for e in entries if e.key.upper() in wanted]
        if not entries:
            raise UsageError(f"aucun dossier ni archive de {args.dossier} pour l'UAI {', '.join(sorted(wanted))}")
    folders = [e.path for e in entries if e.path.is_dir()]
    out = Path(args.out) if args.out else Path(args.dry_run or ".") / "rapports"
    if args.dry_run:
        check_folder(args.dry_run, (), "dossier des messages (--dry-run)", folders)
    check_folder(out, (), "dossier des rapports", folders)
    args.out = str(out)
    config = config_from_args(args, ["html", "texte", "tableur", "json"])
    config["mail"] = True
    jobs = max(1, min(args.jobs or (os.cpu_count() or 1), len(entries)))
    # The server and the login are checked before the first audit, not after all of them.
    smtp = None if args.dry_run else connect(settings)
    failed = sent = in_error = 0
    history = None
    try:
        history = config["history"].open() if config.get("history") else None  # migrated, key checked
        try:
            outcomes = run_batch(entries, config, jobs, Progress(len(entries)).step)
        except Interrupted as stop:
            print(f"scolint : interrompu pendant les audits ({len(stop.outcomes)} établissement(s) audité(s) sur "
                  f"{len(entries)}) ; aucun message envoyé.", file=sys.stderr)
            return 130
        from .batch_summary import write_summary
        write_summary(outcomes, Path(config["out"]), args.host)
        if history is not None:
            from scolint.plugins.history.dashboard import record_batch
            record_batch(history, outcomes, Path(config["out"]))
            history.close()
            history = None
        for o in outcomes:
            try:
                to = settings.recipients(o.key)
                if (o.error and not o.unreadable) or not to:
                    failed += 1
                    print(f"{o.key} : non envoyé, {o.error or 'aucun destinataire pour cet UAI'}", file=sys.stderr)
                    continue
                if o.error:  # exports missing or unreadable: say which to send, and how
                    in_error += 1
                    print(f"{o.key} : exports illisibles ({o.error}) ; message « exports à renvoyer »",
                          file=sys.stderr)
                    msg = unreadable_message(settings, o, to, args.host)
                else:
                    msg = build_message(settings, o, to)
                if args.dry_run:
                    target = Path(args.dry_run) / f"{o.key}.eml"
                    write_file(target, msg.as_bytes(), what="message")
                    print(f"{o.key} -> {', '.join(to)} : écrit dans {target}")
                else:
                    smtp = _send_one(smtp, settings, msg)
                    print(f"{o.key} -> {', '.join(to)} : envoyé")
                sent += 1
            except KeyboardInterrupt:
                raise
            except UsageError as exc:
                failed += 1
                print(f"{o.key} : non envoyé, {exc}", file=sys.stderr)
            except smtplib.SMTPException as exc:
                failed += 1
                print(f"{o.key} : refusé par le serveur ({_smtp_fr(exc)})", file=sys.stderr)
            except OSError as exc:
                failed += 1
                print(f"{o.key} : non envoyé, {os_error_fr(exc)}", file=sys.stderr)
            except Exception as exc:  # one establishment never stops the others
                failed += 1
                internal_error(exc)
                print(f"{o.key} : non envoyé, erreur interne (SCOLINT_DEBUG=1 pour le détail)", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"scolint : interrompu ; {sent} message(s) {'préparé(s)' if args.dry_run else 'envoyé(s)'} "
              "avant l'interruption.", file=sys.stderr)
        return 130
    finally:
        if history is not None:
            history.close()
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
    print(f"{sent} message(s) {'préparé(s)' if args.dry_run else 'envoyé(s)'}, {failed} non envoyé(s).",
          file=sys.stderr)
    if failed or in_error:
        return 2
    if args.fail_on:  # --fail-on: 1 when a school has findings at or above that severity
        return max([o.exit_code for o in outcomes] + [0])
    return 0


def _smtp_fr(exc: Exception) -> str:
    code = getattr(exc, "smtp_code", None)
    return f"code SMTP {code}" if code else "erreur SMTP"


def add_batch_arguments(p: argparse.ArgumentParser) -> None:
    """Options shared by ``batch`` and ``send``: jobs, rules, project, pseudonymisation."""
    from scolint.engine.cli import add_rule_options
    from scolint.plugins.commands.project import add_project_options
    from scolint.plugins.reporters.pseudonymise import add_options
    p.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                   help="nombre de processus en parallèle (défaut : nombre de processeurs)")
    p.add_argument("--fail-on", choices=list(SEVERITIES), default=None, type=severity_choice, metavar=SEVERITY_METAVAR,
                   help="gravité à partir de laquelle le code de sortie est 1")
    p.add_argument("--precedent", metavar="DOSSIER",
                   help="dossier des rapports d'un audit précédent (ses rapport-UAI.json) : chaque rapport dit "
                        "ce qui a changé depuis (nouvelles anomalies, corrigées, toujours là)")
    add_rule_options(p)
    add_project_options(p, baseline=False)
    add_options(p)
    from scolint.plugins.history.settings import add_history_options
    add_history_options(p)


def cmd_batch(args: argparse.Namespace) -> int:
    """``scolint batch`` (plugins/commands/batch.py, imported when the command runs)."""
    from .batch import cmd_batch as run
    return run(args)


@hookimpl
def scolint_cli_commands(subparsers: Any) -> None:
    b = subparsers.add_parser(
        "batch", help="audite tous les établissements d'un dossier (un sous-dossier ou .zip par UAI)",
        description="Audite en parallèle chaque établissement de DOSSIER (un sous-dossier ou une archive .zip "
                    "par UAI), écrit un rapport par UAI et la synthèse académique (HTML et CSV). Un établissement "
                    "aux fichiers illisibles est signalé en erreur sans arrêter les autres (code de sortie 2).")
    b.add_argument("dossier", metavar="DOSSIER")
    b.add_argument("-o", "--out", default="rapports", metavar="DOSSIER", help="dossier des rapports (défaut : rapports)")
    b.add_argument("--formats", action="append", default=[], metavar="F1,F2",
                   help="formats des rapports par UAI : html (défaut), markdown, json, junit, sarif")
    add_batch_arguments(b)
    b.set_defaults(handler=cmd_batch)

    s = subparsers.add_parser(
        "send", help="envoie à chaque établissement son rapport HTML par courriel",
        description="Audite chaque établissement de DOSSIER comme « scolint batch » et lui envoie son rapport "
                    "(plan d'action en HTML et en texte, liste complète en tableur joint ; à un établissement dont "
                    "les exports sont illisibles, la liste des exports à renvoyer). Réglages "
                    f"SMTP : fichier {DEFAULT_CONFIG} ou --config-envoi, et variables {', '.join(ENV.values())}. "
                    "Le mot de passe ne se donne jamais sur la ligne de commande.")
    s.add_argument("dossier", metavar="DOSSIER")
    s.add_argument("--config-envoi", metavar="FICHIER", help=f"réglages d'envoi (défaut : {DEFAULT_CONFIG} s'il existe)")
    s.add_argument("--destinataire", dest="recipient", metavar="MODÈLE",
                   help="adresse de chaque établissement, avec {uai} : ce.{uai}@ac-exemple.fr")
    s.add_argument("--destinataires", dest="recipients", metavar="FICHIER.csv",
                   help="table UAI;adresse (prioritaire sur le modèle)")
    s.add_argument("--uai", action="append", default=[], metavar="UAI", help="n'envoyer qu'à cet établissement (répétable)")
    s.add_argument("--dry-run", "--essai", dest="dry_run", metavar="DOSSIER",
                   help="ne rien envoyer : écrire les messages UAI.eml dans ce dossier")
    s.add_argument("-o", "--out", default=None, metavar="DOSSIER",
                   help="dossier des rapports produits (défaut : rapports/ dans le dossier courant ou celui de --dry-run)")
    add_batch_arguments(s)
    s.set_defaults(handler=cmd_send)
