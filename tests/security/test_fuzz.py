"""Every route of app.url_map, every form, as each role, with hostile values: never a 5xx.

The routes come from the URL map and the forms from the pages themselves, so a new route or a
new field is covered without editing this test. On the demonstration (small), each role signs
in and walks every rule; the administrator, who passes every permission check and so reaches
the deepest code, also gets the heavier variants (huge path ids, 1 MB fields, several rounds).
"""

import itertools
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import select

from consult.demo import ACCOUNTS, DEMO_DOMAIN, DEMO_PASSWORD, load_demo
from consult.extensions import db

HUGE = "9" * 40
MEGABYTE = "é" * (512 * 1024)  # 1 MB once encoded
#: What a hostile person types into any field or query argument.
HOSTILE = [
    HUGE,
    "-1",
    "0",
    "a\r\nb",
    "/\t/evil.example",
    "<script>alert(1)</script>",
    "9999-12-31T23:59",
    "0001-01-01",
    "\u202egnp.exe",
    "=cmd|' /C calc'!A0",
    "",
]
#: Bytes that are not UTF-8 at all (an invalid surrogate, a lone continuation byte).
BAD_BYTES = [b"\xed\xa0\x80", b"\x80abc"]
#: Names every query string is tried with, beside those the pages' GET forms declare.
QUERY_NAMES = {"page", "per_page", "q", "next", "question", "consultation", "contribution"}
#: Routes that would end the walk itself (signing out, ending the sessions it uses).
SKIPPED = {"static", "accounts.logout", "accounts.end_other_sessions", "accounts.end_session"}


class Forms(HTMLParser):
    """The forms of a page: (method, action, field names)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, set[str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                ((attrs.get("method") or "get").lower(), attrs.get("action") or "", set())
            )
        elif tag in ("input", "select", "textarea", "button") and self.forms and attrs.get("name"):
            self.forms[-1][2].add(attrs["name"])


def _forms_of(html: str, page_path: str) -> list[tuple[str, str, set[str]]]:
    parser = Forms()
    parser.feed(html)
    return [(m, urlsplit(a).path or page_path, names) for m, a, names in parser.forms]


def _table_for(argument: str, endpoint: str):
    """The table a path argument names ("project_id" in panels: panel_project)."""
    if not argument.endswith("_id"):
        return None
    stem = argument.removesuffix("_id")
    area = endpoint.split(".")[0].rstrip("s")
    tables = {t.name: t for t in db.metadata.sorted_tables}
    for name in (f"{area}_{stem}", stem, f"{area}_{stem}s"):
        if name in tables:
            return tables[name]
    endings = [t for n, t in tables.items() if n.endswith(f"_{stem}")]
    preferred = [t for t in endings if t.name.startswith(area)]
    return (preferred or endings or [None])[0]


def _real_value(argument: str, endpoint: str):
    """An existing id for a path argument, else 1 (the route then answers 404)."""
    table = _table_for(argument, endpoint)
    if table is None:
        return 1 if argument.endswith("_id") or argument == "round_" else "x"
    found = db.session.execute(select(table.c.id).order_by(table.c.id).limit(1)).scalar()
    db.session.rollback()  # end the read: an open SQLite transaction would block the requests
    return found or 1


#: A value put in a path slot, then replaced by a hostile one in the built URL.
SENTINEL = 987654321


def _paths(rule, *, hostile: bool) -> list[str]:
    """The rule's URL with real ids, and (hostile) with huge or negative ids in each slot."""
    values = {a: _real_value(a, rule.endpoint) for a in rule.arguments}
    paths = [rule.build(values, append_unknown=False)[1]]
    if hostile:
        for argument in rule.arguments:
            marked = rule.build({**values, argument: SENTINEL}, append_unknown=False)[1]
            paths += [marked.replace(str(SENTINEL), bad) for bad in (HUGE, "-1", "%00", "a%0D%0Ab")]
    return paths


def _hostile_form(names: set[str], round_: int, *, heavy: bool):
    """A body for these fields: each field a hostile value, some repeated, NUL on its own."""
    body = []
    for index, name in enumerate(sorted(names)):
        value = HOSTILE[(index + round_) % len(HOSTILE)]
        if heavy and index == 0:
            value = MEGABYTE
        body.append((name, value))
        if index % 3 == round_ % 3:
            body.append((name, HOSTILE[(index + round_ + 1) % len(HOSTILE)]))  # repeated
    return body


def _encoded(body: list[tuple[str, str]], bad: bytes | None = None) -> bytes:
    raw = urlencode(body).encode()
    if bad is not None and body:
        raw += b"&" + body[0][0].encode() + b"=" + bad
    return raw


@pytest.fixture
def demo(app):
    """The demonstration, small, and the accounts of each role."""
    load_demo(contributions=60, delegates=12)
    db.session.commit()
    db.session.remove()
    people = {None: None}
    for local, roles, *_rest in ACCOUNTS:
        for role in roles:
            people.setdefault(str(role), f"{local}@{DEMO_DOMAIN}")
    people.setdefault("administrator", f"admin@{DEMO_DOMAIN}")
    return people


def _request(client, failures, role, method, path, **kwargs):
    """One request; a 5xx or an exception is a failure, recorded with what caused it."""
    try:
        response = client.open(path, method=method, **kwargs)
    except Exception as error:  # noqa: BLE001 - any exception is what the test looks for
        db.session.rollback()
        failures.append((role, method, path, f"{type(error).__name__}: {error}"[:300]))
        return None
    if response.status_code >= 500:
        failures.append((role, method, path, response.status_code))
    return response


def test_no_route_answers_5xx_to_hostile_input(app, demo):
    failures = []
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED]
    forms_by_rule: dict[str, set[str]] = defaultdict(set)
    query_names = set(QUERY_NAMES)
    adapter = app.url_map.bind("localhost")

    def harvest(html, page_path):
        for method, action, names in _forms_of(html, page_path):
            if method == "get":
                query_names.update(names)
                continue
            try:
                endpoint, _args = adapter.match(action, method="POST")
            except Exception:  # noqa: BLE001, S112 - a form posting elsewhere
                continue
            forms_by_rule[endpoint].update(names)

    paths = {r.rule: (_paths(r, hostile=False), _paths(r, hostile=True)) for r in rules}
    db.session.remove()
    # The administrator first: their pages hold every form, so every POST rule gets its fields.
    order = ["administrator"] + [r for r in demo if r != "administrator"]
    for role in order:
        client = app.test_client()
        if role is not None:
            response = client.post("/login", data={"email": demo[role], "password": DEMO_PASSWORD})
            assert response.status_code == 302, role
        admin = role == "administrator"
        for rule in rules:
            for path in paths[rule.rule][1 if admin else 0]:
                if "GET" in rule.methods:
                    response = _request(client, failures, role, "GET", path)
                    if admin and response is not None and response.status_code == 200:
                        if "html" in (response.content_type or ""):
                            harvest(response.get_data(as_text=True), path)
                if "POST" in rule.methods:
                    names = forms_by_rule[rule.endpoint] or {"next", "text", "id"}
                    rounds = range(3) if admin else range(1)
                    for round_ in rounds:
                        body = _hostile_form(names, round_, heavy=admin and round_ == 0)
                        _request(
                            client,
                            failures,
                            role,
                            "POST",
                            path,
                            data=_encoded(body, BAD_BYTES[round_ % 2] if round_ else None),
                            content_type="application/x-www-form-urlencoded",
                        )
                    if admin:
                        _request(client, failures, role, "POST", path, data={"x": "a\x00b"})
            if admin and "GET" in rule.methods:
                path = paths[rule.rule][0][0]
                for value in itertools.islice(itertools.cycle(HOSTILE), 3):
                    query = urlencode([(n, value) for n in sorted(query_names)] + [("page", HUGE)])
                    _request(client, failures, role, "GET", f"{path}?{query}")
                _request(client, failures, role, "GET", f"{path}?page=%ED%A0%80&q=%80")
    assert failures == []
