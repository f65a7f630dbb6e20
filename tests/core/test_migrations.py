"""The migrations build exactly the schema the models describe, and can be undone."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from consult import create_app
from consult.config import TestConfig
from consult.extensions import db

#: Objects a migration creates by hand for one dialect, that no model declares (PostgreSQL's
#: full-text index of the analysis area).
HAND_MADE = {"ix_contribution_search"}


def _include(obj, name, type_, reflected, compare_to) -> bool:
    """Leave out the hand-made objects, which the models cannot describe."""
    return not (reflected and compare_to is None and name in HAND_MADE)


def differences(engine) -> list:
    """What Alembic's autogenerate would change to make the database match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": True, "include_object": _include},
        )
        return compare_metadata(context, db.metadata)


@pytest.fixture
def fresh_sqlite_app(tmp_path):
    """An application on an empty SQLite file of its own."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'fresh.sqlite'}"

    app = create_app(Config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_upgrade_from_empty_matches_the_models_then_downgrades_to_nothing(fresh_sqlite_app):
    assert inspect(db.engine).get_table_names() == []
    upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {table.name for table in db.metadata.sorted_tables} <= tables
    assert differences(db.engine) == []
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert differences(db.engine) == []


def test_the_suites_own_database_matches_the_models(app):
    """On SQLite or PostgreSQL (DATABASE_URL), the schema the migrations built for the run."""
    assert differences(db.engine) == []


def test_there_is_one_migration_head(app):
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


@pytest.fixture
def fresh_postgresql_app():
    """An application on a new, empty PostgreSQL database beside the run's (dropped afterwards).

    A database of its own, not a schema: through a search_path, Alembic would find the run's own
    alembic_version table and downgrade the run's tables.
    """
    import os

    from sqlalchemy import create_engine, make_url, text

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    url = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    fresh = url.set(database=f"{url.database}_migrations")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{fresh.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{fresh.database}"'))

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = fresh.render_as_string(hide_password=False)

    app = create_app(Config)
    try:
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{fresh.database}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_and_downgrade_on_postgresql(fresh_postgresql_app):
    assert inspect(db.engine).get_table_names() == []
    upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {table.name for table in db.metadata.sorted_tables} <= tables
    assert differences(db.engine) == []
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert differences(db.engine) == []
