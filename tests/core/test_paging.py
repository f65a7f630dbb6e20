"""A page number far beyond any listing is clamped (or refused), never a 500 from OFFSET."""

import pytest

HUGE = "9" * 30


@pytest.mark.parametrize(
    "path",
    [
        f"/moderation/?page={HUGE}",
        f"/moderation/audit?page={HUGE}",
        f"/admin/people?page={HUGE}",
        "/admin/people?page=-3",
    ],
)
def test_listings_clamp_the_page_number(client, sign_in_as, path):
    sign_in_as("administrator")
    assert client.get(path).status_code == 200


def test_the_api_refuses_a_page_beyond_the_limit_with_json(client, sign_in_as, make_consultation):
    consultation = make_consultation()
    sign_in_as("analyst")
    response = client.get(f"/api/v1/consultations/{consultation.id}/contributions?page={HUGE}")
    assert response.status_code == 400
    assert response.is_json
