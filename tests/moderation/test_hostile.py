"""The hostile corpus through posting, moderation, public and moderator pages, exports, e-mails."""

import csv
import io

import pytest

from consult.consultations import services as consultations
from consult.core import mail
from consult.core.errors import RuleError
from consult.core.sanitize import clean_html, plain_text, rich, text_to_html
from consult.extensions import db
from consult.moderation import services
from consult.moderation.models import ModerationStatus

from .hostile import HOSTILE_INPUTS, active_content, user_markup_problems

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_the_corpus_is_large_and_varied():
    """At least 100 distinct inputs, covering every family the issue names."""
    assert len(set(HOSTILE_INPUTS)) >= 100
    joined = "\n".join(HOSTILE_INPUTS).lower()
    for family in ("<script", "onerror", "javascript:", "data:", "<svg", "<!--", "%3c", "&#"):
        assert family in joined, family


@pytest.mark.parametrize("payload", HOSTILE_INPUTS)
def test_sanitiser_output_is_inert_and_stable(payload):
    """Every input, as rich text or plain text, comes out inside the allow-list, idempotently."""
    for cleaned in (clean_html(payload), text_to_html(payload)):
        assert user_markup_problems(cleaned) == [], (payload, cleaned)
        assert clean_html(cleaned) == cleaned
        assert user_markup_problems(str(rich(cleaned))) == []


def test_sanitiser_drops_invisible_controls():
    """Bidi overrides and control characters (used to disguise text) do not survive."""
    cleaned = clean_html("<p>facture\u202egnp.exe\u0000 et \u2066isolé\u2069\x07</p>")
    assert cleaned == "<p>facturegnp.exe et isolé</p>"
    assert plain_text(text_to_html("ligne 1\nligne 2")) == "ligne 1\nligne 2"


@pytest.fixture
def hostile_world(app, make_user, consultation_in, moderator, now):
    """One post-moderated consultation with every hostile input posted by its own author.

    Each payload follows a few words of opinion, so that payloads that clean down to nothing
    still reach every page (alone they are refused as empty answers, which is also tested).
    """
    consultation = consultation_in(
        "post", questions=[("open", "Que pensez-vous de la mutuelle ? <script>alert(1)</script>")]
    )
    question = consultation.questions[0]
    stored, refused = [], []
    for index, payload in enumerate(HOSTILE_INPUTS):
        author = make_user(email=f"hostile{index}@example.org")
        try:
            text = f"Avis {index} : {payload}"
            stored.append(consultations.answer(author, question, text=text, now=now))
            db.session.commit()
        except RuleError:
            db.session.rollback()
            refused.append(payload)
    return consultation, question, stored, refused


def _all_pages(client, first_url, per_page, total):
    """The HTML of every page of a paginated list."""
    pages = (total + per_page - 1) // per_page
    separator = "&" if "?" in first_url else "?"
    return [
        client.get(f"{first_url}{separator}page={n}").get_data(as_text=True)
        for n in range(1, pages + 1)
    ]


def test_corpus_through_every_page_export_and_mail(
    hostile_world, client, login, make_user, moderator, admin, now
):
    """Nothing a participant wrote can run anywhere the platform shows or sends it."""
    consultation, question, stored, refused = hostile_world
    assert not refused and len(stored) >= 100
    for contribution in stored:
        assert user_markup_problems(contribution.body) == [], contribution.body

    # The public page, every page of it, as another participant.
    reader = make_user(email="lectrice@example.org")
    login(client, reader)
    published = [c for c in stored if c.state == "published"]
    pages = _all_pages(client, f"/questions/{question.id}/contributions", 20, len(published))
    for html in pages:
        assert active_content(html) == []
    assert sum(html.count('class="contribution"') for html in pages) == len(published)
    for contribution in published[:10]:
        html = client.get(f"/moderation/flag/{contribution.id}").get_data(as_text=True)
        assert active_content(html) == []
    client.post("/logout")

    # The moderator's queue (all states) and every item page, then reject all with hostile reasons.
    login(client, moderator)
    for html in _all_pages(client, "/moderation/?state=", 50, len(stored)):
        assert active_content(html) == []
    for contribution in stored:
        html = client.get(f"/moderation/items/{contribution.id}").get_data(as_text=True)
        assert active_content(html) == [], contribution.id
    mail.outbox.clear()
    for contribution, reason in zip(stored, HOSTILE_INPUTS, strict=False):
        status = db.session.get(ModerationStatus, contribution.id)
        action = "hide" if contribution.state == "published" else "reject"
        services.decide(
            moderator,
            contribution,
            action,
            expected_version=status.version,
            reason_code="other",
            reason_text=reason[:500],
            now=now,
        )
        db.session.commit()
    for contribution in stored[:20]:
        html = client.get(f"/moderation/items/{contribution.id}").get_data(as_text=True)
        assert active_content(html) == []

    # Exports: no cell a spreadsheet would run.
    for url in ("/moderation/queue.csv?state=",):
        rows = list(
            csv.reader(
                io.StringIO(client.get(url).get_data(as_text=True).lstrip("\ufeff")), delimiter=";"
            )
        )
        assert len(rows) == len(stored) + 1
        for row in rows:
            for cell in row:
                assert not cell.startswith(FORMULA_STARTS), cell
    client.post("/logout")

    # E-mails to authors: plain text only, one recipient, no injected headers.
    assert len(mail.outbox) == len(stored)
    for message in mail.outbox:
        assert message.get_content_type() == "text/plain" and not message.is_multipart()
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
        assert message["Bcc"] is None and len(message.get_all("To")) == 1

    # The authors' own page, and the administrators' log and its export.
    author = stored[0].author
    from consult.core.clock import utcnow  # noqa: F401 - the page reads the clock itself

    login(client, author)
    assert active_content(client.get("/moderation/mine").get_data(as_text=True)) == []
    client.post("/logout")
    login(client, admin)
    for html in _all_pages(client, "/moderation/audit", 50, len(stored)):
        assert active_content(html) == []
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/moderation/audit.csv").get_data(as_text=True).lstrip("\ufeff")
            ),
            delimiter=";",
        )
    )
    assert len(rows) == len(stored) + 1
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell


def test_words_question_refuses_markup(make_user, consultation_in, now):
    """A few-words answer with markup is refused outright; stored words are plain text."""
    consultation = consultation_in("post", questions=[("words", "Trois mots ?")])
    question = consultation.questions[0]
    author = make_user()
    for payload in HOSTILE_INPUTS:
        try:
            contribution = consultations.answer(author, question, text=payload, now=now)
        except RuleError:
            db.session.rollback()
            continue
        assert "<" not in contribution.body and ">" not in contribution.body
        db.session.rollback()


def test_payloads_alone_are_stored_clean_or_refused(make_user, consultation_in, now):
    """Posted alone, a payload is stored inside the allow-list or refused as empty."""
    consultation = consultation_in("post")
    question = consultation.questions[0]
    outcomes = {"stored": 0, "refused": 0}
    for index, payload in enumerate(HOSTILE_INPUTS):
        author = make_user(email=f"seul{index}@example.org")
        try:
            contribution = consultations.answer(author, question, text=payload, now=now)
        except RuleError:
            outcomes["refused"] += 1
            db.session.rollback()
            continue
        assert user_markup_problems(contribution.body) == []
        outcomes["stored"] += 1
        db.session.commit()
    assert outcomes["stored"] > 0 and outcomes["refused"] > 0
