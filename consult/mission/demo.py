"""Mission part of the demonstration: the four objectives of the demo assembly, two engagements
each, indicators of every kind with two years of values, about twenty proofs, three committee
sessions and one published opinion.

The objectives follow the adopted resolutions "Objectif 1" to "Objectif 4" of the closed demo
assembly (consult/assembly/demo.py), which is loaded first when it is not there yet.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from consult.assembly.models import Assembly, Resolution
from consult.extensions import db
from consult.mission import committee, computed, proofs, rules, values
from consult.mission import indicators as building
from consult.mission.models import Objective

DEPARTMENTS = (
    "Direction des prestations",
    "Prévention et santé",
    "Action sociale",
    "Relation adhérents",
    "Vie démocratique",
    "RSE et environnement",
    "Entreprises clientes",
    "Achats responsables",
)
TERRITORIES = ("Bretagne", "Occitanie", "Pays de la Loire", "Grand-Est", "Normandie", "National")

#: objective → [(engagement, [indicator spec])]; an indicator spec is a dict of save_indicator
#: arguments plus "values": {year offset (-2, -1): figure, text or (figure, parts)}.
PLAN = [
    [
        (
            "Redistribuer l’essentiel des cotisations en prestations",
            [
                dict(
                    title="Taux de redistribution",
                    kind="percent",
                    direction="up",
                    baseline_value=Decimal("80.4"),
                    baseline_year=2021,
                    target_value=Decimal("80"),
                    target_year=2026,
                    method="Prestations versées / cotisations encaissées, comptes annuels.",
                    owner="Direction des prestations",
                    source="Comptes annuels certifiés",
                    owner_login="salarie",
                    values={-2: Decimal("81.9"), -1: Decimal("82.7")},
                ),
                dict(
                    title="Adhérents en difficulté accompagnés par l’action sociale",
                    kind="count",
                    unit="adhérents",
                    direction="up",
                    target_value=Decimal("700"),
                    target_year=2027,
                    method="Dossiers d’aide exceptionnelle accordés dans l’année.",
                    owner="Action sociale",
                    source="Outil de gestion de l’action sociale",
                    values={-2: Decimal("600"), -1: Decimal("605")},
                ),
            ],
        ),
        (
            "Construire nos offres avec les adhérents",
            [
                dict(
                    title="Offres et services testés par des adhérents",
                    kind="breakdown",
                    direction="up",
                    target_value=Decimal("100"),
                    target_year=2026,
                    method="Part des offres et des services soumis à un test adhérents.",
                    owner="Relation adhérents",
                    source="Registre des tests",
                    values={
                        -2: (Decimal("76"), [("Offres d’assurance", "92"), ("Services", "70")]),
                        -1: (Decimal("88"), [("Offres d’assurance", "100"), ("Services", "84")]),
                    },
                ),
                dict(
                    title="Services testés au niveau 3 (avant conception)",
                    kind="percent",
                    direction="up",
                    target_value=Decimal("60"),
                    target_year=2027,
                    method="Part des tests menés avant la conception du service.",
                    owner="Relation adhérents",
                    source="Registre des tests",
                    values={-2: Decimal("39"), -1: Decimal("47")},
                ),
            ],
        ),
    ],
    [
        (
            "Accompagner les entreprises clientes en prévention",
            [
                dict(
                    title="Entreprises accompagnées en prévention",
                    kind="count",
                    unit="entreprises",
                    direction="up",
                    target_value=Decimal("650"),
                    target_year=2026,
                    method="Entreprises ayant bénéficié d’au moins une action de prévention.",
                    owner="Entreprises clientes",
                    source="CRM entreprises",
                    values={-2: Decimal("600"), -1: Decimal("605")},
                ),
                dict(
                    title="Montant consacré aux actions de prévention",
                    kind="amount",
                    direction="up",
                    method="Dépenses engagées, hors frais de personnel.",
                    owner="Prévention et santé",
                    source="Comptabilité analytique",
                    values={-2: Decimal("88700"), -1: Decimal("95200")},
                ),
            ],
        ),
        (
            "Mesurer l’impact de la prévention sur les territoires",
            [
                dict(
                    title="Mesure d’impact de la prévention",
                    kind="qualitative",
                    method="État d’avancement de la démarche de mesure d’impact.",
                    owner="Prévention et santé",
                    source="Comité de pilotage prévention",
                    values={-2: "Note de cadrage mesure d’impact", -1: "Cartographie réalisée"},
                ),
            ],
        ),
    ],
    [
        (
            "Réduire les émissions de nos activités",
            [
                dict(
                    title="Émissions de CO2 par adhérent et par an",
                    kind="number",
                    unit="kg",
                    direction="down",
                    baseline_value=Decimal("60"),
                    baseline_year=2022,
                    target_value=Decimal("49"),
                    target_year=2026,
                    method="Bilan carbone (scopes 1, 2 et 3 amont) / nombre d’adhérents.",
                    owner="RSE et environnement",
                    source="Bilan carbone annuel",
                    values={-2: Decimal("60"), -1: Decimal("47.33")},
                ),
            ],
        ),
        (
            "Engager nos entreprises clientes sur l’environnement",
            [
                dict(
                    title="Entreprises engagées dans une démarche environnementale",
                    kind="count",
                    unit="entreprises",
                    direction="up",
                    target_value=Decimal("20"),
                    target_year=2027,
                    method="Entreprises signataires de la charte environnementale.",
                    owner="Entreprises clientes",
                    source="Registre des chartes",
                    values={-2: Decimal("4"), -1: Decimal("8")},
                ),
                dict(
                    title="Indicateur d’impact environnemental des services",
                    kind="qualitative",
                    method="Avancement de l’indicateur.",
                    owner="RSE et environnement",
                    source="Comité RSE",
                    values={-2: "Indicateur des services en construction", -1: "Indicateur défini"},
                ),
            ],
        ),
    ],
    [
        (
            "Faire participer adhérents, élus et salariés",
            [
                dict(
                    title="Présence à l’assemblée générale",
                    kind="percent",
                    direction="up",
                    target_value=Decimal("90"),
                    target_year=2027,
                    method="Délégués présents, à distance ou représentés / délégués en exercice.",
                    owner="Vie démocratique",
                    source="Émargement de l’assemblée générale (consult)",
                    computed="assembly_attendance",
                    values={-2: Decimal("80")},
                ),
                dict(
                    title="Participation interne à la consultation annuelle",
                    kind="percent",
                    direction="up",
                    target_value=Decimal("40"),
                    target_year=2027,
                    method="Salariés et élus ayant contribué / salariés et élus invités.",
                    owner="Vie démocratique",
                    source="Consultation en ligne (consult)",
                    computed="consultation_participation",
                    values={-2: Decimal("33")},
                ),
                dict(
                    title="Panélistes souhaitant participer à la suite",
                    kind="percent",
                    direction="up",
                    method="Réponses « oui » au questionnaire de clôture des panels citoyens.",
                    owner="Vie démocratique",
                    source="Questionnaire de clôture des panels",
                    values={-2: Decimal("79"), -1: Decimal("85")},
                ),
            ],
        ),
        (
            "Faire vivre les espaces d’engagement des élus",
            [
                dict(
                    title="Élus inscrits dans les espaces d’engagement",
                    kind="count",
                    unit="élus",
                    direction="up",
                    target_value=Decimal("1500"),
                    target_year=2027,
                    method="Comptes d’élus actifs dans les espaces d’engagement.",
                    owner="Vie démocratique",
                    source="Annuaire des élus",
                    values={-2: Decimal("950"), -1: Decimal("1252")},
                ),
                dict(
                    title="Actions menées par les élus",
                    kind="count",
                    unit="actions",
                    direction="up",
                    target_value=Decimal("2000"),
                    target_year=2027,
                    method="Actions déclarées dans l’année (agoras, forums, visites).",
                    owner="Vie démocratique",
                    source="Registre des actions",
                    values={-2: Decimal("1600"), -1: Decimal("1800")},
                ),
                dict(
                    title="Indice de vitalité démocratique",
                    kind="composite",
                    direction="up",
                    target_value=Decimal("90"),
                    target_year=2027,
                    method="Moyenne des taux d’atteinte de la présence à l’AG (réf. 90 %), des "
                    "élus inscrits (réf. 1 500) et des actions (réf. 2 000), sur 100.",
                    owner="Comité de mission",
                    source="Calculé par consult",
                    computed="composite",
                    values={},
                ),
            ],
        ),
    ],
]

PROOF_TITLES = (
    "Tiers payant généralisé en optique",
    "Fonds d’urgence pour les adhérents sinistrés",
    "Ateliers de prévention du mal de dos en entreprise",
    "Bus santé dans les communes rurales",
    "Forum santé des aidants",
    "Charte environnementale signée par une PME",
    "Réduction des impressions papier de 40 %",
    "Flotte de véhicules électriques",
    "Agora des adhérents sur la santé mentale",
    "Formation des élus à l’animation de débats",
    "Test adhérents de la nouvelle offre jeunes",
    "Atelier impact : 12 projets clés, 13 pistes nouvelles",
    "Plateforme d’écoute psychologique",
    "Dépistage gratuit du diabète",
    "Achats responsables : clause carbone dans les marchés",
    "Panel citoyen de Nantes : restitution publique",
    "Accompagnement des aidants familiaux",
    "Journée prévention solaire sur les plages",
    "Parcours d’accueil des nouveaux élus",
    "Baromètre annuel des adhérents",
)

#: the smallest valid PDF: what a department would attach as its report
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _adopted_objectives() -> list[Resolution]:
    """The resolutions "Objectif 1".."Objectif 4" adopted by a closed assembly (latest first)."""
    found = db.session.scalars(
        select(Resolution)
        .join(Assembly)
        .where(
            Assembly.closed_at.is_not(None),
            Resolution.outcome == "adopted",
            Resolution.title.like("Objectif %"),
        )
        .order_by(Assembly.held_on.desc(), Resolution.position)
    ).all()
    chosen: dict[str, Resolution] = {}
    for resolution in found:
        chosen.setdefault(resolution.title, resolution)
    return [chosen[t] for t in sorted(chosen)][:4]


def load_demo(context) -> list[str]:
    """Objectives, engagements, indicators with two years of values, proofs and an opinion."""
    if db.session.scalar(select(Objective.id).limit(1)):
        return []
    officer = context.people["organisatrice"]
    member = context.people["comite"]
    now = context.now
    resolutions = _adopted_objectives()
    if len(resolutions) < 4:
        from consult.assembly.demo import load_demo as load_assemblies

        load_assemblies(context)
        resolutions = _adopted_objectives()
    assembly = resolutions[0].assembly
    year = now.year
    years = {-2: year - 2, -1: year - 1}
    created = []
    indicator_by_title = {}
    for resolution, engagements in zip(resolutions, PLAN, strict=True):
        objective = building.create_objective(officer, resolution.id, title="", now=now)
        for engagement_title, specs in engagements:
            engagement = building.save_engagement(
                officer, objective, None, title=engagement_title, description="", now=now
            )
            for spec in specs:
                spec = dict(spec)
                figures = spec.pop("values")
                login = spec.pop("owner_login", None)
                params = None
                if spec.get("computed") == "assembly_attendance":
                    params = {"assembly_id": assembly.id}
                elif spec.get("computed") == "consultation_participation":
                    params = {
                        "consultation_id": context.closed_consultation.id,
                        "scope": "internal",
                    }
                elif spec.get("computed") == "composite":
                    params = {
                        "components": [
                            {"indicator_id": indicator_by_title[t].id, "reference": r, "weight": 1}
                            for t, r in (
                                ("Présence à l’assemblée générale", "90"),
                                ("Élus inscrits dans les espaces d’engagement", "1500"),
                                ("Actions menées par les élus", "2000"),
                            )
                        ]
                    }
                indicator = building.save_indicator(
                    officer,
                    engagement,
                    None,
                    now=now,
                    owner_user_id=context.people[login].id if login else None,
                    computed_params=params,
                    **spec,
                )
                indicator_by_title[indicator.title] = indicator
                created.append((indicator, figures))
    _values(created, years, officer, member, now)
    proof_count = _proofs(context, indicator_by_title, officer, member, now)
    _committee(member, now, year)
    return [
        f"Mission: 4 objectives from « {assembly.title} », 8 engagements, "
        f"{len(created)} indicators with values at 31/12/{year - 2} and 31/12/{year - 1}, "
        f"{proof_count} proofs, 3 committee sessions, 1 published opinion."
    ]


def _settle(value, officer, member, now, *, audited: bool) -> None:
    """Submit, validate and (for the older year) record the audit."""
    values.transition(officer, value, "submit", now=now)
    values.transition(member, value, "validate", now=now)
    if audited:
        values.transition(officer, value, "audit", now=now, reference="Rapport OTI n° 2025-014")


def _values(created, years, officer, member, now) -> None:
    """Two years of values; the older audited, one corrected, one awaiting the committee."""
    computed_ones = []
    for indicator, figures in created:
        for offset, figure in sorted(figures.items()):
            as_of = rules.year_end(years[offset])
            parts = None
            text = ""
            if isinstance(figure, tuple):
                figure, pairs = figure
                parts = [{"label": label, "value": share} for label, share in pairs]
            if isinstance(figure, str):
                figure, text = None, figure
            first = figure
            if indicator.title == "Taux de redistribution" and offset == -2:
                first = Decimal("81.8")  # entered wrong, corrected below
            value = values.save_value(
                officer,
                indicator,
                None,
                now=now,
                as_of=as_of,
                figure=first,
                text_value=text,
                parts=parts,
                comment="Valeur issue du rapport de mission.",
                evidence=indicator.source,
            )
            if indicator.title == "Services testés au niveau 3 (avant conception)" and offset == -1:
                values.transition(officer, value, "submit", now=now)
                continue
            _settle(value, officer, member, now, audited=offset == -2)
            if first != figure:
                correction = values.correct(
                    officer,
                    value,
                    now=now,
                    reason="Prestations de décembre comptabilisées après la clôture.",
                )
                values.save_value(
                    officer,
                    indicator,
                    correction,
                    now=now,
                    as_of=as_of,
                    figure=figure,
                    comment=correction.comment,
                    evidence=correction.evidence,
                )
                _settle(correction, officer, member, now, audited=False)
        if indicator.computed:
            computed_ones.append(indicator)
    for indicator in computed_ones:  # components first: the composite reads their values
        for offset in (-2, -1):
            as_of = rules.year_end(years[offset])
            if indicator.computed != "composite" and offset == -2:
                continue
            value = computed.recompute(officer, indicator, as_of=as_of, now=now)
            _settle(value, officer, member, now, audited=False)


def _proofs(context, by_title, officer, member, now) -> int:
    """Twenty proofs across departments and objectives; a couple carry files."""
    rng = random.Random(13)
    indicators = list(by_title.values())
    for number, title in enumerate(PROOF_TITLES):
        target = indicators[number % len(indicators)]
        links = [f"i:{target.id}", f"o:{target.engagement.objective_id}"]
        proof = proofs.save_proof(
            officer,
            None,
            now=now,
            title=title,
            happened_on=date(now.year - 1 - number % 2, 1 + number % 12, 1 + rng.randint(0, 27)),
            department=DEPARTMENTS[number % len(DEPARTMENTS)],
            territory=TERRITORIES[number % len(TERRITORIES)],
            description=f"{title} : initiative menée par l’équipe, avec ses partenaires locaux.",
            figures=f"{rng.randint(2, 150) * 10} personnes concernées",
            links=links,
        )
        if number in (0, 3):
            proofs.attach(
                officer, now=now, filename=f"bilan-{number + 1}.pdf", content=DEMO_PDF, proof=proof
            )
        if number == 5:
            proofs.attach(
                officer,
                now=now,
                filename="chiffres.csv",
                content=b"indicateur;valeur\nentreprises;8\n",
                proof=proof,
            )
        if number == 18:
            continue  # still awaiting the committee
        if number == 19:
            proofs.decide(
                member, proof, now=now, status="rejected", public=False, reason="Hors périmètre."
            )
            continue
        proofs.decide(member, proof, now=now, status="retained", public=number % 9 != 8)
        if number % 4 == 0:
            values.add_comment(member, now=now, body="Belle initiative, à valoriser.", proof=proof)
    from consult.mission.proofs import forget_saved

    forget_saved()  # the demo commits what it wrote
    return len(PROOF_TITLES)


def _committee(member, now: datetime, year: int) -> None:
    """Three sessions and the published opinion on last year."""
    for months, title in (
        (10, "Installation du comité"),
        (6, "Revue à mi-année"),
        (1, "Avis annuel"),
    ):
        committee.save_session(
            member,
            None,
            now=now,
            held_on=(now - timedelta(days=30 * months)).date(),
            title=f"Comité de mission — {title}",
            place="Siège, salle du conseil",
            agenda="1. Revue des indicateurs\n2. Preuves reçues\n3. Questions diverses",
            minutes="Le comité a examiné les valeurs soumises et les preuves reçues.",
        )
    opinion = committee.write_opinion(
        member,
        None,
        now=now,
        year=year - 1,
        title=f"Avis du comité de mission sur l’année {year - 1}",
        body="Le comité constate des progrès sur trois objectifs sur quatre.",
        note="Premier jet",
    )
    committee.write_opinion(
        member,
        opinion,
        now=now,
        year=year - 1,
        title=opinion.title,
        body=(
            "Le comité de mission constate des progrès nets sur l’accès aux soins et sur "
            "l’empreinte environnementale : la cible d’émissions est atteinte avant l’échéance.\n\n"
            "Il invite la mutuelle à mieux mesurer l’impact de ses actions de prévention et à "
            "poursuivre l’effort de participation des élus."
        ),
        note="Version adoptée en séance",
    )
    committee.publish_opinion(member, opinion, now=now)
