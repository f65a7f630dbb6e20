"""JSON API under /api/v1/ for analysts and organisers: consultations, contributions, participation.

Read-only, paginated (`page`, `per_page` up to 100), published contributions only, never an
author's identity: each contribution carries the profile it is attributed by. Sign-in is the
site's session; anonymous callers get 401 and others without the role 403, as JSON.
"""

from flask import Blueprint, abort, current_app, g, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from consult.analysis import rules, services
from consult.analysis.words import markup_text
from consult.api import openapi, tokens
from consult.api import rules as token_rules
from consult.api.pages import pages_bp
from consult.assembly.api import api_bp as assembly_api_bp
from consult.consultations.models import Consultation, Contribution, Question
from consult.core.clock import utcnow
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.nav import NavItem
from consult.core.params import int_or_none
from consult.core.permissions import Role, role_required
from consult.extensions import db, limiter, login_manager

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.record_once(lambda state: state.app.register_blueprint(pages_bp))


def _api_limit() -> str:
    """The configured limit of API requests (API_RATE_LIMIT)."""
    return current_app.config["API_RATE_LIMIT"]


def _api_key() -> str:
    """Whom the API limit counts: the token, else the signed-in person, else the address."""
    token = g.get("api_token")
    if token is not None:
        return f"token:{token.id}"
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


# one limit for every API route, the assembly's JSON included
for _blueprint in (bp, assembly_api_bp):
    limiter.limit(_api_limit, key_func=_api_key)(_blueprint)


def _refused(status: int, message: str, error: str):
    """A JSON refusal of a token, with the header RFC 6750 asks for."""
    header = f'Bearer error="{error}"'
    return {"error": message, "status": status}, status, {"WWW-Authenticate": header}


@bp.before_app_request
def _authenticate_by_token():
    """A request to /api/ with a bearer token is the token's owner, whatever the session says."""
    if not request.path.startswith("/api/") or "Authorization" not in request.headers:
        return None
    if (
        request.endpoint in token_rules.PUBLIC_ENDPOINTS
        or request.blueprint in token_rules.PUBLIC_BLUEPRINTS
    ):
        return None
    secret = token_rules.bearer(request.headers["Authorization"])
    token = tokens.authenticate(secret, now=utcnow()) if secret else None
    if token is None:
        return _refused(401, _("The token is unknown, expired or revoked."), "invalid_token")
    needed = token_rules.scope_needed(request.endpoint)
    if needed is None or needed not in token.scope_set:
        return _refused(403, _("The token does not give access to this."), "insufficient_scope")
    g.api_token = token
    # Flask-Login's own way of setting the request's user, without touching the session cookie
    login_manager._update_request_context_with_user(token.user)
    return None


@bp.get("/openapi.json")
def openapi_document():
    """Public: the API's reference as an OpenAPI 3.1 document."""
    return openapi.in_english(openapi.document(openapi.server_url()))


READERS = (Role.ANALYST, Role.ORGANISER)

NAV = [NavItem("api_pages.my_tokens", _l("API access"), roles=READERS, order=88)]


def _window() -> tuple[int, int]:
    """Page and page size from the query string; nonsense is a 400 with a clear message."""
    try:
        return rules.page_window(request.args.get("page"), request.args.get("per_page"))
    except ValueError:
        abort(400)


def _page(items: list, total: int, page: int, per_page: int, endpoint: str, **values) -> dict:
    """A page of results with links to its neighbours."""
    last = max(1, -(-total // per_page))
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": last,
        "next": url_for(endpoint, page=page + 1, per_page=per_page, **values)
        if page < last
        else None,
        "previous": url_for(endpoint, page=page - 1, per_page=per_page, **values)
        if page > 1
        else None,
    }


def _consultation(consultation_id: int) -> Consultation:
    """A consultation past its draft, else 404."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.status == "draft":
        abort(404)
    return consultation


def _summary(consultation: Consultation) -> dict:
    """What a consultation is, in a few fields."""
    return {
        "id": consultation.id,
        "title": consultation.title,
        "status": consultation.status,
        "opens_at": consultation.opens_at.isoformat() + "Z",
        "closes_at": consultation.closes_at.isoformat() + "Z",
        "url": url_for("api.consultation", consultation_id=consultation.id),
    }


@bp.get("/consultations")
@role_required(*READERS)
def consultations():
    """Consultations past their draft, newest first."""
    page, per_page = _window()
    visible = Consultation.status != "draft"
    total = db.session.scalar(select(func.count()).select_from(Consultation).where(visible))
    found = db.session.scalars(
        select(Consultation)
        .where(visible)
        .order_by(Consultation.opens_at.desc(), Consultation.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return _page([_summary(c) for c in found], total, page, per_page, "api.consultations")


@bp.get("/consultations/<int:consultation_id>")
@role_required(*READERS)
def consultation(consultation_id):
    """A consultation with its questions and invited populations."""
    found = _consultation(consultation_id)
    return {
        **_summary(found),
        "questions": [
            {"id": q.id, "position": q.position + 1, "kind": q.kind, "prompt": q.prompt}
            for q in found.questions
        ],
        "populations": [
            {
                "code": link.population.code,
                "name": link.population.name,
                "eligible": link.eligible_count,
            }
            for link in found.populations
        ],
        "contributions": url_for("api.contributions", consultation_id=found.id),
        "participation": url_for("api.participation", consultation_id=found.id),
    }


@bp.get("/consultations/<int:consultation_id>/contributions")
@role_required(*READERS)
def contributions(consultation_id):
    """Published contributions, optionally of one question (`question`), oldest first."""
    found = _consultation(consultation_id)
    page, per_page = _window()
    conditions = list(services.visible(Contribution.consultation_id == found.id))
    filters = {}
    question_id = request.args.get("question")
    if question_id not in (None, ""):
        question_id = int_or_none(question_id)
        if question_id is None:
            abort(400)
        question = db.session.get(Question, question_id)
        if question is None or question.consultation_id != found.id:
            abort(404)
        conditions.append(Contribution.question_id == question.id)
        filters["question"] = question.id
    total = db.session.scalar(select(func.count()).select_from(Contribution).where(*conditions))
    items = db.session.scalars(
        select(Contribution)
        .where(*conditions)
        .options(selectinload(Contribution.population), selectinload(Contribution.region))
        .order_by(Contribution.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return _page(
        [
            {
                "id": c.id,
                "question": c.question_id,
                "published_at": (c.published_at or c.created_at).isoformat() + "Z",
                "text": markup_text(c.body),
                "population": c.population.code if c.population else None,
                "gender_form": c.gender_form,
                "age_band": c.age_band,
                "region": c.region.name if c.region else None,
                "attribution": c.attribution,
            }
            for c in items
        ],
        total,
        page,
        per_page,
        "api.contributions",
        consultation_id=found.id,
        **filters,
    )


@bp.get("/consultations/<int:consultation_id>/participation")
@role_required(*READERS)
def participation(consultation_id):
    """Participation per population, profile and day."""
    found = _consultation(consultation_id)
    report, computed, _refreshing = services.participation_snapshot(
        current_user, found, now=utcnow()
    )
    if report is None:
        # figures are being computed by a background job: ask again in a moment
        return {"consultation": found.id, "status": "computing"}, 202

    def rate(value):
        return None if value is None else str(rules.percent(value, 1))

    def breakdown(rows):
        return [
            {"value": r.value, "contributors": r.contributors, "contributions": r.contributions}
            for r in rows
        ]

    return {
        "consultation": found.id,
        "computed_at": computed.finished_at.isoformat() + "Z",
        "contributors": report.total.contributors,
        "contributions": report.total.contributions,
        "internal_rate_percent": rate(report.internal.rate) if report.internal else None,
        "populations": [
            {
                "code": population.code,
                "name": population.name,
                "eligible": row.eligible,
                "contributors": row.contributors,
                "contributions": row.contributions,
                "rate_percent": rate(row.rate),
            }
            for population, row in report.populations
        ],
        "regions": breakdown(report.by_region),
        "age_bands": breakdown(report.by_age),
        "gender_forms": breakdown(report.by_gender),
        "days": [
            {
                "day": d.day.isoformat(),
                "contributions": d.contributions,
                "new_contributors": d.new_contributors,
                "cumulative_contributors": d.cumulative_contributors,
            }
            for d in report.days
        ],
    }
