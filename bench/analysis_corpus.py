"""Synthetic French answers for the analysis benchmark: themes, fillers, typos and short answers."""

from __future__ import annotations

import random

THEMES = {
    "santé": [
        "la santé de nos adhérents",
        "l'accès aux soins",
        "les soins dentaires et optiques",
        "la prévention des maladies",
        "les hôpitaux de proximité",
        "les médecins généralistes",
        "la santé mentale",
        "les déserts médicaux",
    ],
    "solidarité": [
        "la solidarité entre les générations",
        "l'entraide entre adhérents",
        "ne laisser personne de côté",
        "les personnes isolées",
        "la solidarité avec les plus fragiles",
        "le soutien aux aidants",
    ],
    "environnement": [
        "l'environnement et le climat",
        "réduire notre empreinte carbone",
        "la transition écologique",
        "les énergies renouvelables",
        "protéger la planète pour nos enfants",
        "moins de papier et de déchets",
    ],
    "prix": [
        "des cotisations trop chères",
        "le prix des contrats",
        "les tarifs augmentent chaque année",
        "le reste à charge",
        "des remboursements plus rapides",
        "la hausse des cotisations",
    ],
    "écoute": [
        "l'écoute des adhérents",
        "un conseiller disponible au téléphone",
        "des agences proches de chez nous",
        "la qualité de la relation",
        "répondre vite aux questions",
        "un accueil humain et chaleureux",
    ],
    "démocratie": [
        "la démocratie mutualiste",
        "les élus et les délégués",
        "voter à l'assemblée générale",
        "donner la parole aux adhérents",
        "la transparence des décisions",
        "la gouvernance de la mutuelle",
    ],
    "travail": [
        "les conditions de travail des salariés",
        "le bien-être au travail",
        "la formation des collaborateurs",
        "le télétravail et les horaires",
        "la reconnaissance des équipes",
        "la charge de travail",
    ],
    "numérique": [
        "l'espace adhérent en ligne",
        "une application mobile simple",
        "la téléconsultation",
        "les démarches numériques",
        "la protection des données personnelles",
        "un site internet clair",
    ],
}
OPENINGS = [
    "Pour moi,",
    "Je pense que",
    "Selon moi,",
    "Il faut",
    "Ce qui compte c'est",
    "Avant tout,",
    "Notre mutuelle doit défendre",
    "J'attends",
    "Le plus important :",
    "",
]
LINKS = ["et", "mais aussi", "ainsi que", "avec", "surtout", "en particulier", ","]
ENDINGS = [
    ".",
    " !",
    " pour tous.",
    " au quotidien.",
    " dans les territoires.",
    " c'est essentiel.",
    " depuis des années.",
]
SHORT = ["Santé", "santé", "SANTE", "la santé", "Solidarité", "écoute", "Confiance", "proximité"]
SHORT += ["Entraide", "Humain", "Prévention", "Les soins", "l'Humain", "Sécurité", "Rien"]


def answer(rng: random.Random, question: int) -> str:
    """One answer: a few-words answer for question 0, an open sentence or two otherwise."""
    if question == 0:
        return " ".join(rng.sample(SHORT, rng.randint(1, 3)))
    theme = rng.choice(list(THEMES))
    parts = [rng.choice(OPENINGS), rng.choice(THEMES[theme])]
    for _ in range(rng.randint(0, 3)):
        other = theme if rng.random() < 0.7 else rng.choice(list(THEMES))
        parts += [rng.choice(LINKS), rng.choice(THEMES[other])]
    text = " ".join(part for part in parts if part) + rng.choice(ENDINGS)
    if rng.random() < 0.05:  # a typo here and there
        position = rng.randrange(len(text))
        text = text[:position] + text[position + 1 :]
    return text[0].upper() + text[1:]


def answers(count: int, seed: int = 1) -> list[str]:
    """`count` answers to the open questions (1 to 4), reproducible for a seed."""
    rng = random.Random(seed)
    return [answer(rng, 1 + number % 4) for number in range(count)]
