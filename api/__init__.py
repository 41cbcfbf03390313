"""The linker web service (minimal so far): app factory, health, problem+json errors."""

from api.app import create_app

__all__ = ["create_app"]
