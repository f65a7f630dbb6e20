"""Account pages: the permission matrix, signing in and out, profile, links, CSV invitations."""

import html
import io
import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import EVERY_ROLE, PASSWORD
from sqlalchemy import func, select

from consult.accounts import services
from consult.accounts.models import Population, Region, User
from consult.core import mail
from consult.extensions import db

ORGANISER = ("organiser",)
ADMINISTRATOR = ("administrator",)
GOOD_CSV = (
    "email;category;region;age_band;gender;name\n"
    "claire.martin@example.org;member;Occitanie;40-60;f;Claire Martin\n"
    "paul.durand@example.org;employee;Bretagne;30-40;m;Paul Durand\n"
)


def text(response) -> str:
    """The page as a person reads it (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def link_in_last_mail(to: str) -> str:
    """The path of the link in the last e-mail sent to an address."""
    message = next(m for m in reversed(mail.outbox) if m["To"] == to)
    url = re.search(r"https?://\S+", message.get_content()).group(0)
    return urlsplit(url).path


def user_count() -> int:
    """How many accounts exist."""
    return db.session.scalar(select(func.count()).select_from(User))


# --- the permission matrix --------------------------------------------------------------------


@pytest.fixture
def world(make_user, reference_data, now):
    """What the routes act on: a person to manage, one invited without a password, a region."""
    populations, regions = reference_data
    target = make_user(email="target@example.org")
    invited = make_user(email="invited@example.org", password=None, consented=False)
    token = services.issue_token(invited, "invitation", now=now, valid_for=timedelta(days=30))
    reset = services.issue_token(target, "password_reset", now=now, valid_for=timedelta(hours=2))
    db.session.commit()
    return SimpleNamespace(
        target=target.id,
        invited=invited.id,
        token=token,
        reset=reset,
        member=populations["member"].id,
        region=regions["Corse"].id,
    )


def _population_form(code="retraite", name="Retraités"):
    return {
        "code": code,
        "name": name,
        "label_feminine": "Retraitée",
        "label_masculine": "Retraité",
        "label_neutral": "Retraité·e",
    }


#: (route, method, path, form data, who may open it, success statuses)
ROUTES = [
    ("login", "GET", lambda w: "/login", None, None, (200, 302)),
    (
        "login",
        "POST",
        lambda w: "/login",
        lambda w: {"email": "target@example.org", "password": PASSWORD},
        None,
        (302,),
    ),
    ("logout", "POST", lambda w: "/logout", lambda w: {}, None, (302,)),
    ("forgotten_password", "GET", lambda w: "/password/forgotten", None, None, (200,)),
    (
        "forgotten_password",
        "POST",
        lambda w: "/password/forgotten",
        lambda w: {"email": "target@example.org"},
        None,
        (302,),
    ),
    ("accept_invitation", "GET", lambda w: f"/invitation/{w.token}", None, None, (200,)),
    (
        "accept_invitation",
        "POST",
        lambda w: f"/invitation/{w.token}",
        lambda w: {"password": "a-new-password-42", "confirm": "a-new-password-42"},
        None,
        (302,),
    ),
    ("reset_password", "GET", lambda w: f"/password/reset/{w.reset}", None, None, (200,)),
    (
        "reset_password",
        "POST",
        lambda w: f"/password/reset/{w.reset}",
        lambda w: {"password": "a-new-password-42", "confirm": "a-new-password-42"},
        None,
        (302,),
    ),
    ("profile", "GET", lambda w: "/profile", None, (), (200,)),
    (
        "profile",
        "POST",
        lambda w: "/profile",
        lambda w: {
            "gender_form": "f",
            "age_band": "40-60",
            "region": w.region,
            "consent": "y",
        },
        (),
        (302,),
    ),
    ("change_password", "GET", lambda w: "/account/password", None, (), (200,)),
    (
        "change_password",
        "POST",
        lambda w: "/account/password",
        lambda w: {
            "current": PASSWORD,
            "password": "une-nouvelle-phrase-42",
            "confirm": "une-nouvelle-phrase-42",
        },
        (),
        (302,),
    ),
    ("sessions_page", "GET", lambda w: "/account/sessions", None, (), (200,)),
    ("end_session", "POST", lambda w: "/account/sessions/999999/end", lambda w: {}, (), (404,)),
    (
        "end_other_sessions",
        "POST",
        lambda w: "/account/sessions/end-others",
        lambda w: {},
        (),
        (303,),
    ),
    ("people", "GET", lambda w: "/admin/people?q=target", None, ORGANISER, (200,)),
    ("person", "GET", lambda w: f"/admin/people/{w.target}", None, ADMINISTRATOR, (200,)),
    (
        "person",
        "POST",
        lambda w: f"/admin/people/{w.target}",
        lambda w: {"roles": ["participant", "analyst"], "active": "y"},
        ADMINISTRATOR,
        (302,),
    ),
    (
        "invite_again",
        "POST",
        lambda w: f"/admin/people/{w.invited}/invite-again",
        lambda w: {},
        ORGANISER,
        (302,),
    ),
    ("invite", "GET", lambda w: "/admin/people/invite", None, ORGANISER, (200,)),
    (
        "invite",
        "POST",
        lambda w: "/admin/people/invite",
        lambda w: {"file": (io.BytesIO(GOOD_CSV.encode()), "adherents.csv")},
        ORGANISER,
        (302,),
    ),
    ("populations", "GET", lambda w: "/admin/populations", None, ADMINISTRATOR, (200,)),
    (
        "populations",
        "POST",
        lambda w: "/admin/populations",
        lambda w: _population_form(),
        ADMINISTRATOR,
        (302,),
    ),
    (
        "population",
        "GET",
        lambda w: f"/admin/populations/{w.member}",
        None,
        ADMINISTRATOR,
        (200,),
    ),
    (
        "population",
        "POST",
        lambda w: f"/admin/populations/{w.member}",
        lambda w: _population_form(code="member", name="Adhérents et ayants droit"),
        ADMINISTRATOR,
        (302,),
    ),
    ("regions", "GET", lambda w: "/admin/regions", None, ADMINISTRATOR, (200,)),
    (
        "regions",
        "POST",
        lambda w: "/admin/regions",
        lambda w: {"name": "Atlantide"},
        ADMINISTRATOR,
        (302,),
    ),
    ("regions", "GET", lambda w: f"/admin/regions/{w.region}", None, ADMINISTRATOR, (200,)),
    (
        "region",
        "POST",
        lambda w: f"/admin/regions/{w.region}",
        lambda w: {"name": "Corse-du-Sud"},
        ADMINISTRATOR,
        (302,),
    ),
]


@pytest.mark.parametrize("role", EVERY_ROLE, ids=lambda r: r or "anonymous")
@pytest.mark.parametrize(
    ("method", "path", "data", "allowed", "ok"),
    [route[1:] for route in ROUTES],
    ids=[f"{route[1]} {route[0]}" for route in ROUTES],
)
def test_permission_matrix(
    client, world, sign_in_as, check_access, table_counts, role, method, path, data, allowed, ok
):
    sign_in_as(role)
    url = path(world)
    before = table_counts()
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data=data(world))
    check_access(response, role, allowed, url, ok)
    if response.status_code in (302, 403) and allowed and (role is None or role not in allowed):
        if role != "administrator":
            assert table_counts() == before, "a refused request changed something"


def test_every_account_route_and_method_is_in_the_matrix(app):
    covered = {(f"accounts.{route[0]}", route[1]) for route in ROUTES}
    served = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("accounts.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served - covered == set()


# --- signing in and out -----------------------------------------------------------------------


def test_login_form_has_email_and_password_fields(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' in page
    assert 'type="password"' in page and "<label" in page


def test_login_with_csrf_on_needs_the_token_from_the_form(app, client, make_user):
    user = make_user()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_login_then_logout(client, make_user, now):
    user = make_user(email="claire@example.org")
    response = client.post("/login", data={"email": "Claire@Example.org", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/profile").status_code == 200
    assert db.session.get(User, user.id).last_login_at is not None
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/profile").status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [("claire@example.org", "wrong-password-1"), ("nobody@example.org", PASSWORD)],
)
def test_wrong_credentials_get_422_with_a_french_message(client, make_user, email, password):
    make_user(email="claire@example.org")
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 422
    assert "Adresse e-mail ou mot de passe incorrect." in text(response)
    assert client.get("/profile").status_code == 302


def test_empty_login_form_gets_422(client):
    response = client.post("/login", data={})
    assert response.status_code == 422


def test_a_deactivated_account_cannot_sign_in(client, make_user):
    make_user(email="claire@example.org", active=False)
    response = client.post("/login", data={"email": "claire@example.org", "password": PASSWORD})
    assert response.status_code == 422
    assert client.get("/profile").status_code == 302


def test_a_deactivated_account_is_signed_out_on_its_next_request(client, make_user, login):
    user = make_user()
    login(client, user)
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert client.get("/profile").status_code == 302


def test_login_follows_a_local_next(client, make_user):
    user = make_user()
    response = client.post(
        "/login?next=/my/contributions", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/my/contributions"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_login_refuses_an_open_redirect(client, make_user, target):
    user = make_user()
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_signing_in_without_a_profile_asks_for_it_first(client, make_user):
    user = make_user(consented=False)
    response = client.post(
        "/login?next=/my/contributions", data={"email": user.email, "password": PASSWORD}
    )
    location = urlsplit(response.headers["Location"])
    assert location.path == "/profile"
    assert parse_qs(location.query) == {"next": ["/my/contributions"]}


# --- profile ----------------------------------------------------------------------------------


def test_the_profile_needs_consent(client, make_user, login, reference_data):
    populations, regions = reference_data
    user = make_user(consented=False)
    login(client, user)
    form = {
        "population": populations["employee"].id,
        "gender_form": "m",
        "age_band": "20-30",
        "region": regions["Bretagne"].id,
    }
    response = client.post("/profile", data=form)
    assert response.status_code == 422
    assert "Veuillez accepter l’utilisation de votre profil pour participer." in text(response)
    user = db.session.get(User, user.id)
    assert user.population.code == "member" and user.profile_consented_at is None
    response = client.post("/profile?next=/my/contributions", data=form | {"consent": "y"})
    assert response.status_code == 302 and response.headers["Location"] == "/my/contributions"
    user = db.session.get(User, user.id)
    # The population is not the person's to pick: an "employee" sent by a member is ignored.
    assert (user.population.code, user.gender_form, user.age_band, user.region.name) == (
        "member",
        "m",
        "20-30",
        "Bretagne",
    )
    assert user.profile_consented_at is not None


def test_the_profile_refuses_values_outside_the_lists(client, make_user, login, reference_data):
    populations, _ = reference_data
    user = make_user()
    login(client, user)
    form = {"population": populations["employee"].id, "gender_form": "x", "consent": "y"}
    response = client.post("/profile", data=form | {"region": "0", "age_band": "15-18"})
    assert response.status_code == 422
    assert db.session.get(User, user.id).population.code == "member"


def test_the_profile_page_shows_the_current_profile(client, make_user, login):
    login(client, make_user())
    page = client.get("/profile").get_data(as_text=True)
    assert '<option selected value="40-60">' in page
    assert re.search(r'<input checked [^>]*value="f"', page)


# --- invitation links -------------------------------------------------------------------------


def test_invitation_flow_from_the_csv_import(client, make_user, login):
    organiser = make_user(roles=ORGANISER)
    login(client, organiser)
    response = client.post(
        "/admin/people/invite",
        data={"file": (io.BytesIO(GOOD_CSV.encode("utf-8-sig")), "adherents.csv")},
    )
    assert response.status_code == 302
    columns = urlsplit(response.headers["Location"]).path
    mapping = ["email", "category", "region", "age_band", "gender", "name"]
    response = client.post(columns, data={f"column-{i}": key for i, key in enumerate(mapping)})
    batch = urlsplit(response.headers["Location"]).path
    assert "2 invitations en cours d’envoi" not in text(client.get(batch))
    client.post(batch + "/confirm")
    assert "2 invitations en cours d’envoi" in text(client.get(batch))
    assert sorted(m["To"] for m in mail.outbox) == [
        "claire.martin@example.org",
        "paul.durand@example.org",
    ]
    link = link_in_last_mail("claire.martin@example.org")
    client.post("/logout")

    page = client.get(link)
    assert page.status_code == 200 and "claire.martin@example.org" in text(page)
    response = client.post(link, data={"password": "short", "confirm": "short"})
    assert response.status_code == 422
    response = client.post(
        link, data={"password": "a-new-password-42", "confirm": "another-password-42"}
    )
    assert response.status_code == 422
    response = client.post(
        link, data={"password": "a-new-password-42", "confirm": "a-new-password-42"}
    )
    # Signed in, and asked for the profile consent before anything else.
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/profile"
    assert client.get("/profile").status_code == 200
    client.post("/logout")
    assert client.get(link).status_code == 410
    response = client.post(
        link, data={"password": "third-password-42", "confirm": "third-password-42"}
    )
    assert response.status_code == 410
    assert "déjà été utilisé" in text(response)
    login(client, services.find_user_by_email("claire.martin@example.org"), "a-new-password-42")


def test_an_expired_invitation_is_refused(client, make_user, now):
    user = make_user(password=None)
    token = services.issue_token(
        user, "invitation", now=now - timedelta(days=31), valid_for=timedelta(days=30)
    )
    db.session.commit()
    response = client.get(f"/invitation/{token}")
    assert response.status_code == 410 and "a expiré" in text(response)


def test_invite_again_sends_a_new_link_and_the_old_one_stops(client, make_user, login, now):
    invited = make_user(password=None, email="lea@example.org")
    old = services.issue_token(invited, "invitation", now=now, valid_for=timedelta(days=30))
    db.session.commit()
    login(client, make_user(roles=ORGANISER))
    assert client.post(f"/admin/people/{invited.id}/invite-again").status_code == 302
    new = link_in_last_mail("lea@example.org")
    assert client.get(f"/invitation/{old}").status_code == 410
    assert client.get(new).status_code == 200


def test_invite_again_is_refused_for_someone_with_a_password(client, make_user, login):
    person = make_user()
    login(client, make_user(roles=ORGANISER))
    response = client.post(f"/admin/people/{person.id}/invite-again")
    assert response.status_code == 303
    assert mail.outbox == []


# --- password reset ---------------------------------------------------------------------------


def test_password_reset_flow_answers_the_same_whether_the_address_exists(client, make_user):
    make_user(email="claire@example.org")
    pages = []
    for email in ("claire@example.org", "nobody@example.org"):
        response = client.post("/password/forgotten", data={"email": email})
        assert response.status_code == 302
        page = text(client.get(response.headers["Location"]))
        # A CSRF token carries the second it was signed: two renderings may differ by it alone.
        page = re.sub(r'name="csrf_token"([^>]*)value="[^"]*"', r'name="csrf_token"\1', page)
        pages.append((response.headers["Location"], page))
    assert pages[0] == pages[1]
    assert (
        "Si un compte existe avec cette adresse, un lien vient de lui être envoyé." in pages[0][1]
    )
    assert [m["To"] for m in mail.outbox] == ["claire@example.org"]
    link = link_in_last_mail("claire@example.org")
    response = client.post(
        link, data={"password": "a-new-password-42", "confirm": "a-new-password-42"}
    )
    assert response.status_code == 302
    client.post("/logout")
    response = client.post("/login", data={"email": "claire@example.org", "password": PASSWORD})
    assert response.status_code == 422
    assert client.get(link).status_code == 410


def test_no_reset_mail_for_a_deactivated_account(client, make_user):
    make_user(email="claire@example.org", active=False)
    response = client.post("/password/forgotten", data={"email": "claire@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


# --- the invitation import (the import itself: test_imports.py) -----------------------------


@pytest.fixture
def organiser_client(client, make_user, login):
    """The client signed in as an organiser."""
    login(client, make_user(roles=ORGANISER))
    return client


def test_import_without_a_file_is_refused(organiser_client):
    response = organiser_client.post("/admin/people/invite", data={})
    assert response.status_code == 422
    assert "Choisissez un fichier." in text(response)


# --- people administration --------------------------------------------------------------------


def test_people_search_finds_by_email_and_role(client, make_user, login):
    login(client, make_user(roles=ORGANISER))
    make_user(email="claire@example.org")
    make_user(email="modo@example.org", roles=("moderator",))
    page = text(client.get("/admin/people?q=CLAIRE"))
    assert "claire@example.org" in page and "modo@example.org" not in page
    page = text(client.get("/admin/people?role=moderator"))
    assert "modo@example.org" in page and "claire@example.org" not in page
    assert client.get("/admin/people?role=emperor").status_code == 200
    for page in ("-3", "abc", "99999999999999999999"):
        assert client.get(f"/admin/people?page={page}").status_code == 200


def test_an_administrator_changes_roles_but_not_their_own_administrator_role(
    client, make_user, login
):
    admin = make_user(roles=ADMINISTRATOR)
    person = make_user()
    login(client, admin)
    response = client.post(
        f"/admin/people/{person.id}", data={"roles": ["moderator"], "active": "y"}
    )
    assert response.status_code == 302
    assert db.session.get(User, person.id).role_names == {"moderator"}
    response = client.post(
        f"/admin/people/{admin.id}", data={"roles": ["organiser"], "active": "y"}
    )
    assert response.status_code == 422
    assert "Vous ne pouvez pas retirer votre propre rôle" in text(response)
    assert db.session.get(User, admin.id).role_names == {"administrator"}
    response = client.post(f"/admin/people/{person.id}", data={"roles": ["emperor"], "active": "y"})
    assert response.status_code == 422
    assert client.get("/admin/people/999999").status_code == 404


def test_an_administrator_deactivates_an_account(client, make_user, login):
    login(client, make_user(roles=ADMINISTRATOR))
    person = make_user()
    response = client.post(f"/admin/people/{person.id}", data={"roles": ["participant"]})
    assert response.status_code == 302
    assert db.session.get(User, person.id).active is False


def test_populations_and_regions_refuse_duplicates(client, make_user, login):
    login(client, make_user(roles=ADMINISTRATOR))
    response = client.post("/admin/populations", data=_population_form(code="member"))
    assert response.status_code == 422
    response = client.post("/admin/regions", data={"name": "occitanie"})
    assert response.status_code == 422
    assert (
        db.session.scalar(
            select(func.count()).select_from(Region).where(Region.name.ilike("occitanie"))
        )
        == 1
    )
    assert db.session.scalar(select(func.count()).select_from(Population)) == 5


# --- rate limits ------------------------------------------------------------------------------


def test_reset_links_to_one_address_are_limited(client, make_user):
    make_user(email="claire@example.org")
    for _ in range(5):
        response = client.post("/password/forgotten", data={"email": "claire@example.org"})
        assert response.status_code == 302
    response = client.post("/password/forgotten", data={"email": "claire@example.org"})
    assert response.status_code == 429
    assert len(mail.outbox) == 5


def test_a_new_password_signs_out_every_other_session(app, client, make_user, login):
    user = make_user(email="claire@example.org")
    elsewhere = app.test_client()
    login(elsewhere, user)
    assert elsewhere.get("/profile").status_code == 200
    client.post("/password/forgotten", data={"email": "claire@example.org"})
    link = link_in_last_mail("claire@example.org")
    response = client.post(
        link, data={"password": "a-new-password-42", "confirm": "a-new-password-42"}
    )
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    assert elsewhere.get("/profile").status_code == 302


def test_a_forged_session_id_signs_nobody_in(client, make_user, login):
    user = make_user()
    login(client, user)
    with client.session_transaction() as session:
        genuine = session["_user_id"]
    assert genuine.startswith(f"{user.id}.")
    for forged in (str(user.id), f"{user.id}.0000000000000000", "abc", "", genuine):
        with client.session_transaction() as session:
            session["_user_id"] = forged
        expected = 200 if forged == genuine else 302
        assert client.get("/profile").status_code == expected, forged
