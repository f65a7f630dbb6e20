"""psycopg's cursor whose description is made when read (consult.core.pgcursor)."""

import psycopg
import pytest
from sqlalchemy import select, text

from consult.accounts.models import User
from consult.core import pgcursor
from consult.extensions import db


@pytest.fixture
def columns_made(app, monkeypatch):
    """The number of `psycopg.Column` objects made so far (a list of one count)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL")
    made, make = [0], psycopg.Column.__init__

    def counted(column, *args):
        made[0] += 1
        make(column, *args)

    monkeypatch.setattr(psycopg.Column, "__init__", counted)
    return made


def test_the_applications_connections_use_the_cursor(app, columns_made):
    with db.engine.connect() as connection:
        assert isinstance(connection.connection.cursor(), pgcursor.Cursor)


def test_a_statement_run_again_describes_none_of_its_columns(app, make_user, columns_made):
    """The first run of a statement reads its columns (SQLAlchemy compiles the statement and
    keeps what it learnt); later runs read the same rows and describe none of them."""
    ada = make_user(email="ada@example.org", age_band="25-40")
    columns = select(User.id, User.email, User.age_band).where(User.id == ada.id)
    person = select(User).where(User.id == ada.id)
    db.session.execute(columns).one(), db.session.scalars(person).one()
    made = columns_made[0]
    for _ in range(3):
        assert db.session.execute(columns).one() == (ada.id, "ada@example.org", "25-40")
        assert db.session.scalars(person).one() is ada
    assert columns_made[0] == made


def test_the_description_is_psycopgs_own_when_read(app, columns_made):
    with db.engine.connect() as connection:
        cursor = connection.connection.cursor()
        cursor.execute("SELECT 1 AS one, 'deux'::text AS two, now() AS at")
        described = cursor.description
        assert columns_made[0] == 0 and len(described) == 3
        assert [(c.name, c.type_code) for c in described] == [
            ("one", psycopg.adapters.types["int4"].oid),
            ("two", psycopg.adapters.types["text"].oid),
            ("at", psycopg.adapters.types["timestamptz"].oid),
        ]
        assert described[1][0] == "two" and described[-1].name == "at"
        assert columns_made[0] == 3  # made once, on the first read
        list(described)
        assert columns_made[0] == 3


def test_a_result_without_rows_has_no_description(app, columns_made):
    with db.engine.connect() as connection:
        connection.execute(text("CREATE TEMPORARY TABLE t (n integer)"))
        cursor = connection.connection.cursor()
        cursor.execute("INSERT INTO t VALUES (1)")
        assert cursor.description is None
        cursor.execute("SELECT n FROM t WHERE false")
        assert len(cursor.description) == 1 and cursor.description[0].name == "n"


def test_a_description_read_after_the_cursor_moved_on_refuses(app, columns_made):
    """It never describes a result other than its own."""
    with db.engine.connect() as connection:
        cursor = connection.connection.cursor()
        cursor.execute("SELECT 1 AS one")
        earlier = cursor.description
        cursor.execute("SELECT 2 AS two, 3 AS three")
        with pytest.raises(psycopg.InterfaceError):
            earlier[0]
        assert [c.name for c in cursor.description] == ["two", "three"]
