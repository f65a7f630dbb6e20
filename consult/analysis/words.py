"""French word normalisation and word frequencies (pure functions, no Flask).

A word is normalised in four steps so that "Santé", "SANTE", "la santé" and "santés" count as one:
case folding, accents removed (for the comparison key only), elision removed (l', d', qu'...),
plural reduced to the singular, stop words dropped. The display form keeps the accents.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

# Elided articles, pronouns and conjunctions written before a vowel ("l'avis", "qu'elle").
ELISIONS = frozenset("l d j m n s t c qu jusqu lorsqu puisqu quoiqu".split())
APOSTROPHES = "'’ʼ`´"
# Letters, optionally joined by hyphens or apostrophes ("bien-être", "aujourd'hui", "l'avis").
TOKEN_RE = re.compile(r"[^\W\d_]+(?:[-'’ʼ][^\W\d_]+)*")
# Pronouns glued to a verb by a hyphen ("peut-on", "a-t-il", "donnez-moi").
CLITICS = frozenset(
    "je tu il ils elle elles on nous vous t moi toi le la les lui leur leurs y en ce ci la".split()
)

# Stop words, written accent-free and lower-case (the comparison form).
STOP_WORDS = frozenset(
    """
    a ai aie aient aies ait afin ainsi alors apres as assez au aucun aucune aujourd'hui auquel aura
    aurai auraient aurais aurait auras aurez auriez aurions aurons auront aussi autant autre autres
    aux avaient avais avait avant avec avez aviez avions avoir avons ayant ayez ayons
    bah beaucoup bien bon c ca car ce ceci cela celle celles celui cependant certain certaine
    certaines certains ces cet cette ceux chacun chacune chaque chez ci comme comment d dans de
    deja des desquelles desquels dessous dessus deux devant doit doivent donc dont du duquel durant
    elle elles en encore entre es est est-a-dire et etaient etais etait etant ete etes etiez etions
    etre eu eue eues eurent eus eut eux faire fait faut fois font fut furent hors ici il ils j je
    jusqu jusque l la laquelle le lequel les lesquelles lesquels leur leurs lors lorsque lui m ma
    mais me meme memes mes moi moins mon n ne ni non nos notre nous o on ont ou ou par parce parmi
    pas peu peut peuvent plus plusieurs pour pourquoi pourrait pouvoir puis puisque qu quand que
    quel quelle quelles quelqu'un quelque quelques quels qui quoi s sa sans se sera serai seraient
    serais serait seras serez seriez serions serons seront ses si sien soi soient sois soit sommes
    son sont sous souvent suis sur t ta tandis tant te tel telle telles tels tes toi ton tous tout
    toute toutes tres trop tu un une unes uns vers voici voila vos votre vous vu y
    oui ok etc cad svp
    """.split()
)

# Words that end in s, x or z in the singular (accent-free), so they are never "de-pluralised".
INVARIABLE = frozenset(
    """
    abces acces apres avis bas bis bras cas chaos clos compris congres corps cours concours
    cypres deces dehors depuis devis discours divers dos enclos envers exces expres fois fonds
    frais francais anglais gens gris gros heros jadis jamais lilas mais marais matelas mepris mois
    os palais paradis parcours parfois pays permis poids pres prix proces progres propos puis
    quelquefois radis recours relais remords repas repos revers secours souris succes tapis temps
    tiers toujours toutefois travers univers velours vis colis tandis alors plusieurs ailleurs
    abus refus surplus virus bus campus consensus corpus bonus processus cursus sinus talus jus
    dessus dessous plus tous rebus cactus terminus lupus prospectus hiatus humus blocus
    stress business express fils acquis admis appris promis remis repris soumis surpris
    precis assis biais rabais mauvais epais niais dais logis parvis brebis buis croquis treillis
    coloris rubis pas tas las gras canevas verglas ananas atlas cadenas embarras fracas judas
    sens mœurs moeurs ours velours corps remords rebours
    """.split()
)
# -aux words whose singular is -ail; -aux, -eux, -oux words whose singular just drops the x.
AIL_PLURALS = {
    "travaux": "travail",
    "vitraux": "vitrail",
    "coraux": "corail",
    "emaux": "émail",
    "soupiraux": "soupirail",
    "baux": "bail",
    "ventaux": "ventail",
}
AU_PLURALS = frozenset("tuyaux noyaux boyaux joyaux aloyaux etaux preaux landaux".split())
AUX_SINGULAR = frozenset("taux faux chaux aux".split())
EU_PLURALS = frozenset(
    "jeux enjeux feux lieux milieux cheveux neveux voeux vœux aveux adieux essieux moyeux epieux"
    " pieux cieux".split()
)
OU_PLURALS = frozenset("bijoux cailloux choux genoux hiboux joujoux poux".split())

# Characters that have no canonical decomposition but must compare as plain letters.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def strip_accents(text: str) -> str:
    """Remove diacritics so "Santé", "SANTÉ" and "sante" share one comparison key."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _strip_elision(token: str) -> str:
    """Drop a leading elided word ("l'avis" → "avis", "qu'elle" → "elle")."""
    for index, ch in enumerate(token):
        if ch in APOSTROPHES:
            if strip_accents(token[:index]).lower() in ELISIONS:
                return _strip_elision(token[index + 1 :])
            return token
        if ch == "-":
            return token
    return token


def _strip_clitics(token: str) -> str:
    """Drop pronouns hyphenated after a verb ("peut-on" → "peut", "a-t-il" → "a")."""
    parts = token.split("-")
    while len(parts) > 1 and strip_accents(parts[-1]) in CLITICS:
        parts.pop()
    return "-".join(parts)


def singular(word: str) -> str:
    """Reduce a lower-case French plural to its singular; words may keep their accents."""
    key = strip_accents(word)
    if len(key) <= 3 or key in INVARIABLE or "-" in key:
        return _singular_compound(word) if "-" in key else word
    if key in AIL_PLURALS:
        return AIL_PLURALS[key]
    if key.endswith("eaux") or key in AU_PLURALS or key in EU_PLURALS or key in OU_PLURALS:
        return word[:-1]
    if key.endswith("aux"):
        return word if key in AUX_SINGULAR else word[:-3] + "al"
    if key.endswith("x") or key.endswith("z"):
        return word
    if key.endswith("s") and not key.endswith("ss"):
        return word[:-1]
    return word


def _singular_compound(word: str) -> str:
    """Singularise each part of a hyphenated compound ("soins-dentaires" → "soin-dentaire")."""
    return "-".join(singular(part) for part in word.split("-"))


@dataclass(frozen=True)
class Word:
    """A normalised word: `key` compares (no accents), `display` reads well (accents kept)."""

    key: str
    display: str


def normalise_token(token: str) -> Word | None:
    """Normalise one raw token; None when it is a stop word or too short to mean anything."""
    lowered = unicodedata.normalize("NFKC", token).lower()
    for apostrophe in APOSTROPHES[1:]:
        lowered = lowered.replace(apostrophe, "'")
    lowered = _strip_clitics(_strip_elision(lowered)).strip("-'")
    if not lowered:
        return None
    plain = strip_accents(lowered).lower()
    if len(plain) < 2 or plain in STOP_WORDS:
        return None
    display = singular(lowered)
    key = strip_accents(display).lower()
    if key in STOP_WORDS:
        return None
    return Word(key=key, display=display)


_BREAKS = re.compile(r"</p>|<br\s*/?>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")


def markup_text(markup: str | None) -> str:
    """Text of already sanitised HTML, fast enough for 350,000 answers (never for display).

    `consult.core.sanitize.plain_text` parses the markup (~10 µs a text with nh3); stored bodies are
    sanitised, so dropping tags and decoding entities gives the same words in ~2 µs.
    """
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        return markup.strip()
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n", markup))).strip()


def tokenize(text: str) -> list[str]:
    """Split a text into raw word tokens (letters, hyphens and apostrophes inside words)."""
    return TOKEN_RE.findall(text or "")


class Normaliser:
    """Normalise many texts quickly by caching each distinct raw token's normal form."""

    def __init__(self) -> None:
        """Start with an empty cache; vocabularies of real consultations stay small."""
        self._cache: dict[str, Word | None] = {}

    def word(self, token: str) -> Word | None:
        """Normalise one raw token, remembering the answer for the next occurrence."""
        try:
            return self._cache[token]
        except KeyError:
            word = self._cache[token] = normalise_token(token)
            return word

    def words(self, text: str) -> Iterator[Word]:
        """Yield the normalised words of a text, stop words removed, in reading order."""
        cache = self._cache
        for token in TOKEN_RE.findall(text or ""):
            try:
                word = cache[token]
            except KeyError:
                word = cache[token] = normalise_token(token)
            if word is not None:
                yield word

    def keys(self, text: str) -> list[str]:
        """Return the comparison keys of a text's words (the input of the theme proposal)."""
        return [word.key for word in self.words(text)]


def normalise(text: str) -> list[str]:
    """Return the comparison keys of one text's words, stop words removed."""
    return Normaliser().keys(text)


@dataclass(frozen=True)
class WordCount:
    """How often a normalised word occurs: `occurrences` in all, in `texts` distinct texts."""

    key: str
    display: str
    occurrences: int
    texts: int
    #: the distinct spellings met for this word ("Santé", "santé", "SANTE", "santés")
    variants: int


def word_frequencies(texts: Iterable[str], limit: int | None = None) -> list[WordCount]:
    """Count words across texts, most frequent first (ties in alphabetical order of the key)."""
    normaliser = Normaliser()
    occurrences: Counter[str] = Counter()
    in_texts: Counter[str] = Counter()
    displays: dict[str, Counter[str]] = {}
    variants: dict[str, set[str]] = {}
    for text in texts:
        seen: set[str] = set()
        for token in TOKEN_RE.findall(text or ""):
            word = normaliser.word(token)
            if word is None:
                continue
            occurrences[word.key] += 1
            displays.setdefault(word.key, Counter())[word.display] += 1
            variants.setdefault(word.key, set()).add(token)
            seen.add(word.key)
        in_texts.update(seen)
    ranked = sorted(occurrences.items(), key=lambda item: (-item[1], item[0]))
    if limit is not None:
        ranked = ranked[:limit]
    return [
        WordCount(
            key=key,
            display=_best_display(displays[key]),
            occurrences=count,
            texts=in_texts[key],
            variants=len(variants[key]),
        )
        for key, count in ranked
    ]


def _best_display(forms: Counter[str]) -> str:
    """Pick the most frequent accented spelling if any ("santé" over a hasty "sante")."""
    accented = [(form, n) for form, n in forms.items() if strip_accents(form) != form]
    candidates = accented or list(forms.items())
    return min(candidates, key=lambda item: (-item[1], item[0]))[0]


MAX_SEARCH_TERMS = 8


def fold(text: str | None) -> str:
    """Lower-case and accent-free form of a text, for accent-insensitive matching."""
    return strip_accents(unicodedata.normalize("NFKC", text or "")).lower()


def search_terms(query: str | None) -> list[str]:
    """Words of a search query, folded, without duplicates, at most eight, in typed order.

    Stop words are kept out when the query has other words ("la santé" looks for "sante").
    """
    terms: list[str] = []
    for token in TOKEN_RE.findall(fold(query)[:500]):
        token = _strip_elision(token)
        if len(token) >= 2 and token not in terms:
            terms.append(token)
    meaningful = [term for term in terms if term not in STOP_WORDS]
    return (meaningful or terms)[:MAX_SEARCH_TERMS]


_STEMMER = snowballstemmer.stemmer("french")
_WORD_PARTS_RE = re.compile(r"[-'’ʼ]")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The French Snowball stem of a folded word ("soins" and "soin" give "soin")."""
    return _STEMMER.stemWord(word)


def _folded_stems(folded: str) -> Iterator[str]:
    """Stems of the words of a folded text, hyphenated and elided words split into parts."""
    for token in TOKEN_RE.findall(folded):
        for part in _WORD_PARTS_RE.split(_strip_elision(token)):
            if part:
                yield stem(part)


def search_stems(terms: Iterable[str]) -> list[str]:
    """The stems a search looks for, from the folded terms of ``search_terms``."""
    stems: list[str] = []
    for term in terms:
        for found in _folded_stems(term):
            if found not in stems:
                stems.append(found)
    return stems


def stemmed_text(markup: str | None) -> str:
    """The stems of a stored (sanitised) text between spaces, " soin dentair ", so that a
    search for a stem is a LIKE '% soin %' (SQLite's stand-in for PostgreSQL's french search)."""
    return " " + " ".join(_folded_stems(fold(markup_text(markup)))) + " "
