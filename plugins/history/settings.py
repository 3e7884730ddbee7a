"""Where the history is, its key and retention: command line, environment, project file.

Order of precedence for each setting: the option, then the environment variable, then
the ``historique:`` section of the project file, then the default.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scolint.engine.errors import UsageError

from .defaults import DB_NAME, DEFAULT_RETENTION_DAYS

if TYPE_CHECKING:
    from .store import History

ENV_URL = "SCOLINT_HISTORIQUE"
ENV_DATA = "SCOLINT_DONNEES"
ENV_KEY = "SCOLINT_HISTORIQUE_CLE"
ENV_KEY_FILE = "SCOLINT_HISTORIQUE_CLE_FICHIER"


@dataclass
class HistorySettings:
    """Resolved settings (picklable: the batch's worker processes get a copy)."""

    target: str
    data_dir: str
    secret: bytes = field(repr=False, default=b"")
    retention_days: int = DEFAULT_RETENTION_DAYS

    def open(self) -> History:
        from .store import History
        return History.open(self.target, secret=self.secret, retention_days=self.retention_days)


def default_data_dir(environ: dict[str, str] | None = None) -> Path:
    """``$SCOLINT_DONNEES``, else ``$XDG_DATA_HOME/scolint``, else ``~/.local/share/scolint``."""
    env = os.environ if environ is None else environ
    if env.get(ENV_DATA):
        return Path(env[ENV_DATA]).expanduser()
    base = Path(env["XDG_DATA_HOME"]).expanduser() if env.get("XDG_DATA_HOME") else Path("~/.local/share").expanduser()
    return base / "scolint"


def add_history_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("historique des audits (voir docs/historique.md)")
    g.add_argument("--sans-historique", dest="no_history", action="store_true",
                   help="ne rien enregistrer dans l'historique ni comparer avec l'audit précédent")
    g.add_argument("--historique", dest="history", metavar="URL_OU_FICHIER",
                   help=f"base de l'historique : postgresql://… ou fichier SQLite (défaut : {DB_NAME} du dossier "
                        f"de données ; variable {ENV_URL})")
    g.add_argument("--donnees", dest="data_dir", metavar="DOSSIER",
                   help=f"dossier de données (défaut : ~/.local/share/scolint ; variable {ENV_DATA})")
    g.add_argument("--cle-historique", dest="history_key_file", metavar="FICHIER",
                   help=f"fichier de la clé de l'académie pour les empreintes (défaut : cle-historique du dossier de "
                        f"données, créée si absente ; variables {ENV_KEY} ou {ENV_KEY_FILE})")
    g.add_argument("--conservation", dest="retention", type=int, metavar="JOURS",
                   help=f"durée de conservation des audits en jours (défaut : {DEFAULT_RETENTION_DAYS})")


def history_settings(args: argparse.Namespace, project: Any = None, environ: dict[str, str] | None = None,
                     ) -> HistorySettings | None:
    """The history settings of a command, or ``None`` when the history is turned off."""
    env = os.environ if environ is None else environ
    section: dict[str, Any] = dict((getattr(project, "data", None) or {}).get("historique", {}))
    base = project.base if project is not None and getattr(project, "path", None) else Path.cwd()

    def from_file(key: str) -> Path | None:
        raw = section.get(key)
        if not raw:
            return None
        p = Path(str(raw)).expanduser()
        return p if p.is_absolute() else base / p

    if getattr(args, "no_history", False) or section.get("actif") is False:
        return None
    if getattr(args, "data_dir", None):
        data_dir = Path(args.data_dir)
    elif env.get(ENV_DATA):
        data_dir = Path(env[ENV_DATA]).expanduser()
    else:
        data_dir = from_file("dossier") or default_data_dir(env)
    raw_target = getattr(args, "history", None) or env.get(ENV_URL) or section.get("url")
    if raw_target and "://" not in str(raw_target):
        target = str(Path(str(raw_target)).expanduser() if getattr(args, "history", None) or env.get(ENV_URL)
                     else from_file("url"))
    else:
        target = str(raw_target or data_dir / DB_NAME)
    retention = getattr(args, "retention", None) or section.get("conservation_jours") or DEFAULT_RETENTION_DAYS
    if int(retention) < 1:
        raise UsageError("--conservation : un nombre de jours d'au moins 1 est attendu")
    key_file = (getattr(args, "history_key_file", None) or env.get(ENV_KEY_FILE)
                or (str(from_file("cle_fichier")) if section.get("cle_fichier") else None))
    if key_file:
        path = Path(key_file).expanduser()
        try:
            secret = path.read_text("utf-8").strip().encode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"clé de l'historique {path} illisible ({getattr(exc, 'strerror', None) or exc})") from None
    elif env.get(ENV_KEY):
        secret = env[ENV_KEY].strip().encode("utf-8")
    else:
        from .store import load_or_create_secret
        secret = load_or_create_secret(data_dir)
    if len(secret) < 16:
        raise UsageError("historique : la clé de l'académie doit compter au moins 16 caractères")
    return HistorySettings(target=target, data_dir=str(data_dir), secret=secret, retention_days=int(retention))


def open_history(project: Any = None, environ: dict[str, str] | None = None, **options: Any) -> History | None:
    """The history as ``scolint batch`` would open it, for callers without a command line
    (the portal): ``options`` are the command-line settings (``history``, ``data_dir``,
    ``history_key_file``, ``retention``, ``no_history``), then the environment and the
    project file (a :class:`~scolint.engine.config.ProjectConfig`). ``None`` when the
    history is turned off."""
    settings = history_settings(argparse.Namespace(**options), project, environ)
    return settings.open() if settings is not None else None
