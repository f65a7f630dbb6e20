"""Navigation entries that each area declares, shown by role."""

from collections.abc import Callable
from dataclasses import dataclass, field

from consult.core.permissions import has_any_role


@dataclass(frozen=True)
class NavItem:
    """A link in the main navigation; `roles` empty means every signed-in person.

    `order` places it: 10 consultations, 20 own contributions, 30 moderation, 40 panels,
    50 analysis, 60 assembly, 70 organising, 80 people and administration, 90 profile.
    The header shows below 70 in the main row, 70 to 89 in the "Manage" menu and from 90 on in
    the "My account" menu.
    """

    endpoint: str
    label: object
    roles: tuple = field(default_factory=tuple)
    public: bool = False
    order: int = 50
    #: Optional extra condition on the person (e.g. "sits in a panel"), checked after the roles.
    when: Callable | None = None

    def visible_to(self, user) -> bool:
        """True when this person may open the link."""
        if self.public:
            return True
        if not user.is_authenticated:
            return False
        if self.roles and not has_any_role(user, self.roles):
            return False
        return self.when is None or bool(self.when(user))
