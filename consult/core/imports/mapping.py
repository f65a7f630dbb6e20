"""Matching a file's columns to an import's fields: synonyms, remembered choices, checks.

Pure functions on plain values. A mapping is a list with one entry per column of the file: the
key of the field the column fills, or None for a column left out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from consult.core.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Field:
    """Something an import reads from a column (its key is what services receive)."""

    key: str
    label: object
    #: Column names that mean this field in the files people have, French and English.
    synonyms: tuple[str, ...] = ()
    required: bool = False
    #: What the column should hold, shown on the mapping page.
    hint: object = None


#: Column names that people's files use for the common fields; an import adds its own.
COMMON_SYNONYMS = {
    "email": (
        "email",
        "e-mail",
        "mail",
        "courriel",
        "adresse électronique",
        "adresse e-mail",
        "adresse email",
        "adresse mail",
        "adresse courriel",
        "mél",
        "email address",
        "e-mail address",
    ),
    "first_name": ("prénom", "prenom", "first name", "firstname", "given name", "forename"),
    "last_name": ("nom", "nom de famille", "last name", "lastname", "surname", "family name"),
    "name": (
        "nom complet",
        "nom et prénom",
        "prénom et nom",
        "nom prénom",
        "prénom nom",
        "name",
        "full name",
        "display name",
    ),
    "region": ("région", "region"),
    "postcode": ("code postal", "cp", "postcode", "postal code", "zip", "zip code"),
    "birth_year": ("année de naissance", "annee naissance", "birth year", "year of birth"),
    "age_band": ("tranche d'âge", "tranche d’âge", "tranche age", "âge", "age", "age band"),
    "gender": ("genre", "sexe", "civilité", "gender", "sex", "title"),
    "category": ("catégorie", "population", "type", "category", "statut"),
    "section": ("section", "section de vote", "collège", "college", "groupement"),
    "identifier": (
        "identifiant",
        "numéro",
        "n°",
        "numéro de délégué",
        "numéro d'adhérent",
        "matricule",
        "identifier",
        "id",
        "number",
    ),
    "weight": ("poids", "voix", "nombre de voix", "weight", "votes"),
    "member": ("adhérent", "adherent", "membre", "est adhérent", "member", "is member"),
}


def normalise(name: str) -> str:
    """A column name reduced for comparison: no accents, case, spaces or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"[\W_]+", "", plain)


def field_names(field: Field) -> set[str]:
    """Every normalised spelling that designates a field: its key, label and synonyms."""
    return {normalise(n) for n in (field.key, str(field.label), *field.synonyms)} - {""}


def suggest(
    columns: Sequence[str], fields: Sequence[Field], remembered: dict[str, str | None] | None = None
) -> list[str | None]:
    """The mapping to propose: last time's choice for a column name, else a known synonym.

    Each field fills at most one column (the first that names it); a remembered "left out"
    column stays left out.
    """
    remembered = remembered or {}
    keys = {f.key for f in fields}
    spellings = {name: f.key for f in fields for name in field_names(f)}
    mapping: list[str | None] = []
    taken: set[str] = set()
    for column in columns:
        name = normalise(column)
        if name in remembered:
            key = remembered[name] if remembered[name] in keys else None
        else:
            key = spellings.get(name)
        if key in taken:
            key = None
        if key:
            taken.add(key)
        mapping.append(key)
    return mapping


def problems(mapping: Sequence[str | None], fields: Sequence[Field]) -> list[object]:
    """Why a mapping cannot be used: a required field without a column, a field chosen twice."""
    found = []
    chosen = [key for key in mapping if key]
    by_key = {f.key: f for f in fields}
    for key in sorted({k for k in chosen if chosen.count(k) > 1}):
        found.append(_l("“%(field)s” is chosen for several columns.", field=str(by_key[key].label)))
    for field in fields:
        if field.required and field.key not in chosen:
            found.append(_l("Choose the column that holds “%(field)s”.", field=str(field.label)))
    return found


def to_remember(columns: Sequence[str], mapping: Sequence[str | None]) -> dict[str, str | None]:
    """What to keep for next time: normalised column name → field key (None: left out)."""
    return {normalise(c): key for c, key in zip(columns, mapping, strict=True) if normalise(c)}


def records(
    rows: Iterable[tuple[int, Sequence[str]]], mapping: Sequence[str | None]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row as (line, field key → text), through the mapping; columns left out are dropped."""
    chosen = [(index, key) for index, key in enumerate(mapping) if key]
    for line, cells in rows:
        yield line, {key: cells[index] for index, key in chosen}
