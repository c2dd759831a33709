"""A board's verdict on a tool (`registry.board_verdict`) and the verdict that counts a
board's own agreements (`registry.verdict.evaluate(..., board=)`): pure, no database."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from msgspec.structs import replace

from registry.board_verdict import in_force, judge_for_board, may_approve
from registry.labels.boards import BOARD_TEXTS, DECISION_LABELS
from registry.models import AgreementIn, AssessmentIn, BoardDecisionIn, ToolIn
from registry.policy import BoardRules, load_policy
from registry.verdict import Verdict, VerdictCode, evaluate, evaluate_with_following

POLICY = load_policy()
PERMISSIVE = replace(POLICY, boards=BoardRules(may_approve_rejected=True))
TODAY = dt.date(2026, 11, 28)
DAY = dt.timedelta(days=1)
BOARD = "99002"
SECTOR_CONDITION = "Alleen met een schoolaccount."
BOARD_CONDITION = "Alleen in de bovenbouw"
C = VerdictCode


def verdict(code: VerdictCode, conditions: list[str] | None = None,
            valid_until: dt.date | None = None) -> Verdict:
    """A verdict as `evaluate` gives it, reasons left out (the board's verdict never reads
    them)."""
    if conditions is None:
        conditions = [SECTOR_CONDITION] if code == C.allowed_with_conditions else []
    return Verdict(code=code, label=code.label, conditions=conditions, reasons=[],
                   policy_version=POLICY.version, evaluated_on=TODAY, valid_until=valid_until)


def decision(kind: str = "stricter", **changes) -> BoardDecisionIn:
    fields = {"id": f"{BOARD}-rekenrijk", "board_id": BOARD, "tool_id": "rekenrijk",
              "decision": kind, "reason": "Het bestuur heeft hier zelf over besloten.",
              "decided_on": TODAY - 30 * DAY, "decided_by": "College van bestuur"}
    if kind == "stricter" and "conditions" not in changes:
        fields["not_allowed"] = True
    return msgspec.convert({**fields, **changes}, BoardDecisionIn)


def judge(sector: Verdict, chosen: BoardDecisionIn | None, with_board: Verdict | None = None,
          policy=POLICY, today: dt.date = TODAY):
    return judge_for_board(BOARD, sector, with_board or sector, chosen, policy, today)


NOT_ALLOWED = decision("stricter")
EXTRA = decision("stricter", conditions=[BOARD_CONDITION])
OWN = decision("own_approval")
OWN_WITH = decision("own_approval", conditions=[BOARD_CONDITION])


# --- follow -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", list(C))
def test_without_a_decision_the_board_follows_the_sector(code):
    sector = verdict(code, valid_until=TODAY + 40 * DAY)
    got = judge(sector, None)
    assert (got.board_id, got.decision, got.decision_label) == (BOARD, "follow",
                                                                DECISION_LABELS["follow"])
    assert (got.code, got.label, got.conditions) == (code, code.label, sector.conditions)
    assert got.text == BOARD_TEXTS["follow"]
    assert (got.reason, got.decided_on, got.decided_by, got.ends_on) == (None,) * 4
    assert not got.own_approval_refused
    assert (got.evaluated_on, got.valid_until) == (TODAY, TODAY + 40 * DAY)


def test_a_board_with_its_own_agreement_follows_with_that_verdict():
    got = judge(verdict(C.not_allowed), None, with_board=verdict(C.allowed))
    assert (got.decision, got.code, got.label) == ("follow", C.allowed, C.allowed.label)
    assert got.text == BOARD_TEXTS["own_agreement"]


# --- stricter -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", list(C))
def test_stricter_not_allowed_forbids_whatever_the_sector_says(code):
    got = judge(verdict(code), NOT_ALLOWED)
    assert (got.decision, got.decision_label) == ("stricter", DECISION_LABELS["stricter"])
    assert (got.code, got.label, got.conditions) == (C.not_allowed, C.not_allowed.label, [])
    assert got.text == BOARD_TEXTS["not_allowed"]
    assert (got.reason, got.decided_on, got.decided_by) == (
        NOT_ALLOWED.reason, NOT_ALLOWED.decided_on, "College van bestuur")


def test_stricter_conditions_on_an_allowed_tool_make_it_allowed_with_them():
    got = judge(verdict(C.allowed), EXTRA)
    assert (got.decision, got.code) == ("stricter", C.allowed_with_conditions)
    assert got.conditions == [BOARD_CONDITION]
    assert got.text == BOARD_TEXTS["extra_conditions"]


def test_stricter_conditions_come_after_the_sectors_without_repeating_them():
    chosen = decision("stricter", conditions=[SECTOR_CONDITION, BOARD_CONDITION])
    got = judge(verdict(C.allowed_with_conditions), chosen)
    assert got.code == C.allowed_with_conditions
    assert got.conditions == [SECTOR_CONDITION, BOARD_CONDITION]


@pytest.mark.parametrize("code", [C.not_assessed, C.under_review, C.not_allowed])
def test_stricter_conditions_never_allow_a_tool_the_sector_does_not(code):
    got = judge(verdict(code), EXTRA)
    assert (got.decision, got.code, got.conditions) == ("stricter", code, [])
    assert got.text == BOARD_TEXTS["extra_conditions_moot"]
    assert got.reason == EXTRA.reason  # the teacher still reads what the board decided


@pytest.mark.parametrize("chosen", [NOT_ALLOWED, EXTRA], ids=["not_allowed", "conditions"])
@pytest.mark.parametrize("code", list(C))
def test_stricter_never_ranks_above_the_verdict_it_starts_from(code, chosen):
    start = verdict(code)
    got = judge(start, chosen)
    assert got.code.rank <= start.code.rank
    assert set(start.conditions) <= set(got.conditions) or got.code == C.not_allowed


# --- own approval -------------------------------------------------------------------------


@pytest.mark.parametrize("code", [C.not_assessed, C.under_review, C.allowed_with_conditions,
                                  C.allowed])
def test_own_approval_without_conditions_allows(code):
    got = judge(verdict(code), OWN)
    assert (got.decision, got.decision_label) == ("own_approval",
                                                  DECISION_LABELS["own_approval"])
    assert (got.code, got.conditions) == (C.allowed, [])
    assert got.text == BOARD_TEXTS["own_approval"]
    assert not got.own_approval_refused


def test_own_approval_with_conditions_allows_with_the_boards_conditions_only():
    got = judge(verdict(C.allowed_with_conditions), OWN_WITH)
    assert (got.decision, got.code) == ("own_approval", C.allowed_with_conditions)
    assert got.conditions == [BOARD_CONDITION]
    assert got.text == BOARD_TEXTS["own_approval_conditions"]


def test_own_approval_of_a_rejected_tool_does_not_count_under_the_default_policy():
    assert POLICY.boards is None and not POLICY.board_rules.may_approve_rejected
    assert not may_approve(verdict(C.not_allowed), POLICY)
    got = judge(verdict(C.not_allowed), OWN_WITH)
    assert got.own_approval_refused
    assert (got.decision, got.decision_label) == ("follow", DECISION_LABELS["follow"])
    assert (got.code, got.conditions) == (C.not_allowed, [])
    assert got.text == BOARD_TEXTS["own_approval_refused"]


def test_own_approval_of_a_rejected_tool_counts_under_a_permissive_policy():
    assert may_approve(verdict(C.not_allowed), PERMISSIVE)
    got = judge(verdict(C.not_allowed), OWN_WITH, policy=PERMISSIVE)
    assert not got.own_approval_refused
    assert (got.decision, got.code) == ("own_approval", C.allowed_with_conditions)
    assert got.conditions == [BOARD_CONDITION]
    assert got.text == BOARD_TEXTS["own_approval_conditions"]


@pytest.mark.parametrize("code", [c for c in C if c != C.not_allowed])
def test_the_policy_rule_only_matters_for_a_rejected_tool(code):
    assert may_approve(verdict(code), POLICY) and may_approve(verdict(code), PERMISSIVE)
    assert judge(verdict(code), OWN) == judge(verdict(code), OWN, policy=PERMISSIVE)


# --- dates --------------------------------------------------------------------------------


WINDOW = decision("stricter", decided_on=TODAY + 10 * DAY, ends_on=TODAY + 100 * DAY)


def test_a_decision_counts_from_decided_on_up_to_and_including_ends_on():
    assert [in_force(WINDOW, TODAY + n * DAY) for n in (9, 10, 100, 101)] == [
        False, True, True, False]
    assert in_force(decision("stricter", ends_on=None), TODAY + 10_000 * DAY)
    assert not in_force(None, TODAY)


def test_before_decided_on_the_board_follows_until_that_day():
    got = judge(verdict(C.allowed), WINDOW)
    assert (got.decision, got.code, got.text) == ("follow", C.allowed, BOARD_TEXTS["follow"])
    assert (got.reason, got.decided_on, got.ends_on) == (None, None, None)
    assert got.valid_until == WINDOW.decided_on


@pytest.mark.parametrize("day", [10, 55, 100])
def test_while_in_force_it_holds_until_the_day_after_ends_on(day):
    got = judge(verdict(C.allowed), WINDOW, today=TODAY + day * DAY)
    assert (got.decision, got.code) == ("stricter", C.not_allowed)
    assert (got.decided_on, got.ends_on) == (WINDOW.decided_on, WINDOW.ends_on)
    assert got.valid_until == WINDOW.ends_on + DAY
    assert got.evaluated_on == TODAY + day * DAY


def test_after_ends_on_the_board_follows_the_sector_again_for_good():
    got = judge(verdict(C.allowed), WINDOW, today=TODAY + 101 * DAY)
    assert (got.decision, got.code, got.ends_on) == ("follow", C.allowed, None)
    assert got.valid_until is None


def test_valid_until_is_the_earliest_change_of_sector_board_or_decision():
    sector = verdict(C.allowed, valid_until=TODAY + 50 * DAY)
    with_board = verdict(C.allowed, valid_until=TODAY + 30 * DAY)
    assert judge(sector, WINDOW, today=TODAY + 20 * DAY).valid_until == TODAY + 50 * DAY
    assert judge(sector, WINDOW, with_board=with_board, today=TODAY + 20 * DAY
                 ).valid_until == TODAY + 30 * DAY
    assert judge(sector, WINDOW, with_board=with_board).valid_until == TODAY + 10 * DAY
    assert judge(sector, None).valid_until == TODAY + 50 * DAY


def test_a_verdict_holds_every_day_until_valid_until():
    """Judged on any day before `valid_until`, the board's verdict is the same as today's."""
    sector = verdict(C.allowed)
    for chosen in (WINDOW, OWN, EXTRA, decision("own_approval", ends_on=TODAY + 3 * DAY)):
        today = judge(sector, chosen)
        last = (today.valid_until or TODAY + 400 * DAY) - DAY
        for day in (TODAY + DAY, last):
            later = judge(sector, chosen, today=day)
            assert (later.decision, later.code, later.conditions, later.text) == (
                today.decision, today.code, today.conditions, today.text), (chosen.id, day)
        if today.valid_until:
            changed = judge(sector, chosen, today=today.valid_until)
            assert (changed.decision, changed.code) != (today.decision, today.code)


# --- evaluate(board=): which agreements count ----------------------------------------------


TOOL = msgspec.convert({
    "id": "rekenrijk", "vendor_id": "rekenfabriek", "name": "Rekenrijk",
    "category": "practice", "levels": ["PO"], "data_locations": ["NL"],
    "pseudonymisation": {"status": "compliant", "uses_eck_id": True}}, ToolIn)
ASSESSMENT = msgspec.convert({
    "id": "rekenrijk-dpia", "tool_id": "rekenrijk", "kind": "dpia", "assessor": "Kennisnet",
    "assessed_on": "2026-03-12", "status": "final", "outcome": "approved",
    "residual_risk": "low"}, AssessmentIn)


def agreement(party: str, expires_on: str = "2028-12-31", **changes) -> AgreementIn:
    return msgspec.convert({
        "id": f"vo-{party}", "vendor_id": "rekenfabriek", "tool_ids": ["rekenrijk"],
        "model_version": "model_4", "status": "signed", "signed_on": "2026-01-05",
        "expires_on": expires_on, "party": party, **changes}, AgreementIn)


def code_of(agreements: list[AgreementIn], board: str | None = None) -> VerdictCode:
    return evaluate(TOOL, None, agreements, [ASSESSMENT], POLICY, TODAY, board=board).code


def test_the_sector_verdict_counts_only_the_sectors_agreements():
    assert code_of([agreement("sector")]) == C.allowed
    assert code_of([agreement(BOARD)]) == C.not_allowed
    unnamed = {k: v for k, v in msgspec.structs.asdict(agreement("sector")).items()
               if k != "party"}  # an agreement that names no party is the sector's
    assert code_of([AgreementIn(**unnamed)]) == C.allowed


def test_a_board_agreement_counts_for_that_board_only():
    assert code_of([agreement(BOARD)], board=BOARD) == C.allowed
    assert code_of([agreement(BOARD)], board="99001") == C.not_allowed
    assert code_of([agreement("99001"), agreement(BOARD)], board="99001") == C.allowed


def test_with_a_board_the_sectors_agreements_still_count():
    assert code_of([agreement("sector")], board=BOARD) == C.allowed
    assert evaluate(TOOL, None, [agreement("sector")], [ASSESSMENT], POLICY, TODAY,
                    board=BOARD) == evaluate(TOOL, None, [agreement("sector")], [ASSESSMENT],
                                             POLICY, TODAY)


def test_the_boards_agreement_sets_when_its_verdict_changes():
    ends = dt.date(2027, 1, 31)
    sector, sector_then = evaluate_with_following(
        TOOL, None, [agreement("sector"), agreement(BOARD, ends.isoformat())], [ASSESSMENT],
        POLICY, TODAY)
    board, board_then = evaluate_with_following(
        TOOL, None, [agreement(BOARD, ends.isoformat())], [ASSESSMENT], POLICY, TODAY,
        board=BOARD)
    assert board.code == C.allowed and board.valid_until == ends + DAY
    assert board_then is not None and board_then.code == C.not_allowed
    assert sector.valid_until != ends + DAY  # the board's agreement is not the sector's


def test_judging_a_board_on_evaluated_verdicts():
    """The two steps together, as the publication does: the board with its own agreement
    and an own approval under the default policy."""
    agreements = [agreement(BOARD)]
    sector = evaluate(TOOL, None, agreements, [ASSESSMENT], POLICY, TODAY)
    with_board = evaluate(TOOL, None, agreements, [ASSESSMENT], POLICY, TODAY, board=BOARD)
    assert (sector.code, with_board.code) == (C.not_allowed, C.allowed)
    followed = judge_for_board(BOARD, sector, with_board, None, POLICY, TODAY)
    assert (followed.decision, followed.code) == ("follow", C.allowed)
    assert followed.text == BOARD_TEXTS["own_agreement"]
    other = judge_for_board("99001", sector, sector, None, POLICY, TODAY)
    assert (other.code, other.text) == (C.not_allowed, BOARD_TEXTS["follow"])
