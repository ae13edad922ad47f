"""The default seed must work after a plain `pip install .`, not only from a checkout."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_wheel_ships_the_default_seed_and_serves_it(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("mocksmooch-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "mocksmooch/seeds/default.json" in names and "mocksmooch/seeds/schema.json" in names
    assert "mocksmooch/default.normalized.json" in names  # the default seed, prebuilt (fixtures.load)
    assert {"mocksmooch/dashboard/index.html", "mocksmooch/dashboard/chat.js"} <= set(names)

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    # Run from outside the checkout, with the installed copy first on the path.
    result = subprocess.run([sys.executable, "-c", "import mocksmooch, sys; from mocksmooch import fixtures; "
                             "print(mocksmooch.__file__); print(len(fixtures.load()['accounts'])); "
                             "assert fixtures.load() == fixtures.load(fixtures.DEFAULT_SEED)"],
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    location, accounts = result.stdout.split()
    assert location.startswith(str(target)) and accounts == "2"
