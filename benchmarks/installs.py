"""Installing what a run needs and the machine lacks: a system package with apt-get (wrk,
a Java runtime) or an npm package into benchmarks/.cache (Prism, WireMock's jar).

Shared by loadgen, prism and wiremock, so each says only what it installs and what a
missing one means; none of them fails the run over an install.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from servers import REPO


def apt_get_possible() -> bool:
    """apt-get installs need root and apt-get; anywhere else the run says how to install."""
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def apt_get_install(package: str) -> bool:
    """`apt-get install -y PACKAGE`; True when it worked.  A fresh machine has no package
    lists yet, so a failed install is retried once after `apt-get update`."""
    print(f"installing {package} with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", package]
    if subprocess.run(install, env=env, capture_output=True).returncode == 0:
        return True
    subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
    return subprocess.run(install, env=env, capture_output=True).returncode == 0


def npm_install(spec: str, prefix: Path) -> tuple[float | None, str | None]:
    """`npm install --prefix PREFIX SPEC` (e.g. "wiremock@3.13.2"): the seconds it took, and
    why it failed (None: it worked).  The prefix is a folder of benchmarks/.cache, which git
    ignores, so the repository never holds a peer."""
    npm = shutil.which("npm")
    if npm is None:
        return None, "npm is missing (install Node.js with npm)"
    print(f"installing {spec} into {prefix.relative_to(REPO)} (once) ...", flush=True)
    prefix.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    done = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--loglevel=error",
                           spec], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = " ".join((done.stderr or done.stdout).split())[-300:]
        return seconds, f"npm install {spec} failed ({done.returncode}): {tail}"
    return seconds, None
