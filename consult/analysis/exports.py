"""Exports of a consultation's contributions for analysts: CSV (streamed) and XLSX.

Only published contributions unless the exporter may see the others (moderators and
administrators). The text exported is the stored one, so what moderation masked stays masked.
Nothing identifies the author: contributions are attributed by profile only.

A streamed response is read after its request has ended, so an export is prepared during the
request (labels in the reader's language, reference data) and then read with plain SQLAlchemy
on its own connection, without any Flask context.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, select

from consult.accounts.models import Population, Region
from consult.accounts.rules import AGE_BAND_LABELS
from consult.analysis.models import Topic, TopicMember
from consult.analysis.services import counted, visible
from consult.analysis.words import markup_text
from consult.consultations.models import Consultation, Contribution
from consult.core import spreadsheet
from consult.core.clock import to_local
from consult.core.i18n import gettext as _
from consult.extensions import db

BATCH = 5000
GENDER_FORMS = ("f", "m", "n")


@dataclass(frozen=True)
class Export:
    """Everything an export needs once its request is over."""

    engine: Engine
    consultation_id: int
    include_unpublished: bool
    columns: list[str]
    #: question id → "1. Question prompt"
    questions: dict[int, str]
    #: population id → (plural name, {gender form: singular label})
    populations: dict[int, tuple[str, dict[str, str]]]
    regions: dict[int, str]
    ages: dict[str, str]


def prepare(consultation: Consultation, *, include_unpublished: bool = False) -> Export:
    """Read labels and reference data now, while the request and its language are there."""
    return Export(
        engine=db.engine,
        consultation_id=consultation.id,
        include_unpublished=include_unpublished,
        columns=[
            _("Number"),
            _("Question"),
            _("Date"),
            _("State"),
            _("Text"),
            _("Population"),
            _("Age band"),
            _("Region"),
            _("Attribution"),
            _("Themes"),
        ],
        questions={
            q.id: f"{q.position + 1}. {q.prompt}" for q in consultation.questions if q.is_text
        },
        populations={
            p.id: (p.name, {g: p.label_for(g) for g in GENDER_FORMS})
            for p in db.session.scalars(select(Population))
        },
        regions={r.id: r.name for r in db.session.scalars(select(Region))},
        ages={code: str(label) for code, label in AGE_BAND_LABELS.items()},
    )


def rows(export: Export) -> Iterator[list]:
    """Every exported contribution as a list of cells, by question then id (streamed)."""
    if not export.questions:
        return
    question_ids = list(export.questions)
    with export.engine.connect() as connection:
        themes: dict[int, list[str]] = defaultdict(list)
        for contribution_id, name in connection.execute(
            select(TopicMember.contribution_id, Topic.name)
            .join(Topic, Topic.id == TopicMember.topic_id)
            .where(
                Topic.question_id.in_(question_ids),
                Topic.state == "active",
                TopicMember.source != "excluded",
            )
        ):
            themes[contribution_id].append(name)
        chosen = counted() if export.include_unpublished else visible()
        query = (
            select(
                Contribution.id,
                Contribution.question_id,
                Contribution.created_at,
                Contribution.state,
                Contribution.body,
                Contribution.population_id,
                Contribution.gender_form,
                Contribution.age_band,
                Contribution.region_id,
            )
            .where(Contribution.question_id.in_(question_ids), *chosen)
            .order_by(Contribution.question_id, Contribution.id)
        )
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(query)
        for cid, qid, created, state, body, pid, gender, age, rid in result:
            name, singular = export.populations.get(pid, ("", {}))
            region = export.regions.get(rid, "")
            profile = [singular.get(gender or "n"), export.ages.get(age), region]
            yield [
                cid,
                export.questions[qid],
                to_local(created).strftime("%Y-%m-%d %H:%M"),
                state,
                markup_text(body),
                name,
                export.ages.get(age, ""),
                region,
                ", ".join(part for part in profile if part),
                " | ".join(sorted(themes.get(cid, []))),
            ]


def csv_chunks(export: Export) -> Iterator[str]:
    """The CSV file in pieces (semicolons and a BOM, as French spreadsheets expect)."""
    return spreadsheet.csv_chunks(export.columns, rows(export))


def xlsx_bytes(export: Export) -> bytes:
    """The XLSX workbook, written row by row by XlsxWriter in constant-memory mode.

    Text is written as text: no formula, link or number is guessed from what a participant
    wrote, and every cell is neutralised as in the CSV file (consult.core.spreadsheet).
    """
    return spreadsheet.xlsx_bytes(_("Contributions"), export.columns, rows(export))


def export_name(consultation_id: int, extension: str) -> str:
    """A safe file name for the download."""
    return f"consultation-{consultation_id}-contributions.{extension}"
