#!/usr/bin/env python3
"""Date courses end to end against a running api and recommend worker (scripts/bench/courses.sh).

Asks REQUESTS courses (cycling over a fixed list of Korean and English requests), one at a
time, as fresh people (five each: the daily quota), polls every task to its end, and prints one
JSON object: the count per outcome and provider, p50/p90/max of the time from 202 to
`succeeded`, and every course (title, provider, language, stops, first stop's note).

    courses.py API_URL REQUESTS OUT.json
Standard library only.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
import urllib.error
import urllib.request

API, COUNT, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3]
WAIT = 300.0
REQUESTS = [
    {"region": "seoul", "season": "spring", "time_of_day": "afternoon", "transport": "walk",
     "mood": "quiet palaces and traditional tea", "language": "en"},
    {"region": "busan", "season": "summer", "time_of_day": "night", "transport": "transit",
     "mood": "바다 야경", "language": "ko"},
    {"region": "jeju", "season": "autumn", "time_of_day": "morning", "transport": "car",
     "mood": "oreum trails and the sea", "language": "en"},
    {"region": "seoul", "season": "winter", "time_of_day": "evening", "transport": "transit",
     "mood": "따뜻한 실내 전시와 야경", "language": "ko"},
    {"region": "jeju", "season": "spring", "time_of_day": "afternoon", "transport": "car",
     "mood": "유채꽃과 카페", "language": "ko"},
]


def call(method: str, path: str, body=None, token: str | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(API + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def person(n: int) -> str:
    name = f"bench{int(time.time())}_{n}"
    status, body = call("POST", "/api/v1/users",
                        {"username": name, "email": f"{name}@example.com", "password": "bench password 1"})
    assert status == 201, (status, body)
    status, body = call("POST", "/api/v1/auth/login", {"login": name, "password": "bench password 1"})
    assert status == 200, (status, body)
    return body["access_token"]


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p * len(ordered))))
    return round(ordered[rank - 1], 3)


def main() -> None:
    token, courses, seconds, outcomes = None, [], [], {}
    for i in range(COUNT):
        if i % 5 == 0:
            token = person(i // 5)
        request = REQUESTS[i % len(REQUESTS)]
        started = time.monotonic()
        status, task = call("POST", "/api/v1/date-courses", request, token)
        assert status == 202, (status, task)
        path = f"/api/v1/date-courses/tasks/{task['id']}"
        while time.monotonic() - started < WAIT:
            _, task = call("GET", path, token=token)
            if task["status"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        doc = task.get("result") or {}
        key = f"{task['status']}:{doc.get('provider', '-')}"
        outcomes[key] = outcomes.get(key, 0) + 1
        if task["status"] == "succeeded":
            seconds.append(elapsed)
        courses.append({
            "request": request, "seconds": round(elapsed, 2), "status": task["status"],
            "provider": doc.get("provider"), "model": doc.get("model"), "title": doc.get("title"),
            "intro": doc.get("intro"),
            "stops": [f"{s['arrival']} {s['name']} (+{s['travel_minutes']} min)" for s in doc.get("stops", [])],
            "first_note": (doc.get("stops") or [{}])[0].get("note"), "tips": doc.get("tips"),
        })
        print(f"{i + 1}/{COUNT} {task['status']} {doc.get('provider')} {elapsed:.1f}s {doc.get('title')}",
              file=sys.stderr)
    report = {"requests": COUNT, "outcomes": outcomes}
    if seconds:
        report.update({"p50_s": nearest_rank(seconds, 0.5), "p90_s": nearest_rank(seconds, 0.9),
                       "max_s": round(max(seconds), 3), "mean_s": round(statistics.mean(seconds), 3)})
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"report": report, "courses": courses}, f, ensure_ascii=False, indent=1)
    print(json.dumps(report))


main()
