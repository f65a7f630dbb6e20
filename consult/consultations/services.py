"""Consultations: organising them, answering them, reading and reacting to contributions."""

import functools
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, case, func, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from consult.accounts.models import Population, User
from consult.consultations import rules
from consult.consultations.models import (
    Choice,
    Consultation,
    ConsultationPopulation,
    Contribution,
    ContributionRevision,
    Question,
    Reaction,
    Theme,
    contribution_choice,
)
from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.permissions import Role
from consult.extensions import db, dialect_insert, execute_together, table_params, table_values
from consult.moderation import services as moderation
from consult.moderation.models import ModerationStatus


def phase_of(consultation: Consultation, now: datetime) -> str:
    """Where a consultation stands now (draft, scheduled, open, closed)."""
    return rules.phase(consultation.status, consultation.opens_at, consultation.closes_at, now)


def is_organiser(user) -> bool:
    """Organisers (and administrators) see drafts and manage consultations."""
    return user is not None and user.is_authenticated and user.has_role(Role.ORGANISER)


def get_consultation(consultation_id: int, viewer, *, now: datetime) -> Consultation | None:
    """The consultation if this person may see it (drafts only for organisers; a public one
    by anyone, signed in or not)."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        return None
    if consultation.status == "draft" and not is_organiser(viewer):
        return None
    if consultation.public and consultation.status != "draft":
        return consultation
    if not is_organiser(viewer) and not rules.is_eligible(
        getattr(viewer, "population_id", None), consultation.population_ids
    ):
        return None
    return consultation


def consultations_for(viewer, *, now: datetime) -> list[tuple[Consultation, str]]:
    """The published consultations this person is invited to, newest first, with their phase."""
    query = select(Consultation).where(Consultation.status != "draft")
    if not is_organiser(viewer):
        query = query.join(ConsultationPopulation).where(
            ConsultationPopulation.population_id == viewer.population_id
        )
    found = db.session.scalars(query.order_by(Consultation.opens_at.desc())).unique().all()
    return [(c, phase_of(c, now)) for c in found]


# --- organising -------------------------------------------------------------------------------


def save_consultation(
    actor: User,
    consultation: Consultation | None,
    *,
    title: str,
    introduction: str,
    opens_at,
    closes_at,
    eligible: dict[int, int],
    now: datetime,
) -> Consultation:
    """Create or update a consultation's settings; the window must make sense."""
    title = (title or "").strip()
    if not title:
        raise RuleError(_l("Give the consultation a title."), field="title")
    if len(title) > rules.MAX_TITLE_LENGTH:
        raise RuleError(_l("The title is too long."), field="title")
    if not eligible:
        raise RuleError(_l("Invite at least one population."), field="populations")
    if any(count < 0 for count in eligible.values()):
        raise RuleError(_l("A head-count cannot be negative."), field="populations")
    already_open = consultation is not None and consultation.status != "draft"
    unchanged_opening = consultation is not None and consultation.opens_at == opens_at
    rules.check_window(
        opens_at, closes_at, now, opening_may_be_past=already_open or unchanged_opening
    )
    if consultation is None:
        consultation = Consultation(created_at=now, created_by_id=actor.id, status="draft")
        db.session.add(consultation)
    elif consultation.status == "closed":
        raise RuleError(_l("A closed consultation can no longer be changed."))
    consultation.title = title
    consultation.introduction = rules.clean_html(introduction) if introduction else ""
    consultation.opens_at = opens_at
    consultation.closes_at = closes_at
    current = {p.population_id: p for p in consultation.populations}
    consultation.populations = [
        current.get(pid) or ConsultationPopulation(population_id=pid) for pid in eligible
    ]
    for link in consultation.populations:
        link.eligible_count = eligible[link.population_id]
    db.session.flush()
    audit.record(actor, "consultations.save", consultation, now=now, after={"title": title})
    return consultation


def publish(actor: User, consultation: Consultation, *, now: datetime) -> None:
    """Make a draft visible to its populations; it opens at its opening time."""
    if consultation.status != "draft":
        raise RuleError(_l("Only a draft can be published."))
    if not consultation.questions:
        raise RuleError(_l("Add at least one question before publishing."))
    if consultation.closes_at <= now:
        raise RuleError(_l("The closing date is already past: change it before publishing."))
    consultation.status = "published"
    audit.record(
        actor,
        "consultations.publish",
        consultation,
        now=now,
        before={"status": "draft"},
        after={"status": "published"},
    )


def close(actor: User, consultation: Consultation, *, now: datetime) -> None:
    """Close a consultation before its closing time; no answer is accepted afterwards."""
    if consultation.status != "published":
        raise RuleError(_l("Only a published consultation can be closed."))
    consultation.status = "closed"
    consultation.closed_at = now
    audit.record(
        actor,
        "consultations.close",
        consultation,
        now=now,
        before={"status": "published"},
        after={"status": "closed"},
    )


def _require_draft(consultation: Consultation) -> None:
    """Questions change only before publication, so every answer meets the same wording."""
    if consultation.status != "draft":
        raise RuleError(_l("Questions can only be changed while the consultation is a draft."))


def save_theme(
    actor: User,
    consultation: Consultation,
    theme: Theme | None,
    *,
    title: str,
    description: str,
    now: datetime,
) -> Theme:
    """Create or rename a theme that groups questions."""
    _require_draft(consultation)
    title = (title or "").strip()
    if not title:
        raise RuleError(_l("Give the theme a title."), field="title")
    if theme is None:
        theme = Theme(consultation=consultation, position=len(consultation.themes))
        db.session.add(theme)
    theme.title = title[:200]
    theme.description = (description or "").strip()
    db.session.flush()
    return theme


def save_question(
    actor: User,
    consultation: Consultation,
    question: Question | None,
    *,
    kind: str,
    prompt: str,
    help_text: str,
    theme_id: int | None,
    max_words: int,
    choices: list[str],
    now: datetime,
) -> Question:
    """Create or edit a question; choice questions need at least two distinct options."""
    _require_draft(consultation)
    prompt = (prompt or "").strip()
    if not prompt:
        raise RuleError(_l("Write the question."), field="prompt")
    if kind not in ("open", "words", "single", "multiple"):
        raise RuleError(_l("Choose a kind of question."), field="kind")
    if not 1 <= max_words <= 10:
        raise RuleError(_l("Between 1 and 10 words."), field="max_words")
    labels = list(dict.fromkeys(c.strip() for c in choices if c.strip()))
    if kind in ("single", "multiple") and len(labels) < 2:
        raise RuleError(_l("Give at least two different options, one per line."), field="choices")
    if theme_id is not None and theme_id not in {t.id for t in consultation.themes}:
        raise RuleError(_l("Choose a theme of this consultation."), field="theme_id")
    if question is None:
        question = Question(consultation=consultation, position=len(consultation.questions))
        db.session.add(question)
    question.kind = kind
    question.prompt = prompt
    question.help_text = (help_text or "").strip()
    question.theme_id = theme_id
    question.max_words = max_words
    if kind in ("single", "multiple"):
        question.choices = [Choice(label=label[:200], position=i) for i, label in enumerate(labels)]
    else:
        question.choices = []
    db.session.flush()
    return question


def move_question(actor: User, question: Question, offset: int, *, now: datetime) -> None:
    """Move a question up (-1) or down (+1) in the list."""
    consultation = question.consultation
    _require_draft(consultation)
    ordered = list(consultation.questions)
    index = ordered.index(question)
    target = index + offset
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
        for position, item in enumerate(ordered):
            item.position = position
    db.session.flush()


def delete_question(actor: User, question: Question, *, now: datetime) -> None:
    """Remove a question from a draft (a draft has no answers)."""
    consultation = question.consultation
    _require_draft(consultation)
    consultation.questions.remove(question)
    for position, item in enumerate(consultation.questions):
        item.position = position
    db.session.flush()


# --- answering --------------------------------------------------------------------------------


def _check_may_answer(user: User, consultation: Consultation, now: datetime) -> None:
    """Refuse an answer, edit or withdrawal outside the window or from another population."""
    refusal = rules.answer_refusal(
        phase_of(consultation, now),
        rules.is_eligible(user.population_id, consultation.population_ids),
    )
    if refusal:
        raise RuleError(refusal)
    if not user.profile_complete:
        raise RuleError(_l("Complete your profile before answering."))


def own_answers(user: User, consultation: Consultation) -> dict[int, Contribution]:
    """This person's current answers to a consultation, by question id."""
    found = db.session.scalars(
        select(Contribution)
        .where(
            Contribution.consultation_id == consultation.id,
            Contribution.author_id == user.id,
            Contribution.channel == "online",
        )
        .options(selectinload(Contribution.choices))
    )
    return {c.question_id: c for c in found}


@dataclass
class AnswerTarget:
    """A question to answer and what the person answered to it online (None, None: nothing
    yet), read together (`answer_target`)."""

    question: Question
    own: tuple[Contribution | None, ModerationStatus | None]


@functools.cache
def _answer_target_query():
    """The statement of `answer_target`, built once (question and author are bound): the
    question, outer-joined to a sub-select of the person's answer that locks it until the
    commit on PostgreSQL (a lock cannot be taken on the outer side of a join, but it can inside
    the sub-select), and to its moderation row."""
    mine = (
        select(Contribution)
        .where(
            Contribution.question_id == bindparam("question_id"),
            Contribution.author_id == bindparam("author_id"),
            Contribution.channel == "online",
        )
        .with_for_update()
        .subquery()
    )
    own = aliased(Contribution, mine)
    consultation = joinedload(Question.consultation)
    return (
        select(Question, own, ModerationStatus)
        .outerjoin(own, own.question_id == Question.id)
        .outerjoin(ModerationStatus, ModerationStatus.contribution_id == own.id)
        .where(Question.id == bindparam("question_id"))
        .options(
            # the consultation's introduction and the populations' own rows are read only if
            # a page shows them: an answer that is saved needs neither
            consultation.defer(Consultation.introduction),
            consultation.joinedload(Consultation.populations).lazyload(
                ConsultationPopulation.population
            ),
            lazyload(ModerationStatus.contribution),
        )
    )


def answer_target(user: User, question_id: int) -> AnswerTarget | None:
    """The question with its consultation and the ids of the populations invited, and the
    person's own answer to it with its moderation row (locked, as `answer` needs it), in one
    statement; None for no such question."""
    values = {"question_id": question_id, "author_id": user.id}
    found = db.session.execute(_answer_target_query(), values).unique().first()
    if found is None:
        return None
    question, contribution, status = found
    return AnswerTarget(question, (contribution, status))


def answer(
    user: User,
    question: Question,
    *,
    text: str | None = None,
    choice_ids: list[int] | None = None,
    now: datetime,
    own: tuple[Contribution | None, ModerationStatus | None] | None = None,
) -> Contribution:
    """Record or replace a person's answer to a question, keeping any earlier text.

    ``own`` is the person's answer with its moderation row when the caller has read them with
    the question already (`answer_target`); otherwise they are read (and locked) here."""
    consultation = question.consultation
    _check_may_answer(user, consultation, now)
    body, chosen = "", []
    if question.kind == "open":
        body = rules.clean_open_answer(text, current_app.config["MAX_CONTRIBUTION_LENGTH"])
    elif question.kind == "words":
        body = rules.parse_words(text, question.max_words)
    else:
        chosen_ids = rules.check_choices(
            question.kind, choice_ids or [], {c.id for c in question.choices}
        )
        chosen = [c for c in question.choices if c.id in chosen_ids]
    if own is None:
        found = db.session.execute(
            _own_answer_query(question.kind not in ("open", "words")),
            {"question_id": question.id, "author_id": user.id},
        ).first()
        own = tuple(found) if found is not None else (None, None)
    contribution, status = own
    if contribution is None:
        return _first_answer(user, question, consultation, body, chosen, now=now)
    if contribution.withdrawn_at is None and contribution.body == body:
        if question.kind in ("open", "words") or contribution.choices == chosen:
            return contribution
    previous_state = contribution.state
    # The earlier text, kept by an INSERT built once (`_KEEP_REVISION`, sent with the edit's
    # other writes): neither the earlier revisions nor an object of this one is loaded for it.
    kept = (
        table_values(
            _REVISIONS,
            {"contribution_id": contribution.id, "body": contribution.body, "replaced_at": now},
        )
        if contribution.body
        else None
    )
    contribution.withdrawn_at = None
    contribution.body = body
    if question.kind not in ("open", "words"):
        contribution.choices = chosen
    _snapshot(contribution, user, now)
    # Moderation decides (suspension, mode, personal data, resubmission) before the one flush:
    # its look-up of a suspension writes nothing early.
    with db.session.no_autoflush:
        contribution.state = moderation.on_submit(
            user,
            contribution,
            consultation=consultation,
            previous_state=previous_state,
            now=now,
            status=status,
        )
    contribution.published_at = now if contribution.state == "published" else None
    if question.kind in ("open", "words") and status is not None and not db.session.new:
        _write_edit(contribution, status, kept)
    else:
        # The choices chosen, a moderation row written only now, or what moderation added (an
        # unmasked text kept as a revision, a resubmission's decision that the row names).
        if kept is not None:
            with db.session.no_autoflush:
                db.session.execute(_KEEP_REVISION, kept)
        db.session.flush()
    return contribution


#: What an edit changes in an answer, and what moderation changes in its row for it.
_EDITED_COLUMNS = (
    "body",
    "withdrawn_at",
    "updated_at",
    "population_id",
    "gender_form",
    "age_band",
    "region_id",
    "state",
    "published_at",
)
_RESUBMITTED_COLUMNS = (
    "version",
    "needs_review",
    "flag_count",
    "personal_data",
    "has_personal_data",
    "original_body",
    "submitted_at",
)


def _update_by_key(table, columns: tuple[str, ...]):
    """UPDATE of these columns of one row, found by its primary key. Its parameters are named
    after the table (`contribution_key`, `contribution_body`, ...: `table_params`), so that it
    can be sent with other statements (`execute_together`)."""
    (key,) = table.primary_key.columns
    return (
        table.update()
        .where(key == bindparam(f"{table.name}_key"))
        .values(table_params(table, columns))
    )


_EDITED_ANSWER = _update_by_key(Contribution.__table__, _EDITED_COLUMNS)
_RESUBMITTED_STATUS = _update_by_key(ModerationStatus.__table__, _RESUBMITTED_COLUMNS)


def _write_edit(contribution: Contribution, status: ModerationStatus, kept: dict | None) -> None:
    """Write an edited text answer, its moderation row and the earlier text kept (`kept`, the
    values of `_KEEP_REVISION`, or None) with the statements built for them, instead of the
    session's flush: ordering the objects of an edit, diffing them and building each UPDATE cost
    more than the statements themselves. On PostgreSQL they are sent as one statement.

    The two objects are then expired, as the commit would do: nothing is written twice, and
    anything read of them later in the request is read again, as written."""
    statements, values = (_EDITED_ANSWER, _RESUBMITTED_STATUS), {}
    if kept is not None:
        statements, values = (_KEEP_REVISION, *statements), dict(kept)
    for row, columns in ((contribution, _EDITED_COLUMNS), (status, _RESUBMITTED_COLUMNS)):
        (key,) = sa_inspect(row).identity
        values |= table_values(row.__table__, {"key": key, **{c: getattr(row, c) for c in columns}})
    with db.session.no_autoflush:  # else the session would write the same changes first
        execute_together(statements, values)
    db.session.expire(contribution)
    db.session.expire(status)


#: An edited answer's earlier text, kept as a revision.
_REVISIONS = ContributionRevision.__table__
_KEEP_REVISION = insert(_REVISIONS).values(
    {**table_params(_REVISIONS, ("contribution_id", "body", "replaced_at")), "reason": "edit"}
)


@functools.cache
def _own_answer_query(with_choices: bool):
    """The person's online answer to a question with its moderation row, in one query, locked
    until the commit on PostgreSQL (two edits at once keep each other's text as a revision; on
    SQLite a writing request holds the write lock already). Built once per kind of question;
    the question and the author are bound parameters."""
    query = (
        select(Contribution, ModerationStatus)
        .outerjoin(ModerationStatus, ModerationStatus.contribution_id == Contribution.id)
        .where(
            Contribution.question_id == bindparam("question_id"),
            Contribution.author_id == bindparam("author_id"),
            Contribution.channel == "online",
        )
        .options(lazyload(ModerationStatus.contribution))
        .with_for_update(of=Contribution)
    )
    if with_choices:
        query = query.options(selectinload(Contribution.choices))
    return query


def _snapshot(contribution: Contribution, user: User, now: datetime) -> None:
    """The author's profile as it is when they write, and the moment."""
    contribution.updated_at = now
    contribution.population_id = user.population_id
    contribution.gender_form = user.gender_form
    contribution.age_band = user.age_band
    contribution.region_id = user.region_id


def _first_answer(user, question, consultation, body, chosen, *, now) -> Contribution:
    """A person's first answer to a question: decided by moderation, then written by one
    INSERT ... ON CONFLICT DO NOTHING RETURNING, its moderation row and choices with it.

    The one-answer-per-person index decides: an answer from another tab, committed or not yet,
    makes this one insert nothing (PostgreSQL waits for the other transaction to end)."""
    contribution = Contribution(
        consultation_id=consultation.id,
        question_id=question.id,
        author_id=user.id,
        created_at=now,
        body=body,
        channel="online",
    )
    _snapshot(contribution, user, now)
    contribution.state = moderation.on_submit(
        user, contribution, consultation=consultation, previous_state=None, now=now
    )
    contribution.published_at = now if contribution.state == "published" else None
    values = {
        column.key: getattr(contribution, column.key)
        for column in sa_inspect(Contribution).column_attrs
        if column.key != "id"
    }
    stored = db.session.scalars(
        dialect_insert(Contribution)
        .values(values)
        .on_conflict_do_nothing(
            index_elements=[Contribution.question_id, Contribution.author_id],
            # the index's own predicate, as written (a parameter would not name it in a
            # statement PostgreSQL plans generically, once prepared)
            index_where=sql_text("channel = 'online'"),
        )
        .returning(Contribution)
    ).first()
    if stored is None:
        # The same person answered the same question in another tab at the same instant.
        raise RuleError(_l("Your answer was saved from another window: reload the page."))
    db.session.execute(insert(ModerationStatus.__table__).values(moderation.first_status(stored)))
    if chosen:
        db.session.execute(
            insert(contribution_choice),
            [{"contribution_id": stored.id, "choice_id": choice.id} for choice in chosen],
        )
    set_committed_value(stored, "choices", chosen)
    return stored


class AnswersRefused(RuleError):
    """Some answers of the all-at-once form were refused: nothing is saved, each error is shown
    beside its question."""

    def __init__(self, errors: dict):
        super().__init__(_l("Some answers need a correction; none was saved."))
        self.errors = errors


def answer_all(
    user: User, consultation: Consultation, given: dict[int, tuple], *, now: datetime
) -> int:
    """Save every answer given at once, all or nothing; `given` maps a question id to
    (text, choice ids); questions left empty keep their current answer. Returns how many were
    given."""
    errors, saved = {}, 0
    for question in consultation.questions:
        text, choice_ids = given.get(question.id, (None, []))
        if not (text or "").strip() and not choice_ids:
            continue
        try:
            answer(user, question, text=text, choice_ids=choice_ids, now=now)
        except RuleError as error:
            errors[question.id] = error.message
        else:
            saved += 1
    if errors:
        raise AnswersRefused(errors)
    return saved


def progress(answers: dict[int, Contribution], consultation: Consultation) -> tuple[int, int]:
    """(questions answered, questions): withdrawn answers do not count."""
    done = sum(
        1
        for question in consultation.questions
        if question.id in answers and answers[question.id].withdrawn_at is None
    )
    return done, len(consultation.questions)


def withdraw(user: User, contribution: Contribution, *, now: datetime) -> None:
    """Withdraw one's own answer before the close; the text is kept, never shown or counted."""
    if contribution.author_id != user.id:
        raise RuleError(_l("You can only withdraw your own answers."))
    _check_may_answer(user, contribution.consultation, now)
    if contribution.withdrawn_at is None:
        contribution.withdrawn_at = now
        contribution.updated_at = now


def my_contributions(user: User) -> list[Contribution]:
    """Everything this person wrote that is not withdrawn, newest first."""
    return list(
        db.session.scalars(
            select(Contribution)
            .where(
                Contribution.author_id == user.id,
                Contribution.channel == "online",
                Contribution.withdrawn_at.is_(None),
            )
            .options(
                selectinload(Contribution.choices),
                selectinload(Contribution.question),
                selectinload(Contribution.consultation),
            )
            .order_by(Contribution.updated_at.desc(), Contribution.id.desc())
        )
    )


# --- reading and reacting ---------------------------------------------------------------------


@dataclass
class PublishedContribution:
    """A published contribution with its reaction counts and the reader's own reaction."""

    contribution: Contribution
    agree: int
    disagree: int
    mine: int | None


def published(question: Question, reader: User, *, page: int, per_page: int = 20):
    """One page of a question's published contributions, with reactions; returns (items, total)."""
    visible = (
        Contribution.question_id == question.id,
        Contribution.state == "published",
        Contribution.withdrawn_at.is_(None),
    )
    total = db.session.scalar(select(func.count()).select_from(Contribution).where(*visible))
    counts = (
        select(
            Reaction.contribution_id,
            func.sum(case((Reaction.value == 1, 1), else_=0)).label("agree"),
            func.sum(case((Reaction.value == -1, 1), else_=0)).label("disagree"),
        )
        .group_by(Reaction.contribution_id)
        .subquery()
    )
    mine = (
        select(Reaction.contribution_id, Reaction.value)
        .where(Reaction.user_id == getattr(reader, "id", None))
        .subquery()
    )
    rows = db.session.execute(
        select(Contribution, counts.c.agree, counts.c.disagree, mine.c.value)
        .where(*visible)
        .outerjoin(counts, counts.c.contribution_id == Contribution.id)
        .outerjoin(mine, mine.c.contribution_id == Contribution.id)
        .options(selectinload(Contribution.population), selectinload(Contribution.region))
        .order_by(Contribution.published_at.desc(), Contribution.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [
        PublishedContribution(c, agree or 0, disagree or 0, value)
        for c, agree, disagree, value in rows
    ]
    return items, total


def react(user: User, contribution: Contribution, value: int, *, now: datetime) -> int | None:
    """Agree or disagree with a published contribution: one reaction per person, changeable."""
    if contribution.state != "published" or contribution.withdrawn_at is not None:
        raise RuleError(_l("This contribution is not published."))
    consultation = contribution.consultation
    if not rules.is_eligible(user.population_id, consultation.population_ids) and not (
        is_organiser(user)
    ):
        raise RuleError(_l("This consultation is not open to your population."))
    if contribution.author_id == user.id:
        raise RuleError(_l("You cannot react to your own contribution."))
    existing = db.session.scalar(
        select(Reaction).where(
            Reaction.contribution_id == contribution.id, Reaction.user_id == user.id
        )
    )
    wanted = rules.next_reaction(existing.value if existing else None, value)
    if existing is not None and wanted is None:
        db.session.delete(existing)
    elif existing is not None:
        existing.value = wanted
        existing.updated_at = now
    else:
        try:
            with db.session.begin_nested():
                db.session.add(
                    Reaction(
                        contribution_id=contribution.id,
                        user_id=user.id,
                        value=wanted,
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            raise RuleError(_l("Your reaction was already recorded.")) from None
    db.session.flush()
    return wanted


def population_choices() -> list[Population]:
    """Every population, in display order."""
    return list(db.session.scalars(select(Population).order_by(Population.position, Population.id)))
