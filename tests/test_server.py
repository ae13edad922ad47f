"""The one server (mocksmooch.server) that `mocksmooch serve`, the container and the pytest
plugin run: HTTP/1.1 keep-alive, websockets on the API's port, clients that wait or dawdle
without holding anyone up, its own socket, and a stop that lets requests finish."""
from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from mocksmooch import fixtures
from mocksmooch.app import create_app
from mocksmooch.gateway import websocket_route
from mocksmooch.server import Server
from test_cli import Served, free_port

SEED = fixtures.load()
SUPPORT = SEED["accounts"][0]["apps"][0]
KEY = SUPPORT["keys"][0]
ALICE = f"/v2/apps/{SUPPORT['id']}/users/alice"
BASIC = {"Authorization": "Basic " + base64.b64encode(f"{KEY['id']}:{KEY['secret']}".encode()).decode()}
FAULTS = "/_mocksmooch/faults"


@pytest.fixture
def echo_server():
    """The mock's server with one websocket route, `/_test/echo`, registered for the test."""
    app = create_app({})

    @websocket_route(app, "/_test/echo")
    async def echo(ws):
        await ws.accept()
        await ws.send("hello " + ws.query_string)
        while (message := await ws.receive()) is not None:
            await ws.send(message)

    server = Server(app, "127.0.0.1", 0).start()
    yield server
    server.stop()


def raw_request(port: int, request: bytes, timeout: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


# --- websockets on the API's port ---------------------------------------------------------------

def test_a_websocket_handshake_completes_on_the_api_port(echo_server):
    key = base64.b64encode(b"mocksmooch-test!").decode()
    answer = raw_request(echo_server.port, (
        "GET /_test/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    status, *lines = answer.split(b"\r\n\r\n")[0].decode().split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in lines)}
    assert status == "HTTP/1.1 101 Switching Protocols"
    assert headers["upgrade"].lower() == "websocket" and headers["connection"].lower() == "upgrade"
    accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    assert headers["sec-websocket-accept"] == accept.decode()  # RFC 6455 4.2.2

    with connect(f"ws://127.0.0.1:{echo_server.port}/_test/echo?x=1") as ws:  # a real client
        assert ws.recv(timeout=5) == "hello x=1"
        ws.send("ping")
        assert ws.recv(timeout=5) == "ping"
        ws.send(b"\x00\x01")
        assert ws.recv(timeout=5) == b"\x00\x01"
        # the same port answers the API meanwhile
        assert requests.get(echo_server.url + ALICE, headers=BASIC, timeout=5).json()["user"]["externalId"] == "alice"


def test_an_upgrade_on_any_other_path_is_refused(echo_server):
    for path in ("/faye", ALICE, "/_test/echo/more"):
        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://127.0.0.1:{echo_server.port}{path}", open_timeout=5)
        assert refused.value.response.status_code == 403, path


def test_stopping_the_server_closes_its_websockets(echo_server):
    with connect(f"ws://127.0.0.1:{echo_server.port}/_test/echo") as ws:
        assert ws.recv(timeout=5) == "hello "
        started = time.monotonic()
        echo_server.stop()
        with pytest.raises(Exception):
            ws.recv(timeout=5)
        assert ws.close_code == 1001 and time.monotonic() - started < 3  # going away, at once


# --- HTTP/1.1 keep-alive --------------------------------------------------------------------------

def test_requests_share_one_kept_alive_connection(mocksmooch):
    import http.client

    host, port = mocksmooch.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", ALICE, headers=BASIC)
        first = connection.getresponse()
        assert first.status == 200 and first.getheader("Connection") != "close" and not first.will_close
        first.read()
        local = connection.sock.getsockname()
        for _ in range(3):
            connection.request("POST", FAULTS, body=b"{}", headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            assert response.status == 400 and json.loads(response.read())["error"]["code"] == "bad_request"
            assert connection.sock.getsockname() == local  # the same TCP connection
    finally:
        connection.close()


def test_a_chunked_body_is_read_whole(mocksmooch):
    account = mocksmooch.keys["Acme"]

    def chunks():
        yield b'{"displayName":'
        yield b' "Chunky"}'

    created = requests.post(mocksmooch.url + "/v2/apps", data=chunks(), auth=(account["id"], account["secret"]),
                            headers={"Content-Type": "application/json"}, timeout=5)
    assert created.status_code == 201 and created.json()["app"]["displayName"] == "Chunky"


def test_a_body_over_64_mib_is_refused_unread(mocksmooch):
    port = int(mocksmooch.url.rpartition(":")[2])
    account = mocksmooch.keys["Acme"]
    credentials = base64.b64encode(f"{account['id']}:{account['secret']}".encode())
    started = time.monotonic()
    answer = raw_request(port, b"POST /v2/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               b"Authorization: Basic " + credentials + b"\r\nContent-Length: 70000000\r\n\r\n{")
    assert answer.startswith(b"HTTP/1.1 413 Payload Too Large\r\n"), answer[:200]
    assert time.monotonic() - started < 2  # the 70 MB were never waited for


# --- clients that wait or dawdle hold up no one else -------------------------------------------------

def test_a_thousand_idle_or_slow_connections_lock_no_one_out(mocksmooch):
    host, port = mocksmooch.url.removeprefix("http://").split(":")
    held = []
    try:
        for i in range(1000):
            sock = socket.create_connection((host, int(port)), timeout=5)
            if i % 3 == 1:  # slow: half a request head
                sock.sendall(f"GET {ALICE} HTTP/1.1\r\nHost: x\r\n".encode())
            elif i % 3 == 2:  # slow: a head, and 10 of the 1,000 bytes of body it announces
                sock.sendall(b"POST /v2/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 1000\r\n\r\n{\"displayNa")
            held.append(sock)  # else idle: connected, nothing sent
        started = time.monotonic()
        answer = requests.get(mocksmooch.url + ALICE, headers=BASIC, timeout=5)
        assert answer.status_code == 200 and time.monotonic() - started < 1
        with requests.Session() as session:  # and keeps answering
            for _ in range(20):
                assert session.get(mocksmooch.url + ALICE, headers=BASIC, timeout=5).status_code == 200
    finally:
        for sock in held:
            sock.close()


def test_delayed_requests_hold_up_only_themselves(mocksmooch):
    mocksmooch.faults.add(method="GET", path="/v2/apps", delay=2)
    answers = []

    def delayed():
        answers.append(requests.get(mocksmooch.url + "/v2/apps", timeout=10).status_code)

    waiting = [threading.Thread(target=delayed) for _ in range(50)]
    for thread in waiting:
        thread.start()
    time.sleep(0.3)  # all 50 are being delayed now
    started = time.monotonic()
    for _ in range(10):
        assert requests.get(mocksmooch.url + ALICE, headers=BASIC, timeout=5).status_code == 200
    assert time.monotonic() - started < 1
    for thread in waiting:
        thread.join()
    assert answers == [401] * 50  # then each is answered as usual (no credential)


# --- the socket is the mock's own ----------------------------------------------------------------------

def test_a_second_server_on_a_busy_port_fails_instead_of_sharing_it():
    """granian's own binding sets SO_REUSEPORT, with which two mocks would split one port's
    requests between two states; mocksmooch binds the socket itself."""
    first = Server(create_app({}), "127.0.0.1", 0).start()
    try:
        with pytest.raises(OSError):
            Server(create_app({}), "127.0.0.1", first.port)
    finally:
        first.stop()


def test_serve_on_a_busy_port_says_so_and_exits_2():
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "mocksmooch", "serve", "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "Traceback" not in result.stderr


# --- stopping ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_signal_lets_requests_in_flight_finish_then_exits_0(signal_name):
    import signal

    server = Served({})
    server.wait_healthy()
    assert requests.post(server.url + FAULTS, json={"path": "/v2/apps", "delay": 1}, timeout=5).status_code == 201
    answers = []
    in_flight = threading.Thread(target=lambda: answers.append(requests.get(server.url + "/v2/apps", timeout=10)))
    in_flight.start()
    time.sleep(0.3)
    server.process.send_signal(getattr(signal, signal_name))
    in_flight.join()
    server.process.wait(timeout=10)
    server._reader.join(5)
    assert answers[0].status_code == 401  # answered, not cut off
    assert server.process.returncode == 0, server.output
    assert f"{signal_name} received, stopped" in server.output.splitlines()[-1]
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/_mocksmooch/health", timeout=2)


def test_the_old_threads_option_is_accepted_with_a_warning():
    server = Served({"MOCKSMOOCH_THREADS": "8"}, "--io-threads", "2")
    try:
        server.wait_healthy()
        assert requests.get(server.url + ALICE, headers=BASIC, timeout=5).status_code == 200
    finally:
        output = server.stop()
    assert "--threads / MOCKSMOOCH_THREADS no longer apply" in output


def test_the_server_listens_on_loopback_unless_told_otherwise():
    server = Served({})
    try:
        server.wait_healthy()
        assert f"on http://127.0.0.1:{server.port} " in server.output.splitlines()[0]
        with socket.socket() as probe:  # nothing on the other interfaces' addresses
            probe.settimeout(1)
            others = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
            for address in others - {"127.0.0.1"}:
                assert probe.connect_ex((address, server.port)) != 0
    finally:
        server.stop()
