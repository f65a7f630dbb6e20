"""Personal access tokens for the JSON API: only their SHA-256 is stored."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import User
from consult.extensions import db


class ApiToken(db.Model):
    """A token its owner made to read the API from a program (R, Python, a spreadsheet).

    The token itself is shown once, when it is made; the database keeps its SHA-256 (a token is
    32 random bytes, so a fast hash is enough: there is nothing to guess), a prefix to tell
    tokens apart, its scopes and its expiry. A token acts with its owner's roles of the moment.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: What the owner calls it ("Export R, équipe études").
    name: Mapped[str] = mapped_column(String(100))
    #: SHA-256 (hex) of the token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The token's first characters, shown in the list so that its owner recognises it.
    prefix: Mapped[str] = mapped_column(String(16))
    #: Space-separated scopes: "consultations" (published data) and/or "results".
    scopes: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    #: The token is refused from this moment on.
    expires_at: Mapped[datetime]
    #: When it was last used (to the minute), for its owner's list.
    last_used_at: Mapped[datetime | None]
    #: When its owner revoked it; a revoked token is refused for ever.
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        """The scopes as a set."""
        return frozenset(self.scopes.split())
