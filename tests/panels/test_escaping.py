"""Panel imports and forms echo a partner's file as text, never as markup."""

import io

import pytest

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<a href=# onclick=alert(1)>x</a>",
]


def _assert_inert(page: str, value: str) -> None:
    assert value not in page
    assert "<script>alert" not in page and "<img src=x" not in page and "<a href=#" not in page


def _upload(client, url, text, **fields):
    return client.post(
        url,
        data={"file": (io.BytesIO(text.encode()), "hostile.csv"), **fields},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_duplicate_feature_values_are_escaped(client, login, organiser, make_project, value):
    project = make_project()
    login(client, organiser)
    response = client.post(
        f"/panels/organise/{project.id}/features",
        data={"label": "Lieu", "values": f"a = {value}\nb = {value}"},
    )
    assert response.status_code < 500
    if response.status_code in (302, 303):
        response = client.get(response.headers["Location"])
    _assert_inert(response.get_data(as_text=True), value)
