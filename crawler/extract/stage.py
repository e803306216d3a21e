"""One field's ordered chain of stages, and the record of which stage gave each field.

A *stage* is a pair ``(name, value)``: the name says where the value came from ("selector", "jsonld",
"meta", "time", "layout", …, see ``crawler.extract``'s docstring); the value is the raw reading, or a
callable giving it when the chain reaches it (an expensive stage such as htmldate runs only when every
cheaper one came up empty). A ``Chain`` tries a field's stages in order and keeps the first that *reads*
(``read`` turns a raw value into the field's value, or a falsy one for a miss), writing the winning stage
into ``sources`` — e.g. ``chain.first("title", [("selector", ""), ("jsonld", "Talks resume")])`` is
"Talks resume" with ``sources["title"] == "jsonld"``.

Both extractors (``known`` and ``generic``) read every field through this one type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Stage = tuple[str, Any]  # (stage name, value or a callable giving it)


def _same(value: Any) -> Any:
    return value


class Chain:
    """The stages of one page's fields, and ``sources``: field → the stage that gave it."""

    def __init__(self, sources: dict[str, str] | None = None):
        self.sources: dict[str, str] = {} if sources is None else sources

    def find(self, stages: Iterable[Stage], read: Callable[[Any], Any] = _same,
             defer: Callable[[Any], bool] | None = None) -> tuple[str, Any] | None:
        """(stage, value) of the first stage whose value reads, recording nothing.

        ``defer(value)``: a value that counts only when no later stage reads (e.g. a relative date "قبل 5
        ساعات" after which a later absolute one is preferred); the first deferred is kept in ``deferred``.
        """
        for stage, raw in stages:
            value = read(raw() if callable(raw) else raw)
            if not value:
                continue
            if defer is not None and defer(value):
                if getattr(self, "deferred", None) is None:
                    self.deferred = (stage, value)
                continue
            return stage, value
        return None

    deferred: tuple[str, Any] | None = None

    def first(self, field: str, stages: Iterable[Stage], read: Callable[[Any], Any] = _same) -> Any:
        """The first stage's value that reads, recorded as ``field``'s source; None when none does."""
        found = self.find(stages, read)
        return self.record(field, found)

    def record(self, field: str, found: tuple[str, Any] | None) -> Any:
        """``found``'s value, its stage recorded as ``field``'s source (None: nothing recorded)."""
        if found is None:
            return None
        self.sources[field] = found[0]
        return found[1]
