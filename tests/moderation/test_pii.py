"""Personal-data detector: true and false positives in French, masking and highlighting."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.moderation.pii import (
    DEFAULT_LABELS,
    Kind,
    Span,
    detect,
    detect_in_markup,
    highlight_markup,
    is_valid_nir,
    mask,
    mask_markup,
    nir_key,
)


def found(text):
    """(kind, matched text) pairs, for readable assertions."""
    return [(s.kind, text[s.start : s.end]) for s in detect(text)]


# --- e-mails -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("Écrivez-moi à jean.dupont@exemple.fr, merci.", "jean.dupont@exemple.fr"),
        (
            "Contact : marie-claire_92+mutuelle@sous.domaine.co.uk",
            "marie-claire_92+mutuelle@sous.domaine.co.uk",
        ),
        ("(JEAN.DUPONT@EXEMPLE.FR)", "JEAN.DUPONT@EXEMPLE.FR"),
        (
            "mon adresse jean [at] mutuelle [point] fr pour en parler",
            "jean [at] mutuelle [point] fr",
        ),
        ("sophie(at)orange.fr", "sophie(at)orange.fr"),
        ("paul arobase gmail.com", "paul arobase gmail.com"),
        ("<mailto:a.b@c.fr>", "a.b@c.fr"),
    ],
)
def test_emails_found(text, email):
    """Usual and obfuscated e-mail addresses are found whole."""
    assert found(text) == [(Kind.EMAIL, email)]


@pytest.mark.parametrize(
    "text",
    [
        "Suivez @MutuelleSante sur les réseaux.",
        "Le taux est de 5 % @ la fin de l'année.",
        "On se retrouve at home, dit-il en anglais.",
        "Le fichier rapport.final.pdf est joint.",
        "jean@localhost n'est pas une adresse publique",
        "Adresse incomplète : jean@",
    ],
)
def test_not_emails(text):
    """Handles, symbols and file names are not e-mails."""
    assert [k for k, _ in found(text) if k == Kind.EMAIL] == []


# --- phones ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Appelez-moi au 06 12 34 56 78 le soir.", "06 12 34 56 78"),
        ("tél. 06.12.34.56.78", "06.12.34.56.78"),
        ("tel:0612345678", "0612345678"),
        ("fixe 01-23-45-67-89", "01-23-45-67-89"),
        ("Mon portable : +33 6 12 34 56 78.", "+33 6 12 34 56 78"),
        ("Mon portable : +33612345678.", "+33612345678"),
        ("Depuis l'étranger 0033 (0)1 23 45 67 89", "0033 (0)1 23 45 67 89"),
        ("+33 (0)7 12 34 56 78", "+33 (0)7 12 34 56 78"),
        ("La Réunion : +262 6 92 12 34 56", "+262 6 92 12 34 56"),
        ("numéro 09\u00a087\u00a065\u00a043\u00a021", "09\u00a087\u00a065\u00a043\u00a021"),
        ("0 6 12 34 56 78", "0 6 12 34 56 78"),
    ],
)
def test_phones_found(text, phone):
    """French national and international formats, with spaces, dots, dashes or nothing."""
    assert found(text) == [(Kind.PHONE, phone)]


@pytest.mark.parametrize(
    "text",
    [
        "Nous étions 16 000 salariés et 350 000 contributions en 2021.",
        "Le 12/05/2021 à 10h30, puis le 01.02.2022.",
        "Contrat n° 1234567890, dossier 00123.",
        "La cotisation passe de 0,50 € à 1,20 €.",
        "Le numéro SIRET 732 829 320 00074 est public.",
        "Code 00 12 34 56 78 90 12 (trop long pour un téléphone)",
        "Il a 06 ans et 12 frères.",
        "+44 20 7946 0958 est un numéro britannique",
    ],
)
def test_not_phones(text):
    """Counts, dates, amounts, company ids and long codes are not phones."""
    assert [k for k, _ in found(text) if k == Kind.PHONE] == []


# --- NIR ---------------------------------------------------------------------------------------


def test_nir_key_examples():
    """The key is 97 - (n mod 97); Corsica 2A/2B count as 19/18 (20 minus 1 or 2 million)."""
    assert nir_key("1850578006084") == 97 - 1850578006084 % 97 == 91
    assert nir_key("285102A123456") == 97 - (2851020123456 - 1_000_000) % 97
    assert nir_key("185112B004017") == 97 - (1851120004017 - 2_000_000) % 97
    with pytest.raises(ValueError):
        nir_key("12345")


@pytest.mark.parametrize(
    "nir",
    [
        "1 85 05 78 006 084 91",
        "185057800608491",
        "1.85.05.78.006.084.91",
        "1-85-05-78-006-084-91",
        f"2 85 10 2A 123 456 {nir_key('285102A123456'):02d}",
        f"1 85 11 2b 004 017 {nir_key('185112B004017'):02d}",
        f"2 99 01 13 055 011 {nir_key('2990113055011'):02d}",
    ],
)
def test_nir_found_with_valid_key(nir):
    """A NIR with a valid key is found whatever its separators."""
    assert is_valid_nir(nir)
    text = f"Mon numéro de sécu : {nir}, merci de le garder pour vous."
    assert found(text) == [(Kind.NIR, nir)]


@pytest.mark.parametrize(
    "text",
    [
        "Mon numéro de sécu : 1 85 05 78 006 084 92.",  # wrong key
        "185057800608400",  # wrong key
        "1 85 13 78 006 084 91 (mois 13 impossible)",
        "5 85 05 78 006 084 91",  # no such first digit
        "1 85 05 78 006 084",  # key missing
        "Référence 9185057800608491 de la facture",  # longer digit run
    ],
)
def test_not_nir(text):
    """Wrong key, impossible month or sex digit, missing key: not a NIR."""
    assert [k for k, _ in found(text) if k == Kind.NIR] == []


def test_nir_wins_over_phone_inside_it():
    """A NIR holds ten-digit runs; it is reported once, as a NIR."""
    text = "1 85 05 78 006 084 91"
    assert found(text) == [(Kind.NIR, text)]


# --- postal addresses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "J'habite au 12 rue de la Paix 75002 Paris depuis dix ans.",
            "12 rue de la Paix 75002 Paris",
        ),
        ("Venez au 12, rue de la paix et on en parle.", "12, rue de la paix"),
        ("8 bis avenue du 8 Mai 1945, 69003 Lyon", "8 bis avenue du 8 Mai 1945, 69003 Lyon"),
        ("au 4 place Bellecour", "4 place Bellecour"),
        ("12 cours Mirabeau 13100 Aix-en-Provence", "12 cours Mirabeau 13100 Aix-en-Provence"),
        (
            "3 rue des Lilas, 93200 Saint-Denis Cedex 2.",
            "3 rue des Lilas, 93200 Saint-Denis Cedex 2",
        ),
        ("7 rue de l'Église, 44000 Nantes", "7 rue de l'Église, 44000 Nantes"),
        ("5 impasse d'Alsace", "5 impasse d'Alsace"),
        ("140 bd Haussmann", "140 bd Haussmann"),
        ("2 allée des Tilleuls 35000 Rennes", "2 allée des Tilleuls 35000 Rennes"),
        ("15 chemin du Moulin", "15 chemin du Moulin"),
        ("10 RUE VICTOR HUGO", "10 RUE VICTOR HUGO"),
        # without a house number, a postcode makes it an address
        (
            "J'habite rue de la Paix à Paris (75002) depuis peu.",
            "rue de la Paix à Paris (75002)",
        ),
        ("J'habite rue de la Paix à Paris 75002.", "rue de la Paix à Paris 75002"),
        ("Écrivez-moi rue de la Paix, 75002 Paris.", "rue de la Paix, 75002 Paris"),
        ("chez moi, avenue des Lilas 69003 Lyon", "avenue des Lilas 69003 Lyon"),
        ("12 rue de la Paix à Paris 75002", "12 rue de la Paix à Paris 75002"),
    ],
)
def test_addresses_found(text, address):
    """Number, street type, name, and the postcode and city when they follow."""
    assert found(text) == [(Kind.ADDRESS, address)]


@pytest.mark.parametrize(
    "text",
    [
        "J'ai pris 2 cours de yoga remboursés par la mutuelle.",
        "Il reste 3 places de parking devant l'agence.",
        "Il y a 1 rue à traverser pour aller à la pharmacie.",
        "La rue de la Paix est belle mais chère.",
        "La rue de la Paix à Paris est belle mais chère.",
        "Sur la place du marché, nous étions 75002 personnes.",
        "La route de 2012 à Paris.",
        "J'ai fait 10 km sur la route de campagne.",
        "Les 2 chemins de randonnée sont fermés.",
        "Sur 3 passages à l'hôpital, 2 étaient inutiles.",
        "Je vis à Paris depuis 2012.",
        "Nous étions 75002 personnes? Non, 75 000 à Paris.",
    ],
)
def test_not_addresses(text):
    """Common nouns after numbers, streets without number, cities alone are not addresses."""
    assert [k for k, _ in found(text) if k == Kind.ADDRESS] == []


# --- whole texts -------------------------------------------------------------------------------


def test_realistic_contribution():
    """A long testimony with several kinds, each found once, in reading order."""
    text = (
        "Bonjour, suite à mon opération du genou, la prise en charge a été lente. "
        "Vous pouvez me joindre au 06 12 34 56 78 ou par mail à m.durand@laposte.net. "
        "Mon dossier est au nom de mon NIR 1 85 05 78 006 084 91 et j'habite "
        "3 rue des Lilas, 93200 Saint-Denis. En 2021 j'ai payé 1 200 € de cotisations."
    )
    assert [k for k, _ in found(text)] == [Kind.PHONE, Kind.EMAIL, Kind.NIR, Kind.ADDRESS]


def test_clean_text_has_nothing():
    """An ordinary opinion is left alone."""
    text = (
        "La mutuelle devrait mieux rembourser les lunettes et les soins dentaires. "
        "En 2020, 33 % des salariés ont répondu; 98 % des délégués ont voté pour. "
        "Le 3e objectif (santé environnementale) me semble le plus important."
    )
    assert detect(text) == []


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_spans_are_ordered_disjoint_and_inside(text):
    """Whatever the input, spans are sorted, disjoint and within the text."""
    spans = detect(text)
    assert spans == sorted(spans)
    for first, second in zip(spans, spans[1:], strict=False):
        assert first.end <= second.start
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)


@given(st.text(alphabet="0123456789 .-+()", max_size=60))
def test_digit_soup_never_crashes(text):
    """Digits and separators in any order never break the detector."""
    for span in detect(text):
        assert span.kind in (Kind.PHONE, Kind.NIR)


# --- masking and highlighting ------------------------------------------------------------------


def test_mask_replaces_each_span():
    """The masked version keeps the opinion and drops the identifying parts."""
    text = "Appelez le 06 12 34 56 78 ou écrivez à a@b.fr."
    masked = mask(text, detect(text))
    assert masked == "Appelez le [téléphone] ou écrivez à [e-mail]."
    labels = {kind: f"<{kind.value}>" for kind in Kind}
    assert mask(text, detect(text), labels) == "Appelez le <phone> ou écrivez à <email>."
    assert detect(masked) == []


def test_mask_without_spans_is_identity():
    """No span, no change."""
    assert mask("Rien à signaler", []) == "Rien à signaler"


def test_markup_detection_ignores_tags_and_keeps_offsets():
    """Spans point into the markup; tag names and attributes are not text."""
    markup = '<p>Mon tél : <strong>06 12 34 56 78</strong></p><p><a href="https://exemple.fr/rapport">lien</a></p>'
    spans = detect_in_markup(markup)
    assert [(s.kind, markup[s.start : s.end]) for s in spans] == [(Kind.PHONE, "06 12 34 56 78")]


def test_link_targets_are_searched_too():
    """A "mailto:" or "tel:" link hides data the reader never sees; it is found and masked."""
    markup = '<p><a href="mailto:jean@exemple.fr" rel="nofollow">écrivez-moi</a></p>'
    spans = detect_in_markup(markup)
    assert [(s.kind, markup[s.start : s.end]) for s in spans] == [(Kind.EMAIL, "jean@exemple.fr")]
    masked = mask_markup(markup, spans, {**DEFAULT_LABELS, Kind.EMAIL: '"><script>'})
    assert masked == (
        '<p><a href="mailto:&quot;&gt;&lt;script&gt;" rel="nofollow">écrivez-moi</a></p>'
    )
    highlighted = highlight_markup(markup, spans, lambda chunk, kind: f"[{chunk}]")
    assert highlighted == markup


def test_mask_markup_keeps_tags_balanced():
    """A span across tags is replaced by one label, and every tag stays in place."""
    markup = "<p>Écrire à <em>jean</em>@exemple.fr ou au 06 12 34 56 78</p>"
    spans = detect_in_markup(markup)
    kinds = [s.kind for s in spans]
    assert Kind.PHONE in kinds
    masked = mask_markup(markup, spans)
    assert masked.count("<em>") == 1 and masked.count("</em>") == 1
    assert "06 12 34 56 78" not in masked
    assert masked.startswith("<p>") and masked.endswith("</p>")


def test_mask_markup_inside_one_text_node():
    """The common case: a span inside a paragraph is replaced by its label."""
    markup = "<p>Contact : a.b@c.fr</p><ul><li>NIR 1 85 05 78 006 084 91</li></ul>"
    masked = mask_markup(markup, detect_in_markup(markup), DEFAULT_LABELS)
    assert masked == "<p>Contact : [e-mail]</p><ul><li>NIR [NIR]</li></ul>"


def test_highlight_wraps_each_text_chunk():
    """Highlighting never wraps a tag: a span across tags gives one mark per text chunk."""
    markup = "<p>tél <strong>06 12</strong> 34 56 78</p>"
    spans = [Span(7, len(markup) - 4, Kind.PHONE)]
    assert markup[7 : len(markup) - 4] == "<strong>06 12</strong> 34 56 78"
    spans = detect_in_markup(markup)
    result = highlight_markup(markup, spans, lambda chunk, kind: f"[{kind.value}:{chunk}]")
    assert result == "<p>tél <strong>[phone:06 12]</strong>[phone: 34 56 78]</p>"


def test_highlighting_marks_text_nodes_never_attributes():
    """A detected span inside a link's title stays in the title: the markup stays whole."""
    from html.parser import HTMLParser

    from consult.core.sanitize import clean_html
    from consult.moderation import pii

    markup = clean_html(
        '<p><a href="https://x.fr" title="x> jean.dupont@exemple.fr">lien</a>'
        " écrire à jean.dupont@exemple.fr</p>"
    )
    spans = pii.detect_in_markup(markup)
    marked = pii.highlight_markup(markup, spans, lambda chunk, kind: f"<mark>{chunk}</mark>")
    assert 'title="x&gt; jean.dupont@exemple.fr"' in marked  # the title as nh3 writes it
    assert marked.count("<mark>") == 1 and "à <mark>jean.dupont@exemple.fr</mark>" in marked

    class Titles(HTMLParser):
        titles = []

        def handle_starttag(self, tag, attrs):
            self.titles += [v for k, v in attrs if k == "title"]

    parser = Titles()
    parser.feed(marked)
    assert parser.titles == ["x> jean.dupont@exemple.fr"]
    masked = clean_html(pii.mask_markup(markup, spans))
    assert "jean.dupont" not in masked  # a title or a target is masked too
