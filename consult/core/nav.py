"""Navigation entries that each area declares, shown by role."""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, has_request_context, request, url_for

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


@dataclass(frozen=True)
class NavLink:
    """An entry as the header prints it."""

    url: str
    label: str
    #: the page being shown (aria-current)
    current: bool
    order: int


#: Where an application keeps the address of each entry (they take no argument).
_URLS = "consult.nav_urls"


def links(items: list[NavItem], person) -> list[NavLink]:
    """The entries this person may open, in order, with their address and label written once
    for the page (a page prints the navigation twice: wide and in the phone menu)."""
    if not has_request_context():
        return []  # an e-mail or a job renders no navigation
    urls = current_app.extensions.setdefault(_URLS, {})
    here, root = request.endpoint, request.script_root
    found = []
    for item in items:
        if not item.visible_to(person):
            continue
        url = urls.get((root, item.endpoint))
        if url is None:
            url = urls[root, item.endpoint] = url_for(item.endpoint)
        found.append(NavLink(url, str(item.label), item.endpoint == here, item.order))
    return found
