"""The `mocksmooch` command, run as a user runs it."""
from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time

import jwt
import pytest
import requests

from mocksmooch import fixtures

SEED = fixtures.load()
ACME_KEY = SEED["accounts"][0]["keys"][0]
SUPPORT = SEED["accounts"][0]["apps"][0]


def mocksmooch(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mocksmooch", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})}, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_keys_lists_every_seeded_key_with_owner_and_scope():
    result = mocksmooch("keys")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["KEY", "ID", "SECRET", "OWNER", "SCOPE"]
    acme = next(line for line in lines if line.startswith(ACME_KEY["id"]))
    assert ACME_KEY["secret"] in acme and "Acme" in acme and acme.endswith("account")
    prefixes = {line.split()[0][:4] for line in lines[1:]}
    assert prefixes == {"act_", "svc_", "app_", "int_"}


def test_keys_json_is_the_normalized_seed():
    result = mocksmooch("keys", "--json")
    assert json.loads(result.stdout) == SEED


def test_token_prints_a_jwt_signed_by_the_key():
    key = SUPPORT["keys"][0]
    result = mocksmooch("token", "--key", key["id"], "--scope", "user", "--external-id", "alice",
                        "--expires-in", "3600")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    claims = jwt.decode(token, key["secret"], algorithms=["HS256"])
    assert claims["scope"] == "user" and claims["external_id"] == "alice"
    assert 3590 < claims["exp"] - time.time() <= 3600
    assert jwt.get_unverified_header(token)["kid"] == key["id"]


def test_token_with_unknown_key_fails_clearly():
    result = mocksmooch("token", "--key", "app_000000000000000000000000", "--scope", "app")
    assert result.returncode == 1
    assert "no key 'app_000000000000000000000000'" in result.stderr


def test_check_reports_json_paths(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"accounts": [{"name": "A", "keys": [{"id": "app_" + "0" * 24}], "colour": 1}]}))
    result = mocksmooch("check", str(bad))
    assert result.returncode == 1
    assert "accounts[0].keys[0].id" in result.stderr
    assert "colour" in result.stderr
    good = mocksmooch("check", str(fixtures.DEFAULT_SEED))
    assert good.returncode == 0 and good.stdout.startswith("ok:")


class Served:
    """`mocksmooch serve` in a subprocess; its output is read as it comes (a full pipe
    would block the server's logging, and with it every request)."""

    def __init__(self, env: dict, *args: str):
        self.port = free_port()
        env = {"MOCKSMOOCH_PORT": str(self.port), **env}
        self.process = subprocess.Popen([sys.executable, "-m", "mocksmooch", "serve", *args],
                                        env={**os.environ, **env}, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.url = f"http://127.0.0.1:{self.port}"
        self._lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self._lines.extend(self.process.stdout), daemon=True)
        self._reader.start()

    @property
    def output(self) -> str:
        return "".join(self._lines)

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._reader.join(5)
                raise AssertionError(f"server exited: {self.output}")
            try:
                if requests.get(self.url + "/_mocksmooch/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("server did not become healthy")

    def stop(self) -> str:
        """SIGTERM, as a container runtime stops it: a clean exit 0."""
        self.process.terminate()
        self.process.wait(timeout=10)
        self._reader.join(5)
        output = self.output
        assert self.process.returncode == 0, output
        assert "SIGTERM received, stopped" in output.splitlines()[-1]
        return output


def test_serve_answers_and_logs_one_line_per_request():
    server = Served({})
    try:
        server.wait_healthy()
        auth = "Basic " + base64.b64encode(f"{ACME_KEY['id']}:{ACME_KEY['secret']}".encode()).decode()
        assert requests.get(server.url + "/v2/apps", headers={"Authorization": auth}, timeout=5).status_code == 200
        assert requests.get(server.url + "/v2/apps", timeout=5).status_code == 401
    finally:
        output = server.stop()
    lines = output.splitlines()
    assert "127.0.0.1:" in lines[0]
    api_lines = [line for line in lines if line.startswith("GET /v2/apps")]
    assert len(api_lines) == 2
    assert " 200 allowed" in api_lines[0] and ACME_KEY["id"] in api_lines[0]
    assert " 401 rejected: no Authorization header" in api_lines[1]


def test_serve_reads_fixtures_from_env(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"accounts": [{"name": "Solo", "keys": [{"id": "act_" + "a" * 24, "secret": "s3cret"}],
                                              "apps": [{"name": "Only"}]}]}))
    server = Served({"MOCKSMOOCH_FIXTURES": str(seed)})
    try:
        server.wait_healthy()
        response = requests.get(server.url + "/v2/apps", auth=("act_" + "a" * 24, "s3cret"), timeout=5)
        assert [app["displayName"] for app in response.json()["apps"]] == ["Only"]
    finally:
        server.stop()


def test_serve_logs_json_and_reads_inline_fixtures():
    inline = json.dumps({"accounts": [{"name": "Inline", "keys": [{"id": "act_" + "b" * 24, "secret": "pw"}]}]})
    server = Served({"MOCKSMOOCH_LOG_FORMAT": "json", "MOCKSMOOCH_FIXTURES_JSON": inline})
    try:
        server.wait_healthy()
        assert requests.get(server.url + "/v2/apps", auth=("act_" + "b" * 24, "pw"), timeout=5).status_code == 200
        assert requests.get(server.url + "/v2/apps", auth=("act_" + "b" * 24, "no"), timeout=5).status_code == 401
    finally:
        output = server.stop()
    lines = [json.loads(line) for line in output.splitlines()]
    requests_logged = [line for line in lines if line.get("path") == "/v2/apps"]
    assert [(line["status"], line["auth"]["outcome"]) for line in requests_logged] == [
        (200, "allowed"), (401, "rejected")]
    assert requests_logged[0]["auth"]["principal"]["keyId"] == "act_" + "b" * 24
    assert requests_logged[1]["auth"]["reason"] == "wrong secret for key act_" + "b" * 24


def test_healthcheck_exit_codes():
    server = Served({})
    try:
        server.wait_healthy()
        ok = mocksmooch("healthcheck", env={"MOCKSMOOCH_PORT": str(server.port)})
        assert ok.returncode == 0 and "ok" in ok.stdout
        by_url = mocksmooch("healthcheck", "--url", server.url)
        assert by_url.returncode == 0
    finally:
        server.stop()
    down = mocksmooch("healthcheck", "--url", server.url, "--timeout", "0.5")
    assert down.returncode == 1 and "Connection refused" in down.stderr


def test_serve_refuses_to_start_on_a_bad_fixture_file(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text('{"accounts": [}')
    result = mocksmooch("serve", "--port", str(free_port()), "--fixtures", str(seed))
    assert result.returncode == 1
    assert "$: malformed JSON at line 1, column 15" in result.stderr


@pytest.mark.parametrize("option", ["--host", "--port"])
def test_serve_help_names_the_env_variables(option):
    result = mocksmooch("serve", "--help")
    assert option in result.stdout
    assert "MOCKSMOOCH_" + option[2:].upper() in result.stdout


def test_docs_route_table_is_what_routes_prints():
    import re
    from pathlib import Path
    documented = (Path(__file__).parent.parent / "docs" / "routes.md").read_text()
    assert documented == mocksmooch("routes", "--markdown").stdout
    rows = re.findall(r"^\| `(\w+)` \| `(/[^`]*)` \| (.*) \|$", documented, re.MULTILINE)
    assert [" ".join(row) for row in rows] == [" ".join(line.split()) for line in mocksmooch("routes").stdout.splitlines()]
    assert ("GET", "/v2/apps/{app_id}/users/{user_ref}", "account, app, integration") in rows


@pytest.mark.parametrize("env, message", [
    ({"MOCKSMOOCH_LOG_FORMAT": "xml"}, "MOCKSMOOCH_LOG_FORMAT='xml': must be one of text, json"),
    ({"MOCKSMOOCH_CLOCK_START": "yesterday"}, "MOCKSMOOCH_CLOCK_START='yesterday': not an RFC 3339 timestamp"),
    ({"MOCKSMOOCH_IO_THREADS": "0"}, "MOCKSMOOCH_IO_THREADS='0': must be at least 1"),
    ({"MOCKSMOOCH_PORT": "80000"}, "MOCKSMOOCH_PORT='80000': a port is a number from 0 to 65535"),
    ({"MOCKSMOOCH_JWT_LEEWAY": "-5"}, "MOCKSMOOCH_JWT_LEEWAY=-5: must be a number of seconds"),
])
def test_serve_names_a_bad_setting_and_exits_2(env, message):
    result = mocksmooch("serve", env={"MOCKSMOOCH_PORT": "0", **env})
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_docker_link_style_port_variable_is_not_a_port():
    """Docker links and Kubernetes set MOCKSMOOCH_PORT=tcp://ip:port for a service named mocksmooch."""
    result = mocksmooch("healthcheck", "--timeout", "0.5", env={"MOCKSMOOCH_PORT": "tcp://10.0.0.7:8090"})
    assert "http://127.0.0.1:8090/_mocksmooch/health" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_health_probes_are_not_logged_but_requests_are():
    server = Served({"MOCKSMOOCH_LOG_FORMAT": "JSON"})
    try:
        server.wait_healthy()
        for _ in range(3):
            mocksmooch("healthcheck", "--url", server.url)
        requests.get(server.url + "/v2/apps", timeout=5)
    finally:
        output = server.stop()
    paths = [json.loads(line).get("path") for line in output.splitlines()]
    assert "/_mocksmooch/health" not in paths and "/v2/apps" in paths


def test_readme_fixture_example_is_a_valid_fixture_file(tmp_path):
    import re
    from pathlib import Path
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    [example] = re.findall(r'^```json title="my-seed.json"\n(.*?)^```', readme, re.MULTILINE | re.DOTALL)
    path = tmp_path / "my-seed.json"
    path.write_text(example)
    result = mocksmooch("check", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: {path}: 1 accounts, 1 apps")
