"""A small analysed consultation: three populations, an open and a few-words question."""

import random
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

THEMES = {
    "santé": ["les soins dentaires", "l'hôpital", "les médecins", "la prévention", "la santé"],
    "prix": ["les cotisations", "le tarif", "trop cher", "le remboursement", "les prix"],
    "climat": ["la planète", "le climat", "l'écologie", "le carbone", "les déchets"],
}


@dataclass
class Scenario:
    """What the fixture built, for the tests to look at."""

    consultation: object
    open_question: object
    words_question: object
    members: list = field(default_factory=list)
    employees: list = field(default_factory=list)
    delegates: list = field(default_factory=list)
    answers: dict = field(default_factory=dict)  # contribution id -> true theme


@pytest.fixture
def scenario(make_user, make_consultation, make_contribution, now):
    """30 members, 4 employees, 2 delegates; each answers both questions over three days."""
    consultation = make_consultation(
        title="Baromètre",
        populations_invited=("member", "employee", "delegate"),
        eligible=100,
        questions=[("open", "Qu'attendez-vous de votre mutuelle ?"), ("words", "En trois mots ?")],
        opens_at=now - timedelta(days=5),
    )
    for link in consultation.populations:
        link.eligible_count = {"member": 100, "employee": 6, "delegate": 3}[link.population.code]
    open_question, words_question = consultation.questions
    built = Scenario(consultation, open_question, words_question)
    rng = random.Random(5)
    themes = list(THEMES)
    people = (
        [("member", built.members, "Occitanie", "40-60", "f")] * 30
        + [("employee", built.employees, "Bretagne", "30-40", "m")] * 4
        + [("delegate", built.delegates, "Occitanie", "60-80", "m")] * 2
    )
    for number, (population, bucket, region, age, gender) in enumerate(people):
        user = make_user(population=population, region=region, age_band=age, gender_form=gender)
        bucket.append(user)
        theme = themes[number % 3]
        chosen = rng.sample(THEMES[theme], 3)
        text = f"<p>Pour moi, {chosen[0]} et {chosen[1]}, surtout {chosen[2]}.</p>"
        when = now - timedelta(days=2 - number % 3, hours=1)
        contribution = make_contribution(open_question, user, body=text, when=when)
        built.answers[contribution.id] = theme
        make_contribution(
            words_question,
            user,
            body=["Santé, écoute", "santé", "Solidarité"][number % 3],
            when=when,
        )
    return built
