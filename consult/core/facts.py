"""Facts about the signed-in person that every page's navigation asks ("sits in a panel", "owns
an indicator"), loaded with the person by the request's one sign-in query instead of one query
each.

An area registers a fact as a function of the user-id column that returns a correlated boolean
EXISTS on indexed columns. `consult.accounts.sessions.load` selects every registered fact beside
the person and keeps the answers on them; `holds` answers from those, and asks the database for a
person loaded any other way (an API token, the CLI, a test). A service that changes a fact calls
`forget`, so that the rest of its request (a page it renders) asks again.
"""

from collections.abc import Callable

from sqlalchemy import ColumnElement, literal, select

from consult.extensions import db

#: Every registered fact by name: a function of the user-id column (or a bound value).
FACTS: dict[str, Callable[[ColumnElement], ColumnElement[bool]]] = {}

#: The key, in the request's database session, of the people whose facts it loaded, by id.
_LOADED = "consult.core.facts.loaded"


def fact(name: str):
    """Register the decorated function as the fact `name` (areas do it when imported)."""

    def register(expression: Callable[[ColumnElement], ColumnElement[bool]]):
        FACTS[name] = expression
        return expression

    return register


def registered() -> tuple:
    """The facts registered now, as a hashable snapshot (a query built from `columns` can be
    kept for as long as it is the same)."""
    return tuple(FACTS.items())


def columns(user_id: ColumnElement) -> list[ColumnElement[bool]]:
    """Every registered fact about the person whose id is `user_id`, as labelled columns to add
    to the query that loads them (correlated to it), in the order `keep` reads them back."""
    return [expression(user_id).label(f"fact_{n}") for n, expression in enumerate(FACTS.values())]


def keep(user, values) -> None:
    """Remember on the loaded person the answers of `columns`, for the rest of the request."""
    user.loaded_facts = {name: bool(value) for name, value in zip(FACTS, values, strict=True)}
    db.session.info.setdefault(_LOADED, {})[user.id] = user


def holds(user, name: str) -> bool:
    """Whether the fact is true of this person: what their sign-in loaded, else one query."""
    known = loaded(user, name)
    if known is not None:
        return known
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(db.session.scalar(select(FACTS[name](literal(user.id)))))


def loaded(user, name: str) -> bool | None:
    """What the person's sign-in loaded for the fact, or None when it was not loaded (for a
    service that only skips a query of its own when the answer is known already)."""
    return (getattr(user, "loaded_facts", None) or {}).get(name)


def forget(*people) -> None:
    """Drop the facts the request loaded about these people (users or their ids), whose facts it
    just changed: what it asks about them afterwards comes from the database."""
    loaded = db.session.info.get(_LOADED, {})
    for person in people:
        user = loaded.pop(getattr(person, "id", person), person)
        if getattr(user, "loaded_facts", None) is not None:
            user.loaded_facts = None
