"""In headless Chromium: an organiser invites people from Excel's CSV, step by step."""

from pathlib import Path

import pytest
from conftest import PASSWORD
from playwright.sync_api import expect

from consult.accounts.services import find_user_by_email

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).resolve().parents[2] / "static" / "examples" / "invitations.csv"


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_organiser_uploads_maps_previews_and_confirms(
    live_server, page, screenshot, axe, make_user, width
):
    organiser = make_user(roles=("organiser",))
    hostile = "<img src=x onerror=alert(1)>"
    raw = EXAMPLE.read_bytes().replace(b"Tranche d\xe2\x80\x99\xc3\xa2ge", hostile.encode())
    raw += b"pas-une-adresse;member;;;;\r\n"
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Adresse e-mail").fill(organiser.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server.url}/admin/people/invite")
    axe.check(page)
    screenshot(page, f"imports-upload-{width}")
    page.get_by_label("Fichier").set_input_files(
        files=[{"name": "adherents.csv", "mimeType": "text/csv", "buffer": raw}]
    )
    page.get_by_role("button", name="Lire le fichier").click()
    # The columns: French names recognised, the hostile one shown as text and left out.
    # expect() waits for the next page (reading the file takes a while on a busy machine).
    expect(page.get_by_text(hostile).first).to_be_attached()
    axe.check(page)
    screenshot(page, f"imports-columns-{width}")
    page.get_by_role("button", name="Voir l’aperçu").click()
    expect(page.get_by_role("table", name="Lignes refusées")).to_be_visible()
    expect(page.get_by_text("pas-une-adresse").first).to_be_attached()
    axe.check(page)
    screenshot(page, f"imports-preview-{width}")
    page.get_by_role("button", name="Importer, sans les lignes refusées").click()
    expect(page.get_by_role("heading", name="Import terminé")).to_be_visible()
    axe.check(page)
    screenshot(page, f"imports-done-{width}")
    assert find_user_by_email("claire.martin@exemple.org") is not None
    assert page.evaluate("() => document.querySelectorAll('img[src=x]').length") == 0
