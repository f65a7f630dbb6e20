"""What was said in a meeting in the synthesis: counted and filtered by channel, quoted with it."""

from datetime import timedelta

from consult.analysis import services as analysis
from consult.extensions import db
from consult.meetings import channel
from consult.meetings.models import Registration


def test_synthesis_counts_filters_and_quotes_by_channel(
    app, make_user, make_meeting, make_consultation, make_contribution, now
):
    consultation = make_consultation()
    question = consultation.questions[0]
    online_author = make_user()
    make_contribution(question, online_author, body="<p>La solidarité en ligne.</p>")
    meeting = make_meeting(starts_in=timedelta(hours=-3), consultation_id=consultation.id)
    organiser = make_user(roles=("organiser",))
    speaker = make_user(population="delegate", gender_form="m", age_band="60-80")
    attendee = Registration(
        meeting_id=meeting.id, user_id=speaker.id, status="walk_in", registered_at=now, answers={}
    )
    db.session.add(attendee)
    db.session.commit()
    for text in ("La solidarité entre générations.", "Rester proches des territoires."):
        said = channel.record_contribution(
            organiser,
            meeting,
            question_id=question.id,
            text=text,
            registration_id=attendee.id,
            population_id=None,
            gender_form="n",
            age_band=None,
            region_id=None,
            now=now,
        )
    db.session.commit()

    data = analysis.compute_participation(consultation)
    report = analysis.participation_report(consultation, data)
    assert report.total.contributors == 1  # the organiser who typed them is not a participant
    assert [(label, count) for label, count, _share in report.by_channel] == [
        ("En ligne", 1),
        ("En réunion", 2),
    ]

    everywhere, _ = analysis.search(consultation, "solidarité", page=1)
    in_meetings, _ = analysis.search(consultation, "solidarité", page=1, channel="meeting")
    online, _ = analysis.search(consultation, "solidarité", page=1, channel="online")
    assert len(everywhere) == 2
    assert [c.channel for c in in_meetings] == ["meeting"]
    assert [c.channel for c in online] == ["online"]

    finding = analysis.save_finding(
        None, consultation, None, title="Proximité", text="", topic_ids=[], now=now
    )
    quote = analysis.add_quote(organiser, finding, said, max_length=None, now=now)
    text = analysis.quote_text(quote)
    assert "Élu, 60-80 ans" in text
    assert "(réunion «\u00a0Agora de Toulouse\u00a0»," in text
