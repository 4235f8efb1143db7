"""What the live checks share (chat_live.py, recommend_live.py, courses_live.py): PASS/FAIL
lines with a count, JSON calls through the edge, and new accounts. Standard library only."""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.parse


class Live:
    """One live check's target (the edge at `base_url`) and its PASS/FAIL tally under `label`."""

    def __init__(self, label: str, base_url: str):
        base = urllib.parse.urlsplit(base_url)
        self.label = label
        self.host, self.port = base.hostname or "127.0.0.1", base.port or 80
        self.failed = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        """Prints one PASS or FAIL line; counts the failures."""
        if ok:
            print(f"PASS {self.label}: {name}")
        else:
            self.failed += 1
            print(f"FAIL {self.label}: {name}{': ' + detail if detail else ''}")
        return ok

    def call(self, method: str, path: str, body=None, token: str | None = None):
        """(status, parsed JSON or None, raw bytes, content type); a refused connection is status 0."""
        status, parsed, data, ctype, _ = self.exchange(method, path, body, token)
        return status, parsed, data, ctype

    def exchange(self, method: str, path: str, body=None, token: str | None = None, headers=None):
        """call() plus the response headers (names in lower case); `headers` are sent too."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=15)
        sent = {"content-type": "application/json"} if body is not None else {}
        if token:
            sent["authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=sent)
            res = conn.getresponse()
            data = res.read()
            status, ctype = res.status, res.getheader("content-type") or ""
            got = {k.lower(): v for k, v in res.getheaders()}
        except OSError as e:
            return 0, None, str(e).encode(), "", {}
        finally:
            conn.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return status, parsed, data, ctype, got

    def user(self, tag: str, password: str) -> tuple[str, str]:
        """Signs a new person up and logs them in: (username, access token); exits on failure."""
        name = f"{self.label[:9]}{tag}_{int(time.time())}_{os.getpid()}"[:30]
        status, _, data, _ = self.call(
            "POST", "/api/v1/users", {"username": name, "email": f"{name}@example.com", "password": password}
        )
        if status not in (200, 201):
            raise SystemExit(f"FAIL {self.label}: sign up {name}: {status} {data[:200]!r}")
        status, body, data, _ = self.call("POST", "/api/v1/auth/login", {"login": name, "password": password})
        if status != 200 or not body:
            raise SystemExit(f"FAIL {self.label}: log in {name}: {status} {data[:200]!r}")
        return name, body["access_token"]

    def summary(self) -> int:
        """Prints the tally; the exit status (1 when any check failed)."""
        print(f"{self.label}: {'all passed' if not self.failed else f'{self.failed} failed'}")
        return 1 if self.failed else 0
