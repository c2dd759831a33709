"""School boards in the back office: the sector's overview at /beheer/besturen/overzicht (per
vendor and tool, how many boards signed an agreement of their own and which boards decided
what: the collective picture the sector negotiates with) and a board's own page at
/beheer/bestuur/{board} (its decisions and agreements, and per tool the sector verdict next to
the board's), which a board's account gets as its `/beheer` (see `access`).

A board's account sees only its own board's page; the sector's accounts see every board's.
(No `from __future__ import annotations`: Litestar reads the handlers' annotations.)
"""

import datetime as dt
from collections import defaultdict
from typing import Any

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from registry import labels
from registry.backoffice.access import BOARD_PAGE, Account, SignedInAccount, signed_in
from registry.backoffice.formspec import show
from registry.backoffice.lists import record_url
from registry.board_verdict import in_force, judge_for_board
from registry.db import Registry
from registry.errors import NotFound
from registry.labels.board_office import BOARD_OVERVIEW_WORDS
from registry.labels.boards import DECISION_LABELS
from registry.models import AgreementStatus, Role
from registry.verdict import evaluate
from registry.verdicts import current_policy

OVERVIEW = "/beheer/besturen/overzicht"
SECTOR = [signed_in(Role.procurement)]
BOARDS = [signed_in(Role.procurement, boards=True)]


def _signed(agreement: Any, today: dt.date) -> bool:
    """A board's live agreement that counts today: signed and not expired."""
    return (agreement.party != "sector" and agreement.status == AgreementStatus.signed
            and (agreement.expires_on is None or agreement.expires_on >= today))


def _decision_group(decision: Any) -> str:
    if decision.decision == "own_approval":
        return "own_approval_by"
    return "stricter_not_allowed" if decision.not_allowed else "stricter_conditions"


def collective(registry: Registry, today: dt.date) -> list[dict]:
    """Per vendor (by name) and its tools with any board's agreement or decision: how many
    boards signed, and the boards per kind of decision in force today."""
    agreements, _ = registry.list("agreements", limit=None)
    decisions, _ = registry.list("board_decisions", limit=None)
    signed_by_tool: dict[str, set[str]] = defaultdict(set)
    signed_by_vendor: dict[str, set[str]] = defaultdict(set)
    for agreement in (a for a in agreements if _signed(a, today)):
        signed_by_vendor[agreement.vendor_id].add(agreement.party)
        for tool_id in agreement.tool_ids:
            signed_by_tool[tool_id].add(agreement.party)
    decided: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for decision in (d for d in decisions if in_force(d, today)):
        decided[decision.tool_id][_decision_group(decision)].append(decision.board_id)
    tools = registry.records_by_id("tools", set(signed_by_tool) | set(decided))
    vendor_ids = {t.vendor_id for t in tools.values()} | set(signed_by_vendor)
    vendors = registry.records_by_id("vendors", vendor_ids)
    boards = registry.records_by_id("boards", {b for per in decided.values()
                                               for ids in per.values() for b in ids})
    by_vendor: dict[str, list[dict]] = defaultdict(list)
    for tool in sorted(tools.values(), key=lambda t: t.name.casefold()):
        by_vendor[tool.vendor_id].append({
            "name": tool.name, "href": record_url("tools", tool.id),
            "signed": len(signed_by_tool.get(tool.id, ())),
            "decided": {group: [(b, boards[b].name if b in boards else b)
                                for b in sorted(ids)]
                        for group, ids in decided.get(tool.id, {}).items()},
        })
    return [{"name": vendors[v].name if v in vendors else v, "href": record_url("vendors", v),
             "signed": len(signed_by_vendor.get(v, ())), "tools": by_vendor.get(v, [])}
            for v in sorted(vendor_ids, key=lambda v: (vendors[v].name if v in vendors
                                                       else v).casefold())]


@get(OVERVIEW, guards=SECTOR, name="besturen-overzicht", include_in_schema=False)
async def overview_page(registry: NamedDependency[Registry], account: SignedInAccount,
                        today: NamedDependency[dt.date]) -> Template:
    return Template("beheer/bestuur-overzicht.html", context={
        "account": account, "section": "board_overview", "vendors": collective(registry, today),
        "words": BOARD_OVERVIEW_WORDS, "decision_labels": DECISION_LABELS,
        "boards_total": registry.list("boards", limit=0)[1],
    })


@get(BOARD_PAGE, guards=BOARDS, name="bestuur", include_in_schema=False)
async def own_board(account: SignedInAccount) -> Redirect:
    """A board's account: its board's page; the sector's: the overview of every board."""
    if account.board_id is None:
        return Redirect(OVERVIEW, status_code=303)
    return Redirect(f"{BOARD_PAGE}/{account.board_id}", status_code=303)


def _verdicts(registry: Registry, board_id: str, tool_ids: set[str], decisions: dict,
              today: dt.date) -> list[dict]:
    """Per tool the board decided on or signed for: the sector verdict and the board's."""
    policy, rows = current_policy(registry), []
    tools = registry.records_by_id("tools", tool_ids)
    vendors = registry.records_by_id("vendors", {t.vendor_id for t in tools.values()})
    for tool in sorted(tools.values(), key=lambda t: t.name.casefold()):
        agreements, _ = registry.list("agreements", tool=tool.id, limit=None)
        assessments, _ = registry.list("assessments", tool=tool.id, limit=None)
        vendor = vendors.get(tool.vendor_id)
        sector = evaluate(tool, vendor, agreements, assessments, policy, today)
        with_board = evaluate(tool, vendor, agreements, assessments, policy, today,
                              board=board_id)
        judged = judge_for_board(board_id, sector, with_board, decisions.get(tool.id), policy,
                                 today)
        rows.append({"name": tool.name, "href": record_url("tools", tool.id),
                     "sector": sector, "board": judged})
    return rows


def _board_page(registry: Registry, account: Account, board: Any, today: dt.date) -> Template:
    decisions, _ = registry.list("board_decisions", board=board.id, limit=None)
    agreements, _ = registry.list("agreements", party=board.id, limit=None)
    tool_ids = {d.tool_id for d in decisions} | {
        t for a in agreements if _signed(a, today) for t in a.tool_ids}
    names = {t.id: t.name for t in registry.records_by_id(
        "tools", {d.tool_id for d in decisions}).values()}
    vendors = registry.records_by_id("vendors", {a.vendor_id for a in agreements})
    return Template("beheer/bestuur.html", context={
        "account": account, "section": "board", "board": board, "today": today,
        "school_types": show("boards", "school_types", board.school_types),
        "decisions": [{"record": d, "href": record_url("board_decisions", d.id),
                       "tool": names.get(d.tool_id, d.tool_id),
                       "label": DECISION_LABELS[d.decision], "in_force": in_force(d, today)}
                      for d in sorted(decisions, key=lambda d: names.get(d.tool_id, d.tool_id))],
        "agreements": [{"record": a, "href": record_url("agreements", a.id),
                        "vendor": vendors[a.vendor_id].name if a.vendor_id in vendors
                        else a.vendor_id, "status": show("agreements", "status", a.status)}
                       for a in agreements],
        "verdicts": _verdicts(registry, board.id, tool_ids,
                              {d.tool_id: d for d in decisions}, today),
        "dutch_date": labels.dutch_date,
    })


@get(f"{BOARD_PAGE}/{{board_id:str}}", guards=BOARDS, name="bestuur-pagina",
     include_in_schema=False)
async def board_page(registry: NamedDependency[Registry], account: SignedInAccount,
                     today: NamedDependency[dt.date], board_id: FromPath[str]) -> Template:
    if account.board_id is not None and board_id != account.board_id:
        raise NotFound("board", board_id)  # as the API: another board's page does not exist
    board = registry.get("boards", board_id)
    return _board_page(registry, account, board, today)


HANDLERS = [overview_page, own_board, board_page]
