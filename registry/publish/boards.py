"""School boards in the published whitelist: `boards`, `board_verdicts` and the changes of
board verdicts (`board_changelog`). Pure functions but for the reading of the previous file.

`board_verdicts` holds one row per live board and published tool that the board decided on
(whatever the decision's dates) or that a live agreement of the board covers; a board
without a row for a tool follows the sector. Its verdict columns mirror `tools` (the read
wing's `verdict_on` works on a row): today's `judge_for_board`, with `reasons` those of the
verdict that counts the board's own agreements, and `next_*` the board's verdict from the day
it changes by itself (`verdict_changes_on`). The decision columns are today's, as
`BoardVerdict` has them: a decision not yet or no longer in force reads `follow`.

Built field by field like `rows.py`: nothing internal (internal notes) can leak. Without any
board nothing here runs over the tools, so publishing 100,000 tools costs no more.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import Any

import msgspec

from registry import models
from registry.board_verdict import BoardVerdict, judge_for_board
from registry.labels.board_list import BOARD_CHANGE_LABELS, BOARD_CHANGE_REASONS
from registry.policy import Policy
from registry.publish.rows import compact_json, day, reasons_json
from registry.verdict import Verdict, evaluate
from registry.verdicts import Records

BOARD_COLUMNS = {"id": str, "name": str, "school_types": str, "schools": str, "website": str}
BOARD_VERDICT_COLUMNS = {
    "board_id": str, "tool_id": str, "board_name": str, "tool_name": str,
    "decision": str, "decision_label": str, "text": str, "reason": str, "decided_on": str,
    "decided_by": str, "ends_on": str, "own_approval_refused": int,
    "verdict": str, "verdict_label": str, "conditions": str, "reasons": str,
    "verdict_changes_on": str, "next_verdict": str, "next_verdict_label": str,
    "next_conditions": str, "next_reasons": str, "next_decision": str,
    "next_decision_label": str, "next_text": str,
}
BOARD_CHANGELOG_COLUMNS = {
    "publication_version": int, "published_at": str, "board_id": str, "tool_id": str,
    "board_name": str, "tool_name": str, "change": str, "change_label": str,
    "decision": str, "decision_label": str, "before": str, "before_label": str,
    "after": str, "after_label": str, "reason": str, "levels": str,
}
"""Every publication's changes of board verdicts (history, out of the content's sha256, as
`changelog`): with the tool's school types (JSON list) for the feed per school type."""
CHANGED = ("decision", "verdict", "conditions")
"""A board row whose any of these differ from the previous publication's is `changed`."""


class BoardRecords(msgspec.Struct):
    """The live boards and their live decisions, by (board_id, tool_id)."""

    boards: dict[str, models.Board] = {}
    decisions: dict[tuple[str, str], models.BoardDecision] = {}

    @classmethod
    def of(cls, boards: Iterable[models.Board], decisions: Iterable[models.BoardDecision]
           ) -> BoardRecords:
        live = {b.id: b for b in boards if b.archived_at is None}
        return cls(live, {(d.board_id, d.tool_id): d for d in decisions
                          if d.archived_at is None and d.board_id in live})

    @classmethod
    def load(cls, registry) -> BoardRecords:
        return cls.of(registry.all("boards"), registry.all("board_decisions"))


class WithBoards(Records):
    """`Records` with the boards and their decisions: what a publication is built from."""

    boards: BoardRecords = msgspec.field(default_factory=BoardRecords)


def with_boards(records: Records, boards: BoardRecords) -> WithBoards:
    return WithBoards(records.tools, records.vendors, records.agreements, records.assessments,
                      boards)


def boards_of(records: Records) -> BoardRecords:
    return records.boards if isinstance(records, WithBoards) else BoardRecords()


def board_row(board: models.Board) -> dict[str, Any]:
    return {"id": board.id, "name": board.name,
            "school_types": compact_json([t.value for t in board.school_types]),
            "schools": compact_json(list(board.schools)), "website": board.website}


def pairs(boards: BoardRecords, records: Records, published: Iterable[str]
          ) -> list[tuple[str, str]]:
    """(board_id, tool_id) of every row of `board_verdicts`, sorted."""
    if not boards.boards:
        return []
    published = set(published)
    found = {key for key in boards.decisions if key[1] in published}
    for tool_id, agreements in records.agreements.items():
        if tool_id in published:
            found.update((a.party, tool_id) for a in agreements if a.party in boards.boards)
    return sorted(found)


def tables(records: Records, policy: Policy, today: dt.date, published: dict[str, Verdict]
           ) -> dict[str, list[dict]]:
    """`boards` and `board_verdicts` of a publication; `published` maps each published
    tool's id to its sector verdict of `today`."""
    boards = boards_of(records)
    return {
        "boards": [board_row(boards.boards[b]) for b in sorted(boards.boards)],
        "board_verdicts": [verdict_row(records, boards, board_id, tool_id, policy, today,
                                       published[tool_id])
                           for board_id, tool_id in pairs(boards, records, published)],
    }


def judged(records: Records, boards: BoardRecords, board_id: str, tool_id: str,
           policy: Policy, on: dt.date, sector: Verdict | None = None
           ) -> tuple[BoardVerdict, Verdict]:
    """The board's verdict on `on` and the verdict that counts its own agreements."""
    tool = records.tools[tool_id]
    args = (tool, records.vendors.get(tool.vendor_id), records.agreements.get(tool_id, []),
            records.assessments.get(tool_id, []), policy, on)
    sector = sector or evaluate(*args)
    own = any(a.party == board_id for a in args[2])
    with_board = evaluate(*args, board=board_id) if own else sector
    decision = boards.decisions.get((board_id, tool_id))
    return judge_for_board(board_id, sector, with_board, decision, policy, on), with_board


def verdict_row(records: Records, boards: BoardRecords, board_id: str, tool_id: str,
                policy: Policy, today: dt.date, sector: Verdict) -> dict[str, Any]:
    now, with_board = judged(records, boards, board_id, tool_id, policy, today, sector)
    then, then_with = (judged(records, boards, board_id, tool_id, policy, now.valid_until)
                       if now.valid_until else (None, None))
    return {
        "board_id": board_id, "tool_id": tool_id,
        "board_name": boards.boards[board_id].name, "tool_name": records.tools[tool_id].name,
        "decision": now.decision, "decision_label": now.decision_label, "text": now.text,
        "reason": now.reason, "decided_on": day(now.decided_on),
        "decided_by": now.decided_by, "ends_on": day(now.ends_on),
        "own_approval_refused": int(now.own_approval_refused),
        "verdict": now.code.value, "verdict_label": now.label,
        "conditions": compact_json(now.conditions), "reasons": reasons_json(with_board),
        "verdict_changes_on": day(now.valid_until),
        "next_verdict": then.code.value if then else None,
        "next_verdict_label": then.label if then else None,
        "next_conditions": compact_json(then.conditions) if then else None,
        "next_reasons": reasons_json(then_with) if then else None,
        "next_decision": then.decision if then else None,
        "next_decision_label": then.decision_label if then else None,
        "next_text": then.text if then else None,
    }


# --- changes of board verdicts ------------------------------------------------------------


def read_previous(path: Path) -> tuple[dict[tuple[str, str], dict], list[dict]]:
    """(board rows by (board_id, tool_id), board changelog) of the whitelist at `path`; empty
    for no file or a file from before boards were published."""
    if not path.exists():
        return {}, []
    uri = path.resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        return read_board_history(conn)


def read_board_history(conn: sqlite3.Connection
                       ) -> tuple[dict[tuple[str, str], dict], list[dict]]:
    conn.row_factory = sqlite3.Row
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    if "board_verdicts" not in tables:
        return {}, []
    rows = {(r["board_id"], r["tool_id"]): dict(r) for r in conn.execute(
        "SELECT board_id, tool_id, board_name, tool_name, decision, decision_label, "
        "verdict, verdict_label, conditions FROM board_verdicts")}
    columns = ", ".join(f"[{c}]" for c in BOARD_CHANGELOG_COLUMNS)
    history = [dict(r) for r in conn.execute(
        f"SELECT {columns} FROM board_changelog "
        "ORDER BY publication_version, board_id, tool_id")]
    return rows, history


def change_rows(previous: dict[tuple[str, str], dict], current: list[dict]
                ) -> list[dict[str, Any]]:
    """Board rows added, removed or changed (decision, verdict or conditions) against the
    previous publication's, by board and tool."""
    now = {(r["board_id"], r["tool_id"]): r for r in current}
    out = []
    for key in sorted(now.keys() | previous.keys()):
        before, after = previous.get(key), now.get(key)
        if before is None:
            change = "added"
        elif after is None:
            change = "removed"
        elif any(before[c] != after[c] for c in CHANGED):
            change = "changed"
        else:
            continue
        row = after or before
        out.append({
            "board_id": key[0], "tool_id": key[1], "board_name": row["board_name"],
            "tool_name": row["tool_name"], "change": change,
            "change_label": BOARD_CHANGE_LABELS[change],
            "decision": after["decision"] if after else None,
            "decision_label": after["decision_label"] if after else None,
            "before": before["verdict"] if before else None,
            "before_label": before["verdict_label"] if before else None,
            "after": after["verdict"] if after else None,
            "after_label": after["verdict_label"] if after else None,
            "reason": BOARD_CHANGE_REASONS[change].format(
                board=row["board_name"], decision=row["decision_label"],
                before=before and before["verdict_label"],
                after=after and after["verdict_label"]),
        })
    return out


def changelog_rows(history: list[dict], changes: list[dict], levels: dict[str, str],
                   version: int, published_at: str) -> list[dict]:
    """The board history of the previous file followed by this publication's changes."""
    return history + [
        {"publication_version": version, "published_at": published_at, **change,
         "levels": levels.get(change["tool_id"]) or "[]"}
        for change in changes
    ]


# --- the tables in the file -----------------------------------------------------------------


def create_tables(db) -> None:
    """The board tables in the sqlite-utils `db` (empty; also in a restored older file)."""
    db["boards"].create(BOARD_COLUMNS, pk="id", not_null={"name"})
    db["board_verdicts"].create(
        BOARD_VERDICT_COLUMNS, pk=("board_id", "tool_id"),
        foreign_keys=[("board_id", "boards", "id"), ("tool_id", "tools", "id")],
        not_null={"board_name", "tool_name", "decision", "verdict"})
    db["board_changelog"].create(BOARD_CHANGELOG_COLUMNS,
                                 pk=("publication_version", "board_id", "tool_id"))


def create_indexes(db) -> None:
    for table, column in [("board_verdicts", "tool_id"), ("board_verdicts", "board_name"),
                          ("board_verdicts", "decision_label"),
                          ("board_verdicts", "verdict_label"),
                          ("board_changelog", "board_id"), ("board_changelog", "tool_id")]:
        db[table].create_index([column])
