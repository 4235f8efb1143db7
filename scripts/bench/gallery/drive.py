#!/usr/bin/env python3
"""The gallery benchmark's helpers (used by scripts/bench/gallery.sh):

  token   sign up (or log in) the bench user through the api; prints its id and access token
  probe   one authenticated GET; prints its status and what the page holds
  cursor  follows `next_cursor` to a deep position; exit 3 when the api has no cursors
  run     one wrk run with CPU accounting from /proc; appends a JSON line to --out
  table   prints the results as a table next to the issue's targets

CPU per request is the CPU time each process group spent during the run divided by the
requests wrk completed: the api (its pid), PostgreSQL (the postmaster, its background
processes and the backends connected to the bench database; backends of other databases are
left in "other"), Redis, RabbitMQ, and wrk itself (a child of this script). "other" is the rest
of the machine's busy time (builds, other databases, the kernel's softirqs...), so a noisy run
shows as such.
"""
import argparse
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cpuacct  # noqa: E402  (scripts/bench/cpuacct.py)

# Issue figures, page 1 at c=64.
TARGET_RPS, TARGET_P99_MS = 4000, 20.0
REFERENCES = "seed stack 251 req/s, p99 341 ms; Moji before the fix 224 req/s, p99 449 ms"


# --- HTTP -------------------------------------------------------------------------------

def http(url, body=None, token=None, method=None, timeout=60):
    """(status, parsed JSON body or raw text)."""
    headers = {"accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["content-type"] = "application/json"
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def cmd_token(args):
    status, body = http(f"{args.api}/users", {"username": args.username, "email": args.email,
                                              "password": args.password}, method="POST")
    if status == 409:
        status, body = http(f"{args.api}/auth/login", {"login": args.username, "password": args.password},
                            method="POST")
    if status not in (200, 201) or not isinstance(body, dict) or "access_token" not in body:
        sys.exit(f"could not sign up or log in {args.username}: HTTP {status} {body}")
    print(body["user"]["id"], body["access_token"])


def describe(status, body):
    if status // 100 == 2 and isinstance(body, dict):
        items = body.get("items")
        bits = [f"{len(items)} items" if isinstance(items, list) else "no items"]
        if "total" in body:
            bits.append(f"total {body['total']}")
        if body.get("page") is not None:
            bits.append(f"page {body['page']}")
        if "next_cursor" in body:
            bits.append("next_cursor " + ("null" if body["next_cursor"] is None else "set"))
        if isinstance(items, list) and items:
            liked = sum(1 for i in items if isinstance(i, dict) and i.get("liked_by_me"))
            first = items[0] if isinstance(items[0], dict) else {}
            bits.append(f"first created_at {first.get('created_at')}, like_count {first.get('like_count')}")
            bits.append(f"{liked} liked by the bench user")
        return ", ".join(bits)
    if isinstance(body, dict):
        return f"{body.get('code', '')} {body.get('detail', body.get('title', ''))}".strip()
    return str(body)[:200]


def cmd_probe(args):
    status, body = http(args.url, token=args.token)
    print(status, describe(status, body))


def cmd_cursor(args):
    base = f"{args.api}/emojis?size=100" + (f"&{args.query}" if args.query else "")
    status, body = http(base, token=args.token)
    if status != 200 or not isinstance(body, dict):
        print(f"HTTP {status} for {base}: {describe(status, body)}", file=sys.stderr)
        sys.exit(2)
    if "next_cursor" not in body:
        print("the response has no next_cursor", file=sys.stderr)
        sys.exit(3)
    cursor, depth = None, 0
    for _ in range(args.steps):
        nxt = body.get("next_cursor")
        if not nxt:
            break
        cursor, depth = nxt, depth + len(body.get("items") or [])
        url = base + "&cursor=" + urllib.parse.quote(cursor, safe="")
        status, body = http(url, token=args.token)
        if status != 200 or not isinstance(body, dict):
            print(f"HTTP {status} following a cursor: {describe(status, body)}", file=sys.stderr)
            sys.exit(2)
    if cursor is None:
        print("the first page has no next_cursor (fewer than 100 emojis?)", file=sys.stderr)
        sys.exit(3)
    print(cursor, depth)


# --- CPU accounting ---------------------------------------------------------------------

def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def sample(api_pid, db):
    """CPU seconds so far per group (see the module's doc)."""
    out = {"api": 0.0, "postgres": 0.0, "redis": 0.0, "rabbitmq": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        st = cpuacct._stat(pid)
        if not st:
            continue
        comm, ppid, cpu = st
        if pid == api_pid or ppid == api_pid:
            out["api"] += cpu
        elif comm == "postgres":
            # "postgres: 15/main: moji moji_bench_gallery 127.0.0.1(4242) idle" is a backend;
            # "postgres: 15/main: walwriter" and the postmaster itself are shared machinery.
            words = _cmdline(pid).split()
            backend = any("(" in w or w == "[local]" for w in words)
            if not backend or db in words:
                out["postgres"] += cpu
        elif comm in cpuacct.SERVICES["redis"]:
            out["redis"] += cpu
        elif comm in cpuacct.SERVICES["rabbitmq"]:
            out["rabbitmq"] += cpu
    return out


def wrk_run(args, env, marker, extra=None):
    """One wrk run of `args.lua` with CPU accounting per process group (shared with the social
    benchmark). The script prints one JSON line after `marker`. Returns the run's record (with
    `extra` fields after the url), or None for a warm-up."""
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}",
           "--timeout", args.timeout, "-s", args.lua, args.url]
    before, machine_before, times_before = sample(args.api_pid, args.db), cpuacct.machine(), os.times()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    times_after = os.times()
    cpu = cpuacct.delta(before, sample(args.api_pid, args.db))
    busy, total = (a - b for a, b in zip(cpuacct.machine(), machine_before))
    cpu["wrk"] = (times_after.children_user + times_after.children_system
                  - times_before.children_user - times_before.children_system)
    if args.warmup:
        if proc.returncode != 0:
            sys.exit(f"wrk failed during the warm-up: {proc.stderr.strip() or proc.stdout.strip()}")
        return None
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(marker + " ")), None)
    if proc.returncode != 0 or line is None:
        sys.exit(f"wrk failed (exit {proc.returncode}): {proc.stderr.strip()}\n{proc.stdout.strip()}")
    w = json.loads(line[len(marker) + 1:])
    n = w["requests"]
    secs = w["duration_us"] / 1e6
    cpu["other"] = max(0.0, busy - sum(cpu.values()))
    return {
        "label": args.label, "url": args.url, **(extra or {}), "connections": args.connections,
        "threads": args.threads, "duration_s": round(secs, 2), "requests": n,
        "rps": round(n / secs, 1) if secs else 0.0,
        "p50_ms": w["p50_us"] / 1000, "p90_ms": w["p90_us"] / 1000, "p99_ms": w["p99_us"] / 1000,
        "max_ms": w["max_us"] / 1000, "mean_ms": round(w["mean_us"] / 1000, 3),
        "bytes_per_response": round(w["bytes"] / n) if n else 0,
        "statuses": w["statuses"],
        "non2xx": sum(v for k, v in w["statuses"].items() if not 200 <= int(k) <= 299),
        "socket_errors": sum(w["errors"][k] for k in ("connect", "read", "write", "timeout")),
        "errors": w["errors"],
        "cpu_s": {k: round(v, 3) for k, v in cpu.items()},
        "cpu_us_per_request": {k: round(v * 1e6 / n, 1) if n else None for k, v in cpu.items()},
        "machine_busy_s": round(busy, 3), "machine_total_s": round(total, 3),
        "idle_pct": round(max(0.0, 100 * (total - busy) / total), 1) if total else None,
    }


def save(out, record, note=""):
    """Appends `record` to the results file and prints its line (`note` after the counts)."""
    with open(out, "a") as f:
        f.write(json.dumps(record) + "\n")
    print(f"  {record['label']}, c={record['connections']}: {record['rps']:.0f} req/s,"
          f" p50 {record['p50_ms']:.2f} ms, p99 {record['p99_ms']:.2f} ms, {record['requests']} requests"
          + note
          + (f", {record['non2xx']} non-2xx {record['statuses']}" if record["non2xx"] else "")
          + (f", socket errors {record['errors']}" if record["socket_errors"] else ""))


def cmd_run(args):
    record = wrk_run(args, dict(os.environ, GALLERY_TOKEN=args.token), "GALLERY_WRK")
    if record is not None:
        save(args.out, record)


def cmd_skip(args):
    with open(args.out, "a") as f:
        f.write(json.dumps({"label": args.label, "skipped": args.reason}) + "\n")


# --- the table --------------------------------------------------------------------------

def table(rows, target_line, target_of):
    """Prints the results table, then each c=64 run against `target_of(label)`: (req/s at least
    or None, p99 ms at most), or None for a reference row that has no target."""
    groups = ["api", "postgres", "redis", "rabbitmq", "wrk", "other"]
    head = (f"{'target':<12} {'c':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
            f"   CPU µs/request: " + " ".join(f"{g:>8}" for g in groups) + f" {'idle':>5}")
    print(head)
    print("-" * len(head))
    failed = 0
    for r in rows:
        if "skipped" in r:
            print(f"{r['label']:<12} skipped: {r['skipped']}")
            continue
        bad = r["non2xx"] or r["socket_errors"]
        failed += bool(bad)
        cpu = r["cpu_us_per_request"]
        print(f"{r['label']:<12} {r['connections']:>4} {r['rps']:>8.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}"
              f" {r['non2xx']:>8}   {'':16} " + " ".join(f"{cpu[g]:>8.0f}" for g in groups)
              + f" {r['idle_pct']:>4.0f}%")
        if bad:
            sockets = {k: v for k, v in r["errors"].items() if k != "status"}
            print(f"{'':<12} FAILED MEASUREMENT: {r['non2xx']} non-2xx responses (by status {r['statuses']}),"
                  f" socket errors {sockets}")
    print()
    print(target_line)
    for r in rows:
        if "skipped" in r or r["connections"] != 64:
            continue
        target = target_of(r["label"])
        if target is None:
            print(f"  {r['label']:<12} c=64: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.2f} ms"
                  " (reference: one-row authenticated read on the same machine, not a target)")
            continue
        rps, p99 = target
        bad = r["non2xx"] or r["socket_errors"]
        ok = not bad and (rps is None or r["rps"] >= rps) and r["p99_ms"] <= p99
        print(f"  {r['label']:<12} c=64: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.2f} ms -> "
              + ("failed measurement" if bad else "meets the target" if ok else "misses the target"))
    if failed:
        print(f"{failed} run(s) had non-2xx responses or socket errors: those figures are not a measurement")


def cmd_table(args):
    rows = [json.loads(ln) for ln in open(args.results) if ln.strip()]
    table(rows, f"target: >= {TARGET_RPS:,} req/s at p99 <= {TARGET_P99_MS:g} ms at c=64 ({REFERENCES})",
          lambda label: None if label.endswith(" ref") else (TARGET_RPS, TARGET_P99_MS))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("token")
    p.add_argument("--api", required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.set_defaults(fn=cmd_token)
    p = sub.add_parser("probe")
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.set_defaults(fn=cmd_probe)
    p = sub.add_parser("cursor")
    p.add_argument("--api", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--query", default="")
    p.add_argument("--steps", type=int, default=50)
    p.set_defaults(fn=cmd_cursor)
    p = sub.add_parser("run")
    p.add_argument("--label", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--lua", required=True)
    p.add_argument("--connections", type=int, required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--duration", default="15s")
    p.add_argument("--timeout", default="10s")
    p.add_argument("--api-pid", type=int, required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--out")
    p.add_argument("--warmup", action="store_true")
    p.set_defaults(fn=cmd_run)
    p = sub.add_parser("skip")
    p.add_argument("--label", required=True)
    p.add_argument("--reason", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(fn=cmd_skip)
    p = sub.add_parser("table")
    p.add_argument("results")
    p.set_defaults(fn=cmd_table)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
