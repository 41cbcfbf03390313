"""The linker web service: the app factory and the frame every endpoint sits in.

See docs/api.md: problem+json errors (``api.errors``, ``api.problems``), the record envelope
(``api.envelope``), cursor paging (``api.paging``), probes (``api.health``), the ``/v1``
parent blueprint (``api.v1``) and the OpenAPI document (``api.openapi``).
"""

from api.app import create_app

__all__ = ["create_app"]
