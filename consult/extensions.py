"""Flask extensions, created unbound so that create_app can bind them to any app."""

import functools

from flask_babel import Babel
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, bindparam, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

from consult.core.limiter import Limiter


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations can name and drop constraints."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)


def on_postgresql() -> bool:
    """Whether the session's database is PostgreSQL (else SQLite, the embedded default)."""
    return db.session.get_bind().dialect.name == "postgresql"


def dialect_insert(entity):
    """An INSERT with the ON CONFLICT clauses of the session's database (PostgreSQL or SQLite)."""
    return (postgresql.insert if on_postgresql() else sqlite.insert)(entity)


def table_params(table, columns) -> dict:
    """A bound parameter for each of these columns of a table, named after the table and the
    column ("contribution_body"), so that statements sent together (`execute_together`) never
    share a name; `table_values` names their values."""
    return {column: bindparam(f"{table.name}_{column}") for column in columns}


def table_values(table, values: dict) -> dict:
    """Column → value, under the names of `table_params`."""
    return {f"{table.name}_{column}": value for column, value in values.items()}


@functools.cache
def _together(statements: tuple):
    """The statements as one PostgreSQL statement: all but the last as data-modifying WITH
    clauses of the last (built once per tuple of statements)."""
    *first, last = statements
    return last.add_cte(*(statement.cte(f"write_{i}") for i, statement in enumerate(first)))


def execute_together(statements: tuple, values: dict):
    """Send writes in one round trip on PostgreSQL, one after the other elsewhere (SQLite has no
    data-modifying WITH).

    Only for statements built once, whose bound parameters have names of their own (`values`
    holds them all) and which write different tables and read nothing of what another writes:
    PostgreSQL runs the parts of one statement on the same snapshot, in no set order. Returns
    the result of the last statement (its RETURNING rows, if it has some).
    """
    if len(statements) > 1 and on_postgresql():
        return db.session.execute(_together(statements), values)
    for statement in statements:
        result = db.session.execute(statement, values)
    return result


migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)


#: Requests that only read; every other request writes.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Statements that only read, which SQLite may run before the transaction's first write.
_READS = ("SELECT", "WITH")


def _writing_request() -> bool:
    """Whether the current request is one that writes (a POST, ...)."""
    from flask import has_request_context, request

    return has_request_context() and request.method not in SAFE_METHODS


def configure_sqlite(engine) -> None:
    """Make pysqlite's transactions behave as the code expects (after SQLAlchemy's recipe).

    pysqlite opens transactions itself, only before a write, and commits a savepoint released
    before any write; so the driver's handling is turned off and consult emits BEGIN itself:
    - a request that writes (POST, ...) begins with BEGIN IMMEDIATE: it takes the write lock at
      once, so its reads and writes are serialised with every other writer (busy_timeout waits),
      which makes a service's read-check-write (the chain's next number, a unique guard) safe
      where PostgreSQL would use row locks;
    - elsewhere (pages, CLI, jobs, tests) reads run on their own, each seeing the latest commits
      as PostgreSQL's read committed does, and BEGIN IMMEDIATE comes just before the first write
      or savepoint, so a savepoint always lies inside the transaction it belongs to.
    Foreign keys are enforced, locks waited for, deleted content zeroed, and the write-ahead log
    lets readers and one writer work at the same time.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN or COMMIT of its own
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # Deleted rows are overwritten with zeros, not left readable in free pages (ballots).
        cursor.execute("PRAGMA secure_delete=ON")
        if engine.url.database and engine.url.database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        writing = _writing_request()
        connection.info["sqlite_begin_pending"] = not writing
        if writing:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(connection, cursor, statement, _parameters, context, _many):
        if not connection.info.get("sqlite_begin_pending"):
            return
        head = statement.lstrip()[:6].upper()
        writes = context is not None and (context.isinsert or context.isupdate or context.isdelete)
        if head.startswith(_READS) and not writes:
            return
        connection.info["sqlite_begin_pending"] = False
        cursor.execute("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection):
        connection.info["sqlite_begin_pending"] = False


def configure_postgresql(engine) -> None:
    """Give psycopg's connections the cursor whose description is made only when read
    (`consult.core.pgcursor`): SQLAlchemy reads it after every statement, but needs its columns
    only the first time a statement runs."""
    from consult.core.pgcursor import Cursor

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.cursor_factory = Cursor
