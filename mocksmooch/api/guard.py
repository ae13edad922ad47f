"""Route guards: every API route states who may call it, in one decorator next to it.

    @v2.get("/apps/<app_id>/users/<user_ref>")
    @requires("account", "app", "integration")
    def get_user(app_id, user_ref): ...

The guard authenticates the request, then asks the auth core to authorize it for the
route's policy and the app (`app_id`) and user (`user_ref`) named in the path.  The
policy is kept on the view function (`view.policy`), so the scope table can be listed
from the application's URL map.
"""
from __future__ import annotations

import functools

from flask import current_app, g, request

from .. import auth
from ..core import Mock


def mock() -> Mock:
    return current_app.extensions["mocksmooch"]


def principal() -> auth.Principal:
    """The authenticated caller of the current request (set by the guard)."""
    return g.principal


def requires(*scopes: str, user_accounts_only: bool = False):
    policy = auth.allow(*scopes, user_accounts_only=user_accounts_only)

    def decorate(view):
        @functools.wraps(view)
        def guarded(**path):
            current = mock()
            context = g._get_current_object()  # one context look-up for the two writes
            context.principal = caller = authenticate(current)
            context.auth_reason = auth.authorize(caller, policy, current.store,
                                                 app_id=path.get("app_id"), user_ref=path.get("user_ref"))
            return view(**path)

        guarded.policy = policy
        return guarded

    return decorate


def authenticate(current: Mock) -> auth.Principal:
    """The caller of the current request, from its Authorization header (the guard's auth
    work: benchmarks/ times it alone)."""
    # The WSGI environ holds at most one Authorization value (servers join repeated headers,
    # which auth.credentials tells apart); reading it there skips a scan of every header.
    authorization = request.environ.get("HTTP_AUTHORIZATION")
    return auth.authenticate([] if authorization is None else [authorization], current.store,
                             current.clock.now(), current.verify_options, current.verified_tokens)
