"""The API against its own OpenAPI document: schemathesis generates requests, in-process.

Every built-in check is on: no server errors, documented status codes, content types and
headers, response schemas, rejection of invalid input (negative cases), authentication that
is really enforced (`ignored_auth`), `Allow` on OPTIONS. Generation is derandomized with a
fixed seed, so CI sees the same cases on every run.

The schema is loaded from the app's own document at import time and the app starts on the
first case, on a fresh database with the demo data (one per run, not per case). Two things
are set up the way they are for a reason:

- `schemathesis.pytest.from_fixture` (lazy loading) does not work with pytest 9.2 (it reads
  `Function._nodeid`, which pytest renamed), hence the document at import time. Nothing is
  written before the first case runs.
- The coverage phase builds its cases while pytest collects, before the fixture has made a
  token, so those cases would all be anonymous (and it costs 25 s at every collection). The
  fuzzing phase and the examples phase run with the publisher token: 100 cases for every
  operation that takes input (those without any, such as /api/health, have one case).
- schemathesis' pytest plugin shuts the app down after each operation and starts it again
  for the next, as an app can be (this found a closed connection that was used again).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import schemathesis

from registry.api.limits import LIMITS, CountingStore
from registry.app import Settings, create_app
from registry.db import Registry
from registry.models import Role

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
        # Schema-valid but refused on purpose, for rules a JSON Schema cannot state: a
        # reference to a record that does not exist or a value that is already there (409,
        # 422), one field that depends on another (`covenant_since` needs a covenant
        # status; `valid_until` after `assessed_on`), a filter that does not apply to this
        # kind (400), a missing or stale If-Match (428, 412), the rate limit (429).
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "412", "422", "428",
                                  "429"],
        },
    },
})
schema = schemathesis.openapi.from_dict(APP.openapi_schema.to_schema(), config=CONFIG)
schema.app = APP
TOKEN: dict[str, str] = {}


@schema.auth()
class PublisherToken:
    """The publisher token for every operation that declares `BearerToken` security.

    Through schemathesis' auth (not a fixed header) so that negative cases that leave the
    token out really leave it out, and `ignored_auth` sends its probes without it.
    """

    def get(self, case, context):
        return TOKEN.get("secret")

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(scope="module")
def publisher_token():
    registry = Registry(FOLDER / "registry.db")
    registry.migrate()
    _, TOKEN["secret"] = registry.create_token("fuzz", Role.publisher)
    registry.close()
    yield TOKEN["secret"]
    # schemathesis' pytest plugin has shut the app down after each operation's test.
    TOKEN.clear()
    shutil.rmtree(FOLDER, ignore_errors=True)


@schema.parametrize()
def test_api_conforms_to_its_openapi_document(case, publisher_token):
    # The anonymous endpoints are rate limited per client (10 review requests a minute):
    # start each case with empty counters, or all but the first few would only see 429.
    for limit in LIMITS:
        APP.stores.register(limit.store, CountingStore(), allow_override=True)
    case.call_and_validate()


def test_every_operation_is_fuzzed_derandomized_with_every_check():
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    checks = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
              "response_schema_conformance", "response_headers_conformance",
              "positive_data_acceptance", "negative_data_rejection", "ignored_auth",
              "missing_required_header", "unsupported_method", "allow_header_conformance")
    for operation in operations:
        settings = schema.config.get_hypothesis_settings(operation=operation, phase="fuzzing")
        assert (settings.max_examples, settings.derandomize) == (EXAMPLES, True)
        assert schema.config.phases_for(operation=operation).fuzzing.enabled
        config = schema.config.checks_config_for(operation=operation, phase="fuzzing")
        assert all(getattr(config, check).enabled for check in checks), operation.label
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
        url = path.replace("{record_id}", "rekenrijk").replace("{name}", "bundle")
        response = client.request(method, url, headers=headers, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"] == 'Bearer realm="registry"'


def test_publisher_operations_refuse_a_procurement_token(client, auth):
    publisher_only = [("PUT", "/api/policy"), ("POST", "/api/policy/simulate"),
                      ("POST", "/api/publications")]
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
