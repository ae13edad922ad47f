"""The v2 REST API (Sunshine Conversations), one module per resource over one blueprint.

Each route's `@requires(...)` is its row of the scope table (v2-scopes.txt, taken from the
`security` blocks of the v2 OpenAPI description).  Helpers every resource needs (201s,
metadata rules, finding the app or user of a path) are in `common`.
"""
from flask import Blueprint

v2 = Blueprint("v2", __name__, url_prefix="/v2")

# Importing the resource modules registers their routes on the blueprint.
from . import apps, attachments, conversations, integrations, switchboards, users  # noqa: E402,F401
