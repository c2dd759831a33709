"""Limits answer correctly and leave the server healthy: request bodies (413), page sizes (400)
and the per-client rate limits of the anonymous endpoints (429 with RateLimit-* and
Retry-After)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from litestar.testing import TestClient

from registry.api.imports import MAX_IMPORT_BODY
from registry import limits
from registry.limits import CHECK_LIMIT, EXPORT_LIMIT, REVIEW_LIMIT, WHITELIST_LIMIT
from registry.app import DEFAULT_MAX_BODY, Settings, create_app
from registry.db import Registry
from registry.models import Role

VENDOR = json.loads((Path(__file__).parent / "records.json").read_text())["vendors"]

TOO_LARGE = "The request body is larger than this endpoint accepts; send less at once."
HOST = "rekenen.noorderlicht-demo.nl"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, peer_from_header):
    """An app with the demo data published, reachable from several client addresses, and
    the Registry and tokens behind it. One for the module: each test that counts requests
    comes from addresses of its own."""
    tmp_path = tmp_path_factory.mktemp("limits")
    registry = Registry(tmp_path / "registry.db")
    registry.migrate()
    _, procurement = registry.tokens.create("inkoop", Role.procurement)
    _, publisher = registry.tokens.create("sector", Role.publisher)
    registry.close()
    app = create_app(Settings(db_path=tmp_path / "registry.db", demo=True,
                              today=lambda: dt.date(2026, 11, 28)))
    with TestClient(peer_from_header(app)) as client:
        client.tokens = {"procurement": {"Authorization": f"Bearer {procurement}"},
                         "publisher": {"Authorization": f"Bearer {publisher}"}}
        client.registry = app.state.registry
        client.stores = app.stores
        yield client


def assert_healthy(client) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}
    assert client.get("/api/check", params={"q": HOST},
                      headers={"X-Test-Peer": "192.0.2.200"}).json()["status"] == "found"


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


# --- request bodies --------------------------------------------------------------------------


def padded(size: int) -> bytes:
    """A JSON body of exactly `size` bytes."""
    head = b'{"tool_name": "Rekenrijk", "reason": "'
    return head + b"a" * (size - len(head) - 2) + b'"}'


@pytest.mark.parametrize(("method", "path", "who", "limit"), [
    ("POST", "/api/review-requests", None, DEFAULT_MAX_BODY),
    ("POST", "/api/vendors", "procurement", DEFAULT_MAX_BODY),
    ("PUT", "/api/vendors/rekenfabriek", "procurement", DEFAULT_MAX_BODY),
    ("PUT", "/api/policy", "publisher", DEFAULT_MAX_BODY),
    ("POST", "/api/imports", "procurement", MAX_IMPORT_BODY),
])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_413_and_changes_nothing(demo, method, path, who, limit,
                                                          chunked, snapshot):
    before = snapshot(demo.registry)
    body = padded(limit + 1)
    content = (body[i:i + 65536] for i in range(0, len(body), 65536)) if chunked else body
    headers = {"content-type": "application/json", "If-Match": "*",
               **(demo.tokens[who] if who else {})}
    response = demo.request(method, path, content=content, headers=headers)
    assert problem(response, 413)["detail"] == TOO_LARGE
    assert snapshot(demo.registry) == before
    assert_healthy(demo)


def test_a_body_at_the_limit_is_read(demo):
    response = demo.post("/api/review-requests", content=padded(DEFAULT_MAX_BODY),
                         headers={"content-type": "application/json"})
    assert problem(response, 422)["errors"][0]["field"] == "$.reason"  # too long, but read


def test_an_anonymous_import_is_refused_before_its_body_is_read(demo):
    response = demo.post("/api/imports", content=padded(MAX_IMPORT_BODY + 1),
                         headers={"content-type": "application/json"})
    assert problem(response, 401)["title"] == "Authentication required"


# --- page sizes ----------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "/api/vendors?limit=201", "/api/tools?limit=0", "/api/agreements?limit=-1",
    "/api/assessments?limit=99999999999999999999", "/api/tools?offset=-1",
    "/api/vendors?limit=abc", "/api/review-requests?limit=201", "/api/expiring?within=3651",
])
def test_a_page_size_out_of_range_is_400(demo, query):
    response = demo.get(query, headers=demo.tokens["procurement"])
    body = problem(response, 400)
    assert body["errors"] and body["errors"][0]["location"] == "query", body
    assert_healthy(demo)


def test_the_largest_page_is_200_items(demo):
    body = demo.get("/api/tools?limit=200", headers=demo.tokens["procurement"]).json()
    assert (body["limit"], len(body["items"])) == (200, 26)


def test_a_check_question_over_4000_characters_is_400(demo):
    response = demo.get("/api/check", params={"q": "https://x.nl/" + "a" * 3988})
    assert problem(response, 400)["errors"][0]["field"] == "q"


# --- rate limits ---------------------------------------------------------------------------


def rate_headers(response) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items()
            if k.lower().startswith("ratelimit-") or k.lower() == "retry-after"}


def assert_limited(response, limit: int, window: int = 60) -> None:
    body = problem(response, 429)
    assert body["title"] == "Too many requests"
    headers = rate_headers(response)
    assert headers["ratelimit-policy"] == f"{limit}; w={window}"
    assert (headers["ratelimit-limit"], headers["ratelimit-remaining"]) == (str(limit), "0")
    assert 0 <= int(headers["ratelimit-reset"]) <= window
    assert 1 <= int(headers["retry-after"]) <= window


def test_the_check_is_limited_per_client(demo):
    limit = CHECK_LIMIT.rate_limit[1]
    me = {"X-Test-Peer": "192.0.2.10"}
    for n in range(limit):
        response = demo.get("/api/check", params={"q": HOST}, headers=me)
        assert response.status_code == 200, (n, response.text)
        assert rate_headers(response)["ratelimit-remaining"] == str(limit - n - 1)
    assert_limited(demo.get("/api/check", params={"q": HOST}, headers=me), limit)
    # A forwarded-for header does not make a new client (it could say anything).
    spoofed = me | {"X-Forwarded-For": "198.51.100.7", "X-Real-IP": "198.51.100.7",
                    "Forwarded": "for=198.51.100.7"}
    assert_limited(demo.get("/api/check", params={"q": HOST}, headers=spoofed), limit)
    # Other teachers go on; so does this one's review request, which has its own limit.
    other = demo.get("/api/check", params={"q": HOST}, headers={"X-Test-Peer": "192.0.2.11"})
    assert (other.status_code, rate_headers(other)["ratelimit-remaining"]) == (200,
                                                                              str(limit - 1))
    asked = demo.post("/api/review-requests", json={"tool_name": "Nieuwe tool"}, headers=me)
    assert asked.status_code == 202, asked.text
    assert_healthy(demo)


def test_review_requests_are_limited_per_client_and_refused_ones_are_not_counted(demo):
    limit = REVIEW_LIMIT.rate_limit[1]
    me = {"X-Test-Peer": "192.0.2.20"}
    for n in range(limit):
        response = demo.post("/api/review-requests", json={"tool_name": "Plakbord"}, headers=me)
        assert response.status_code == 202, response.text
    assert_limited(demo.post("/api/review-requests", json={"tool_name": "Plakbord"},
                             headers=me), limit)

    def count() -> list[int]:
        queue = demo.get("/api/review-requests", headers=demo.tokens["procurement"]).json()
        return [r.get("count", 1) for r in queue["items"] if r.get("tool_name") == "Plakbord"]

    assert count() == [1]  # one address counts once a day, however often it asks
    other = demo.post("/api/review-requests", json={"tool_name": "Plakbord"},
                      headers={"X-Test-Peer": "192.0.2.21"})
    assert other.status_code == 202 and count() == [2]
    assert_healthy(demo)


@pytest.mark.parametrize("path", ["/api/embed/tools", "/embed"])
def test_the_embed_feed_and_page_are_limited_per_client(demo, path):
    from registry.limits import EMBED_LIMIT

    limit = EMBED_LIMIT.rate_limit[1]
    me = {"X-Test-Peer": "192.0.2.30" if path == "/embed" else "192.0.2.31"}
    for n in range(limit):
        response = demo.get(path, params={"level": "PO"}, headers=me)
        assert response.status_code == 200, (n, response.text[:200])
    assert rate_headers(response)["ratelimit-remaining"] == "0"
    refused = demo.get(path, params={"level": "PO"}, headers=me)
    assert refused.status_code == 429
    assert rate_headers(refused)["ratelimit-limit"] == str(limit)
    assert_healthy(demo)


def test_the_whitelist_is_limited_per_client_in_pages_it_builds(demo):
    limit = WHITELIST_LIMIT.rate_limit[1]
    me = {"X-Test-Peer": "192.0.2.40"}

    def page(n: int) -> str:  # a query string of its own: built, not kept
        return f"/lijst/witte-lijst/vendors.json?_size=1&_nocount=1&_facet=country&_n={n}"

    for n in range(limit):
        response = demo.get(page(n), headers=me)
        assert response.status_code == 200, (n, response.text[:300])
        assert rate_headers(response)["ratelimit-remaining"] == str(limit - n - 1)
    assert_limited(demo.get(page(limit), headers=me), limit)
    assert_limited(demo.get(page(limit), headers=me | {"X-Forwarded-For": "198.51.100.8"}),
                   limit)
    assert_limited(demo.post("/lijst/witte-lijst/tools", headers=me), limit)
    # A page that is already kept costs nothing to send: it is not counted.
    kept = demo.get(page(0), headers=me)
    assert kept.status_code == 200 and "ratelimit-limit" not in rate_headers(kept)
    # Other clients go on, and so does this one's check.
    other = demo.get(page(limit), headers={"X-Test-Peer": "192.0.2.41"})
    assert (other.status_code, rate_headers(other)["ratelimit-remaining"]) == (200,
                                                                              str(limit - 1))
    assert demo.get("/api/check", params={"q": HOST}, headers=me).status_code == 200
    assert_healthy(demo)


@pytest.mark.parametrize(("path", "peer"), [
    ("/lijst/witte-lijst.db", "192.0.2.50"),
    ("/lijst/witte-lijst/tools.csv?_stream=on&_size=max", "192.0.2.51"),
    ("/lijst/witte-lijst/changes.csv?_stream=1", "192.0.2.52"),
])
def test_whole_file_exports_have_a_much_stricter_limit(demo, path, peer):
    limit, window = EXPORT_LIMIT.rate_limit[1], 3600
    assert EXPORT_LIMIT.rate_limit[0] == "hour" and limit < WHITELIST_LIMIT.rate_limit[1] / 10
    me = {"X-Test-Peer": peer}
    for n in range(limit):
        response = demo.get(path, headers=me)
        assert response.status_code == 200, (n, response.text[:300])
        assert rate_headers(response)["ratelimit-remaining"] == str(limit - n - 1)
    assert_limited(demo.get(path, headers=me), limit, window)
    assert_limited(demo.get("/lijst/witte-lijst/vendors.csv?_stream=on", headers=me), limit,
                   window)
    # The same client may still read pages; other clients may still export.
    assert demo.get("/lijst/witte-lijst/vendors.csv?_size=5", headers=me).status_code == 200
    assert demo.get(path, headers={"X-Test-Peer": "192.0.2.99"}).status_code == 200
    assert_healthy(demo)


def test_the_registry_side_is_not_rate_limited(demo):
    # Token holders are few and known; their work (say a script that reads every tool)
    # must not stop at the teachers' limit.
    for _ in range(CHECK_LIMIT.rate_limit[1] + 1):
        response = demo.get("/api/vendors?limit=1", headers=demo.tokens["procurement"])
        assert response.status_code == 200
    assert "ratelimit-limit" not in rate_headers(response)
    assert demo.post("/api/vendors", json=VENDOR,
                     headers=demo.tokens["procurement"]).status_code == 201


def test_counts_are_kept_in_counting_stores_even_when_empty(demo):
    # Litestar's StoreRegistry replaces a store that is falsy by a MemoryStore, and our
    # limiter would then fall back to Litestar's: an empty CountingStore must stay truthy.
    for limit in limits.LIMITS:
        assert type(demo.stores.get(limit.store)) is limits.CountingStore
    assert limits.CountingStore()
    assert demo.stores.get(CHECK_LIMIT.store).clients() > 0  # the checks above counted here


def test_windows_that_ended_are_swept(monkeypatch):
    monkeypatch.setattr(limits, "SWEEP_EVERY", 3)
    store = limits.CountingStore()
    assert store.hit("gone", 10, -1) == (1, store._windows["gone"][1], True)  # ended at once
    store.hit("kept", 10, 60)
    assert store.clients() == 2
    store.hit("new", 10, 60)  # the third window opened sweeps first
    assert sorted(store._windows) == ["kept", "new"]


def test_a_full_window_refuses_without_counting_and_a_new_one_starts_over(monkeypatch):
    now = [1_000_000]
    monkeypatch.setattr(limits.time, "time", lambda: now[0])
    store = limits.CountingStore()
    assert [store.hit("a", 2, 60) for _ in range(3)] == [
        (1, 1_000_060, True), (2, 1_000_060, True), (2, 1_000_060, False)]
    now[0] = 1_000_060  # the window has ended
    assert store.hit("a", 2, 60) == (1, 1_000_120, True)
    assert store.hit("b", 2, 60) == (1, 1_000_120, True)  # each client its own window


def test_any_other_store_gets_litestars_own_limiter(tmp_path):
    from litestar.stores.memory import MemoryStore

    app = create_app(Settings(db_path=tmp_path / "registry.db", demo=True,
                              today=lambda: dt.date(2026, 11, 28)))
    app.stores.register(CHECK_LIMIT.store, MemoryStore(), allow_override=True)
    with TestClient(app) as client:
        for n in range(2):
            response = client.get("/api/check", params={"q": HOST})
            assert rate_headers(response)["ratelimit-remaining"] == str(299 - n)
