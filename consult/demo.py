"""Demonstration data: every role, an open consultation, a closed one with thousands of answers."""

import importlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from consult.accounts import services as accounts
from consult.accounts.models import Population, Region, User, UserRole
from consult.accounts.rules import AGE_BANDS
from consult.consultations import services as consultations
from consult.consultations.models import (
    Consultation,
    Contribution,
    Question,
    Reaction,
    contribution_choice,
)
from consult.core.clock import utcnow
from consult.core.permissions import Role
from consult.extensions import db

DEMO_PASSWORD = "consult-demo"  # noqa: S105 - published in the README, demo only
DEMO_DOMAIN = "exemple.fr"
OPEN_TITLE = "Notre raison d’être : pourquoi existons-nous ?"
CLOSED_TITLE = "Baromètre 2026 : la mutuelle et vous"

POPULATIONS = [
    # code, plural name, feminine, masculine, neutral, internal
    ("member", "Adhérents", "Adhérente", "Adhérent", "Adhérent·e", False),
    ("employee", "Salariés", "Salariée", "Salarié", "Salarié·e", True),
    ("delegate", "Élus et délégués", "Élue", "Élu", "Élu·e", True),
    (
        "company",
        "Entreprises clientes",
        "Entreprise cliente",
        "Entreprise cliente",
        "Entreprise cliente",
        False,
    ),
    ("citizen", "Citoyens", "Citoyenne", "Citoyen", "Citoyen·ne", False),
]
REGIONS = [
    "Auvergne-Rhône-Alpes",
    "Bourgogne-Franche-Comté",
    "Bretagne",
    "Centre-Val de Loire",
    "Corse",
    "Grand-Est",
    "Hauts-de-France",
    "Île-de-France",
    "Normandie",
    "Nouvelle-Aquitaine",
    "Occitanie",
    "Pays de la Loire",
    "Provence-Alpes-Côte d’Azur",
    "Outre-mer",
]
#: email local part, roles, population code, gender form, age band, region
ACCOUNTS = [
    ("admin", (Role.ADMINISTRATOR,), None, "n", None, None),
    ("organisatrice", (Role.ORGANISER,), "employee", "f", "40-60", "Île-de-France"),
    ("moderateur", (Role.MODERATOR,), "employee", "m", "30-40", "Bretagne"),
    ("analyste", (Role.ANALYST,), "employee", "f", "30-40", "Pays de la Loire"),
    ("adherente", (Role.PARTICIPANT,), "member", "f", "40-60", "Occitanie"),
    ("salarie", (Role.PARTICIPANT,), "employee", "m", "30-40", "Grand-Est"),
    ("delegue", (Role.PARTICIPANT, Role.DELEGATE), "delegate", "m", "60-80", "Occitanie"),
    ("citoyenne", (Role.PARTICIPANT,), "citizen", "f", "20-30", "Normandie"),
    ("comite", (Role.COMMITTEE,), "delegate", "f", "60-80", "Bretagne"),
    ("auditeur", (Role.AUDITOR,), None, "n", None, None),
]
#: How each demonstration account is named on the pages (with its accents).
DISPLAY_NAMES = {
    "admin": "Administratrice",
    "organisatrice": "Organisatrice",
    "moderateur": "Modérateur",
    "analyste": "Analyste",
    "adherente": "Adhérente",
    "salarie": "Salarié",
    "delegue": "Délégué",
    "citoyenne": "Citoyenne",
    "comite": "Comité de mission",
    "auditeur": "Auditeur",
}

OPENINGS = [
    "Pour moi,",
    "Je pense que",
    "Selon moi,",
    "À mon avis,",
    "Avant tout,",
    "Sincèrement,",
    "Depuis des années,",
    "Comme adhérent,",
    "Au quotidien,",
    "Dans ma région,",
]
SUBJECTS = [
    "la mutuelle",
    "notre mutuelle",
    "une mutuelle solidaire",
    "l’entraide entre adhérents",
    "la prévention",
    "l’accès aux soins",
    "le conseil d’administration",
    "les élus",
    "la protection sociale",
    "notre modèle non lucratif",
]
VERBS = [
    "doit protéger",
    "existe pour accompagner",
    "devrait soutenir",
    "permet d’aider",
    "a le devoir de défendre",
    "doit rester proche de",
    "sert à rassurer",
    "doit écouter",
]
OBJECTS = [
    "les personnes fragiles",
    "chaque adhérent à chaque étape de la vie",
    "les aidants",
    "les jeunes qui entrent dans la vie active",
    "les retraités isolés",
    "les territoires ruraux",
    "les familles",
    "les salariés des petites entreprises",
    "les personnes en situation de handicap",
    "celles et ceux qui renoncent aux soins",
]
ENDINGS = [
    "sans chercher le profit.",
    "avec des cotisations justes.",
    "en agissant sur la prévention.",
    "en respectant l’environnement.",
    "grâce à la solidarité entre générations.",
    "en restant à l’écoute.",
    "avec des délais de remboursement rapides.",
    "en luttant contre les déserts médicaux.",
    "en donnant la parole à ses adhérents.",
    "en investissant localement.",
]
HEALTH_WORDS = [
    "bien-être",
    "liberté",
    "équilibre",
    "prévention",
    "solidarité",
    "sérénité",
    "vie",
    "famille",
    "sport",
    "bonheur",
    "soins",
    "alimentation",
    "sommeil",
    "autonomie",
    "confiance",
    "énergie",
    "écoute",
    "harmonie",
    "mouvement",
    "sécurité",
    "Santé",
    "santés",
    "Prévention",
    "épanouissement",
]


def _sentence(rng: random.Random) -> str:
    """One plausible French sentence of a contribution."""
    return " ".join(
        [
            rng.choice(OPENINGS),
            rng.choice(SUBJECTS),
            rng.choice(VERBS),
            rng.choice(OBJECTS),
            rng.choice(ENDINGS),
        ]
    )


def _open_text(rng: random.Random) -> str:
    """A generated open answer of one or two short paragraphs, as stored (sanitised HTML)."""
    paragraphs = [
        " ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))
        for _ in range(rng.choice((1, 1, 1, 2)))
    ]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _reference_data() -> tuple[dict[str, Population], dict[str, Region]]:
    """Create the populations and regions if they are missing."""
    populations = {p.code: p for p in db.session.scalars(select(Population))}
    for position, (code, name, fem, masc, neutral, internal) in enumerate(POPULATIONS):
        if code not in populations:
            populations[code] = Population(
                code=code,
                name=name,
                label_feminine=fem,
                label_masculine=masc,
                label_neutral=neutral,
                internal=internal,
                position=position,
            )
            db.session.add(populations[code])
    regions = {r.name: r for r in db.session.scalars(select(Region))}
    for position, name in enumerate(REGIONS):
        if name not in regions:
            regions[name] = Region(name=name, position=position)
            db.session.add(regions[name])
    db.session.flush()
    return populations, regions


def _reset() -> None:
    """Empty every table (demo only)."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.flush()


def load_demo(
    *,
    reset: bool = False,
    contributions: int = 4000,
    delegates: int | None = None,
    only_if_demo: bool = False,
) -> list[str]:
    """Load every area's demonstration; returns lines describing what was created.

    Each piece is created only when it is missing, so loading twice adds nothing, and a
    demonstration database made by an older version gets the areas added since. With
    ``only_if_demo``, a database that holds other people's data is left alone.
    """
    if only_if_demo and not _empty_or_demo():
        return ["The database holds data other than the demonstration: nothing loaded."]
    if reset:
        _reset()
    now = utcnow().replace(second=0, microsecond=0)
    rng = random.Random(2026)
    populations, regions = _reference_data()

    people = {}
    for local, roles, population, gender, age, region in ACCOUNTS:
        email = f"{local}@{DEMO_DOMAIN}"
        user = accounts.find_user_by_email(email)
        if user is None:
            user = accounts.create_user(
                email,
                now=now,
                roles=roles,
                display_name=DISPLAY_NAMES.get(local, local.title()),
                population=populations.get(population),
                gender_form=gender,
                age_band=age,
                region=regions.get(region),
            )
            # Published in the README, so not a password a person could choose: set as it is.
            user.set_password(DEMO_PASSWORD)
            if population:
                user.profile_consented_at = now
        people[local] = user
    organiser = people["organisatrice"]

    open_one = _open_consultation(organiser, populations, now)
    closed_one = _closed_consultation(organiser, populations, now)
    created = _generate_answers(
        rng, closed_one, populations, regions, contributions, now, prefix="barometre"
    )
    created_open = _generate_answers(
        rng, open_one, populations, regions, 150, now, prefix="raison", days_back=2
    )
    _generate_reactions(rng, open_one, now)
    db.session.commit()
    lines = [
        f"Open consultation: {open_one.title} ({len(open_one.questions)} questions, "
        f"{created_open} sample contributions)",
        f"Closed consultation: {closed_one.title} ({created} contributions)",
    ]
    context = DemoContext(
        people=people,
        populations=populations,
        regions=regions,
        now=now,
        rng=rng,
        open_consultation=open_one,
        closed_consultation=closed_one,
        delegates=delegates,
    )
    for load_area in _area_loaders():
        lines += load_area(context)
        db.session.commit()
    lines.append(f"Demo accounts (password “{DEMO_PASSWORD}”):")
    lines += [f"  {u.email}: {', '.join(sorted(u.role_names))}" for u in people.values()]
    return lines


@dataclass
class DemoContext:
    """What the core demonstration created, handed to each area's own demonstration loader."""

    people: dict[str, User]
    populations: dict[str, Population]
    regions: dict[str, Region]
    now: datetime
    rng: random.Random
    open_consultation: Consultation
    closed_consultation: Consultation
    #: Size of the assemblies' roll (None: each area's own default).
    delegates: int | None = None


def _empty_or_demo() -> bool:
    """Whether the database is empty or holds the demonstration (its administrator account)."""
    if not db.session.scalar(select(func.count()).select_from(User)):
        return True
    return accounts.find_user_by_email(f"admin@{DEMO_DOMAIN}") is not None


def _area_loaders():
    """Each area may add its demonstration in `consult/<area>/demo.py` as `load_demo(context)`.

    The loader returns lines describing what it created, and must do nothing when its data is
    already there (the demonstration can be loaded twice).
    """
    from consult import AREAS

    for area in AREAS:
        try:
            module = importlib.import_module(f"consult.{area}.demo")
        except ModuleNotFoundError as error:
            if error.name != f"consult.{area}.demo":
                raise
            continue
        yield module.load_demo


def _add_questions(actor, consultation, now, spec):
    """Create themes and questions from a compact specification."""
    for theme_title, questions in spec:
        theme = consultations.save_theme(
            actor, consultation, None, title=theme_title, description="", now=now
        )
        for kind, prompt, help_text, choices in questions:
            consultations.save_question(
                actor,
                consultation,
                None,
                kind=kind,
                prompt=prompt,
                help_text=help_text,
                theme_id=theme.id,
                max_words=3,
                choices=choices,
                now=now,
            )


def _open_consultation(actor, populations, now) -> Consultation:
    """The consultation that is open now, with every kind of question."""
    existing = db.session.scalar(select(Consultation).where(Consultation.title == OPEN_TITLE))
    if existing is not None:
        return existing
    consultation = consultations.save_consultation(
        actor,
        None,
        title=OPEN_TITLE,
        introduction=(
            "<p>Notre mutuelle écrit sa <strong>raison d’être</strong> et les engagements qui "
            "l’accompagneront dans ses statuts. Avant que l’assemblée générale ne vote, nous "
            "voulons vous entendre.</p><p>Répondez aux questions de votre choix ; vous pouvez "
            "revenir et modifier vos réponses jusqu’à la clôture.</p>"
        ),
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=32),
        eligible={
            populations["member"].id: 12000,
            populations["employee"].id: 3500,
            populations["delegate"].id: 304,
            populations["citizen"].id: 200,
        },
        now=now - timedelta(days=3),
    )
    _add_questions(
        actor,
        consultation,
        now,
        [
            (
                "Notre raison d’être",
                [
                    (
                        "open",
                        "Selon vous, pourquoi notre mutuelle existe-t-elle ?",
                        "Dites-le avec vos mots : il n’y a pas de bonne ou de mauvaise réponse.",
                        [],
                    ),
                    ("words", "En un à trois mots, que signifie « la santé » pour vous ?", "", []),
                    (
                        "open",
                        "Qu’est-ce qui vous rendrait fier·e d’appartenir à cette mutuelle ?",
                        "",
                        [],
                    ),
                ],
            ),
            (
                "Nos engagements",
                [
                    (
                        "open",
                        "Quels engagements sociaux et environnementaux attendez-vous de nous ?",
                        "Pensez à votre quotidien, à votre région, aux générations futures.",
                        [],
                    ),
                    (
                        "single",
                        "Depuis combien de temps êtes-vous lié·e à la mutuelle ?",
                        "",
                        ["Moins de 2 ans", "De 2 à 10 ans", "Plus de 10 ans"],
                    ),
                    (
                        "multiple",
                        "Sur quels sujets souhaitez-vous être consulté·e à l’avenir ?",
                        "",
                        [
                            "Prévention",
                            "Cotisations",
                            "Environnement",
                            "Action sociale",
                            "Services",
                        ],
                    ),
                ],
            ),
        ],
    )
    consultations.publish(actor, consultation, now=now - timedelta(days=3))
    return consultation


def _closed_consultation(actor, populations, now) -> Consultation:
    """Last year's consultation, closed, with thousands of generated contributions."""
    existing = db.session.scalar(select(Consultation).where(Consultation.title == CLOSED_TITLE))
    if existing is not None:
        return existing
    consultation = consultations.save_consultation(
        actor,
        None,
        title=CLOSED_TITLE,
        introduction="<p>Cinq semaines pour dire ce que la mutuelle représente pour vous.</p>",
        opens_at=now - timedelta(days=80),
        closes_at=now - timedelta(days=45),
        eligible={
            populations["member"].id: 12000,
            populations["employee"].id: 3500,
            populations["delegate"].id: 304,
        },
        now=now - timedelta(days=80),
    )
    _add_questions(
        actor,
        consultation,
        now,
        [
            (
                "La mutuelle et vous",
                [
                    ("open", "Que représente la mutuelle pour vous aujourd’hui ?", "", []),
                    ("words", "En un à trois mots, que signifie « la santé » pour vous ?", "", []),
                    (
                        "open",
                        "Que devrait-elle faire de plus pour les personnes fragiles ?",
                        "",
                        [],
                    ),
                    ("open", "Comment la mutuelle peut-elle agir pour l’environnement ?", "", []),
                    (
                        "single",
                        "Recommanderiez-vous la mutuelle à un proche ?",
                        "",
                        ["Oui", "Non", "Je ne sais pas"],
                    ),
                ],
            ),
        ],
    )
    consultations.publish(actor, consultation, now=now - timedelta(days=80))
    return consultation


def _generate_answers(
    rng, consultation, populations, regions, target, now, *, prefix, days_back=None
) -> int:
    """Bulk-create participants (without passwords) and their answers, spread over profiles."""
    existing = db.session.scalar(
        select(func.count())
        .select_from(Contribution)
        .where(Contribution.consultation_id == consultation.id)
    )
    if existing:
        return existing
    questions = list(consultation.questions)
    invited = [p for p in populations.values() if p.id in consultation.population_ids]
    weights = [
        {"member": 70, "employee": 20, "delegate": 6, "citizen": 4}.get(p.code, 1) for p in invited
    ]
    region_list = list(regions.values())
    per_person = max(1, min(len(questions), 4))
    people_needed = target // per_person + 1
    start = consultation.opens_at
    span = ((now - start) if days_back else (consultation.closes_at - start)).total_seconds()
    user_rows = []
    for index in range(people_needed):
        population = rng.choices(invited, weights)[0]
        user_rows.append(
            {
                "email": f"{prefix}{index:05d}@participants.{DEMO_DOMAIN}",
                "display_name": "",
                "population_id": population.id,
                "gender_form": rng.choice("ffmmn"),
                "age_band": rng.choice(AGE_BANDS[1:]),
                "region_id": rng.choice(region_list).id,
                "profile_consented_at": start,
                "active": True,
                "created_at": start,
            }
        )
    db.session.execute(insert(User), user_rows)
    users = db.session.execute(
        select(User.id, User.population_id, User.gender_form, User.age_band, User.region_id).where(
            User.email.like(f"{prefix}%@participants.{DEMO_DOMAIN}")
        )
    ).all()
    delegates = {p.id for p in invited if p.code == "delegate"}
    db.session.execute(
        insert(UserRole),
        [{"user_id": u.id, "role": Role.PARTICIPANT.value} for u in users]
        + [
            {"user_id": u.id, "role": Role.DELEGATE.value}
            for u in users
            if u.population_id in delegates
        ],
    )
    choices = {q.id: [c.id for c in q.choices] for q in questions}
    rows, picks = [], []
    for user in users:
        for question in rng.sample(questions, per_person):
            if len(rows) >= target:
                break
            moment = start + timedelta(seconds=rng.random() ** 1.6 * span)
            state = rng.choices(("published", "pending", "rejected"), (92, 6, 2))[0]
            if question.kind == "open":
                body = _open_text(rng)
            elif question.kind == "words":
                body = ", ".join(rng.sample(HEALTH_WORDS, rng.randint(1, 3)))
            else:
                body, state = "", "published"
            rows.append(
                {
                    "consultation_id": consultation.id,
                    "question_id": question.id,
                    "author_id": user.id,
                    "body": body,
                    "state": state,
                    "created_at": moment,
                    "updated_at": moment,
                    "published_at": moment if state == "published" else None,
                    "population_id": user.population_id,
                    "gender_form": user.gender_form,
                    "age_band": user.age_band,
                    "region_id": user.region_id,
                }
            )
            if choices[question.id]:
                picks.append((len(rows) - 1, question))
    db.session.execute(insert(Contribution), rows)
    ids = {
        (author, question): cid
        for author, question, cid in db.session.execute(
            select(Contribution.author_id, Contribution.question_id, Contribution.id).where(
                Contribution.consultation_id == consultation.id
            )
        )
    }
    links = []
    for index, question in picks:
        row = rows[index]
        contribution_id = ids[(row["author_id"], row["question_id"])]
        count = 1 if question.kind == "single" else rng.randint(1, 3)
        for choice_id in rng.sample(choices[question.id], count):
            links.append({"contribution_id": contribution_id, "choice_id": choice_id})
    if links:
        db.session.execute(insert(contribution_choice), links)
    return len(rows)


def _generate_reactions(rng, consultation, now) -> None:
    """A few agree/disagree reactions on the open consultation's published answers (once)."""
    already = db.session.scalar(
        select(func.count())
        .select_from(Reaction)
        .join(Contribution, Contribution.id == Reaction.contribution_id)
        .where(Contribution.consultation_id == consultation.id)
    )
    if already:
        return
    published = db.session.execute(
        select(Contribution.id, Contribution.author_id)
        .join(Question, Question.id == Contribution.question_id)
        .where(
            Contribution.consultation_id == consultation.id,
            Contribution.state == "published",
            Question.kind.in_(("open", "words")),
        )
    ).all()
    authors = sorted({a for _, a in published})
    rows, seen = [], set()
    for contribution_id, author_id in published:
        for reader in rng.sample(authors, min(len(authors), rng.randint(0, 6))):
            if reader != author_id and (contribution_id, reader) not in seen:
                seen.add((contribution_id, reader))
                rows.append(
                    {
                        "contribution_id": contribution_id,
                        "user_id": reader,
                        "value": rng.choice((1, 1, 1, -1)),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    if rows:
        db.session.execute(insert(Reaction), rows)
