"""MOCKSMOOCH_ADMIN_TOKEN: with it, the control API wants the token (the dashboard asks for
it, the pytest plugin's handle sends it); without it, `mocksmooch serve` warns when it listens
beyond loopback.  Servers here listen on 127.0.0.1 only: the warning is tested through its
function, and through `serve` with the loopback check patched."""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import requests

from conftest import basic
from mocksmooch import fixtures
from mocksmooch.client import ControlError, MockSmooch
from mocksmooch.control import ADMIN_TOKEN_HEADER, is_loopback, open_control_api_warning
from mocksmooch.pytest_plugin import LiveServer
from test_cli import Served, free_port

TOKEN = "s3cret-admin-token-\u00e9"  # non-ASCII on purpose: compared as the bytes sent
HEADER = {ADMIN_TOKEN_HEADER: TOKEN.encode("utf-8").decode("latin-1")}  # what requests puts on the wire
SEED = fixtures.load()
ACME_KEY = SEED["accounts"][0]["keys"][0]


@pytest.fixture(scope="module")
def protected():
    server = LiveServer({"ADMIN_TOKEN": TOKEN})
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _no_token_in_the_environment(monkeypatch):
    monkeypatch.delenv("MOCKSMOOCH_ADMIN_TOKEN", raising=False)
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)  # for the inner pytest runs


def control_routes(server: LiveServer) -> list[tuple[str, str]]:
    """(method, path) of every control API route, path parameters filled in."""
    routes = []
    for rule in server.app.url_map.iter_rules():
        if not rule.endpoint.startswith("control."):
            continue
        path = re.sub(r"<[^>]+>", "f1", rule.rule)
        routes += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def test_every_control_route_wants_the_token(protected):
    routes = control_routes(protected)
    assert len(routes) >= 15 and ("POST", "/_mocksmooch/faults") in routes
    for method, path in routes:
        if path == "/_mocksmooch/health":
            continue
        bare = requests.request(method, protected.url + path, json={}, timeout=10)
        assert bare.status_code == 401, (method, path, bare.text)
        assert bare.json()["error"]["code"] == "unauthorized"
        assert ADMIN_TOKEN_HEADER in bare.json()["error"]["message"]
        wrong = requests.request(method, protected.url + path, json={}, timeout=10,
                                 headers={ADMIN_TOKEN_HEADER: "guess"})
        assert wrong.status_code == 401, (method, path)
        assert wrong.json() == {"error": {"code": "unauthorized",
                                          "message": f"the {ADMIN_TOKEN_HEADER} header is not the admin token"}}
        allowed = requests.request(method, protected.url + path, json={}, timeout=10, headers=HEADER)
        assert allowed.status_code != 401 and allowed.status_code < 500, (method, path, allowed.text)


def test_near_misses_are_refused(protected):
    url = protected.url + "/_mocksmooch/fixtures"
    ascii_prefix = TOKEN.encode("utf-8").decode("latin-1")
    for headers in ({"Authorization": f"Bearer {ascii_prefix}"},  # the token has a header of its own
                    {ADMIN_TOKEN_HEADER: ascii_prefix[:-1]},
                    {ADMIN_TOKEN_HEADER: ascii_prefix + "x"},
                    {ADMIN_TOKEN_HEADER: ""},
                    {ADMIN_TOKEN_HEADER: ascii_prefix.upper()}):
        assert requests.get(url, headers=headers, timeout=10).status_code == 401, headers
    assert requests.get(url, headers=HEADER, timeout=10).json()["accounts"][0]["name"] == "Acme"


def test_health_pages_and_the_smooch_api_do_not_want_it(protected):
    assert requests.get(protected.url + "/_mocksmooch/health", timeout=10).json() == {"status": "ok"}
    for path in ("/_mocksmooch/", "/_mocksmooch/chat", "/_mocksmooch/assets/dashboard.js"):
        assert requests.get(protected.url + path, timeout=10).status_code == 200, path
    preflight = requests.options(protected.url + "/_mocksmooch/fixtures", timeout=10, headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": ADMIN_TOKEN_HEADER.lower()})
    assert preflight.status_code == 204  # browsers send no credentials on a preflight
    assert ADMIN_TOKEN_HEADER.lower() in preflight.headers["Access-Control-Allow-Headers"]
    # The Smooch API wants Smooch credentials, and the admin token is not one.
    assert requests.get(protected.url + "/v2/apps", headers={"Authorization": basic(ACME_KEY)},
                        timeout=10).status_code == 200
    refused = requests.get(protected.url + "/v2/apps", headers=HEADER, timeout=10)
    assert refused.status_code == 401 and refused.json()["errors"][0]["code"] == "unauthorized"


def test_the_token_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("MOCKSMOOCH_ADMIN_TOKEN", "12345")  # Flask would read it as a number
    server = LiveServer({})
    try:
        assert requests.get(server.url + "/_mocksmooch/clock", timeout=10).status_code == 401
        assert requests.get(server.url + "/_mocksmooch/clock", headers={ADMIN_TOKEN_HEADER: "12345"},
                            timeout=10).status_code == 200
    finally:
        server.stop()
    monkeypatch.setenv("MOCKSMOOCH_ADMIN_TOKEN", "")
    server = LiveServer({})
    try:  # empty is unset
        assert requests.get(server.url + "/_mocksmooch/clock", timeout=10).status_code == 200
    finally:
        server.stop()


def test_the_handle_sends_the_token_from_its_environment(protected, monkeypatch):
    with pytest.raises(ControlError) as refused:
        MockSmooch(protected.url).reset()
    assert refused.value.status == 401 and "MOCKSMOOCH_ADMIN_TOKEN" in str(refused.value)
    assert MockSmooch(protected.url).health()  # health stays open

    monkeypatch.setenv("MOCKSMOOCH_ADMIN_TOKEN", TOKEN)
    mock = MockSmooch(protected.url)
    mock.reset()
    assert mock.keys["Acme"]["id"] == ACME_KEY["id"]
    assert mock.faults.add(path="/v2/apps", status=503, times=1)["id"] == "f1"
    assert requests.get(protected.url + "/v2/apps", timeout=10).status_code == 503
    assert MockSmooch(protected.url, admin_token="guess").health()
    with pytest.raises(ControlError):
        MockSmooch(protected.url, admin_token="guess").faults.all()
    mock.reset()


PLUGIN_TEST = """
    import requests

    def test_protected(mocksmooch):
        key = mocksmooch.keys["Acme"]
        mocksmooch.faults.add(path="/v2/apps", status=429, retry_after=1, times=1)
        assert requests.get(f"{mocksmooch.url}/v2/apps", auth=(key["id"], key["secret"])).status_code == 429
        token = mocksmooch.token("Acme", expires_in=60)
        assert requests.get(f"{mocksmooch.url}/v2/apps", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        mocksmooch.requests.assert_called("GET", "/v2/apps", status=429)
        assert requests.get(f"{mocksmooch.url}/_mocksmooch/fixtures").status_code == 401
"""


def test_the_plugin_works_with_a_protected_service_container(pytester, protected, monkeypatch):
    """CI with a protected container: MOCKSMOOCH_URL and MOCKSMOOCH_ADMIN_TOKEN in the job's env."""
    pytester.makepyfile(test_protected=textwrap.dedent(PLUGIN_TEST))
    monkeypatch.setenv("MOCKSMOOCH_URL", protected.url)
    monkeypatch.setenv("MOCKSMOOCH_ADMIN_TOKEN", TOKEN)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=1)

    monkeypatch.delenv("MOCKSMOOCH_ADMIN_TOKEN")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*401*admin token*MOCKSMOOCH_ADMIN_TOKEN*X-Mocksmooch-Admin-Token*"])


def test_the_plugin_own_server_takes_the_token_too(pytester, monkeypatch):
    """Without MOCKSMOOCH_URL, the plugin's in-process server reads the variable as `serve`
    does, and the handle sends it."""
    pytester.makepyfile(test_protected=textwrap.dedent(PLUGIN_TEST))
    monkeypatch.delenv("MOCKSMOOCH_URL", raising=False)
    monkeypatch.setenv("MOCKSMOOCH_ADMIN_TOKEN", "plugin-token")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=1)


def test_serve_with_a_token_on_waitress():
    server = Served({"MOCKSMOOCH_ADMIN_TOKEN": TOKEN})
    try:
        server.wait_healthy()  # health is open: container health checks have no token
        assert requests.post(server.url + "/_mocksmooch/reset", timeout=5).status_code == 401
        assert requests.post(server.url + "/_mocksmooch/reset", headers=HEADER, timeout=5).status_code == 200
        healthcheck = subprocess.run([sys.executable, "-m", "mocksmooch", "healthcheck", "--url", server.url],
                                     capture_output=True, text=True, timeout=30,
                                     env={k: v for k, v in os.environ.items() if k != "MOCKSMOOCH_ADMIN_TOKEN"})
        assert healthcheck.returncode == 0, healthcheck.stderr
    finally:
        output = server.stop()
    assert "control API" not in output  # loopback and a token: nothing to warn about
    assert TOKEN not in output and "s3cret" not in output  # never logged


# --- the warning when the control API is open beyond loopback ----------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "127.1", "::1", "[::1]", "localhost",
                                  "LOCALHOST", "app.localhost", "::ffff:127.0.0.1", " 127.0.0.1 "])
def test_no_warning_on_loopback(host):
    assert is_loopback(host)
    assert open_control_api_warning(host, None) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.168.1.20", "10.0.0.5", "fe80::1%eth0",
                                  "2001:db8::1", "no-such-host.invalid"])
def test_warning_beyond_loopback_unless_a_token_is_set(host):
    assert not is_loopback(host)
    warning = open_control_api_warning(host, None)
    assert warning is not None and "MOCKSMOOCH_ADMIN_TOKEN" in warning and "/_mocksmooch/" in warning
    assert open_control_api_warning(host, "a-token") is None


# `mocksmooch serve` on 127.0.0.1, made to believe that is beyond loopback: the warning's wiring,
# without listening on another interface.
SERVE_AS_IF_EXPOSED = """
import sys
import mocksmooch.control
mocksmooch.control.is_loopback = lambda host: False
from mocksmooch.cli import main
sys.exit(main(["serve", "--host", "127.0.0.1", "--port", sys.argv[1]]))
"""


@pytest.mark.parametrize("token", [None, "set"])
def test_serve_logs_the_warning_at_start(token):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MOCKSMOOCH_ADMIN_TOKEN"}
    if token:
        env["MOCKSMOOCH_ADMIN_TOKEN"] = token
    process = subprocess.Popen([sys.executable, "-c", SERVE_AS_IF_EXPOSED, str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=Path(__file__).parent)
    try:
        first = process.stdout.readline()  # the start line: the warning, if any, is already out
        assert requests.get(f"http://127.0.0.1:{port}/_mocksmooch/health", timeout=10).ok
    finally:
        process.terminate()
        rest = process.stdout.read()  # not communicate(): it would skip what readline buffered
        process.wait(timeout=10)
    assert process.returncode == 0, first + rest
    assert first.startswith("mocksmooch ") and "127.0.0.1" in first
    if token:
        assert "control API" not in rest
    else:
        second = rest.splitlines()[0]
        assert second.startswith("mocksmooch: warning: the control API (/_mocksmooch/) is open to anyone")
        assert "MOCKSMOOCH_ADMIN_TOKEN" in second


# --- the dashboard asks for the token -----------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def in_browser():
    """Run `scenario(page)` in headless Chromium.  In a thread of its own: the session browser
    of tests/browser keeps Playwright's sync API busy in this one."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (see tests/browser/conftest.py)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if importlib.util.find_spec("playwright") is None:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed")
        pytest.skip("playwright is not installed")

    def run(scenario) -> None:
        failures: list[BaseException] = []

        def drive():
            from playwright.sync_api import sync_playwright

            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                         args=CHROMIUM_ARGS)
                    try:
                        page = browser.new_context().new_page()
                        page.set_default_timeout(10_000)
                        errors: list[str] = []
                        page.on("pageerror", lambda error: errors.append(str(error)))
                        scenario(page)
                        assert errors == [], errors
                    finally:
                        browser.close()
            except BaseException as error:  # noqa: BLE001 - handed to the test's thread
                failures.append(error)

        thread = threading.Thread(target=drive, name="admin-token-browser")
        thread.start()
        thread.join(timeout=120)
        assert not thread.is_alive(), "the browser scenario did not finish in 120 s"
        if failures:
            raise failures[0]

    return run


def test_the_dashboard_and_chat_page_ask_for_the_token_once(protected, in_browser):
    requests.post(protected.url + "/_mocksmooch/reset", headers=HEADER, timeout=10)

    def scenario(page):
        from playwright.sync_api import expect

        asked: list[str] = []

        def answer(dialog):
            asked.append(dialog.message)
            dialog.accept(TOKEN if len(asked) > 1 else "wrong token")  # a typo first

        page.on("dialog", answer)
        page.goto(protected.url + "/_mocksmooch/")
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        assert len(asked) == 2 and "refused" in asked[1]
        requests.get(protected.url + "/v2/apps", headers={"Authorization": basic(ACME_KEY)}, timeout=10)
        expect(page.locator('[data-testid="journal-row"][data-path="/v2/apps"]')).to_have_count(1)

        page.goto(protected.url + "/_mocksmooch/chat")  # same tab: the token is remembered
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        assert len(asked) == 2
        assert page.evaluate("sessionStorage.getItem('mocksmooch.adminToken')") == TOKEN

    in_browser(scenario)


def test_the_dashboard_stops_asking_when_declined(protected, in_browser):
    def scenario(page):
        from playwright.sync_api import expect

        asked: list[str] = []
        page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.goto(protected.url + "/_mocksmooch/")
        expect(page.get_by_test_id("flash")).to_contain_text("401")
        page.wait_for_timeout(2500)  # the journal refreshes every second: no new prompt
        assert len(asked) == 1

    in_browser(scenario)
