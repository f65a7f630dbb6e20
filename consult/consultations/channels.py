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
