"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json."""

from __future__ import annotations

_COUNT = {"type": "integer", "minimum": 0}
_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_TEXT_OR_NULL = {"type": ["string", "null"]}
# A figure about what supporters did beyond writing: null when withheld, its group being too
# small to hide one person (see "smallest_group" and each row's "withheld").
_WITHHELD_NOTE = "null when withheld: see smallest_group and withheld"
_PROTECTED_COUNT = {"type": ["integer", "null"], "minimum": 0, "description": _WITHHELD_NOTE}
_PROTECTED_RATE = {**_RATE, "description": _WITHHELD_NOTE}
_WITHHELD = {
    "type": "array",
    "items": {"enum": ["personalised", "replies"]},
    "description": (
        "Figures withheld so that no supporter can be singled out: personalised (personalised, "
        "personalised_share) and replies (reply_answers, replied, reply_rate). Both are always "
        "withheld from nations, regions and sources."
    ),
}
_ROW_PROPERTIES = {
    "key": {"type": "string"},
    "label": {"type": "string"},
    "sent": _COUNT,
    "queued": _COUNT,
    "failed": _COUNT,
    "personalised": _PROTECTED_COUNT,
    "reply_answers": _PROTECTED_COUNT,
    "replied": _PROTECTED_COUNT,
    "reply_rate": _PROTECTED_RATE,
    "withheld": _WITHHELD,
}
_SEAT_PROPERTIES = {
    **_ROW_PROPERTIES,
    "gss_code": _TEXT_OR_NULL,
    "mp": _TEXT_OR_NULL,
    "party": _TEXT_OR_NULL,
    "nation": _TEXT_OR_NULL,
    "region": _TEXT_OR_NULL,
}


def _object(properties: dict) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


HEADLINE = _object(
    {
        "accepted": _COUNT,
        "held": _COUNT,
        "queued": _COUNT,
        "pending": _COUNT,
        "sent": _COUNT,
        "failed": _COUNT,
        "confirmed": {"type": ["integer", "null"], "minimum": 0},
        "constituencies_reached": _COUNT,
        "constituencies_total": _COUNT,
        # Copies to a campaign's additional fixed recipient (a minister); not in "sent".
        "copies_sent": _COUNT,
        "copies_failed": _COUNT,
        "personalised": _PROTECTED_COUNT,
        "personalised_share": _PROTECTED_RATE,
        "reply_answers": _PROTECTED_COUNT,
        "replied": _PROTECTED_COUNT,
        "reply_rate": _PROTECTED_RATE,
        "withheld": _WITHHELD,
    }
)
STATS = _object(
    {
        "campaign": _object(
            {"slug": {"type": "string"}, "title": {"type": "string"}, "debate_at": _TEXT_OR_NULL}
        ),
        "generated_at": {"type": "string"},
        "smallest_group": {
            "type": "integer",
            "description": (
                "Figures about fewer supporters than this are withheld, and so are the next "
                "smallest groups' where a total would otherwise give them away."
            ),
        },
        "headline": {"$ref": "#/components/schemas/Headline"},
        "opt_ins": {
            "type": "array",
            "items": _object(
                {
                    "organisation": {"type": "string"},
                    "name": {"type": "string"},
                    "supporters": _COUNT,
                }
            ),
        },
        "breakdowns": _object(
            {
                name: {"type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}}
                for name, schema in (
                    ("nations", "Row"),
                    ("regions", "Row"),
                    ("parties", "Row"),
                    ("sources", "Row"),
                    ("constituencies", "ConstituencyRow"),
                )
            }
        ),
        "letters_over_time": _object(
            {
                "hourly": {
                    "type": "array",
                    "items": _object({"hour": {"type": "string"}, "sent": _COUNT}),
                },
                "daily": {
                    "type": "array",
                    "items": _object({"day": {"type": "string"}, "sent": _COUNT}),
                },
            }
        ),
    }
)
SLUG_PARAMETER = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The campaign's slug, as in its page address /c/<slug>.",
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Write to your MP: campaign API",
        "version": "1",
        "description": (
            "Live counts for partner sites (no token), and each campaign's figures for its "
            "organisers (a bearer token an admin issues on the Stats API tokens page)."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "paths": {
        "/campaigns/{slug}/count": {
            "get": {
                "operationId": "campaignCount",
                "summary": "How many people have written, and how many letters MPs have received",
                "parameters": [SLUG_PARAMETER],
                "responses": {
                    "200": {
                        "description": "The counts, at most a few seconds old.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Count"}}
                        },
                    },
                    "404": _error("No published campaign has this slug."),
                },
            }
        },
        "/campaigns/{slug}/stats": {
            "get": {
                "operationId": "campaignStats",
                "summary": "The campaign's headline figures and every breakdown",
                "security": [{"bearerToken": []}],
                "parameters": [SLUG_PARAMETER],
                "responses": {
                    "200": {
                        "description": "The figures, from the counters the workers keep.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Stats"}}
                        },
                    },
                    "401": _error("No token, an unknown token, or a revoked one."),
                    "404": _error("No campaign this token's organiser may see has this slug."),
                },
            }
        },
    },
    "components": {
        "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Count": _object({"slug": {"type": "string"}, "total": _COUNT, "sent": _COUNT}),
            "Error": {
                "type": "object",
                "properties": {"error": {"type": "string"}},
                "required": ["error"],
            },
            "Headline": HEADLINE,
            "Row": _object(_ROW_PROPERTIES),
            "ConstituencyRow": _object(_SEAT_PROPERTIES),
            "Stats": STATS,
        },
    },
}
