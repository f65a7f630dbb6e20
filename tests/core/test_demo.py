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
