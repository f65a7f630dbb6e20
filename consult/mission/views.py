"""Mission pages: one blueprint gathering the public, working and committee routes.

The routes live by sub-capability in `public.py` (dashboard, indicators, proofs, opinions,
exports), `work.py` (structure, values, import, sampling) and `meetings.py` (proofs register,
sessions, opinions); importing them here attaches them to the blueprint.
"""

from flask import g

from consult.core import facts
from consult.core.i18n import lazy_gettext as _l
from consult.core.nav import NavItem
from consult.core.permissions import Role
from consult.mission import meetings, public, work  # noqa: F401  (their routes join `bp`)
from consult.mission.api import api_bp
from consult.mission.blueprint import bp
from consult.mission.facts import OWNS_AN_INDICATOR
from consult.mission.proofs import discard_unsaved, forget_saved

# The public JSON lives in its own blueprint under /api/v1/mission.
bp.record_once(lambda state: state.app.register_blueprint(api_bp))


NAV = [
    NavItem("mission.dashboard", _l("Mission"), public=True, order=65),
    NavItem(
        "mission.manage",
        _l("Mission follow-up"),
        roles=(Role.ORGANISER, Role.COMMITTEE, Role.AUDITOR),
        order=66,
    ),
    NavItem(
        "mission.mine",
        _l("My indicators"),
        when=lambda user: facts.holds(user, OWNS_AN_INDICATOR),
        order=67,
    ),
]


@bp.after_app_request
def _keep_files_of_committed_requests(response):
    """Runs after the request's commit: files of a request that committed are kept."""
    if response.status_code < 400 and g.get("mission_new_files"):
        forget_saved()
    return response


@bp.teardown_app_request
def _remove_files_of_failed_requests(_error):
    """Files written by a request that rolled back or failed point to nothing: remove them."""
    if g.get("mission_new_files"):
        discard_unsaved()
