"""Moderation pages: permission matrix, queue, decisions, bulk, flags, authors, limits."""

from datetime import timedelta

import pytest
from conftest import PASSWORD
from sqlalchemy import func, select

from consult.consultations.models import Contribution
from consult.extensions import db, limiter
from consult.moderation import services
from consult.moderation.models import Flag, ModerationStatus, Suspension

from .decisions import current_version, decide
from .samples import NIR_TEXT, PHONE_TEXT

# --- permission matrix -----------------------------------------------------------------------

MODERATOR_PAGES = [
    "/moderation/",
    "/moderation/queue.csv",
    "/moderation/items/{id}",
    "/moderation/suspensions",
]
ORGANISER_PAGES = ["/moderation/settings"]
ADMIN_PAGES = ["/moderation/audit", "/moderation/audit.csv"]
SIGNED_IN_PAGES = ["/moderation/mine", "/moderation/flag/{id}"]
ALL_PAGES = MODERATOR_PAGES + ORGANISER_PAGES + ADMIN_PAGES + SIGNED_IN_PAGES


@pytest.fixture
def published(author, post_consultation, write):
    """A published contribution by the author."""
    return write(author, post_consultation)


@pytest.mark.parametrize("url", ALL_PAGES)
def test_anonymous_is_sent_to_sign_in(client, published, url):
    """Every moderation page needs an account."""
    response = client.get(url.format(id=published.id))
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("participant", SIGNED_IN_PAGES),
        ("moderator", MODERATOR_PAGES + SIGNED_IN_PAGES),
        ("organiser", ORGANISER_PAGES + SIGNED_IN_PAGES),
        ("analyst", SIGNED_IN_PAGES),
        ("administrator", ALL_PAGES),
    ],
)
def test_permission_matrix(client, login, make_user, published, role, allowed):
    """Each role opens its pages and gets 403 on the others."""
    user = make_user(roles=(role,))
    login(client, user)
    for url in ALL_PAGES:
        response = client.get(url.format(id=published.id))
        expected = 200 if url in allowed else 403
        assert response.status_code == expected, (role, url, response.status_code)


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/moderation/bulk", {"action": "approve", "scope": "all"}),
        ("/moderation/items/{id}", {"action": "hide", "version": "1", "reason_code": "off_topic"}),
        ("/moderation/suspensions", {"email": "x@example.org"}),
        ("/moderation/suspensions/1/lift", {}),
        ("/moderation/settings", {"consultation_id": "1", "mode": "pre"}),
    ],
)
def test_participants_cannot_post_to_moderator_actions(client, login, author, published, url, data):
    """A forged POST from a participant is refused and changes nothing."""
    login(client, author)
    response = client.post(url.format(id=published.id), data=data)
    assert response.status_code == 403
    assert db.session.get(Contribution, published.id).state == "published"


def test_only_the_author_edits_their_rejected_text(
    client, login, author, participants, moderator, published, now
):
    """Another participant gets 404 on someone else's edit page."""
    decide(moderator, published, "hide", now, reason_code="off_topic")
    decide(moderator, published, "reject", now, reason_code="off_topic")
    login(client, participants(1)[0])
    assert client.get(f"/moderation/mine/{published.id}/edit").status_code == 404
    assert (
        client.post(f"/moderation/mine/{published.id}/edit", data={"text": "x"}).status_code == 404
    )


# --- queue, item, bulk -----------------------------------------------------------------------


def test_queue_shows_context_not_names(client, login, moderator, author, pre_consultation, write):
    """Moderators see question and profile, not the author's name; administrators do."""
    write(author, pre_consultation, PHONE_TEXT)
    login(client, moderator)
    page = client.get("/moderation/").get_data(as_text=True)
    assert pre_consultation.questions[0].prompt in page
    assert "Adhérente" in page  # the profile
    assert author.email not in page
    assert "<caption>" in page and 'scope="col"' in page


def test_admin_sees_the_author(client, login, admin, author, pre_consultation, write):
    """The right to see names belongs to administrators."""
    write(author, pre_consultation)
    login(client, admin)
    assert author.email in client.get("/moderation/").get_data(as_text=True)


def test_item_page_highlights_personal_data(
    client, login, moderator, author, post_consultation, write
):
    """Spans are marked, listed, and the masked version is previewed."""
    contribution = write(author, post_consultation, NIR_TEXT)
    login(client, moderator)
    page = client.get(f"/moderation/items/{contribution.id}").get_data(as_text=True)
    assert '<mark class="pii"' in page and "1 85 05 78 006 084 91</mark>" in page
    assert "[numéro de sécurité sociale retiré]" in page


def test_decide_from_the_item_page(client, login, moderator, author, pre_consultation, write):
    """A decision posted with the version seen is recorded, then back to the queue."""
    contribution = write(author, pre_consultation)
    login(client, moderator)
    response = client.post(
        f"/moderation/items/{contribution.id}",
        data={
            "action": "reject",
            "reason_code": "off_topic",
            "version": current_version(contribution),
        },
    )
    assert response.status_code == 303
    assert db.session.get(Contribution, contribution.id).state == "rejected"


def test_second_moderator_is_told(
    client, login, moderator, admin, author, pre_consultation, write, now
):
    """The loser of a race sees a 409 page with the current state, nothing changed."""
    contribution = write(author, pre_consultation)
    seen = current_version(contribution)
    services.decide(admin, contribution, "approve", expected_version=seen, now=now)
    db.session.commit()
    login(client, moderator)
    response = client.post(
        f"/moderation/items/{contribution.id}",
        data={"action": "reject", "reason_code": "off_topic", "version": seen},
    )
    assert response.status_code == 409
    assert "entre-temps" in response.get_data(as_text=True)
    assert db.session.get(Contribution, contribution.id).state == "published"


def test_bad_decision_input_is_a_clear_422(
    client, login, moderator, author, pre_consultation, write
):
    """Missing reason, forged action, forged version: 422 with a message, nothing changed."""
    contribution = write(author, pre_consultation)
    login(client, moderator)
    url = f"/moderation/items/{contribution.id}"
    for data in (
        {"action": "reject", "version": current_version(contribution)},
        {"action": "explode", "version": current_version(contribution)},
        {"action": "approve", "version": "abc"},
        {"action": "approve"},
    ):
        response = client.post(url, data=data)
        assert response.status_code in (409, 422), data
    assert db.session.get(Contribution, contribution.id).state == "pending"


def test_bulk_selected_and_all(client, login, moderator, participants, pre_consultation, write):
    """Bulk on ticked items, then on everything matching the filters."""
    people = participants(4)
    items = [write(p, pre_consultation) for p in people]
    login(client, moderator)
    response = client.post(
        "/moderation/bulk",
        data={
            "action": "approve",
            "scope": "selected",
            "item": [f"{items[0].id}:{current_version(items[0])}", "garbage", "1:x"],
        },
    )
    assert response.status_code == 303
    assert db.session.get(Contribution, items[0].id).state == "published"
    response = client.post(
        f"/moderation/bulk?consultation={pre_consultation.id}&state=review",
        data={"action": "reject", "reason_code": "duplicate", "scope": "all"},
    )
    assert response.status_code == 303
    states = {c.id: db.session.get(Contribution, c.id).state for c in items}
    assert states == {items[0].id: "published", **{c.id: "rejected" for c in items[1:]}}


def test_bulk_refuses_bad_input(client, login, moderator, author, pre_consultation, write):
    """No decision, no selection, no reason: a message and nothing changes."""
    contribution = write(author, pre_consultation)
    login(client, moderator)
    for data in (
        {"scope": "selected", "item": f"{contribution.id}:1"},
        {"action": "approve", "scope": "selected"},
        {"action": "reject", "scope": "all"},
        {"action": "approve", "scope": "everything"},
    ):
        response = client.post("/moderation/bulk", data=data)
        assert response.status_code == 303
    assert db.session.get(Contribution, contribution.id).state == "pending"


def test_queue_filters_from_the_query_string(
    client, login, moderator, author, pre_consultation, write
):
    """Filters narrow the list; nonsense values are ignored with a warning, never a 500."""
    write(author, pre_consultation)
    login(client, moderator)
    assert client.get("/moderation/?state=published").status_code == 200
    for junk in (
        "?consultation=abc",
        "?min_flags=-4",
        "?from=hier",
        "?state=<script>",
        "?page=-3",
        "?question=99999&consultation=1",
    ):
        response = client.get("/moderation/" + junk)
        assert response.status_code == 200, junk
    page = client.get("/moderation/?personal_data=y").get_data(as_text=True)
    assert "Rien à modérer" in page


# --- flags -----------------------------------------------------------------------------------


def test_flag_form_and_honeypot(client, login, participants, published):
    """A participant flags once; a robot filling the hidden field is refused."""
    reader, robot = participants(2)
    login(client, robot)
    response = client.post(
        f"/moderation/flag/{published.id}",
        data={"reason_code": "insulting", "website": "http://spam.example"},
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 0
    client.post("/logout")
    login(client, reader)
    page = client.get(f"/moderation/flag/{published.id}").get_data(as_text=True)
    assert 'class="honeypot"' in page and 'tabindex="-1"' in page
    response = client.post(f"/moderation/flag/{published.id}", data={"reason_code": "insulting"})
    assert response.status_code == 303
    response = client.post(f"/moderation/flag/{published.id}", data={"reason_code": "insulting"})
    assert response.status_code == 200 or response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 1


def test_flag_refuses_missing_reason_and_unpublished(
    client, login, participants, author, pre_consultation, published, write
):
    """No reason → 422; a pending text cannot even be opened for flagging."""
    reader = participants(1)[0]
    login(client, reader)
    assert client.post(f"/moderation/flag/{published.id}", data={}).status_code == 422
    pending = write(participants(1)[0], pre_consultation)
    assert client.get(f"/moderation/flag/{pending.id}").status_code == 404
    assert client.get("/moderation/flag/999999").status_code == 404


def test_public_list_has_a_flag_link(client, login, participants, published):
    """The flag link sits beside each published contribution of others."""
    login(client, participants(1)[0])
    page = client.get(f"/questions/{published.question_id}/contributions").get_data(as_text=True)
    assert f"/moderation/flag/{published.id}" in page


# --- authors ---------------------------------------------------------------------------------


def test_author_sees_state_reason_and_resubmits(
    client, login, author, moderator, pre_consultation, write, now
):
    """Rejected with a reason; the author edits and the text returns to the queue."""
    contribution = write(author, pre_consultation)
    decide(
        moderator,
        contribution,
        "reject",
        now,
        reason_code="other",
        reason_text="Trop long, merci de résumer.",
    )
    login(client, author)
    page = client.get("/moderation/mine").get_data(as_text=True)
    assert "Trop long, merci de résumer." in page
    assert f"/moderation/mine/{contribution.id}/edit" in page
    assert client.get(f"/moderation/mine/{contribution.id}/edit").status_code == 200
    response = client.post(f"/moderation/mine/{contribution.id}/edit", data={"text": ""})
    assert response.status_code == 422
    response = client.post(
        f"/moderation/mine/{contribution.id}/edit", data={"text": "Version courte."}
    )
    assert response.status_code == 303
    assert db.session.get(Contribution, contribution.id).state == "pending"


def test_my_contributions_links_to_the_reasons(
    client, login, author, moderator, pre_consultation, write, now
):
    """The consultations' own list points a rejected text to its reason."""
    contribution = write(author, pre_consultation)
    decide(moderator, contribution, "reject", now, reason_code="off_topic")
    login(client, author)
    page = client.get("/my/contributions").get_data(as_text=True)
    assert "/moderation/mine" in page


# --- suspensions and settings ----------------------------------------------------------------


def test_suspend_and_lift_from_the_page(client, login, moderator, author, now):
    """A moderator suspends by e-mail with a reason and date, and lifts it."""
    login(client, moderator)
    end = (now + timedelta(days=10)).date().isoformat()
    response = client.post(
        "/moderation/suspensions",
        data={"email": "nobody@example.org", "reason_code": "insulting", "ends_on": end},
    )
    assert response.status_code == 422
    response = client.post(
        "/moderation/suspensions",
        data={"email": author.email, "reason_code": "insulting", "ends_on": "2001-01-01"},
    )
    assert response.status_code == 422
    response = client.post(
        "/moderation/suspensions",
        data={"email": author.email.upper(), "reason_code": "insulting", "ends_on": end},
    )
    assert response.status_code == 303
    suspension = db.session.scalar(select(Suspension))
    assert suspension.user_id == author.id
    assert author.email in client.get("/moderation/suspensions").get_data(as_text=True)
    assert client.post(f"/moderation/suspensions/{suspension.id}/lift").status_code == 303
    assert db.session.get(Suspension, suspension.id).lifted_at is not None
    assert client.post(f"/moderation/suspensions/{suspension.id}/lift").status_code == 303


def test_organiser_sets_the_mode(client, login, organiser, post_consultation):
    """The organiser switches a consultation to pre-moderation."""
    login(client, organiser)
    page = client.get("/moderation/settings").get_data(as_text=True)
    assert f'id="mode-{post_consultation.id}"' in page
    response = client.post(
        "/moderation/settings", data={"consultation_id": post_consultation.id, "mode": "pre"}
    )
    assert response.status_code == 303
    db.session.refresh(post_consultation)
    assert post_consultation.moderation_mode == "pre"
    assert (
        client.post(
            "/moderation/settings", data={"consultation_id": post_consultation.id, "mode": "x"}
        ).status_code
        == 303
    )
    assert client.post("/moderation/settings", data={"consultation_id": "999"}).status_code == 404
    db.session.refresh(post_consultation)
    assert post_consultation.moderation_mode == "pre"


def test_audit_page_and_export(
    client, login, admin, moderator, author, pre_consultation, write, now
):
    """Administrators browse and export the log."""
    contribution = write(author, pre_consultation)
    decide(moderator, contribution, "approve", now)
    login(client, admin)
    page = client.get("/moderation/audit?action=approve").get_data(as_text=True)
    assert f"contribution n° {contribution.id}" in page
    response = client.get("/moderation/audit.csv")
    assert response.mimetype == "text/csv" and "moderation.approve" in response.get_data(
        as_text=True
    )
    assert client.get("/moderation/audit?from=nonsense&actor=abc").status_code == 200


def test_audit_page_writes_labels_not_codes(
    client, login, admin, moderator, author, pre_consultation, write, now
):
    """The log stores codes (off_topic, published); its page writes their labels."""
    contribution = write(author, pre_consultation)
    decide(
        moderator, contribution, "reject", now, reason_code="off_topic", reason_text="Sans rapport."
    )
    login(client, admin)
    page = client.get("/moderation/audit").get_data(as_text=True)
    assert "Hors sujet\u00a0: Sans rapport." in page and "off_topic" not in page
    assert "état\u00a0: Refusée" in page and "state=" not in page


# --- rate limits -----------------------------------------------------------------------------


def test_rate_limits_on_flag_post_and_sign_in(
    app, client, login, participants, author, post_consultation, published
):
    """Flagging, posting and signing in are limited per person (memory storage in tests).

    Everybody here shares one address, as employees behind an office gateway do: a second
    person is not blocked by the first one's limit.
    """
    limits = dict(app.config["RATE_LIMITS"])
    app.config["RATE_LIMITS"] = {endpoint: "2 per minute" for endpoint in limits}
    try:
        readers = participants(3)
        login(client, readers[0])
        codes = [
            client.post(f"/moderation/flag/{published.id}", data={"reason_code": "x"}).status_code
            for _ in range(3)
        ]
        assert codes[-1] == 429 and 429 not in codes[:2]
        question = post_consultation.questions[0]
        codes = [
            client.post(
                f"/questions/{question.id}/answer", data={"answer": f"Avis {i}"}
            ).status_code
            for i in range(3)
        ]
        assert codes[-1] == 429 and 429 not in codes[:2]
        client.post("/logout")
        login(client, readers[1])
        response = client.post(f"/moderation/flag/{published.id}", data={"reason_code": "x"})
        assert response.status_code == 422  # refused for its reason, not for the limit
        client.post("/logout")
        codes = [
            client.post("/login", data={"email": author.email, "password": "wrong"}).status_code
            for _ in range(3)
        ]
        assert codes[-1] == 429 and 429 not in codes[:2]
        response = client.post("/login", data={"email": readers[2].email, "password": "wrong"})
        assert response.status_code == 422
        ceiling = dict(app.config["RATE_LIMITS_PER_ADDRESS"])
        app.config["RATE_LIMITS_PER_ADDRESS"] = {"accounts.login": "3 per minute"}
        limiter.reset()
        try:
            codes = [
                client.post(
                    "/login", data={"email": f"x{i}@example.org", "password": "w"}
                ).status_code
                for i in range(4)
            ]
            assert codes == [422, 422, 422, 429]  # four accounts tried from one address
        finally:
            app.config["RATE_LIMITS_PER_ADDRESS"] = ceiling
    finally:
        app.config["RATE_LIMITS"] = limits


def test_bulk_mails_leave_after_the_response(
    client, login, moderator, participants, pre_consultation, write
):
    """A bulk rejection answers first; the authors' e-mails go once the response is closed."""
    from consult.core import mail

    for person in participants(3):
        write(person, pre_consultation)
    login(client, moderator)
    response = client.post(
        "/moderation/bulk",
        data={"action": "reject", "reason_code": "duplicate", "scope": "all"},
        buffered=False,
    )
    assert response.status_code == 303 and mail.outbox == []
    response.close()
    assert len(mail.outbox) == 3
    assert all(m.get_content_type() == "text/plain" for m in mail.outbox)


def test_honeypots_on_public_forms(client, author, post_consultation):
    """Sign-in, forgotten password and answering refuse a form whose hidden field is filled."""
    from consult.core import mail

    page = client.get("/login").get_data(as_text=True)
    assert 'class="honeypot"' in page and 'name="website"' in page
    response = client.post(
        "/login",
        data={"email": author.email, "password": PASSWORD, "website": "http://spam.example"},
    )
    assert response.status_code == 422
    assert client.get("/moderation/mine").status_code == 302  # still signed out
    response = client.post("/password/forgotten", data={"email": author.email, "website": "x"})
    assert response.status_code == 422 and mail.outbox == []
    client.post("/login", data={"email": author.email, "password": PASSWORD})
    question = post_consultation.questions[0]
    page = client.get(f"/consultations/{post_consultation.id}").get_data(as_text=True)
    assert f'id="website-{question.id}"' in page
    response = client.post(
        f"/questions/{question.id}/answer", data={"answer": "Bonjour", "website": "x"}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Contribution)) == 0
    response = client.post(f"/questions/{question.id}/answer", data={"answer": "Bonjour"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Contribution)) == 1


def test_backfill_command(runner, author, post_consultation, make_contribution):
    """`consult moderation backfill` writes the rows that bulk imports skipped."""
    make_contribution(post_consultation.questions[0], author, state="pending")
    db.session.execute(ModerationStatus.__table__.delete())
    db.session.commit()
    result = runner.invoke(args=["moderation", "backfill"])
    assert result.exit_code == 0 and "1 " in result.output
    assert db.session.scalar(select(func.count()).select_from(ModerationStatus)) == 1


def test_nul_bytes_are_refused_before_reaching_the_database(
    client, login, moderator, author, pre_consultation, write
):
    """A NUL character (PostgreSQL text cannot hold it) gets a 400 page, never a 500."""
    contribution = write(author, pre_consultation)
    login(client, moderator)
    assert client.get("/moderation/?state=pend\x00ing").status_code == 400
    response = client.post(
        f"/moderation/items/{contribution.id}",
        data={
            "action": "reject",
            "reason_code": "other",
            "reason_text": "a\x00b",
            "version": current_version(contribution),
        },
    )
    assert response.status_code == 400
    assert db.session.get(Contribution, contribution.id).state == "pending"


def test_demo_shows_moderation_cases(app):
    """The demonstration has moderation rows for every answer and a few cases to look at."""
    from consult.demo import load_demo

    lines = load_demo(contributions=100)
    assert any("3 with personal data, 1 flagged" in line for line in lines)
    missing = db.session.scalar(
        select(func.count())
        .select_from(Contribution)
        .outerjoin(ModerationStatus, ModerationStatus.contribution_id == Contribution.id)
        .where(ModerationStatus.contribution_id.is_(None))
    )
    assert missing == 0
    assert db.session.scalar(select(func.max(ModerationStatus.flag_count))) == 2


def test_manage_page_shows_the_mode(client, login, organiser, post_consultation):
    """The organiser's page of a consultation says how it is moderated and links to change it."""
    login(client, organiser)
    page = client.get(f"/organise/{post_consultation.id}").get_data(as_text=True)
    assert "a posteriori" in page and f"/moderation/settings#mode-{post_consultation.id}" in page


def test_apply_to_all_is_capped_and_says_so(
    client, login, moderator, participants, pre_consultation, write, monkeypatch
):
    """Above the cap, the first items are decided and the moderator is told to apply again."""
    from consult.moderation import queries

    monkeypatch.setattr(queries, "BULK_LIMIT", 2)
    items = [write(p, pre_consultation) for p in participants(3)]
    login(client, moderator)
    response = client.post("/moderation/bulk", data={"action": "approve", "scope": "all"})
    assert response.status_code == 303
    assert "appliquez à nouveau" in client.get("/moderation/").get_data(as_text=True)
    states = sorted(db.session.get(Contribution, c.id).state for c in items)
    assert states == ["pending", "published", "published"]


def test_after_a_decision_the_next_item_opens(
    client, login, moderator, author, participants, pre_consultation, write
):
    """Two waiting: deciding the first opens the second; "back to the queue" goes to the queue;
    the last one decided returns to the queue."""
    first = write(author, pre_consultation)
    (other,) = participants(1)
    second = write(other, pre_consultation)
    login(client, moderator)
    response = client.post(
        f"/moderation/items/{first.id}",
        data={"action": "approve", "version": current_version(first), "then": "next"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/moderation/items/{second.id}")
    second = db.session.get(Contribution, second.id)
    response = client.post(
        f"/moderation/items/{second.id}",
        data={"action": "approve", "version": current_version(second), "then": "next"},
    )
    assert response.headers["Location"] == "/moderation/"


def test_the_bulk_form_comes_before_the_table(
    client, login, moderator, author, pre_consultation, write
):
    """With many rows, the decision for several stays within reach: above the table."""
    write(author, pre_consultation)
    login(client, moderator)
    page = client.get("/moderation/").get_data(as_text=True)
    assert page.index("bulk-decision") < page.index('<table class="queue">')
