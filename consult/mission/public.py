"""Public pages of the mission: the dashboard, one page per indicator, proofs, opinions, exports."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_login import current_user
from markupsafe import Markup

from consult.core.clock import utcnow
from consult.core.errors import RuleError
from consult.core.i18n import content_language, format_day
from consult.core.i18n import gettext as _
from consult.core.paging import page_arg
from consult.core.params import db_int
from consult.mission import committee, exports, labels, proofs, rules
from consult.mission import indicators as building
from consult.mission import values as mission_values
from consult.mission.blueprint import bp, get_or_404
from consult.mission.chart import trajectory_chart
from consult.mission.models import Attachment, Indicator, Opinion, Proof

PER_PAGE = 20


@bp.get("")
def dashboard():
    """The dashboard as mutuals publish it: objectives → engagements → indicators → states."""
    years, tree = mission_values.dashboard()
    return render_template(
        "mission/dashboard.html",
        years=years,
        tree=tree,
        milestones=committee.timeline(),
        opinions=committee.opinions(published_only=True)[:3],
        labels=labels,
    )


def indicator_view(indicator: Indicator) -> dict:
    """What the indicator page shows: settled values per date, chart and table."""
    settled = sorted(rules.in_force(indicator.values).values(), key=lambda v: v.as_of)
    rows = []
    previous = None
    for value in settled:
        gap = None
        if value.value is not None and indicator.target_value is not None and indicator.direction:
            gap = rules.gap_to_target(value.value, indicator.target_value, indicator.direction)
        change = (
            rules.trend(previous.value, value.value, indicator.direction)
            if previous is not None and indicator.direction
            else None
        )
        rows.append((value, gap, change))
        previous = value
    chart = None
    numeric = [v for v in settled if v.value is not None]
    if numeric:
        target = None
        if indicator.target_value is not None:
            target = (
                _("Target %(year)d", year=indicator.target_year),
                float(indicator.target_value),
                labels.figure(indicator.target_value, indicator),
            )
        chart = Markup(  # noqa: S704 - the chart escapes every label itself
            trajectory_chart(
                [
                    (
                        format_day(value.as_of),
                        float(value.value),
                        labels.figure(value.value, indicator),
                    )
                    for value in numeric
                ],
                # the image is named by the indicator alone, in its language: the figure's
                # caption says what it shows ("Values at each date and target")
                indicator.title,
                f"indicator-{indicator.id}",
                target=target,
                title_lang=content_language(),
            )
        )
    return {"rows": rows, "chart": chart}


@bp.get("/indicators/<int:indicator_id>")
def indicator(indicator_id):
    """One indicator: its chart with an accessible table, method, owner, source and proofs."""
    found = get_or_404(Indicator, indicator_id)
    linked, _total = proofs.listing(public_only=True, per_page=100)
    shown = [
        p
        for p in linked
        if any(
            link.indicator_id == found.id or link.engagement_id == found.engagement_id
            for link in p.links
        )
    ]
    return render_template(
        "mission/indicator.html",
        indicator=found,
        proofs=shown,
        labels=labels,
        **indicator_view(found),
    )


def _int_arg(name: str) -> int | None:
    """An optional whole number from the query string (nonsense is ignored)."""
    value = request.args.get(name, type=db_int)
    return value if value and 0 < value < 10_000 else None


def proofs_page(*, public: bool):
    """The proofs filtered by objective, department and year (and status, for mission people):
    the published ones on the public page, every one on the working page."""
    page = page_arg()
    objective_id, year = _int_arg("objective"), _int_arg("year")
    department = request.args.get("department") or None
    chosen = {"objective": objective_id, "department": department, "year": year}
    if not public:
        chosen["status"] = request.args.get("status") or None
    found, total = proofs.listing(
        public_only=public,
        status=chosen.get("status"),
        objective_id=objective_id,
        department=department,
        year=year,
        page=page,
        per_page=PER_PAGE,
    )
    return render_template(
        "mission/proofs.html",
        proofs=found,
        total=total,
        page=page,
        per_page=PER_PAGE,
        objectives=building.objectives(),
        departments=proofs.departments(public_only=public),
        years=proofs.years(public_only=public),
        chosen=chosen,
        filters={k: v for k, v in chosen.items() if v},
        endpoint="mission.proof_list" if public else "mission.proofs_manage",
        public=public,
        labels=labels,
    )


@bp.get("/proofs")
def proof_list():
    """The published proofs, filtered by objective, department and year."""
    return proofs_page(public=True)


@bp.get("/proofs/<int:proof_id>")
def proof(proof_id):
    """One proof, if it is public or the reader works on the mission."""
    found = get_or_404(Proof, proof_id)
    if not proofs.is_visible(current_user, found):
        abort(404)
    from consult.mission.forms import AttachmentForm, CommentForm, DecisionForm

    return render_template(
        "mission/proof.html",
        proof=found,
        comments=mission_values.comments_on(proof=found),
        decision_form=DecisionForm(),
        comment_form=CommentForm(),
        attachment_form=AttachmentForm(),
        labels=labels,
    )


@bp.get("/opinions")
def opinion_list():
    """The committee's published opinions."""
    return render_template(
        "mission/opinions.html", opinions=committee.opinions(published_only=True)
    )


@bp.get("/opinions/<int:opinion_id>")
def opinion(opinion_id):
    """One published opinion, as published."""
    found = get_or_404(Opinion, opinion_id)
    if found.status != "published":
        abort(404)
    return render_template(
        "mission/opinion.html", opinion=found, text=committee.published_text(found)
    )


@bp.get("/attachments/<int:attachment_id>")
def attachment(attachment_id):
    """A file, to whoever may see what it is attached to; checked against its SHA-256."""
    found = get_or_404(Attachment, attachment_id)
    if not proofs.attachment_visible(current_user, found):
        abort(404)
    try:
        content = proofs.read_attachment(found)
    except RuleError:
        abort(410)
    inline = found.media_type in ("application/pdf", "image/png", "image/jpeg")
    disposition = "inline" if inline else "attachment"
    response = Response(content, mimetype=found.media_type)
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename*=UTF-8''{_quote(found.filename)}"
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _quote(name: str) -> str:
    """RFC 5987 encoding of a file name."""
    from urllib.parse import quote

    return quote(name, safe="")


def _download(body, mimetype: str, name: str) -> Response:
    """A file download response."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/export.csv")
def export_csv():
    """The public dashboard as CSV."""
    columns, rows = exports.dashboard_table()
    day = utcnow().date().isoformat()
    return _download(
        exports.csv_text(columns, rows), "text/csv; charset=utf-8", f"mission-{day}.csv"
    )


@bp.get("/export.xlsx")
def export_xlsx():
    """The public dashboard as XLSX."""
    columns, rows = exports.dashboard_table()
    day = utcnow().date().isoformat()
    return _download(
        exports.xlsx_bytes(_("Dashboard"), columns, rows),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"mission-{day}.xlsx",
    )
