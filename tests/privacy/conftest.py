"""A person with a bit of everything: answers in every state, reactions, a flag, a quote, a
panel application; and other people around them."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from consult.analysis import services as analysis
from consult.consultations.models import ContributionRevision, Reaction
from consult.extensions import db
from consult.moderation.models import Flag
from consult.panels.models import PanelProject, PanelVolunteer


@dataclass
class Person:
    """What the fixture built."""

    user: object
    consultation: object
    questions: list
    published: object
    pending: object
    rejected: object
    withdrawn: object
    others: list
    finding: object
    volunteer: object
    project: object


@pytest.fixture
def person(make_user, make_consultation, make_contribution, now):
    """Camille answered four questions (published, pending, rejected, withdrawn) among others."""
    consultation = make_consultation(
        title="Baromètre",
        populations_invited=("member", "employee"),
        questions=[
            ("open", "Qu'attendez-vous de votre mutuelle ?"),
            ("words", "En trois mots ?"),
            ("open", "Et la prévention ?"),
            ("open", "Autre chose ?"),
        ],
    )
    q = list(consultation.questions)
    user = make_user(email="camille@example.org", region="Bretagne", age_band="30-40")
    published = make_contribution(q[0], user, body="<p>La solidarité et la prévention.</p>")
    words = make_contribution(q[1], user, body="solidarité, santé, écoute", state="pending")
    rejected = make_contribution(
        q[2], user, body="<p>Appelez-moi au 06 12 34 56 78</p>", state="rejected"
    )
    withdrawn = make_contribution(q[3], user, body="<p>Finalement rien.</p>")
    withdrawn.withdrawn_at = now
    published.revisions.append(
        ContributionRevision(body="<p>Première version</p>", replaced_at=now, reason="edit")
    )
    others = []
    for i in range(4):
        other = make_user(population="employee" if i % 2 else "member", gender_form="m")
        others.append(make_contribution(q[0], other, body=f"<p>La santé pour tous {i}</p>"))
        make_contribution(q[1], other, body="santé, prix")
    db.session.add(
        Reaction(
            contribution_id=others[0].id, user_id=user.id, value=1, created_at=now, updated_at=now
        )
    )
    db.session.add(
        Flag(contribution_id=others[1].id, user_id=user.id, reason_code="off_topic", created_at=now)
    )
    finding = analysis.save_finding(
        None,
        consultation,
        None,
        title="La solidarité d'abord",
        text="<p>Texte</p>",
        topic_ids=[],
        now=now,
    )
    analysis.add_quote(None, finding, published, max_length=None, now=now)
    project = PanelProject(
        title="Panel citoyen", status="drawn", created_at=now - timedelta(days=9)
    )
    db.session.add(project)
    db.session.flush()
    volunteer = PanelVolunteer(
        project_id=project.id,
        key="V-CAMILLE",
        first_name="Camille",
        last_name="Martin",
        email="camille@example.org",
        birth_year=1990,
        postcode="29200",
        consent_contact_at=now,
        consent_profile_at=now,
        source="form",
        created_at=now,
    )
    db.session.add(volunteer)
    db.session.commit()
    return Person(
        user,
        consultation,
        q,
        published,
        words,
        rejected,
        withdrawn,
        others,
        finding,
        volunteer,
        project,
    )
