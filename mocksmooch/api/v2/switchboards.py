"""v2 switchboards.  (STUB: being built.)"""
from . import v2  # noqa: F401
