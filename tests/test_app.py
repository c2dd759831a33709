"""The app as a whole: offline docs, the OpenAPI document, guards on the event loop."""

from __future__ import annotations

import inspect
import re

from registry.api.records import CONTROLLERS


def test_docs_page_loads_only_local_assets(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert urls, "the docs page references its scripts and styles"
    for url in urls:
        assert url.startswith("/api/docs/"), f"{url} is not served by us"
        assert client.get(url).status_code == 200, url


def test_openapi_documents_every_problem_status(client):
    spec = client.get("/api/docs/openapi.json").json()
    ops = {op["operationId"]: op for path in spec["paths"].values() for op in path.values()}
    expected = {
        "create_tool": {"201", "400", "401", "403", "409", "413", "422"},
        "update_tool": {"200", "400", "401", "403", "404", "409", "412", "413", "422", "428"},
        "archive_tool": {"200", "400", "401", "403", "404", "409", "412", "428"},
        "list_tools": {"200", "400", "401"},
        "get_tool": {"200", "400", "401", "404"},
        "history_tool": {"200", "400", "401", "404"},
    }
    for op_id, statuses in expected.items():
        assert set(ops[op_id]["responses"]) == statuses, op_id
        for status in statuses - {"200", "201"}:
            assert list(ops[op_id]["responses"][status]["content"]) == ["application/problem+json"]
    assert spec["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"


def test_guards_run_on_the_event_loop():
    # A sync guard runs in a thread pool and would share the SQLite connection with a
    # write in progress on the loop.
    for controller in CONTROLLERS:
        for handler in controller.__dict__.values():
            for guard in getattr(handler, "guards", None) or []:
                assert inspect.iscoroutinefunction(guard), guard
            fn = getattr(handler, "fn", None)
            if fn is not None:
                assert inspect.iscoroutinefunction(fn), fn


def test_health(client):
    assert client.get("/api/health").json() == {"status": "ok"}


def test_unknown_path_is_a_problem(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
