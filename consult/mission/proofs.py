"""The register of proofs (preuves) and the files attached to proofs and values.

Files live in the folder MISSION_ATTACHMENTS_DIR under a random name; the database keeps the
name people gave, the type recognised from the content, the size and a SHA-256 checked when the
file is served. A file is written before the row that points to it is flushed: when the request
rolls back, the orphan file is removed (``discard_unsaved``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime
from pathlib import Path

from flask import current_app, g
from sqlalchemy import extract, func, select

from consult.core import audit, facts
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.permissions import Role, has_any_role
from consult.extensions import db
from consult.mission import files
from consult.mission.facts import OWNS_AN_INDICATOR
from consult.mission.models import (
    Attachment,
    Engagement,
    Indicator,
    IndicatorValue,
    Objective,
    Proof,
    ProofLink,
)

STATUSES = ("submitted", "retained", "rejected")


def may_submit(actor) -> bool:
    """The mission officer, committee members and indicator owners put proofs forward."""
    if has_any_role(actor, (Role.ORGANISER, Role.COMMITTEE)):
        return True
    return facts.holds(actor, OWNS_AN_INDICATOR)


def save_proof(
    actor,
    proof: Proof | None,
    *,
    now: datetime,
    title: str,
    happened_on: date,
    department: str,
    territory: str = "",
    description: str = "",
    figures: str = "",
    links: list[str] = (),
) -> Proof:
    """Put a proof forward or edit one still submitted; `links` are "o:1", "e:2", "i:3"."""
    if not may_submit(actor):
        raise RuleError(_l("You cannot put proofs forward."))
    if proof is not None and proof.status != "submitted":
        raise RuleError(_l("The committee has decided on this proof: it can no longer change."))
    if not title.strip() or not department.strip():
        raise RuleError(_l("Give the proof a title and a department."), field="title")
    targets = _targets(links)
    if not targets:
        raise RuleError(
            _l("Link the proof to at least one objective, engagement or indicator."),
            field="links",
        )
    if proof is None:
        proof = Proof(created_at=now, created_by_id=getattr(actor, "id", None), status="submitted")
        db.session.add(proof)
    proof.title = title.strip()[:300]
    proof.happened_on = happened_on
    proof.department = department.strip()[:200]
    proof.territory = territory.strip()[:200]
    proof.description = description.strip()
    proof.figures = figures.strip()
    proof.links = [ProofLink(**target) for target in targets]
    db.session.flush()
    audit.record(actor, "mission.proof_save", proof, now=now, after={"links": sorted(links)})
    return proof


def _targets(links) -> list[dict]:
    """Check the chosen links against what exists."""
    kinds = {"o": ("objective_id", Objective), "e": ("engagement_id", Engagement)}
    kinds["i"] = ("indicator_id", Indicator)
    targets = []
    for link in dict.fromkeys(links):
        prefix, _sep, number = str(link).partition(":")
        if prefix not in kinds or not number.isdigit():
            raise RuleError(_l("Choose links from the list."), field="links")
        column, model = kinds[prefix]
        if db.session.get(model, int(number)) is None:
            raise RuleError(_l("Choose links from the list."), field="links")
        targets.append({column: int(number)})
    return targets


def decide(
    actor, proof: Proof, *, now: datetime, status: str, public: bool, reason: str = ""
) -> Proof:
    """The committee retains or rejects a proof, and says whether it is shown in public."""
    if not has_any_role(actor, (Role.COMMITTEE,)):
        raise RuleError(_l("Only the mission committee decides on proofs."))
    if status not in ("retained", "rejected"):
        raise RuleError(_l("Retain or reject the proof."), field="status")
    if status == "rejected" and not reason.strip():
        raise RuleError(_l("Say why the proof is rejected."), field="reason")
    before = {"status": proof.status, "public": proof.public}
    proof.status = status
    proof.public = bool(public) and status == "retained"
    proof.decided_at = now
    proof.decided_by_id = actor.id
    proof.decision_reason = reason.strip() or None
    db.session.flush()
    audit.record(
        actor,
        "mission.proof_decide",
        proof,
        now=now,
        before=before,
        after={"status": proof.status, "public": proof.public},
        reason=proof.decision_reason,
    )
    return proof


def listing(
    *,
    public_only: bool,
    objective_id: int | None = None,
    department: str | None = None,
    year: int | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> tuple[list[Proof], int]:
    """Proofs filtered by objective (directly or through an engagement or indicator),
    department and year; the public only sees retained, public ones."""
    query = select(Proof)
    if public_only:
        query = query.where(Proof.status == "retained", Proof.public.is_(True))
    elif status in STATUSES:
        query = query.where(Proof.status == status)
    if objective_id:
        direct = select(ProofLink.proof_id).where(ProofLink.objective_id == objective_id)
        via_engagement = (
            select(ProofLink.proof_id)
            .join(Engagement, Engagement.id == ProofLink.engagement_id)
            .where(Engagement.objective_id == objective_id)
        )
        via_indicator = (
            select(ProofLink.proof_id)
            .join(Indicator, Indicator.id == ProofLink.indicator_id)
            .join(Engagement, Engagement.id == Indicator.engagement_id)
            .where(Engagement.objective_id == objective_id)
        )
        query = query.where(
            Proof.id.in_(direct) | Proof.id.in_(via_engagement) | Proof.id.in_(via_indicator)
        )
    if department:
        query = query.where(Proof.department == department)
    if year:
        query = query.where(extract("year", Proof.happened_on) == year)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    found = db.session.scalars(
        query.order_by(Proof.happened_on.desc(), Proof.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(found), total


def departments(public_only: bool) -> list[str]:
    """The departments that reported proofs (for the filter)."""
    query = select(Proof.department).distinct().order_by(Proof.department)
    if public_only:
        query = query.where(Proof.status == "retained", Proof.public.is_(True))
    return list(db.session.scalars(query))


def years(public_only: bool) -> list[int]:
    """The years proofs took place in (for the filter), latest first."""
    query = select(Proof.happened_on)
    if public_only:
        query = query.where(Proof.status == "retained", Proof.public.is_(True))
    return sorted({d.year for d in db.session.scalars(query)}, reverse=True)


def is_visible(actor, proof: Proof) -> bool:
    """Public proofs for everyone; the others for the mission's people and their author."""
    if proof.status == "retained" and proof.public:
        return True
    if has_any_role(actor, (Role.ORGANISER, Role.COMMITTEE, Role.AUDITOR)):
        return True
    return actor is not None and proof.created_by_id == getattr(actor, "id", None)


# --------------------------------------------------------------------------- attachments


def storage_dir() -> Path:
    """The configured folder for attachments (created when missing)."""
    folder = Path(
        current_app.config.get("MISSION_ATTACHMENTS_DIR")
        or Path(current_app.instance_path) / "mission-attachments"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def attach(
    actor, *, now: datetime, filename: str, content: bytes, proof=None, value=None
) -> Attachment:
    """Check a file by its content and size, store it in the folder, and record it."""
    if (
        proof is not None
        and proof.status != "submitted"
        and not has_any_role(actor, (Role.ORGANISER,))
    ):
        raise RuleError(_l("The committee has decided on this proof: it can no longer change."))
    if value is not None and value.state != "draft":
        raise RuleError(_l("Files are attached to a value while it is a draft."))
    limit = int(current_app.config.get("MISSION_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024))
    kind = files.check_attachment(filename, content, limit)
    stored_name = secrets.token_hex(16)
    path = storage_dir() / stored_name
    path.write_bytes(content)
    g.setdefault("mission_new_files", []).append(path)
    attachment = Attachment(
        proof_id=getattr(proof, "id", None),
        value_id=getattr(value, "id", None),
        filename=files.clean_filename(filename),
        media_type=kind.media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        stored_name=stored_name,
        uploaded_at=now,
        uploaded_by_id=getattr(actor, "id", None),
    )
    db.session.add(attachment)
    db.session.flush()
    audit.record(
        actor,
        "mission.attach",
        attachment,
        now=now,
        after={"filename": attachment.filename, "sha256": attachment.sha256},
    )
    return attachment


def discard_unsaved() -> None:
    """Remove files written during a request that did not commit."""
    for path in g.pop("mission_new_files", []):
        path.unlink(missing_ok=True)


def forget_saved() -> None:
    """The request committed: its files are now referenced."""
    g.pop("mission_new_files", None)


def read_attachment(attachment: Attachment) -> bytes:
    """The file's content, refused if it changed since it was stored."""
    path = storage_dir() / attachment.stored_name
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise RuleError(_l("This file is missing from the storage folder.")) from None
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        raise RuleError(_l("This file was changed since it was stored: it is not served."))
    return content


def attachment_visible(actor, attachment: Attachment) -> bool:
    """A proof's files follow the proof; a value's files are for the mission's people."""
    if attachment.proof is not None:
        return is_visible(actor, attachment.proof)
    value: IndicatorValue = attachment.value
    if has_any_role(actor, (Role.ORGANISER, Role.COMMITTEE, Role.AUDITOR)):
        return True
    return actor is not None and value.indicator.owner_user_id == getattr(actor, "id", None)
