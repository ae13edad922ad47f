"""pytest plugin: a live mocksmooch for the test session, reset to its seed before each test.

    def test_expired_token_is_refused(mocksmooch):
        token = mocksmooch.token("Acme Support", expires_in=60)
        mocksmooch.clock.advance(61)
        ...

The session server runs in a background thread on 127.0.0.1, on a free port (each
pytest-xdist worker gets its own): the same server as `mocksmooch serve`.  With MOCKSMOOCH_URL set, the fixtures use that server
(a CI service container) instead, and reset it through its control API.  The fixture hands
tests a `mocksmooch.client.MockSmooch`: everything it does is an HTTP call any other client
could make.

Seeds: `--mocksmooch-fixtures FILE` or the `mocksmooch_fixtures` ini option for the run,
`@pytest.mark.mocksmooch_fixtures("file.json")` for one test (relative to the test file).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .client import MockSmooch

URL_VARIABLE = "MOCKSMOOCH_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mocksmooch")
    group.addoption("--mocksmooch-fixtures", metavar="FILE",
                    help="fixture file to seed the mocksmooch server with (default: its default seed)")
    parser.addini("mocksmooch_fixtures", "fixture file to seed the mocksmooch server with, "
                  "relative to the ini file", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mocksmooch_fixtures(path): seed mocksmooch from this fixture "
                                       "file for one test (relative to the test file)")


class LiveServer:
    """mocksmooch on a free loopback port, served from a background thread of this process
    by the server `mocksmooch serve` runs (mocksmooch.server.Server), with its settings."""

    def __init__(self, config: dict):
        from .app import create_app
        from .server import Server

        self.app = create_app(config)
        self._server = Server(self.app, "127.0.0.1", 0).start()
        self.url = self._server.url

    def stop(self) -> None:
        self._server.stop()


def _session_fixture_file(config: pytest.Config) -> Path | None:
    option = config.getoption("mocksmooch_fixtures")
    if option:
        return Path(option).resolve()
    ini = config.getini("mocksmooch_fixtures")
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return (base / ini).resolve()
    return None


def _read_fixture_file(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise pytest.UsageError(f"mocksmooch: cannot read fixture file {path}: {error}") from None


@pytest.fixture(scope="session")
def mocksmooch_server(pytestconfig: pytest.Config):
    """The session's server: `.url`, and the fixture content (or None) that a reset returns to."""
    fixture_file = _session_fixture_file(pytestconfig)
    remote = os.environ.get(URL_VARIABLE)
    if remote:
        if os.environ.get("PYTEST_XDIST_WORKER"):
            raise pytest.UsageError(
                f"mocksmooch: {URL_VARIABLE} names one shared server, and pytest-xdist workers would "
                f"reset it under each other's tests; run without -n, or unset {URL_VARIABLE} to give "
                f"each worker its own in-process server")
        mock = MockSmooch(remote)
        if not mock.health():
            raise pytest.UsageError(f"mocksmooch: {URL_VARIABLE}={remote} does not answer "
                                    f"GET /_mocksmooch/health")
        # The remote server has its own seed; a configured file is sent with every reset.
        yield _Session(remote, _read_fixture_file(fixture_file) if fixture_file else None)
        return
    from .fixtures import FixtureError

    try:
        server = LiveServer({"FIXTURES": str(fixture_file) if fixture_file else None})
    except FixtureError as error:
        raise pytest.UsageError(f"mocksmooch: invalid fixture file {error.source}:\n  "
                                + "\n  ".join(error.errors)) from None
    try:
        yield _Session(server.url, None)
    finally:
        server.stop()


class _Session:
    def __init__(self, url: str, fixtures: dict | None):
        self.url = url
        self.fixtures = fixtures


@pytest.fixture
def mocksmooch(mocksmooch_server: _Session, request: pytest.FixtureRequest) -> MockSmooch:
    """A handle on the session's server, reset to the seed (or the test's marker seed)."""
    marker = request.node.get_closest_marker("mocksmooch_fixtures")
    fixtures = mocksmooch_server.fixtures
    if marker is not None:
        if len(marker.args) != 1:
            raise pytest.UsageError("mocksmooch_fixtures takes one argument: a fixture file path")
        fixtures = _read_fixture_file(Path(request.path).parent / marker.args[0])
    mock = MockSmooch(mocksmooch_server.url)
    mock.reset(fixtures)
    return mock
