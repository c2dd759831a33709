"""School boards in a published whitelist: their public part and their verdicts, read once per
publication (`Boards.load`), and what a teacher of one board reads beside the sector verdict.

The file holds a `board_verdicts` row only where a board decided something about a tool or
has its own agreement for it; any other board follows the sector, so its verdict is the
tool's own. A board row mirrors a tool row's verdict columns, so `today.verdict_on` reads
it; `next_decision`, `next_decision_label` and `next_text` say what the board's decision is
from `verdict_changes_on` on. Pure functions of the loaded rows: no SQL per check.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, NamedTuple

import msgspec

from registry.labels import VERDICT_LABELS
from registry.labels.boards import BOARD_TEXTS, DECISION_LABELS
from registry.whitelist.today import verdict_on, warning

ALLOWED = ("allowed", "allowed_with_conditions")
BOARD_NUMBER = r"^[0-9]{5}(?!\n)$"
"""A board's number as DUO publishes it (the bevoegd gezag number); `$` alone would let a
final newline through."""
SCHOOL_CODE = re.compile(r"^[0-9]{2}[A-Z]{2}([0-9]{2})?$")
"""A school's BRIN code (`99AA`) or one of its locations (`99AA01`)."""
_decode_texts = msgspec.json.Decoder(list[str]).decode


class UnknownBoard(Exception):
    """No board with this number in the publication."""

    def __init__(self, board: str):
        super().__init__(board)
        self.board = board


class BoardRef(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A board's public part, as published."""

    id: Annotated[str, msgspec.Meta(description="The board's number (bevoegd gezag, DUO).")]
    name: str
    school_types: list[str] = []
    schools: list[str] = []
    website: str | None = None


class BoardAnswer(msgspec.Struct, kw_only=True):
    """What a teacher of one board does with the tool found, beside the sector verdict."""

    board_id: str
    board_name: str
    decision: Annotated[str, msgspec.Meta(
        description="The board's decision that counts on the day asked: `follow` (the sector "
                    "verdict holds), `stricter` or `own_approval`.")]
    decision_label: str
    verdict: Annotated[str, msgspec.Meta(
        description="The verdict for this board's schools on the day asked: the one a teacher "
                    "of the board goes by.")]
    verdict_label: str
    conditions: Annotated[list[str], msgspec.Meta(
        description="The sector's conditions and the board's own, if the board allows it.")]
    text: Annotated[str, msgspec.Meta(description="One Dutch sentence: what the board decided.")]
    reason: str | None = None
    decided_on: str | None = None
    decided_by: str | None = None
    ends_on: Annotated[str | None, msgspec.Meta(
        description="The last day the decision holds, if it ends.")] = None
    own_approval_refused: Annotated[bool, msgspec.Meta(
        description="The board approved a tool the sector rejected, and the policy does not "
                    "let that count.")] = False
    changes_on: str | None = None
    next_verdict: str | None = None
    next_verdict_label: str | None = None
    warning: str | None = None


class BoardView(NamedTuple):
    """One board's part of a publication: what a check with `bestuur` needs."""

    board: BoardRef
    verdicts: Mapping[str, Mapping[str, Any]]
    """Published `board_verdicts` rows of this board (`Row`, read by column name), by tool
    id."""


class Boards:
    """Every board of one publication, with its verdicts and its schools' codes."""

    def __init__(self, boards: dict[str, BoardRef], verdicts: dict[str, dict[str, Any]]):
        self.boards = boards
        self.verdicts = verdicts
        self.schools = {code: board.id for board in boards.values() for code in board.schools}

    @classmethod
    def load(cls, conn) -> Boards:
        """The boards of the file open on `conn`; none in a file published before boards."""
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "boards" not in tables:
            return EMPTY
        boards = {
            r["id"]: BoardRef(id=r["id"], name=r["name"],
                              school_types=_decode_texts(r["school_types"] or "[]"),
                              schools=_decode_texts(r["schools"] or "[]"), website=r["website"])
            for r in conn.execute("SELECT id, name, school_types, schools, website FROM boards")
        }
        verdicts: dict[str, dict[str, Row]] = {}
        if "board_verdicts" in tables:
            # Labels, sentences, dates and ids repeat across thousands of rows kept by every
            # worker: each value is kept once (20 MB -> 4 MB for 15,000 rows).
            shared: dict[Any, Any] = {}
            cursor = conn.cursor()
            cursor.row_factory = None
            for values in cursor.execute(_VERDICTS_SQL):
                row = Row(shared.setdefault(v, v) for v in values)
                verdicts.setdefault(row[0], {})[row[1]] = row
        return cls(boards, verdicts)

    def view(self, board_id: str) -> BoardView:
        """The part of `board_id`; raises UnknownBoard."""
        board = self.boards.get(board_id)
        if board is None:
            raise UnknownBoard(board_id)
        return BoardView(board, self.verdicts.get(board_id, {}))

    def find(self, code: str) -> str | None:
        """The board of a board number, a school's BRIN code or a location code; a location
        not listed is found by its school's BRIN code."""
        code = code.strip().upper()
        if code in self.boards:
            return code
        if not SCHOOL_CODE.match(code):
            return None
        return self.schools.get(code) or self.schools.get(code[:4])


EMPTY = Boards({}, {})
_COLUMNS = ("board_id", "tool_id", "decision", "decision_label", "text", "reason", "decided_on",
            "decided_by", "ends_on", "verdict", "verdict_label", "conditions", "reasons",
            "verdict_changes_on", "next_verdict", "next_verdict_label", "next_conditions",
            "next_reasons", "next_decision", "next_decision_label", "next_text")
_VERDICTS_SQL = "SELECT {} FROM board_verdicts".format(", ".join(
    # No reasons: a board's answer does not show them, and they are most of a row's bytes.
    f"NULL AS {c}" if c.endswith("reasons") else c for c in _COLUMNS))


class Row(tuple):
    """A published `board_verdicts` row, read by column name as `sqlite3.Row` is."""

    __slots__ = ()
    _index = {name: n for n, name in enumerate(_COLUMNS)}

    def __getitem__(self, key):
        return tuple.__getitem__(self, self._index[key] if isinstance(key, str) else key)

    def keys(self) -> tuple[str, ...]:
        return _COLUMNS


def _switched(row: Mapping[str, Any], today: dt.date) -> bool:
    """Whether the row's `next_*` holds on `today`."""
    changes = row["verdict_changes_on"]
    return bool(changes and row["next_verdict"] and str(changes)[:10] <= today.isoformat())


def verdict_here(view: BoardView, tool_id: str, sector_verdict: str, today: dt.date) -> str:
    """The verdict for the board's schools on `today`, given the sector's of that day."""
    row = view.verdicts.get(tool_id)
    return sector_verdict if row is None else verdict_on(row, today).verdict


def board_answer(view: BoardView, tool_id: str, sector_verdict: str, sector_label: str,
                 sector_conditions: list[str], today: dt.date) -> BoardAnswer:
    """The board's answer about `tool_id` on `today`; without a row, the board follows the
    sector (whose verdict of that day is given)."""
    board, row = view.board, view.verdicts.get(tool_id)
    if row is None:
        return BoardAnswer(
            board_id=board.id, board_name=board.name, decision="follow",
            decision_label=DECISION_LABELS["follow"], verdict=sector_verdict,
            verdict_label=sector_label, conditions=list(sector_conditions),
            text=BOARD_TEXTS["follow"])
    on = verdict_on(row, today)
    now = "next_" if _switched(row, today) else ""
    decision = row[f"{now}decision"] or row["decision"] or "follow"
    text = row[f"{now}text"] or row["text"]
    decided = decision != "follow"
    return BoardAnswer(
        board_id=board.id, board_name=board.name, decision=decision,
        decision_label=row[f"{now}decision_label"] or DECISION_LABELS[decision],
        verdict=on.verdict, verdict_label=on.verdict_label,
        conditions=_decode_texts(on.conditions or "[]"), text=text,
        reason=row["reason"] if decided else None,
        decided_on=_iso(row["decided_on"]) if decided else None,
        decided_by=row["decided_by"] if decided else None,
        ends_on=_iso(row["ends_on"]) if decided else None,
        own_approval_refused=text == BOARD_TEXTS["own_approval_refused"],
        changes_on=on.changes_on.isoformat() if on.changes_on else None,
        next_verdict=on.next_verdict, next_verdict_label=on.next_verdict_label,
        warning=warning(on, today))


def _iso(value: Any) -> str | None:
    return str(value)[:10] if value else None


def with_board_verdicts(refs: Iterable, view: BoardView | None, today: dt.date,
                        allowed_only: bool = False) -> list:
    """`refs` (check.ToolRef with the sector `verdict` of `today`) with the board's verdict
    beside it; only those the board allows, if `allowed_only`."""
    if view is None:
        return list(refs)
    out = []
    for ref in refs:
        here = verdict_here(view, ref.id, ref.verdict, today) if ref.verdict else None
        if allowed_only and here not in ALLOWED:
            continue
        out.append(msgspec.structs.replace(
            ref, board_verdict=here, board_verdict_label=VERDICT_LABELS.get(here)))
    return out


def feed_row(view: BoardView, row: dict, today: dt.date) -> dict | None:
    """An embed feed row (`reader.allowed`) as it holds at the board's schools on `today`;
    None when the board does not allow the tool."""
    board_row = view.verdicts.get(row["id"])
    if board_row is None:
        return row
    on = verdict_on(board_row, today)
    if on.verdict not in ALLOWED:
        return None
    return {**row, "verdict": on.verdict, "verdict_label": on.verdict_label,
            "conditions": _decode_texts(on.conditions or "[]"),
            "changes_on": on.changes_on.isoformat() if on.changes_on else None,
            "next_verdict": on.next_verdict, "next_verdict_label": on.next_verdict_label,
            "warning": warning(on, today)}


def approved_here(view: BoardView, today: dt.date, listed: Iterable[str]) -> list[str]:
    """Tools the board allows on `today` that are not among `listed` (the sector's allowed)."""
    seen = set(listed)
    return sorted(tool_id for tool_id, row in view.verdicts.items()
                  if tool_id not in seen and verdict_on(row, today).verdict in ALLOWED)
