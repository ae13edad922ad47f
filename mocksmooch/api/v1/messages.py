"""v1.1 messages.  (STUB: being built.)"""
from . import v1  # noqa: F401
