"""The ``/v1`` parent blueprint: every versioned resource hangs under it.

Each resource is an ``APIBlueprint`` of its own in ``api/resources/`` (``url_prefix`` relative
to ``/v1``: ``/sources``, ``/identities``...), listed in ``api.resources.RESOURCES``. The
parent is built afresh for each app (a Flask blueprint registers once per app, and a test
builds many apps) and its hooks run before every view of every resource:

1. ``authenticate``: where authentication plugs in.
2. ``parse_json_body``: a malformed JSON body is a 400 problem before any view runs.

The OpenAPI document, the docs page and the probes are deliberately *not* under this
blueprint: they stay public whatever authentication requires.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_openapi3.blueprint import APIBlueprint

from api.json_body import parse_json_body

PREFIX = "/v1"


def authenticate() -> None:
    """Where authentication will plug in; today every request is let through, as before.

    It will read the API token, look up its role and agency, and keep that principal on
    ``flask.g`` for the views. Whatever the request carries, the server decides who the
    caller is: no view ever takes an agency, a role or an identity id from the request body,
    its query string or a header other than the token.
    """


def build_v1(resources: Iterable[APIBlueprint]) -> APIBlueprint:
    """The parent blueprint with each resource blueprint nested in it."""
    v1 = APIBlueprint("v1", __name__, url_prefix=PREFIX)
    v1.before_request(authenticate)
    v1.before_request(parse_json_body)
    for resource in resources:
        v1.register_api(resource)
    return v1
