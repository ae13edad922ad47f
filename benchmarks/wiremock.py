"""WireMock, the Java HTTP stub server: its standalone jar installed once from the npm
registry (the `wiremock` package ships it) into benchmarks/.cache/wiremock, run with the
machine's `java` (Debian's openjdk-17-jre-headless installed with apt-get when missing and
allowed), serving two stubs that answer what mocksmooch answers.

The stubs are the comparison issue 11 asks for: the benchmark's GET of a user and POST of
a message, matched by path and by the seed key's Basic credentials (WireMock checks no JWT,
so it is always sent the Basic header), answering mocksmooch's own status, Content-Type and
body.  They are obtained from mocksmooch itself at run time and written as JSON mappings
into the run's temporary folder: nothing of them is committed, so they cannot drift.

Every way of not having WireMock (--skip-wiremock, --no-install, no npm, no Java 11+ and no
way to install one, an install that failed) is a reason printed next to the figures, never
an error: mocksmooch's own figures stand without it.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import installs
from scenario import MESSAGE_BODY, Target
from servers import BENCHMARKS, BenchmarkError

PACKAGE = "wiremock"
VERSION = "3.13.2"   # pinned: a new WireMock release would move the peer's figures
CACHE = BENCHMARKS / ".cache" / "wiremock"
JAR = CACHE / "node_modules" / PACKAGE / "build" / f"wiremock-standalone-{VERSION}.jar"
JAVA_PACKAGE = "openjdk-17-jre-headless"   # Debian's; WireMock 3 runs on Java 11 and later
OLDEST_JAVA = 11
ANY_ID = "[^/]+"   # the messages stub answers for any conversation id, as Prism does


@dataclass
class WireMock:
    java: str | None = None
    java_version: str | None = None  # the first line of `java -version`
    jar: Path | None = None
    version: str | None = None
    install_s: float | None = None   # None: the jar was already installed
    java_how: str | None = None      # how java was had (already there, or installed by this run)
    skipped: str | None = None       # why WireMock is not in this run


def installed_version() -> str | None:
    """The cached package's version, when its jar is there too."""
    manifest = CACHE / "node_modules" / PACKAGE / "package.json"
    try:
        version = json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    return version if JAR.exists() else None


def prepare(skip: bool, may_install: bool) -> WireMock:
    """WireMock ready to start, or the reason it is not in this run.  The jar comes first:
    without it there is no point installing a Java runtime."""
    if skip:
        return WireMock(skipped="--skip-wiremock")
    install_s, missing = _ensure_jar(may_install)
    if missing:
        return WireMock(skipped=missing)
    java, java_how = ensure_java(may_install)
    if java is None:
        return WireMock(skipped=java_how)
    version_line, major = java_version(java)
    if major is None or major < OLDEST_JAVA:
        return WireMock(skipped=f"WireMock {VERSION} needs Java {OLDEST_JAVA} or later; {java} is "
                                f"{version_line or 'of an unknown version'}")
    return WireMock(java=java, java_version=version_line, jar=JAR, version=installed_version(),
                    install_s=install_s, java_how=java_how)


def _ensure_jar(may_install: bool) -> tuple[float | None, str | None]:
    """The seconds an install took (None: cached already), and why there is no jar."""
    if installed_version() == VERSION:
        return None, None
    if not may_install:
        return None, f"{PACKAGE}@{VERSION} is not installed in {CACHE} and --no-install was given"
    install_s, failure = installs.npm_install(f"{PACKAGE}@{VERSION}", CACHE)
    if failure:
        return install_s, f"{failure}: the WireMock peer's jar is an npm package"
    if installed_version() != VERSION:
        return install_s, f"npm installed {PACKAGE}, but not {JAR.relative_to(BENCHMARKS)}"
    return install_s, None


def ensure_java(may_install: bool) -> tuple[str | None, str]:
    """java's path (or None) and a sentence on how it was had, or why it cannot be."""
    found = shutil.which("java")
    if found:
        return found, "java was already installed"
    if not may_install:
        return None, "java is missing and --no-install was given"
    if not installs.apt_get_possible():
        return None, (f"java is missing and cannot be installed here (needs root and apt-get); install a Java "
                      f"{OLDEST_JAVA}+ runtime (Debian/Ubuntu: `sudo apt-get install {JAVA_PACKAGE}`)")
    if not installs.apt_get_install(JAVA_PACKAGE) or not shutil.which("java"):
        return None, f"`apt-get install {JAVA_PACKAGE}` failed"
    return shutil.which("java"), f"java ({JAVA_PACKAGE}) was installed by this run with apt-get"


def java_version(java: str) -> tuple[str | None, int | None]:
    """`java -version`'s first line and the major version in it ("1.8.0_392" is Java 8)."""
    done = subprocess.run([java, "-version"], capture_output=True, text=True)
    lines = (done.stderr or done.stdout).strip().splitlines()
    if not lines:
        return None, None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', lines[0])
    if not match:
        return lines[0], None
    major = int(match[1])
    return lines[0], int(match[2] or 0) if major == 1 else major


# --- the stubs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: str


def mocksmooch_answers(target: Target) -> dict[str, Answer]:
    """What mocksmooch answers to the benchmark's Basic GET of the user and its POST of a
    message: create_app({}) (the default seed, as `mocksmooch serve` starts) through Flask's
    test client, so the stubs hold mocksmooch's bytes, not a copy written down."""
    from mocksmooch.app import create_app

    client = create_app({}).test_client()
    basic = {"Authorization": target.basic}
    created = client.post(target.conversations_path, json=target.new_conversation, headers=basic)
    if created.status_code != 201:
        raise BenchmarkError(f"creating a conversation for the WireMock stubs: {created.status_code}")
    conversation = created.get_json()["conversation"]["id"]
    answers = {"Basic GET user": client.get(target.user_path, headers=basic),
               "POST message": client.post(target.messages_path(conversation), data=MESSAGE_BODY,
                                           content_type="application/json", headers=basic)}
    for name, expected in (("Basic GET user", 200), ("POST message", 201)):
        if answers[name].status_code != expected:
            raise BenchmarkError(f"mocksmooch answered the stubs' {name} with {answers[name].status_code}, "
                                 f"expected {expected}")
    return {name: Answer(response.status_code, response.content_type, response.get_data(as_text=True))
            for name, response in answers.items()}


def mappings(target: Target, answers: dict[str, Answer]) -> dict[str, dict]:
    """File name -> WireMock stub mapping: the user's GET by its exact path, the messages POST
    for any conversation id, both only with the key's Basic credentials (anything else is
    WireMock's 404: no stub matched)."""
    credentials = {"username": target.key_id, "password": target.secret}
    messages = f"{re.escape(target.conversations_path)}/{ANY_ID}/messages"  # Target.messages_path, any id

    def stub(request: dict, answer: Answer) -> dict:
        return {"request": {**request, "basicAuthCredentials": credentials},
                "response": {"status": answer.status, "headers": {"Content-Type": answer.content_type},
                             "body": answer.body}}

    return {"get-user.json": stub({"method": "GET", "urlPath": target.user_path}, answers["Basic GET user"]),
            "post-message.json": stub({"method": "POST", "urlPathPattern": messages}, answers["POST message"])}


def write_stubs(root: Path, target: Target) -> Path:
    """ROOT/mappings/*.json, for `--root-dir ROOT`; returns ROOT."""
    folder = root / "mappings"
    folder.mkdir(parents=True, exist_ok=True)
    for name, mapping in mappings(target, mocksmooch_answers(target)).items():
        (folder / name).write_text(json.dumps(mapping, indent=2) + "\n")
    return root
