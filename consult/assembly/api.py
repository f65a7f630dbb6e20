"""Public JSON of an assembly once closed: results and the hash-chained log."""

import json

from flask import Blueprint, abort
from flask_login import current_user

from consult.assembly import services
from consult.assembly.models import Assembly
from consult.core.permissions import Role, has_any_role
from consult.extensions import db

api_bp = Blueprint("assembly_api", __name__, url_prefix="/api/v1/assemblies")


def _public_assembly(assembly_id: int) -> Assembly:
    """The assembly if its results are public (or the caller is an officer), else 404/403."""
    assembly = db.session.get(Assembly, assembly_id) or abort(404)
    if not services.is_public(assembly) and not has_any_role(current_user, (Role.ORGANISER,)):
        abort(403)
    return assembly


@api_bp.get("/<int:assembly_id>/results")
def results(assembly_id):
    """Per resolution: roll, quorum, counts, majority base and threshold, outcome."""
    return services.results(_public_assembly(assembly_id))


@api_bp.get("/<int:assembly_id>/ballots")
def ballots(assembly_id):
    """The published ballots (tracking code, choice or grades, weight) and the chain to verify."""
    assembly = _public_assembly(assembly_id)
    return {
        "assembly": assembly.id,
        "freeze_hash": assembly.freeze_hash,
        "resolutions": [
            {"position": r.position, "ballots": published}
            for r, published in services.tracking_codes(assembly)
        ],
        "log": [
            {"payload": json.loads(e.payload), "previous_hash": e.previous_hash, "hash": e.hash}
            for e in services.log_entries(assembly)
        ],
    }
