"""Routes every area shares: health check, language switch, error pages."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from consult.core.commit import (
    NOT_RECORDED,
    UNAVAILABLE,
    NotRecorded,
    forget_session_writes,
    not_recorded_message,
    offline_page,
    rollback_quietly,
)
from consult.core.i18n import lazy_gettext as _l
from consult.core.imports.views import UPLOAD_LIMIT
from consult.core.imports.views import bp as imports_bp
from consult.core.links import safe_next
from consult.core.mail import deliver_after_request
from consult.extensions import SAFE_METHODS, db

bp = Blueprint("core", __name__)
# The shared import pages (endpoints "core.imports.*") belong to core.
bp.register_blueprint(imports_bp)
bp.teardown_app_request(deliver_after_request)

ERROR_TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Sign in to continue"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    409: _l("Someone else changed this at the same time"),
    413: _l("What you sent is too large"),
    422: _l("Some information is not valid"),
    429: _l("Too many attempts: please wait a little"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is temporarily unavailable"),
}


@bp.before_app_request
def _allow_large_uploads():
    """Import pages accept files larger than other forms (before anything reads the body)."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "accepts_large_upload", False):
        request.max_content_length = UPLOAD_LIMIT


@bp.before_app_request
def _refuse_nul_bytes():
    """No person types a NUL character, and PostgreSQL text cannot hold one: answer 400."""
    for source in (request.args, request.form):
        for _key, value in source.items(multi=True):
            if "\x00" in value:
                abort(400)


@bp.get("/healthz")
def healthz():
    """Report whether the database answers (load balancers and monitoring poll this)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        db.session.rollback()
        return {"status": "unavailable", "database": False}, 503
    return {"status": "ok", "database": True}, 200


@bp.post("/language")
def set_language():
    """Remember the language a person chose, then return to the page they were on."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("consultations.index")))


def _way_back() -> str | None:
    """The page of this site the person came from (the Referer), to offer a way back."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host or not parts.path.startswith("/"):
        return None
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return None if parts.path == request.path or "\\" in target else target


def register_error_handlers(app) -> None:
    """Show every HTTP error as a page of the site, in the person's language."""

    @app.errorhandler(HTTPException)
    def _http_error(error):
        code = error.code or 500
        if request.path.startswith("/api/"):
            return {"error": str(ERROR_TITLES.get(code, error.name)), "status": code}, code
        if code in (500, 503):  # the database may be what failed: build the page without it
            return offline_page(code, ERROR_TITLES[code], None)
        return (
            render_template(
                "core/error.html",
                code=code,
                title=ERROR_TITLES.get(code, error.name),
                back=_way_back(),
            ),
            code,
        )

    @app.errorhandler(NotRecorded)
    def _not_recorded(error):
        rollback_quietly()
        if request.path.startswith("/api/"):
            forget_session_writes()
            return {"error": str(error.message or NOT_RECORDED), "status": 503}, 503
        return offline_page(
            503, ERROR_TITLES[503], error.message or not_recorded_message(), recorded_nothing=True
        )

    @app.errorhandler(DBAPIError)
    def _database_failed(error):
        # The database is unreachable or failed mid-request: nothing of this request is stored.
        rollback_quietly()
        current_app.logger.exception("database error: %s %s", request.method, request.path)
        writing = request.method not in SAFE_METHODS
        message = not_recorded_message() if writing else UNAVAILABLE
        if request.path.startswith("/api/"):
            forget_session_writes()
            return {"error": str(message), "status": 503}, 503
        return offline_page(503, ERROR_TITLES[503], message, recorded_nothing=writing)

    @app.errorhandler(500)
    def _server_error(error):
        rollback_quietly()
        if request.path.startswith("/api/"):
            return _http_error(InternalServerError())
        # Built without the database, which may be the very thing that failed.
        return offline_page(500, ERROR_TITLES[500], None, recorded_nothing=True)
