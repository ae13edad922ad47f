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
one webhook go in the order of the events; different webhooks are served in parallel.  One
attempt each, 5 s timeout, no retries, no redirects, no proxy.

Deliveries are coroutines on the server's event loop, the one the request that caused them
runs on (mocksmooch.server tells `deliver_on`): no thread of their own to hand the
interpreter to and back, which cost a message post more than the rest of its work did
(BENCHMARKS.md).  Without a server (a script, a unit test) they run on a loop in a daemon
thread.
"""
from __future__ import annotations

import asyncio
import copy
import json
import logging
import secrets
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit


from .clock import rfc3339

log = logging.getLogger("mocksmooch.webhooks")

TIMEOUT_SECONDS = 5.0
DELIVERIES_KEPT = 1000
USER_TRUNCATED = ("id", "externalId", "zendeskId", "brandId", "authenticated")
RESPONSE_BYTES_READ = 64 * 1024
USER_AGENT = "mocksmooch-webhooks"


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
                 timeout: float = TIMEOUT_SECONDS):
        self.store = store
        self.clock = clock
        self.timeout = timeout
        self._lock = threading.Lock()  # emits may come from several threads outside the server
        self._generation = 0           # bumped by clear(): older jobs are neither sent nor logged
        self._deliveries: deque[dict] = deque(maxlen=deliveries_kept)
        self._next_id = 1
        self._lanes: dict[str, deque[_Job]] = {}   # per webhook, in event order; each drained by one task
        self._tasks: set[asyncio.Task] = set()      # the lanes' tasks on the server's loop (kept referenced)
        self._server_loop: asyncio.AbstractEventLoop | None = None
        self._server_thread: int | None = None
        self._background: _BackgroundLoop | None = None

    def deliver_on(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Run deliveries on the server's loop from now on (called from that loop's thread as
        the server starts), or, with None as it stops, on the background loop again."""
        self._server_loop, self._server_thread = loop, threading.get_ident() if loop else None

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

    # --- delivering ------------------------------------------------------------------------------

    def _enqueue(self, job: _Job) -> None:
        with self._lock:
            if job.generation != self._generation:
                return
            lane = self._lanes.setdefault(job.webhook_id, deque())
            lane.append(job)
            idle = len(lane) == 1  # else the lane's task is on it already
        if idle:
            self._run(self._drain(job.webhook_id))

    def _run(self, coroutine) -> None:
        """On the server's loop: as a task when called on it (the request that caused it runs
        there), else handed to it; without a server, on the background loop.  (The server's
        loop is named, not found with get_running_loop(): another library's loop may be
        "running" in a thread that is not serving, as Playwright's sync API leaves one.)"""
        loop = self._server_loop
        if loop is None or loop.is_closed():
            if self._background is None:
                self._background = _BackgroundLoop()
            self._background.submit(coroutine)
        elif threading.get_ident() == self._server_thread:
            task = loop.create_task(coroutine)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            asyncio.run_coroutine_threadsafe(coroutine, loop)

    async def _drain(self, webhook_id: str) -> None:
        """Deliver the lane's events one after the other, until it is empty."""
        while True:
            with self._lock:
                lane = self._lanes[webhook_id]
                job = lane[0]
                current = job.generation == self._generation
            record = await self._deliver(job) if current else None
            with self._lock:
                if record is not None and job.generation == self._generation:
                    self._deliveries.append({"id": self._next_id, **record})
                    self._next_id += 1
                lane.popleft()
                if not lane:
                    del self._lanes[webhook_id]
                    return

    async def _deliver(self, job: _Job) -> dict:
        """One POST; the log entry saying how it went."""
        started_at, started = rfc3339(self.clock.now()), time.monotonic()
        status, error = None, None
        try:
            status = await asyncio.wait_for(_post(job.target, json.dumps(job.body).encode(), [
                ("Content-Type", "application/json"), ("X-API-Key", job.secret), ("User-Agent", USER_AGENT)]),
                self.timeout)
        except asyncio.TimeoutError:
            error = f"TimeoutError: timed out after {self.timeout:g} s"
        except Exception as failure:  # refused, unreachable, bad URL, not HTTP...
            error = f"{type(failure).__name__}: {failure}"
        return {"time": started_at, "appId": job.app_id, "webhookId": job.webhook_id,
                "integrationId": job.integration_id, "target": job.target, "trigger": job.trigger,
                "eventId": job.event_id, "sourceIntegrationId": job.source_integration_id,
                "status": status, "error": error,
                "durationMs": round((time.monotonic() - started) * 1000), "body": job.body}


class _BackgroundLoop:
    """An event loop in a daemon thread, for deliveries emitted outside a running loop; a
    daemon, so an unreachable target never holds up the process's exit."""

    def __init__(self):
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="mocksmooch-webhooks", daemon=True).start()

    def submit(self, coroutine) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop)


async def _post(target: str, data: bytes, headers: list[tuple[str, str]]) -> int:
    """POST `data` to `target` (HTTP/1.1 by h11, header names as written, no redirect followed,
    no proxy); the answer's status, whatever it is, once its head (and up to 64 kB of its body)
    is read."""
    import h11  # here, not at the top: 6 ms of every start-up for a server that may deliver nothing

    url = urlsplit(target)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"not an http(s) URL: {target!r}")
    secure = url.scheme == "https"
    reader, writer = await asyncio.open_connection(
        url.hostname, url.port or (443 if secure else 80), ssl=ssl.create_default_context() if secure else None)
    try:
        connection = h11.Connection(h11.CLIENT)
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        request = h11.Request(method="POST", target=path, headers=[
            ("Host", url.netloc.rpartition("@")[2]), ("Content-Length", str(len(data))), *headers])
        writer.write(connection.send(request) + connection.send(h11.Data(data=data))
                     + connection.send(h11.EndOfMessage()))
        await writer.drain()
        status, read = None, 0
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                chunk = await reader.read(65536)
                connection.receive_data(chunk)
                if not chunk and status is not None:  # the body ends with the connection
                    return status
                continue
            if isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                read += len(event.data)
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                if status is None:
                    raise ConnectionError("the target closed the connection without an answer")
                return status
            if status is not None and read >= RESPONSE_BYTES_READ:
                return status
    finally:
        writer.close()


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
