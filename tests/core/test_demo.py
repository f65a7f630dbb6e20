"""`consult demo` loads a realistic demonstration, and loading it twice changes nothing."""

from sqlalchemy import func, select

from consult.accounts.models import User
from consult.consultations.models import Consultation, Contribution, Question
from consult.core.permissions import Role
from consult.demo import ACCOUNTS, DEMO_DOMAIN, DEMO_PASSWORD
from consult.extensions import db


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_has_every_role_an_open_and_a_closed_consultation(runner):
    result = runner.invoke(args=["demo", "--contributions", "600", "--delegates", "12"])
    assert result.exit_code == 0, result.output
    assert f"password “{DEMO_PASSWORD}”" in result.output

    for local, roles, *_ in ACCOUNTS:
        user = db.session.scalar(select(User).where(User.email == f"{local}@{DEMO_DOMAIN}"))
        assert user.check_password(DEMO_PASSWORD)
        assert {str(r) for r in roles} <= user.role_names
    held = set().union(*(u.role_names for u in db.session.scalars(select(User))))
    assert {str(r) for r in Role} <= held

    open_one, closed_one = db.session.scalars(select(Consultation).order_by(Consultation.id))
    assert open_one.status == "published" and closed_one.status == "published"
    kinds = {q.kind for q in open_one.questions}
    assert len(open_one.questions) >= 5 and {"open", "words", "single"} <= kinds
    assert count(Contribution, Contribution.consultation_id == closed_one.id) == 600
    spread = db.session.execute(
        select(
            func.count(func.distinct(Contribution.population_id)),
            func.count(func.distinct(Contribution.region_id)),
            func.count(func.distinct(Contribution.age_band)),
        ).where(Contribution.consultation_id == closed_one.id)
    ).one()
    assert spread[0] >= 3 and spread[1] >= 10 and spread[2] >= 4


def test_loading_the_demo_twice_adds_nothing(runner):
    runner.invoke(args=["demo", "--contributions", "200", "--delegates", "12"])
    before = (count(User), count(Consultation), count(Question), count(Contribution))
    result = runner.invoke(args=["demo", "--contributions", "200", "--delegates", "12"])
    assert result.exit_code == 0, result.output
    assert (count(User), count(Consultation), count(Question), count(Contribution)) == before


def _texts(value):
    """Every string inside a column's value (JSON columns hold lists and mappings)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def test_the_demonstration_is_written_in_french_typography(runner):
    """Curly apostrophes, non-breaking spaces before : ; ? ! and inside « », in every text the
    demonstration stores (titles, questions, contributions, minutes, stories, indicators...)."""
    from consult.core.typography import problems

    result = runner.invoke(args=["demo", "--contributions", "300", "--delegates", "12"])
    assert result.exit_code == 0, result.output
    wrong = set()
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if c.type.python_type in (str, dict, list)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                for text in _texts(value):
                    wrong.update(f"{table.name}.{column.name}: {p}" for p in problems(text))
    assert not wrong, "\n".join(sorted(wrong))
