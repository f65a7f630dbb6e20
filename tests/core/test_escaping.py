"""Messages are text: what a CSV cell puts into a lazy message is escaped on every page."""

import io

import pytest
from flask import flash, get_flashed_messages, render_template_string
from flask_babel import lazy_gettext as _l

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<a href=# onclick=alert(1)>x</a>",
]


def _assert_inert(page: str, value: str) -> None:
    assert value not in page
    assert "<script>alert" not in page and "<img src=x" not in page and "<a href=#" not in page


@pytest.mark.parametrize("value", HOSTILE)
def test_a_lazy_message_escapes_what_was_formatted_into_it(app, value):
    message = _l("Unknown region “%(value)s”.", value=value)
    with app.test_request_context():
        page = render_template_string("{{ m }}|{{ [m]|join(',') }}", m=message)
    _assert_inert(page, value)
    assert "&lt;" in page


def test_a_flashed_lazy_message_is_escaped_once(app):
    with app.test_request_context():
        flash(_l("Unknown region “%(value)s”.", value="<b>&</b>"))
        page = render_template_string(
            "{% for m in get_flashed_messages() %}{{ m }}{% endfor %}",
            get_flashed_messages=get_flashed_messages,
        )
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in page and "&amp;amp;" not in page


@pytest.fixture
def organiser_client(client, login, make_user):
    login(client, make_user(roles=("organiser",)))
    return client


def _upload(client, url, text, **fields):
    return client.post(
        url,
        data={"file": (io.BytesIO(text.encode()), "hostile.csv"), **fields},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_invitation_import_line_errors_are_escaped(organiser_client, value):
    csv = f"email;category;region;gender\n{value};member;{value};{value}\n"
    response = _upload(organiser_client, "/admin/people/invite", csv)
    assert response.status_code == 422
    _assert_inert(response.get_data(as_text=True), value)


@pytest.mark.parametrize("value", HOSTILE)
def test_invitation_import_header_errors_are_escaped(organiser_client, value):
    csv = f"email;category;{value.replace(';', ',')}\nclaire@example.org;member;x\n"
    response = _upload(organiser_client, "/admin/people/invite", csv)
    assert response.status_code == 422
    _assert_inert(response.get_data(as_text=True), value.replace(";", ","))
