#!/usr/bin/env python3
"""Real chat traffic against a running stack, for scripts/lib/live-checks.sh: two new users, a
room made over REST, both users' WebSockets, and every kind of frame docs/chat.md lists, so
that each chat metric the alerts and dashboards use has a value when /metrics is scraped.
Through the edge, it is also the edge's routing tested against the real service (REST under
/api/v1/chat/ and the WebSocket upgrade on /api/v1/chat/ws).

    chat_live.py BASE_URL      e.g. http://127.0.0.1:18080 (the edge: api and chat behind it)

Each step prints one PASS/FAIL line; exit status 1 when any failed. Standard library only
(a minimal RFC 6455 client: masked text frames out, text/ping/close in).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.parse

from live_http import Live

LIVE = Live("chat", sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080")
HOST, PORT = LIVE.host, LIVE.port
check = LIVE.check


def call(method: str, path: str, body=None, token: str | None = None):
    status, parsed, data, _ = LIVE.call(method, path, body, token)
    return status, parsed, data


class Socket:
    """One client WebSocket; frames are JSON text messages."""

    def __init__(self, path: str, protocols: list[str] | None = None):
        self.sock = socket.create_connection((HOST, PORT), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        extra = f"Sec-WebSocket-Protocol: {', '.join(protocols)}\r\n" if protocols else ""
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"{extra}\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            head += chunk
        head, _, self.buf = head.partition(b"\r\n\r\n")
        lines = head.decode(errors="replace").split("\r\n")
        self.status = int(lines[0].split(" ")[1]) if lines and len(lines[0].split(" ")) > 1 else 0
        self.headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
        self.close_code: int | None = None
        self.seen: list[dict] = []

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send(self, frame) -> None:
        self._send(0x1, (frame if isinstance(frame, str) else json.dumps({"v": 1, **frame})).encode())

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frame(self, timeout: float) -> dict | None:
        """The next JSON frame; None on timeout or close (close_code set)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                b0, b1 = self._read(2)
                n = b1 & 0x7F
                if n == 126:
                    (n,) = struct.unpack("!H", self._read(2))
                elif n == 127:
                    (n,) = struct.unpack("!Q", self._read(8))
                payload = self._read(n)
                opcode = b0 & 0x0F
                if opcode == 0x9:  # ping -> pong
                    self._send(0xA, payload)
                elif opcode == 0x8:
                    self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    return None
                elif opcode == 0x1:
                    msg = json.loads(payload)
                    self.seen.append(msg)
                    return msg
        except (socket.timeout, ConnectionError, OSError):
            return None

    def wait(self, want, timeout: float = 5.0) -> dict | None:
        """The first frame for which want(frame) is true, skipping others."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            msg = self.frame(left)
            if msg is None:
                if self.close_code is not None:
                    return None
                continue
            if want(msg):
                return msg
        return None

    def close(self) -> None:
        try:
            self._send(0x8, struct.pack("!H", 1000))
            self.sock.close()
        except OSError:
            pass


def user(tag: str) -> tuple[str, str]:
    return LIVE.user(tag, "chat live password 1")


def typed(kind: str, **fields):
    return lambda m: m.get("type") == kind and all(m.get(k) == v for k, v in fields.items())


def main() -> int:
    alice, a_token = user("a")
    bob, b_token = user("b")

    status, spec, _ = call("GET", "/api/v1/chat/openapi.json")
    check("GET /api/v1/chat/openapi.json is chat's OpenAPI document", status == 200 and bool(spec) and "paths" in spec, f"status {status}")
    status, _, _ = call("GET", "/api/v1/chat/rooms")
    check("GET /api/v1/chat/rooms without a token -> 401", status == 401, f"status {status}")

    status, room, data = call("POST", "/api/v1/chat/rooms", {"name": "live check", "members": [bob]}, a_token)
    if not check("POST /api/v1/chat/rooms -> 201 room", status == 201 and bool(room) and "id" in room, f"status {status} {data[:200]!r}"):
        return 1
    rid = room["id"]
    status, _, _ = call("POST", "/api/v1/chat/rooms", {"name": "bad", "members": ["no_such_user_" + str(os.getpid())]}, a_token)
    check("POST /api/v1/chat/rooms with an unknown member -> 422", status == 422, f"status {status}")

    denied = Socket("/api/v1/chat/ws")
    check("WebSocket without a token -> 401 before the upgrade", denied.status == 401, f"status {denied.status}")
    denied.close()

    a = Socket(f"/api/v1/chat/ws?access_token={urllib.parse.quote(a_token)}")
    check("alice's WebSocket (access_token query) -> 101", a.status == 101, f"status {a.status}")
    b = Socket("/api/v1/chat/ws", ["moji.v1", f"bearer.{b_token}"])
    check("bob's WebSocket (bearer subprotocol) -> 101, moji.v1 selected",
          b.status == 101 and b.headers.get("sec-websocket-protocol") == "moji.v1",
          f"status {b.status}, protocol {b.headers.get('sec-websocket-protocol')!r}")
    if a.status != 101 or b.status != 101:
        return 1
    ready_a, ready_b = a.wait(typed("ready")), b.wait(typed("ready"))
    check("both get `ready` with the room", bool(ready_a and ready_b) and rid in (ready_a or {}).get("rooms", {}) and rid in (ready_b or {}).get("rooms", {}),
          f"{ready_a!r} {ready_b!r}")
    # Like a real client: resume at once from ready's positions, which also starts live
    # delivery (held until the first frame or chat.resume_wait_ms).
    for s, ready in ((a, ready_a), (b, ready_b)):
        s.send({"type": "resume", "rooms": (ready or {}).get("rooms", {})})
    check("resume from ready's positions -> `resumed`", bool(a.wait(typed("resumed"))) and bool(b.wait(typed("resumed"))), "")

    a.send({"type": "send", "room_id": rid, "client_msg_id": "live-1", "text": "hello from the live check"})
    ack = a.wait(typed("ack", client_msg_id="live-1"))
    check("send -> ack with a seq", bool(ack) and isinstance(ack.get("seq"), int), repr(ack))
    seq = (ack or {}).get("seq")
    msg = b.wait(typed("message", room_id=rid, seq=seq))
    check("bob receives the message with the same seq", bool(msg) and msg.get("sender") == alice, repr(msg))

    a.send({"type": "send", "room_id": rid, "client_msg_id": "live-1", "text": "hello from the live check"})
    dup = a.wait(typed("ack", client_msg_id="live-1"))
    check("a repeated client_msg_id is acked with the original seq", bool(dup) and dup.get("seq") == seq, repr(dup))
    a.send({"type": "send", "room_id": rid, "client_msg_id": "live-2", "text": ""})
    err = a.wait(typed("error"))
    check("empty text -> error validation_failed, socket open", bool(err) and err.get("code") == "validation_failed", repr(err))

    b.send({"type": "read", "room_id": rid, "seq": seq})
    b.send({"type": "typing", "room_id": rid})
    check("alice sees bob's typing", bool(a.wait(typed("typing", room_id=rid))), "")
    b.send({"type": "ping"})
    check("ping -> pong", bool(b.wait(typed("pong"))), "")
    b.send("this is not json")
    err = b.wait(typed("error"))
    check("a bad frame -> error bad_frame, socket open", bool(err) and err.get("code") == "bad_frame", repr(err))
    b.send({"type": "resume", "rooms": {rid: 0}})
    resumed = b.wait(typed("resumed"))
    replayed = [m for m in b.seen if m.get("room_id") == rid and isinstance(m.get("seq"), int)]
    check("resume from 0 replays the room, then `resumed`",
          bool(resumed) and any(m.get("seq") == seq for m in replayed), repr(resumed))

    status, rooms, _ = call("GET", "/api/v1/chat/rooms", token=b_token)
    check("GET /api/v1/chat/rooms lists the room", status == 200 and any(r.get("id") == rid for r in (rooms or {}).get("items", [])), f"status {status}")
    status, hist, _ = call("GET", f"/api/v1/chat/rooms/{rid}/messages?after=0&size=50", token=b_token)
    check("GET .../messages?after=0 has the message", status == 200 and any(m.get("seq") == seq for m in (hist or {}).get("items", [])), f"status {status}")
    status, members, _ = call("GET", f"/api/v1/chat/rooms/{rid}/members", token=a_token)
    check("GET .../members lists both", status == 200 and {m.get("username") for m in (members or {}).get("items", [])} >= {alice, bob}, f"status {status}")

    # Logging out revokes bob's session: his socket is closed with 1008 within
    # chat.revocation_check_secs.
    status, _, _ = call("POST", "/api/v1/auth/logout", token=b_token)
    b.wait(lambda m: False, timeout=15)
    check("logout closes bob's socket with 1008", status in (200, 204) and b.close_code == 1008, f"logout {status}, close {b.close_code}")
    a.close()
    b.close()
    return LIVE.summary()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:
        print(f"FAIL chat: nothing usable answers on {HOST}:{PORT}: {e}")
        sys.exit(1)
