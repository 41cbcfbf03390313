import subprocess
import sys

import pytest
from flask import Flask

from api import create_app


@pytest.fixture
def client() -> object:
    app: Flask = create_app({"TESTING": True})
    return app.test_client()


def test_health_answers(client) -> None:
    response = client.get("/v1/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("get", "/v1/nowhere", 404), ("post", "/v1/health", 405)],
)
def test_errors_are_problem_json(client, method: str, path: str, status: int) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]


def test_oversized_request_is_413_problem(client) -> None:
    app = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 10})

    @app.post("/v1/echo")
    def echo() -> str:
        from flask import request

        return str(len(request.get_data()))

    response = app.test_client().post("/v1/echo", data=b"x" * 100)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_importing_linker_does_not_import_flask() -> None:
    code = "import sys, linker; sys.exit('flask' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
