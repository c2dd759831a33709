"""School boards (bevoegd gezag) and their decisions on tools, as msgspec Structs: what a
client sends and what the registry keeps. `registry.models` re-exports them, so
`models.Board` reads like every other record."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta

from registry.fields import (
    BoardDecisionKind,
    BoardNumber,
    Condition,
    HttpUrl,
    LongText,
    Name,
    SchoolCode,
    SchoolType,
    Slug,
)
from registry.shapes import Base, _after, _unique


class BoardIn(Base, kw_only=True):
    """A school board (bevoegd gezag), the controller for its schools under the AVG."""

    id: BoardNumber
    name: Name
    school_types: Annotated[list[SchoolType], Meta(min_length=1)]
    schools: Annotated[list[SchoolCode], Meta(max_length=2000)] = []
    website: HttpUrl | None = None
    internal_notes: LongText | None = None

    def __post_init__(self):
        _unique(self.school_types, "school_types")
        _unique(self.schools, "schools")


DecisionReason = Annotated[str, Meta(min_length=3, max_length=2000)]


class BoardDecisionIn(Base, kw_only=True):
    """A board's own decision on a tool, on top of the sector verdict (public but for
    `internal_notes`). One live decision per board and tool."""

    id: Slug
    board_id: BoardNumber
    tool_id: Slug
    decision: BoardDecisionKind
    not_allowed: bool = False
    """With `stricter`: not allowed at this board's schools at all."""
    conditions: Annotated[list[Condition], Meta(max_length=30)] = []
    """With `stricter`: extra conditions; with `own_approval`: the conditions of the board's
    approval (none: allowed)."""
    reason: DecisionReason
    decided_on: dt.date
    decided_by: Name
    """The body that decided (e.g. "College van bestuur"), not a person's name."""
    ends_on: dt.date | None = None
    """The last day the decision holds; after it the board follows the sector again."""
    internal_notes: LongText | None = None

    def __post_init__(self):
        _after(self.ends_on, self.decided_on, "ends_on", "decided_on")
        if self.not_allowed and self.decision != BoardDecisionKind.stricter:
            raise ValueError("`not_allowed` is only meaningful when the decision is `stricter`")
        if self.not_allowed and self.conditions:
            raise ValueError("`conditions` are not meaningful when `not_allowed` is true: the "
                             "tool is then not allowed at all")
        if self.decision == BoardDecisionKind.stricter and not (self.not_allowed or self.conditions):
            raise ValueError("`conditions` must list at least one condition when the decision is "
                             "`stricter` and `not_allowed` is false")


class Board(BoardIn, kw_only=True):
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    archived_at: dt.datetime | None = None


class BoardDecision(BoardDecisionIn, kw_only=True):
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    archived_at: dt.datetime | None = None
