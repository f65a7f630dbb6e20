"""French word normalisation and frequencies: worked examples and properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.analysis.words import (
    STOP_WORDS,
    Normaliser,
    fold,
    markup_text,
    normalise,
    normalise_token,
    search_terms,
    singular,
    strip_accents,
    tokenize,
    word_frequencies,
)


@pytest.mark.parametrize(
    ("raw", "key", "display"),
    [
        ("Santé", "sante", "santé"),
        ("SANTÉ", "sante", "santé"),
        ("santés", "sante", "santé"),
        ("l'écoute", "ecoute", "écoute"),
        ("L’écoute", "ecoute", "écoute"),
        ("d'Adhérents", "adherent", "adhérent"),
        ("qu'entraide", "entraide", "entraide"),
        ("lorsqu'Internet", "internet", "internet"),
        ("mutuelles", "mutuelle", "mutuelle"),
        ("hôpitaux", "hopital", "hôpital"),
        ("Sociaux", "social", "social"),
        ("travaux", "travail", "travail"),
        ("bureaux", "bureau", "bureau"),
        ("enjeux", "enjeu", "enjeu"),
        ("genoux", "genou", "genou"),
        ("élus", "elu", "élu"),
        ("revenus", "revenu", "revenu"),
        ("bien-être", "bien-etre", "bien-être"),
        ("soins-dentaires", "soin-dentaire", "soin-dentaire"),
        ("Œuvres", "oeuvre", "œuvre"),
    ],
)
def test_normalise_token_worked_examples(raw, key, display):
    """Case, accents, elision and plurals all reduce to one key; the display keeps accents."""
    word = normalise_token(raw)
    assert word is not None
    assert (word.key, word.display) == (key, display)


@pytest.mark.parametrize(
    "invariable",
    ["taux", "prix", "accès", "temps", "pays", "virus", "corps", "avis", "succès", "fils"],
)
def test_singular_words_ending_in_s_or_x_are_kept(invariable):
    """Words that end in s or x in the singular are not cut."""
    assert singular(invariable) == invariable


@pytest.mark.parametrize(
    "stop", ["les", "Des", "qu'elle", "aujourd'hui", "C'est-à-dire", "peut-on", "a-t-il", "x"]
)
def test_stop_words_and_single_letters_are_dropped(stop):
    """Articles, pronouns, auxiliaries, idioms and stray letters carry no meaning."""
    assert normalise_token(stop) is None


def test_normalise_a_sentence():
    """A full answer keeps only its meaningful words, in reading order."""
    text = "Pour moi, la santé c'est l'essentiel : les mutuelles doivent écouter leurs adhérents !"
    assert normalise(text) == ["sante", "essentiel", "mutuelle", "ecouter", "adherent"]


def test_tokenize_keeps_compounds_and_skips_numbers():
    """Hyphenated and apostrophised words stay whole; digits are not words."""
    assert tokenize("Le 12/03, bien-être et aujourd'hui : 100 %") == [
        "Le",
        "bien-être",
        "et",
        "aujourd'hui",
    ]
    assert tokenize("") == []


def test_word_frequencies_merge_the_spellings_of_one_word():
    """Forty-seven ways to write "health" count as one word with their variants."""
    texts = ["Santé", "la santé", "SANTE", "santés !", "sante", "L'écoute", "écoute et santé"]
    counts = word_frequencies(texts)
    assert [(c.display, c.occurrences, c.texts) for c in counts] == [
        ("santé", 6, 6),
        ("écoute", 2, 2),
    ]
    assert counts[0].variants == 5  # Santé, santé, SANTE, santés, sante


def test_word_frequencies_count_texts_once_per_word():
    """A word repeated in one text counts every occurrence but one text."""
    counts = word_frequencies(["santé santé santé", "santé"])
    assert (counts[0].occurrences, counts[0].texts) == (4, 2)


def test_word_frequencies_ties_are_alphabetical_and_limit_applies():
    """Equal counts come in alphabetical order of the key; the limit keeps the first ones."""
    counts = word_frequencies(["zèbre abeille moustique"], limit=2)
    assert [c.key for c in counts] == ["abeille", "moustique"]


def test_display_prefers_an_accented_spelling():
    """Hasty spellings without accents do not win the display over the correct one."""
    counts = word_frequencies(["sante", "sante", "santé"])
    assert counts[0].display == "santé"


def test_normaliser_cache_gives_the_same_result():
    """The cached path and the direct function agree."""
    normaliser = Normaliser()
    text = "Les hôpitaux, l'hôpital et les Hôpitaux"
    assert normaliser.keys(text) == normaliser.keys(text) == normalise(text)
    assert normaliser.keys(text) == ["hopital", "hopital", "hopital"]


@given(st.text(max_size=200))
def test_normalise_never_fails_and_keys_are_plain(text):
    """Any input gives lower-case keys without accents and without stop words."""
    for key in normalise(text):
        assert key == strip_accents(key).lower()
        assert key not in STOP_WORDS
        assert len(key) >= 2


@given(st.text(alphabet="abcdeéèêàùôîçxsuAÉ", min_size=1, max_size=12))
def test_normalisation_ignores_case_and_accents(word):
    """Upper case or accents never change a word's key."""
    plain = normalise_token(strip_accents(word).lower())
    upper = normalise_token(word.upper())
    assert (plain.key if plain else None) == (upper.key if upper else None)


@given(st.lists(st.sampled_from(["santé", "Santé", "les soins", "écoute", "le"]), max_size=30))
def test_frequencies_add_up(texts):
    """Occurrences equal the number of kept tokens; texts never exceed occurrences."""
    counts = word_frequencies(texts)
    assert sum(c.occurrences for c in counts) == sum(len(normalise(t)) for t in texts)
    for count in counts:
        assert 1 <= count.texts <= min(count.occurrences, len(texts))


def test_markup_text_reads_sanitised_html():
    """Paragraphs and line breaks become new lines, entities are decoded, tags disappear."""
    markup = "<p>La santé &amp; l'accès<br>aux <strong>soins</strong></p><p>Merci</p>"
    assert markup_text(markup) == "La santé & l'accès\naux soins\nMerci"
    assert markup_text(None) == "" and markup_text(" santé ") == "santé"


def test_search_terms_fold_and_drop_stop_words():
    """Queries match regardless of case and accents; stop words only count when alone."""
    assert search_terms("La SANTÉ et l'écoute") == ["sante", "ecoute"]
    assert search_terms("les les") == ["les"]
    assert search_terms("  ") == [] and search_terms(None) == []
    assert len(search_terms(" ".join("abcdefghijklmnopqrst"[i] * 3 for i in range(20)))) == 8
    assert fold("Œuvre Élue") == "oeuvre elue"
