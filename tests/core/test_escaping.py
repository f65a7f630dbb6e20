"""Messages are text: what a CSV cell puts into a lazy message is escaped on every page."""

import pytest
from flask import flash, get_flashed_messages, render_template_string

from consult.core.i18n import lazy_gettext as _l

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
