"""A package, so that nothing here shadows the top-level `conftest` that test modules import
helpers from (`from conftest import basic`), as in tests/browser."""
