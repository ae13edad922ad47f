"""v2 attachments.  (STUB: being built.)"""
from . import v2  # noqa: F401
