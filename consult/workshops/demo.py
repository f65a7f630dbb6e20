"""Workshops part of the demonstration: a finished Bright Mirror workshop with several stories,
comments and ideas under three headings."""

from datetime import timedelta

from sqlalchemy import select

from consult.extensions import db
from consult.workshops import services
from consult.workshops.models import Workshop

TITLE = "Bright Mirror — la santé en 2040"
STORIES = (
    (
        "Le quartier qui soigne",
        "En 2040, Lucie ouvre sa porte au médecin du quartier, qui passe chaque mardi.\n\n"
        "La mutuelle a financé avec la commune la rénovation de la maison de santé.\n\n"
        "Le soir, les voisins partagent un repas : personne ne reste seul.",
    ),
    (
        "Prévenir plutôt que guérir",
        "Samir a 25 ans et reçoit chaque année un bilan de prévention offert.\n\n"
        "Son entreprise et la mutuelle organisent ensemble des ateliers sur le sommeil.",
    ),
    (
        "Les aidants ne sont plus seuls",
        "Martine s’occupe de sa mère depuis dix ans.\n\n"
        "Un réseau d’aidants, soutenu par la mutuelle, lui offre une semaine de répit par"
        " trimestre.",
    ),
)
HEADINGS = (
    ("Le soin près de chez soi", ("Des maisons de santé financées avec les communes",)),
    ("La prévention à tout âge", ("Un bilan de prévention annuel offert",)),
    ("La solidarité entre générations", ("Un droit au répit pour les aidants",)),
)


def load_demo(context) -> list[str]:
    """One published workshop: three groups, three stories in versions, comments, ideas."""
    if db.session.scalar(select(Workshop.id).where(Workshop.title == TITLE)):
        return []
    organiser = context.people["organisatrice"]
    start = context.now - timedelta(days=40)
    question = next(q for q in context.open_consultation.questions if q.kind == "open")
    workshop = services.create_workshop(
        organiser,
        title=TITLE,
        brief="Imaginez une journée ordinaire en 2040 où notre mutuelle a tenu sa raison d’être.",
        horizon="la santé en 2040",
        question_id=question.id,
        now=start,
    )
    people = [context.people[k] for k in ("adherente", "salarie", "delegue", "citoyenne")]
    groups = []
    for index in range(len(STORIES)):
        group = services.add_group(organiser, workshop, name=f"Groupe {index + 1}", now=start)
        member = people[index]
        services.add_member(organiser, group, email=member.email, now=start)
        groups.append((group, member))
    services.add_member(organiser, groups[0][0], email=people[3].email, now=start)
    services.set_phase(organiser, workshop, "write", now=start)
    for (group, member), (title, text) in zip(groups, STORIES, strict=True):
        first_draft = text.split("\n\n")[0]
        services.save_story(
            member,
            group.story,
            title=title,
            body=first_draft,
            base_version=0,
            now=start + timedelta(days=2),
        )
        services.save_story(
            member,
            group.story,
            title=title,
            body=text,
            base_version=1,
            note="suite du récit",
            now=start + timedelta(days=5),
        )
    services.set_phase(organiser, workshop, "comment", now=start + timedelta(days=10))
    first_story = groups[0][0].story
    services.comment(
        people[1],
        first_story,
        paragraph=1,
        text="Qui décide de ces travaux ?",
        sentiment="worry",
        now=start + timedelta(days=11),
    )
    services.comment(
        people[2],
        first_story,
        paragraph=2,
        text="",
        sentiment="like",
        now=start + timedelta(days=11),
    )
    services.comment(
        people[0],
        groups[1][0].story,
        paragraph=1,
        text="Et pour les indépendants ?",
        sentiment="idea",
        now=start + timedelta(days=12),
    )
    services.set_phase(organiser, workshop, "finalise", now=start + timedelta(days=15))
    services.save_story(
        people[0],
        first_story,
        title=STORIES[0][0],
        body=STORIES[0][1].replace(
            "avec la commune", "avec la commune, après un vote des habitants,"
        ),
        base_version=2,
        note="on précise qui décide",
        now=start + timedelta(days=16),
    )
    services.set_phase(organiser, workshop, "published", now=start + timedelta(days=20))
    for heading_title, ideas in HEADINGS:
        heading = services.add_heading(organiser, workshop, title=heading_title, now=context.now)
        for idea in ideas:
            services.add_idea(organiser, heading, text=idea, story_id=None, now=context.now)
    db.session.flush()
    return [f"Workshops: “{TITLE}” published, {len(STORIES)} stories, ideas under 3 headings"]
