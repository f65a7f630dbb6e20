"""Meetings part of the demonstration: past meetings with attendance and minutes, upcoming ones
with seats, a waiting list and a registration form."""

from datetime import timedelta

from sqlalchemy import select

from consult.accounts.models import User
from consult.extensions import db
from consult.meetings import channel, minutes, registration, services
from consult.meetings.models import Meeting, MeetingPopulation, Registration

AGORA = "Agora de Toulouse — notre raison d’être"
SAID = (
    "Une mutuelle doit d’abord être proche des gens, dans chaque territoire.",
    "La prévention, c’est ce qui manque le plus aux jeunes adhérents.",
    "Je voudrais que les délégués rendent compte de ce qu’ils votent.",
    "Le remboursement rapide, c’est la confiance.",
)


def _meeting(context, title, *, kind, format, starts_in, hours, capacity, region, invited, **extra):
    """A published meeting created directly (past ones cannot be created through the form)."""
    now = context.now.replace(second=0, microsecond=0)
    meeting = Meeting(
        title=title,
        kind=kind,
        format=format,
        status="published",
        place=extra.pop("place", ""),
        online_url=extra.pop("online_url", ""),
        region_id=context.regions[region].id if region else None,
        starts_at=now + starts_in,
        ends_at=now + starts_in + timedelta(hours=hours),
        capacity=capacity,
        created_at=now + starts_in - timedelta(days=30),
        created_by_id=context.people["organisatrice"].id,
        **extra,
    )
    meeting.populations = [MeetingPopulation(population=context.populations[c]) for c in invited]
    db.session.add(meeting)
    db.session.flush()
    return meeting


def _people(context, code, count):
    """Demonstration participants of a population (generated ones, then the named accounts)."""
    population = context.populations[code]
    return list(
        db.session.scalars(
            select(User)
            .where(User.population_id == population.id, User.active.is_(True))
            .order_by(User.id)
            .limit(count)
        )
    )


def _register_all(people, meeting, when):
    """Register people as they would have, a while before the meeting."""
    for person in people:
        if registration.registration_of(person, meeting) is None:
            registration.register(person, meeting, answers={}, now=when)


def load_demo(context) -> list[str]:
    """Two past meetings (attendance, minutes, contributions) and three upcoming ones."""
    if db.session.scalar(select(Meeting.id).where(Meeting.title == AGORA)):
        return []
    organiser, rng = context.people["organisatrice"], context.rng

    # A past agora, attached to the open consultation: attendance, public minutes, contributions.
    agora = _meeting(
        context,
        AGORA,
        kind="agora",
        format="in_person",
        starts_in=timedelta(days=-6, hours=-3),
        hours=2,
        capacity=40,
        region="Occitanie",
        invited=("member", "delegate", "citizen"),
        place="Maison de la mutualité, 12 rue des Lois, Toulouse",
        agenda="<p>Pourquoi notre mutuelle existe-t-elle ? Échanges en petits groupes, puis"
        " restitution.</p>",
        consultation_id=context.open_consultation.id,
    )
    before = agora.starts_at - timedelta(days=5)
    members = _people(context, "member", 30) + _people(context, "delegate", 6)
    _register_all(members, agora, before)
    present = {r.id for r in registration.registrants(agora) if rng.random() < 0.8}
    registration.record_attendance(organiser, agora, present, now=agora.starts_at)
    for index, text in enumerate(SAID):
        attendee = registration.registrants(agora)[index * 3]
        channel.record_contribution(
            organiser,
            agora,
            question_id=context.open_consultation.questions[0].id,
            text=text,
            registration_id=attendee.id,
            population_id=None,
            gender_form="n",
            age_band=None,
            region_id=None,
            now=agora.ends_at + timedelta(hours=2),
        )
    after = agora.ends_at + timedelta(days=1)
    minutes.save_minutes(
        organiser,
        agora,
        body="<p>36 personnes inscrites ; trois tables de discussion.</p><ul><li>La proximité"
        " avec les adhérents revient à chaque table.</li><li>Les jeunes adhérents demandent plus"
        " de prévention.</li><li>Les délégués sont invités à rendre compte de leurs votes.</li>"
        "</ul>",
        visibility="public",
        now=after,
    )
    minutes.move_minutes(organiser, agora, "approve", now=after)
    minutes.move_minutes(organiser, agora, "publish", now=after)

    # A past internal meeting, online and in person, with private minutes awaiting approval.
    monthly = _meeting(
        context,
        "Rendez-vous mensuel des salariés — novembre",
        kind="internal",
        format="hybrid",
        starts_in=timedelta(days=-20),
        hours=1,
        capacity=150,
        region="Île-de-France",
        invited=("employee",),
        place="Siège, salle Ambroise-Croizat, Paris",
        online_url="https://visio.exemple.fr/rdv-salaries",
        agenda="<p>Point d’étape sur la consultation et la raison d’être.</p>",
    )
    _register_all(_people(context, "employee", 60), monthly, monthly.starts_at - timedelta(days=7))
    present = {r.id for r in registration.registrants(monthly) if rng.random() < 0.7}
    registration.record_attendance(organiser, monthly, present, now=monthly.starts_at)
    minutes.save_minutes(
        organiser,
        monthly,
        body="<p>Présentation des premiers résultats de la consultation ; questions de la"
        " salle sur le calendrier de l’assemblée générale.</p>",
        visibility="private",
        now=monthly.ends_at,
    )

    # Upcoming: a full agora with a waiting list and a registration form, an online meeting.
    nantes = _meeting(
        context,
        "Agora de Nantes — la santé en 2040",
        kind="agora",
        format="in_person",
        starts_in=timedelta(days=9),
        hours=2,
        capacity=12,
        region="Pays de la Loire",
        invited=("member", "citizen"),
        place="Salle Paul-Fort, 9 rue Basse-Porte, Nantes",
        agenda="<p>Imaginer ensemble la santé en 2040.</p>",
    )
    services.save_question(
        organiser,
        nantes,
        kind="single",
        prompt="Resterez-vous pour le repas partagé ?",
        max_words=3,
        choices=["Oui", "Non"],
        now=context.now,
    )
    for person in _people(context, "member", 14) + [context.people["adherente"]]:
        if registration.registration_of(person, nantes) is None:
            registration.register(
                person, nantes, answers={nantes.questions[0].id: "0"}, now=context.now
            )
    online = _meeting(
        context,
        "Rendez-vous en ligne des délégués",
        kind="internal",
        format="online",
        starts_in=timedelta(days=3),
        hours=1,
        capacity=None,
        region=None,
        invited=("delegate",),
        online_url="https://visio.exemple.fr/delegues",
        agenda="<p>Préparation de l’assemblée générale.</p>",
    )
    _register_all([context.people["delegue"]], online, context.now)
    _meeting(
        context,
        "Forum des adhérents de Bretagne",
        kind="agora",
        format="hybrid",
        starts_in=timedelta(days=21),
        hours=3,
        capacity=80,
        region="Bretagne",
        invited=("member",),
        place="Les Champs Libres, Rennes",
        online_url="https://visio.exemple.fr/forum-bretagne",
        registration_opens_at=context.now.replace(second=0, microsecond=0) + timedelta(days=7),
    )
    db.session.flush()
    waiting = db.session.scalar(
        select(db.func.count())
        .select_from(Registration)
        .where(Registration.meeting_id == nantes.id, Registration.status == "waiting")
    )
    return [
        f"Meetings: 2 past (attendance, minutes, 4 contributions), 3 upcoming ({waiting} waiting)"
    ]
