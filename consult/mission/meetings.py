"""Working pages of the proofs register and of the committee: sessions and annual opinions."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from consult.core.clock import utcnow
from consult.core.errors import attempt
from consult.core.forms import form_page
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.i18n import written
from consult.core.permissions import Role, login_required, role_required
from consult.mission import committee, proofs
from consult.mission import indicators as building
from consult.mission import values as mission_values
from consult.mission.blueprint import bp, get_or_404
from consult.mission.forms import OpinionForm, ProofForm, SessionForm
from consult.mission.models import CommitteeSession, Opinion, Proof
from consult.mission.public import proofs_page
from consult.mission.work import MISSION_PEOPLE, act_and_return, attach_upload


def _link_choices() -> list[SelectChoice]:
    """Every objective, engagement and indicator a proof can be linked to."""
    choices = []
    for objective in building.objectives():
        # checkbox labels: the titles are marked French for an English page
        choices.append(SelectChoice(f"o:{objective.id}", written(objective.title)))
        for engagement in objective.engagements:
            choices.append(SelectChoice(f"e:{engagement.id}", "— " + written(engagement.title)))
            for indicator in engagement.indicators:
                choices.append(SelectChoice(f"i:{indicator.id}", "—— " + written(indicator.title)))
    return choices


@bp.get("/manage/proofs")
@role_required(*MISSION_PEOPLE)
def proofs_manage():
    """Every proof, by status, objective, department and year."""
    return proofs_page(public=False)


@bp.route("/manage/proofs/new", methods=["GET", "POST"])
@bp.route("/manage/proofs/<int:proof_id>/edit", methods=["GET", "POST"])
@login_required
def proof_form(proof_id=None):
    """Put a proof forward, or edit one not yet decided."""
    proof = get_or_404(Proof, proof_id) if proof_id else None
    if not proofs.may_submit(current_user):
        abort(403)
    form = ProofForm(obj=proof)
    form.links.choices = _link_choices()
    if proof is not None and request.method == "GET":
        form.links.data = [
            f"o:{link.objective_id}"
            if link.objective_id
            else f"e:{link.engagement_id}"
            if link.engagement_id
            else f"i:{link.indicator_id}"
            for link in proof.links
        ]
    return form_page(
        form,
        lambda: proofs.save_proof(
            current_user,
            proof,
            now=utcnow(),
            title=form.title.data,
            happened_on=form.happened_on.data,
            department=form.department.data,
            territory=form.territory.data or "",
            description=form.description.data or "",
            figures=form.figures.data or "",
            links=form.links.data or [],
        ),
        success=lambda p: url_for("mission.proof", proof_id=p.id),
        template="mission/form.html",
        message=_l("The proof is saved."),
        title=_("Proof"),
        back=url_for("mission.proofs_manage"),
    )


def _act_on_proof(proof_id: int, action):
    """Run an action on a proof and return to it."""
    found = get_or_404(Proof, proof_id)
    return act_and_return(
        found, action, lambda _result: url_for("mission.proof", proof_id=found.id)
    )


@bp.post("/manage/proofs/<int:proof_id>/decide")
@role_required(Role.COMMITTEE)
def proof_decide(proof_id):
    """The committee retains or rejects a proof and says whether it is public."""
    return _act_on_proof(
        proof_id,
        lambda p: proofs.decide(
            current_user,
            p,
            now=utcnow(),
            status=request.form.get("status", ""),
            public=request.form.get("public") == "y",
            reason=request.form.get("reason", ""),
        ),
    )


@bp.post("/manage/proofs/<int:proof_id>/comments")
@role_required(Role.COMMITTEE)
def proof_comment(proof_id):
    """A committee member comments on a proof."""
    body = request.form.get("body", "")
    return _act_on_proof(
        proof_id,
        lambda p: mission_values.add_comment(current_user, now=utcnow(), body=body, proof=p),
    )


@bp.post("/manage/proofs/<int:proof_id>/attachments")
@login_required
def proof_attach(proof_id):
    """Attach a file to a proof (its author, the officer or the committee)."""
    found = get_or_404(Proof, proof_id)
    if not proofs.may_submit(current_user) or not proofs.is_visible(current_user, found):
        abort(403)
    return attach_upload(
        found.title,
        back=url_for("mission.proof", proof_id=found.id),
        action=url_for("mission.proof_attach", proof_id=found.id),
        proof=found,
    )


# --------------------------------------------------------------------------- sessions


@bp.get("/manage/sessions")
@role_required(*MISSION_PEOPLE)
def sessions():
    """The committee's sessions, latest first."""
    return render_template("mission/sessions.html", sessions=committee.sessions())


@bp.route("/manage/sessions/new", methods=["GET", "POST"])
@bp.route("/manage/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required(Role.COMMITTEE)
def session_form(session_id=None):
    """Plan a session, or write its agenda and minutes."""
    session = get_or_404(CommitteeSession, session_id) if session_id else None
    form = SessionForm(obj=session)
    return form_page(
        form,
        lambda: committee.save_session(
            current_user,
            session,
            now=utcnow(),
            held_on=form.held_on.data,
            title=form.title.data,
            place=form.place.data or "",
            agenda=form.agenda.data or "",
            minutes=form.minutes.data or "",
        ),
        success=url_for("mission.sessions"),
        template="mission/form.html",
        message=_l("The session is saved."),
        title=_("Committee session"),
        back=url_for("mission.sessions"),
    )


# --------------------------------------------------------------------------- opinions


@bp.get("/manage/opinions")
@role_required(*MISSION_PEOPLE)
def opinions_manage():
    """Every opinion, drafts included."""
    return render_template(
        "mission/opinions_manage.html", opinions=committee.opinions(published_only=False)
    )


@bp.route("/manage/opinions/new", methods=["GET", "POST"])
@bp.route("/manage/opinions/<int:opinion_id>/versions", methods=["GET", "POST"])
@role_required(Role.COMMITTEE)
def opinion_form(opinion_id=None):
    """Start the opinion of a year, or write its next version (from the latest one)."""
    opinion = get_or_404(Opinion, opinion_id) if opinion_id else None
    form = OpinionForm()
    if request.method == "GET":
        form.year.data = opinion.year if opinion else utcnow().year - 1
        if opinion is not None:
            form.title.data = opinion.title
            form.body.data = opinion.versions[-1].body if opinion.versions else ""
    if opinion is not None:
        form.year.data = opinion.year
    return form_page(
        form,
        lambda: committee.write_opinion(
            current_user,
            opinion,
            now=utcnow(),
            year=form.year.data,
            title=form.title.data,
            body=form.body.data,
            note=form.note.data or "",
        ),
        success=lambda o: url_for("mission.opinion_work", opinion_id=o.id),
        template="mission/form.html",
        message=_l("The version is saved."),
        title=_("The committee's opinion"),
        back=url_for("mission.opinions_manage"),
    )


@bp.get("/manage/opinions/<int:opinion_id>")
@role_required(*MISSION_PEOPLE)
def opinion_work(opinion_id):
    """An opinion with every version."""
    return render_template("mission/opinion_work.html", opinion=get_or_404(Opinion, opinion_id))


@bp.post("/manage/opinions/<int:opinion_id>/publish")
@role_required(Role.COMMITTEE)
def opinion_publish(opinion_id):
    """Publish the latest version of an opinion."""
    found = get_or_404(Opinion, opinion_id)
    attempt(
        lambda: committee.publish_opinion(current_user, found, now=utcnow()),
        _("The opinion is published."),
    )
    return redirect(url_for("mission.opinion_work", opinion_id=found.id))
