"""What an import kind provides, the plan it makes from a file, and the registry of kinds."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from flask_babel import LazyString

from consult.core.i18n import gettext, ngettext
from consult.core.imports.mapping import Field
from consult.core.imports.reading import MAX_ROWS

#: Refused lines kept with the preview (the counts are always complete).
MAX_REFUSALS_KEPT = 5_000


@dataclass
class Plan:
    """What a file would do, decided before anything is written.

    `create`, `update` and `remove` hold whatever the kind needs to write them later (rows,
    objects); `refused` holds (line, message) pairs, the message a lazy string whose values come
    from the file (they are stored as message and parameters, and escaped when shown).
    """

    create: list = field(default_factory=list)
    update: list = field(default_factory=list)
    remove: list = field(default_factory=list)
    unchanged: int = 0
    refused: list[tuple[int, object]] = field(default_factory=list)

    def refuse(self, line: int, message) -> None:
        """Leave a line out, saying why."""
        self.refused.append((line, message))

    def accepted(
        self,
        records: Iterable[tuple[int, dict[str, str]]],
        read: Callable[[int, dict[str, str]], Any],
        row_type: type,
        **unique: Callable[[Any, int], object],
    ) -> Iterator[tuple[int, Any]]:
        """The records that read as rows and repeat no earlier row, as (line, row); every other
        line is refused here, with its reasons.

        ``read(line, values)`` gives a ``row_type``, or the reason (or list of reasons) the line
        is refused. ``unique`` names the row attributes no two lines may share, each with the
        words for a line that repeats one: ``repeated(value, line where it first came)``.
        """
        first_lines: dict[str, dict] = {name: {} for name in unique}
        for line, values in records:
            row = read(line, values)
            if not isinstance(row, row_type):
                for reason in row if isinstance(row, list) else [row]:
                    self.refuse(line, reason)
                continue
            repeat = next(
                (name for name in unique if getattr(row, name) in first_lines[name]), None
            )
            if repeat is not None:
                value = getattr(row, repeat)
                self.refuse(line, unique[repeat](value, first_lines[repeat][value]))
                continue
            for name, lines in first_lines.items():
                lines[getattr(row, name)] = line
            yield line, row

    def summary(self) -> dict:
        """The counts and the first refusals, as JSON for the preview page."""
        return {
            "create": len(self.create),
            "update": len(self.update),
            "remove": len(self.remove),
            "unchanged": self.unchanged,
            "refused": len({line for line, _message in self.refused}),
            # What the organiser should see leave (a roll's identifiers), when the kind says so.
            "removals": [str(item) for item in self.remove[:MAX_REFUSALS_KEPT]]
            if all(isinstance(item, str) for item in self.remove)
            else [],
            "refusals": [
                [line, *stored_message(message)]
                for line, message in self.refused[:MAX_REFUSALS_KEPT]
            ],
        }


def stored_message(message) -> tuple[str, dict]:
    """A message as (English text, parameters), so it is translated when shown, not when made."""
    if isinstance(message, LazyString):
        return message._args[0], {k: _plain(v) for k, v in message._kwargs.items()}
    return str(message), {}


#: Longest piece of a cell quoted in a message: a huge cell must not make a huge page.
QUOTED_CHARS = 80


def _quoted(value):
    """A parameter as a message quotes it: long text cut with an ellipsis."""
    if isinstance(value, str) and len(value) > QUOTED_CHARS:
        return value[: QUOTED_CHARS - 1] + "…"
    return value


def shown_message(msgid: str, params: dict) -> str:
    """A stored message in the reader's language (plain text: templates escape it)."""
    if not params:
        return gettext(msgid)
    return gettext(msgid, **{name: _quoted(value) for name, value in params.items()})


def _plain(value):
    """A parameter as JSON can keep it."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


class ImportKind(ABC):
    """One kind of import. Subclass it in your area and `register()` an instance.

    The area's own page uploads the file (`consult.core.imports.services.upload`) with the options
    its form asks for; the shared pages then take the organiser through the mapping, the preview
    and the confirmation, and call back:

    - `load_target(target_id)` → the object the file goes into (None when not found: 404),
    - `fields_for(target)` → the fields (the class's `fields` unless the target adds some),
    - `check_access(actor, target)` → raise `RuleError` when this import is not possible now,
    - `plan(target, records, options, now)` → a `Plan`, from `(line, {field key: text})` records;
      it reads the database but writes nothing, and is called again at confirmation,
    - `apply(actor, target, plan, options, now, progress)` → a dict of counts; it writes the plan
      (flush, never commit) and calls `progress(done, total)` now and then,
    - `back_url(target)` → the area's page, where the organiser lands afterwards.
    """

    #: Registry key, "area.what" (it also names the remembered mapping).
    key: ClassVar[str]
    #: Shown as the heading of every step, e.g. "Invite people".
    title: ClassVar[object]
    #: Roles that may run this import (administrators always may).
    roles: ClassVar[tuple]
    fields: ClassVar[Sequence[Field]]
    max_rows: ClassVar[int] = MAX_ROWS
    #: Whether the valid rows may be imported while some lines are refused; an import that
    #: replaces a whole list (the roll) says False, so a refused line never silently drops someone.
    allow_partial: ClassVar[bool] = True
    #: Whether rows that are no longer in the file are removed (the preview then shows them).
    removes: ClassVar[bool] = False
    #: A path under static/ to an example file offered on the pages, or None.
    example: ClassVar[str | None] = None

    def fields_for(self, target) -> Sequence[Field]:
        """The fields a file may fill for this target (a panel's features add some)."""
        return self.fields

    def load_target(self, target_id: int) -> Any:
        """The object the import goes into; the default kind has none."""
        return None

    def check_access(self, actor, target) -> None:  # noqa: B027 - most kinds accept any time
        """Refuse (RuleError) when the target does not accept an import now."""

    @abstractmethod
    def plan(
        self, target, records: list[tuple[int, dict[str, str]]], options: dict, now: datetime
    ) -> Plan:
        """Decide what each record would do; write nothing."""

    @abstractmethod
    def apply(
        self,
        actor,
        target,
        plan: Plan,
        options: dict,
        now: datetime,
        progress: Callable[[int, int], None],
    ) -> dict:
        """Write the plan (flush, never commit); return counts for the result page."""

    @abstractmethod
    def back_url(self, target) -> str:
        """Where the organiser goes back to."""

    def done_message(self, result: dict) -> str:
        """The sentence shown when the import is over."""
        return gettext(
            "Import finished: %(created)s, %(updated)s.",
            created=ngettext("%(num)d created", "%(num)d created", result.get("created", 0)),
            updated=ngettext("%(num)d updated", "%(num)d updated", result.get("updated", 0)),
        )


_KINDS: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> ImportKind:
    """Make a kind known to the shared import pages (call it when your area's module loads)."""
    _KINDS[kind.key] = kind
    return kind


def get(key: str) -> ImportKind | None:
    """The registered kind with this key."""
    return _KINDS.get(key)
