"""Webhook delivery: events POSTed to the app's webhooks, off the request thread, and a
bounded log of every attempt for tests to read (`GET /_mocksmooch/webhooks/deliveries`).

Resources report what happened with `mock().webhooks.emit(app_id, trigger, payload)`:
`trigger` is a v2 webhook trigger (`conversation:create`, `conversation:message`, ...) and
`payload` the event's v2 `payload` object (e.g. `{"conversation": {...}, "message": {...}}`,
rendered with the v2 renderers).  Give users in full (`render_user`) and sources with their
`client`/`device` if known: each webhook gets them trimmed to what it subscribed to
(`includeFullUser` false: every `user` object cut to the userTruncated fields;
`includeFullSource` false: no `client` or `device` in any `source`), as the spec says.

Each subscribed v2 webhook of the app (its triggers name the trigger) gets one POST of the
spec's envelope, `{"app": {"id"}, "webhook": {"id", "version"}, "events": [{"id",
"createdAt", "type", "payload"}]}`, with `X-API-Key: <the webhook's secret>`.  Deliveries to
one webhook go in the order of the events; different webhooks are served in parallel by a
few daemon threads.  One attempt each, 5 s timeout, no retries, no redirects, no proxy.
"""
from __future__ import annotations

import copy
import http.client
import json
import logging
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from .clock import rfc3339

log = logging.getLogger("mocksmooch.webhooks")

TIMEOUT_SECONDS = 5.0
WORKERS = 4
DELIVERIES_KEPT = 1000
USER_TRUNCATED = ("id", "externalId", "zendeskId", "brandId", "authenticated")
RESPONSE_BYTES_READ = 64 * 1024
WORKER_IDLE_SECONDS = 30.0


@dataclass
class _Job:
    generation: int
    app_id: str
    webhook_id: str
    integration_id: str
    target: str
    secret: str
    trigger: str
    event_id: str
    body: dict
    source_integration_id: str | None


class Webhooks:
    def __init__(self, store, clock, *, deliveries_kept: int = DELIVERIES_KEPT,
                 timeout: float = TIMEOUT_SECONDS, workers: int = WORKERS):
        self.store = store
        self.clock = clock
        self.timeout = timeout
        self._workers = workers
        self._lock = threading.Lock()
        self._generation = 0           # bumped by clear(): older jobs are neither sent nor logged
        self._deliveries: deque[dict] = deque(maxlen=deliveries_kept)
        self._next_id = 1
        self._lanes: dict[str, deque[_Job]] = {}   # per webhook, in event order
        self._ready: deque[str] = deque()           # webhooks with work and no worker on them
        self._wakeup = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []
        self._idle = 0                              # workers waiting for a lane

    # --- what the resources call -----------------------------------------------------------

    def emit(self, app_id: str, trigger: str, payload: dict, *, source_integration_id: str | None = None) -> None:
        """Queue one event for each webhook of `app_id` subscribed to `trigger`.

        Never raises, never blocks on the network: an emit for an app that is gone (deleted,
        or reset away) or with no subscriber does nothing."""
        try:
            self._emit(app_id, trigger, payload, source_integration_id)
        except Exception:  # a webhook must never fail the request that caused it
            log.exception("webhook emit failed for app %s, trigger %s", app_id, trigger)

    def _emit(self, app_id: str, trigger: str, payload: dict, source_integration_id: str | None) -> None:
        generation = self._generation
        with self.store.exclusive():  # one consistent view, and never half a reset
            if self.store.get("app", app_id) is None:
                return
            webhooks = [webhook for integration in self.store.children("integration", app_id)
                        for webhook in self.store.children("webhook", integration["id"])]
        subscribed = [w for w in webhooks if (w.get("version") or "v2") == "v2" and trigger in w.get("triggers", ())]
        if not subscribed:
            return
        event = {"id": secrets.token_hex(12), "createdAt": rfc3339(self.clock.now()), "type": trigger}
        for webhook in subscribed:
            body = {"app": {"id": app_id}, "webhook": {"id": webhook["id"], "version": "v2"},
                    "events": [{**event, "payload": _trimmed(payload, webhook)}]}
            self._enqueue(_Job(generation, app_id, webhook["id"], webhook["integrationId"], webhook["target"],
                               webhook["secret"], trigger, event["id"], body, source_integration_id))

    # --- what the control API calls -----------------------------------------------------------

    def deliveries(self) -> list[dict]:
        """Every delivery attempt finished since the last clear, oldest first (bounded)."""
        with self._lock:
            return list(self._deliveries)

    def pending(self) -> int:
        """Events queued or being sent right now."""
        with self._lock:
            return sum(len(lane) for lane in self._lanes.values())

    def clear(self) -> None:
        """Forget the log (ids start again at 1), and drop what is queued: nothing from
        before a reset shows after it."""
        with self._lock:
            self._generation += 1
            self._deliveries.clear()
            self._next_id = 1
            for lane in self._lanes.values():
                while len(lane) > 1:  # the head may be in flight; its worker drops it when done
                    lane.pop()

    # --- the workers -----------------------------------------------------------------------------

    def _enqueue(self, job: _Job) -> None:
        with self._lock:
            if job.generation != self._generation:
                return
            lane = self._lanes.setdefault(job.webhook_id, deque())
            lane.append(job)
            if len(lane) == 1:  # an idle lane: hand it to a worker
                self._ready.append(job.webhook_id)
                self._wakeup.notify()
            if len(self._ready) > self._idle and len(self._threads) < self._workers:
                self._start_worker()

    def _start_worker(self) -> None:
        """Workers start on demand, up to `workers`; daemons, so an unreachable target never
        holds up the process's exit."""
        thread = threading.Thread(target=self._work, name=f"mocksmooch-webhooks-{len(self._threads) + 1}",
                                  daemon=True)
        self._threads.append(thread)
        thread.start()

    def _work(self) -> None:
        """Serve ready lanes; after a while with none, end (a later event starts a worker again)."""
        me = threading.current_thread()
        while True:
            with self._lock:
                self._idle += 1
                self._wakeup.wait_for(lambda: self._ready, timeout=WORKER_IDLE_SECONDS)
                self._idle -= 1
                if not self._ready:
                    self._threads.remove(me)
                    return
                webhook_id = self._ready.popleft()
            self._drain(webhook_id)

    def _drain(self, webhook_id: str) -> None:
        """Deliver the lane's events one after the other, until it is empty."""
        while True:
            with self._lock:
                lane = self._lanes[webhook_id]
                job = lane[0]
                current = job.generation == self._generation
            record = self._deliver(job) if current else None
            with self._lock:
                if record is not None and job.generation == self._generation:
                    self._deliveries.append({"id": self._next_id, **record})
                    self._next_id += 1
                lane.popleft()
                if not lane:
                    del self._lanes[webhook_id]
                    return

    def _deliver(self, job: _Job) -> dict:
        """One POST; the log entry saying how it went."""
        started_at, started = rfc3339(self.clock.now()), time.monotonic()
        status, error = None, None
        try:
            status = _post(job.target, json.dumps(job.body).encode(),
                           {"Content-Type": "application/json", "X-API-Key": job.secret,
                            "User-Agent": "mocksmooch-webhooks"}, self.timeout)
        except Exception as failure:  # refused, unreachable, timed out, bad URL...
            error = f"{type(failure).__name__}: {failure}"
        return {"time": started_at, "appId": job.app_id, "webhookId": job.webhook_id,
                "integrationId": job.integration_id, "target": job.target, "trigger": job.trigger,
                "eventId": job.event_id, "sourceIntegrationId": job.source_integration_id,
                "status": status, "error": error,
                "durationMs": round((time.monotonic() - started) * 1000), "body": job.body}


def _post(target: str, data: bytes, headers: dict, timeout: float) -> int:
    """POST with http.client, which sends the header names as written (`X-API-Key`), follows
    no redirect and uses no proxy; the answer's status, whatever it is."""
    url = urlsplit(target)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"not an http(s) URL: {target!r}")
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(url.hostname, url.port, timeout=timeout)
    try:
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        connection.request("POST", path, body=data, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_BYTES_READ)
        return response.status
    finally:
        connection.close()


def _trimmed(payload: dict, webhook: dict) -> dict:
    """The payload as this webhook subscribed to it (includeFullUser, includeFullSource)."""
    full_user, full_source = bool(webhook.get("includeFullUser")), bool(webhook.get("includeFullSource"))
    if full_user and full_source:
        return copy.deepcopy(payload)

    def walk(value, key=None):
        if isinstance(value, dict):
            if key == "user" and not full_user:
                value = {name: value[name] for name in USER_TRUNCATED if name in value}
            elif key == "source" and not full_source:
                value = {name: item for name, item in value.items() if name not in ("client", "device")}
            return {name: walk(item, name) for name, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return walk(payload)
