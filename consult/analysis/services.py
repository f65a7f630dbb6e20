"""Synthesis services: load contributions, call the pure rules, write the analysts' work.

Services take the acting user and the current time, flush and never commit (the request, the CLI
or the background worker commits).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from flask import current_app
from sqlalchemy import delete, func, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from consult.accounts.models import Population, Region, User
from consult.accounts.rules import AGE_BAND_LABELS, AGE_BANDS, GENDER_FORM_LABELS
from consult.analysis import rules
from consult.analysis.models import AnalysisJob, Finding, FindingQuote, Topic, TopicMember
from consult.analysis.topics import propose_topics
from consult.analysis.words import (
    Normaliser,
    WordCount,
    markup_text,
    search_stems,
    search_terms,
    stemmed_text,
    word_frequencies,
)
from consult.consultations.models import Consultation, Contribution, Question
from consult.core import audit
from consult.core.clock import to_local
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.sanitize import text_to_html
from consult.extensions import db, on_postgresql

Progress = Callable[[float, str], None]

#: words kept in a question's word counts (list, cloud and comparison)
WORD_LIMIT = 300
CLOUD_WORDS = 80
MAX_NAME_LENGTH = 200
MAX_FINDING_LENGTH = 20_000
#: a job still queued or running after this long was abandoned by its worker
ABANDONED_AFTER = timedelta(hours=2)


#: Where contributions come from: written online, said in a meeting, written in a workshop.
CHANNEL_LABELS = {
    "online": _l("Online"),
    "meeting": _l("In a meeting"),
    "workshop": _l("In a workshop"),
}


def _noop(_fraction: float, _step: str) -> None:
    """Progress callback that reports nothing."""


def visible(*conditions):
    """Published, not withdrawn: what analyses, quotes and exports use by default."""
    return (Contribution.state == "published", Contribution.withdrawn_at.is_(None), *conditions)


def counted(*conditions):
    """Every contribution that counts as taking part: not withdrawn, not rejected as abuse."""
    return (Contribution.withdrawn_at.is_(None), Contribution.state != "rejected", *conditions)


def minimum_group(consultation: Consultation | None = None) -> int:
    """Smallest group whose shares may be compared: an administration setting whose first value
    is ANALYSIS_MIN_GROUP_SIZE (default 30); a closed consultation keeps the one it ended with."""
    from consult.admin import settings

    return int(settings.for_consultation("analysis.min_group_size", consultation))


def text_questions(consultation: Consultation) -> list[Question]:
    """The questions answered in words (open text or a few words)."""
    return [q for q in consultation.questions if q.is_text]


def analysed_consultations() -> list[tuple[Consultation, int]]:
    """Published and closed consultations with their number of counted contributions."""
    counts = (
        select(Contribution.consultation_id, func.count().label("n"))
        .where(*counted())
        .group_by(Contribution.consultation_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Consultation, counts.c.n)
        .outerjoin(counts, counts.c.consultation_id == Consultation.id)
        .where(Consultation.status != "draft")
        .order_by(Consultation.opens_at.desc())
    ).all()
    return [(c, n or 0) for c, n in rows]


# --- participation ----------------------------------------------------------------------------


@dataclass
class ParticipationReport:
    """Who took part in a consultation, per population, profile and day."""

    populations: list[tuple[Population, rules.PopulationParticipation]]
    total: rules.PopulationParticipation
    #: employees and delegates together (the "internal" populations), when invited
    internal: rules.PopulationParticipation | None
    by_region: list[rules.BreakdownRow]
    by_age: list[rules.BreakdownRow]
    by_gender: list[rules.BreakdownRow]
    days: list[rules.DayRow]
    #: contributions per channel (online, meeting, workshop): (label, contributions, share)
    by_channel: list[tuple[str, int, float | None]]


def _hour(column):
    """The hour a moment falls in, computed by the database (both dialects)."""
    if on_postgresql():
        return func.date_trunc(literal_column("'hour'"), column)
    # literal formats: the GROUP BY must repeat the very same expression, without parameters
    return func.strftime(literal_column("'%Y-%m-%d %H:00:00'"), column)


def _as_datetime(value) -> datetime:
    """SQLite returns text for computed moments; PostgreSQL returns datetimes."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def compute_participation(consultation: Consultation) -> dict:
    """Count contributors and contributions (two aggregate queries), as a storable snapshot.

    Values are codes and counts only; labels are chosen when the snapshot is shown, in the
    reader's language. At 350,000 contributions this takes seconds: it runs as a job.
    """
    counted_here = counted(Contribution.consultation_id == consultation.id)
    channels = db.session.execute(
        select(Contribution.channel, func.count())
        .where(*counted_here)
        .group_by(Contribution.channel)
    ).all()
    # Contributors are the people who wrote online: what was said in a meeting or a workshop is
    # entered under the organiser's account, so it counts as contributions of its channel only.
    counted_here = (*counted_here, Contribution.channel == "online")
    contributors = db.session.execute(
        select(
            Contribution.author_id,
            func.min(Contribution.population_id),
            func.min(Contribution.region_id),
            func.min(Contribution.age_band),
            func.min(Contribution.gender_form),
            func.count(),
            func.min(Contribution.created_at),
        )
        .where(*counted_here)
        .group_by(Contribution.author_id)
    ).all()
    regions = {r.id: r.name for r in db.session.scalars(select(Region))}
    rows = [
        rules.ContributorRow(
            participant_id=author,
            population=str(population_id),
            contributions=count,
            region=regions.get(region_id),
            age_band=age,
            gender=gender,
        )
        for author, population_id, region_id, age, gender, count, _first in contributors
    ]
    eligible = {str(p.population_id): p.eligible_count for p in consultation.populations}
    per_population = rules.participation_by_population(rows, eligible)
    internal = [str(p.population_id) for p in consultation.populations if p.population.internal]
    hours = db.session.execute(
        select(_hour(Contribution.created_at), func.count())
        .where(*counted_here)
        .group_by(_hour(Contribution.created_at))
    ).all()
    days = rules.daily_participation(
        ((to_local(_as_datetime(hour)).date(), count) for hour, count in hours),
        (to_local(first).date() for *_rest, first in contributors),
    )

    def counts(row):
        return [row.eligible, row.contributors, row.contributions]

    def breakdown(field, order=()):
        return [
            [r.value, r.contributors, r.contributions]
            for r in rules.breakdown(rows, field, order=order)
        ]

    return {
        "populations": [[r.population, *counts(r)] for r in per_population],
        "internal": (
            counts(rules.combined_participation(per_population, internal)) if internal else None
        ),
        "regions": breakdown("region", list(regions.values())),
        "ages": breakdown("age_band", AGE_BANDS),
        "genders": breakdown("gender", ("f", "m", "n")),
        "days": [
            [d.day.isoformat(), d.contributions, d.new_contributors, d.cumulative_contributors]
            for d in days
        ],
        "channels": [
            [code, count]
            for code in CHANNEL_LABELS
            for channel, count in channels
            if channel == code
        ],
    }


def participation_report(consultation: Consultation, data: dict) -> ParticipationReport:
    """Read a participation snapshot back, with labels in the reader's language."""
    populations = {str(p.population_id): p.population for p in consultation.populations}
    missing = [
        int(code) for code, *_counts in data["populations"] if code not in populations and code
    ]
    if missing:
        for found in db.session.scalars(select(Population).where(Population.id.in_(missing))):
            populations[str(found.id)] = found
    rows = [
        rules.PopulationParticipation(code, eligible, people, texts)
        for code, eligible, people, texts in data["populations"]
    ]
    named = sorted(
        ((populations[r.population], r) for r in rows if r.population in populations),
        key=lambda pair: (pair[0].position, pair[0].id),
    )
    age_labels = {code: str(label) for code, label in AGE_BAND_LABELS.items()}
    gender_labels = {code: str(label) for code, label in GENDER_FORM_LABELS.items()}

    def breakdown(values, labels):
        total = sum(people for _value, people, _texts in values)
        return [
            rules.BreakdownRow(
                labels.get(value, value) if value is not None else None,
                people,
                texts,
                rules.share(people, total),
            )
            for value, people, texts in values
        ]

    return ParticipationReport(
        populations=named,
        total=rules.total_participation(rows),
        internal=(
            rules.PopulationParticipation("*", *data["internal"]) if data["internal"] else None
        ),
        by_region=breakdown(data["regions"], {}),
        by_age=breakdown(data["ages"], age_labels),
        by_gender=breakdown(data["genders"], gender_labels),
        days=[
            rules.DayRow(date.fromisoformat(day), texts, new, cumulative)
            for day, texts, new, cumulative in data["days"]
        ],
        by_channel=_channel_rows(data.get("channels") or []),
    )


def _channel_rows(values) -> list[tuple[str, int, float | None]]:
    """Contributions per channel with their share, labelled in the reader's language."""
    total = sum(count for _code, count in values)
    return [
        (str(CHANNEL_LABELS.get(code, code)), count, rules.share(count, total))
        for code, count in values
    ]


def participation(consultation: Consultation) -> ParticipationReport:
    """Participation computed now (what a snapshot holds; for tests, the CLI, small sets)."""
    return participation_report(consultation, compute_participation(consultation))


def participation_snapshot(
    actor, consultation: Consultation, *, now: datetime
) -> tuple[ParticipationReport | None, AnalysisJob | None, AnalysisJob | None]:
    """The latest participation figures, refreshed by a job when missing or stale.

    Returns (figures, the job that computed them, the job refreshing them if one is under
    way). Inline (no Redis), missing or stale figures are computed during this call.
    """
    from consult.analysis import jobs

    def latest(*conditions):
        return db.session.scalar(
            select(AnalysisJob)
            .where(
                AnalysisJob.consultation_id == consultation.id,
                AnalysisJob.kind == "participation",
                *conditions,
            )
            .order_by(AnalysisJob.id.desc())
            .limit(1)
        )

    done = latest(AnalysisJob.status == "done")
    running = latest(AnalysisJob.status.in_(("queued", "running")))
    end = consultation.closed_at or consultation.closes_at
    computed_at = done.finished_at if done else None
    if running is None and rules.snapshot_is_stale(computed_at, now, end, snapshot_max_age()):
        running = start_job(actor, "participation", consultation, now=now)
        jobs.submit(running)
        if running.status == "done":
            done, running = running, None
        elif running.finished:
            running = None
    report = participation_report(consultation, done.result) if done is not None else None
    return report, done, running


def snapshot_max_age() -> timedelta:
    """How old participation figures may get while a consultation is still open."""
    return timedelta(minutes=int(current_app.config.get("ANALYSIS_SNAPSHOT_MINUTES", 15)))


# --- texts ------------------------------------------------------------------------------------


def question_texts(question: Question) -> tuple[list[int], list[str], list[int | None]]:
    """Ids, plain texts and population ids of a question's published contributions, by id."""
    rows = db.session.execute(
        select(Contribution.id, Contribution.body, Contribution.population_id)
        .where(*visible(Contribution.question_id == question.id))
        .order_by(Contribution.id)
    ).all()
    return [r[0] for r in rows], [markup_text(r[1]) for r in rows], [r[2] for r in rows]


def require_text_question(question: Question) -> None:
    """Words and themes only make sense for questions answered in words."""
    if not question.is_text:
        raise RuleError(_l("This question is not answered in words."))


# --- jobs -------------------------------------------------------------------------------------


def start_job(
    actor,
    kind: str,
    consultation: Consultation,
    *,
    now: datetime,
    question: Question | None = None,
    topic: Topic | None = None,
    params: dict | None = None,
) -> AnalysisJob:
    """Record a job to run in the background; refuse a second one of the same kind under way.

    A job left queued or running for too long (its worker died) is marked failed first.
    """
    same = (
        AnalysisJob.consultation_id == consultation.id,
        AnalysisJob.kind == kind,
        AnalysisJob.question_id == (question.id if question else None),
        AnalysisJob.status.in_(("queued", "running")),
    )
    db.session.execute(
        update(AnalysisJob)
        .where(*same, AnalysisJob.created_at < now - ABANDONED_AFTER)
        .values(status="failed", error="abandoned", finished_at=now)
    )
    if db.session.scalar(select(AnalysisJob.id).where(*same)) is not None:
        raise RuleError(_l("This computation is already under way."))
    job = AnalysisJob(
        consultation_id=consultation.id,
        question_id=question.id if question else None,
        scope=f"{consultation.id}:{question.id if question else 0}",
        topic_id=topic.id if topic else None,
        kind=kind,
        params=params or {},
        created_at=now,
        created_by_id=getattr(actor, "id", None),
    )
    try:
        with db.session.begin_nested():
            db.session.add(job)
            db.session.flush()
    except IntegrityError:
        # another analyst started the same computation at the same instant
        raise RuleError(_l("This computation is already under way.")) from None
    audit.record(actor, f"analysis.job.{kind}", job, now=now, after=params or {})
    return job


def latest_job(question: Question, kind: str, *, done: bool = False) -> AnalysisJob | None:
    """The most recent job of a kind for a question (only finished ones when `done`)."""
    query = select(AnalysisJob).where(
        AnalysisJob.question_id == question.id, AnalysisJob.kind == kind
    )
    if done:
        query = query.where(AnalysisJob.status == "done")
    return db.session.scalar(query.order_by(AnalysisJob.id.desc()).limit(1))


def execute(job: AnalysisJob, *, now: datetime, progress: Progress = _noop) -> None:
    """Do the work of a job (called by the background worker, or inline)."""
    if job.kind == "participation":
        job.result = compute_participation(job.consultation)
    elif job.kind == "words":
        job.result = compute_words(job.question, progress=progress)
    elif job.kind == "topics":
        job.result = run_proposal(
            job.question, int(job.params.get("n_topics", 8)), now=now, progress=progress
        )
    elif job.kind == "split":
        job.result = run_split(
            db.session.get(User, job.created_by_id) if job.created_by_id else None,
            job.topic,
            int(job.params.get("parts", 2)),
            now=now,
            progress=progress,
        )
    else:  # pragma: no cover - the database refuses other kinds
        raise ValueError(job.kind)


# --- words ------------------------------------------------------------------------------------


def compute_words(question: Question, *, progress: Progress = _noop) -> dict:
    """Count a question's words, and in how many texts of each population each word appears."""
    _ids, texts, groups = question_texts(question)
    progress(0.1, "read")
    counts = word_frequencies(texts, limit=WORD_LIMIT)
    progress(0.6, "count")
    wanted = {c.key for c in counts}
    normaliser = Normaliser()
    per_group: dict[str, Counter[str]] = defaultdict(Counter)
    for group, text in zip(groups, texts, strict=True):
        for key in {w.key for w in normaliser.words(text)} & wanted:
            per_group[key][str(group)] += 1
    bases = Counter(str(group) for group in groups)
    return {
        "texts": len(texts),
        "bases": dict(bases),
        "words": [
            {
                "key": c.key,
                "display": c.display,
                "occurrences": c.occurrences,
                "texts": c.texts,
                "variants": c.variants,
                "groups": dict(per_group[c.key]),
            }
            for c in counts
        ],
    }


def word_counts(job: AnalysisJob | None) -> list[WordCount]:
    """The words of a finished words job, most frequent first."""
    if job is None or not job.result:
        return []
    return [
        WordCount(w["key"], w["display"], w["occurrences"], w["texts"], w["variants"])
        for w in job.result["words"]
    ]


# --- themes: proposal -------------------------------------------------------------------------


def topics_of(question: Question, states=("active",)) -> list[Topic]:
    """A question's themes in the given states, in display order."""
    return list(
        db.session.scalars(
            select(Topic)
            .where(Topic.question_id == question.id, Topic.state.in_(states))
            .order_by(Topic.position, Topic.id)
        )
    )


def topic_sizes(question: Question) -> dict[int, int]:
    """Contributions in each theme of a question (automatic and hand-tagged, published)."""
    rows = db.session.execute(
        select(TopicMember.topic_id, func.count())
        .join(Topic, Topic.id == TopicMember.topic_id)
        .join(Contribution, Contribution.id == TopicMember.contribution_id)
        .where(
            Topic.question_id == question.id,
            TopicMember.source != "excluded",
            *visible(),
        )
        .group_by(TopicMember.topic_id)
    ).all()
    return dict(rows)


def run_proposal(
    question: Question, n_topics: int, *, now: datetime, progress: Progress = _noop
) -> dict:
    """Propose themes for a question and fold them into the saved ones (analysts' work kept)."""
    require_text_question(question)
    ids, texts, _groups = question_texts(question)
    proposal = propose_topics(
        texts, n_topics, progress=lambda f, step: progress(0.05 + 0.8 * f, step)
    )
    existing = list(db.session.scalars(select(Topic).where(Topic.question_id == question.id)))
    members: dict[int, set[int]] = defaultdict(set)
    owned: set[int] = set()
    topic_ids = [t.id for t in existing]
    if topic_ids:
        for topic_id, contribution_id, source in db.session.execute(
            select(TopicMember.topic_id, TopicMember.contribution_id, TopicMember.source).where(
                TopicMember.topic_id.in_(topic_ids)
            )
        ):
            if source == "auto":
                members[topic_id].add(contribution_id)
            else:
                owned.add(contribution_id)
    ids_array = np.asarray(ids, dtype=np.int64)
    proposed = [
        frozenset(ids_array[proposal.assignments == number].tolist())
        for number in range(len(proposal.topics))
    ]
    plan = rules.reconcile_topics(
        [rules.ExistingTopic(t.id, frozenset(members[t.id]), t.touched) for t in existing],
        proposed,
        owned=frozenset(owned),
    )
    progress(0.9, "save")
    by_id = {t.id: t for t in existing}
    rows: list[dict] = []
    for topic_id, (index, chosen) in plan.update.items():
        topic = by_id[topic_id]
        _describe(topic, proposal.topics[index], ids, now)
        db.session.execute(
            delete(TopicMember).where(
                TopicMember.topic_id == topic_id, TopicMember.source == "auto"
            )
        )
        rows += [{"topic_id": topic_id, "contribution_id": c, "source": "auto"} for c in chosen]
    for topic_id, added in plan.absorb.items():
        rows += [{"topic_id": topic_id, "contribution_id": c, "source": "auto"} for c in added]
    for index, chosen in plan.create:
        topic = Topic(question_id=question.id, created_at=now, origin="proposal")
        _describe(topic, proposal.topics[index], ids, now)
        db.session.add(topic)
        db.session.flush()
        rows += [{"topic_id": topic.id, "contribution_id": c, "source": "auto"} for c in chosen]
    if plan.delete:
        db.session.execute(delete(TopicMember).where(TopicMember.topic_id.in_(plan.delete)))
        db.session.execute(delete(Topic).where(Topic.id.in_(plan.delete)))
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(TopicMember), rows[start : start + 5000])
    db.session.flush()
    _renumber(question)
    progress(1.0, "done")
    return {
        "topics": len(proposal.topics),
        "texts": len(texts),
        "unassigned": proposal.unassigned,
        "updated": len(plan.update),
        "created": len(plan.create),
        "kept": len(plan.absorb),
        "deleted": len(plan.delete),
    }


def _describe(topic: Topic, proposed, ids: list[int], now: datetime) -> None:
    """Copy a proposed theme's key terms and examples; untouched themes take its name too."""
    topic.key_terms = list(proposed.key_terms)
    topic.representative_ids = [ids[position] for position in proposed.representatives]
    if not topic.touched:
        topic.name = proposed.label[:MAX_NAME_LENGTH] or str(_l("Theme"))
    topic.updated_at = now


def _renumber(question: Question) -> None:
    """Order a question's themes largest first (analysts' order is by size too)."""
    sizes = topic_sizes(question)
    topics = list(db.session.scalars(select(Topic).where(Topic.question_id == question.id)))
    topics.sort(key=lambda t: (t.state != "active", -sizes.get(t.id, 0), t.id))
    for position, topic in enumerate(topics):
        topic.position = position


# --- themes: analysts' work -------------------------------------------------------------------


def _touch(topic: Topic, now: datetime) -> None:
    """Mark a theme as the analysts' own: no automatic proposal will replace it."""
    topic.touched = True
    topic.updated_at = now


def _require_active(topic: Topic) -> None:
    """Merged, split or discarded themes are read-only until restored."""
    if topic.state != "active":
        raise RuleError(_l("This theme is no longer active."))


def topic_members(topic: Topic, sources=("auto", "manual")) -> list[int]:
    """Ids of the contributions in a theme."""
    return list(
        db.session.scalars(
            select(TopicMember.contribution_id).where(
                TopicMember.topic_id == topic.id, TopicMember.source.in_(sources)
            )
        )
    )


def rename_topic(actor, topic: Topic, name: str, *, now: datetime) -> None:
    """Give a theme the analysts' name."""
    name = " ".join((name or "").split())
    if not name:
        raise RuleError(_l("Give the theme a name."), field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise RuleError(_l("The name is too long (200 characters at most)."), field="name")
    before = topic.name
    topic.name = name
    _touch(topic, now)
    audit.record(
        actor,
        "analysis.topic.rename",
        topic,
        now=now,
        before={"name": before},
        after={"name": name},
    )


def discard_topic(actor, topic: Topic, *, now: datetime) -> None:
    """Set a theme aside; it is kept (and never proposed again) and can be restored."""
    _require_active(topic)
    topic.state = "discarded"
    _touch(topic, now)
    audit.record(actor, "analysis.topic.discard", topic, now=now)


def restore_topic(actor, topic: Topic, *, now: datetime) -> None:
    """Bring a discarded theme back."""
    if topic.state != "discarded":
        raise RuleError(_l("Only a discarded theme can be restored."))
    topic.state = "active"
    _touch(topic, now)
    audit.record(actor, "analysis.topic.restore", topic, now=now)


def merge_topics(actor, target: Topic, sources: list[Topic], *, now: datetime) -> None:
    """Move the contributions of several themes into one; the others are kept as merged."""
    sources = [t for t in sources if t.id != target.id]
    if not sources:
        raise RuleError(_l("Choose at least two themes to merge."))
    _require_active(target)
    for topic in sources:
        _require_active(topic)
        if topic.question_id != target.question_id:
            raise RuleError(_l("Only themes of the same question can be merged."))
    present = {
        cid: source
        for cid, source in db.session.execute(
            select(TopicMember.contribution_id, TopicMember.source).where(
                TopicMember.topic_id == target.id
            )
        )
    }
    rows = []
    source_ids = [t.id for t in sources]
    for cid, source in db.session.execute(
        select(TopicMember.contribution_id, TopicMember.source).where(
            TopicMember.topic_id.in_(source_ids), TopicMember.source != "excluded"
        )
    ):
        if cid not in present:
            present[cid] = source
            rows.append({"topic_id": target.id, "contribution_id": cid, "source": source})
    db.session.execute(delete(TopicMember).where(TopicMember.topic_id.in_(source_ids)))
    if rows:
        db.session.execute(insert(TopicMember), rows)
    terms = list(target.key_terms or [])
    for topic in sources:
        topic.state = "merged"
        topic.merged_into_id = target.id
        _touch(topic, now)
        terms += [term for term in topic.key_terms or [] if term not in terms]
    target.key_terms = terms[:12]
    _touch(target, now)
    db.session.flush()
    _renumber(target.question)
    audit.record(actor, "analysis.topic.merge", target, now=now, after={"merged": source_ids})


def run_split(
    actor, topic: Topic, parts: int, *, now: datetime, progress: Progress = _noop
) -> dict:
    """Divide a theme into sub-themes proposed from its own contributions."""
    _require_active(topic)
    ids = topic_members(topic)
    bodies = (
        dict(
            db.session.execute(
                select(Contribution.id, Contribution.body).where(Contribution.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    ids = sorted(bodies)
    texts = [markup_text(bodies[i]) for i in ids]
    proposal = propose_topics(texts, parts, progress=lambda f, s: progress(0.9 * f, s))
    if len(proposal.topics) < 2:
        raise RuleError(_l("This theme is too small or too uniform to be split."))
    manual = set(topic_members(topic, ("manual",)))
    created = []
    for number, proposed in enumerate(proposal.topics):
        part = Topic(
            question_id=topic.question_id,
            origin="analyst",
            touched=True,
            created_at=now,
            position=topic.position,
        )
        _describe(part, proposed, ids, now)
        part.name = f"{topic.name} · {proposed.label}"[:MAX_NAME_LENGTH]
        db.session.add(part)
        db.session.flush()
        chosen = [ids[i] for i in np.flatnonzero(proposal.assignments == number)]
        if number == 0:  # texts without words stay with the largest part
            chosen += [ids[i] for i in np.flatnonzero(proposal.assignments < 0)]
        db.session.execute(
            insert(TopicMember),
            [
                {
                    "topic_id": part.id,
                    "contribution_id": c,
                    "source": "manual" if c in manual else "auto",
                }
                for c in chosen
            ],
        )
        created.append(part.id)
    db.session.execute(delete(TopicMember).where(TopicMember.topic_id == topic.id))
    topic.state = "split"
    _touch(topic, now)
    db.session.flush()
    _renumber(topic.question)
    audit.record(actor, "analysis.topic.split", topic, now=now, after={"parts": created})
    return {"parts": created}


def tag(actor, contribution: Contribution, topic: Topic, *, now: datetime) -> None:
    """Place a contribution in a theme by hand; it stays there whatever the proposal says."""
    _require_active(topic)
    if contribution.question_id != topic.question_id:
        raise RuleError(_l("This contribution answers another question."))
    if contribution.state != "published" or contribution.withdrawn_at is not None:
        raise RuleError(_l("Only published contributions can be placed in a theme."))
    member = db.session.get(TopicMember, (topic.id, contribution.id))
    if member is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    TopicMember(topic_id=topic.id, contribution_id=contribution.id, source="manual")
                )
        except IntegrityError:
            pass  # tagged at the same instant from another window: already done
    else:
        member.source = "manual"
    _touch(topic, now)
    audit.record(
        actor, "analysis.topic.tag", topic, now=now, after={"contribution": contribution.id}
    )


def untag(actor, contribution: Contribution, topic: Topic, *, now: datetime) -> None:
    """Take a contribution out of a theme; the proposal will not put it back."""
    member = db.session.get(TopicMember, (topic.id, contribution.id))
    if member is None or member.source == "excluded":
        raise RuleError(_l("This contribution is not in this theme."))
    member.source = "excluded"
    _touch(topic, now)
    audit.record(
        actor, "analysis.topic.untag", topic, now=now, after={"contribution": contribution.id}
    )


def topic_contributions(topic: Topic, *, page: int, per_page: int = 20):
    """One page of a theme's published contributions, hand-tagged first; returns (items, total)."""
    conditions = (
        TopicMember.topic_id == topic.id,
        TopicMember.source != "excluded",
        *visible(),
    )
    total = db.session.scalar(
        select(func.count())
        .select_from(TopicMember)
        .join(Contribution, Contribution.id == TopicMember.contribution_id)
        .where(*conditions)
    )
    items = db.session.execute(
        select(Contribution, TopicMember.source)
        .join(TopicMember, TopicMember.contribution_id == Contribution.id)
        .where(*conditions)
        .options(selectinload(Contribution.population), selectinload(Contribution.region))
        .order_by(TopicMember.source.desc(), Contribution.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return items, total or 0


def representatives(topic: Topic) -> list[Contribution]:
    """The proposal's best examples of a theme that are still published."""
    ids = list(topic.representative_ids or [])
    if not ids:
        return []
    found = {
        c.id: c
        for c in db.session.scalars(
            select(Contribution)
            .where(Contribution.id.in_(ids), *visible())
            .options(selectinload(Contribution.population), selectinload(Contribution.region))
        )
    }
    return [found[i] for i in ids if i in found]


# --- findings and quotes ----------------------------------------------------------------------


def findings_of(consultation: Consultation) -> list[Finding]:
    """A consultation's findings in report order, with their quotes and themes."""
    return list(
        db.session.scalars(
            select(Finding)
            .where(Finding.consultation_id == consultation.id)
            .options(
                selectinload(Finding.topics),
                selectinload(Finding.quotes)
                .selectinload(FindingQuote.contribution)
                .selectinload(Contribution.population),
            )
            .order_by(Finding.position, Finding.id)
        )
    )


def consultation_topics(consultation: Consultation) -> list[Topic]:
    """Active themes of every question of a consultation (to link findings to)."""
    return list(
        db.session.scalars(
            select(Topic)
            .join(Question, Question.id == Topic.question_id)
            .where(Question.consultation_id == consultation.id, Topic.state == "active")
            .order_by(Question.position, Topic.position)
        )
    )


def save_finding(
    actor,
    consultation: Consultation,
    finding: Finding | None,
    *,
    title: str,
    text: str,
    topic_ids: list[int],
    now: datetime,
) -> Finding:
    """Create or edit a finding: a title, a text, and the themes it comes from."""
    title = " ".join((title or "").split())
    if not title:
        raise RuleError(_l("Give the finding a title."), field="title")
    if len(title) > MAX_NAME_LENGTH:
        raise RuleError(_l("The title is too long (200 characters at most)."), field="title")
    if len(text or "") > MAX_FINDING_LENGTH:
        raise RuleError(_l("The text is too long."), field="text")
    allowed = {t.id: t for t in consultation_topics(consultation)}
    if finding is not None:
        allowed.update({t.id: t for t in finding.topics})
    if any(topic_id not in allowed for topic_id in topic_ids):
        raise RuleError(_l("Choose themes of this consultation."), field="topics")
    if finding is None:
        position = db.session.scalar(
            select(func.count()).where(Finding.consultation_id == consultation.id)
        )
        finding = Finding(
            consultation_id=consultation.id,
            created_at=now,
            created_by_id=getattr(actor, "id", None),
            position=position,
        )
        db.session.add(finding)
    finding.title = title
    finding.body = text_to_html(text or "")
    finding.topics = [allowed[topic_id] for topic_id in dict.fromkeys(topic_ids)]
    for topic in finding.topics:
        _touch(topic, now)
    finding.updated_at = now
    db.session.flush()
    audit.record(actor, "analysis.finding.save", finding, now=now, after={"title": title})
    return finding


def delete_finding(actor, finding: Finding, *, now: datetime) -> None:
    """Remove a finding and its quotes (the contributions stay)."""
    audit.record(
        actor, "analysis.finding.delete", finding, now=now, before={"title": finding.title}
    )
    consultation_id = finding.consultation_id
    db.session.delete(finding)
    db.session.flush()
    _renumber_findings(consultation_id)


def _renumber_findings(consultation_id: int) -> None:
    """Keep report positions 0, 1, 2... after a removal or a move."""
    findings = db.session.scalars(
        select(Finding)
        .where(Finding.consultation_id == consultation_id)
        .order_by(Finding.position, Finding.id)
    )
    for position, finding in enumerate(findings):
        finding.position = position


def move_finding(actor, finding: Finding, offset: int, *, now: datetime) -> None:
    """Move a finding up (-1) or down (+1) in the report."""
    ordered = list(
        db.session.scalars(
            select(Finding)
            .where(Finding.consultation_id == finding.consultation_id)
            .order_by(Finding.position, Finding.id)
        )
    )
    index = ordered.index(finding)
    target = index + offset
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, item in enumerate(ordered):
        item.position = position
    db.session.flush()


def add_quote(
    actor, finding: Finding, contribution: Contribution, *, max_length: int | None, now: datetime
) -> FindingQuote:
    """Illustrate a finding with a published contribution of the same consultation."""
    if contribution.consultation_id != finding.consultation_id:
        raise RuleError(_l("This contribution belongs to another consultation."))
    if contribution.state != "published" or contribution.withdrawn_at is not None:
        raise RuleError(_l("Only published contributions can be quoted."))
    if max_length is not None and not 20 <= max_length <= 2000:
        raise RuleError(_l("A quote is cut between 20 and 2,000 characters."), field="max_length")
    if any(q.contribution_id == contribution.id for q in finding.quotes):
        raise RuleError(_l("This contribution already illustrates this finding."))
    quote = FindingQuote(
        contribution_id=contribution.id,
        max_length=max_length,
        position=len(finding.quotes),
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            finding.quotes.append(quote)
            db.session.flush()
    except IntegrityError:
        raise RuleError(_l("This contribution already illustrates this finding.")) from None
    audit.record(
        actor, "analysis.quote.add", finding, now=now, after={"contribution": contribution.id}
    )
    return quote


def remove_quote(actor, quote: FindingQuote, *, now: datetime) -> None:
    """Take a quote out of a finding."""
    finding = quote.finding
    finding.quotes.remove(quote)
    for position, item in enumerate(finding.quotes):
        item.position = position
    db.session.flush()
    audit.record(
        actor,
        "analysis.quote.remove",
        finding,
        now=now,
        before={"contribution": quote.contribution_id},
    )


def quote_text(quote: FindingQuote) -> str | None:
    """The quote as printed ("« … » — Adhérente, 40-60 ans, Occitanie"), None if unpublished."""
    contribution = quote.contribution
    if contribution.state != "published" or contribution.withdrawn_at is not None:
        return None
    return rules.quote(markup_text(contribution.body), attribution(contribution), quote.max_length)


def attribution(contribution: Contribution) -> str:
    """The profile a quote is attributed by, and where it was said when not online:
    "Adhérente, 40-60 ans, Occitanie (réunion « Agora de Toulouse », 12 mars 2026)"."""
    from consult.consultations.channels import source_label

    profile = contribution.attribution
    source = source_label(contribution)
    if not source:
        return profile
    return f"{profile} ({source})" if profile else source


# --- comparing populations --------------------------------------------------------------------


@dataclass
class Comparison:
    """One theme or word side by side across populations."""

    label: str
    rows: list[tuple[str, rules.GroupShare]]
    minimum: int
    #: the name of the row of respondents outside every named population: the interface's
    #: words, where every other name is one the organisers wrote
    unnamed: str = ""

    @property
    def any_too_small(self) -> bool:
        """Whether the page must show the small-group caveat."""
        return any(share.too_small for _name, share in self.rows)


def _population_names(consultation: Consultation) -> tuple[dict[str, str], list[str]]:
    """Population names by id (as text) and their display order."""
    ordered = sorted(
        (link.population for link in consultation.populations), key=lambda p: (p.position, p.id)
    )
    return {str(p.id): p.name for p in ordered}, [str(p.id) for p in ordered]


def question_bases(question: Question) -> dict[str, int]:
    """How many people answered a question in each population (published answers)."""
    rows = db.session.execute(
        select(Contribution.population_id, func.count(func.distinct(Contribution.author_id)))
        .where(*visible(Contribution.question_id == question.id))
        .group_by(Contribution.population_id)
    ).all()
    return {str(population): count for population, count in rows}


def _comparison(consultation, label, bases, counts, minimum) -> Comparison:
    """Build the side-by-side rows, named populations first."""
    names, order = _population_names(consultation)
    rows = rules.compare_groups(bases, counts, minimum=minimum, order=order)
    unknown = str(_l("Not specified"))
    return Comparison(label, [(names.get(r.group, unknown), r) for r in rows], minimum, unknown)


def compare_topic(topic: Topic, minimum: int) -> Comparison:
    """Share of each population's respondents whose answer is in the theme."""
    question = topic.question
    counts = dict(
        db.session.execute(
            select(Contribution.population_id, func.count(func.distinct(Contribution.author_id)))
            .join(TopicMember, TopicMember.contribution_id == Contribution.id)
            .where(TopicMember.topic_id == topic.id, TopicMember.source != "excluded", *visible())
            .group_by(Contribution.population_id)
        ).all()
    )
    return _comparison(
        question.consultation,
        topic.name,
        question_bases(question),
        {str(k): v for k, v in counts.items()},
        minimum,
    )


def compare_topics(question: Question, minimum: int) -> list[Comparison]:
    """Every active theme of a question across populations, in one query."""
    topics = topics_of(question)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for topic_id, population, count in db.session.execute(
        select(
            TopicMember.topic_id,
            Contribution.population_id,
            func.count(func.distinct(Contribution.author_id)),
        )
        .join(Contribution, Contribution.id == TopicMember.contribution_id)
        .where(
            TopicMember.topic_id.in_([t.id for t in topics]),
            TopicMember.source != "excluded",
            *visible(),
        )
        .group_by(TopicMember.topic_id, Contribution.population_id)
    ):
        counts[topic_id][str(population)] = count
    bases = question_bases(question)
    return [
        _comparison(question.consultation, t.name, bases, counts[t.id], minimum) for t in topics
    ]


def compare_word(question: Question, job: AnalysisJob | None, key: str, minimum: int):
    """A word across populations, from the latest word counts; None for an unknown word."""
    if job is None or not job.result:
        return None
    for word in job.result["words"]:
        if word["key"] == key:
            return _comparison(
                question.consultation,
                word["display"],
                job.result["bases"],
                word["groups"],
                minimum,
            )
    return None


# --- search -----------------------------------------------------------------------------------


def search(
    consultation: Consultation,
    query: str,
    *,
    page: int,
    per_page: int = 20,
    question: Question | None = None,
    channel: str | None = None,
) -> tuple[list[Contribution], bool]:
    """Published contributions matching every word of the query; returns (page, more to come).

    PostgreSQL uses its French full-text search without accents (stemmed: "soins" finds "soin");
    SQLite compares the French Snowball stems of the words, case and accents folded, the same way.
    """
    terms = search_terms(query)
    if not terms:
        return [], False
    conditions = list(visible(Contribution.consultation_id == consultation.id))
    if question is not None:
        conditions.append(Contribution.question_id == question.id)
    if channel in CHANNEL_LABELS:
        conditions.append(Contribution.channel == channel)
    if on_postgresql():
        vector = func.to_tsvector(_regconfig(), Contribution.body)
        conditions.append(vector.op("@@")(func.plainto_tsquery(_regconfig(), " ".join(terms))))
    else:
        raw = db.session.connection().connection.dbapi_connection
        raw.create_function("consult_stems", 1, stemmed_text, deterministic=True)
        stems = func.consult_stems(Contribution.body)
        # stems are letters only, so they carry no LIKE wildcard
        conditions += [stems.like(f"% {found} %") for found in search_stems(terms)]
    found = list(
        db.session.scalars(
            select(Contribution)
            .where(*conditions)
            .options(
                selectinload(Contribution.population),
                selectinload(Contribution.region),
                selectinload(Contribution.question),
            )
            .order_by(Contribution.id.desc())
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
        )
    )
    return found[:per_page], len(found) > per_page


def _regconfig():
    """The accent-insensitive French configuration made by the analysis migration."""
    return literal_column("'consult_french'::regconfig")
