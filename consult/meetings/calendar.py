"""The iCalendar file of a meeting (RFC 5545), written by the `icalendar` library."""

from datetime import UTC

import icalendar

from consult.core.sanitize import plain_text
from consult.meetings.models import Meeting


def ics(meeting: Meeting, *, url: str, domain: str, show_link: bool, now) -> bytes:
    """One VEVENT; the online link only goes to people who hold a seat (`show_link`)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//consult//meetings//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"meeting-{meeting.id}@{domain}")
    event.add("dtstamp", now.replace(tzinfo=UTC))
    event.add("dtstart", meeting.starts_at.replace(tzinfo=UTC))
    event.add("dtend", meeting.ends_at.replace(tzinfo=UTC))
    event.add("summary", meeting.title)
    description = plain_text(meeting.agenda)
    if show_link and meeting.online_url:
        description = f"{description}\n\n{meeting.online_url}".strip()
    event.add("description", f"{description}\n\n{url}".strip())
    event.add("url", url)
    location = meeting.place or ""
    if show_link and meeting.online_url and not location:
        location = meeting.online_url
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if meeting.status == "cancelled" else "CONFIRMED")
    event.add("sequence", int(meeting.cancelled_at is not None))
    calendar.add_component(event)
    return calendar.to_ical()
