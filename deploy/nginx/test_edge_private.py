#!/usr/bin/env python3
"""The edge in a private checkout: scripts/edge.sh run as root from a copy of the repository
inside a directory only root can enter (mode 0700, like root's home), with no MOJI_EDGE_DIR or
MOJI_WEB_ROOT, so everything is at its default place inside that checkout.

As root, nginx's workers run as nobody, who cannot enter such a directory. What it proves,
each as one PASS/FAIL line:
  - edge.sh start works, and the workers are not root;
  - GET / is the web client's index.html (200), and every file of services/web/dist is served
    byte for byte (a static asset is 200 with its content);
  - bodies nginx spools to disk work: a 900 KiB POST to /api/v1/... (over the in-memory
    client body buffer: a client_body_temp file), a 6 MiB photo upload to /api/v1/faces/tasks
    (streamed), and a 4 MiB upstream response (over the proxy buffers: a proxy_temp file);
  - edge.sh start again picks up a changed web file; status and stop work.

Only as root (exit 77, a SKIP in scripts/check-deploy.sh, otherwise: the workers then run as
the calling user, who can read the checkout). Free ports, a copy of only deploy/, scripts/ and
services/web/dist, everything removed afterwards; a few seconds. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_edge import Results, Upstream, free_port, request, seen  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BLOB = 4 * 1024 * 1024


class Api(Upstream):
    """The api stand-in, plus GET /api/v1/blob: a response larger than nginx's proxy buffers."""

    service = "api"

    def handle(self):
        try:
            super().handle()
        except ConnectionError:  # nginx dropped the connection (a failed check says why)
            pass

    def do_GET(self):  # noqa: N802
        if self.path == "/api/v1/blob":
            data = blob()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except ConnectionError:  # nginx gave up on the response: the check reports it
                self.close_connection = True
            return
        super().do_GET()


def blob() -> bytes:
    return hashlib.sha256(b"moji").digest() * (BLOB // 32)


def edge_sh(checkout: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(checkout / "scripts" / "edge.sh"), *args],
        env=env, capture_output=True, text=True, timeout=120,
    )


def slow_get(port: int, path: str) -> tuple[int, bytes]:
    """GET with a small receive buffer, read only after a pause: nginx cannot pass the
    response on as fast as the api sends it, so it spools it to proxy_temp_path."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(20)
    try:
        sock.connect(("127.0.0.1", port))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: moji\r\nConnection: close\r\n\r\n".encode())
        time.sleep(1)
        raw = b""
        while chunk := sock.recv(1 << 16):
            raw += chunk
    except OSError:
        pass
    finally:
        sock.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        status = 0
    return status, body


def worker_users(checkout: Path) -> list[str]:
    pidfile = checkout / ".cache" / "nginx" / "nginx.pid"
    try:
        master = pidfile.read_text().strip()
    except OSError:
        return []
    out = subprocess.run(["ps", "-o", "user=", "--ppid", master], capture_output=True, text=True)
    return out.stdout.split()


def main() -> int:
    if os.geteuid() != 0:
        print("not root: the edge's workers run as the calling user, who can read the checkout")
        return 77
    dist = REPO / "services" / "web" / "dist"
    if not (dist / "index.html").is_file():
        print(f"no {dist}/index.html to serve")
        return 1
    r = Results()
    ports = {name: free_port() for name in ("edge", "api", "chat", "recommend")}
    api = ThreadingHTTPServer(("127.0.0.1", ports["api"]), Api)
    api.daemon_threads = True
    threading.Thread(target=api.serve_forever, daemon=True).start()
    tmp = Path(tempfile.mkdtemp(prefix="moji-private-"))  # 0700, like /root
    checkout = tmp / "moji"
    try:
        checkout.mkdir(mode=0o700)
        for part in ("deploy", "scripts", "services/web/dist"):
            shutil.copytree(REPO / part, checkout / part, symlinks=True)
        os.chmod(tmp, 0o700)
        # Nothing may point outside the copy: edge.sh must find its defaults in the checkout.
        env = {k: v for k, v in os.environ.items()
               if k not in ("MOJI_CACHE_DIR", "MOJI_EDGE_DIR", "MOJI_WEB_ROOT", "MOJI_EDGE_HOST",
                            "MOJI_UPSTREAM_HOST")}
        env.update({
            "MOJI_HTTP__EDGE_PORT": str(ports["edge"]),
            "MOJI_HTTP__API_PORT": str(ports["api"]),
            "MOJI_HTTP__CHAT_PORT": str(ports["chat"]),
            "MOJI_HTTP__RECOMMEND_PORT": str(ports["recommend"]),
        })
        print(f"  checkout {checkout} (mode {oct(tmp.stat().st_mode & 0o777)}), edge :{ports['edge']}")
        started = edge_sh(checkout, env, "start")
        r.check("edge.sh start in a 0700 checkout", started.returncode == 0,
                (started.stdout + started.stderr).strip())
        try:
            if started.returncode == 0:
                run_checks(r, checkout, env, ports["edge"])
        finally:
            stopped = edge_sh(checkout, env, "stop")
            r.check("edge.sh stop", stopped.returncode == 0, stopped.stderr.strip())
            left = subprocess.run(["pgrep", "-f", str(checkout)], capture_output=True, text=True)
            r.check("no nginx of this checkout left running", not left.stdout.strip(), left.stdout)
            if r.failed:
                log = checkout / ".cache" / "nginx" / "logs" / "error.log"
                if log.exists():
                    print("  error.log (distinct lines):")
                    lines = dict.fromkeys(log.read_text(errors="replace").splitlines())
                    for line in list(lines)[-10:]:
                        print("    " + line)
    finally:
        api.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"edge-private: {r.passed} passed, {r.failed} failed")
    return 0 if r.failed == 0 else 1


def run_checks(r: Results, checkout: Path, env: dict, edge: int) -> None:
    users = worker_users(checkout)
    r.check(f"workers do not run as root ({' '.join(users) or 'none found'})",
            bool(users) and "root" not in users)

    dist = checkout / "services" / "web" / "dist"
    index = (dist / "index.html").read_bytes()
    status, _, data = request(edge, "GET", "/")
    r.check("GET / -> 200, the web client's index.html", status == 200 and data == index,
            f"status {status}, body {data[:120]!r}")
    status, _, data = request(edge, "GET", "/gallery/some/route")
    r.check("a client route falls back to index.html", status == 200 and data == index,
            f"status {status}")
    files = sorted(p for p in dist.rglob("*") if p.is_file() and p.name != "index.html")
    bad = []
    for f in files:
        path = "/" + f.relative_to(dist).as_posix()
        status, _, data = request(edge, "GET", path)
        if status != 200 or data != f.read_bytes():
            bad.append(f"{path}: {status}")
    r.check(f"every static asset served byte for byte ({len(files)} files)", bool(files) and not bad,
            ", ".join(bad[:5]))

    body = os.urandom(900 * 1024)
    status, _, data = request(edge, "POST", "/api/v1/users/me", body,
                              {"Content-Type": "application/octet-stream"})
    r.check("900 KiB POST reaches the api (client body spooled to a temp file)",
            status == 202 and seen(data).get("received") == len(body),
            f"status {status}, body {data[:120]!r}")
    photo = os.urandom(6 * 1024 * 1024)
    status, _, data = request(edge, "POST", "/api/v1/faces/tasks", photo,
                              {"Content-Type": "application/octet-stream"})
    r.check("6 MiB photo upload reaches the api",
            status == 202 and seen(data).get("received") == len(photo),
            f"status {status}, body {data[:120]!r}")
    status, data = slow_get(edge, "/api/v1/blob")
    r.check("4 MiB api response to a slow reader arrives whole (spooled to a proxy temp file)",
            status == 200 and data == blob(), f"status {status}, {len(data)} bytes")

    marker = b"<!-- edited after start -->"
    (dist / "index.html").write_bytes(index + marker)
    again = edge_sh(checkout, env, "start")
    status, _, data = request(edge, "GET", "/")
    r.check("edge.sh start again serves the edited index.html",
            again.returncode == 0 and status == 200 and data.endswith(marker),
            (again.stderr.strip() or f"status {status}"))
    st = edge_sh(checkout, env, "status")
    r.check("edge.sh status", st.returncode == 0, (st.stdout + st.stderr).strip())


if __name__ == "__main__":
    sys.exit(main())
