"""Configuration classes; every deployment setting comes from the environment."""

import os
from datetime import timedelta


def _database_url(default: str) -> str:
    """Return DATABASE_URL, accepting the common postgres:// spellings."""
    url = os.environ.get("DATABASE_URL", default)
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


#: What the legal notice, the personal-data page and the accessibility statement say about the
#: organisation running the platform; each key is read from the environment variable LEGAL_<KEY>.
LEGAL_KEYS = (
    "organisation",  # the mutual's name ("Mutuelle Exemple")
    "address",  # its registered office
    "registration",  # legal form and registration ("Mutuelle du livre II, SIREN 000 000 000")
    "publisher",  # the publication director (directeur de la publication)
    "host",  # the host's name, address and telephone (hébergeur)
    "contact_email",  # where people write about the site
    "dpo_name",  # the data protection officer (délégué à la protection des données)
    "dpo_email",
    "dpo_address",
    "accessibility_status",  # "full", "partial" or "none" (RGAA conformity)
    "accessibility_audit",  # date and author of the RGAA audit
    "account_retention",  # how long inactive accounts are kept, in the organisation's words
)


def _legal(defaults: dict | None = None) -> dict:
    """The legal settings: LEGAL_<KEY> from the environment, else the given defaults."""
    defaults = defaults or {}
    return {
        key: os.environ.get(f"LEGAL_{key.upper()}", defaults.get(key, "")) for key in LEGAL_KEYS
    }


class Config:
    """Production-safe defaults; the embedded SQLite database lives in the instance folder."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    #: None means "a file consult.sqlite in the instance folder" (resolved by create_app).
    SQLALCHEMY_DATABASE_URI = _database_url("") or None
    #: Connections are replaced after 30 minutes rather than pinged before every checkout (a
    #: round trip per request); after a database restart the first request of a process gets
    #: the "not recorded, try again" page and the pool is rebuilt (no restart of the app).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 1800, "pool_pre_ping": False}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: "Stay signed in" lasts this long without a visit; other sessions SESSION_IDLE_HOURS.
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_DAYS", "30")))
    SESSION_IDLE_HOURS = int(os.environ.get("SESSION_IDLE_HOURS", "12"))
    #: Host names the site answers to (comma-separated); others get 400. Empty: any host.
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
    #: Reverse proxies in front of the app (load balancer, ingress) whose X-Forwarded-For and
    #: X-Forwarded-Proto are believed; 0 believes none (the app then sees the proxy's address).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    PREFERRED_URL_SCHEME = "https" if SESSION_COOKIE_SECURE else "http"
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")
    #: The language of what people write (consultations, contributions): pages mark that text
    #: with it, so that an English page reads the French text as French.
    CONTENT_LANGUAGE = os.environ.get("CONTENT_LANGUAGE", "fr")
    #: Redis for rate limits and background jobs in production; memory / synchronous otherwise.
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    MAIL_FROM = os.environ.get("MAIL_FROM", "consult@localhost")
    #: Where people reach the site (scheme, host and mount point, e.g. https://consult.mutuelle.fr):
    #: every link sent by e-mail starts with it, in a request or not, never with the request's
    #: Host header (consult.core.links.external_url). Required when CONSULT_ENV=production.
    SITE_URL = (os.environ.get("SITE_URL") or "").rstrip("/") or None
    #: "log" writes e-mails to the application log; "smtp" sends them through SMTP_HOST.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "log")
    SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    #: The site's public address, for links in e-mails written outside a request (command line).
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000/")
    #: Messages a minute the outbox sends (imports queue their invitations there).
    MAIL_RATE_PER_MINUTE = int(os.environ.get("MAIL_RATE_PER_MINUTE", "300"))
    #: Without a worker, messages the request that queued them sends as it ends.
    MAIL_INLINE_LIMIT = int(os.environ.get("MAIL_INLINE_LIMIT", "200"))
    #: Files with at most this many rows are imported inside the request, even with a worker.
    IMPORTS_INLINE_ROWS = int(os.environ.get("IMPORTS_INLINE_ROWS", "2000"))
    #: Longest accepted contribution, in characters of text.
    MAX_CONTRIBUTION_LENGTH = 10_000
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    #: Largest form field: above Werkzeug's 500 kB, so an over-long answer gets the clear "too
    #: long (n characters)" message instead of a bare 413.
    MAX_FORM_MEMORY_SIZE = 4 * 1024 * 1024
    INVITATION_VALID_DAYS = 30
    PASSWORD_RESET_VALID_HOURS = 2
    #: Assembly voting rules (JSON, see consult/assembly/rules.py RuleSet); default L114-12.
    ASSEMBLY_RULES = os.environ.get("ASSEMBLY_RULES")
    #: Majority base set by the statutes: "votes_cast" or "present_represented".
    ASSEMBLY_MAJORITY_BASE = os.environ.get("ASSEMBLY_MAJORITY_BASE")
    #: Key of the ballot seals while a vote is open (required in production, apart from
    #: SECRET_KEY, the same in every app process; never logged; it links nothing after the close).
    ASSEMBLY_SEAL_KEY = os.environ.get("ASSEMBLY_SEAL_KEY")
    # --- analysis ---
    #: Smallest group whose shares are compared without a caveat.
    ANALYSIS_MIN_GROUP_SIZE = int(os.environ.get("ANALYSIS_MIN_GROUP_SIZE", "30"))
    #: Age, in minutes, after which participation figures of an open consultation are recomputed.
    ANALYSIS_SNAPSHOT_MINUTES = int(os.environ.get("ANALYSIS_SNAPSHOT_MINUTES", "15"))
    # --- mission ---
    #: Folder where files attached to proofs and values are kept (outside the database);
    #: None means "mission-attachments" in the instance folder.
    MISSION_ATTACHMENTS_DIR = os.environ.get("MISSION_ATTACHMENTS_DIR")
    #: Largest attached file, in bytes.
    MISSION_ATTACHMENT_MAX_BYTES = int(os.environ.get("MISSION_ATTACHMENT_MAX_BYTES", "5242880"))
    # --- moderation ---
    #: Flags that hide a post-moderated contribution until a moderator decides.
    MODERATION_FLAG_THRESHOLD = int(os.environ.get("MODERATION_FLAG_THRESHOLD", "3"))
    #: Decision reasons, code -> label; None keeps the built-in list ("other" is always added).
    MODERATION_REASONS = None
    #: POST rate limits per endpoint (Flask-Limiter syntax), stored in RATELIMIT_STORAGE_URI.
    RATE_LIMITS = {
        "accounts.login": "10 per minute; 100 per day",
        "consultations.answer": "20 per minute; 300 per day",
        "consultations.answer_all": "20 per minute; 300 per day",
        "moderation.resubmit": "20 per minute; 300 per day",
        "moderation.flag": "10 per minute; 100 per day",
    }
    #: POST limits per network address: a ceiling on top of RATE_LIMITS for sign-in (one machine
    #: trying many accounts), and the only limit of public forms that have no account.
    RATE_LIMITS_PER_ADDRESS = {
        "accounts.login": "300 per hour",
        "panels.volunteer": "20 per hour",
        "panels.invitation": "30 per hour",
    }
    #: Requests to /api/ per token (or person, or address without either), Flask-Limiter syntax.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "60 per minute; 2000 per hour")
    #: Failed sign-ins on one account, from every address, after which it is slowed to
    #: SIGN_IN_ACCOUNT_PACE (never locked: ASVS 2.2.1). See consult/core/ratelimits.py.
    SIGN_IN_ACCOUNT_CEILING = os.environ.get("SIGN_IN_ACCOUNT_CEILING", "20 per hour")
    SIGN_IN_ACCOUNT_PACE = os.environ.get("SIGN_IN_ACCOUNT_PACE", "1 per 10 seconds")
    #: Reset links one e-mail address can be sent.
    PASSWORD_RESET_LIMIT = os.environ.get("PASSWORD_RESET_LIMIT", "5 per hour")
    # --- privacy ---
    #: The organisation's legal details (see LEGAL_KEYS); empty ones are flagged to administrators.
    LEGAL = _legal()


class DevelopmentConfig(Config):
    """Local development and the demo: plain HTTP on 127.0.0.1, a fixed local secret."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    ASSEMBLY_SEAL_KEY = os.environ.get("ASSEMBLY_SEAL_KEY", "dev-only-seal-key-change-me")
    LEGAL = _legal(
        {
            "organisation": "Mutuelle Exemple (démonstration)",
            "address": "1 rue de la Solidarité, 75011 Paris",
            "registration": "Mutuelle régie par le livre II du Code de la mutualité",
            "publisher": "La présidente de la Mutuelle Exemple",
            "host": "Hébergeur Exemple, 2 avenue des Serveurs, 69001 Lyon",
            "contact_email": "contact@exemple.fr",
            "dpo_name": "Camille Durand",
            "dpo_email": "dpo@exemple.fr",
            "dpo_address": "DPO, Mutuelle Exemple, 1 rue de la Solidarité, 75011 Paris",
            "accessibility_status": "partial",
            "accessibility_audit": "",
            "account_retention": "",
        }
    )
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000").rstrip("/")
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = "http"


class TestConfig(DevelopmentConfig):
    """The test suite: CSRF off by default (a test turns it on), rate limits in memory (or in the
    Redis database TEST_RATELIMIT_STORAGE_URI names, emptied of its counters after each test)."""

    TESTING = True
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = os.environ.get("TEST_RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = True
    #: Generous limits so that suites sign in many times; tests of the limits lower them.
    RATE_LIMITS = {endpoint: "1000 per minute" for endpoint in Config.RATE_LIMITS}
    RATE_LIMITS_PER_ADDRESS = {
        endpoint: "1000 per minute" for endpoint in Config.RATE_LIMITS_PER_ADDRESS
    }
    API_RATE_LIMIT = "1000 per minute"
    SIGN_IN_ACCOUNT_CEILING = "1000 per minute"
    #: A cheap hash keeps the suite fast; production uses werkzeug's default (scrypt).
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a method name, not a secret
    SERVER_NAME = None
    SITE_URL = "http://consult.test"
