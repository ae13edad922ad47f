"""The machine and software the figures were measured on: they mean nothing without it."""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from servers import REPO

PACKAGES = ("mocksmooch", "flask", "werkzeug", "granian", "uvloop", "pyjwt", "requests")


def describe(wrk_version: str | None, load_tool: str, prism_version: str | None,
             wiremock_version: str | None) -> dict:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory": _memory_total(),
        "os": _os_name(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        **{name: _version(name) for name in PACKAGES},
        "load generator": f"{load_tool} ({wrk_version})" if wrk_version and load_tool == "wrk" else load_tool,
        "node": _command_output(["node", "--version"]),
        "prism": prism_version or "not used",
        "java": _command_output(["java", "-version"]).splitlines()[0],
        "wiremock": wiremock_version or "not used",
        "git commit": _git_commit(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 ** 2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _command_output(argv: list[str]) -> str:
    if not shutil.which(argv[0]):
        return "not installed"
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO)
    return done.stdout.strip() or done.stderr.strip() or "unknown"


def _git_commit() -> str:
    if not shutil.which("git"):
        return "unknown (no git)"
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, cwd=REPO)
    if commit.returncode != 0:
        return "unknown (not a git checkout)"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, cwd=REPO).stdout.strip()
    return commit.stdout.strip() + (" + uncommitted changes to tracked files" if dirty else "")
