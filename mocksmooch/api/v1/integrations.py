"""v1.1 integrations.  (STUB: being built.)"""
from . import v1  # noqa: F401
