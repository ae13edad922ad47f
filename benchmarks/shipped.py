"""mocksmooch as a user installs it, for every server the benchmark starts: a virtualenv of
its own in benchmarks/.cache/shipped with `pip install .` of this checkout (what the README's
first command and the Dockerfile do), refreshed at every run.

Not the venv running the benchmark: that one is the test venv, an editable install with the
test extras.  PyJWT imports `cryptography` whenever it is installed (a test extra), which
cost `mocksmooch serve` about 70 ms of start-up and 7 MB of memory that no user's install
pays; and an editable install under PYTHONDONTWRITEBYTECODE (set in this sandbox) compiles
every module again at each start, where pip compiles them once at install.
"""
from __future__ import annotations

import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

from servers import BENCHMARKS, REPO

FOLDER = BENCHMARKS / ".cache" / "shipped"


@dataclass(frozen=True)
class Install:
    bin: Path       # where `mocksmooch` and `python` of the servers are
    note: str       # how it was had, for the printed notes


def prepare(may_install: bool) -> Install:
    """The shipped install, refreshed from this checkout; with --no-install (or when pip
    fails) the running venv instead, said in the note."""
    running = Install(Path(sys.executable).parent, "")
    if not may_install:
        return Install(running.bin, f"servers run from this venv ({running.bin.parent}: the test venv, "
                                    "with the test extras) because --no-install was given")
    python = FOLDER / "bin" / "python"
    if not python.exists():
        print(f"creating {FOLDER.relative_to(REPO)} (once) ...", flush=True)
        venv.create(FOLDER, with_pip=True, clear=True)
    # Dependencies as the package declares them, then this checkout's code itself every time
    # (the version number does not change between commits, so pip would keep the old copy).
    for argv in ([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(REPO)],
                 [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                  "--force-reinstall", str(REPO)]):
        done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO)
        if done.returncode != 0:
            tail = " ".join((done.stderr or done.stdout).split())[-300:]
            return Install(running.bin, f"servers run from this venv ({running.bin.parent}, the test venv): "
                                        f"`pip install .` into {FOLDER} failed: {tail}")
    return Install(python.parent, f"servers run from {FOLDER.relative_to(REPO)}: `pip install .` of this checkout "
                                  "(no test extras, bytecode compiled by pip), as a user's install")
