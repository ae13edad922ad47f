"""v2 conversations.  (STUB: being built.)"""
from . import v2  # noqa: F401
