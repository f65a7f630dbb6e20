"""One way to read an integer from a request: query arguments, form fields and URL parts.

Python integers have no bound but database columns do (PostgreSQL's INTEGER holds 32 bits,
SQLite's 64): a 40-digit id would raise OverflowError or a DataError deep in a query. Every
integer a person can send is read here and refused (as absent, or 404 for a path) when it does
not fit.
"""

from werkzeug.routing import IntegerConverter

#: The range of an INTEGER column on every supported database.
DB_INT_MIN, DB_INT_MAX = -(2**31), 2**31 - 1


def db_int(value) -> int:
    """Parse a decimal integer that fits a database column; ValueError otherwise.

    Usable as `type=` for `request.args.get` (which then falls back to the default) and as
    `coerce=` for WTForms choice fields (which then say the choice is not valid).
    """
    if isinstance(value, bool):
        raise ValueError("not an integer")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not digits.isascii() or not digits.isdigit() or len(digits) > 10:
            raise ValueError("not an integer")
        number = int(text)
    if not DB_INT_MIN <= number <= DB_INT_MAX:
        raise ValueError("out of range")
    return number


class BoundedIntegerConverter(IntegerConverter):
    """The `<int:...>` URL converter, limited to what a database id can be (else 404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's parameter name
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def install_converters(app) -> None:
    """Make `<int:...>` bounded in every route; called before any blueprint is registered."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def int_or_none(value) -> int | None:
    """`db_int(value)`, or None when the value is absent or not such an integer."""
    try:
        return db_int(value)
    except (TypeError, ValueError):
        return None
