"""Webhook delivery.  (STUB: the interface the resources call; delivery is being built.)

Resources report what happened with `mock().webhooks.emit(app_id, trigger, payload)`:
`trigger` is a v2 webhook trigger (`conversation:create`, `conversation:message`, ...) and
`payload` the event's v2 `payload` object (e.g. `{"conversation": {...}, "message": {...}}`,
rendered with the v2 renderers).  Delivery to every matching webhook happens off the
request thread.
"""
from __future__ import annotations


class Webhooks:
    def __init__(self, store, clock):
        self.store = store
        self.clock = clock

    def emit(self, app_id: str, trigger: str, payload: dict, *, source_integration_id: str | None = None) -> None:
        """Queue one event for each webhook of `app_id` subscribed to `trigger`."""
