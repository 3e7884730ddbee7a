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
