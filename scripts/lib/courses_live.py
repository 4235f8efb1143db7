#!/usr/bin/env python3
"""Date courses (docs/date-courses.md) against a running stack, through the edge, for
scripts/lib/live-checks.sh and the `courses-live` check of scripts/check-deploy.sh.

Always (the api and the edge): the api's OpenAPI document has the date-course routes; ask and
quota answer 401 without a token; a new account's quota is 200 with RateLimit-Limit,
-Remaining and -Reset matching the body; unknown fields and values are 422 and take nothing;
a request is 202 with a task, a Location and one unit taken, and the same Idempotency-Key gives
the same task without a second unit; the task is its owner's (403 for someone else); its
server-sent events stream through the edge (with ?access_token=) and start with the task.

Without --worker (nobody consumes recommend.course): the task is cancelled, its unit given
back, and a second cancel is 409.

With --worker (recommend runs the date-course worker): the event stream is followed until the
course is written (up to COURSE_WAIT), the course is checked against CourseDocument, it is in
the owner's saved courses, and its unit stays taken. That run gives every moji_course_* metric
of the alerts and dashboards a value before /metrics is scraped.

    courses_live.py BASE_URL [--worker]   e.g. http://127.0.0.1:18080 (the edge)

Each step prints one PASS/FAIL line; exit status 1 when any failed. Standard library only.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
import urllib.parse

from live_http import Live

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
WORKER = "--worker" in sys.argv[1:]
LIVE = Live("courses", ARGS[0] if ARGS else "http://127.0.0.1:8080")
check = LIVE.check
# How long a course may take from 202 to `succeeded`: the queue, places and ranking, the local
# model on a busy CI machine (two calls of courses.writer_timeout_secs at most), publishing.
COURSE_WAIT = 180.0
FINAL = {"succeeded", "failed", "cancelled"}
REQUEST = {"region": "seoul", "season": "spring", "time_of_day": "afternoon", "transport": "walk",
           "mood": "quiet palaces and tea", "language": "en"}
STOP_KEYS = {"place_id", "name", "name_ko", "name_en", "lat", "lng", "category", "indoor", "arrival",
             "stay_minutes", "travel_minutes", "distance_km", "note"}
DOC_KEYS = {"title", "intro", "language", "region", "season", "time_of_day", "transport", "stops",
            "tips", "total_minutes", "provider", "model"}


def problem(status: int, body, ctype: str, want: int) -> bool:
    """An error in the shape of ARCHITECTURE.md §4: problem+json with its status and a code."""
    return (status == want and ctype.startswith("application/problem+json") and isinstance(body, dict)
            and body.get("status") == status and bool(body.get("code")))


def quota(token: str):
    """(status, body, headers) of GET /api/v1/date-courses/quota."""
    status, body, _, _, headers = LIVE.exchange("GET", "/api/v1/date-courses/quota", token=token)
    return status, body, headers


def rate_headers_ok(headers: dict, limit, remaining) -> bool:
    reset = headers.get("ratelimit-reset", "")
    return (headers.get("ratelimit-limit") == str(limit) and headers.get("ratelimit-remaining") == str(remaining)
            and reset.isdigit() and 1 <= int(reset) <= 25 * 3600)


def events(path: str, deadline: float, until_final: bool):
    """The `event: task` frames of an SSE stream through the edge, parsed: until the first one
    (until_final False), or until one with a final status or the deadline. Returns (HTTP status,
    content type, frames, error or "")."""
    conn = http.client.HTTPConnection(LIVE.host, LIVE.port, timeout=25)  # heartbeats every 15 s
    frames: list[dict] = []
    try:
        conn.request("GET", path, headers={"accept": "text/event-stream"})
        res = conn.getresponse()
        ctype = res.getheader("content-type") or ""
        if res.status != 200:
            return res.status, ctype, frames, res.read()[:200].decode(errors="replace")
        event, data = "", []
        while time.monotonic() < deadline:
            line = res.readline()
            if not line:
                return 200, ctype, frames, "the stream ended"
            line = line.decode().rstrip("\r\n")
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and data:
                try:
                    view = json.loads("\n".join(data))
                except ValueError:
                    return 200, ctype, frames, f"not JSON: {data!r}"
                if event == "task":
                    frames.append(view)
                    if not until_final or (isinstance(view, dict) and view.get("status") in FINAL):
                        return 200, ctype, frames, ""
                event, data = "", []
        return 200, ctype, frames, "deadline passed"
    except OSError as e:
        return 0, "", frames, str(e)
    finally:
        conn.close()


def document_problems(doc, asked: dict) -> list[str]:
    """What is wrong with a CourseDocument, per docs/date-courses.md."""
    if not isinstance(doc, dict):
        return [f"not an object: {doc!r}"]
    out = [f"no {k}" for k in sorted(DOC_KEYS - set(doc))]
    for k in ("region", "season", "time_of_day", "transport", "language"):
        if doc.get(k) != asked[k]:
            out.append(f"{k} {doc.get(k)!r}, asked {asked[k]!r}")
    if doc.get("provider") not in ("local", "openai", "template"):
        out.append(f"provider {doc.get('provider')!r}")
    if not (isinstance(doc.get("title"), str) and doc["title"].strip()):
        out.append("empty title")
    stops = doc.get("stops")
    if not (isinstance(stops, list) and 3 <= len(stops) <= 5):
        return out + [f"{len(stops) if isinstance(stops, list) else stops!r} stops, want 3-5"]
    ids = [s.get("place_id") for s in stops if isinstance(s, dict)]
    if len(set(ids)) != len(stops):
        out.append(f"stops repeat or are not objects: {ids}")
    for i, stop in enumerate(stops):
        if not isinstance(stop, dict):
            continue
        missing = STOP_KEYS - set(stop)
        if missing:
            out.append(f"stop {i}: no {', '.join(sorted(missing))}")
        if not str(stop.get("place_id", "")).startswith(asked["region"] + "-"):
            out.append(f"stop {i}: place {stop.get('place_id')!r} outside {asked['region']}")
        arrival = str(stop.get("arrival", ""))
        if not (len(arrival) == 5 and arrival[2] == ":" and arrival.replace(":", "").isdigit()):
            out.append(f"stop {i}: arrival {arrival!r}")
    if isinstance(stops[0], dict) and stops[0].get("travel_minutes") != 0:
        out.append("the first stop has travel minutes")
    if not isinstance(doc.get("tips"), list):
        out.append(f"tips {doc.get('tips')!r}")
    return out


def main() -> int:
    status, spec, _, _ = LIVE.call("GET", "/api-docs/openapi.json")
    paths = set((spec or {}).get("paths", {})) if isinstance(spec, dict) else set()
    want = {"/api/v1/date-courses", "/api/v1/date-courses/quota", "/api/v1/date-courses/tasks/{id}/events"}
    check("the api's OpenAPI document (through the edge) has the date-course routes",
          status == 200 and want <= paths, f"status {status}, missing {sorted(want - paths)}")

    # ---- without a token ------------------------------------------------------------------
    status, body, _, ctype = LIVE.call("POST", "/api/v1/date-courses", REQUEST)
    check("POST /api/v1/date-courses without a token -> 401 problem+json", problem(status, body, ctype, 401),
          f"status {status} {ctype} {body!r}"[:300])
    status, body, _, ctype = LIVE.call("GET", "/api/v1/date-courses/quota")
    check("GET /api/v1/date-courses/quota without a token -> 401 problem+json", problem(status, body, ctype, 401),
          f"status {status} {ctype}")

    # ---- a new account's quota ------------------------------------------------------------
    _, token = LIVE.user("a", "courses live password 1")
    _, other = LIVE.user("b", "courses live password 1")
    status, q, headers = quota(token)
    limit = q.get("limit") if isinstance(q, dict) else None
    if not check("GET /api/v1/date-courses/quota (new account) -> 200 {limit, remaining, resets_at}, all left",
                 status == 200 and isinstance(limit, int) and limit >= 1 and q.get("remaining") == limit
                 and isinstance(q.get("resets_at"), str), f"status {status} {q!r}"[:300]):
        return LIVE.summary()
    check(f"the quota carries RateLimit-Limit {limit}, RateLimit-Remaining {limit} and RateLimit-Reset (s)",
          rate_headers_ok(headers, limit, limit), repr({k: v for k, v in headers.items() if k.startswith("ratelimit")}))

    # ---- refused requests take nothing ----------------------------------------------------
    status, body, _, ctype = LIVE.call("POST", "/api/v1/date-courses", {**REQUEST, "weather": "sunny"}, token)
    check("POST with an unknown field -> 422 problem+json", problem(status, body, ctype, 422), f"status {status} {ctype}")
    status, body, _, ctype = LIVE.call("POST", "/api/v1/date-courses", {**REQUEST, "region": "daegu"}, token)
    check("POST with an unknown region -> 422 problem+json", problem(status, body, ctype, 422), f"status {status} {ctype}")
    status, q, _ = quota(token)
    check("refused requests took no unit", status == 200 and isinstance(q, dict) and q.get("remaining") == limit, repr(q))

    # ---- a request: one unit, a task ------------------------------------------------------
    key = f"courses-live-{os.getpid()}-{int(time.time())}"
    status, task, data, _, headers = LIVE.exchange("POST", "/api/v1/date-courses", REQUEST, token,
                                                   {"idempotency-key": key})
    links = task.get("links") if isinstance(task, dict) else None
    if not check("POST /api/v1/date-courses -> 202 task {id, status, links}",
                 status == 202 and isinstance(task, dict) and isinstance(links, dict) and task.get("id")
                 and task.get("status") in ("queued", "running", "succeeded"), f"status {status} {data[:300]!r}"):
        return LIVE.summary()
    tid = task["id"]
    print(f"courses: asked for a course, task {tid}")
    check("its Location is the task, RateLimit-Remaining one less",
          headers.get("location") == links.get("self") == f"/api/v1/date-courses/tasks/{tid}"
          and rate_headers_ok(headers, limit, limit - 1),
          repr({k: v for k, v in headers.items() if k == "location" or k.startswith("ratelimit")}))
    status, again, _, _, headers = LIVE.exchange("POST", "/api/v1/date-courses", REQUEST, token, {"idempotency-key": key})
    check("the same Idempotency-Key -> 202 with the same task, no second unit",
          status == 202 and isinstance(again, dict) and again.get("id") == tid and rate_headers_ok(headers, limit, limit - 1),
          f"status {status} id {(again or {}).get('id') if isinstance(again, dict) else again!r}")
    status, view, _, _ = LIVE.call("GET", links["self"], token=token)
    check("GET the task -> 200, its owner's", status == 200 and isinstance(view, dict) and view.get("id") == tid,
          f"status {status}")
    status, body, _, ctype = LIVE.call("GET", links["self"], token=other)
    check("GET the task as someone else -> 403 problem+json", problem(status, body, ctype, 403), f"status {status} {ctype}")

    # ---- its events through the edge ------------------------------------------------------
    stream = f"{links['events']}?access_token={urllib.parse.quote(token)}"
    started = time.monotonic()
    status, ctype, frames, err = events(stream, started + (COURSE_WAIT if WORKER else 15.0), until_final=WORKER)
    first = frames[0] if frames else {}
    check("GET its /events?access_token= through the edge -> text/event-stream, first `task` event is the task",
          status == 200 and ctype.startswith("text/event-stream") and first.get("id") == tid,
          f"status {status} {ctype} {err} {frames[:1]!r}"[:300])

    if not WORKER:
        status, view, data, _ = LIVE.call("DELETE", links["self"], token=token)
        check("DELETE the task (nobody writes courses here) -> 200 cancelled",
              status == 200 and isinstance(view, dict) and view.get("status") == "cancelled", f"status {status} {data[:200]!r}")
        status, q, headers = quota(token)
        check("the cancelled task's unit is given back",
              status == 200 and isinstance(q, dict) and q.get("remaining") == limit and rate_headers_ok(headers, limit, limit),
              repr(q))
        status, body, _, ctype = LIVE.call("DELETE", links["self"], token=token)
        check("DELETE it again -> 409 problem+json", problem(status, body, ctype, 409), f"status {status} {ctype}")
        return LIVE.summary()

    # ---- the worker writes it -------------------------------------------------------------
    last = frames[-1] if frames else {}
    took = time.monotonic() - started
    if not check(f"the course is written within {COURSE_WAIT:.0f} s (events followed to `succeeded`)",
                 last.get("status") == "succeeded",
                 f"after {took:.1f} s: {err or ''} status {last.get('status')!r} error {last.get('error')!r}"[:300]):
        return LIVE.summary()
    doc = last.get("result")
    print(f"courses: written in {took:.1f} s by {(doc or {}).get('provider')!r} ({(doc or {}).get('model')!r}),"
          f" {len((doc or {}).get('stops') or [])} stops")
    bad = document_problems(doc, {**REQUEST})
    check("the course is a CourseDocument for the request (3-5 stops in Seoul, times, provider)", not bad, "; ".join(bad[:5]))
    found = False
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not found:
        status, mine, _, _ = LIVE.call("GET", "/api/v1/date-courses?size=10", token=token)
        items = mine.get("items") if isinstance(mine, dict) else None
        found = status == 200 and isinstance(items, list) and any(isinstance(c, dict) and c.get("id") == tid for c in items)
        if not found:
            time.sleep(0.25)
    check("it is in GET /api/v1/date-courses (the owner's saved courses)", found, f"status {status}")
    status, saved, _, _ = LIVE.call("GET", f"/api/v1/date-courses/{tid}", token=token)
    check("GET /api/v1/date-courses/{id} -> 200", status == 200 and isinstance(saved, dict), f"status {status}")
    status, body, _, ctype = LIVE.call("GET", f"/api/v1/date-courses/{tid}", token=other)
    check("someone else's saved course -> 403 problem+json", problem(status, body, ctype, 403), f"status {status} {ctype}")
    status, q, headers = quota(token)
    check("a written course keeps its unit", status == 200 and isinstance(q, dict) and q.get("remaining") == limit - 1
          and rate_headers_ok(headers, limit, limit - 1), repr(q))
    status, body, _, ctype = LIVE.call("DELETE", links["self"], token=token)
    check("cancelling a written course -> 409 problem+json", problem(status, body, ctype, 409), f"status {status} {ctype}")
    return LIVE.summary()


if __name__ == "__main__":
    sys.exit(main())
