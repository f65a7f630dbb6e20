"""Administration pages: the permission matrix, the landing page after sign-in, the settings."""

import html

import pytest
from conftest import EVERY_ROLE, PASSWORD
from sqlalchemy import select

from consult.admin import settings
from consult.core.models import AuditEvent
from consult.extensions import db

ADMIN = ("administrator",)

#: (endpoint, method, path, form data, success statuses)
ROUTES = [
    ("home", "GET", "/admin/", None, (200,)),
    ("settings_page", "GET", "/admin/settings", None, (200,)),
    (
        "save_setting",
        "POST",
        "/admin/settings/moderation.flag_threshold",
        {"moderation-flag_threshold-value": "5"},
        (303,),
    ),
    (
        "save_setting",
        "POST",
        "/admin/settings/moderation.reasons",
        {"moderation-reasons-value": "spam: Publicité"},
        (303,),
    ),
    (
        "save_setting",
        "POST",
        "/admin/settings/assembly.majority_base",
        {"assembly-majority_base-value": "present_represented"},
        (303,),
    ),
    (
        "save_setting",
        "POST",
        "/admin/settings/analysis.min_group_size",
        {"analysis-min_group_size-value": "12"},
        (303,),
    ),
    (
        "save_setting",
        "POST",
        "/admin/settings/assembly.rules",
        {
            "assembly-rules-statutory_1_quorum": "1/2",
            "assembly-rules-statutory_1_majority": "3/4",
            "assembly-rules-statutory_2_majority": "2/3",
            "assembly-rules-ordinary_1_majority": "1/2",
            "assembly-rules-ordinary_1_strict": "y",
            "assembly-rules-ordinary_2_majority": "1/2",
        },
        (303,),
    ),
]


def text(response) -> str:
    """The page as a person reads it."""
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("role", EVERY_ROLE)
@pytest.mark.parametrize(("endpoint", "method", "path", "data", "ok"), ROUTES)
def test_permission_matrix(
    client, sign_in_as, check_access, table_counts, role, endpoint, method, path, data, ok
):
    sign_in_as(role)
    before = table_counts()
    response = client.get(path) if method == "GET" else client.post(path, data=data)
    check_access(response, role, ADMIN, path, ok)
    if role != "administrator":
        assert table_counts() == before, "a refused request changed something"


def test_every_admin_route_and_method_is_in_the_matrix(app):
    covered = {(f"admin.{route[0]}", route[1]) for route in ROUTES}
    served = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == covered


def test_an_administrator_lands_on_the_administration_home(client, make_user):
    admin = make_user(roles=("administrator",))
    response = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    page = text(client.get("/admin/"))
    assert "Administration" in page and "Modération" in page
    assert 'href="/admin/settings"' in page and 'href="/admin/people"' in page


def test_an_administrator_still_goes_where_they_were_going(client, make_user):
    admin = make_user(roles=("administrator",))
    response = client.post(
        "/login?next=/moderation/", data={"email": admin.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/moderation/"


def test_a_participant_does_not_land_on_administration(client, make_user):
    person = make_user()
    response = client.post("/login", data={"email": person.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_the_home_counts_what_waits(client, login, make_user, make_consultation):
    make_consultation(status="draft", title="Brouillon")
    make_consultation(title="Ouverte")
    login(client, make_user(roles=("administrator",)))
    page = text(client.get("/admin/"))
    assert "Consultations en brouillon</a></th><td>1</td>" in page
    assert "Consultations ouvertes en ce moment</a></th><td>1</td>" in page


def test_a_refused_value_comes_back_with_its_message_and_changes_nothing(
    client, login, make_user, table_counts
):
    login(client, make_user(roles=("administrator",)))
    before = table_counts()
    response = client.post(
        "/admin/settings/moderation.flag_threshold",
        data={"moderation-flag_threshold-value": "0"},
    )
    assert response.status_code == 422
    assert "Saisissez un nombre de 1 à 1\u202f000." in text(response) or (
        "Saisissez un nombre de 1 à 1\u00a0000." in text(response)
    )
    response = client.post(
        "/admin/settings/assembly.rules",
        data={"assembly-rules-statutory_1_majority": "deux tiers"},
    )
    assert response.status_code == 422 and 'aria-invalid="true"' in text(response)
    assert table_counts() == before
    assert client.post("/admin/settings/unknown", data={}).status_code == 404


def test_a_saved_setting_is_shown_and_logged(app, client, login, make_user):
    admin = make_user(roles=("administrator",))
    login(client, admin)
    response = client.post(
        "/admin/settings/analysis.min_group_size", data={"analysis-min_group_size-value": "12"}
    )
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "enregistré" in page and 'value="12"' in page and admin.email in page
    assert settings.current("analysis.min_group_size") == 12
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.setting")).one()
    assert event.actor_id == admin.id and event.after["value"] == 12
    client.post(
        "/admin/settings/analysis.min_group_size", data={"analysis-min_group_size-value": "12"}
    )
    assert "rien n’a changé" in text(client.get("/admin/settings"))


def test_the_settings_page_shows_every_rate_limit_in_words(app, client, login, make_user):
    """One row per limit of describe_limits(), in French with Babel's numbers."""
    from consult.core.ratelimits import describe_limits

    login(client, make_user(roles=("administrator",)))
    saved = {key: app.config[key] for key in ("API_RATE_LIMIT", "SIGN_IN_ACCOUNT_PACE")}
    app.config.update(API_RATE_LIMIT="1500 per minute; 20000 per day")
    app.config.update(SIGN_IN_ACCOUNT_PACE="1 per 10 seconds")
    try:
        page = text(client.get("/admin/settings"))
        with app.test_request_context():
            described = describe_limits()
    finally:
        app.config.update(saved)
    section = page.split('id="limits"', 1)[1].split("</section>", 1)[0]
    assert section.count('<tr><th scope="row">') == len(described)
    for limit in described:
        assert f"<code>{limit.setting}</code>" in section
    assert "1\u202f500 par minute et 20\u202f000 par jour" in section
    assert "1 toutes les 10 secondes" in section
    assert "Lire l’API de données ouvertes" in section and "per minute" not in section
