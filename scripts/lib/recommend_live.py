#!/usr/bin/env python3
"""Real recommend traffic against a running stack, for scripts/lib/live-checks.sh: two new
users, two posts and a product made through the api, then every route of docs/recommend.md
(search until the new post is found, similar, for you, popular products, a view event, the
OpenAPI document) with the answers' shapes checked against that contract, so that each
recommend metric the alerts and dashboards use has a value when /metrics is scraped. Through
the edge, it is also the edge's routing tested against the real services (recommend's five
public paths, and the api keeping /api/v1/posts/{id} beside them).

    recommend_live.py BASE_URL   e.g. http://127.0.0.1:18080 (the edge: api and recommend behind it)

Each step prints one PASS/FAIL line; exit status 1 when any failed. Standard library only.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.parse

from live_http import Live

LIVE = Live("recommend", sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080")
HOST, PORT = LIVE.host, LIVE.port
check = LIVE.check
# How long a new post may take from the api's 201 to a search hit: the outbox relay, the
# content.created event, embedding and the index.
INDEX_WAIT = 5.0
KINDS = {"post", "product", "emoji", "user"}
REASONS = {"matched", "similar_to", "because_you_liked", "because_you_viewed", "popular", "latest"}
MATCHED_BY = {"semantic", "fulltext"}


call = LIVE.call


def problem(status: int, body, ctype: str, want: tuple[int, ...]) -> bool:
    """An error in the shape of ARCHITECTURE.md §4: problem+json with a status and a code."""
    return (
        status in want
        and ctype.startswith("application/problem+json")
        and isinstance(body, dict)
        and body.get("status") == status
        and bool(body.get("code"))
    )


def card_problems(card, *, search: bool) -> list[str]:
    """What is wrong with one card, per docs/recommend.md ("A card")."""
    if not isinstance(card, dict):
        return [f"not an object: {card!r}"]
    out = []
    for key in ("kind", "id", "title", "snippet", "owner", "created_at", "score", "why"):
        if key not in card:
            out.append(f"no {key}")
    if card.get("kind") not in KINDS:
        out.append(f"kind {card.get('kind')!r}")
    if not isinstance(card.get("snippet", ""), str) or len(card.get("snippet") or "") > 160:
        out.append("snippet is not a string of at most 160 characters")
    owner = card.get("owner")
    if not (isinstance(owner, dict) and {"id", "username", "display_name"} <= set(owner)):
        out.append(f"owner {owner!r}")
    if not isinstance(card.get("score"), (int, float)):
        out.append(f"score {card.get('score')!r}")
    if card.get("kind") == "product" and not isinstance(card.get("price"), int):
        out.append(f"product price {card.get('price')!r}")
    why = card.get("why")
    if not (isinstance(why, dict) and why.get("reason") in REASONS and isinstance(why.get("text"), str)):
        out.append(f"why {why!r}")
    if search:
        mb = card.get("matched_by")
        if not (isinstance(mb, list) and mb and set(mb) <= MATCHED_BY):
            out.append(f"matched_by {mb!r}")
    elif card.get("matched_by") is not None:
        out.append("matched_by outside search")
    return out


def cards_ok(name: str, items, *, search: bool = False, kind: str | None = None) -> bool:
    if not isinstance(items, list):
        return check(name, False, f"items {items!r}")
    bad = []
    for c in items:
        p = card_problems(c, search=search)
        if kind and isinstance(c, dict) and c.get("kind") != kind:
            p.append(f"kind {c.get('kind')!r}, want {kind}")
        if p:
            bad.append(f"{(c or {}).get('id') if isinstance(c, dict) else c}: {', '.join(p)}")
    return check(name, not bad, "; ".join(bad[:3]))


def user(tag: str) -> tuple[str, str]:
    return LIVE.user(tag, "recommend live password 1")


def poll(path: str, has, token: str | None = None):
    """GETs path until has(items) holds or INDEX_WAIT passes: (status, body, raw, seconds, ok)."""
    started = time.monotonic()
    while True:
        status, res, data, _ = call("GET", path, token=token)
        items = res.get("items") if isinstance(res, dict) else None
        ok = status == 200 and isinstance(items, list) and has(items)
        if ok or time.monotonic() - started >= INDEX_WAIT:
            return status, res, data, time.monotonic() - started, ok
        time.sleep(0.25)


def holds(item_id: str):
    return lambda items: any(isinstance(c, dict) and c.get("id") == item_id for c in items)


def create(path: str, body: dict, token: str) -> str:
    status, made, data, _ = call("POST", path, body, token)
    if status != 201 or not isinstance(made, dict) or "id" not in made:
        raise SystemExit(f"FAIL recommend: POST {path} through the api: {status} {data[:200]!r}")
    return made["id"]


def main() -> int:
    alice, a_token = user("a")
    bob, b_token = user("b")
    # A word no other content has, so search can only find it in this run's posts; the fixed
    # words give the embedder something to compare (the two posts are about the same thing).
    word = f"glazeword{os.getpid()}x{int(time.time()) % 100000}"
    post1 = create("/api/v1/posts", {
        "title": f"Handmade ceramic mug with a blue {word} glaze",
        "text": f"I threw this mug on the wheel and glazed it blue ({word}). Coffee tastes better from it.",
        "tags": ["ceramics"],
    }, a_token)
    post2 = create("/api/v1/posts", {
        "title": "A blue glazed ceramic cup from the pottery wheel",
        "text": "My first cup thrown on the pottery wheel, with a deep blue glaze. Tea tastes better from it.",
        "tags": ["ceramics"],
    }, b_token)
    product = create("/api/v1/products", {
        "name": f"Blue ceramic mug {word}",
        "price": 12000,
        "description": "A handmade mug with a blue glaze, 350 ml.",
    }, a_token)
    print(f"recommend: made posts {post1}, {post2} and product {product} through the api")

    status, spec, _, _ = call("GET", "/api/v1/recommend/openapi.json")
    check("GET /api/v1/recommend/openapi.json is recommend's OpenAPI document",
          status == 200 and isinstance(spec, dict) and "paths" in spec, f"status {status}")

    # ---- search: until the new post is indexed -------------------------------------------
    q = urllib.parse.quote(word)
    status, found, data, took, ok = poll(f"/api/v1/search?q={q}&type=post", holds(post1))
    if not check(f"GET /api/v1/search?q=<word>&type=post finds the new post within {INDEX_WAIT:.0f} s",
                 ok, f"after {took:.1f} s: status {status}, {data[:300]!r}"):
        return 1
    print(f"recommend: the post was found by search {took:.2f} s after the api's 201")
    check("search answers {q, type, method, page, size, has_more, items} (hybrid, page 1, size 20 by default)",
          found.get("q") == word and found.get("type") == "post" and found.get("method") == "hybrid"
          and found.get("page") == 1 and found.get("size") == 20 and isinstance(found.get("has_more"), bool),
          repr({k: v for k, v in found.items() if k != "items"}))
    cards_ok("search results are post cards with why and matched_by", found["items"], search=True, kind="post")
    hit = next(c for c in found["items"] if c.get("id") == post1)
    check("the hit carries the post's title, its author and why.reason `matched`",
          word in (hit.get("title") or "") and (hit.get("owner") or {}).get("username") == alice
          and (hit.get("why") or {}).get("reason") == "matched", repr(hit)[:300])
    for method in ("semantic", "fulltext"):
        status, res, data, _ = call("GET", f"/api/v1/search?q={q}&type=post&method={method}&size=5")
        check(f"search method={method} -> 200 with that method",
              status == 200 and isinstance(res, dict) and res.get("method") == method and res.get("size") == 5,
              f"status {status} {data[:200]!r}")
    status, res, data, took, ok = poll(f"/api/v1/search?q={q}&type=product", holds(product))
    check(f"search type=product finds the new product within {INDEX_WAIT:.0f} s", ok,
          f"after {took:.1f} s: status {status}, {data[:300]!r}")
    if ok:
        cards_ok("product search results are product cards with a price", res["items"], search=True, kind="product")
    status, body, _, ctype = call("GET", f"/api/v1/search?q={q}&type=nonsense")
    check("search with an unknown type -> 4xx problem+json", problem(status, body, ctype, (400, 422)), f"status {status} {ctype}")
    status, body, _, ctype = call("GET", f"/api/v1/search?q={q}&size=51")
    check("search with size 51 -> 4xx problem+json", problem(status, body, ctype, (400, 422)), f"status {status} {ctype}")

    # ---- similar -------------------------------------------------------------------------
    status, res, data, took, ok = poll(f"/api/v1/posts/{post1}/similar?size=5", holds(post2))
    check("GET /api/v1/posts/{id}/similar -> {items} with the other ceramics post", ok,
          f"after {took:.1f} s: status {status} {data[:300]!r}")
    items = res.get("items") if isinstance(res, dict) else None
    if isinstance(items, list):
        cards_ok("similar posts are post cards without matched_by", items, kind="post")
        check("similar never returns the item itself", all(c.get("id") != post1 for c in items if isinstance(c, dict)))
        check("similar cards say why.reason `similar_to`",
              all((c.get("why") or {}).get("reason") == "similar_to" for c in items if isinstance(c, dict)), repr(items)[:300])
    status, body, _, ctype = call("GET", "/api/v1/posts/00000000-0000-7000-8000-000000000000/similar")
    check("similar of an unknown post -> 404 problem+json", problem(status, body, ctype, (404,)), f"status {status} {ctype}")
    status, res, data, _ = call("GET", f"/api/v1/products/{product}/similar?size=5")
    check("GET /api/v1/products/{id}/similar -> 200 {items}", status == 200 and isinstance(res, dict)
          and isinstance(res.get("items"), list), f"status {status} {data[:200]!r}")
    if status == 200 and isinstance(res, dict):
        cards_ok("similar products are product cards", res.get("items"), kind="product")
    # The api keeps the item itself (and the other routes beside `similar`).
    status, post, _, _ = call("GET", f"/api/v1/posts/{post1}")
    check("GET /api/v1/posts/{id} is still the api's (a PostView)",
          status == 200 and isinstance(post, dict) and post.get("id") == post1 and "author" in post, f"status {status}")

    # ---- for you, popular, views ---------------------------------------------------------
    for kind in ("posts", "products"):
        status, body, _, ctype = call("GET", f"/api/v1/recommend/{kind}")
        check(f"GET /api/v1/recommend/{kind} without a token -> 401 problem+json",
              problem(status, body, ctype, (401,)), f"status {status} {ctype}")
        status, res, data, _ = call("GET", f"/api/v1/recommend/{kind}?size=10", token=b_token)
        check(f"GET /api/v1/recommend/{kind} -> 200 {{items, cold_start}}",
              status == 200 and isinstance(res, dict) and isinstance(res.get("items"), list)
              and isinstance(res.get("cold_start"), bool), f"status {status} {data[:200]!r}")
        if status == 200 and isinstance(res, dict):
            cards_ok(f"for-you {kind} are {kind[:-1]} cards", res.get("items"), kind=kind[:-1])
    status, res, data, _ = call("GET", "/api/v1/products/recommend?size=5")
    check("GET /api/v1/products/recommend (no token) -> 200 {items}",
          status == 200 and isinstance(res, dict) and isinstance(res.get("items"), list), f"status {status} {data[:200]!r}")
    if status == 200 and isinstance(res, dict):
        cards_ok("popular products are product cards", res.get("items"), kind="product")

    view = {"item": post1, "dwell_ms": 4200}
    status, body, _, ctype = call("POST", "/api/v1/recommend/events/views", view)
    check("POST /api/v1/recommend/events/views without a token -> 401 problem+json",
          problem(status, body, ctype, (401,)), f"status {status} {ctype}")
    status, res, data, _ = call("POST", "/api/v1/recommend/events/views", view, b_token)
    check("POST /api/v1/recommend/events/views -> 202 {accepted: true}",
          status == 202 and isinstance(res, dict) and res.get("accepted") is True, f"status {status} {data[:200]!r}")
    status, res, data, _ = call("GET", "/api/v1/recommend/posts?size=10", token=b_token)
    check("for you still answers after a view", status == 200 and isinstance(res, dict), f"status {status}")

    return LIVE.summary()


if __name__ == "__main__":
    sys.exit(main())
