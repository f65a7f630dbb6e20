"""Languages: French first, English second; one translation catalogue per area."""

from pathlib import Path

from flask import current_app, has_request_context, request, session

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent


def select_locale() -> str:
    """The language chosen with the switch, else the browser's preference, else French."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # CLI commands, background jobs and services called outside a request speak French.
        return languages[0]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def areas() -> list[str]:
    """Every sub-package of consult (each may own a catalogue)."""
    return sorted(
        p.name for p in PACKAGE_DIR.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    )


def catalogue_dir(area: str) -> Path:
    """Where an area's translations live."""
    return PACKAGE_DIR / area / "translations"


def translation_directories() -> list[str]:
    """Every area's translation folder that exists, for Flask-Babel to merge."""
    return [str(catalogue_dir(a)) for a in areas() if catalogue_dir(a).is_dir()]


def sources(area: str) -> tuple[list[Path], list[Path]]:
    """Python files and templates whose strings belong to an area's catalogue."""
    python = sorted((PACKAGE_DIR / area).rglob("*.py"))
    templates = sorted((PROJECT_DIR / "templates" / area).rglob("*.html"))
    if area == "core":
        python += sorted(PACKAGE_DIR.glob("*.py"))
        templates += sorted((PROJECT_DIR / "templates").glob("*.html"))
    return python, templates
