"""The README's container recipes ("In CI and docker-compose: the service container"),
checked against the Dockerfile and the code, so that none of them drifts:

- the YAML recipes (GitHub Actions, GitLab CI, docker-compose) are parsed and must name the
  image's healthcheck command, its exposed port, MOCKSMOOCH_URL for the test job and only
  env variables that the code reads;
- the testcontainers-python fixture is the conftest.py of a small suite that uses the
  pytest plugin, run with a stand-in DockerContainer that starts the image's command locally;
- the curl commands are run against a live `mocksmooch serve`.
"""
from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml

from mocksmooch import fixtures
from mocksmooch.clock import parse_rfc3339

ROOT = Path(__file__).parent.parent
HEADING = "## In CI and docker-compose: the service container"

# The Dockerfile's reader lives with the replay; load it by path, whatever pytest's import mode.
_spec = importlib.util.spec_from_file_location("_mocksmooch_test_container", Path(__file__).with_name("test_container.py"))
container_test = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)  # dataclasses need it there
_spec.loader.exec_module(container_test)

IMAGE = container_test.Image.read()
PORT = int(IMAGE.exposed[0])
HEALTHCHECK = " ".join(IMAGE.healthcheck)
CODE_NAMES = container_test.names_the_code_reads()


def section() -> str:
    text = (ROOT / "README.md").read_text()
    assert text.count(HEADING) == 1
    return text.split(HEADING, 1)[1].split("\n## ", 1)[0]


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", section(), re.S | re.M)


def recipes() -> dict[str, dict]:
    """The YAML blocks by what they are."""
    found = {}
    for block in blocks("yaml"):
        document = yaml.safe_load(block)
        if "jobs" in document:
            found["github"] = document
        elif isinstance(document.get("services"), dict):
            found["compose"] = document
        elif any(isinstance(job, dict) and "services" in job for job in document.values()):
            found["gitlab"] = document
    assert sorted(found) == ["compose", "github", "gitlab"] and len(blocks("yaml")) == 3
    return found


def placeholder() -> str:
    """The one image name the recipes use (there is no published image)."""
    service = next(iter(recipes()["github"]["jobs"].values()))["services"]
    return next(iter(service.values()))["image"]


def published(mapping: str) -> tuple[int, int]:
    host, container = str(mapping).rsplit(":", 2)[-2:]
    return int(host), int(container)


def env_names(env: dict | None) -> set[str]:
    return {name for name in (env or {}) if name.startswith("MOCKSMOOCH_")}


def subcommands() -> set[str]:
    from mocksmooch.cli import _parser

    actions = [a for a in _parser()._actions if getattr(a, "choices", None) and isinstance(a.choices, dict)]
    return set(actions[0].choices)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's env without MOCKSMOOCH_* (a CI runner may have MOCKSMOOCH_URL set)."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("MOCKSMOOCH_")}, **extra}


class Served:
    """`mocksmooch serve` on a free loopback port, what the image's CMD runs."""

    def __init__(self, env: dict[str, str] | None = None):
        self.port = container_test.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", *IMAGE.cmd], cwd=ROOT,
            env=clean_env(**{**(env or {}), "MOCKSMOOCH_HOST": "127.0.0.1", "MOCKSMOOCH_PORT": str(self.port)}),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + 20
        while True:
            assert self.process.poll() is None, self.process.communicate()[0]
            try:
                if requests.get(self.url + "/_mocksmooch/health", timeout=1).json() == {"status": "ok"}:
                    return
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "mocksmooch serve did not become healthy"
                time.sleep(0.05)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.communicate(timeout=10)
        return self.process.returncode


# --- the section as a whole ----------------------------------------------------------------

def test_every_mocksmooch_variable_it_names_is_one_the_code_reads():
    named = set(re.findall(r"MOCKSMOOCH_[A-Z0-9_]*[A-Z0-9]", section()))
    assert named - CODE_NAMES == set()
    # the list: port, fixture file (mounted or inline), log format, clock start
    assert {"MOCKSMOOCH_PORT", "MOCKSMOOCH_FIXTURES", "MOCKSMOOCH_FIXTURES_JSON", "MOCKSMOOCH_LOG_FORMAT",
            "MOCKSMOOCH_CLOCK_START", "MOCKSMOOCH_URL"} <= named


def test_every_mocksmooch_command_it_names_exists():
    named = set(re.findall(r"`mocksmooch (\w+)", section()))
    for document in recipes().values():
        for scalar in _scalars(document):
            if isinstance(scalar, list):
                tokens = [str(item) for item in scalar]
            else:
                try:
                    tokens = shlex.split(str(scalar))
                except ValueError:
                    tokens = str(scalar).split()
            named |= {tokens[i + 1] for i, token in enumerate(tokens[:-1]) if token == "mocksmooch"}
    assert named and named <= subcommands(), named - subcommands()
    assert {IMAGE.cmd[1], IMAGE.healthcheck[1]} <= named


def _scalars(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _scalars(value)
    elif isinstance(node, list):
        yield node
        for value in node:
            yield from _scalars(value)
    else:
        yield node


def test_the_env_table_agrees_with_the_dockerfile():
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(MOCKSMOOCH_\w+)` \|([^|]*)\|", section(), re.M)}
    assert {"MOCKSMOOCH_PORT", "MOCKSMOOCH_FIXTURES", "MOCKSMOOCH_FIXTURES_JSON", "MOCKSMOOCH_LOG_FORMAT",
            "MOCKSMOOCH_CLOCK_START", "MOCKSMOOCH_HOST"} <= set(rows)
    for name in ("MOCKSMOOCH_HOST", "MOCKSMOOCH_PORT", "MOCKSMOOCH_LOG_FORMAT"):
        assert rows[name].strip() == f"`{IMAGE.env[name]}`", name
    assert "uid " + IMAGE.user.split(":")[0] in section()  # who must be able to read a mounted seed


def test_build_and_run_lines_use_the_dockerfile_and_the_exposed_port():
    build = next(block for block in blocks("sh") if "docker build" in block)
    assert re.search(r"^docker build -t (\S+) \.", build, re.M)
    run = re.search(r"^docker run .*-p (\d+:\d+) (\S+)", build, re.M)
    assert published(run.group(1))[1] == PORT
    assert f"docker push {placeholder()}" in build
    assert section().count("ghcr.io/") == section().count(placeholder())  # one placeholder, used throughout


# --- the YAML recipes ----------------------------------------------------------------------

def test_github_actions_service_with_health_options_and_mocksmooch_url():
    (job,) = recipes()["github"]["jobs"].values()
    ((name, service),) = job["services"].items()
    assert service["image"] == placeholder()
    assert "env" not in service or "MOCKSMOOCH_URL" not in service["env"]
    assert env_names(service.get("env")) <= CODE_NAMES
    (mapping,) = service["ports"]
    host_port, container_port = published(mapping)
    assert container_port == PORT

    options = shlex.split(service["options"])
    pairs = dict(zip(options[::2], options[1::2]))
    assert len(options) == 2 * len(pairs)
    assert pairs["--health-cmd"] == HEALTHCHECK
    assert container_test.seconds(pairs["--health-interval"]) > 0
    assert container_test.seconds(pairs["--health-timeout"]) > 2  # over `mocksmooch healthcheck`'s own 2 s
    assert int(pairs["--health-retries"]) > 1

    assert job["env"]["MOCKSMOOCH_URL"] == f"http://localhost:{host_port}"
    assert env_names(job["env"]) <= CODE_NAMES
    assert any("pytest" in str(step.get("run", "")) for step in job["steps"])
    # the note for jobs that run in a container: the service's name and the container port
    assert f"MOCKSMOOCH_URL: http://{name}:{PORT}" in section()


def test_gitlab_ci_service_with_an_alias_that_docker_links_cannot_collide_with():
    (job,) = [job for job in recipes()["gitlab"].values() if isinstance(job, dict) and "services" in job]
    (service,) = job["services"]
    assert service["name"] == placeholder()
    alias = service["alias"]
    # With the Docker executor's links, the job gets <ALIAS>_PORT=tcp://<ip>:<port>, <ALIAS>_NAME ...
    link_prefix = alias.upper().replace("-", "_") + "_"
    assert not any(name.startswith(link_prefix) for name in CODE_NAMES), \
        f"alias {alias!r}: Docker links would set {link_prefix}PORT=tcp://... over a variable mocksmooch reads"
    assert job["variables"]["MOCKSMOOCH_URL"] == f"http://{alias}:{PORT}"
    assert env_names(job["variables"]) <= CODE_NAMES
    assert f'{HEALTHCHECK} --url "$MOCKSMOOCH_URL"' in job["script"]  # fails early if the service is down
    assert any("pytest" in line for line in job["script"])


def test_compose_waits_for_the_healthy_service_and_points_tests_at_it():
    services = recipes()["compose"]["services"]
    ((name, mock),) = [(n, s) for n, s in services.items() if s.get("image") == placeholder()]
    assert mock["healthcheck"]["test"] == ["CMD", *IMAGE.healthcheck]
    assert container_test.seconds(mock["healthcheck"]["interval"]) > 0
    assert container_test.seconds(mock["healthcheck"]["timeout"]) > 2  # over `mocksmooch healthcheck`'s own 2 s
    assert mock.get("command", IMAGE.cmd) == IMAGE.cmd
    assert [published(m)[1] for m in mock.get("ports", [])] in ([], [PORT])
    assert env_names(mock["environment"]) <= CODE_NAMES and "MOCKSMOOCH_URL" not in mock["environment"]
    if "MOCKSMOOCH_CLOCK_START" in mock["environment"]:
        parse_rfc3339(mock["environment"]["MOCKSMOOCH_CLOCK_START"])

    ((_, tests),) = [(n, s) for n, s in services.items() if n != name]
    assert tests["depends_on"] == {name: {"condition": "service_healthy"}}
    assert tests["environment"]["MOCKSMOOCH_URL"] == f"http://{name}:{PORT}"


# --- testcontainers-python -----------------------------------------------------------------

def test_testcontainers_fixture_names_the_image_port_health_route_and_url():
    (block,) = blocks("python")
    tree = ast.parse(block)
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert placeholder() in strings
    assert any("/_mocksmooch/health" in s for s in strings)
    calls = {node.func.attr: node for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    assert [arg.value for arg in calls["with_exposed_ports"].args] == [PORT]
    assert [arg.value for arg in calls["get_exposed_port"].args] == [PORT]
    assert "MOCKSMOOCH_URL" in strings


# testcontainers' DockerContainer, as far as the README's recipe uses it: the image's CMD
# as a local process with the image's env, the container port on a free loopback port.
STAND_IN = """
import json, os, signal, socket, subprocess, sys

IMAGE, PORT, CMD, IMAGE_ENV, LOG = {image!r}, {port!r}, {cmd!r}, {env!r}, {log!r}


class DockerContainer:
    started = []

    def __init__(self, image, **kwargs):
        assert image == IMAGE, image
        self.exposed, self.env = [], {{}}

    def with_exposed_ports(self, *ports):
        self.exposed += [int(port) for port in ports]
        return self

    def with_env(self, key, value):
        self.env[key] = value
        return self

    def start(self):
        assert self.exposed == [PORT], self.exposed
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.host_port = sock.getsockname()[1]
        env = {{k: v for k, v in os.environ.items() if not k.startswith("MOCKSMOOCH_")}}
        env.update({{**IMAGE_ENV, **self.env, "MOCKSMOOCH_HOST": "127.0.0.1", "MOCKSMOOCH_PORT": str(self.host_port)}})
        self.process = subprocess.Popen([sys.executable, "-m", *CMD], env=env, stdout=subprocess.DEVNULL)
        DockerContainer.started.append(self)
        return self

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(10)
        with open(LOG, "a") as log:
            log.write(json.dumps({{"port": self.host_port, "exit": code}}) + "\\n")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def get_container_host_ip(self):
        return "127.0.0.1"

    def get_exposed_port(self, port):
        assert int(port) in self.exposed
        return str(self.host_port)  # testcontainers answers a string too
"""

TEST_USING_THE_PLUGIN = """
import os

from testcontainers.core.container import DockerContainer


def test_the_plugin_uses_the_container(mocksmooch):
    (container,) = DockerContainer.started
    assert mocksmooch.url == os.environ["MOCKSMOOCH_URL"] == f"http://127.0.0.1:{container.host_port}"
    assert mocksmooch.users["alice"]["externalId"] == "alice"
"""


def test_testcontainers_recipe_as_a_conftest_gives_the_plugin_the_container(tmp_path):
    """The recipe is the conftest.py of a small suite that uses the pytest plugin's fixture;
    DockerContainer is a stand-in that runs the image's command locally."""
    (block,) = blocks("python")
    package = tmp_path / "stand-in" / "testcontainers" / "core"
    package.mkdir(parents=True)
    for directory in (package.parent, package):
        (directory / "__init__.py").write_text("")
    log = tmp_path / "containers.jsonl"
    image_env = {k: v for k, v in IMAGE.env.items() if k.startswith("MOCKSMOOCH_")}
    (package / "container.py").write_text(STAND_IN.format(image=placeholder(), port=PORT, cmd=IMAGE.cmd,
                                                          env=image_env, log=str(log)))
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text(block)
    (suite / "test_with_plugin.py").write_text(TEST_USING_THE_PLUGIN)

    # No PYTEST_* from this run (an xdist worker id, PYTEST_ADDOPTS) and no MOCKSMOOCH_*.
    env = {k: v for k, v in clean_env(PYTHONPATH=str(package.parent.parent)).items() if not k.startswith("PYTEST_")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)],
                            cwd=suite, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr
    (container,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert container["exit"] == 0  # stopped with SIGTERM at the end of the session, cleanly


# --- curl ----------------------------------------------------------------------------------

def snippets(block: str) -> list[tuple[str, str]]:
    """(comment, commands) pairs: each `# ...` line with the commands under it."""
    pairs: list[tuple[str, str]] = []
    for line in block.splitlines():
        if line.startswith("#"):
            pairs.append((line.lstrip("# "), ""))
        elif line.strip():
            assert pairs, "a curl command without a comment saying what it shows"
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + line + "\n")
    return pairs


def test_curl_commands_run_against_a_live_server_and_print_what_their_comments_say():
    assert shutil.which("curl") and shutil.which("bash")
    (block,) = [block for block in blocks("sh") if "curl" in block and "docker" not in block]
    assert set(re.findall(r"https?://[\w.]+:(\d+)", block)) == {str(PORT)}

    seed = fixtures.load()
    acme = [app["name"] for app in seed["accounts"][0]["apps"]]
    expected = [
        lambda out: out == {"status": "ok"},
        lambda out: out["user"]["externalId"] == "alice",
        lambda out: out == {"errors": [{"code": "forbidden", "title": "Forbidden"}]},
        lambda out: [app["displayName"] for app in out["apps"]] == acme,
    ]
    pairs = snippets(block)
    assert len(pairs) == len(expected), "a new curl example needs its expected output here"

    server = Served()
    try:
        server.wait_healthy()
        address = f"127.0.0.1:{server.port}"
        for (comment, commands), check in zip(pairs, expected):
            local = commands.replace(f"localhost:{PORT}", address).replace(f"127.0.0.1:{PORT}", address)
            result = subprocess.run(["bash", "-eo", "pipefail", "-c", local], capture_output=True, text=True,
                                    timeout=30, env=clean_env())
            assert result.returncode == 0, f"{comment}\n{result.stderr}"
            output = json.loads(result.stdout)
            try:
                shown = check(output)
            except (KeyError, TypeError, IndexError):
                shown = False
            assert shown, f"{comment}\n{result.stdout}"
            said = comment.rsplit(": ", 1)[-1]
            if said.startswith("{") and "..." not in said:
                assert output == json.loads(said), comment
        journal = requests.get(server.url + "/_mocksmooch/requests", timeout=5).json()["requests"]
        assert [entry["status"] for entry in journal] == [200, 403, 200]
    finally:
        assert server.stop() == 0


def test_quick_start_curl_block_is_the_tested_one():
    """The README shows the curl recipe twice (quick start, and for the container): one text."""
    text = (ROOT / "README.md").read_text()
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    (quick,) = [b for b in re.findall(r"^```sh\n(.*?)^```", quick_start, re.S | re.M) if "curl" in b]
    (tested,) = [b for b in blocks("sh") if "curl" in b and "docker" not in b]
    assert quick.replace("127.0.0.1:", "localhost:") == tested
