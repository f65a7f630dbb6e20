"""Every page of consult, in French and in English, passes axe-core's WCAG 2.1 A and AA rules.

The demonstration (every role, an open and a closed consultation, moderation cases, a panel
project) is loaded, then completed with an assembly that votes and one whose minutes are signed,
and an analysis with word counts, themes and a quoted finding. Each page is opened as a person who
may see it, once with a French browser and once with an English one. The pages covered are
written to test-output/accessibility-pages.txt.
"""

from datetime import date

import pytest
from conftest import OUTPUT_DIR
from sqlalchemy import select

from consult.accounts.models import User
from consult.analysis import jobs
from consult.analysis import services as analysis
from consult.analysis.models import Finding
from consult.assembly import services as assembly
from consult.assembly.models import Assembly, Resolution
from consult.consultations.models import Consultation, Contribution, Question, Theme
from consult.demo import CLOSED_TITLE, DEMO_DOMAIN, DEMO_PASSWORD, OPEN_TITLE
from consult.extensions import db
from consult.meetings.models import Meeting, MeetingMinutes
from consult.mission.models import (
    CommitteeSession,
    Engagement,
    Indicator,
    IndicatorValue,
    Objective,
    Opinion,
    Proof,
)
from consult.moderation.models import ModerationStatus
from consult.notifications import services as notifications
from consult.notifications.delivery import opt_out_token
from consult.panels.models import Panel, PanelProject
from consult.results import services as results
from consult.workshops.models import Story, Workshop

pytestmark = pytest.mark.browser

LOCALES = {"fr": "fr-FR", "en": "en-GB"}


def _person(local):
    return db.session.scalar(select(User).where(User.email == f"{local}@{DEMO_DOMAIN}"))


def _roll(*emails):
    lines = ["identifier;name;email;section;weight"]
    lines += [
        f"D{i:03d};Délégué {i};{email};Section {i % 2};1" for i, email in enumerate(emails, 1)
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def site(app, runner, now):
    """The demonstration, plus assemblies and an analysis; returns the pages to open."""
    result = runner.invoke(args=["demo", "--contributions", "300"])
    assert result.exit_code == 0, result.output
    organiser, analyst = _person("organisatrice"), _person("analyste")
    opened = db.session.scalar(select(Consultation).where(Consultation.title == OPEN_TITLE))
    closed = db.session.scalar(select(Consultation).where(Consultation.title == CLOSED_TITLE))
    question = analysis.text_questions(closed)[0]

    with app.test_request_context():
        voting = assembly.create_assembly(
            organiser,
            title="Assemblée générale 2026",
            held_on=date(2026, 6, 20),
            convocation=1,
            proxy_cap=1,
            allow_vote_change=True,
            now=now,
        )
        emails = [f"delegue@{DEMO_DOMAIN}"] + [f"delegue{i}@example.org" for i in range(2, 5)]
        assembly.import_roll(organiser, voting, _roll(*emails), now=now)
        assembly.add_resolution(
            organiser,
            voting,
            title="Raison d’être",
            body="Adopter la raison d’être.",
            category="statutory",
            kind="motion",
            wordings=[],
            now=now,
        )
        assembly.add_resolution(
            organiser,
            voting,
            title="Formulation",
            body="Choisir la formulation.",
            category="statutory",
            kind="wordings",
            wordings=["Prendre soin de chacun", "Protéger et accompagner"],
            now=now,
        )
        assembly.open_all(organiser, voting, now=now)
        done = assembly.create_assembly(
            organiser,
            title="Assemblée générale 2025",
            held_on=date(2025, 6, 21),
            convocation=1,
            proxy_cap=1,
            allow_vote_change=False,
            now=now,
        )
        assembly.import_roll(organiser, done, _roll(*emails), now=now)
        assembly.add_resolution(
            organiser,
            done,
            title="Comptes 2025",
            body="Approuver les comptes.",
            category="ordinary",
            kind="motion",
            wordings=[],
            now=now,
        )
        assembly.open_all(organiser, done, now=now)
        delegate = _person("delegue")
        assembly.cast(delegate, done.resolutions[0], done.delegates[0], choice="for", now=now)
        assembly.close_all(organiser, done, now=now)

        words = analysis.start_job(analyst, "words", closed, question=question, now=now)
        jobs.submit(words)
        topics = analysis.start_job(
            analyst, "topics", closed, question=question, params={"n_topics": 3}, now=now
        )
        jobs.submit(topics)
        topic = analysis.topics_of(question)[0]
        finding = analysis.save_finding(
            analyst,
            closed,
            None,
            title="Se soigner près de chez soi",
            text="Les adhérents parlent d'abord d'accès aux soins.",
            topic_ids=[topic.id],
            now=now,
        )
        quoted = analysis.representatives(topic)[0]
        analysis.add_quote(analyst, finding, quoted, max_length=None, now=now)
        results.publish(analyst, closed, now=now)
        results.set_public(organiser, closed, True, now=now)
        notifications.consultation_opened(opened, now=now)
    db.session.commit()

    contribution = db.session.scalar(
        select(Contribution)
        .join(ModerationStatus, ModerationStatus.contribution_id == Contribution.id)
        .where(Contribution.consultation_id == opened.id, Contribution.state == "pending")
        .limit(1)
    )
    published = db.session.scalar(
        select(Contribution)
        .where(Contribution.consultation_id == opened.id, Contribution.state == "published")
        .limit(1)
    )
    project = db.session.scalar(select(PanelProject))
    panel = db.session.scalar(select(Panel).where(Panel.project_id == project.id))
    word = analysis.word_counts(words)[0]
    first = opened.questions[0]
    theme = next(q.theme for q in opened.questions if q.theme)
    pages = {
        None: [
            "/login",
            "/password/forgotten",
            "/",
            f"/consultations/{opened.id}",
            f"/questions/{first.id}/contributions",
            f"/panels/{project.id}/volunteer",
            f"/panels/{project.id}/draw",
            f"/assemblies/{done.id}/minutes",
            "/nowhere",
        ],
        "adherente": [
            "/",
            f"/consultations/{opened.id}",
            f"/consultations/{closed.id}",
            f"/questions/{first.id}/contributions",
            "/my/contributions",
            f"/moderation/flag/{published.id}",
            "/moderation/mine",
            "/profile",
            "/panels/mine",
        ],
        "delegue": [
            "/assemblies/",
            f"/assemblies/{voting.id}/vote",
            f"/assemblies/{done.id}/vote",
            f"/assemblies/{done.id}/codes",
        ],
        "moderateur": [
            "/moderation/",
            "/moderation/?state=&page=2",
            f"/moderation/items/{contribution.id}",
            "/moderation/suspensions",
        ],
        "admin": [
            "/moderation/audit",
            f"/admin/people/{_person('adherente').id}",
            "/admin/populations",
            "/admin/regions",
        ],
        "analyste": [
            "/analysis/",
            f"/analysis/consultations/{closed.id}",
            f"/analysis/consultations/{closed.id}/findings",
            f"/analysis/consultations/{closed.id}/report",
            f"/analysis/consultations/{closed.id}/search?q=soins",
            f"/analysis/findings/{finding.id}",
            f"/analysis/jobs/{topics.id}",
            f"/analysis/questions/{question.id}/words",
            f"/analysis/questions/{question.id}/words/{word.key}",
            f"/analysis/questions/{question.id}/topics",
            f"/analysis/questions/{question.id}/compare",
            f"/analysis/topics/{topic.id}",
            f"/analysis/topics/{topic.id}/compare",
        ],
        "organisatrice": [
            "/organise",
            "/organise/new",
            f"/organise/{opened.id}",
            f"/organise/{opened.id}/settings",
            f"/organise/{opened.id}/questions/new",
            f"/organise/{opened.id}/questions/{first.id}",
            f"/organise/{opened.id}/themes/new",
            f"/organise/{opened.id}/themes/{theme.id}",
            "/moderation/settings",
            "/admin/people",
            "/admin/people/invite",
            "/panels/organise",
            "/panels/organise/new",
            f"/panels/organise/{project.id}",
            f"/panels/organise/{project.id}/settings",
            f"/panels/organise/{project.id}/volunteers",
            f"/panels/organise/{project.id}/questionnaire",
            f"/panels/organise/panel/{panel.id}",
            f"/panels/organise/panel/{panel.id}/quotas",
            f"/assemblies/{voting.id}",
            f"/assemblies/{voting.id}/roll",
            f"/assemblies/{done.id}",
            f"/assemblies/{done.id}/minutes",
        ],
    }
    for local, paths in _other_areas(opened, closed, project).items():
        pages.setdefault(local, []).extend(paths)
    return pages


def _first(model, *where, order=None):
    """The first row of a demonstration table (in id order unless told)."""
    query = select(model).where(*where).order_by(order if order is not None else model.id)
    return db.session.scalar(query.limit(1))


def _other_areas(opened, closed, project):
    """The pages of personal-data rights, results, notifications, meetings, the mission committee
    and workshops, by the person who opens them."""
    member = _person("adherente")
    past = _first(
        Meeting,
        Meeting.id.in_(
            select(MeetingMinutes.meeting_id).where(MeetingMinutes.published_at.is_not(None))
        ),
    )
    upcoming = _first(Meeting, Meeting.starts_at > closed.closes_at, order=Meeting.starts_at.desc())
    workshop = _first(Workshop)
    story = _first(Story, Story.workshop_id == workshop.id)
    objective, engagement = _first(Objective), _first(Engagement)
    value = _first(IndicatorValue, IndicatorValue.state == "validated")
    indicator = value.indicator
    owned = _first(Indicator, Indicator.owner_user_id == _person("salarie").id)
    proof = _first(Proof, Proof.public.is_(True))
    opinion = _first(Opinion, Opinion.status == "published")
    session = _first(CommitteeSession)
    return {
        None: [
            "/legal-notice",
            "/personal-data",
            "/accessibility",
            "/results/",
            f"/results/{closed.id}",
            f"/notifications/stop/{opt_out_token(member.id, 'consultation_open')}",
            "/meetings",
            "/meetings?when=past",
            f"/meetings/{past.id}",
            f"/meetings/{past.id}/minutes",
            "/mission",
            f"/mission/indicators/{indicator.id}",
            "/mission/proofs",
            f"/mission/proofs/{proof.id}",
            "/mission/opinions",
            f"/mission/opinions/{opinion.id}",
            "/workshops",
            f"/workshops/{workshop.id}",
            f"/workshops/{workshop.id}/print",
            f"/workshops/{workshop.id}/stories/{story.id}",
            f"/workshops/{workshop.id}/stories/{story.id}/history",
            "/developers/api",
        ],
        "adherente": [
            f"/consultations/{opened.id}/answer-all",
            f"/results/{closed.id}",
            "/notifications/",
            "/notifications/settings",
            "/my/data",
            "/account/password",
            "/account/sessions",
            f"/meetings/{upcoming.id}",
            "/meetings/mine",
            "/mission/mine",
        ],
        "salarie": [
            "/mission/mine",
            f"/mission/manage/indicators/{owned.id}",
            f"/mission/manage/indicators/{owned.id}/values/new",
        ],
        "analyste": ["/results/", f"/results/{closed.id}", "/my/api-tokens"],
        "admin": ["/admin/", "/admin/settings"],
        "comite": [
            "/mission/manage",
            f"/mission/manage/objectives/{objective.id}",
            f"/mission/manage/values/{value.id}",
            "/mission/manage/proofs",
            "/mission/manage/sessions",
            "/mission/manage/sessions/new",
            f"/mission/manage/sessions/{session.id}/edit",
            "/mission/manage/opinions",
            "/mission/manage/opinions/new",
            f"/mission/manage/opinions/{opinion.id}",
            f"/mission/manage/opinions/{opinion.id}/versions",
        ],
        "auditeur": ["/mission/manage", f"/mission/manage/values/{value.id}"],
        "organisatrice": [
            "/organise/retention",
            "/meetings/manage",
            "/meetings/manage/new",
            f"/meetings/manage/{past.id}",
            f"/meetings/manage/{past.id}/minutes",
            f"/meetings/manage/{past.id}/contributions",
            f"/meetings/manage/{upcoming.id}",
            f"/meetings/manage/{upcoming.id}/edit",
            f"/meetings/manage/{upcoming.id}/cancel",
            f"/meetings/manage/{upcoming.id}/code",
            "/workshops/manage",
            "/workshops/manage/new",
            f"/workshops/manage/{workshop.id}",
            "/mission/manage/objectives/new",
            f"/mission/manage/objectives/{objective.id}/engagements/new",
            f"/mission/manage/engagements/{engagement.id}/edit",
            f"/mission/manage/engagements/{engagement.id}/indicators/new",
            f"/mission/manage/indicators/{indicator.id}",
            f"/mission/manage/indicators/{indicator.id}/edit",
            "/mission/manage/proofs/new",
            f"/mission/manage/proofs/{proof.id}/edit",
            "/mission/manage/import",
            f"/panels/{project.id}/volunteer",
        ],
    }


def _sign_in(page, base, local):
    page.goto(f"{base}/login")
    page.locator("input[name=email]").fill(f"{local}@{DEMO_DOMAIN}")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{local} could not sign in"


#: What the page shows whose nearest language is English, with the element around it: its text
#: (in <option>s and SVG charts too), the values of its text fields and its tab title.
_ENGLISH_TEXT = """() => {
    const found = [];
    const english = (element) => element.closest("[lang]").getAttribute("lang") === "en";
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent.trim();
        if (text && english(node.parentElement)) {
            found.push(["text", text, node.parentElement.outerHTML.slice(0, 160)]);
        }
    }
    const fields = "textarea, input:not([type]), input[type=text], input[type=search]";
    for (const field of document.querySelectorAll(fields)) {
        if (field.value && english(field)) {
            found.push(["field", field.value, field.outerHTML.slice(0, 160)]);
        }
    }
    const title = document.querySelector("title");
    if (english(title)) found.push(["title", title.textContent, title.outerHTML.slice(0, 160)]);
    return found;
}"""
#: What base.html puts after every tab title.
_TITLE_SUFFIX = " — consult"


def _french_titles():
    """What organisers and participants wrote in French: titles and prompts the pages show."""
    columns = [
        Consultation.title,
        Question.prompt,
        Theme.title,
        Finding.title,
        Assembly.title,
        Resolution.title,
        PanelProject.title,
        Meeting.title,
        Workshop.title,
        Story.title,
        Objective.title,
        Indicator.title,
        Proof.title,
    ]
    titles = set()
    for column in columns:
        titles.update(t for t in db.session.scalars(select(column).distinct()) if len(t) > 10)
    return titles


def _is_content_alone(tab_title, titles):
    """A tab title made of one content title only (Jinja's truncate may have shortened it): a
    <title> holds text alone, so one that mixes interface words and content keeps the page's
    language."""
    name = tab_title.removesuffix(_TITLE_SUFFIX).removesuffix("...")
    return len(name) > 10 and any(title.startswith(name) for title in titles)


def _unmarked_french(page, titles):
    """French content shown in an English page without lang="fr" around it."""
    return [
        f"{text!r} in {html}"
        for kind, text, html in page.evaluate(_ENGLISH_TEXT)
        if (
            _is_content_alone(text, titles)
            if kind == "title"
            else any(title in text for title in titles)
        )
    ]


def test_every_page_passes_axe_in_french_and_english(browser, live_server, site, axe):
    failures, covered = [], []
    titles = _french_titles()
    for language, locale in LOCALES.items():
        for local, paths in site.items():
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
            page = context.new_page()
            try:
                if local:
                    _sign_in(page, live_server.url, local)
                for path in paths:
                    response = page.goto(live_server.url + path)
                    expected = 404 if path == "/nowhere" else 200
                    if response.status != expected:
                        failures.append(f"[{language} {local}] {path}: {response.status}")
                        continue
                    assert page.locator("html").get_attribute("lang") == language, path
                    violations = axe(page)
                    if language == "en" and (unmarked := _unmarked_french(page, titles)):
                        failures.append(f"[en {local}] {path}: no lang=fr\n" + "\n".join(unmarked))
                    covered.append(f"{language} {local or 'anonymous'} {path}")
                    if violations:
                        failures.append(f"[{language} {local}] {path}\n{axe.describe(violations)}")
            finally:
                context.close()
    OUTPUT_DIR.mkdir(exist_ok=True)
    (OUTPUT_DIR / "accessibility-pages.txt").write_text("\n".join(covered) + "\n")
    assert not failures, "\n\n".join(failures)
