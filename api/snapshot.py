"""``python -m api.snapshot [--write]``: the OpenAPI document the app serves, or the committed
snapshot ``api/openapi.json`` rewritten from it (after changing an endpoint or a model)."""

from __future__ import annotations

import argparse
import sys

from api.app import create_app
from api.openapi import SNAPSHOT, spec_text


def served_spec() -> str:
    """The document at ``/v1/openapi.json`` of the default app, as committed."""
    return spec_text(create_app().test_client().get("/v1/openapi.json").get_json())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.snapshot", description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"rewrite {SNAPSHOT}")
    args = parser.parse_args(argv)
    text = served_spec()
    if args.write:
        SNAPSHOT.write_text(text, encoding="utf-8")
        print(f"wrote {SNAPSHOT}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
