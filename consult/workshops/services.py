"""Co-writing workshops: organising them, writing versions of a story, commenting, publishing."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consult.accounts.models import User
from consult.consultations import channels
from consult.consultations.models import Contribution, Question
from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.permissions import Role
from consult.core.sanitize import clean_html, plain_text, text_to_html
from consult.extensions import db
from consult.workshops import rules
from consult.workshops.models import (
    Idea,
    IdeaHeading,
    Story,
    StoryComment,
    StoryVersion,
    Workshop,
    WorkshopGroup,
    WorkshopMember,
)


def is_facilitator(user) -> bool:
    """Organisers (and administrators) facilitate workshops."""
    return user is not None and user.is_authenticated and user.has_role(Role.ORGANISER)


def membership(user, workshop: Workshop) -> WorkshopMember | None:
    """The person's place among the workshop's co-authors."""
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(
        select(WorkshopMember).where(
            WorkshopMember.workshop_id == workshop.id, WorkshopMember.user_id == user.id
        )
    )


def may_take_part(user, workshop: Workshop) -> bool:
    """Co-authors and facilitators read and comment before publication."""
    return is_facilitator(user) or membership(user, workshop) is not None


def get_workshop(workshop_id: int, viewer) -> Workshop | None:
    """The workshop if this person may read it: published ones for everyone."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        return None
    if workshop.phase == "published" or may_take_part(viewer, workshop):
        return workshop
    return None


def published_workshops() -> list[Workshop]:
    """Published workshops, newest first."""
    return list(
        db.session.scalars(
            select(Workshop)
            .where(Workshop.phase == "published")
            .order_by(Workshop.published_at.desc())
        )
    )


def workshops_of(user) -> list[Workshop]:
    """Workshops a person writes in, and every one for facilitators."""
    query = select(Workshop).order_by(Workshop.created_at.desc())
    if not is_facilitator(user):
        query = query.join(WorkshopMember, WorkshopMember.workshop_id == Workshop.id).where(
            WorkshopMember.user_id == user.id
        )
    return list(db.session.scalars(query))


def stories(workshop: Workshop, *, public: bool) -> list[Story]:
    """The workshop's stories; the public sees only those moderation let through."""
    found = list(
        db.session.scalars(select(Story).where(Story.workshop_id == workshop.id).order_by(Story.id))
    )
    if public:
        found = [s for s in found if s.contribution is not None and _visible(s.contribution)]
    return found


def _visible(contribution: Contribution | None) -> bool:
    """Published by moderation and not withdrawn."""
    return (
        contribution is not None
        and contribution.state == "published"
        and contribution.withdrawn_at is None
    )


# --- organising -------------------------------------------------------------------------------


def create_workshop(
    actor: User, *, title: str, brief: str, horizon: str, question_id: int | None, now: datetime
) -> Workshop:
    """Open a workshop (a draft) on an open question whose synthesis it will feed."""
    title, horizon = (title or "").strip(), (horizon or "").strip()
    if not title:
        raise RuleError(_l("Give the workshop a title."), "title")
    if len(title) > 200:
        raise RuleError(_l("The title is too long."), "title")
    if len(horizon) > 120:
        raise RuleError(_l("The horizon is too long."), "horizon")
    text = (brief or "").strip()
    html = clean_html(text) if "<" in text else text_to_html(text)
    if not plain_text(html):
        raise RuleError(_l("Write the brief: the question the stories answer."), "brief")
    question = db.session.get(Question, question_id) if question_id else None
    if question is None or question.kind != "open":
        raise RuleError(_l("Choose an open question of a consultation."), "question_id")
    workshop = Workshop(
        title=title,
        brief=html,
        horizon=horizon,
        phase="draft",
        consultation_id=question.consultation_id,
        question_id=question.id,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(workshop)
    db.session.flush()
    audit.record(actor, "workshops.create", workshop, now=now, after={"title": title})
    return workshop


def add_group(actor: User, workshop: Workshop, *, name: str, now: datetime) -> WorkshopGroup:
    """A group of co-authors, with its (empty) story."""
    if workshop.phase == "published":
        raise RuleError(_l("A published workshop no longer changes."))
    name = (name or "").strip()
    if not name:
        raise RuleError(_l("Give the group a name."), "name")
    if len(name) > 120:
        raise RuleError(_l("The name is too long."), "name")
    group = WorkshopGroup(workshop=workshop, name=name)
    group.story = Story(workshop_id=workshop.id, title="", body="", version=0, updated_at=now)
    db.session.add(group)
    db.session.flush()
    group.story.workshop_id = workshop.id
    audit.record(actor, "workshops.group", workshop, now=now, after={"group": name})
    return group


def _add(workshop: Workshop, group: WorkshopGroup, user: User, now: datetime) -> bool:
    """Add one co-author; False when they already write in this workshop."""
    try:
        with db.session.begin_nested():
            db.session.add(
                WorkshopMember(
                    workshop_id=workshop.id, group_id=group.id, user_id=user.id, added_at=now
                )
            )
            db.session.flush()
    except IntegrityError:
        return False
    return True


def add_member(actor: User, group: WorkshopGroup, *, email: str, now: datetime) -> User:
    """Invite a person with an account into a group."""
    workshop = group.workshop
    if workshop.phase == "published":
        raise RuleError(_l("A published workshop no longer changes."))
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None or not user.active:
        raise RuleError(_l("No active account has this e-mail address."), "email")
    if not _add(workshop, group, user, now):
        raise RuleError(_l("This person already writes in a group of this workshop."), "email")
    audit.record(actor, "workshops.member", workshop, now=now, after={"user": user.id})
    return user


def add_panel(actor: User, group: WorkshopGroup, *, panel_id: int | None, now: datetime) -> int:
    """Make the accepted members of a drawn panel (who have an account) co-authors of a group."""
    from consult.panels.models import Panel, PanelSeat, PanelVolunteer

    panel = db.session.get(Panel, panel_id) if panel_id else None
    if panel is None:
        raise RuleError(_l("Choose a panel."), "panel_id")
    emails = db.session.scalars(
        select(PanelVolunteer.email)
        .join(PanelSeat, PanelSeat.volunteer_id == PanelVolunteer.id)
        .where(PanelSeat.panel_id == panel.id, PanelSeat.status == "accepted")
    ).all()
    people = db.session.scalars(select(User).where(User.email.in_(emails), User.active)).all()
    added = sum(_add(group.workshop, group, person, now) for person in people)
    group.panel_id = panel.id
    db.session.flush()
    audit.record(actor, "workshops.panel", group.workshop, now=now, after={"panel": panel.id})
    return added


def set_phase(actor: User, workshop: Workshop, target: str, *, now: datetime) -> None:
    """Move the workshop to its next phase; publishing sends the stories to synthesis and
    moderation, as contributions of the workshop channel."""
    before = workshop.phase
    workshop.phase = rules.next_phase(before, target)
    if target == "write" and not workshop.groups:
        raise RuleError(_l("Add at least one group of co-authors first."))
    if target == "published":
        written = [s for s in stories(workshop, public=False) if s.version > 0]
        if not written:
            raise RuleError(_l("No story has been written: nothing to publish."))
        for story in written:
            story.contribution = _contribution(actor, workshop, story.body, None, now)
        workshop.published_at = now
    db.session.flush()
    audit.record(
        actor,
        "workshops.phase",
        workshop,
        now=now,
        before={"phase": before},
        after={"phase": target},
    )


def _contribution(author: User, workshop: Workshop, body: str, profile: User | None, now):
    """A contribution of the workshop channel to the workshop's question, moderated as any."""
    return channels.submit_from_channel(
        author,
        workshop.consultation,
        workshop.question_id,
        body,
        channel="workshop",
        now=now,
        population_id=profile.population_id if profile else None,
        gender_form=profile.gender_form if profile else "n",
        age_band=profile.age_band if profile else None,
        region_id=profile.region_id if profile else None,
    )


# --- writing ----------------------------------------------------------------------------------


def save_story(
    user: User,
    story: Story,
    *,
    title: str,
    body: str,
    base_version: int | None,
    note: str = "",
    now: datetime,
) -> StoryVersion:
    """Save a new version of a group's story.

    Merge rule: the save names the version it started from; if someone saved since, nothing is
    overwritten and the person gets a conflict to merge. Two saves from the same version at the
    same instant meet the unique version number: one wins, the other gets the conflict.
    """
    workshop = story.group.workshop
    member = membership(user, workshop)
    if member is None or member.group_id != story.group_id:
        raise RuleError(_l("Only the group’s co-authors write its story."))
    refusal = rules.edit_refusal(workshop.phase)
    if refusal:
        raise RuleError(refusal)
    title = (title or "").strip()
    if not title:
        raise RuleError(_l("Give the story a title."), "title")
    if len(title) > 200:
        raise RuleError(_l("The title is too long."), "title")
    html = rules.clean_story(body)
    rules.check_base(base_version, story.version)
    version = StoryVersion(
        story_id=story.id,
        number=story.version + 1,
        title=title,
        body=html,
        author_id=user.id,
        created_at=now,
        note=(note or "").strip()[:300],
    )
    try:
        with db.session.begin_nested():
            db.session.add(version)
            db.session.flush()
    except IntegrityError:
        db.session.refresh(story)
        raise rules.Conflict(story.version) from None
    story.version, story.title, story.body, story.updated_at = version.number, title, html, now
    db.session.flush()
    return version


def version_of(story: Story, number: int) -> StoryVersion | None:
    """One version of a story."""
    return db.session.scalar(
        select(StoryVersion).where(StoryVersion.story_id == story.id, StoryVersion.number == number)
    )


def difference(story: Story, old: int, new: int) -> list[rules.DiffBlock]:
    """The readable difference between two versions (0 is the empty story)."""

    def texts(number):
        if number == 0:
            return []
        found = version_of(story, number)
        if found is None:
            raise RuleError(_l("This version does not exist."))
        return rules.paragraph_texts(found.body)

    return rules.diff(texts(old), texts(new))


# --- commenting -------------------------------------------------------------------------------


def comment(
    user: User,
    story: Story,
    *,
    paragraph: int | None,
    text: str,
    sentiment: str | None,
    now: datetime,
) -> StoryComment:
    """Comment on a paragraph, or mark it with a sentiment (like, worry, idea), or both."""
    workshop = story.group.workshop
    if not may_take_part(user, workshop):
        raise RuleError(_l("Only the workshop’s participants comment before publication."))
    refusal = rules.comment_refusal(workshop.phase)
    if refusal:
        raise RuleError(refusal)
    texts = rules.paragraph_texts(story.body)
    if paragraph is None or not 0 <= paragraph < len(texts):
        raise RuleError(_l("Choose the paragraph you comment on."), "paragraph")
    if sentiment not in (None, *rules.SENTIMENTS):
        raise RuleError(_l("Choose like, worry or idea."), "sentiment")
    text = (text or "").strip()
    if not text and sentiment is None:
        raise RuleError(_l("Write a comment or choose a sentiment."), "text")
    if len(text) > rules.MAX_COMMENT_LENGTH:
        raise RuleError(_l("The comment is too long."), "text")
    contribution = None
    if text:
        contribution = _contribution(user, workshop, text_to_html(text), user, now)
    found = StoryComment(
        story_id=story.id,
        author_id=user.id,
        version=story.version,
        paragraph=paragraph,
        anchor_text=texts[paragraph],
        sentiment=sentiment,
        contribution=contribution,
        created_at=now,
    )
    db.session.add(found)
    db.session.flush()
    return found


def anchored_comments(story: Story, *, public: bool = False):
    """Comments placed beside the paragraph they are about in the current text.

    Returns ({paragraph index: [comments]}, [comments whose paragraph is gone], sentiment counts
    per paragraph). A sentiment-only comment shows as its sentiment; text waits for moderation.
    """
    texts = rules.paragraph_texts(story.body)
    placed: dict[int, list[StoryComment]] = {}
    detached: list[StoryComment] = []
    counts: dict[int, dict[str, int]] = {}
    found = db.session.scalars(
        select(StoryComment).where(StoryComment.story_id == story.id).order_by(StoryComment.id)
    ).all()
    for item in found:
        if item.contribution is not None and not _visible(item.contribution):
            if public or item.contribution.state in ("rejected", "hidden"):
                continue
        index = (
            item.paragraph
            if item.version == story.version
            else rules.reanchor(item.anchor_text, item.paragraph, texts)
        )
        if index is None:
            detached.append(item)
            continue
        placed.setdefault(index, []).append(item)
        if item.sentiment:
            tally = counts.setdefault(index, {})
            tally[item.sentiment] = tally.get(item.sentiment, 0) + 1
    return placed, detached, counts


# --- ideas ------------------------------------------------------------------------------------


def add_heading(actor: User, workshop: Workshop, *, title: str, now: datetime) -> IdeaHeading:
    """A heading to group ideas under."""
    title = (title or "").strip()
    if not title:
        raise RuleError(_l("Give the heading a title."), "title")
    if len(title) > 200:
        raise RuleError(_l("The title is too long."), "title")
    heading = IdeaHeading(workshop=workshop, title=title, position=len(workshop.headings))
    db.session.add(heading)
    db.session.flush()
    audit.record(actor, "workshops.heading", workshop, now=now, after={"title": title})
    return heading


def add_idea(
    actor: User, heading: IdeaHeading, *, text: str, story_id: int | None, now: datetime
) -> Idea:
    """An idea drawn from a story, under a heading."""
    text = (text or "").strip()
    if not text:
        raise RuleError(_l("Write the idea."), "text")
    if len(text) > 1000:
        raise RuleError(_l("The idea is too long."), "text")
    if story_id is not None:
        story = db.session.get(Story, story_id)
        if story is None or story.workshop_id != heading.workshop_id:
            raise RuleError(_l("Choose a story of this workshop."), "story_id")
    count = db.session.scalar(
        select(func.count()).select_from(Idea).where(Idea.heading_id == heading.id)
    )
    idea = Idea(heading=heading, text=text, story_id=story_id, position=count or 0)
    db.session.add(idea)
    db.session.flush()
    audit.record(actor, "workshops.idea", heading.workshop, now=now, after={"idea": text[:80]})
    return idea


# --- synthesis --------------------------------------------------------------------------------


def source_label(contribution: Contribution) -> str | None:
    """Where a workshop contribution comes from ("atelier « La santé en 2040 », récit « … »")."""
    if contribution.channel != "workshop":
        return None
    story = db.session.scalar(select(Story).where(Story.contribution_id == contribution.id))
    if story is not None:
        return str(
            _l(
                "workshop “%(workshop)s”, story “%(story)s”",
                workshop=story.group.workshop.title,
                story=story.title,
            )
        )
    item = db.session.scalar(
        select(StoryComment).where(StoryComment.contribution_id == contribution.id)
    )
    if item is not None:
        return str(
            _l(
                "comment on the story “%(story)s” (workshop “%(workshop)s”)",
                story=item.story.title,
                workshop=item.story.group.workshop.title,
            )
        )
    return str(_l("written in a workshop"))


def export_markdown(workshop: Workshop) -> str:
    """The published collection as a Markdown document: brief, stories, ideas by heading."""
    lines = [f"# {workshop.title}", ""]
    if workshop.horizon:
        lines += [f"*{workshop.horizon}*", ""]
    lines += [plain_text(workshop.brief), ""]
    for story in stories(workshop, public=True):
        lines += [f"## {story.title}", "", f"_{story.group.name}_", ""]
        lines += [text + "\n" for text in rules.paragraph_texts(story.body)]
    if workshop.headings:
        lines += [f"## {_l('Ideas')}", ""]
        for heading in workshop.headings:
            lines += [f"### {heading.title}", ""]
            lines += [f"- {idea.text}" for idea in heading.ideas]
            lines.append("")
    return "\n".join(lines).strip() + "\n"
