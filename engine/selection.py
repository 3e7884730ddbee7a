"""Which rules a command runs (``--select``, ``--tags``, ``--ignore``, a project's profile).

Apart from :mod:`scolint.engine.audit` (which re-exports it) so that reading the options and
the project file does not import the rule engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .rules import Rule


@dataclass
class Selection:
    """Which rules run: by tag, by id (include / exclude).

    ``any_of`` (from a project file or profile) lists ids *or* tags: a rule is kept
    when its id or one of its tags is listed. All given criteria must hold.
    """

    tags: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    exclude_tags: list[str] = field(default_factory=list)
    exclude_ids: list[str] = field(default_factory=list)
    any_of: list[str] = field(default_factory=list)

    def selects_all(self) -> bool:
        """No criterion: every rule runs."""
        return not (self.tags or self.ids or self.exclude_tags or self.exclude_ids or self.any_of)

    def accepts(self, rule: Rule) -> bool:
        if self.any_of and rule.id not in self.any_of and not set(self.any_of) & set(rule.tags):
            return False
        if self.ids and rule.id not in self.ids:
            return False
        if self.tags and not set(self.tags) & set(rule.tags):
            return False
        if rule.id in self.exclude_ids or set(self.exclude_tags) & set(rule.tags):
            return False
        return True
