#!/usr/bin/env python3
"""End-to-end load for the face pipeline: upload a photo, follow the task's Server-Sent
Events until its final state, and report latency percentiles and throughput.

Standard library only. Latency = from the start of the upload request to the final SSE event
(what a person waits for). Used by scripts/bench/faces.sh.
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import cpuacct


def request(url, data=None, headers=None, method=None, timeout=60):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()


def sign_up(api):
    name = "bench_" + uuid.uuid4().hex[:10]
    body = json.dumps({"username": name, "email": f"{name}@example.com",
                       "password": "benchmark password"}).encode()
    _, raw = request(f"{api}/users", body, {"content-type": "application/json"}, "POST")
    return json.loads(raw)["access_token"]


def multipart(image, kind="emoji"):
    boundary = "moji" + uuid.uuid4().hex
    parts = [
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n".encode(),
        (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"p.jpg\"\r\n"
         "Content-Type: image/jpeg\r\n\r\n").encode() + image + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


_local = threading.local()


def _conn(api, slot):
    """This thread's keep-alive connection for `slot` (uploads and event streams each get one,
    as a browser would reuse its connections)."""
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    if slot not in conns:
        u = urllib.parse.urlsplit(api)
        conns[slot] = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    return conns[slot]


def _drop(slot):
    conn = getattr(_local, "conns", {}).pop(slot, None)
    if conn is not None:
        conn.close()


def one_task(api, token, image):
    """Returns (seconds, final status)."""
    body, ctype = multipart(image)
    path = urllib.parse.urlsplit(api).path
    started = time.perf_counter()
    try:
        up = _conn(api, "upload")
        up.request("POST", f"{path}/faces/tasks", body,
                   {"content-type": ctype, "authorization": f"Bearer {token}"})
        resp = up.getresponse()
        raw = resp.read()
        if resp.status != 202:
            raise ValueError(f"upload answered {resp.status}: {raw[:200]!r}")
        task = json.loads(raw)
        ev = _conn(api, "events")
        ev.request("GET", f"{path}/faces/tasks/{task['id']}/events?access_token={token}")
        stream = ev.getresponse()
        status = "stream-closed"
        for line in stream:
            if line.startswith(b"data: "):
                status = json.loads(line[6:])["status"]
                if status in ("succeeded", "failed", "cancelled"):
                    break
        seconds = time.perf_counter() - started
        stream.read()  # the server ends the stream after the final event; reuse the connection
        return seconds, status
    except (OSError, http.client.HTTPException):
        _drop("upload")
        _drop("events")
        raise


def pct(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", required=True, help="base URL of /api/v1")
    ap.add_argument("--image", required=True)
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--idle", type=int, default=20, help="sequential tasks for the idle latency")
    ap.add_argument("--pid", action="append", default=[], metavar="NAME=PID",
                    help="a process (and its children) whose CPU time to account, e.g. api=123")
    args = ap.parse_args()
    image = open(args.image, "rb").read()
    # One person per concurrent client, as on a real platform (and so no single account's
    # history grows to all N results).
    tokens = [sign_up(args.api) for _ in range(args.concurrency)]
    token = tokens[0]

    for _ in range(3):  # warm-up: connections, caches, first-touch of models
        one_task(args.api, token, image)
    idle = [one_task(args.api, token, image) for _ in range(args.idle)]
    idle_lat = [s for s, st in idle if st == "succeeded"]

    results, lock = [], threading.Lock()

    def run(i):
        try:
            r = one_task(args.api, tokens[i % len(tokens)], image)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
            r = (0.0, f"error: {e}")
        with lock:
            results.append(r)

    watched = {k: int(v) for k, v in (p.split("=", 1) for p in args.pid)}
    cpu_before, machine_before, own_before = cpuacct.sample(watched), cpuacct.machine(), os.times()
    threads_before = {k: cpuacct.threads(v) for k, v in watched.items()}
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        list(pool.map(run, range(args.n)))
    wall = time.perf_counter() - started
    cpu = cpuacct.delta(cpu_before, cpuacct.sample(watched))
    thread_cpu = {k: cpuacct.delta(threads_before[k], cpuacct.threads(v)) for k, v in watched.items()}
    own_after = os.times()
    cpu["load generator"] = (own_after.user + own_after.system) - (own_before.user + own_before.system)
    busy, total = (a - b for a, b in zip(cpuacct.machine(), machine_before))
    cpu["other"] = max(0.0, busy - sum(cpu.values()))
    cpu["idle"] = max(0.0, total - busy)
    ok = [s for s, st in results if st == "succeeded"]
    failed = [st for _, st in results if st != "succeeded"]

    report = {
        "idle_tasks": len(idle_lat),
        "idle_p50_ms": round(statistics.median(idle_lat) * 1000, 1) if idle_lat else None,
        "idle_p99_ms": round(pct(idle_lat, 99) * 1000, 1) if idle_lat else None,
        "tasks": args.n,
        "concurrency": args.concurrency,
        "succeeded": len(ok),
        "failed": len(failed),
        "wall_s": round(wall, 2),
        "throughput_per_s": round(len(ok) / wall, 2),
        "p50_ms": round(statistics.median(ok) * 1000, 1) if ok else None,
        "p99_ms": round(pct(ok, 99) * 1000, 1) if ok else None,
        # CPU milliseconds per succeeded image, per process group, during the loaded phase.
        "cpu_ms_per_image": {k: round(v * 1000 / max(1, len(ok)), 2) for k, v in cpu.items()},
        "thread_cpu_ms_per_image": {
            proc: {k: round(v * 1000 / max(1, len(ok)), 2)
                   for k, v in sorted(ts.items(), key=lambda kv: -kv[1]) if v > 0}
            for proc, ts in thread_cpu.items()},
    }
    if failed:
        report["failures"] = sorted(set(failed))[:5]
    print(json.dumps(report))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
