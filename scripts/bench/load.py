#!/usr/bin/env python3
"""End-to-end load for the face pipeline: upload a photo, follow the task's Server-Sent
Events until its final state, and report latency percentiles and throughput.

Standard library only. Latency = from the start of the upload request to the final SSE event
(what a person waits for). Used by scripts/bench/faces.sh.
"""
import argparse
import json
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor


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


def one_task(api, token, image):
    """Returns (seconds, final status)."""
    body, ctype = multipart(image)
    started = time.perf_counter()
    _, raw = request(f"{api}/faces/tasks", body,
                     {"content-type": ctype, "authorization": f"Bearer {token}"}, "POST")
    task = json.loads(raw)
    url = f"{api}/faces/tasks/{task['id']}/events?access_token={token}"
    with urllib.request.urlopen(url, timeout=120) as stream:
        for line in stream:
            if line.startswith(b"data: "):
                status = json.loads(line[6:])["status"]
                if status in ("succeeded", "failed", "cancelled"):
                    return time.perf_counter() - started, status
    return time.perf_counter() - started, "stream-closed"


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
    args = ap.parse_args()
    image = open(args.image, "rb").read()
    token = sign_up(args.api)

    for _ in range(3):  # warm-up: connections, caches, first-touch of models
        one_task(args.api, token, image)
    idle = [one_task(args.api, token, image) for _ in range(args.idle)]
    idle_lat = [s for s, st in idle if st == "succeeded"]

    results, lock = [], threading.Lock()

    def run(_):
        try:
            r = one_task(args.api, token, image)
        except (urllib.error.URLError, OSError, ValueError) as e:
            r = (0.0, f"error: {e}")
        with lock:
            results.append(r)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        list(pool.map(run, range(args.n)))
    wall = time.perf_counter() - started
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
    }
    if failed:
        report["failures"] = sorted(set(failed))[:5]
    print(json.dumps(report))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
