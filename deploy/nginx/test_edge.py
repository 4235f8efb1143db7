#!/usr/bin/env python3
"""End-to-end test of the edge config: a private nginx started by scripts/edge.sh in front of
stand-in upstreams, on free ports, in a temporary directory (a running dev edge is not touched).

What it proves, each as one PASS/FAIL line:
  - routing per ARCHITECTURE.md §3 (api, chat REST and WebSocket, recommend's five public
    paths and the api routes beside them, the api's date courses, Swagger UI, web root,
    /healthz);
  - server-sent events (face and date-course tasks) arrive one by one, not when nginx's
    buffer fills (proxy_buffering off);
  - the WebSocket upgrade reaches chat with Upgrade/Connection headers and 101 comes back;
  - upload limits: 15 MB photo accepted, 17 MB photo and a 2 MB body elsewhere get 413 with a
    problem+json body;
  - request ids pass through (the client's, or one the edge mints);
  - a service that is down gives a problem+json 503.

The stand-ins are deliberately dumb (they echo what they saw); the point is nginx's behaviour.
Standard library only, so it runs with any python3. Exit status 0 when everything passed.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EDGE_SH = REPO / "scripts" / "edge.sh"
SSE_EVENTS = 5
SSE_GAP = 0.2  # seconds between events sent by the stand-in
UUID = "01935c4e-7a1b-7c3d-9e2f-0123456789ab"  # a UUIDv7, the shape of every id in the API


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Upstream(BaseHTTPRequestHandler):
    """A stand-in HTTP service: answers with what it saw, plus an SSE stream and a sink."""

    protocol_version = "HTTP/1.1"
    service = "?"
    keepalive = True

    def log_message(self, *_args):  # keep the test output readable
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if not self.keepalive:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def _seen(self, **extra) -> dict:
        return {
            "service": self.service,
            "path": self.path,
            "request_id": self.headers.get("X-Request-Id"),
            "forwarded_for": self.headers.get("X-Forwarded-For"),
            **extra,
        }

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path.split("?")[0].endswith("/events"):
            # Small events, well under nginx's buffer size: buffered, they would all arrive
            # together at the end.
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            for i in range(SSE_EVENTS):
                self.wfile.write(f"event: progress\ndata: {i}\n\n".encode())
                self.wfile.flush()
                time.sleep(SSE_GAP)
            self.close_connection = True
            return
        self._json(200, self._seen())

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        received = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                received += len(self.rfile.read(size))
                self.rfile.readline()
        else:
            while received < length:
                chunk = self.rfile.read(min(1 << 20, length - received))
                if not chunk:
                    break
                received += len(chunk)
        self._json(202, self._seen(received=received))

    do_PUT = do_POST  # noqa: N815 (uploads through signed file URLs)


def http_service(name: str, port: int, keepalive: bool = True) -> ThreadingHTTPServer:
    handler = type(f"{name}Handler", (Upstream,), {"service": name, "keepalive": keepalive})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class ChatHandler(socketserver.StreamRequestHandler):
    """The chat stand-in. A WebSocket handshake (RFC 6455) on /api/v1/chat/ws gets 101 and one
    text frame with what it saw; any other request is chat's REST API and gets a JSON echo like
    the HTTP stand-ins' (plus the Connection and Upgrade headers it saw), one request per
    connection. A plain request to the socket path gets 426, as a real server would answer."""

    def handle(self):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        method, path = lines[0].split(" ")[:2]
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        if path.split("?")[0] != "/api/v1/chat/ws":
            self.rest(method, path, headers, rest)
            return
        if headers.get("upgrade", "").lower() != "websocket":
            self.request.sendall(b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n")
            return
        accept = base64.b64encode(
            hashlib.sha1(
                (headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()
            ).digest()
        ).decode()
        self.request.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        payload = json.dumps(
            {"service": "chat", "upgrade": headers.get("upgrade"), "connection": headers.get("connection")}
        ).encode()
        assert len(payload) < 126
        self.request.sendall(bytes([0x81, len(payload)]) + payload)  # FIN + text frame
        time.sleep(0.2)

    def rest(self, method: str, path: str, headers: dict, rest: bytes) -> None:
        length = int(headers.get("content-length") or 0)
        while len(rest) < length:
            chunk = self.request.recv(min(1 << 16, length - len(rest)))
            if not chunk:
                break
            rest += chunk
        body = json.dumps({
            "service": "chat",
            "method": method,
            "path": path,
            "request_id": headers.get("x-request-id"),
            "connection": headers.get("connection", ""),
            "upgrade": headers.get("upgrade", ""),
            "received": len(rest),
        }).encode()
        self.request.sendall(
            (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            + body
        )


def chat_service(port: int) -> socketserver.ThreadingTCPServer:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", port), ChatHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Results:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        if ok:
            self.passed += 1
            print(f"PASS edge: {name}")
        else:
            self.failed += 1
            print(f"FAIL edge: {name}{': ' + detail if detail else ''}")


def request(port: int, method: str, path: str, body: bytes | None = None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        data = res.read()
        return res.status, dict((k.lower(), v) for k, v in res.getheaders()), data
    finally:
        conn.close()


def seen(data: bytes) -> dict:
    try:
        return json.loads(data)
    except ValueError:
        return {}


def test_routing(r: Results, edge: int) -> None:
    status, _, data = request(edge, "GET", "/healthz")
    r.check("/healthz answered by the edge itself", status == 200 and seen(data) == {"status": "ok"})
    table = [
        ("/api/v1/users/me", "api"),
        ("/api/v1/faces/tasks/0190/result", "api"),
        ("/docs/", "api"),
        ("/api-docs/openapi.json", "api"),
        ("/api/v1/chat/rooms", "chat"),
        ("/api/v1/chat/rooms/0190/messages?after=41&size=50", "chat"),
        ("/api/v1/chat/openapi.json", "chat"),
        ("/api/v1/chatter", "api"),  # the chat prefix ends with a slash
        # recommend (docs/recommend.md): its prefix, search, popular products and the two
        # `similar` paths; the api keeps everything beside them.
        ("/api/v1/recommend/posts?size=5", "recommend"),
        ("/api/v1/recommend/products", "recommend"),
        ("/api/v1/recommend/openapi.json", "recommend"),
        ("/api/v1/search?q=cat&type=post&method=hybrid", "recommend"),
        ("/api/v1/search", "recommend"),
        ("/api/v1/searches", "api"),  # /search is exact, not a prefix
        ("/api/v1/products/recommend?size=10", "recommend"),
        ("/api/v1/products/recommendations", "api"),  # exact
        (f"/api/v1/products/{UUID}/similar?size=5", "recommend"),
        (f"/api/v1/posts/{UUID}/similar", "recommend"),
        (f"/api/v1/posts/{UUID.upper()}/similar", "recommend"),
        (f"/api/v1/products/{UUID}", "api"),
        ("/api/v1/products?q=mug", "api"),
        (f"/api/v1/posts/{UUID}", "api"),
        (f"/api/v1/posts/{UUID}/comments", "api"),
        (f"/api/v1/posts/{UUID}/like", "api"),
        (f"/api/v1/posts/{UUID}/likes", "api"),
        (f"/api/v1/posts/{UUID}/similar/more", "api"),  # anchored at the end
        (f"/api/v1/posts/{UUID}/similarity", "api"),
        (f"/api/v1/emojis/{UUID}/similar", "api"),  # only posts and products
        ("/api/v1/posts/latest/similar", "api"),  # the api's latest posts of the person `similar`
        ("/api/v1/products/latest/similar", "api"),  # likewise for products
        ("/api/v1/posts/0190/similar", "api"),  # not a UUID: the api's 404
        # Date courses (docs/date-courses.md): every route is the api's; recommend only
        # consumes their tasks from RabbitMQ.
        ("/api/v1/date-courses", "api"),
        ("/api/v1/date-courses?cursor=abc&size=20", "api"),
        ("/api/v1/date-courses/quota", "api"),
        (f"/api/v1/date-courses/{UUID}", "api"),
        (f"/api/v1/date-courses/tasks/{UUID}", "api"),
    ]
    for path, want in table:
        status, _, data = request(edge, "GET", path)
        got = seen(data)
        r.check(
            f"GET {path} -> {want}",
            status == 200 and got.get("service") == want and got.get("path") == path,
            f"status {status}, body {data[:200]!r}",
        )
    body = json.dumps({"name": "lunch", "members": ["bob"]}).encode()
    status, _, data = request(edge, "POST", "/api/v1/chat/rooms", body, {"Content-Type": "application/json"})
    got = seen(data)
    r.check(
        "POST /api/v1/chat/rooms reaches chat with its body",
        status == 200 and got.get("service") == "chat" and got.get("received") == len(body),
        f"status {status}, body {data[:200]!r}",
    )
    r.check(
        "chat REST requests are plain keep-alive requests (no Upgrade, no Connection: upgrade)",
        got.get("upgrade") == "" and "upgrade" not in got.get("connection", "").lower(),
        repr(got),
    )
    status, _, data = request(edge, "GET", "/api/v1/chat/ws")
    r.check("GET /api/v1/chat/ws without Upgrade reaches chat (its 426)", status == 426, f"status {status}")
    # nginx's own answer for a prefix location ending in `/` that proxies: the bare path is
    # redirected to it (so the api never sees /api/v1/recommend either).
    status, headers, _ = request(edge, "GET", "/api/v1/recommend")
    r.check(
        "GET /api/v1/recommend -> 301 to /api/v1/recommend/",
        status == 301 and headers.get("location", "").endswith("/api/v1/recommend/"),
        f"status {status}, location {headers.get('location')!r}",
    )
    body = json.dumps({"item": UUID, "dwell_ms": 4200}).encode()
    status, _, data = request(edge, "POST", "/api/v1/recommend/events/views", body, {"Content-Type": "application/json"})
    got = seen(data)
    r.check(
        "POST /api/v1/recommend/events/views reaches recommend with its body",
        status == 202 and got.get("service") == "recommend" and got.get("received") == len(body),
        f"status {status}, body {data[:200]!r}",
    )
    body = json.dumps({"region": "seoul", "season": "spring", "time_of_day": "afternoon", "transport": "walk"}).encode()
    status, _, data = request(edge, "POST", "/api/v1/date-courses", body, {"Content-Type": "application/json"})
    got = seen(data)
    r.check(
        "POST /api/v1/date-courses reaches the api with its body",
        status == 202 and got.get("service") == "api" and got.get("received") == len(body),
        f"status {status}, body {data[:200]!r}",
    )
    status, headers, data = request(edge, "GET", "/docs")
    r.check("/docs redirects to /docs/", status == 301 and headers.get("location", "").endswith("/docs/"))
    status, headers, data = request(edge, "GET", "/some/client/route")
    r.check(
        "unknown paths fall back to the web client's index.html",
        status == 200 and b"<title>Moji</title>" in data,
        f"status {status}",
    )


def test_request_id(r: Results, edge: int) -> None:
    _, _, data = request(edge, "GET", "/api/v1/ping", headers={"X-Request-Id": "client-id-1"})
    r.check("client's X-Request-Id reaches the service", seen(data).get("request_id") == "client-id-1")
    _, _, data = request(edge, "GET", "/api/v1/ping")
    rid = seen(data).get("request_id") or ""
    r.check("edge mints an X-Request-Id when the client sent none", len(rid) == 32, repr(rid))
    r.check("X-Forwarded-For is set", seen(data).get("forwarded_for") == "127.0.0.1")


def test_sse(r: Results, edge: int, path: str) -> None:
    sock = socket.create_connection(("127.0.0.1", edge), timeout=10)
    started = time.monotonic()
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: moji\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    arrivals: list[float] = []
    buf = b""
    while len(arrivals) < SSE_EVENTS:
        chunk = sock.recv(4096)
        if not chunk:
            break
        buf += chunk
        now = time.monotonic() - started
        arrivals += [now] * (buf.count(b"data:") - len(arrivals))
    sock.close()
    spread = arrivals[-1] - arrivals[0] if len(arrivals) == SSE_EVENTS else 0.0
    # Unbuffered, event i arrives about i * 200 ms after the first; buffered, all arrive at
    # the end within a few ms of each other.
    r.check(
        f"SSE events of {path} arrive one by one ({SSE_EVENTS} events over {spread:.2f} s)",
        len(arrivals) == SSE_EVENTS and spread >= (SSE_EVENTS - 1) * SSE_GAP * 0.7,
        f"arrivals {[round(a, 3) for a in arrivals]}",
    )


def test_websocket(r: Results, edge: int) -> None:
    key = base64.b64encode(os.urandom(16)).decode()
    sock = socket.create_connection(("127.0.0.1", edge), timeout=10)
    sock.sendall(
        (
            "GET /api/v1/chat/ws HTTP/1.1\r\nHost: moji\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    data = b""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
        if b"\r\n\r\n" in data and len(data.split(b"\r\n\r\n", 1)[1]) >= 2:
            head, rest = data.split(b"\r\n\r\n", 1)
            if len(rest) >= 2 + rest[1]:
                break
    sock.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    status_ok = head.startswith(b"HTTP/1.1 101")
    expected_accept = base64.b64encode(
        hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    )
    r.check("WebSocket handshake through the edge returns 101", status_ok, head[:80].decode(errors="replace"))
    r.check("Sec-WebSocket-Accept passes through", expected_accept in head)
    frame = seen(rest[2 : 2 + rest[1]]) if len(rest) >= 2 else {}
    r.check(
        "chat saw Upgrade: websocket and Connection: upgrade",
        frame.get("service") == "chat"
        and frame.get("upgrade", "").lower() == "websocket"
        and "upgrade" in frame.get("connection", "").lower(),
        repr(frame),
    )


def test_body_limits(r: Results, edge: int) -> None:
    mb = 1024 * 1024
    photo = os.urandom(15 * mb)
    status, _, data = request(
        edge, "POST", "/api/v1/faces/tasks", photo, {"Content-Type": "application/octet-stream"}
    )
    r.check(
        "15 MB photo upload reaches the api",
        status == 202 and seen(data).get("received") == len(photo),
        f"status {status}",
    )
    status, _, data = request(
        edge, "POST", "/api/v1/datasets", photo, {"Content-Type": "application/octet-stream"}
    )
    r.check(
        "15 MB dataset source image reaches the api",
        status == 202 and seen(data).get("received") == len(photo),
        f"status {status}",
    )
    for path, size in (
        ("/api/v1/faces/tasks", 17 * mb),
        ("/api/v1/datasets", 17 * mb),
        ("/api/v1/users/me", 2 * mb),
    ):
        status, headers, data = request(
            edge, "POST", path, os.urandom(size), {"Content-Type": "application/octet-stream"}
        )
        body = seen(data)
        r.check(
            f"{size // mb} MB to {path} -> 413 problem+json",
            status == 413
            and headers.get("content-type") == "application/problem+json"
            and body.get("code") == "payload_too_large",
            f"status {status}, body {data[:120]!r}",
        )
    status, _, data = request(edge, "POST", "/api/v1/users/me", b"x" * 512 * 1024)
    r.check("512 KiB elsewhere passes the edge (the api enforces its own JSON cap)", status == 202)
    image = os.urandom(10 * mb)
    status, _, data = request(
        edge, "PUT", "/api/v1/files/uploads/u/x.jpg?sig=s", image, {"Content-Type": "image/jpeg"}
    )
    r.check(
        "a 10 MiB image PUT to a signed upload URL reaches the api",
        status == 202 and seen(data).get("received") == len(image),
        f"status {status}",
    )
    status, _, _ = request(edge, "PUT", "/api/v1/files/uploads/u/x.jpg", os.urandom(12 * mb))
    r.check("a 12 MiB upload PUT -> 413", status == 413, f"status {status}")


def test_down(r: Results, edge: int, recommend: ThreadingHTTPServer) -> None:
    recommend.shutdown()
    recommend.server_close()
    status, headers, data = request(edge, "GET", "/api/v1/recommend/for-you")
    r.check(
        "a service that is down -> 503 problem+json",
        status == 503 and seen(data).get("code") == "service_unavailable",
        f"status {status}, body {data[:120]!r}",
    )


def main() -> int:
    ports = {name: free_port() for name in ("edge", "api", "chat", "recommend")}
    servers = [http_service("api", ports["api"])]
    # No keep-alive, so that once it is shut down nginx has no open connection to reuse.
    recommend = http_service("recommend", ports["recommend"], keepalive=False)
    chat = chat_service(ports["chat"])
    r = Results()
    with tempfile.TemporaryDirectory(prefix="moji-edge-test-") as tmp:
        web = Path(tmp) / "web"
        web.mkdir()
        (web / "index.html").write_text("<!doctype html><title>Moji</title>")
        env = {
            **os.environ,
            "MOJI_EDGE_DIR": str(Path(tmp) / "nginx"),
            "MOJI_WEB_ROOT": str(web),
            "MOJI_HTTP__EDGE_PORT": str(ports["edge"]),
            "MOJI_HTTP__API_PORT": str(ports["api"]),
            "MOJI_HTTP__CHAT_PORT": str(ports["chat"]),
            "MOJI_HTTP__RECOMMEND_PORT": str(ports["recommend"]),
        }
        # tmp is mode 0700: as root, the workers (nobody) cannot enter it, and edge.sh must
        # serve the web root and spool bodies from a place they can (test_edge_private.py).
        started = subprocess.run([str(EDGE_SH), "start"], env=env, capture_output=True, text=True)
        r.check("edge.sh start (nginx -t, start, /healthz)", started.returncode == 0, started.stderr.strip())
        try:
            if started.returncode == 0:
                again = subprocess.run([str(EDGE_SH), "start"], env=env, capture_output=True, text=True)
                r.check("edge.sh start is idempotent (reloads)", again.returncode == 0, again.stderr.strip())
                test_routing(r, ports["edge"])
                test_request_id(r, ports["edge"])
                test_sse(r, ports["edge"], "/api/v1/faces/tasks/0190/events")
                test_sse(r, ports["edge"], f"/api/v1/date-courses/tasks/{UUID}/events?access_token=t")
                test_websocket(r, ports["edge"])
                test_body_limits(r, ports["edge"])
                test_down(r, ports["edge"], recommend)
        finally:
            stopped = subprocess.run([str(EDGE_SH), "stop"], env=env, capture_output=True, text=True)
            r.check("edge.sh stop", stopped.returncode == 0, stopped.stderr.strip())
            for s in servers:
                s.shutdown()
            chat.shutdown()
    print(f"edge: {r.passed} passed, {r.failed} failed")
    return 0 if r.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
