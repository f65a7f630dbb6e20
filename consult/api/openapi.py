"""The API's reference as an OpenAPI 3.1 document, served at /api/v1/openapi.json.

Written by hand beside the views it describes (tests check that every API route is in it and
that it validates against the OpenAPI schema); the page for people is rendered from it. Each
operation's summary and description are messages: the JSON has them in English (`in_english`), the
page in the reader's language.
"""

from __future__ import annotations

from flask_babel.speaklater import LazyString

from consult.api.rules import SCOPES
from consult.core.i18n import force_locale
from consult.core.i18n import lazy_gettext as _l
from consult.core.links import external_url

VERSION = "1.0"


def _json(schema_ref: str, description: str) -> dict:
    """A JSON response with a schema from the components."""
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorised"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "404": {"$ref": "#/components/responses/NotFound"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
}


#: The tag of the public operations (the mission's dashboard): no token, no session.
PUBLIC = "mission"


def _operation(operation_id, summary, description, scope, responses, parameters=()) -> dict:
    """One GET operation, readable with a session or with a token holding ``scope``.

    A ``scope`` of PUBLIC is open to everyone: no security, and only the errors it can give.
    """
    if scope == PUBLIC:
        security, errors = [], {key: ERRORS[key] for key in ("404", "429")}
    else:
        security, errors = [{"token": [scope]}, {"session": []}], ERRORS
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "tags": [scope],
            "security": security,
            "parameters": list(parameters),
            "responses": {**responses, **errors},
        }
    }


def in_english(value):
    """The document (or any part of it) with its messages written in English, for the JSON."""
    if isinstance(value, LazyString):
        with force_locale("en"):
            return str(value)
    if isinstance(value, dict):
        return {key: in_english(item) for key, item in value.items()}
    if isinstance(value, list):
        return [in_english(item) for item in value]
    return value


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def server_url() -> str:
    """Where /api/v1 is served, from the configured SITE_URL (never from the request's Host)."""
    return external_url("api.consultations").rsplit("/", 1)[0]


def document(server_url: str) -> dict:
    """The whole OpenAPI document; ``server_url`` is where /api/v1 is served."""
    consultation_id = _ref("consultation_id")
    assembly_id = _ref("assembly_id")
    indicator_id = _ref("indicator_id")
    paging = [_ref("page"), _ref("per_page")]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "consult open-data API",
            "version": VERSION,
            "description": (
                "Read-only JSON for analysts and organisers: consultations, their published "
                "contributions (attributed by profile, never by name), participation figures, "
                "the results of closed general assemblies, and the mission committee's public "
                "follow-up. Authenticate with a personal access token (`Authorization: Bearer "
                "cst_...`, made on the site under “API access”) or with the site's session; "
                "the mission's data is public and needs neither."
            ),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": server_url}],
        "tags": [
            {"name": "consultations", "description": "A consultation's published data."},
            {"name": "results", "description": "Participation figures and assembly results."},
            {
                "name": PUBLIC,
                "description": "The mission committee's public follow-up: open to everyone.",
            },
        ],
        "paths": {
            "/consultations": _operation(
                "listConsultations",
                _l("Consultations"),
                _l("Consultations past their draft, newest first."),
                "consultations",
                {"200": _json("ConsultationPage", "A page of consultations.")},
                paging,
            ),
            "/consultations/{consultation_id}": _operation(
                "getConsultation",
                _l("One consultation"),
                _l("A consultation with its questions and invited populations."),
                "consultations",
                {"200": _json("ConsultationDetail", "The consultation.")},
                [consultation_id],
            ),
            "/consultations/{consultation_id}/contributions": _operation(
                "listContributions",
                _l("Published contributions"),
                _l("Published contributions, oldest first, optionally of one question."),
                "consultations",
                {"200": _json("ContributionPage", "A page of contributions.")},
                [consultation_id, *paging, _ref("question")],
            ),
            "/consultations/{consultation_id}/participation": _operation(
                "getParticipation",
                _l("Participation figures"),
                _l(
                    "Participation per population, profile and day. While the figures are being "
                    "computed the answer is 202 with a status: ask again in a moment."
                ),
                "results",
                {
                    "200": _json("Participation", "The figures."),
                    "202": _json("Computing", "The figures are being computed."),
                },
                [consultation_id],
            ),
            "/assemblies/{assembly_id}/results": _operation(
                "getAssemblyResults",
                _l("Assembly results"),
                _l(
                    "Per resolution: roll, quorum, counts, majority base and threshold, outcome. "
                    "Public once the assembly is closed."
                ),
                "results",
                {"200": _json("Object", "The results.")},
                [assembly_id],
            ),
            "/assemblies/{assembly_id}/ballots": _operation(
                "getAssemblyBallots",
                _l("Published ballots"),
                _l(
                    "The published ballots (tracking code, choice, weight) and the hash-chained "
                    "log, to recompute every tally."
                ),
                "results",
                {"200": _json("Object", "The ballots and the log.")},
                [assembly_id],
            ),
            "/mission": _operation(
                "getMissionDashboard",
                _l("Mission dashboard"),
                _l(
                    "Objectives, their engagements and indicators, with the settled (validated or "
                    "audited) values, the gap to the target and the trend. Figures are exact "
                    "decimals written as strings."
                ),
                PUBLIC,
                {"200": _json("MissionDashboard", "The dashboard.")},
            ),
            "/mission/indicators/{indicator_id}": _operation(
                "getMissionIndicator",
                _l("One mission indicator"),
                _l("An indicator with every settled value and its provenance."),
                PUBLIC,
                {"200": _json("MissionIndicator", "The indicator.")},
                [indicator_id],
            ),
            "/mission/proofs": _operation(
                "listMissionProofs",
                _l("Public proofs"),
                _l("The proofs the committee retained and made public."),
                PUBLIC,
                {"200": _json("MissionProofs", "The proofs.")},
            ),
            "/mission/opinions": _operation(
                "listMissionOpinions",
                _l("Published opinions"),
                _l("The committee's published yearly opinions, with their published text."),
                PUBLIC,
                {"200": _json("MissionOpinions", "The opinions.")},
            ),
        },
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal access token; scopes: " + ", ".join(SCOPES) + ".",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "parameters": {
                "consultation_id": _path_id("consultation_id", "The consultation."),
                "assembly_id": _path_id("assembly_id", "The assembly."),
                "indicator_id": _path_id("indicator_id", "The indicator."),
                "page": _query_int("page", "Page number, from 1.", 1, None),
                "per_page": _query_int("per_page", "Items per page (20 by default).", 1, 100),
                "question": _query_int(
                    "question", "Only the contributions to this question.", 1, None
                ),
            },
            "responses": {
                "BadRequest": _error("A parameter is not understood."),
                "Unauthorised": _error(
                    "No session and no token, or a token unknown, expired or revoked."
                ),
                "Forbidden": _error("The role or the token's scopes do not allow it."),
                "NotFound": _error("No such consultation, question, assembly or indicator."),
                "TooManyRequests": _error("Too many requests: wait, then ask again."),
            },
            "schemas": SCHEMAS,
        },
    }


def _path_id(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 1},
    }


def _query_int(name: str, description: str, minimum: int, maximum: int | None) -> dict:
    schema = {"type": "integer", "minimum": minimum}
    if maximum is not None:
        schema["maximum"] = maximum
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def _error(description: str) -> dict:
    """An error answer: the shared Error schema."""
    return _json("Error", description)


def _object(required=(), /, **properties) -> dict:
    """An object schema, ``properties`` in their order; ``required`` names those always there."""
    schema = {"type": "object"}
    if required:
        schema["required"] = list(required)
    schema["properties"] = properties
    return schema


def _array(items: dict) -> dict:
    """An array schema whose every item is ``items``."""
    return {"type": "array", "items": items}


def _or_null(schema: dict) -> dict:
    """``schema`` that may also be null (its type becomes a pair)."""
    return {**schema, "type": [schema["type"], "null"]}


def _schema(name: str) -> dict:
    """A reference to a schema of the components."""
    return {"$ref": f"#/components/schemas/{name}"}


_INTEGER = {"type": "integer"}
_INTEGERS = _array(_INTEGER)
_POSITIVE = {"type": "integer", "minimum": 1}
_COUNT = {"type": "integer", "minimum": 0}
_STRING = {"type": "string"}
_STRING_OR_NULL = _or_null(_STRING)
_DATE = {"type": "string", "format": "date"}
_DATE_TIME = {"type": "string", "format": "date-time"}
_DECIMAL = {**_STRING_OR_NULL, "description": 'An exact decimal, e.g. "81.9".'}
_BREAKDOWN = _array(_object(value=_STRING_OR_NULL, contributors=_COUNT, contributions=_COUNT))
#: What a consultation and its participation figures say of each invited population.
_POPULATION = {"code": _STRING, "name": _STRING, "eligible": _or_null(_INTEGER)}
_TARGET = _object(value=_DECIMAL, year=_or_null(_INTEGER))
_MISSION_VALUE = _object(
    ["as_of", "version", "state", "value"],
    as_of=_DATE,
    version=_POSITIVE,
    state={"enum": ["validated", "audited"]},
    value=_DECIMAL,
    text_value=_STRING_OR_NULL,
    parts={"type": ["object", "null"]},
    provenance={"type": ["object", "null"]},
    corrects=_or_null(_INTEGER),
    correction_reason=_STRING_OR_NULL,
)


def _page_of(item: str) -> dict:
    """A paginated list of ``item``."""
    return _object(
        ["items", "page", "per_page", "total", "pages", "next", "previous"],
        items=_array(_schema(item)),
        page=_POSITIVE,
        per_page={"type": "integer", "minimum": 1, "maximum": 100},
        total=_COUNT,
        pages=_POSITIVE,
        next={**_STRING_OR_NULL, "description": "Path of the next page."},
        previous={**_STRING_OR_NULL, "description": "Path of the previous page."},
    )


SCHEMAS = {
    "Error": _object(["error", "status"], error=_STRING, status=_INTEGER),
    "Object": {"type": "object"},
    "Computing": _object(consultation=_INTEGER, status={"const": "computing"}),
    "Consultation": _object(
        ["id", "title", "status", "opens_at", "closes_at", "url"],
        id=_INTEGER,
        title=_STRING,
        status={"enum": ["published", "closed"]},
        opens_at=_DATE_TIME,
        closes_at=_DATE_TIME,
        url=_STRING,
    ),
    "ConsultationDetail": {
        "allOf": [
            _schema("Consultation"),
            _object(
                questions=_array(
                    _object(id=_INTEGER, position=_INTEGER, kind=_STRING, prompt=_STRING)
                ),
                populations=_array(_object(**_POPULATION)),
                contributions=_STRING,
                participation=_STRING,
            ),
        ]
    },
    "ConsultationPage": _page_of("Consultation"),
    "Contribution": _object(
        ["id", "question", "published_at", "text", "attribution"],
        id=_INTEGER,
        question=_INTEGER,
        published_at=_DATE_TIME,
        text={**_STRING, "description": "Plain text, personal data masked."},
        population=_STRING_OR_NULL,
        gender_form=_STRING_OR_NULL,
        age_band=_STRING_OR_NULL,
        region=_STRING_OR_NULL,
        attribution={**_STRING, "examples": ["Adhérente, 40-60 ans, Occitanie"]},
    ),
    "ContributionPage": _page_of("Contribution"),
    "Participation": _object(
        consultation=_INTEGER,
        computed_at=_DATE_TIME,
        contributors=_COUNT,
        contributions=_COUNT,
        internal_rate_percent=_STRING_OR_NULL,
        populations=_array(
            _object(
                **_POPULATION,
                contributors=_COUNT,
                contributions=_COUNT,
                rate_percent=_STRING_OR_NULL,
            )
        ),
        regions=_BREAKDOWN,
        age_bands=_BREAKDOWN,
        gender_forms=_BREAKDOWN,
        days=_array(
            _object(
                day=_DATE,
                contributions=_COUNT,
                new_contributors=_COUNT,
                cumulative_contributors=_COUNT,
            )
        ),
    ),
    "MissionIndicator": _object(
        ["id", "title", "kind", "values", "url"],
        id=_INTEGER,
        title=_STRING,
        kind=_STRING,
        unit=_STRING,
        direction=_STRING_OR_NULL,
        baseline=_TARGET,
        target=_TARGET,
        method=_STRING,
        owner=_STRING_OR_NULL,
        source=_STRING_OR_NULL,
        computed=_STRING_OR_NULL,
        values=_array(_MISSION_VALUE),
        url=_STRING,
        gap=_or_null(_object(difference=_DECIMAL, reached={"type": ["boolean", "null"]})),
        trend=_STRING_OR_NULL,
    ),
    "MissionDashboard": _object(
        ["years", "objectives"],
        years=_INTEGERS,
        objectives=_array(
            _object(
                id=_INTEGER,
                position=_INTEGER,
                title=_STRING,
                statement=_STRING,
                statement_sha256=_STRING,
                adopted_on=_or_null(_DATE),
                resolution=_or_null(_INTEGER),
                engagements=_array(
                    _object(
                        id=_INTEGER, title=_STRING, indicators=_array(_schema("MissionIndicator"))
                    )
                ),
            )
        ),
    ),
    "MissionProofs": _object(
        ["total", "items"],
        total=_COUNT,
        items=_array(
            _object(
                id=_INTEGER,
                title=_STRING,
                date=_DATE,
                department=_STRING,
                territory=_STRING,
                description=_STRING,
                figures=_STRING,
                objectives=_INTEGERS,
                engagements=_INTEGERS,
                indicators=_INTEGERS,
            )
        ),
    ),
    "MissionOpinions": _object(
        ["items"],
        items=_array(
            _object(
                id=_INTEGER,
                year=_INTEGER,
                title=_STRING,
                published_at=_DATE_TIME,
                version=_INTEGER,
                text=_STRING,
            )
        ),
    ),
}
