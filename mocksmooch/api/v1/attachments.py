"""v1.1 attachments.  (STUB: being built.)"""
from . import v1  # noqa: F401
