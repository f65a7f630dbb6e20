"""consult: a participatory platform for mutual insurers and other social-economy organisations."""

import importlib
import os
from pathlib import Path

from flask import Flask, request
from flask_wtf.csrf import generate_csrf

from consult.config import Config, DevelopmentConfig
from consult.extensions import (
    babel,
    configure_postgresql,
    configure_sqlite,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
)

PROJECT_DIR = Path(__file__).resolve().parent.parent

#: Every domain area; each has a `views.py` with `bp` (and optionally `NAV`) and may have `cli.py`.
AREAS = [
    "core",
    "accounts",
    "consultations",
    "moderation",
    "assembly",
    "panels",
    "analysis",
    "mission",
    "meetings",
    "workshops",
    "api",
    "privacy",
    "notifications",
    "results",
    "admin",
]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def create_app(config=None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI, security headers."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("CONSULT_INSTANCE_PATH") or str(PROJECT_DIR / "instance"),
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder=str(PROJECT_DIR / "static"),
    )
    if config is None:
        config = Config if os.environ.get("CONSULT_ENV") == "production" else DevelopmentConfig
    app.config.from_object(config)
    if isinstance(config, dict):
        app.config.update(config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(
            Path(app.instance_path) / "consult.sqlite"
        )
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in production (CONSULT_ENV=production).")
    if not app.config.get("ASSEMBLY_SEAL_KEY"):
        raise RuntimeError("ASSEMBLY_SEAL_KEY must be set in production (CONSULT_ENV=production).")
    if app.config["ASSEMBLY_SEAL_KEY"] == app.config["SECRET_KEY"]:
        raise RuntimeError("ASSEMBLY_SEAL_KEY must differ from SECRET_KEY.")
    if not app.config.get("SITE_URL"):
        raise RuntimeError("SITE_URL must be set in production (the address e-mailed links use).")
    _trust_proxies(app)

    _bind_extensions(app)
    _register_areas(app)
    _register_template_helpers(app)
    _register_request_hooks(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address and scheme from them.

    Off by default: without a proxy, X-Forwarded-For is whatever the client wrote, and believing
    it would let anyone pick the address that rate limits count.
    """
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _bind_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    from consult.core.i18n import install_gettext, select_locale, translation_directories

    db.init_app(app)
    is_sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "migrations"), render_as_batch=is_sqlite)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories())
    babel.init_app(app, locale_selector=select_locale)
    install_gettext(app)
    limiter.init_app(app)
    with app.app_context():
        if is_sqlite:
            configure_sqlite(db.engine)
        elif db.engine.dialect.driver == "psycopg":
            configure_postgresql(db.engine)


def _register_areas(app: Flask) -> None:
    """Register each area's blueprint, navigation entries, CLI commands and rate limits."""
    import consult.models  # noqa: F401  (every model known to the metadata)
    from consult.cli import register_commands
    from consult.core.params import install_converters
    from consult.core.ratelimits import apply_rate_limits

    install_converters(app)
    app.config["NAV"] = []
    for area in AREAS:
        views = importlib.import_module(f"consult.{area}.views")
        app.register_blueprint(views.bp)
        app.config["NAV"].extend(getattr(views, "NAV", []))
    app.config["NAV"].sort(key=lambda item: item.order)  # in the order pages show them
    register_commands(app, AREAS)
    apply_rate_limits(app)


def _register_template_helpers(app: Flask) -> None:
    """Filters and globals the templates share."""
    from flask_login import current_user

    from consult.core.forms import is_checkbox, is_choice_group
    from consult.core.i18n import format_day, format_moment, written
    from consult.core.permissions import ROLE_LABELS, Role
    from consult.core.sanitize import rich

    def localdt(moment, _style=None):
        """A stored naive-UTC moment in Paris time, e.g. "23 déc. 2026, 08:01": the one format
        of moments on every page (a style argument, 'long' or 'short', gives the same)."""
        return format_moment(moment)

    app.jinja_env.filters["rich"] = rich
    app.jinja_env.filters["localdt"] = localdt
    app.jinja_env.filters["localdate"] = format_day

    app.jinja_env.globals["written"] = written
    app.jinja_env.tests["checkbox"] = is_checkbox
    app.jinja_env.tests["choice_group"] = is_choice_group
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def _globals():
        from flask import g
        from flask_babel import get_locale

        from consult.core.nav import links

        # A page built while the database fails shows no navigation by role (it would query).
        # The person once, not through the proxy for each of the two dozen entries.
        nav = (
            []
            if g.get("offline_page")
            else links(app.config["NAV"], current_user._get_current_object())
        )
        return {
            "Role": Role,
            "ROLE_LABELS": ROLE_LABELS,
            "nav_items": nav,
            "current_locale": str(get_locale() or "fr"),
            #: the language participants and organisers write in (their text keeps it in English)
            "content_lang": app.config.get("CONTENT_LANGUAGE", "fr"),
            "csrf_token": generate_csrf,
        }


def _signed_in() -> bool:
    """Whether the request carries a signed-in person's session, read from the session alone:
    nobody is loaded (or reloaded, after a commit) from the database for it."""
    from flask import session

    return "_user_id" in session


def _register_request_hooks(app: Flask) -> None:
    """One commit per request, security headers, friendly error pages."""
    from sqlalchemy.exc import SQLAlchemyError

    from consult.core import commit as commits
    from consult.core.views import ERROR_TITLES, register_error_handlers

    app.before_request(commits.remember_session)

    @app.after_request
    def _commit_and_secure(response):
        signed_in = _signed_in()
        if response.status_code < 400:
            try:
                db.session.commit()
            except SQLAlchemyError:
                # Nothing was recorded: take back what the request told the person (flashes,
                # receipts in the session) and say so plainly, on a page that needs no database.
                commits.rollback_quietly()
                app.logger.exception("commit failed: %s %s", request.method, request.path)
                response = app.make_response(
                    commits.offline_page(
                        503,
                        ERROR_TITLES[503],
                        commits.not_recorded_message(),
                        recorded_nothing=True,
                    )
                )
        else:
            commits.rollback_quietly()
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE") and request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if signed_in:
            # Pages for a signed-in person carry their data: never keep them in a shared cache.
            headers.setdefault("Cache-Control", "private, no-store")
        return response

    register_error_handlers(app)
