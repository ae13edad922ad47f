"""v1.1 menus.  (STUB: being built.)"""
from . import v1  # noqa: F401
