"""v1.1 whatsapp.  (STUB: being built.)"""
from . import v1  # noqa: F401
