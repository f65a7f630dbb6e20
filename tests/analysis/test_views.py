"""Analysts' pages: permission matrix, forms, bad input, and what the pages show."""

import re

import pytest
from sqlalchemy import select

from consult.accounts.models import User
from consult.analysis import services
from consult.analysis.models import AnalysisJob, Finding, Topic
from consult.consultations.models import Consultation, Contribution, Question
from consult.extensions import db

ROLES = ("participant", "moderator", "organiser", "analyst", "administrator")
READERS = {"organiser", "analyst", "administrator"}
ANALYSTS = {"analyst", "administrator"}


@pytest.fixture
def analysed(scenario, client, login, make_user, now):
    """The scenario with themes proposed, words counted and one finding, as an analyst did."""
    analyst = make_user(roles=("analyst",), email="analyste@example.org")
    login(client, analyst)
    client.post(
        f"/analysis/questions/{scenario.open_question.id}/topics/propose", data={"n_topics": 3}
    )
    client.post(f"/analysis/questions/{scenario.words_question.id}/words")
    client.post(
        f"/analysis/consultations/{scenario.consultation.id}/findings",
        data={"title": "La santé d'abord", "text": "Texte."},
    )
    client.post("/logout")
    refresh(scenario)
    scenario.analyst = db.session.get(User, analyst.id)
    scenario.topic = services.topics_of(scenario.open_question)[0]
    scenario.finding = db.session.scalar(select(Finding))
    return scenario


def refresh(scenario):
    """Requests close the test's session: load the scenario's objects again."""
    scenario.consultation = db.session.get(Consultation, scenario.consultation.id)
    scenario.open_question = db.session.get(Question, scenario.open_question.id)
    scenario.words_question = db.session.get(Question, scenario.words_question.id)


def pages(s):
    """(method, url, who may) for every analysis route, with valid ids."""
    c, q, w = s.consultation.id, s.open_question.id, s.words_question.id
    t, f = s.topic.id, s.finding.id
    contribution = db.session.scalar(
        select(Contribution).where(Contribution.question_id == q).order_by(Contribution.id)
    ).id
    job = db.session.scalar(select(AnalysisJob.id))
    return [
        ("get", "/analysis/", READERS),
        ("get", f"/analysis/consultations/{c}", READERS),
        ("get", f"/analysis/jobs/{job}", READERS),
        ("get", f"/analysis/questions/{w}/words", READERS),
        ("get", f"/analysis/questions/{w}/words/sante", READERS),
        ("get", f"/analysis/questions/{q}/topics", READERS),
        ("get", f"/analysis/topics/{t}", READERS),
        ("get", f"/analysis/topics/{t}/compare", READERS),
        ("get", f"/analysis/questions/{q}/compare", READERS),
        ("get", f"/analysis/consultations/{c}/findings", READERS),
        ("get", f"/analysis/consultations/{c}/report", READERS),
        ("get", f"/analysis/consultations/{c}/search?q=sante", READERS),
        ("get", f"/analysis/findings/{f}", ANALYSTS),
        ("get", f"/analysis/consultations/{c}/export.csv", ANALYSTS),
        ("get", f"/analysis/consultations/{c}/export.xlsx", ANALYSTS),
        ("post", f"/analysis/questions/{w}/words", ANALYSTS),
        ("post", f"/analysis/questions/{q}/topics/propose", ANALYSTS),
        ("post", f"/analysis/questions/{q}/topics/merge", ANALYSTS),
        ("post", f"/analysis/topics/{t}/rename", ANALYSTS),
        ("post", f"/analysis/topics/{t}/discard", ANALYSTS),
        ("post", f"/analysis/topics/{t}/restore", ANALYSTS),
        ("post", f"/analysis/topics/{t}/split", ANALYSTS),
        ("post", f"/analysis/contributions/{contribution}/tag?topic_id={t}", ANALYSTS),
        ("post", f"/analysis/contributions/{contribution}/untag?topic_id={t}", ANALYSTS),
        ("post", f"/analysis/contributions/{contribution}/quote?finding_id={f}", ANALYSTS),
        ("post", f"/analysis/consultations/{c}/findings", ANALYSTS),
        ("post", f"/analysis/findings/{f}", ANALYSTS),
        ("post", f"/analysis/findings/{f}/move", ANALYSTS),
    ]


def test_permission_matrix(analysed, client, login, make_user):
    """Anonymous people sign in first; only the owner roles get through, others get 403."""
    routes = pages(analysed)

    def call(method, url):
        path, _sep, query = url.partition("?")
        data = dict(pair.split("=") for pair in query.split("&")) if query else {}
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(path, data=data)
        response.get_data()  # run streamed bodies to the end
        return response

    for method, url, _allowed in routes:
        response = call(method, url)
        assert response.status_code == 302, url
        assert "/login?next=" in response.headers["Location"]
    for role in ROLES:
        user = make_user(roles=(role,))
        login(client, user)
        for method, url, allowed in routes:
            response = call(method, url)
            if role in allowed:
                assert response.status_code not in (401, 403, 404, 500), (role, url)
            else:
                assert response.status_code == 403, (role, url, response.status_code)
        client.post("/logout")


def test_overview_shows_charts_with_tables(analysed, client, login):
    """Participation: figures in tables with captions beside inline SVG charts."""
    login(client, analysed.analyst)
    page = client.get(f"/analysis/consultations/{analysed.consultation.id}").get_data(True)
    assert page.count("<svg") == 5 and page.count("<caption>") >= 5
    assert "67\u00a0%" in page  # employees and delegates: 6 of 9
    assert page.count("<script") == page.count('<script src="/static/js/consult.js" defer>')
    assert "style=" not in page
    assert 'role="img"' in page


def test_overview_writes_every_day_in_one_babel_format(analysed, client, login):
    """The days of the table and the moment the figures were computed read alike ("3 déc.
    2026"); the chart's axis drops only the year ("3 déc.")."""
    login(client, analysed.analyst)
    page = client.get(f"/analysis/consultations/{analysed.consultation.id}").get_data(True)
    assert not re.search(r"\d{1,2}/\d{1,2}(/\d{2,4})?", page)
    day = services.participation(analysed.consultation).days[0].day
    with client.application.test_request_context(headers={"Accept-Language": "fr"}):
        from consult.core.i18n import format_day, format_day_in_year

        assert f">{format_day(day)}<" in page
        assert f">{format_day_in_year(day)}</text>" in page
        assert format_day_in_year(day) in format_day(day).replace(str(day.year), "")


def test_words_page_lists_and_draws_the_words(analysed, client, login):
    """The word list and the cloud show normalised words."""
    login(client, analysed.analyst)
    page = client.get(f"/analysis/questions/{analysed.words_question.id}/words").get_data(True)
    assert "santé" in page and 'id="word-cloud"' in page
    assert "SANTE" not in page


def test_job_page_refreshes_only_when_asked_until_done(analysed, client, login, now):
    """A running job's page offers a refresh button; it refreshes itself (no JavaScript) only
    once the reader asks, with a way to stop (WCAG 2.2.1); a finished one links to results."""
    login(client, analysed.analyst)
    job = services.start_job(
        None, "words", analysed.consultation, now=now, question=analysed.open_question
    )
    db.session.commit()
    page = client.get(f"/analysis/jobs/{job.id}").get_data(True)
    assert 'http-equiv="refresh"' not in page and "<progress" in page
    assert f'href="/analysis/jobs/{job.id}?auto=1"' in page and "Actualiser" in page
    page = client.get(f"/analysis/jobs/{job.id}?auto=1").get_data(True)
    assert '<meta http-equiv="refresh" content="5">' in page
    assert f'href="/analysis/jobs/{job.id}"' in page  # stop refreshing
    done = db.session.scalar(select(AnalysisJob).where(AnalysisJob.status == "done"))
    page = client.get(f"/analysis/jobs/{done.id}?auto=1").get_data(True)
    assert 'http-equiv="refresh"' not in page
    assert client.get("/analysis/jobs/999999").status_code == 404


def test_proposal_and_topic_actions_through_the_pages(analysed, client, login):
    """Rename with bad then good input, merge, set aside and restore, from the forms."""
    login(client, analysed.analyst)
    topic = analysed.topic
    response = client.post(f"/analysis/topics/{topic.id}/rename", data={"name": "  "})
    assert response.status_code == 303
    assert db.session.get(Topic, topic.id).name != ""
    client.post(f"/analysis/topics/{topic.id}/rename", data={"name": "Accès aux soins"})
    page = client.get(f"/analysis/questions/{analysed.open_question.id}/topics").get_data(True)
    assert "Accès aux soins" in page
    response = client.post(
        f"/analysis/questions/{analysed.open_question.id}/topics/propose",
        data={"n_topics": "500"},
    )
    assert response.status_code == 303
    page = client.get(f"/analysis/questions/{analysed.open_question.id}/topics")
    assert "Entre 2 et 30 thèmes" in page.get_data(True)
    others = [t for t in services.topics_of(analysed.open_question) if t.id != topic.id]
    response = client.post(
        f"/analysis/questions/{analysed.open_question.id}/topics/merge",
        data={"topic_ids": [others[0].id], "target_id": topic.id},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Topic, others[0].id).state == "merged"
    response = client.post(
        f"/analysis/questions/{analysed.open_question.id}/topics/merge",
        data={"topic_ids": ["abc"], "target_id": "999"},
    )
    assert response.status_code == 303
    assert "thèmes actifs" in client.get("/analysis/").get_data(True)
    client.post(f"/analysis/topics/{others[1].id}/discard")
    db.session.expire_all()
    assert db.session.get(Topic, others[1].id).state == "discarded"
    client.post(f"/analysis/topics/{others[1].id}/restore")
    db.session.expire_all()
    assert db.session.get(Topic, others[1].id).state == "active"


def test_quote_from_a_topic_page_appears_in_the_report(analysed, client, login):
    """Quote a contribution in a finding; the report prints it attributed by profile."""
    login(client, analysed.analyst)
    page = client.get(f"/analysis/topics/{analysed.topic.id}").get_data(True)
    contribution_id = int(re.search(r'id="c(\d+)"', page).group(1))
    response = client.post(
        f"/analysis/contributions/{contribution_id}/quote",
        data={"finding_id": analysed.finding.id, "max_length": "", "next": "/analysis/"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/analysis/"
    report = client.get(f"/analysis/consultations/{analysed.consultation.id}/report")
    text = report.get_data(True)
    assert report.status_code == 200
    assert "La santé d&#39;abord" in text or "La santé d'abord" in text
    assert re.search(r"«\u00a0Pour moi,.*\u00a0» — (Adhérente|Salarié|Élu), ", text)
    bad = client.post(f"/analysis/contributions/{contribution_id}/quote", data={"finding_id": "x"})
    assert bad.status_code == 303
    assert "Choisissez un enseignement" in client.get("/analysis/").get_data(True)


def test_finding_form_errors_come_back_with_422(analysed, client, login):
    """A finding without title is refused with a French message and nothing saved."""
    login(client, analysed.analyst)
    response = client.post(
        f"/analysis/consultations/{analysed.consultation.id}/findings", data={"title": ""}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(Finding).where(Finding.title == "")) is None
    response = client.post(f"/analysis/findings/{analysed.finding.id}", data={"title": "x" * 300})
    assert response.status_code == 422


def test_search_page(analysed, client, login):
    """Search results, and a question from another consultation is a 404."""
    login(client, analysed.analyst)
    url = f"/analysis/consultations/{analysed.consultation.id}/search"
    page = client.get(url, query_string={"q": "HÔPITAL"}).get_data(True)
    assert "hôpital" in page
    assert client.get(url, query_string={"q": "x", "question": 99999}).status_code == 404
    assert client.get(url, query_string={"q": "zzzz"}).status_code == 200


def test_exports_download_and_unpublished_needs_the_right(analysed, client, login, make_user):
    """Analysts download CSV and XLSX; only moderators or administrators add unpublished ones."""
    login(client, analysed.analyst)
    url = f"/analysis/consultations/{analysed.consultation.id}/export"
    response = client.get(url + ".csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(True).count("\r\n") == 73
    assert client.get(url + ".xlsx").data[:2] == b"PK"
    assert client.get(url + ".csv?include=all").status_code == 403
    client.post("/logout")
    login(client, make_user(roles=("analyst", "moderator")))
    assert client.get(url + ".csv?include=all").status_code == 200


def test_drafts_and_unknown_ids_are_404(client, login, make_user, make_consultation):
    """A draft consultation cannot be analysed; unknown ids are 404, never 500."""
    login(client, make_user(roles=("analyst",)))
    draft = make_consultation(status="draft")
    for url in (
        f"/analysis/consultations/{draft.id}",
        "/analysis/consultations/9999/report",
        "/analysis/topics/9999",
        "/analysis/questions/9999/words",
        "/analysis/findings/9999",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/analysis/contributions/9999/tag", data={"topic_id": 1}).status_code == 404


def test_navigation_shows_analysis_to_readers_only(client, login, make_user):
    """The menu entry appears for analysts and organisers."""
    login(client, make_user(roles=("organiser",)))
    assert "/analysis/" in client.get("/").get_data(True)
    client.post("/logout")
    login(client, make_user(roles=("participant",)))
    assert 'href="/analysis/"' not in client.get("/").get_data(True)


def test_only_analysts_delete_findings(analysed, client, login, make_user):
    """Organisers read findings but cannot delete them; analysts can."""
    finding_id = analysed.finding.id
    url = f"/analysis/findings/{finding_id}/delete"
    login(client, make_user(roles=("organiser",)))
    assert client.post(url).status_code == 403
    client.post("/logout")
    login(client, analysed.analyst)
    assert client.post(url).status_code == 303
    assert db.session.get(Finding, finding_id) is None


def test_a_quote_can_be_cut_and_a_bad_length_is_refused(analysed, client, login):
    """The quote form takes a length: cut quotes end with "…"; nonsense lengths are refused."""
    login(client, analysed.analyst)
    contribution = db.session.scalar(
        select(Contribution).where(Contribution.question_id == analysed.open_question.id)
    )
    url = f"/analysis/contributions/{contribution.id}/quote"
    client.post(url, data={"finding_id": analysed.finding.id, "max_length": "5"})
    assert "Entre 20 et 2 000 caractères" in client.get("/analysis/").get_data(True)
    client.post(url, data={"finding_id": analysed.finding.id, "max_length": "25"})
    page = client.get(f"/analysis/consultations/{analysed.consultation.id}/findings")
    assert "…\u00a0» — " in page.get_data(True)
