"""Analysts' pages: participation, words, themes, findings, report, comparison, search, exports.

Analysts (and administrators) work; organisers read. Every route parses, calls a service and
renders; heavy computations are background jobs whose page shows their progress.
"""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from consult.analysis import charts, exports, jobs, rules, services
from consult.analysis.forms import FindingForm, ProposeForm, QuoteForm, RenameForm, SplitForm
from consult.analysis.models import AnalysisJob, Finding, FindingQuote, Topic
from consult.analysis.topics import topic_count_hint
from consult.consultations.models import Consultation, Contribution, Question
from consult.core.clock import to_local, utcnow
from consult.core.errors import RuleError, attempt, refuse
from consult.core.forms import form_page, written_choices
from consult.core.i18n import content_language, format_day_in_year, format_rate
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.links import safe_next
from consult.core.nav import NavItem
from consult.core.paging import page_arg
from consult.core.params import db_int
from consult.core.permissions import Role, role_required
from consult.extensions import db

bp = Blueprint("analysis", __name__, url_prefix="/analysis")

#: who reads the analyses, who does the analysing
READERS = (Role.ANALYST, Role.ORGANISER)
ANALYSTS = (Role.ANALYST,)

NAV = [NavItem("analysis.index", _l("Analysis"), roles=READERS)]


def _pct(rate, places: int = 0) -> str:
    """A rate as a percentage in the reader's language, rounded once, half up."""
    return format_rate(rules.percent(rate, places), places)


def _consultation(consultation_id: int) -> Consultation:
    """A consultation that has left the draft stage, else 404."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.status == "draft":
        abort(404)
    return consultation


def _question(question_id: int) -> Question:
    """A question answered in words, of a consultation that may be analysed, else 404."""
    question = db.session.get(Question, question_id)
    if question is None or not question.is_text:
        abort(404)
    _consultation(question.consultation_id)
    return question


def _topic(topic_id: int) -> Topic:
    """A theme of an analysable question, else 404."""
    topic = db.session.get(Topic, topic_id) or abort(404)
    _question(topic.question_id)
    return topic


def _finding(finding_id: int) -> Finding:
    """A finding of an analysable consultation, else 404."""
    finding = db.session.get(Finding, finding_id) or abort(404)
    _consultation(finding.consultation_id)
    return finding


def _page() -> int:
    """The page asked for, 1 when missing or nonsense, never beyond what a query can offset."""
    return page_arg()


def _minimum(consultation) -> int:
    """The small-group minimum: from the query (1 to 100,000), else this consultation's setting."""
    asked = request.args.get("minimum", type=db_int)
    if asked is not None and 1 <= asked <= 100_000:
        return asked
    return services.minimum_group(consultation)


def _svg(markup: str) -> Markup:
    """Charts are built by our own functions, which escape every label."""
    return Markup(markup)  # noqa: S704 - consult.analysis.charts escapes all text


def _back(default: str) -> str:
    """Return to the page a form came from when it is a local path."""
    return safe_next(request.form.get("next"), default)


# --- overview and participation ---------------------------------------------------------------


@bp.get("/")
@role_required(*READERS)
def index():
    """Consultations that can be analysed, with their volume."""
    return render_template("analysis/index.html", items=services.analysed_consultations())


@bp.get("/consultations/<int:consultation_id>")
@role_required(*READERS)
def overview(consultation_id):
    """Who took part: per population, profile and day, as charts with their tables."""
    consultation = _consultation(consultation_id)
    report, computed, refreshing = services.participation_snapshot(
        current_user, consultation, now=utcnow()
    )
    return render_template(
        "analysis/overview.html",
        consultation=consultation,
        report=report,
        computed=computed,
        refreshing=refreshing,
        charts=_participation_charts(report) if report else {},
        questions=services.text_questions(consultation),
        pct=_pct,
    )


@bp.post("/consultations/<int:consultation_id>/participation")
@role_required(*ANALYSTS)
def refresh_participation(consultation_id):
    """Compute the participation figures again (after moderation decisions, for instance)."""
    consultation = _consultation(consultation_id)
    try:
        started = services.start_job(current_user, "participation", consultation, now=utcnow())
        jobs.submit(started)
    except RuleError as error:
        refuse(error)
        return redirect(url_for(".overview", consultation_id=consultation.id), 303)
    return redirect(url_for(".job", job_id=started.id), 303)


def _participation_charts(report) -> dict[str, Markup]:
    """The participation charts; each page shows the same figures in a table beside them."""
    written = content_language()
    rate_bars = [
        charts.Bar(population.name, float(row.rate or 0) * 100, _pct(row.rate), lang=written)
        for population, row in report.populations
    ]
    people = [
        charts.Bar(row.value, row.contributors, lang=written)
        if row.value
        else charts.Bar(_("Not specified"), row.contributors)
        for row in report.by_region
    ]
    ages = [charts.Bar(row.value or _("Not specified"), row.contributors) for row in report.by_age]
    genders = [
        charts.Bar(row.value or _("Not specified"), row.contributors) for row in report.by_gender
    ]
    days = [charts.Bar(format_day_in_year(row.day), row.contributions) for row in report.days]
    return {
        "rates": _svg(
            charts.bar_chart(rate_bars, _("Participation rate"), "chart-rates", maximum=100)
        ),
        "regions": _svg(charts.bar_chart(people, _("Contributors by region"), "chart-regions")),
        "ages": _svg(charts.bar_chart(ages, _("Contributors by age band"), "chart-ages")),
        "genders": _svg(
            charts.bar_chart(genders, _("Contributors by gender form"), "chart-genders")
        ),
        "days": _svg(charts.column_chart(days, _("Contributions per day"), "chart-days")),
    }


# --- background jobs --------------------------------------------------------------------------


@bp.get("/jobs/<int:job_id>")
@role_required(*READERS)
def job(job_id):
    """A job's progress, refreshed by the reader (a button), or every few seconds once the reader
    asks for it (`?auto=1`, no JavaScript) and until they stop it (WCAG 2.2.1)."""
    found = db.session.get(AnalysisJob, job_id) or abort(404)
    return render_template("analysis/job.html", job=found, done_url=_job_target(found), interval=5)


def _job_target(found: AnalysisJob) -> str:
    """Where the results of a job are shown."""
    if found.kind == "participation":
        return url_for(".overview", consultation_id=found.consultation_id)
    if found.kind == "words":
        return url_for(".words", question_id=found.question_id)
    return url_for(".topics", question_id=found.question_id)


def _start(kind, consultation, back, *, question=None, topic=None, params=None):
    """Start a job and go to its progress page (or `back`, with the refusal)."""
    try:
        started = services.start_job(
            current_user,
            kind,
            consultation,
            now=utcnow(),
            question=question,
            topic=topic,
            params=params,
        )
        jobs.submit(started)
    except RuleError as error:
        refuse(error)
        return redirect(back, 303)
    return redirect(url_for(".job", job_id=started.id), 303)


# --- words ------------------------------------------------------------------------------------


@bp.get("/questions/<int:question_id>/words")
@role_required(*READERS)
def words(question_id):
    """A question's words after French normalisation: list and cloud."""
    question = _question(question_id)
    done = services.latest_job(question, "words", done=True)
    counts = services.word_counts(done)
    cloud = charts.word_cloud(
        [(c.display, c.occurrences) for c in counts[: services.CLOUD_WORDS]],
        _("Word cloud"),
        "word-cloud",
        lang=content_language(),
    )
    return render_template(
        "analysis/words.html",
        question=question,
        consultation=question.consultation,
        job=done,
        running=services.latest_job(question, "words"),
        counts=counts,
        cloud=_svg(cloud),
        total=(done.result or {}).get("texts", 0) if done else 0,
    )


@bp.post("/questions/<int:question_id>/words")
@role_required(*ANALYSTS)
def count_words(question_id):
    """Count the words again (a background job)."""
    question = _question(question_id)
    return _start(
        "words",
        question.consultation,
        url_for(".words", question_id=question.id),
        question=question,
    )


@bp.get("/questions/<int:question_id>/words/<key>")
@role_required(*READERS)
def compare_word(question_id, key):
    """One word side by side across populations."""
    question = _question(question_id)
    comparison = services.compare_word(
        question,
        services.latest_job(question, "words", done=True),
        key,
        _minimum(question.consultation),
    )
    if comparison is None:
        abort(404)
    return _render_comparison(question, comparison)


# --- themes -----------------------------------------------------------------------------------


@bp.get("/questions/<int:question_id>/topics")
@role_required(*READERS)
def topics(question_id):
    """A question's themes: sizes, key terms, examples; propose, merge, restore."""
    question = _question(question_id)
    active = services.topics_of(question)
    sizes = services.topic_sizes(question)
    form = ProposeForm(n_topics=len(active) or topic_count_hint(sum(sizes.values()) or 1000))
    return render_template(
        "analysis/topics.html",
        question=question,
        consultation=question.consultation,
        topics=active,
        set_aside=services.topics_of(question, ("discarded",)),
        sizes=sizes,
        examples={t.id: services.representatives(t)[:2] for t in active},
        running=services.latest_job(question, "topics"),
        form=form,
    )


@bp.post("/questions/<int:question_id>/topics/propose")
@role_required(*ANALYSTS)
def propose(question_id):
    """Propose themes again; analysts' themes are kept."""
    question = _question(question_id)
    form = ProposeForm()
    if not form.validate():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
        return redirect(url_for(".topics", question_id=question.id), 303)
    return _start(
        "topics",
        question.consultation,
        url_for(".topics", question_id=question.id),
        question=question,
        params={"n_topics": form.n_topics.data},
    )


@bp.post("/questions/<int:question_id>/topics/merge")
@role_required(*ANALYSTS)
def merge(question_id):
    """Merge the ticked themes into the chosen one."""
    question = _question(question_id)
    chosen = request.form.getlist("topic_ids", type=db_int)
    target_id = request.form.get("target_id", type=db_int)
    found = {t.id: t for t in services.topics_of(question)}

    def merge_them():
        if target_id not in found or any(i not in found for i in chosen):
            raise RuleError(_l("Choose active themes of this question."))
        services.merge_topics(
            current_user, found[target_id], [found[i] for i in chosen], now=utcnow()
        )

    attempt(merge_them, _("The themes are merged."))
    return redirect(url_for(".topics", question_id=question.id), 303)


@bp.get("/topics/<int:topic_id>")
@role_required(*READERS)
def topic(topic_id):
    """A theme: its contributions, and what analysts can do with it."""
    found = _topic(topic_id)
    items, total = services.topic_contributions(found, page=_page())
    findings = services.findings_of(found.question.consultation)
    quote_form = QuoteForm()
    quote_form.finding_id.choices = written_choices((f.id, f.title) for f in findings)
    return render_template(
        "analysis/topic.html",
        topic=found,
        question=found.question,
        consultation=found.question.consultation,
        items=items,
        total=total,
        page=_page(),
        per_page=20,
        examples=services.representatives(found),
        rename_form=RenameForm(name=found.name),
        split_form=SplitForm(),
        quote_form=quote_form,
        has_findings=bool(findings),
        others=[t for t in services.topics_of(found.question) if t.id != found.id],
    )


@bp.post("/topics/<int:topic_id>/rename")
@role_required(*ANALYSTS)
def rename(topic_id):
    """Rename a theme."""
    found = _topic(topic_id)
    form = RenameForm()

    def rename_it():
        if not form.validate():
            raise RuleError(" ".join(str(e) for e in form.name.errors))
        services.rename_topic(current_user, found, form.name.data, now=utcnow())

    attempt(rename_it, _("The theme is renamed."))
    return redirect(url_for(".topic", topic_id=found.id), 303)


@bp.post("/topics/<int:topic_id>/discard")
@role_required(*ANALYSTS)
def discard(topic_id):
    """Set a theme aside."""
    found = _topic(topic_id)
    attempt(
        lambda: services.discard_topic(current_user, found, now=utcnow()),
        _("The theme is set aside."),
    )
    return redirect(url_for(".topics", question_id=found.question_id), 303)


@bp.post("/topics/<int:topic_id>/restore")
@role_required(*ANALYSTS)
def restore(topic_id):
    """Bring a discarded theme back."""
    found = _topic(topic_id)
    attempt(
        lambda: services.restore_topic(current_user, found, now=utcnow()),
        _("The theme is restored."),
    )
    return redirect(url_for(".topics", question_id=found.question_id), 303)


@bp.post("/topics/<int:topic_id>/split")
@role_required(*ANALYSTS)
def split(topic_id):
    """Split a theme into parts proposed from its own contributions (a background job)."""
    found = _topic(topic_id)
    form = SplitForm()
    if not form.validate() or found.state != "active":
        flash(_("Between 2 and 6 parts, for an active theme."), "error")
        return redirect(url_for(".topic", topic_id=found.id), 303)
    return _start(
        "split",
        found.question.consultation,
        url_for(".topic", topic_id=found.id),
        question=found.question,
        topic=found,
        params={"parts": form.parts.data},
    )


@bp.post("/contributions/<int:contribution_id>/tag")
@role_required(*ANALYSTS)
def tag(contribution_id):
    """Place a contribution in a theme by hand."""
    contribution = db.session.get(Contribution, contribution_id) or abort(404)
    found = _topic(request.form.get("topic_id", type=db_int) or 0)
    attempt(
        lambda: services.tag(current_user, contribution, found, now=utcnow()),
        _("The contribution is placed in “%(name)s”.", name=found.name),
    )
    return redirect(_back(url_for(".topic", topic_id=found.id)), 303)


@bp.post("/contributions/<int:contribution_id>/untag")
@role_required(*ANALYSTS)
def untag(contribution_id):
    """Take a contribution out of a theme."""
    contribution = db.session.get(Contribution, contribution_id) or abort(404)
    found = _topic(request.form.get("topic_id", type=db_int) or 0)
    attempt(
        lambda: services.untag(current_user, contribution, found, now=utcnow()),
        _("The contribution is taken out of the theme."),
    )
    return redirect(_back(url_for(".topic", topic_id=found.id)), 303)


# --- comparison -------------------------------------------------------------------------------


@bp.get("/topics/<int:topic_id>/compare")
@role_required(*READERS)
def compare_topic(topic_id):
    """One theme side by side across populations."""
    found = _topic(topic_id)
    return _render_comparison(
        found.question, services.compare_topic(found, _minimum(found.question.consultation))
    )


@bp.get("/questions/<int:question_id>/compare")
@role_required(*READERS)
def compare(question_id):
    """Every theme of a question across populations, in one table."""
    question = _question(question_id)
    comparisons = services.compare_topics(question, _minimum(question.consultation))
    return render_template(
        "analysis/compare_all.html",
        question=question,
        consultation=question.consultation,
        comparisons=comparisons,
        groups=[name for name, _share in comparisons[0].rows] if comparisons else [],
        minimum=_minimum(question.consultation),
        pct=_pct,
    )


def _render_comparison(question, comparison):
    """One theme or word across populations: chart, table and caveat."""
    bars = [
        charts.Bar(
            name + (" *" if share.too_small else ""),
            float(share.share or 0) * 100,
            _pct(share.share),
            muted=share.too_small,
            lang=None if name == comparison.unnamed else content_language(),
        )
        for name, share in comparison.rows
    ]
    chart = charts.bar_chart(
        bars,
        _("Share of respondents: %(label)s", label=comparison.label),
        "chart-compare",
        maximum=100,
    )
    return render_template(
        "analysis/compare.html",
        question=question,
        consultation=question.consultation,
        comparison=comparison,
        chart=_svg(chart),
        pct=_pct,
    )


# --- findings ---------------------------------------------------------------------------------


def _finding_form(consultation, finding=None) -> FindingForm:
    """The finding form with the consultation's themes as choices."""
    form = FindingForm(obj=None)
    topics = services.consultation_topics(consultation)
    if finding is not None:
        topics += [t for t in finding.topics if t not in topics]
    form.topics.choices = written_choices(
        (t.id, f"{t.question.position + 1}. {t.name}") for t in topics
    )
    if finding is not None and not form.is_submitted():
        form.title.data = finding.title
        form.text.data = _plain(finding.body)
        form.topics.data = [t.id for t in finding.topics]
    return form


def _plain(markup: str) -> str:
    """A finding's stored text back to what the analyst typed."""
    from consult.core.sanitize import plain_text

    return plain_text(markup)


@bp.route("/consultations/<int:consultation_id>/findings", methods=["GET", "POST"])
@role_required(*READERS)
def findings(consultation_id):
    """The findings of a consultation, and a form to write a new one (analysts)."""
    consultation = _consultation(consultation_id)
    if request.method == "POST" and not current_user.has_role(*ANALYSTS):
        abort(403)
    form = _finding_form(consultation)
    return form_page(
        form,
        lambda: _save_finding(form, consultation, None),
        success=url_for(".findings", consultation_id=consultation.id),
        message=_("The finding is saved."),
        template="analysis/findings.html",
        consultation=consultation,
        findings=services.findings_of(consultation),
        quote_text=services.quote_text,
    )


@bp.route("/findings/<int:finding_id>", methods=["GET", "POST"])
@role_required(*ANALYSTS)
def finding(finding_id):
    """Edit a finding and its quotes."""
    found = _finding(finding_id)
    consultation = found.consultation
    form = _finding_form(consultation, found)
    return form_page(
        form,
        lambda: _save_finding(form, consultation, found),
        success=url_for(".findings", consultation_id=consultation.id),
        message=_("The finding is saved."),
        template="analysis/finding.html",
        finding=found,
        consultation=consultation,
        quote_text=services.quote_text,
    )


def _save_finding(form, consultation, found):
    """Call the service with the form's values."""
    return services.save_finding(
        current_user,
        consultation,
        found,
        title=form.title.data,
        text=form.text.data,
        topic_ids=form.topics.data or [],
        now=utcnow(),
    )


@bp.post("/findings/<int:finding_id>/delete")
@role_required(*ANALYSTS)
def delete_finding(finding_id):
    """Delete a finding."""
    found = _finding(finding_id)
    consultation_id = found.consultation_id
    services.delete_finding(current_user, found, now=utcnow())
    flash(_("The finding is deleted."), "success")
    return redirect(url_for(".findings", consultation_id=consultation_id), 303)


@bp.post("/findings/<int:finding_id>/move")
@role_required(*ANALYSTS)
def move_finding(finding_id):
    """Move a finding up or down in the report."""
    found = _finding(finding_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    services.move_finding(current_user, found, offset, now=utcnow())
    return redirect(url_for(".findings", consultation_id=found.consultation_id), 303)


@bp.post("/contributions/<int:contribution_id>/quote")
@role_required(*ANALYSTS)
def quote(contribution_id):
    """Quote a contribution in a finding."""
    contribution = db.session.get(Contribution, contribution_id) or abort(404)
    form = QuoteForm()
    found = db.session.get(Finding, form.finding_id.data or 0) if form.finding_id.data else None
    try:
        if found is None:
            raise RuleError(_l("Choose a finding."))
        if not form.max_length.validate(form):
            raise RuleError(" ".join(str(e) for e in form.max_length.errors))
        services.add_quote(
            current_user, found, contribution, max_length=form.max_length.data, now=utcnow()
        )
    except RuleError as error:
        refuse(error)
    else:
        flash(_("The quote is added to “%(title)s”.", title=found.title), "success")
    return redirect(_back(url_for(".index")), 303)


@bp.post("/quotes/<int:quote_id>/remove")
@role_required(*ANALYSTS)
def remove_quote(quote_id):
    """Take a quote out of its finding."""
    found = db.session.get(FindingQuote, quote_id) or abort(404)
    finding_id = found.finding_id
    _finding(finding_id)
    services.remove_quote(current_user, found, now=utcnow())
    flash(_("The quote is removed."), "success")
    return redirect(url_for(".finding", finding_id=finding_id), 303)


# --- report, search, exports ------------------------------------------------------------------


@bp.get("/consultations/<int:consultation_id>/report")
@role_required(*READERS)
def report(consultation_id):
    """The printable report: participation, findings with their quotes, themes."""
    consultation = _consultation(consultation_id)
    participation, computed, refreshing = services.participation_snapshot(
        current_user, consultation, now=utcnow()
    )
    questions = services.text_questions(consultation)
    return render_template(
        "analysis/report.html",
        consultation=consultation,
        report=participation,
        computed=computed,
        refreshing=refreshing,
        charts=_participation_charts(participation) if participation else {},
        findings=services.findings_of(consultation),
        quote_text=services.quote_text,
        themes=[(q, services.topics_of(q), services.topic_sizes(q)) for q in questions],
        pct=_pct,
        printed_at=to_local(utcnow()),
    )


@bp.get("/consultations/<int:consultation_id>/search")
@role_required(*READERS)
def search(consultation_id):
    """Search the published contributions of a consultation."""
    consultation = _consultation(consultation_id)
    query = (request.args.get("q") or "").strip()[:200]
    question_id = request.args.get("question", type=db_int)
    question = None
    if question_id:
        question = db.session.get(Question, question_id)
        if question is None or question.consultation_id != consultation.id:
            abort(404)
    channel = request.args.get("channel") or None
    if channel not in services.CHANNEL_LABELS:
        channel = None
    page = _page()
    items, more = services.search(
        consultation, query, page=page, question=question, channel=channel
    )
    return render_template(
        "analysis/search.html",
        consultation=consultation,
        query=query,
        question=question,
        channel=channel,
        channels=services.CHANNEL_LABELS,
        items=items,
        more=more,
        page=page,
        questions=services.text_questions(consultation),
        topics={q.id: services.topics_of(q) for q in services.text_questions(consultation)},
        findings_choices=written_choices(
            (f.id, f.title) for f in services.findings_of(consultation)
        ),
    )


def _attachment(name: str) -> str:
    """A download header for a generated file name."""
    return f"attachment; filename={name}"


def _include_unpublished() -> bool:
    """Unpublished contributions are exported only when asked and allowed."""
    wanted = request.args.get("include") == "all"
    if wanted and not rules.may_export_unpublished(current_user.role_names):
        abort(403)
    return wanted


@bp.get("/consultations/<int:consultation_id>/export.csv")
@role_required(*ANALYSTS)
def export_csv(consultation_id):
    """Download the contributions as CSV (streamed)."""
    consultation = _consultation(consultation_id)
    export = exports.prepare(consultation, include_unpublished=_include_unpublished())
    return Response(
        exports.csv_chunks(export),
        mimetype="text/csv",
        headers={"Content-Disposition": _attachment(exports.export_name(consultation.id, "csv"))},
    )


@bp.get("/consultations/<int:consultation_id>/export.xlsx")
@role_required(*ANALYSTS)
def export_xlsx(consultation_id):
    """Download the contributions as an XLSX workbook."""
    consultation = _consultation(consultation_id)
    export = exports.prepare(consultation, include_unpublished=_include_unpublished())
    return Response(
        exports.xlsx_bytes(export),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": _attachment(exports.export_name(consultation.id, "xlsx"))},
    )
