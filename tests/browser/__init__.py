"""A package, so that its conftest imports as `browser.conftest` and does not shadow the
top-level `conftest` that other test modules import helpers from (`from conftest import basic`)."""
