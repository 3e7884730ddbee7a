"""Errors raised by scolint, each with a one-line French message a user can act on."""

from __future__ import annotations


class ScolintError(Exception):
    """Base class: ``str(err)`` is the French message shown to the user (exit 2)."""


class UsageError(ScolintError):
    """The command line or the configuration is wrong."""


class RuleFileError(ScolintError):
    """A rule file is invalid: the message starts with ``file:line:``."""

    def __init__(self, path: str, line: int | None, message: str, code: str = "REGLE") -> None:
        message = " ".join(message.split())  # always one line (a quoted expression may span several)
        self.path = str(path)
        self.line = line
        self.code = code
        self.detail = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {code}: {message}")


class InputError(ScolintError):
    """An input file cannot be read at all (the audit of the other files goes on)."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.detail = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


#: ``SCOLINT_DEBUG=1``: an internal error (a bug of scolint or of a plugin) is shown with its
#: Python traceback on the error output, for whoever debugs it; otherwise nobody sees its
#: text (``internal_error``).
DEBUG_SWITCH = "SCOLINT_DEBUG"


def debugging() -> bool:
    """Whether internal errors are to be shown whole (``SCOLINT_DEBUG`` set, not empty or 0)."""
    import os
    return os.environ.get(DEBUG_SWITCH, "").strip() not in ("", "0")


def internal_error(exc: BaseException) -> str:
    """Where an internal error happened, for whoever debugs it, never its message.

    A Python exception's text may quote what it was handling (a name, a value of an export,
    an ENT code): it reaches no user, no report, no mail, no log (docs/decisions.md,
    « Erreurs internes : aucun texte d'exception montré »). What users see is a French
    sentence written by the caller; this returns only the exception's class and the last
    frame of its traceback (file and line), e.g. ``KeyError, edt/export.py:212``. With
    ``SCOLINT_DEBUG=1``, the whole traceback is also written on the error output.
    """
    import traceback
    if debugging():
        import sys
        traceback.print_exception(exc, file=sys.stderr)
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ is not None else []
    if not frames:
        return type(exc).__name__
    last = frames[-1]
    parts = last.filename.replace("\\", "/").split("/")
    return f"{type(exc).__name__}, {'/'.join(parts[-2:])}:{last.lineno}"
