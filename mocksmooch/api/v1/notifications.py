"""v1.1 notifications.  (STUB: being built.)"""
from . import v1  # noqa: F401
