"""Prism, the OpenAPI mock server: installed once from the npm registry into
benchmarks/.cache/prism, mocking the v2 description found in ../shared/reference/.

Every way of not having it (no reference folder, no npm, install failed, --skip-prism)
is a reason printed next to the figures, never an error: mocksmooch's own figures stand
without it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import installs
from servers import BENCHMARKS, REPO

PACKAGE = "@stoplight/prism-cli"
VERSION = "5.16.0"   # pinned: a new Prism release would move the peer's figures
CACHE = BENCHMARKS / ".cache" / "prism"
REFERENCE = REPO.parent / "shared" / "reference"


@dataclass
class Prism:
    bin: Path | None = None
    spec: Path | None = None
    version: str | None = None
    install_s: float | None = None   # None: it was already installed
    skipped: str | None = None       # why Prism is not in this run


def find_spec(reference: Path = REFERENCE) -> Path | None:
    """The v2 OpenAPI description: the reference file whose name says v2 and openapi."""
    if not reference.is_dir():
        return None
    candidates = sorted(path for pattern in ("*v2*.yaml", "*v2*.yml", "*v2*.json")
                        for path in reference.glob(pattern))
    preferred = [path for path in candidates if "openapi" in path.name.lower()]
    return (preferred or candidates or [None])[0]


def installed_version() -> str | None:
    manifest = CACHE / "node_modules" / PACKAGE / "package.json"
    try:
        return json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def prepare(skip: bool, may_install: bool) -> Prism:
    """Prism ready to start, or the reason it is not in this run."""
    if skip:
        return Prism(skipped="--skip-prism")
    spec = find_spec()
    if spec is None:
        return Prism(skipped=f"no v2 OpenAPI description in {REFERENCE} (the folder is "
                             f"{'there' if REFERENCE.is_dir() else 'missing'})")
    install_s = None
    if installed_version() != VERSION:
        if not may_install:
            return Prism(skipped=f"{PACKAGE}@{VERSION} is not installed in {CACHE} and --no-install was given")
        install_s, failure = installs.npm_install(f"{PACKAGE}@{VERSION}", CACHE)
        if failure:
            return Prism(skipped=f"{failure}: the Prism peer is an npm package (Node.js 18+)")
        if installed_version() != VERSION:
            return Prism(skipped=f"npm installed {PACKAGE} {installed_version()}, not {VERSION}")
    bin_path = CACHE / "node_modules" / ".bin" / "prism"
    if not bin_path.exists():
        return Prism(skipped=f"{bin_path} is missing after the install")
    return Prism(bin=bin_path, spec=spec, version=installed_version(), install_s=install_s)
