#!/usr/bin/env python3
"""The recommendation service's part of the fault campaign (scripts/chaos.sh kill-recommend).

  chaos_recommend.py seed  API REC TOKEN STATE   # 20 posts, each waited for in search
  chaos_recommend.py churn API TOKEN STATE       # while recommend is down: 5 deleted, 5 new
  chaos_recommend.py check REC STATE SECS        # after the restart

`check` asks semantic search (the index, not the full-text side) for each post's exact title:
every live post must come back first within SECS (the index was rebuilt and caught up with
what happened while the replica was dead), and no deleted post may come back at all (no stale
result). It prints one line: `live found missing stale settled_s`."""
import json
import sys
import time
import urllib.parse
import urllib.request


def call(method, url, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        return e.code, None
    except OSError:
        return 0, None


def top(rec, title):
    q = urllib.parse.quote(title)
    status, body = call("GET", f"{rec}/api/v1/search?q={q}&type=post&method=semantic&size=5")
    if status != 200 or not body:
        return []
    return [c["id"] for c in body.get("items", [])]


def create(api, token, title):
    status, body = call("POST", f"{api}/api/v1/posts", token, {"title": title, "text": title})
    assert status == 201, f"POST /posts answered {status}"
    return body["id"]


def titled(n, run):
    # Distinct sentences, so each is its own nearest neighbour.
    words = ["tangerine", "harbour", "lantern", "mountain", "violin", "orchid", "glacier",
             "bakery", "compass", "meadow", "thunder", "velvet", "canyon", "pepper", "island",
             "marble", "falcon", "cinnamon", "river", "saffron", "copper", "willow", "comet",
             "pebble", "quartz"]
    return f"chaos {run} {words[n % len(words)]} {words[(n * 7 + 3) % len(words)]} note {n}"


def main():
    mode = sys.argv[1]
    if mode == "seed":
        api, rec, token, state = sys.argv[2:6]
        run = str(int(time.time()))
        posts = {create(api, token, titled(n, run)): titled(n, run) for n in range(20)}
        deadline = time.time() + 120
        pending = dict(posts)
        while pending and time.time() < deadline:
            for pid, title in list(pending.items()):
                if pid in top(rec, title)[:1]:
                    del pending[pid]
            time.sleep(0.5)
        assert not pending, f"{len(pending)} posts never reached the index before the kill"
        json.dump({"run": run, "live": posts, "deleted": {}}, open(state, "w"))
    elif mode == "churn":
        api, token, state = sys.argv[2:5]
        s = json.load(open(state))
        for pid in list(s["live"])[:5]:
            status, _ = call("DELETE", f"{api}/api/v1/posts/{pid}", token)
            assert status == 204, f"DELETE /posts answered {status}"
            s["deleted"][pid] = s["live"].pop(pid)
        for n in range(20, 25):
            title = titled(n, s["run"])
            s["live"][create(api, token, title)] = title
        json.dump(s, open(state, "w"))
    elif mode == "check":
        rec, state, secs = sys.argv[2], sys.argv[3], float(sys.argv[4])
        s = json.load(open(state))
        started = time.time()
        missing = dict(s["live"])
        while missing and time.time() - started < secs:
            for pid, title in list(missing.items()):
                if pid in top(rec, title)[:1]:
                    del missing[pid]
            time.sleep(0.5)
        settled = time.time() - started
        stale = sum(1 for pid, title in s["deleted"].items() if pid in top(rec, title))
        print(len(s["live"]), len(s["live"]) - len(missing), len(missing), stale, f"{settled:.1f}")
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
