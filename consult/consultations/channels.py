"""Where a contribution was made, for quotes and lists: each channel's area says it."""


def source_label(contribution) -> str | None:
    """ "réunion « Agora de Toulouse », 12 mars 2026", "atelier « … », récit « … »", or None
    for a contribution written online."""
    if contribution.channel == "meeting":
        from consult.meetings.channel import source_label as meeting_source

        return meeting_source(contribution)
    if contribution.channel == "workshop":
        from consult.workshops.services import source_label as workshop_source

        return workshop_source(contribution)
    return None


def submit_from_channel(
    author,
    consultation,
    question_id: int,
    body: str,
    *,
    channel: str,
    now,
    population_id: int | None = None,
    gender_form: str = "n",
    age_band: str | None = None,
    region_id: int | None = None,
):
    """Store a contribution said in another channel (a meeting, a workshop) to a question of the
    consultation, with the profile it is attributed to, and put it through moderation as any
    contribution written online. Flushed, not committed."""
    from consult.consultations.models import Contribution
    from consult.extensions import db
    from consult.moderation import services as moderation

    contribution = Contribution(
        consultation_id=consultation.id,
        question_id=question_id,
        author_id=author.id,
        channel=channel,
        body=body,
        created_at=now,
        updated_at=now,
        population_id=population_id,
        gender_form=gender_form,
        age_band=age_band,
        region_id=region_id,
    )
    contribution.state = moderation.on_submit(
        author, contribution, consultation=consultation, previous_state=None, now=now
    )
    contribution.published_at = now if contribution.state == "published" else None
    db.session.add(contribution)
    db.session.flush()
    return contribution
