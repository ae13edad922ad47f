"""v1.1 webhooks.  (STUB: being built.)"""
from . import v1  # noqa: F401
