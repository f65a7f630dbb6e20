"""psycopg's cursor with a description built only when it is read.

psycopg builds `cursor.description`, a `Column` object for every column of the result (its name
decoded, its type looked up), each time the property is read. SQLAlchemy reads it after every
statement, but once a statement is compiled and cached it only asks whether the result has rows:
the columns' names and types come from the cached compiled statement. So psycopg described
every column of every result for nothing (about 65 columns an answer, 5 % of its CPU).

`Cursor.description` here is a sequence of the same `Column` objects, built on its first
indexing or iteration: a caller that only tests it against None or takes its length builds none.
A description stays bound to the result it was made for: read after the cursor has moved on to
another result, it raises instead of describing the wrong one.
"""

from collections.abc import Sequence

import psycopg
from psycopg.pq import ExecStatus

#: Result statuses that have rows (psycopg's own test for a description).
_ROWS = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)


class Description(Sequence):
    """The columns of one result of a cursor, each a `psycopg.Column`, made when first read."""

    __slots__ = ("_cursor", "_result", "_columns")

    def __init__(self, cursor: psycopg.Cursor, result):
        self._cursor, self._result, self._columns = cursor, result, None

    def __len__(self) -> int:
        return self._result.nfields

    def __getitem__(self, index):
        if self._columns is None:
            if self._cursor.pgresult is not self._result:
                raise psycopg.InterfaceError("this description is of an earlier result")
            self._columns = [psycopg.Column(self._cursor, i) for i in range(len(self))]
        return self._columns[index]

    def __repr__(self) -> str:
        return repr(list(self))


class Cursor(psycopg.Cursor):
    """psycopg's default cursor, with the description of its result made when read."""

    @property
    def description(self) -> Description | None:
        result = self.pgresult
        if result and (result.nfields or result.status in _ROWS):
            return Description(self, result)
        return None
