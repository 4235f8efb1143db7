#!/usr/bin/env python3
"""End-to-end load for the face pipeline: sign up one account per concurrent client, drive
uploads with `moji-loadgen` (each followed over Server-Sent Events to its final state), and
report latency percentiles, throughput and the CPU time every process spent per image.

Latency = from the start of the upload request to the final SSE event (what a person waits
for). Used by scripts/bench/faces.sh.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import urllib.request
import uuid

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


def drive(loadgen, api, image, tokens, n, concurrency):
    """Runs the Rust load generator; returns (its report, its CPU seconds)."""
    before = os.times()
    cmd = [loadgen, "--api", api, "--image", image, "-n", str(n), "--concurrency", str(concurrency)]
    for t in tokens:
        cmd += ["--token", t]
    # stderr passes through, so a failing run says why.
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    after = os.times()
    cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    return json.loads(out), cpu


def pct(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", required=True, help="base URL of /api/v1")
    ap.add_argument("--image", required=True)
    ap.add_argument("--loadgen", required=True, help="the moji-loadgen binary")
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--idle", type=int, default=20, help="sequential tasks for the idle latency")
    ap.add_argument("--pid", action="append", default=[], metavar="NAME=PID",
                    help="a process (and its children) whose CPU time to account, e.g. api=123")
    args = ap.parse_args()
    # One person per concurrent client, as on a real platform (and so no single account's
    # history grows to all N results).
    tokens = [sign_up(args.api) for _ in range(args.concurrency)]

    # Warm-up (connections, caches, first touch of the models), then the idle latency: one
    # task at a time.
    drive(args.loadgen, args.api, args.image, tokens[:1], 3, 1)
    idle, _ = drive(args.loadgen, args.api, args.image, tokens[:1], args.idle, 1)
    idle_lat = idle["latencies_ms"]

    watched = {k: int(v) for k, v in (p.split("=", 1) for p in args.pid)}
    cpu_before, machine_before = cpuacct.sample(watched), cpuacct.machine()
    threads_before = {k: cpuacct.threads(v) for k, v in watched.items()}
    loaded, loadgen_cpu = drive(args.loadgen, args.api, args.image, tokens, args.n, args.concurrency)
    cpu = cpuacct.delta(cpu_before, cpuacct.sample(watched))
    thread_cpu = {k: cpuacct.delta(threads_before[k], cpuacct.threads(v)) for k, v in watched.items()}
    cpu["load generator"] = loadgen_cpu
    busy, total = (a - b for a, b in zip(cpuacct.machine(), machine_before))
    cpu["other"] = max(0.0, busy - sum(cpu.values()))
    cpu["idle"] = max(0.0, total - busy)
    ok, failed, wall = loaded["latencies_ms"], loaded["failures"], loaded["wall_s"]

    report = {
        "idle_tasks": len(idle_lat),
        "idle_p50_ms": round(statistics.median(idle_lat), 1) if idle_lat else None,
        "idle_p99_ms": round(pct(idle_lat, 99), 1) if idle_lat else None,
        "tasks": args.n,
        "concurrency": args.concurrency,
        "succeeded": len(ok),
        "failed": len(failed),
        "wall_s": round(wall, 2),
        "throughput_per_s": round(len(ok) / wall, 2),
        "p50_ms": round(statistics.median(ok), 1) if ok else None,
        "p99_ms": round(pct(ok, 99), 1) if ok else None,
        # CPU milliseconds per succeeded image, per process group, during the loaded phase.
        "cpu_ms_per_image": {k: round(v * 1000 / max(1, len(ok)), 2) for k, v in cpu.items()},
        "thread_cpu_ms_per_image": {
            proc: {k: round(v * 1000 / max(1, len(ok)), 2)
                   for k, v in sorted(ts.items(), key=lambda kv: -kv[1]) if v > 0}
            for proc, ts in thread_cpu.items()},
    }
    if failed or idle["failures"]:
        report["failures"] = sorted(set(failed + idle["failures"]))[:5]
    print(json.dumps(report))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
