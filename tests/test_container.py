"""The container image, tested without a Docker engine (CI has none): this reads the
Dockerfile and replays it.

The replay does what a build and a `docker run` would do, step by step from the parsed
instructions, so a change to the Dockerfile changes what is tested:

- COPY: the named paths of the build context, filtered by .dockerignore, into a temporary
  build dir that stands for the image's source dir (a missing COPY breaks the install);
- RUN: a fresh `python -m venv` and a real `pip install` of that copy, with the image's
  paths mapped into temporary dirs; commands that only make sense in an image (creating
  the user) are checked, not run, and any other command fails the test;
- CMD with the image's ENV (only MOCKSMOOCH_HOST/PORT overridden: tests bind loopback on a
  free port), the HEALTHCHECK command polled until it exits 0, authenticated requests,
  the log lines on stdout, then SIGTERM and a clean exit.
"""
from __future__ import annotations

import ast
import base64
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).parent.parent
DOCKERFILE = ROOT / "Dockerfile"

# What the official python:3.x-slim images set themselves, under the Dockerfile's own ENV.
BASE_IMAGE_ENV = {"PATH": "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
# RUN commands that only shape the image (its user, the state volume's directory); the replay
# checks them but runs nothing.
IMAGE_ONLY_COMMANDS = {"groupadd", "useradd", "mkdir", "chown"}


# --- reading a Dockerfile ---------------------------------------------------------------------

@dataclass
class Instruction:
    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD/HEALTHCHECK/... or None for the shell form."""
        if not self.args.startswith("["):
            return None
        value = json.loads(self.args)  # a malformed array is an error, not a shell command
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), self
        return value


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with their line continuations joined; comments and blank lines dropped
    (also inside a continuation, as Docker does)."""
    instructions: list[Instruction] = []
    pending, start = "", 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1].strip() + " "
            continue
        keyword, _, args = (pending + stripped).partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        pending = ""
    assert not pending, "the Dockerfile ends inside a line continuation"
    return instructions


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$(?:\{(\w+)\}|(\w+))", lambda m: env.get(m.group(1) or m.group(2), ""), value)


def _env_pairs(args: str, env: dict[str, str]) -> dict[str, str]:
    tokens = shlex.split(args)
    if all("=" in token for token in tokens):
        pairs = dict(token.split("=", 1) for token in tokens)
    else:  # the legacy `ENV KEY value with spaces` form
        pairs = {tokens[0]: " ".join(tokens[1:])}
    return {key: _expand(value, env) for key, value in pairs.items()}


def _flags(tokens: list[str]) -> tuple[dict[str, str], list[str]]:
    flags = {}
    while tokens and tokens[0].startswith("--"):
        name, _, value = tokens.pop(0)[2:].partition("=")
        flags[name] = value
    return flags, tokens


@dataclass
class Image:
    """What the Dockerfile builds, as far as running it goes."""

    instructions: list[Instruction]
    base: str = ""
    env: dict[str, str] = field(default_factory=lambda: dict(BASE_IMAGE_ENV))
    labels: dict[str, str] = field(default_factory=dict)
    copies: list[tuple[list[str], str]] = field(default_factory=list)
    runs: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (command, ENV at that step)
    exposed: list[str] = field(default_factory=list)
    user: str | None = None
    healthcheck_options: dict[str, str] = field(default_factory=dict)
    healthcheck: list[str] | None = None
    stopsignal: str | None = None
    cmd: list[str] | None = None

    @classmethod
    def read(cls, path: Path = DOCKERFILE) -> "Image":
        image = cls(parse_dockerfile(path.read_text()))
        for ins in image.instructions:
            if ins.keyword == "FROM":
                assert not image.base, f"line {ins.line}: one stage only; the replay knows no multi-stage build"
                image.base = ins.args
            elif ins.keyword == "LABEL":
                image.labels.update(_env_pairs(ins.args, {}))
            elif ins.keyword == "ENV":
                image.env.update(_env_pairs(ins.args, image.env))
            elif ins.keyword == "COPY":
                flags, tokens = _flags(shlex.split(ins.args) if not ins.args.startswith("[") else [])
                tokens = tokens or ins.exec_form()
                assert "from" not in flags, f"line {ins.line}: COPY --from is not replayed"
                image.copies.append((tokens[:-1], tokens[-1]))
            elif ins.keyword == "RUN":
                assert ins.exec_form() is None, f"line {ins.line}: the replay runs shell-form RUN only"
                image.runs.append((ins.args, dict(image.env)))
            elif ins.keyword == "EXPOSE":
                image.exposed += ins.args.split()
            elif ins.keyword == "USER":
                image.user = ins.args
            elif ins.keyword == "HEALTHCHECK":
                options, rest = _flags(shlex.split(ins.args.split("CMD", 1)[0]))
                assert rest == [], f"line {ins.line}: HEALTHCHECK [OPTIONS] CMD ..."
                image.healthcheck_options = options
                command = Instruction("CMD", ins.args.split("CMD", 1)[1].strip(), ins.line)
                image.healthcheck = command.exec_form()
                assert image.healthcheck, f"line {ins.line}: HEALTHCHECK CMD must be exec form (no shell)"
            elif ins.keyword == "STOPSIGNAL":
                image.stopsignal = ins.args
            elif ins.keyword == "CMD":
                image.cmd = ins.exec_form()
                assert image.cmd, f"line {ins.line}: CMD must be exec form, so the server is PID 1 and gets SIGTERM"
            else:
                pytest.fail(f"Dockerfile line {ins.line}: {ins.keyword} is not replayed by tests/test_container.py; "
                            "teach the replay what it means before using it")
        return image

    def index(self, keyword: str) -> int:
        return max(i for i, ins in enumerate(self.instructions) if ins.keyword == keyword)

    @property
    def source_dir(self) -> str:
        """Where the image's `pip install` reads the package from."""
        installs = [shlex.split(cmd)[-1] for run, _ in self.runs for cmd in run.split("&&") if " install " in cmd]
        assert len(installs) == 1, f"expected one `pip install <source dir>` RUN, found {installs}"
        return installs[0].rstrip("/")

    @property
    def venv_dir(self) -> str:
        venvs = [m.group(1) for run, _ in self.runs for m in re.finditer(r"-m venv (\S+)", run)]
        assert len(venvs) == 1, f"expected one `python -m venv <dir>`, found {venvs}"
        return venvs[0].rstrip("/")


def names_the_code_reads() -> set[str]:
    """MOCKSMOOCH_* variables that the package reads: every string literal that is exactly
    such a name (os.environ.get("MOCKSMOOCH_HOST"), constants, the pytest plugin's) and the
    Flask config keys that create_app reads through from_prefixed_env("MOCKSMOOCH")."""
    from mocksmooch.app import DEFAULTS

    names = {f"MOCKSMOOCH_{key}" for key in DEFAULTS}
    for path in (ROOT / "mocksmooch").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and re.fullmatch(r"MOCKSMOOCH_[A-Z0-9_]+", node.value):
                names.add(node.value)
    return names


def seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"([\d.]+)(ms|s|m|h)", duration))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- what the Dockerfile must say ----------------------------------------------------------

@pytest.fixture(scope="module")
def image() -> Image:
    return Image.read()


def test_base_is_a_slim_official_python_with_its_minor_pinned(image):
    match = re.fullmatch(r"(?:docker\.io/library/)?python:(3\.\d+)(?:\.\d+)?-slim(?:-\w+)?(?:@sha256:[0-9a-f]{64})?",
                         image.base)
    assert match, f"FROM {image.base}: want the official python:3.X-slim image"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert match.group(1) + ".0" in SpecifierSet(project["requires-python"])


def test_runs_as_a_fixed_non_root_uid_set_after_the_build_and_before_cmd(image):
    assert image.user, "no USER: the server would run as root"
    uid = image.user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0 and image.user.split(":")[-1] != "0", image.user
    assert image.index("RUN") < image.index("USER") < image.index("CMD")
    useradd = next(cmd for run, _ in image.runs for cmd in run.split("&&") if cmd.split()[0] == "useradd")
    assert f"--uid {uid}" in useradd, "USER must be the uid the Dockerfile creates"


def test_listens_on_every_interface_on_the_exposed_port(image):
    from mocksmooch.cli import DEFAULT_PORT

    assert image.env["MOCKSMOOCH_HOST"] == "0.0.0.0"
    assert image.exposed == [str(DEFAULT_PORT)] == [image.env["MOCKSMOOCH_PORT"]] == ["8090"]


def test_healthcheck_and_cmd_are_the_cli_in_exec_form(image):
    assert image.cmd == ["mocksmooch", "serve"]
    assert image.healthcheck == ["mocksmooch", "healthcheck"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["mocksmooch"] == "mocksmooch.cli:main"
    # Docker's timeout must leave `mocksmooch healthcheck` its own 2 s, so it says why it failed.
    assert seconds(image.healthcheck_options["timeout"]) > 2
    assert seconds(image.healthcheck_options["interval"]) > 0
    assert image.stopsignal in (None, "SIGTERM")


def test_env_is_production_shaped_and_names_only_real_variables(image):
    assert image.env["PYTHONUNBUFFERED"] == "1" and image.env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert image.env["MOCKSMOOCH_LOG_FORMAT"] in ("text", "json")
    mocksmooch_names = {name for name in image.env if name.startswith("MOCKSMOOCH_")}
    assert mocksmooch_names <= names_the_code_reads()
    assert image.env["PATH"].split(":")[0] == image.venv_dir + "/bin"


def test_installs_a_copy_not_an_editable_checkout(image):
    installs = [cmd for run, _ in image.runs for cmd in run.split("&&") if " install " in cmd]
    assert installs and not any(re.search(r"\s(-e|--editable)\s", f" {cmd} ") for cmd in installs)
    assert all(dest.startswith(image.source_dir + "/") for _, dest in image.copies)


def test_labels_carry_the_package_version(image):
    from mocksmooch import __version__

    assert image.labels["org.opencontainers.image.version"] == __version__
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"] == __version__


# --- the replay ----------------------------------------------------------------------------

def dockerignore(context: Path):
    """A predicate on context-relative paths with .dockerignore's rules: `**`, `*`, `?`,
    `[...]`, `!` exceptions, the last matching rule wins, a match on a dir covers its files."""
    rules = []
    ignore_file = context / ".dockerignore"
    for line in ignore_file.read_text().splitlines() if ignore_file.exists() else []:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate, pattern = line.startswith("!"), line.lstrip("!").strip("/")
        regex, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif pattern[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif pattern[i] == "?":
                regex, i = regex + "[^/]", i + 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex, i = regex + "[" + pattern[i + 1:end].replace("!", "^", 1) + "]", end + 1
            else:
                regex, i = regex + re.escape(pattern[i]), i + 1
        rules.append((negate, re.compile(regex)))

    def ignored(relative: str) -> bool:
        parts = relative.strip("/").split("/")
        prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        verdict = False
        for negate, regex in rules:
            if any(regex.fullmatch(prefix) for prefix in prefixes):
                verdict = not negate
        return verdict

    return ignored


def replay_copy(sources: list[str], dest: str, target: Path, ignored) -> None:
    """COPY from the repo as the build context: a dir's contents (symlinks kept as links, as
    COPY keeps them), or files into a dir."""
    for source in sources:
        relative = source.strip("/")
        path = ROOT / relative
        assert path.exists() or path.is_symlink(), f"COPY {source}: not in the build context"
        assert not ignored(relative), f"COPY {source}: .dockerignore leaves it out of the build context"
        if path.is_dir() and not path.is_symlink():
            def skip(directory, names, base=path):
                inside = Path(directory).relative_to(ROOT)
                return [name for name in names if ignored(str(inside / name))]
            shutil.copytree(path, target, symlinks=True, ignore=skip, dirs_exist_ok=True)
        else:
            destination = target / path.name if dest.endswith("/") or len(sources) > 1 else target
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination, follow_symlinks=False)


def path_mapper(mapping: dict[str, Path]):
    """Rewrite the image's absolute paths (whole path components only) to local ones."""
    alternatives = "|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w./-])({alternatives})(?=/|[\s:\"']|$)")
    return lambda text: pattern.sub(lambda m: str(mapping[m.group(1)]), text)


def interpreter_for(base: str) -> str:
    """The base image's Python minor if this machine has it, else the one running the tests."""
    minor = re.search(r"python:(3\.\d+)", base).group(1)
    candidate = shutil.which(f"python{minor}")
    if candidate:
        probe = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == minor:
            return candidate
    return sys.executable


@dataclass
class Installed:
    image: Image
    venv: Path
    env: dict[str, str]  # the image's ENV at CMD time, its paths mapped


@pytest.fixture(scope="module")
def installed(image, tmp_path_factory) -> Installed:
    """The image, built by replaying its COPY and RUN instructions."""
    root = tmp_path_factory.mktemp("image")
    build, venv = root / "src", root / "venv"
    to_local = path_mapper({image.source_dir: build, image.venv_dir: venv})
    ignored = dockerignore(ROOT)

    for sources, dest in image.copies:
        replay_copy(sources, dest, Path(to_local(dest.rstrip("/"))), ignored)

    python = interpreter_for(image.base)
    for run, env in image.runs:
        # The image's ENV at that step, over this machine's (its pip configuration and
        # network settings), with pip's cache allowed here: the image turns it off only to
        # keep the layer small.
        run_env = {**os.environ, **{k: to_local(v) for k, v in env.items() if k != "PATH"}}
        run_env.pop("PIP_NO_CACHE_DIR", None)
        for command in run.split("&&"):
            argv = shlex.split(command)
            if argv[0] in IMAGE_ONLY_COMMANDS:
                continue
            argv = [python if argv[0] in ("python", "python3") else to_local(argv[0]),
                    *(to_local(arg) for arg in argv[1:])]
            assert argv[0] == python or Path(argv[0]).is_relative_to(venv), \
                f"RUN {command.strip()}: the replay runs only python and the venv's own tools"
            result = subprocess.run(argv, env=run_env, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, f"RUN {command.strip()} failed:\n{result.stdout}\n{result.stderr}"

    env = {key: to_local(value) for key, value in image.env.items()}
    return Installed(image, venv, env)


def test_the_build_installs_the_package_and_its_seed_into_the_venv(installed):
    """A real copy in the venv, with the default seed as a file, not the checkout on a path."""
    probe = subprocess.run([str(installed.venv / "bin" / "python"), "-c",
                            "import mocksmooch, granian, uvloop; from mocksmooch import fixtures; "
                            "print(mocksmooch.__file__); print(fixtures.DEFAULT_SEED)"],
                           env=installed.env, cwd="/", capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    package, seed = probe.stdout.split()
    assert Path(package).is_relative_to(installed.venv)
    assert Path(seed).is_file() and not Path(seed).is_symlink() and Path(seed).is_relative_to(installed.venv)


class Container:
    """The image's CMD started as `docker run` would, with the image's env."""

    def __init__(self, installed: Installed, env: dict[str, str] | None = None):
        self.image = installed.image
        self.port = free_port()
        # Only the address changes: tests bind loopback, on a free port.
        self.env = {**installed.env, **(env or {}), "MOCKSMOOCH_HOST": "127.0.0.1", "MOCKSMOOCH_PORT": str(self.port)}
        self.url = f"http://127.0.0.1:{self.port}"
        executable = shutil.which(self.image.cmd[0], path=self.env["PATH"])
        assert executable and Path(executable).parent == installed.venv / "bin", \
            f"{self.image.cmd[0]} on the image's PATH is {executable}, not the venv's"
        self.process = subprocess.Popen([executable, *self.image.cmd[1:]], env=self.env, cwd="/",
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def healthcheck(self) -> subprocess.CompletedProcess:
        executable = shutil.which(self.image.healthcheck[0], path=self.env["PATH"])
        return subprocess.run([executable, *self.image.healthcheck[1:]], env=self.env, cwd="/",
                              capture_output=True, text=True,
                              timeout=seconds(self.image.healthcheck_options["timeout"]) + 5)

    def wait_healthy(self, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while True:
            if self.process.poll() is not None:
                out, err = self.process.communicate()
                pytest.fail(f"the server exited with {self.process.returncode}:\n{out}\n{err}")
            result = self.healthcheck()
            if result.returncode == 0:
                return
            assert time.monotonic() < deadline, f"not healthy after {within} s: {result.stderr}"
            time.sleep(0.2)

    def stop(self) -> tuple[list[str], str]:
        """SIGTERM, as `docker stop` sends it (the image's STOPSIGNAL); a clean exit 0."""
        self.process.send_signal(signal.Signals[self.image.stopsignal or "SIGTERM"])
        try:
            out, err = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
            pytest.fail(f"still running 10 s after SIGTERM:\n{out}\n{err}")
        assert self.process.returncode == 0, f"exit {self.process.returncode} on SIGTERM:\n{out}\n{err}"
        return out.splitlines(), err

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def basic(key_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()}


def test_the_image_serves_the_default_seed_logs_each_request_and_stops_on_sigterm(installed):
    from mocksmooch import fixtures

    support = fixtures.load()["accounts"][0]["apps"][0]
    key = support["keys"][0]
    alice = f"/v2/apps/{support['id']}/users/alice"
    container = Container(installed)
    try:
        container.wait_healthy()
        allowed = requests.get(container.url + alice, headers=basic(key["id"], key["secret"]), timeout=5)
        assert allowed.status_code == 200 and allowed.json()["user"]["externalId"] == "alice"
        assert allowed.headers["Server"] == "mocksmooch"  # the gateway's, not "granian"
        refused = requests.get(container.url + alice, headers=basic(key["id"], "wrong"), timeout=5)
        assert refused.status_code == 401
        lines, stderr = container.stop()
    finally:
        container.kill()
    assert container.healthcheck().returncode == 1  # a real check: it fails once the server is gone

    assert f"on http://127.0.0.1:{container.port}" in lines[0] and "default seed" in lines[0]
    requests_logged = [line for line in lines if line.startswith(f"GET {alice} ")]
    assert len(requests_logged) == 2, lines
    assert f"GET {alice} 200 allowed: app key {key['id']} via basic" in requests_logged[0]
    assert f"GET {alice} 401 rejected: wrong secret for key {key['id']}" in requests_logged[1]
    assert lines[-1] == "mocksmooch: SIGTERM received, stopped"
    assert f"GET {alice}" not in stderr


def test_the_image_is_configured_by_env_a_mounted_seed_json_logs_and_a_clock_start(installed, tmp_path):
    seed = tmp_path / "seed.json"  # stands for `-v ./seed.json:/seed.json:ro`
    seed.write_text(json.dumps({"accounts": [{"name": "Mounted", "keys": [{"id": "act_" + "c" * 24, "secret": "s3"}],
                                              "apps": [{"name": "From a file"}]}]}))
    container = Container(installed, {"MOCKSMOOCH_FIXTURES": str(seed), "MOCKSMOOCH_LOG_FORMAT": "json",
                                      "MOCKSMOOCH_CLOCK_START": "2030-01-02T03:04:05Z"})
    try:
        container.wait_healthy()
        apps = requests.get(container.url + "/v2/apps", headers=basic("act_" + "c" * 24, "s3"), timeout=5)
        assert [app["displayName"] for app in apps.json()["apps"]] == ["From a file"]
        assert requests.get(container.url + "/v2/apps", timeout=5).status_code == 401
        clock = requests.get(container.url + "/_mocksmooch/clock", timeout=5).json()
        assert clock["now"].startswith("2030-01-02T03:0")
        lines, _ = container.stop()
    finally:
        container.kill()

    entries = [json.loads(line) for line in lines]  # every stdout line is JSON
    logged = [entry for entry in entries if entry.get("path") == "/v2/apps"]
    assert [(entry["status"], entry["auth"]["outcome"]) for entry in logged] == [(200, "allowed"), (401, "rejected")]
    assert logged[0]["auth"]["principal"]["keyId"] == "act_" + "c" * 24
    assert logged[1]["auth"]["reason"] == "no Authorization header"
    assert logged[0]["time"].startswith("2030-01-02T03:0")
    assert entries[-1]["message"] == "mocksmooch: SIGTERM received, stopped"


def test_the_image_reads_an_inline_seed(installed):
    inline = {"accounts": [{"name": "Inline", "keys": [{"id": "act_" + "d" * 24, "secret": "pw"}]}]}
    container = Container(installed, {"MOCKSMOOCH_FIXTURES_JSON": json.dumps(inline)})
    try:
        container.wait_healthy()
        response = requests.get(container.url + "/v2/apps", headers=basic("act_" + "d" * 24, "pw"), timeout=5)
        assert response.status_code == 200 and response.json()["apps"] == []
        lines, _ = container.stop()
    finally:
        container.kill()
    assert "(MOCKSMOOCH_FIXTURES_JSON, CORS dev)" in lines[0]
    assert any(line.startswith("GET /v2/apps 200 allowed: account key act_" + "d" * 24) for line in lines)
