#!/usr/bin/env python3
"""The social benchmark's helpers (used by scripts/bench/social.sh):

  tokens  log seeded people in through the api; writes one access token a line
  probe   one authenticated GET; prints its status and what the answer holds
  run     one wrk run over a list of paths and tokens, with CPU accounting from /proc; appends a
          JSON line to --out
  skip    records a target that was not measured, and why
  table   prints the results as a table next to the issue's targets

HTTP and the CPU accounting per process group (api, PostgreSQL backends of the bench database,
Redis, RabbitMQ, wrk, the rest of the machine as "other") are the gallery benchmark's
(scripts/bench/gallery/drive.py), so both benchmarks count the same way.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("gallery_drive", os.path.join(HERE, "..", "gallery", "drive.py"))
gallery = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gallery)
cpuacct = gallery.cpuacct

# The targets at c=64: (req/s at least, p99 ms at most); None where it sets none.
TARGETS = {"feed": (4000, 20.0), "post": (4000, 20.0), "search": (None, 50.0)}


def cmd_tokens(args):
    tokens = []
    for username in args.usernames:
        status, body = gallery.http(f"{args.api}/auth/login", {"login": username, "password": args.password},
                                    method="POST")
        if status != 200 or not isinstance(body, dict) or "access_token" not in body:
            sys.exit(f"could not log {username} in: HTTP {status} {body}")
        tokens.append(body["access_token"])
    with open(args.out, "w") as f:
        f.write("\n".join(tokens) + "\n")
    print(len(tokens))


def describe(status, body):
    """What an answer holds: a list's items (as the gallery describes them), search results,
    or one post."""
    if status // 100 != 2 or not isinstance(body, dict) or "items" in body:
        return gallery.describe(status, body)
    if "posts" in body:  # GET /search
        posts = body["posts"] if isinstance(body["posts"], list) else []
        first = f", first \"{posts[0].get('title')}\"" if posts and isinstance(posts[0], dict) else ""
        return f"{len(posts)} posts for q={body.get('q')}, has_more {body.get('has_more')}{first}"
    keys = ("id", "title", "like_count", "view_count", "username")
    return ", ".join(f"{k} {body[k]}" for k in keys if k in body)


def cmd_probe(args):
    status, body = gallery.http(args.url, token=args.token)
    print(status, describe(status, body))


def views(db_url):
    out = subprocess.run(["psql", db_url, "-qAt", "-c", "SELECT coalesce(sum(view_count), 0) FROM posts"],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return int(out.strip())


def cmd_run(args):
    # A fresh seed per run: the pairs drawn differ from the warm-up's (see social.lua).
    env = dict(os.environ, SOCIAL_PATHS=args.paths, SOCIAL_TOKENS=args.tokens,
               SOCIAL_SEED=str(int.from_bytes(os.urandom(3), "big")))
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}",
           "--timeout", args.timeout, "-s", args.lua, args.url]
    views_before = views(args.views_db) if args.views_db else None
    before, machine_before, times_before = gallery.sample(args.api_pid, args.db), cpuacct.machine(), os.times()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    times_after = os.times()
    cpu = cpuacct.delta(before, gallery.sample(args.api_pid, args.db))
    busy, total = (a - b for a, b in zip(cpuacct.machine(), machine_before))
    cpu["wrk"] = (times_after.children_user + times_after.children_system
                  - times_before.children_user - times_before.children_system)
    if args.warmup:
        if proc.returncode != 0:
            sys.exit(f"wrk failed during the warm-up: {proc.stderr.strip() or proc.stdout.strip()}")
        return
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("SOCIAL_WRK ")), None)
    if proc.returncode != 0 or line is None:
        sys.exit(f"wrk failed (exit {proc.returncode}): {proc.stderr.strip()}\n{proc.stdout.strip()}")
    w = json.loads(line[len("SOCIAL_WRK "):])
    n = w["requests"]
    secs = w["duration_us"] / 1e6
    non2xx = sum(v for k, v in w["statuses"].items() if not 200 <= int(k) <= 299)
    socket_errors = sum(w["errors"][k] for k in ("connect", "read", "write", "timeout"))
    cpu["other"] = max(0.0, busy - sum(cpu.values()))
    record = {
        "label": args.label, "url": args.url, "paths": args.path_count, "people": args.token_count,
        "connections": args.connections, "threads": args.threads, "duration_s": round(secs, 2),
        "requests": n, "rps": round(n / secs, 1) if secs else 0.0,
        "p50_ms": w["p50_us"] / 1000, "p90_ms": w["p90_us"] / 1000, "p99_ms": w["p99_us"] / 1000,
        "max_ms": w["max_us"] / 1000, "mean_ms": round(w["mean_us"] / 1000, 3),
        "bytes_per_response": round(w["bytes"] / n) if n else 0,
        "statuses": w["statuses"], "non2xx": non2xx, "socket_errors": socket_errors,
        "errors": w["errors"],
        "cpu_s": {k: round(v, 3) for k, v in cpu.items()},
        "cpu_us_per_request": {k: round(v * 1e6 / n, 1) if n else None for k, v in cpu.items()},
        "machine_busy_s": round(busy, 3), "machine_total_s": round(total, 3),
        "idle_pct": round(max(0.0, 100 * (total - busy) / total), 1) if total else None,
    }
    if views_before is not None:
        # Views counted during the run (and any responses still in flight at its end): each is
        # an UPDATE of posts.view_count, a viewer's first view of that post this hour.
        record["view_writes"] = views(args.views_db) - views_before
    with open(args.out, "a") as f:
        f.write(json.dumps(record) + "\n")
    print(f"  {args.label}, c={args.connections}: {record['rps']:.0f} req/s, p50 {record['p50_ms']:.2f} ms,"
          f" p99 {record['p99_ms']:.2f} ms, {n} requests"
          + (f", {record['view_writes']} view writes ({100 * record['view_writes'] / n:.0f} %)"
             if "view_writes" in record and n else "")
          + (f", {non2xx} non-2xx {w['statuses']}" if non2xx else "")
          + (f", socket errors {w['errors']}" if socket_errors else ""))


def cmd_skip(args):
    with open(args.out, "a") as f:
        f.write(json.dumps({"label": args.label, "skipped": args.reason}) + "\n")


def cmd_table(args):
    rows = [json.loads(ln) for ln in open(args.results) if ln.strip()]
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
    print("targets at c=64: feed and post >= 4,000 req/s at p99 <= 20 ms; search p99 <= 50 ms")
    for r in rows:
        if "skipped" in r or r["connections"] != 64:
            continue
        if r["label"] not in TARGETS:
            print(f"  {r['label']:<12} c=64: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.2f} ms"
                  " (reference: one-row authenticated read on the same machine, not a target)")
            continue
        rps, p99 = TARGETS[r["label"]]
        bad = r["non2xx"] or r["socket_errors"]
        ok = not bad and (rps is None or r["rps"] >= rps) and r["p99_ms"] <= p99
        print(f"  {r['label']:<12} c=64: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.2f} ms -> "
              + ("failed measurement" if bad else "meets the target" if ok else "misses the target"))
    if failed:
        print(f"{failed} run(s) had non-2xx responses or socket errors: those figures are not a measurement")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("tokens")
    p.add_argument("--api", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("usernames", nargs="+")
    p.set_defaults(fn=cmd_tokens)
    p = sub.add_parser("probe")
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.set_defaults(fn=cmd_probe)
    p = sub.add_parser("run")
    p.add_argument("--label", required=True)
    p.add_argument("--url", required=True, help="the api's origin; the paths file holds the paths")
    p.add_argument("--paths", required=True)
    p.add_argument("--tokens", required=True)
    p.add_argument("--lua", required=True)
    p.add_argument("--connections", type=int, required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--duration", default="15s")
    p.add_argument("--timeout", default="10s")
    p.add_argument("--api-pid", type=int, required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--views-db", help="database URL: count the view writes of the run")
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
    if args.cmd == "run":
        with open(args.paths) as f:
            args.path_count = sum(1 for ln in f if ln.strip())
        with open(args.tokens) as f:
            args.token_count = sum(1 for ln in f if ln.strip())
    args.fn(args)


if __name__ == "__main__":
    main()
