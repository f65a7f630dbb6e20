"""Links that leave the site (e-mails) and links a request asks to be sent back to (`next`)."""

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for


def external_url(endpoint: str, **values) -> str:
    """An absolute link to a page of this site, for an e-mail: built from the configured SITE_URL.

    Never from the request: its Host header is whatever the sender typed, so a reset link built
    from it could send a victim's valid token to another site.
    """
    base = current_app.config["SITE_URL"].rstrip("/")
    if has_request_context():
        path = url_for(endpoint, **values, _external=False)
        path = path.removeprefix(request.script_root)  # SITE_URL already holds the mount point
    else:  # a worker or the command line: no request, and perhaps no SERVER_NAME
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base + path


def safe_next(target: str | None, fallback: str | None = None) -> str | None:
    """A `next` target that stays on this site (a path), else `fallback`.

    Refuses absolute URLs, scheme-relative ones (`//evil.example`), backslashes (browsers read
    `/\\evil.example` as `//evil.example`) and every control character (a tab or a newline is
    dropped by browsers, turning `/\\t/evil.example` into `//evil.example`; CR/LF would split the
    Location header).
    """
    if not target or not target.startswith("/") or len(target) > 2000:
        return fallback
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return fallback
    try:
        parts = urlsplit(target)
    except ValueError:
        return fallback
    if parts.scheme or parts.netloc or target.startswith("//"):
        return fallback
    return target


def safe_referrer(fallback: str) -> str:
    """The page the person came from when it is a page of this site, else `fallback`."""
    referrer = request.referrer or ""
    try:
        parts = urlsplit(referrer)
    except ValueError:
        return fallback
    if parts.netloc != request.host:
        return fallback
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, fallback)
