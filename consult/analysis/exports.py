"""Exports of a consultation's contributions for analysts: CSV (streamed) and XLSX.

Only published contributions unless the exporter may see the others (moderators and
administrators). The text exported is the stored one, so what moderation masked stays masked.
Nothing identifies the author: quotes are attributed by profile only.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import select

from consult.accounts.models import Population, Region
from consult.accounts.rules import AGE_BAND_LABELS
from consult.analysis import rules
from consult.analysis.models import Topic, TopicMember
from consult.analysis.services import counted, visible
from consult.analysis.words import markup_text
from consult.consultations.models import Consultation, Contribution
from consult.core.clock import to_local
from consult.extensions import db

BATCH = 5000


@dataclass(frozen=True)
class Labels:
    """Words of the export in the reader's language, read while the request is there."""

    columns: list[str]
    ages: dict[str, str]


def labels() -> Labels:
    """Column titles and age bands in the current language."""
    return Labels(
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
        ages={code: str(label) for code, label in AGE_BAND_LABELS.items()},
    )


def rows(
    consultation: Consultation, words: Labels, *, include_unpublished: bool = False
) -> Iterator[list]:
    """Every exported contribution as a list of cells, by question then id (streamed)."""
    questions = {q.id: f"{q.position + 1}. {q.prompt}" for q in consultation.questions if q.is_text}
    if not questions:
        return
    populations = {p.id: p for p in db.session.scalars(select(Population))}
    regions = {r.id: r.name for r in db.session.scalars(select(Region))}
    ages = words.ages
    themes: dict[int, list[str]] = defaultdict(list)
    for contribution_id, name in db.session.execute(
        select(TopicMember.contribution_id, Topic.name)
        .join(Topic, Topic.id == TopicMember.topic_id)
        .where(
            Topic.question_id.in_(list(questions)),
            Topic.state == "active",
            TopicMember.source != "excluded",
        )
    ):
        themes[contribution_id].append(name)
    chosen = counted() if include_unpublished else visible()
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
        .where(Contribution.question_id.in_(list(questions)), *chosen)
        .order_by(Contribution.question_id, Contribution.id)
        .execution_options(yield_per=BATCH)
    )
    for cid, qid, created, state, body, pid, gender, age, rid in db.session.execute(query):
        population = populations.get(pid)
        parts = [
            population.label_for(gender) if population else None,
            ages.get(age),
            regions.get(rid),
        ]
        yield [
            cid,
            questions[qid],
            to_local(created).strftime("%Y-%m-%d %H:%M"),
            state,
            rules.safe_cell(markup_text(body)),
            population.name if population else "",
            ages.get(age, ""),
            regions.get(rid, ""),
            ", ".join(p for p in parts if p),
            rules.safe_cell(" | ".join(sorted(themes.get(cid, [])))),
        ]


def csv_chunks(
    app: Flask, consultation_id: int, words: Labels, *, include_unpublished: bool = False
) -> Iterator[str]:
    """The CSV file in pieces (semicolons and a BOM, as French spreadsheets expect).

    A streamed response outlives its request: the pieces are read in their own application
    context, from the consultation's id, with labels prepared during the request.
    """
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        buffer.write("\ufeff")
        writer.writerow(words.columns)
        chosen = rows(consultation, words, include_unpublished=include_unpublished)
        for number, row in enumerate(chosen):
            writer.writerow(row)
            if number % 2000 == 1999:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()


def xlsx_bytes(
    consultation: Consultation, words: Labels, *, include_unpublished: bool = False
) -> bytes:
    """The XLSX workbook (written row by row in openpyxl's write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Contributions"))
    sheet.append(words.columns)
    for row in rows(consultation, words, include_unpublished=include_unpublished):
        # control characters are not allowed in a workbook: drop them
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_name(consultation: Consultation, extension: str) -> str:
    """A safe file name for the download."""
    return f"consultation-{consultation.id}-contributions.{extension}"
