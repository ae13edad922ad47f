"""v2 integrations.  (STUB: being built.)"""
from . import v2  # noqa: F401
