"""v1.1 channels.  (STUB: being built.)"""
from . import v1  # noqa: F401
