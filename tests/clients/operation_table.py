"""What the v1 and v2 conformance suites share: a table of one case per operation of an
official client, and the client's operations it must cover exactly."""
from __future__ import annotations

import inspect
from types import ModuleType
from typing import Callable


def client_operations(client: ModuleType, variants: tuple[str, ...]) -> set[tuple[str, str]]:
    """Every public operation of every `*Api` class of `client`, without the methods whose
    names end in one of `variants` (`_with_http_info`...: the same call, another return)."""
    operations = set()
    for class_name, cls in inspect.getmembers(client, inspect.isclass):
        if not class_name.endswith("Api"):
            continue
        for name, _ in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_") and not name.endswith(variants):
                operations.add((class_name, name))
    return operations


class OperationTable(dict):
    """(ApiClass, method) -> case; `@table.case("AppsApi.create_app")` registers one."""

    def case(self, qualified: str) -> Callable:
        api_class, method = qualified.split(".")

        def register(case: Callable) -> Callable:
            assert (api_class, method) not in self, qualified
            self[(api_class, method)] = case
            return case

        return register

    def assert_covers_exactly(self, offered: set[tuple[str, str]]) -> None:
        assert sorted(offered - set(self)) == [], "client operations without a case"
        assert sorted(set(self) - offered) == [], "cases for operations the client does not have"
