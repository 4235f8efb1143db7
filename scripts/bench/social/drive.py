#!/usr/bin/env python3
"""The social benchmark's helpers (used by scripts/bench/social.sh):

  tokens  log seeded people in through the api; writes one access token a line
  probe   one authenticated GET; prints its status and what the answer holds
  run     one wrk run over a list of paths and tokens, with CPU accounting from /proc; appends a
          JSON line to --out
  skip    records a target that was not measured, and why
  table   prints the results as a table next to the issue's targets

HTTP, the wrk run with its CPU accounting per process group (api, PostgreSQL backends of the bench database,
Redis, RabbitMQ, wrk, the rest of the machine as "other") are the gallery benchmark's
(scripts/bench/gallery/drive.py), as are the results file and table, so both benchmarks count the same way.
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
    views_before = views(args.views_db) if args.views_db else None
    record = gallery.wrk_run(args, env, "SOCIAL_WRK",
                             extra={"paths": args.path_count, "people": args.token_count})
    if record is None:
        return
    note = ""
    if views_before is not None:
        # Views counted during the run (and any responses still in flight at its end): each is
        # an UPDATE of posts.view_count, a viewer's first view of that post this hour.
        record["view_writes"] = views(args.views_db) - views_before
        if record["requests"]:
            note = f", {record['view_writes']} view writes ({100 * record['view_writes'] / record['requests']:.0f} %)"
    gallery.save(args.out, record, note)


def cmd_table(args):
    rows = [json.loads(ln) for ln in open(args.results) if ln.strip()]
    gallery.table(rows, "targets at c=64: feed and post >= 4,000 req/s at p99 <= 20 ms; search p99 <= 50 ms",
                  TARGETS.get)


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
    p.set_defaults(fn=gallery.cmd_skip)
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
