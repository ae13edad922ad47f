"""v1.1 templates.  (STUB: being built.)"""
from . import v1  # noqa: F401
