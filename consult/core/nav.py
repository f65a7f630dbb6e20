"""Navigation entries that each area declares, shown by role."""

from dataclasses import dataclass, field

from consult.core.permissions import has_any_role


@dataclass(frozen=True)
class NavItem:
    """A link in the main navigation; `roles` empty means every signed-in person."""

    endpoint: str
    label: object
    roles: tuple = field(default_factory=tuple)
    public: bool = False

    def visible_to(self, user) -> bool:
        """True when this person may open the link."""
        if self.public:
            return True
        if not user.is_authenticated:
            return False
        return not self.roles or has_any_role(user, self.roles)
