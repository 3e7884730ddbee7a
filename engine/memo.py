"""A bounded memo for text functions called again and again with the same values."""

from __future__ import annotations

from typing import Any, Callable


class BoundedMemo(dict):  # type: ignore[type-arg]
    """``memo[text]`` is ``fn(text)``, computed once per text (a plain dictionary look-up
    when known). Emptied when it holds ``limit`` entries, so that an academy batch, which
    meets new names at every establishment, does not grow it without end."""

    def __init__(self, fn: Callable[[Any], Any], limit: int = 65536) -> None:
        super().__init__()
        self.fn = fn
        self.limit = limit

    def __missing__(self, key: Any) -> Any:
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.fn(key)
        return value
