"""The README's pytest recipes, run as a user would paste them: each titled block is
written to its file in a fresh project and pytest runs it with the installed plugin."""
from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"
BLOCK = re.compile(r'^```(\w+) title="([^"]+)"\n(.*?)^```', re.MULTILINE | re.DOTALL)


def pytest_section() -> str:
    text = README.read_text()
    start = text.index("## In pytest")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def recipes() -> tuple[dict[str, str], dict[str, str]]:
    """The files before the ini block run on the default seed; the ini block and the files
    after it form the seeds recipe."""
    default_seed, seeds = {}, {}
    target = default_seed
    for language, path, body in BLOCK.findall(pytest_section()):
        if language == "ini":
            target = seeds
        target[path] = body
    return default_seed, seeds


def write(pytester, files: dict[str, str]) -> None:
    for path, body in files.items():
        destination = pytester.path / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(body)


def test_the_section_has_the_recipes_the_issue_asks_for():
    default_seed, seeds = recipes()
    text = "\n".join([*default_seed.values(), *seeds.values()])
    for needle in ("def test_", "mocksmooch.token(", "mocksmooch.clock.advance(",
                   "mocksmooch.requests.assert_called(", "mocksmooch_fixtures", "pytest.mark.mocksmooch_fixtures"):
        assert needle in text, needle


def test_default_seed_recipes_pass(pytester):
    default_seed, _ = recipes()
    write(pytester, default_seed)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=sum(body.count("\ndef test_") + body.startswith("def test_")
                                      for body in default_seed.values()))


def test_seed_recipes_pass(pytester):
    _, seeds = recipes()
    write(pytester, seeds)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=2)
