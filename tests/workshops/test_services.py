"""Writing versions, the merge rule, comments anchored after a change, publication to synthesis."""

import pytest
from concurrency import run_together
from sqlalchemy import func, select

from consult.accounts.models import User
from consult.consultations.models import Contribution
from consult.core.errors import RuleError
from consult.extensions import db
from consult.workshops import rules, services
from consult.workshops.models import Story, StoryVersion

TEXT = (
    "En 2040, Lucie ouvre sa porte.\n\nLa mutuelle a payé la maison de santé.\n\nLe soir, on dîne."
)


def _story(workshop):
    return workshop.groups[0].story


def test_versions_and_the_merge_rule(app, make_workshop, now):
    workshop = make_workshop()
    story, (first, second) = _story(workshop), workshop.authors[:2]
    services.save_story(first, story, title="Le quartier", body=TEXT, base_version=0, now=now)
    db.session.commit()
    with pytest.raises(rules.Conflict):
        services.save_story(
            second, story, title="Autre", body="Autre texte.", base_version=0, now=now
        )
    db.session.rollback()
    services.save_story(
        second, story, title="Le quartier", body=TEXT + "\n\nFin.", base_version=1, now=now
    )
    db.session.commit()
    assert [v.number for v in story.versions] == [1, 2]
    assert story.version == 2 and story.body.endswith("<p>Fin.</p>")
    blocks = services.difference(story, 1, 2)
    assert blocks[-1].kind == "insert"


def test_only_the_group_writes_and_only_in_writing_phases(app, make_workshop, make_user, now):
    workshop = make_workshop(groups=2)
    story = _story(workshop)
    other_group_author = workshop.authors[2]
    with pytest.raises(RuleError, match="co-auteurs"):
        services.save_story(other_group_author, story, title="x", body="y", base_version=0, now=now)
    workshop.phase = "comment"
    with pytest.raises(RuleError, match="finalisation"):
        services.save_story(
            workshop.authors[0], story, title="x", body="y", base_version=0, now=now
        )


def test_two_saves_from_the_same_version_at_once(app, make_workshop, now):
    """Both read version 0 and pass the check; the unique version number keeps one."""
    workshop = make_workshop()
    story_id = _story(workshop).id
    ids = [a.id for a in workshop.authors[:2]]
    db.session.remove()

    def save(index):
        user = db.session.get(User, ids[index])
        story = db.session.get(Story, story_id)
        story.group.workshop  # noqa: B018 - loaded before the race
        return services.save_story(
            user, story, title=f"Titre {index}", body=f"Texte {index}", base_version=0, now=now
        ).number

    results = run_together(app, StoryVersion, save, [0, 1], request=False)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "int"], results
    assert db.session.scalar(select(func.count()).select_from(StoryVersion)) == 1


def test_comments_follow_their_paragraph_after_the_text_changes(app, make_workshop, now):
    workshop = make_workshop()
    story, author = _story(workshop), workshop.authors[0]
    services.save_story(author, story, title="Le quartier", body=TEXT, base_version=0, now=now)
    workshop.phase = "comment"
    reader = workshop.authors[1]
    on_mutual = services.comment(
        reader, story, paragraph=1, text="Qui paie ?", sentiment="worry", now=now
    )
    services.comment(reader, story, paragraph=2, text="", sentiment="like", now=now)
    with pytest.raises(RuleError):
        services.comment(reader, story, paragraph=9, text="x", sentiment=None, now=now)
    with pytest.raises(RuleError):
        services.comment(reader, story, paragraph=0, text="", sentiment=None, now=now)
    db.session.commit()
    workshop.phase = "finalise"
    changed = "Un matin de 2040.\n\n" + TEXT.replace("a payé", "a financé").replace(
        "Le soir, on dîne.", ""
    )
    services.save_story(author, story, title="Le quartier", body=changed, base_version=1, now=now)
    db.session.commit()
    placed, detached, counts = services.anchored_comments(story)
    assert on_mutual in placed[2]  # moved down one paragraph, reworded
    assert [c.sentiment for c in detached] == ["like"]  # its paragraph was removed
    assert counts[2] == {"worry": 1}
    assert on_mutual.contribution.channel == "workshop"


def test_publication_sends_stories_to_synthesis_and_moderation(app, make_workshop, now):
    workshop = make_workshop(groups=2)
    story = _story(workshop)
    services.save_story(
        workshop.authors[0], story, title="Le quartier", body=TEXT, base_version=0, now=now
    )
    workshop.phase = "finalise"
    db.session.commit()
    services.set_phase(workshop.organiser, workshop, "published", now=now)
    db.session.commit()
    contributions = db.session.scalars(
        select(Contribution).where(Contribution.channel == "workshop")
    ).all()
    assert len(contributions) == 1  # the unwritten story of group 2 is not published
    assert story.contribution.question_id == workshop.question_id
    assert services.stories(workshop, public=True) == [story]
    assert "Le quartier" in services.source_label(story.contribution)
    assert "# La santé en 2040" in services.export_markdown(workshop)
    with pytest.raises(RuleError):
        services.set_phase(workshop.organiser, workshop, "finalise", now=now)


def test_ideas_under_headings(app, make_workshop, now):
    workshop = make_workshop(phase="published")
    heading = services.add_heading(
        workshop.organiser, workshop, title="Le soin près de chez soi", now=now
    )
    services.add_idea(
        workshop.organiser, heading, text="Des maisons de santé", story_id=None, now=now
    )
    with pytest.raises(RuleError):
        services.add_idea(workshop.organiser, heading, text=" ", story_id=None, now=now)
    assert [i.text for i in heading.ideas] == ["Des maisons de santé"]


def test_moderation_and_quotes_treat_workshop_texts_as_contributions(app, make_workshop, now):
    from consult.analysis import services as analysis

    workshop = make_workshop()
    workshop.consultation.moderation_mode = "pre"
    story = _story(workshop)
    services.save_story(
        workshop.authors[0], story, title="Le quartier", body=TEXT, base_version=0, now=now
    )
    workshop.phase = "comment"
    remark = services.comment(
        workshop.authors[1], story, paragraph=0, text="Très juste.", sentiment=None, now=now
    )
    db.session.commit()
    assert remark.contribution.state == "pending"  # pre-moderation: waits for a moderator
    placed, _detached, _counts = services.anchored_comments(story, public=True)
    assert remark not in placed.get(0, [])
    workshop.phase = "finalise"
    services.set_phase(workshop.organiser, workshop, "published", now=now)
    db.session.commit()
    assert services.stories(workshop, public=True) == []  # the story awaits moderation too
    story.contribution.state = "published"
    db.session.commit()
    finding = analysis.save_finding(
        None, workshop.consultation, None, title="Proximité", text="", topic_ids=[], now=now
    )
    quote = analysis.add_quote(
        workshop.organiser, finding, story.contribution, max_length=40, now=now
    )
    assert (
        "atelier «\u00a0La santé en 2040\u00a0», récit «\u00a0Le quartier\u00a0»"
        in analysis.quote_text(quote)
    )
