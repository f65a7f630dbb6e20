"""The one exception a rule or service raises to refuse something, with a message for people."""


class RuleError(Exception):
    """A refusal that the interface shows as it is (a translated, user-facing message)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        #: The form field the message belongs to, when there is one.
        self.field = field


def refuse(error: RuleError, category: str = "error") -> None:
    """Show a refusal on the next page and undo anything the refused action had flushed."""
    from flask import flash

    from consult.extensions import db

    db.session.rollback()
    flash(error.message, category)


def attempt(action, message, category: str = "success") -> bool:
    """Call the service a page's button asked for, and say on the next page how it went: `message`
    when `action()` succeeded, else the refusal (undoing anything the refused action had flushed).

    Returns whether it succeeded; the view then redirects, whatever the outcome.
    """
    from flask import flash

    try:
        action()
    except RuleError as error:
        refuse(error)
        return False
    flash(message, category)
    return True
