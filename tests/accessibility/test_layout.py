"""The shared layout: a compact header, confirmation steps, French text marked as French,
one date format, a script file (never inline), demonstration names with their accents."""

import re
from datetime import date

from consult.assembly import services as assembly


def _html(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_header_groups_the_links_and_folds_them_into_a_menu_on_phones(client, sign_in_as):
    sign_in_as("organiser")
    page = _html(client.get("/"))
    header = page[page.index("<header") : page.index("</header>")]
    wide, phone = header.split('<details class="nav-phone">')
    # wide screens: the areas in a row, management pages and the account in disclosure menus
    row = wide[wide.index('class="nav-list"') : wide.index("</ul>")]
    assert "Consultations" in row and "Personnes" not in row and "Organiser" not in row
    assert re.search(r"<summary>Gérer</summary>\s*<ul>.*Organiser.*Personnes", wide, re.S)
    assert re.search(r"<summary>Mon compte</summary>.*Mon profil.*Se déconnecter", wide, re.S)
    # phones: the same links behind one Menu button, which opens without JavaScript
    assert "<summary>Menu</summary>" in phone and "Personnes" in phone
    assert header.count('aria-label="Navigation principale"') == 2


def test_anonymous_and_participant_headers_have_no_management_menu(client, sign_in_as):
    assert "Gérer" not in _html(client.get("/")) and "Se connecter" in _html(client.get("/"))
    sign_in_as("participant")
    page = _html(client.get("/"))
    assert "<summary>Gérer</summary>" not in page and "<summary>Mon compte</summary>" in page


def test_pages_load_one_script_file_and_no_inline_script(client):
    page = _html(client.get("/login"))
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/js/consult.js" defer>']
    with client.get("/static/js/consult.js") as script:
        assert script.status_code == 200 and "error-summary" in script.get_data(as_text=True)


def test_closing_a_consultation_asks_for_confirmation_without_javascript(
    client, sign_in_as, make_consultation
):
    consultation = make_consultation()
    sign_in_as("organiser")
    page = _html(client.get(f"/organise/{consultation.id}"))
    step = re.search(r'<details class="confirm">(.*?)</details>', page, re.S).group(1)
    assert "Clôturer maintenant</summary>" in step
    assert "La clôture est définitive" in step and 'type="submit"' in step


def test_french_content_is_marked_french_on_english_pages(client, sign_in_as, make_consultation):
    consultation = make_consultation(title="Notre raison d’être")
    sign_in_as("participant")
    client.post("/language", data={"lang": "en", "next": "/"})
    page = _html(client.get(f"/consultations/{consultation.id}"))
    assert '<html lang="en">' in page
    assert '<h1 lang="fr">Notre raison d’être</h1>' in page
    assert '<span lang="fr">Pourquoi notre mutuelle existe-t-elle ?</span>' in page


def test_an_assembly_page_shows_dates_in_one_format(app, client, sign_in_as, now):
    officer = sign_in_as("organiser")
    with app.test_request_context():
        item = assembly.create_assembly(
            officer, title="AG", held_on=date(2026, 6, 20), convocation=1, proxy_cap=1,
            allow_vote_change=True, now=now,
        )  # fmt: skip
    from consult.extensions import db

    db.session.commit()
    page = _html(client.get(f"/assemblies/{item.id}/minutes"))
    assert "20 juin 2026" in page and "20/06/2026" not in page


def test_demonstration_names_keep_their_accents(runner):
    from consult.accounts.models import User
    from consult.extensions import db

    assert runner.invoke(args=["demo", "--contributions", "50"]).exit_code == 0
    names = set(db.session.scalars(db.select(User.display_name)))
    assert {"Adhérente", "Modérateur", "Délégué", "Salarié"} <= names
