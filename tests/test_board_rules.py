"""The rules of board decisions beyond their schema, wherever a decision comes in (the API,
`Registry` as the back office uses it, imports): one live decision per board and tool, and
no own approval of a tool the sector rejected unless the policy allows it. And the scope of
accounts and tokens to one board (`Accounts`, `Tokens`, the CLI)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from registry import models
from registry.app import Settings, create_app
from registry.bundles import read_json
from registry.cli import main
from registry.db import Registry
from registry.errors import Conflict, Invalid
from registry.importer import import_source, load_demo
from registry.labels.boards import OWN_APPROVAL_REFUSED
from registry.models import Role

TODAY = dt.date(2026, 11, 28)
REJECTED = "sommenstad-tafels"  # not_allowed in the sector on TODAY
UNASSESSED = "lernfabrik-scheikunde"  # not_assessed in the sector
POLICY = json.loads((Path(__file__).parent.parent / "data" / "policy.json").read_text())
REFUSAL = OWN_APPROVAL_REFUSED.format(version=POLICY["version"])


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "registry.db"
    registry = Registry(path)
    registry.migrate()
    load_demo(registry)
    registry.close()
    return path


@pytest.fixture
def registry(demo_file, tmp_path) -> Registry:
    """A registry of its own on the demo data, judging on TODAY."""
    shutil.copy(demo_file, tmp_path / "registry.db")
    opened = Registry(tmp_path / "registry.db")
    opened.today = lambda: TODAY
    yield opened
    opened.close()


def decision(board: str, tool: str, kind: str = "stricter", record_id: str | None = None,
             **fields) -> models.BoardDecisionIn:
    extra = {"not_allowed": True} if kind == "stricter" else {}
    return models.BoardDecisionIn(**{
        "id": record_id or f"{board}-{tool}-test", "board_id": board, "tool_id": tool,
        "decision": kind, "reason": "Besloten in het bestuur.", "decided_on": dt.date(2026, 11, 1),
        "decided_by": "College van bestuur", **extra, **fields})


def permissive(registry: Registry) -> None:
    document = POLICY | {"version": "2027.1", "boards": {"may_approve_rejected": True}}
    registry.policies.save(document, "test", None)


# --- one live decision per board and tool ---------------------------------------------------

def test_a_second_live_decision_of_a_board_on_a_tool_is_a_conflict_naming_tool_id(registry):
    with pytest.raises(Conflict) as refused:
        registry.create("board_decisions", decision("99002", UNASSESSED), "test")
    assert [e.field for e in refused.value.errors] == ["$.tool_id"]
    assert "99002-lernfabrik-scheikunde" in refused.value.detail
    assert registry.get("tools", UNASSESSED)  # and nothing was written:
    assert registry.list("board_decisions", board="99002", tool=UNASSESSED,
                         limit=None)[1] == 1
    # another board, or the same board once the first is archived, may
    registry.create("board_decisions", decision("99001", UNASSESSED), "test")
    registry.archive("board_decisions", "99002-lernfabrik-scheikunde", "test", None)
    registry.create("board_decisions", decision("99002", UNASSESSED), "test")


def test_restoring_or_moving_a_decision_onto_a_taken_tool_is_refused(registry):
    registry.archive("board_decisions", "99002-lernfabrik-scheikunde", "test", None)
    registry.create("board_decisions", decision("99002", UNASSESSED), "test")
    with pytest.raises(Conflict) as refused:
        registry.restore("board_decisions", "99002-lernfabrik-scheikunde", "test", None)
    assert [e.field for e in refused.value.errors] == ["$.tool_id"]
    assert registry.get("board_decisions", "99002-lernfabrik-scheikunde").archived_at
    moved = msgspec.structs.replace(decision("99002", "maakplaats-studio"),
                                    id="99002-lernfabrik-scheikunde-test")
    with pytest.raises(Conflict):
        registry.update("board_decisions", moved.id, moved, "test", None)


# --- own approval of a tool the sector rejected --------------------------------------------

def test_own_approval_of_a_rejected_tool_is_refused_under_the_default_policy(registry):
    with pytest.raises(Invalid) as refused:
        registry.create("board_decisions", decision("99001", REJECTED, "own_approval"), "test")
    assert refused.value.detail == REFUSAL
    assert [e.field for e in refused.value.errors] == ["$.decision"]
    assert registry.list("board_decisions", tool=REJECTED, limit=None)[1] == 0
    # a tool the sector has not assessed may be approved by the board
    registry.create("board_decisions", decision("99001", UNASSESSED, "own_approval"), "test")


def test_own_approval_of_a_rejected_tool_is_accepted_under_a_permissive_policy(registry):
    permissive(registry)
    created = registry.create("board_decisions", decision("99001", REJECTED, "own_approval"),
                              "test")
    assert created.decision == "own_approval"


def test_a_stricter_decision_becoming_an_own_approval_is_checked_too(registry):
    created = registry.create("board_decisions", decision("99001", REJECTED), "test")
    changed = decision("99001", REJECTED, "own_approval", record_id=created.id)
    with pytest.raises(Invalid):
        registry.update("board_decisions", created.id, changed, "test", None)
    assert registry.get("board_decisions", created.id).decision == "stricter"


# --- imports --------------------------------------------------------------------------------

def bundle(*decisions: models.BoardDecisionIn, **kinds) -> dict:
    return {"board_decisions": [msgspec.to_builtins(d) for d in decisions], **kinds}


def imported(registry: Registry, data: dict, dry_run: bool = False, force: bool = False):
    source = read_json(json.dumps(data).encode(), "besluiten.json")
    return import_source(registry, source, actor="test", dry_run=dry_run, force=force)


@pytest.mark.parametrize("dry_run", [False, True])
def test_an_import_refuses_clashes_and_rejected_approvals_and_writes_nothing(registry, dry_run):
    report = imported(registry, bundle(
        decision("99001", "schoolbel-app", record_id="a-1"),
        decision("99001", "schoolbel-app", record_id="a-2"),
        decision("99003", "maakplaats-studio", record_id="a-3"),
        decision("99002", UNASSESSED, record_id="a-4"),  # clashes with the stored one
        decision("99003", REJECTED, "own_approval", record_id="a-5")), dry_run)
    assert not report.ok
    assert [e.field for e in report.errors] == [
        "$.board_decisions[1].tool_id", "$.board_decisions[3].tool_id",
        "$.board_decisions[4].decision"]
    assert report.errors[2].message == REFUSAL
    assert registry.list("board_decisions", limit=None)[1] == 3  # the demo's


def test_an_import_judges_on_the_registry_as_the_file_leaves_it(registry):
    # The file itself makes the sector's verdict on the tool not_allowed: a rejecting final
    # assessment comes with the approval, so the approval is refused.
    assessment = {"id": "scheikunde-afgewezen", "tool_id": UNASSESSED, "status": "final",
                  "kind": "dpia", "assessed_on": "2026-10-01", "assessor": "Sector",
                  "outcome": "rejected", "residual_risk": "high",
                  "public_summary": "Afgewezen."}
    approval = decision("99001", UNASSESSED, "own_approval", record_id="a-6")
    report = imported(registry, bundle(approval, assessments=[assessment]), dry_run=True)
    if [e.field for e in report.errors if "assessments" in e.field]:
        pytest.fail(f"the test's assessment is invalid: {report.errors}")
    assert [e.field for e in report.errors] == ["$.board_decisions[0].decision"]
    assert imported(registry, bundle(approval)).ok  # without it: not assessed, so allowed


def test_a_decision_may_take_the_place_another_leaves_in_the_same_import(registry):
    # The stored decision moves to another tool and a new one takes its place; the file
    # lists the new one first, the import still frees the place before it fills it.
    moved = decision("99002", "schoolbel-app", record_id="99002-lernfabrik-scheikunde")
    report = imported(registry, bundle(decision("99002", UNASSESSED, record_id="n-1"), moved,
                                       fingerprints={}), force=True)
    assert report.ok, report.errors
    assert registry.get("board_decisions", "n-1").tool_id == UNASSESSED
    assert registry.get("board_decisions", "99002-lernfabrik-scheikunde").tool_id == "schoolbel-app"


# --- accounts and tokens scoped to a board ---------------------------------------------------

def test_an_account_is_scoped_to_an_existing_board_and_the_change_is_audited(registry):
    account = registry.accounts.create("bestuur@school.example", "Bestuur B", Role.procurement,
                                       None, "test", board_id="99002")
    assert registry.accounts.get(account.id).board_id == "99002"
    moved = registry.accounts.set_board(account.id, "99003", "beheerder")
    assert (moved.board_id, moved.version) == ("99003", 2)
    sector = registry.accounts.set_board(account.id, None, "beheerder")
    assert sector.board_id is None
    assert registry.accounts.set_board(account.id, None, "beheerder").version == 3  # no change
    events = [e for e in registry.audit.events("kind = 'account'") if e.record_id == account.id]
    assert [(e.before or {}).get("board_id") for e in events] == [None, "99002", "99003"]
    assert [e.after.get("board_id") for e in events] == ["99002", "99003", None]
    for bad in ("12345", "onzin"):
        with pytest.raises(Invalid) as refused:
            registry.accounts.set_board(account.id, bad, "beheerder")
        assert [e.field for e in refused.value.errors] == ["$.board_id"]
        with pytest.raises(Invalid):
            registry.accounts.create(f"{bad}@school.example", "X", Role.procurement, None,
                                     "test", board_id=bad)
    assert registry.accounts.by_email("12345@school.example") is None


def test_a_token_is_scoped_to_an_existing_board(registry):
    token, secret = registry.tokens.create("bestuur-b", Role.procurement, board_id="99002")
    assert token.board_id == "99002"
    assert registry.tokens.lookup(secret) == ("bestuur-b", "procurement", False, "99002")
    assert registry.tokens.for_secret(secret) == ("bestuur-b", "procurement", False)
    assert [t.board_id for t in registry.tokens.list()] == ["99002"]
    with pytest.raises(Invalid) as refused:
        registry.tokens.create("bestuur-x", Role.procurement, board_id="12345")
    assert [e.field for e in refused.value.errors] == ["$.board_id"]
    assert [t.name for t in registry.tokens.list()] == ["bestuur-b"]


def test_the_cli_scopes_tokens_and_accounts_to_a_board(registry):
    db = str(registry.path)
    made = CliRunner().invoke(main, ["token", "create", "--name", "bestuur-b", "--role",
                                     "procurement", "--board", "99002", "--db", db])
    assert made.exit_code == 0, made.output
    assert "board 99002" in made.output
    assert "99002" in CliRunner().invoke(main, ["token", "list", "--db", db]).output
    unknown = CliRunner().invoke(main, ["token", "create", "--name", "x", "--role",
                                        "procurement", "--board", "12345", "--db", db])
    assert (unknown.exit_code, unknown.output.strip()) == (
        1, "Error: There is no board '12345' in the registry.")
    user = CliRunner().invoke(main, ["user", "create", "b@school.example", "--name", "B",
                                     "--role", "procurement", "--board", "99002",
                                     "--password-stdin", "--db", db],
                              input="een lang genoeg wachtwoord voor b\n")
    assert user.exit_code == 0, user.output
    assert registry.accounts.by_email("b@school.example").board_id == "99002"


# --- the same rules through the API ---------------------------------------------------------

@pytest.fixture
def api(demo_file, tmp_path):
    shutil.copy(demo_file, tmp_path / "registry.db")
    settings = Settings(db_path=tmp_path / "registry.db", today=lambda: TODAY, four_eyes=False)
    with TestClient(create_app(settings)) as client:
        client.app.state.registry.today = lambda: TODAY
        _, secret = client.app.state.registry.tokens.create("bestuur-c", Role.procurement,
                                                            board_id="99003")
        _, publisher = client.app.state.registry.tokens.create("sector", Role.publisher)
        client.board = {"Authorization": f"Bearer {secret}"}
        client.publisher = {"Authorization": f"Bearer {publisher}"}
        yield client


def test_the_api_answers_the_rules_with_problems_naming_the_field(api):
    assert api.get(f"/api/tools/{REJECTED}/verdict",
                   headers=api.publisher).json()["code"] == "not_allowed"
    body = msgspec.to_builtins(decision("99003", REJECTED, "own_approval"))
    refused = api.post("/api/board_decisions", json=body, headers=api.board)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == REFUSAL
    assert [e["field"] for e in refused.json()["errors"]] == ["$.decision"]
    clash = msgspec.to_builtins(decision("99003", UNASSESSED, record_id="tweede"))
    conflict = api.post("/api/board_decisions", json=clash, headers=api.board)
    assert conflict.status_code == 409, conflict.text
    assert [e["field"] for e in conflict.json()["errors"]] == ["$.tool_id"]
    policy = POLICY | {"version": "2027.1", "boards": {"may_approve_rejected": True}}
    stored = api.put("/api/policy", json=policy, headers=api.publisher | {"If-Match": "*"})
    assert stored.status_code == 200, stored.text
    accepted = api.post("/api/board_decisions", json=body, headers=api.board)
    assert accepted.status_code == 201, accepted.text
