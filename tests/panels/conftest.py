"""Factories of the panels area: a project with features and panels, and volunteers."""

import pytest

from consult.extensions import db
from consult.panels import services
from consult.panels.models import PanelVolunteer, VolunteerValue

#: the columns of a volunteers' file, in the order the tests write them
VOLUNTEER_COLUMNS = [
    "first_name",
    "last_name",
    "email",
    "birth_year",
    "postcode",
    "member",
    "genre",
    "age",
]
GENDERS = "gender = Gender\nwoman = Une femme\nman = Un homme"


@pytest.fixture
def organiser(make_user):
    """An organiser account."""
    return make_user(email="orga@example.org", roles=("organiser",))


@pytest.fixture
def make_project(app, organiser, now):
    """Factory: a project with gender and age features and panels (committed to the database)."""

    def make(panels=(("Nantes", 4), ("Brest", 4)), quotas=None, title="Raison d'être"):
        project = services.save_project(
            organiser,
            None,
            title=title,
            description="<p>Six groupes de citoyens</p>",
            method="leximin",
            consultation_id=None,
            now=now,
        )
        services.add_feature(
            organiser,
            project,
            label="Genre",
            values_text="woman = Une femme\nman = Un homme",
            now=now,
        )
        services.add_feature(
            organiser,
            project,
            label="Âge",
            values_text="young = 20-40 ans\nold = 40-80 ans",
            now=now,
        )
        for name, size in panels:
            services.add_panel(organiser, project, name=name, size=size, place="", now=now)
        if quotas is not None:
            values = {v.code: v.id for f in project.features for v in f.values}
            services.set_quotas(
                organiser,
                project.panels[0],
                {values[code]: bounds for code, bounds in quotas.items()},
                apply_to_all=True,
                now=now,
            )
        db.session.commit()
        return project

    return make


@pytest.fixture
def add_volunteers(app, now):
    """Factory: volunteers with given (gender, age) profiles, straight into the database."""

    def add(project, profiles, member=False, start=0):
        features = {f.code: {v.code: v for v in f.values} for f in project.features}
        people = []
        for i, (gender, age) in enumerate(profiles, start=start):
            person = PanelVolunteer(
                project_id=project.id,
                key=f"V-{i:05d}",
                first_name=f"Prénom{i}",
                last_name=f"Nom{i}",
                email=f"v{i}@example.org",
                birth_year=1980,
                postcode="44000",
                is_member=member,
                consent_contact_at=now,
                consent_profile_at=now,
                source="form",
                created_at=now,
            )
            person.values = [
                VolunteerValue(
                    feature_id=features["genre"][gender].feature_id,
                    value_id=features["genre"][gender].id,
                ),
                VolunteerValue(
                    feature_id=features["age"][age].feature_id, value_id=features["age"][age].id
                ),
            ]
            db.session.add(person)
            people.append(person)
        db.session.commit()
        return people

    return add
