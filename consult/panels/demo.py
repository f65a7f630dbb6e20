"""Panels part of the demonstration: a call for volunteers with 6 panels of 12 and its pool."""

from sqlalchemy import select

from consult.extensions import db
from consult.panels import services
from consult.panels.models import PanelProject, PanelVolunteer, VolunteerValue

TITLE = "Panels citoyens — Notre raison d’être"
FEATURES = (
    (
        "Genre",
        "femme = Une femme\nhomme = Un homme",
        (0.55, 0.45),
        {"femme": (5, 7), "homme": (5, 7)},
    ),
    (
        "Âge",
        "20-30 = 20-30 ans\n30-40 = 30-40 ans\n40-60 = 40-60 ans\n60-80 = 60-80 ans",
        (0.15, 0.2, 0.4, 0.25),
        {"20-30": (2, 3), "30-40": (2, 4), "40-60": (3, 5), "60-80": (2, 4)},
    ),
    (
        "Activité",
        "emploi = En emploi\nrecherche = En recherche d’emploi\nretraite = Retraité·e\n"
        "etudes = En études",
        (0.5, 0.1, 0.3, 0.1),
        {"emploi": (4, 7), "recherche": (1, 2), "retraite": (2, 4), "etudes": (1, 2)},
    ),
)
PANELS = ("Nantes", "Rennes", "Lyon", "Toulouse", "Lille", "Clermont-Ferrand")
FIRST_NAMES = ("Camille", "Dominique", "Claude", "Alix", "Sacha", "Maxime", "Andrea", "Lou")
LAST_NAMES = ("Martin", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent")


def load_demo(context) -> list[str]:
    """A recruiting project with features, six panels with quotas and 300 volunteers."""
    if db.session.scalar(select(PanelProject.id).where(PanelProject.title == TITLE)):
        return []
    organiser, now, rng = context.people.get("organisatrice"), context.now, context.rng
    project = services.save_project(
        organiser,
        None,
        title=TITLE,
        description="<p>Six groupes de 12 citoyennes et citoyens non adhérents, tirés au sort, "
        "se réunissent dans leur région pour dire ce qu’ils attendent d’une mutuelle.</p>",
        method="leximin",
        consultation_id=context.open_consultation.id,
        now=now,
    )
    features = [
        services.add_feature(organiser, project, label=label, values_text=values, now=now)
        for label, values, _, _ in FEATURES
    ]
    for name in PANELS:
        services.add_panel(
            organiser, project, name=name, size=12, place=f"{name}, avec une association", now=now
        )
    bounds = {
        value.id: spec[3][value.code]
        for feature, spec in zip(features, FEATURES, strict=True)
        for value in feature.values
    }
    services.set_quotas(organiser, project.panels[0], bounds, apply_to_all=True, now=now)
    for i in range(300):
        person = PanelVolunteer(
            project_id=project.id,
            key=f"V-D{i:04d}",
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            email=f"volontaire{i}@exemple.fr",
            birth_year=rng.randint(1945, 2004),
            postcode=f"{rng.choice((44, 35, 69, 31, 59, 63))}{rng.randint(0, 999):03d}",
            is_member=rng.random() < 0.05,
            consent_contact_at=now,
            consent_profile_at=now,
            source="form",
            created_at=now,
        )
        person.values = [
            VolunteerValue(
                feature_id=feature.id,
                value_id=rng.choices(feature.values, weights=spec[2])[0].id,
            )
            for feature, spec in zip(features, FEATURES, strict=True)
        ]
        db.session.add(person)
    db.session.flush()
    return [f"Panels: « {TITLE} », 6 panels of 12, 300 volunteers (recruiting)."]
