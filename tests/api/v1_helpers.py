"""What the v1.1 test modules share: every test runs under /v1.1 and its /v1 alias, with
the seeded credentials and the v1 error envelope at hand."""
from __future__ import annotations

import pytest

from conftest import basic


@pytest.fixture(params=["/v1.1", "/v1"])
def v1(request):
    """The path prefix: each test runs under /v1.1 and again under /v1."""
    return request.param


def acme(api) -> str:
    return basic(api.key("Acme"))


def support(api) -> str:
    return basic(api.key("Acme Support"))


def bot(api) -> str:
    return basic(api.key("bot"))


def app_path(api, v1: str = "/v1.1", app: str = "Acme Support") -> str:
    return f"{v1}/apps/{api.app(app)['id']}"


def put(api, path, **kwargs):
    return api.request("PUT", path, **kwargs)


def delete(api, path, **kwargs):
    return api.request("DELETE", path, **kwargs)


def error(response, status: int, code: str, description: str) -> None:
    """A v1 error: `{"error": {"code", "description"}}` with `status`."""
    assert response.status_code == status, response.text
    assert response.json() == {"error": {"code": code, "description": description}}
