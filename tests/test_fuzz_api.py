"""The API against its own OpenAPI document: schemathesis generates requests, in-process.

Every built-in check is on: no server errors, documented status codes, content types and
headers, response schemas, rejection of invalid input (negative cases), authentication that
is really enforced (`ignored_auth`), `Allow` on OPTIONS. Generation is derandomized with a
fixed seed, so CI sees the same cases on every run.

The schema is loaded from the app's own document at import time and the app starts on the
first case, on a fresh database with the demo data (one per run, not per case). Two things
are set up the way they are for a reason:

- `schemathesis.pytest.from_fixture` (lazy loading) does not work with pytest 9.2 (it reads
  `Function._nodeid`, which pytest renamed), hence the document at import time. The
  publisher token is made when schemathesis first asks for it, which is while pytest
  collects (see `publisher_secret`); nothing else is written before the first case runs.
- The coverage phase is off: it costs 25 s at every collection. The fuzzing phase and the
  examples phase run with the publisher token (the test asserts it): 100 cases for every
  operation that takes input (those without any, such as /api/health, have one case).
- Schema-valid requests may get 412 and 422 only for what the document cannot say (see
  CONFIG and `refused_only_for_what_the_document_cannot_say`).
- schemathesis' pytest plugin shuts the app down after each operation and starts it again
  for the next, as an app can be (this found a closed connection that was used again).
"""

from __future__ import annotations

import atexit
import datetime as dt
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import schemathesis

from registry.limits import LIMITS, CountingStore
from registry.app import Settings, create_app
from registry.db import Registry
from registry.models import Role

pytestmark = pytest.mark.fuzz

SEED = 20261128
EXAMPLES = 100
TODAY = dt.date(2026, 11, 28)
FOLDER = Path(tempfile.gettempdir()) / f"registry-fuzz-{uuid.uuid4().hex}"
APP = create_app(Settings(db_path=FOLDER / "registry.db", demo=True, today=lambda: TODAY))

CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    "suppress-health-check": ["too_slow"],  # depends on the machine's load, not on the API
    "phases": {"coverage": {"enabled": False}},
    "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
    "checks": {
        # Schema-valid requests may get, besides schemathesis' defaults (2xx, 3xx, 401, 403,
        # 404, 409, 429, 5xx), two statuses that hang on what the registry holds, which no
        # document can know, like 404 and 409; `refused_only_for_what_the_document_cannot_say`
        # below fails any other reason for them:
        # - 412: If-Match names a version other than the record's or policy's current one;
        # - 422: a rule JSON Schema cannot state, each named in the operation's 422
        #   description: a reference to a record that does not exist, dates in order, a host
        #   listed twice, a body `id` other than the URL's, an id twice in one bundle (with
        #   an import's conflicts, 409s alone, listed beside them).
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429",
                                  "5xx"],
        },
    },
})
# What a schema-valid request may be refused for with 412 or 422 (see CONFIG), by the words of
# the registry's own messages. Anything else (an unknown field, a constraint or cross-field
# rule the document could have said) is a mismatch between the API and its document.
STATE_RULES = {
    412: (r"not the one in If-Match",),
    422: (r"there is no (vendor|tool|board) with id", r"belongs to vendor", r"the id in the URL",
          r"a board may not approve a tool the sector rejected",
          r"has a live decision on tool '[^']*' already",
          r"must be after `", r"`domains` lists the same value twice",
          r"may appear only once per kind", r"in the registry \(version \d+",
          r"is archived in the registry"),
}


@schemathesis.check
def refused_only_for_what_the_document_cannot_say(ctx, response, case):
    """A schema-valid request refused with 412 or 422 names a rule of STATE_RULES, and only
    such rules."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    rules = STATE_RULES.get(response.status_code)
    if rules is None:
        return None
    body = response.json()
    messages = [e["message"] for e in body.get("errors", [])] or [body["detail"]]
    for message in messages:
        if not any(re.search(rule, message) for rule in rules):
            raise AssertionError(f"Refused for a rule the document could say: {message}")
    return True
schema = schemathesis.openapi.from_dict(APP.openapi_schema.to_schema(), config=CONFIG)
schema.app = APP
TOKEN: dict[str, str] = {}


def publisher_secret() -> str:
    """The publisher token, made on first need: schemathesis asks for it while pytest
    collects (it builds the examples phase's cases then), before any fixture runs. Asked
    then, a fixture's token did not exist yet; schemathesis kept that empty answer for 300 s,
    so every case of every guarded operation went without it, was answered 401, and its checks
    saw nothing else."""
    if "secret" not in TOKEN:
        registry = Registry(FOLDER / "registry.db")
        registry.migrate()
        _, TOKEN["secret"] = registry.tokens.create("fuzz", Role.publisher)
        registry.close()
    return TOKEN["secret"]


atexit.register(shutil.rmtree, FOLDER, True)  # made at collection even if no case runs


@schema.auth()
class PublisherToken:
    """The publisher token for every operation that declares `BearerToken` security.

    Through schemathesis' auth (not a fixed header) so that negative cases that leave the
    token out really leave it out, and `ignored_auth` sends its probes without it.
    """

    def get(self, case, context):
        return publisher_secret()

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(scope="module")
def publisher_token():
    yield publisher_secret()
    # schemathesis' pytest plugin has shut the app down after each operation's test.
    TOKEN.clear()
    shutil.rmtree(FOLDER, ignore_errors=True)


@schema.parametrize()
def test_api_conforms_to_its_openapi_document(case, publisher_token):
    # The anonymous endpoints are rate limited per client (10 review requests a minute):
    # start each case with empty counters, or all but the first few would only see 429.
    for limit in LIMITS:
        APP.stores.register(limit.store, CountingStore(), allow_override=True)
    if case.operation.definition.raw.get("security") and case.meta.generation.mode.is_positive:
        # Or the checks of every guarded operation see nothing but 401 (as they once did).
        assert case.headers["Authorization"] == f"Bearer {publisher_token}"
    case.call_and_validate()


def test_every_operation_is_fuzzed_derandomized_with_every_check():
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    checks = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
              "response_schema_conformance", "response_headers_conformance",
              "positive_data_acceptance", "negative_data_rejection", "ignored_auth",
              "missing_required_header", "unsupported_method", "allow_header_conformance",
              "refused_only_for_what_the_document_cannot_say")
    for operation in operations:
        settings = schema.config.get_hypothesis_settings(operation=operation, phase="fuzzing")
        assert (settings.max_examples, settings.derandomize) == (EXAMPLES, True)
        assert schema.config.phases_for(operation=operation).fuzzing.enabled
        config = schema.config.checks_config_for(operation=operation, phase="fuzzing")
        assert all(config.get_by_name(name=check).enabled for check in checks), operation.label
    assert schema.config.seed == SEED


# --- authentication, separately: every guarded operation refuses a missing or bad token ----


def guarded_operations() -> list[tuple[str, str, list]]:
    out = []
    for path, operations in APP.openapi_schema.to_schema()["paths"].items():
        for method, operation in operations.items():
            if operation.get("security"):
                out.append((method.upper(), path, operation["security"]))
    return out


GUARDED = guarded_operations()


def test_every_write_and_every_registry_read_is_guarded():
    anonymous = {(m, p) for p, ops in APP.openapi_schema.to_schema()["paths"].items()
                 for m, op in ((k.upper(), v) for k, v in ops.items()) if not op.get("security")}
    # The teacher's side and the public documents, nothing else.
    assert {(m, p) for m, p in anonymous if m != "GET"} == {("POST", "/api/review-requests")}
    assert len(GUARDED) >= 30
    assert all(security == [{"BearerToken": []}] for _, _, security in GUARDED)


@pytest.mark.parametrize("who", ["none", "unknown", "revoked", "not-bearer"])
def test_guarded_operations_answer_401_without_a_valid_token(client, tokens, who):
    headers = {
        "none": {},
        "unknown": {"Authorization": "Bearer wlr_" + "x" * 43},
        "revoked": {"Authorization": tokens["revoked"]},
        "not-bearer": {"Authorization": tokens["publisher"].replace("Bearer", "Basic")},
    }[who]
    for method, path, _ in GUARDED:
        url = path.replace("{record_id}", "rekenrijk").replace("{name}", "bundle").replace(
            "{version}", "1").replace("{prepared_id}", "pr-1")
        response = client.request(method, url, headers=headers, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"] == 'Bearer realm="registry"'


def test_publisher_operations_refuse_a_procurement_token(client, auth):
    publisher_only = [("PUT", "/api/policy"), ("POST", "/api/policy/simulate"),
                      ("POST", "/api/publications"), ("POST", "/api/publications/prepared"),
                      ("POST", "/api/publications/prepared/x/approve"),
                      ("POST", "/api/publications/prepared/x/withdraw"),
                      ("POST", "/api/policy/prepared/x/approve"),
                      ("POST", "/api/policy/prepared/x/withdraw")]
    for method, path in publisher_only:
        response = client.request(method, path, headers=auth, json={})
        assert response.status_code == 403, (method, path, response.text)


def test_options_lists_every_method_of_a_path(client):
    # Found by the fuzzing above: Litestar 2 answered `Allow: GET, OPTIONS` for /api/policy.
    expected = {"/api/policy": "GET, OPTIONS, PUT", "/api/vendors": "GET, OPTIONS, POST",
                "/api/tools/rekenrijk": "DELETE, GET, OPTIONS, PUT",
                "/api/publications": "GET, OPTIONS, POST"}
    for path, allow in expected.items():
        response = client.options(path)
        assert (response.status_code, response.headers["allow"]) == (204, allow), path


def test_litestar_still_needs_the_options_patch():
    """Pins `registry.api.answer_options_with_every_method` to the Litestar it patches.

    Fails when Litestar fixes issue 4169 (fixed in 3.x): then remove the patch and this test.
    Fails too when the internals the patch touches are gone: then the patch needs a rewrite."""
    from litestar import Litestar
    from litestar.routes import HTTPRoute
    from litestar.testing import TestClient

    from registry.api import answer_options_with_every_method
    from registry.api.dependencies import DEPENDENCIES
    from registry.api.policy import read_policy, replace_policy
    from registry.whitelist.app import DEPENDENCIES as READ_DEPENDENCIES

    def app(patched: bool) -> Litestar:
        made = Litestar(route_handlers=[read_policy, replace_policy],
                        dependencies={**READ_DEPENDENCIES, **DEPENDENCIES})
        if patched:
            answer_options_with_every_method(made)
        return made

    unpatched = app(patched=False)
    route, = [r for r in unpatched.routes if r.path == "/api/policy"]
    assert isinstance(route, HTTPRoute)
    assert "OPTIONS" in route.route_handler_map and isinstance(route.route_handlers, list)
    assert callable(route.create_options_handler)
    stale, _ = route.route_handler_map["OPTIONS"]
    assert stale.fn.__name__ == "options_handler" and stale in route.route_handlers
    with TestClient(unpatched) as client:
        allow = client.options("/api/policy").headers["allow"]
    assert allow == "GET, OPTIONS", (
        f"Litestar now answers OPTIONS /api/policy with {allow!r}: issue 4169 looks fixed, so "
        "remove registry.api.answer_options_with_every_method (and this test).")
    with TestClient(app(patched=True)) as client:
        assert client.options("/api/policy").headers["allow"] == "GET, OPTIONS, PUT"
