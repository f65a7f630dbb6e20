"""Reading a page number from the query string."""

from flask import request

from consult.core.params import db_int

#: Far beyond any real listing; keeps OFFSET inside a 64-bit integer on every database.
MAX_PAGE = 100_000


def page_arg(name: str = "page") -> int:
    """The page asked for, between 1 and MAX_PAGE (a huge number would overflow the query)."""
    return min(max(request.args.get(name, 1, type=db_int) or 1, 1), MAX_PAGE)
