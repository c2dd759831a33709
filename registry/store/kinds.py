"""One declaration per kind of record: all that storage, import, export and the API's
filters need to know about it, in one place.

`Registry.create`, `update`, `archive`, `list`, `all` and `records_by_id`, the reference
checks (`registry.store.references`, for one record and for a whole file), the importer, the
exporter, CSV files and the API's list filters all read these. Adding a kind (school boards
are next) is its Structs in `registry.models`, one `Kind` here and its migration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import msgspec

from registry import models


@dataclass(frozen=True)
class Reference:
    """A field that names a record of another kind (or, `many`, a list of them)."""

    field: str
    target: str  # the kind it names
    many: bool = False  # a list of ids; an error names the item: `$.tool_ids[2]`
    same: str | None = None
    """A field of this record that each target must have the same value in: an agreement's
    tools belong to the agreement's vendor (`same="vendor_id"`)."""
    unless: str | None = None
    """A value that names no record: an agreement's `party` is a board, unless `sector`."""


@dataclass(frozen=True)
class Links:
    """A list of ids kept in a table of its own, one row per item, in insertion order."""

    field: str  # the record's field: "tool_ids"
    table: str  # "agreement_tools"
    owner: str  # the column that names the record: "agreement_id"
    item: str  # the column that holds the item: "tool_id"


@dataclass(frozen=True)
class Filter:
    """A list filter: the query parameter and its SQL condition, with one `?` for its value."""

    name: str
    where: str
    values: type[StrEnum] | None = None  # the values it allows, when the column's type does not say


def _json_fields(struct_type: type) -> frozenset[str]:
    """Fields stored as JSON text: lists, dicts and nested Structs."""
    info = msgspec.inspect.type_info(struct_type)
    nested = (msgspec.inspect.ListType, msgspec.inspect.StructType, msgspec.inspect.DictType)

    def is_nested(t) -> bool:
        if isinstance(t, msgspec.inspect.UnionType):
            return any(is_nested(x) for x in t.types)
        return isinstance(t, nested)

    return frozenset(f.name for f in info.fields if is_nested(f.type))


@dataclass(frozen=True)
class Kind:
    name: str  # its table and its URL segment
    singular: str
    input: type[models.Base]  # what a client sends
    stored: type[models.Base]  # what the registry keeps and returns: with version and times
    search: tuple[str, ...] = ()  # the text columns `q` searches, besides the id
    references: tuple[Reference, ...] = ()
    links: tuple[Links, ...] = ()
    filters: tuple[Filter, ...] = ()
    file_words: tuple[str, ...] = ()  # words in the name of a CSV file of this kind
    json_fields: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        linked = {link.field for link in self.links}
        object.__setattr__(self, "json_fields", _json_fields(self.stored) - linked)

    @property
    def table(self) -> str:
        return self.name

    @property
    def filter_names(self) -> frozenset[str]:
        """Every filter a list of this kind takes: its own and `q`, the text search."""
        return frozenset({"q", *(f.name for f in self.filters)})

    def filter(self, name: str) -> Filter | None:
        return next((f for f in self.filters if f.name == name), None)


VENDORS = Kind(
    name="vendors", singular="vendor", input=models.VendorIn, stored=models.Vendor,
    search=("name",), file_words=("vendor", "leverancier"),
)
TOOLS = Kind(
    name="tools", singular="tool", input=models.ToolIn, stored=models.Tool,
    search=("name", "description"), file_words=("tool",),
    references=(Reference("vendor_id", "vendors"),),
    filters=(
        Filter("vendor", "vendor_id = ?"),
        Filter("category", "category = ?"),
        Filter("level", "EXISTS (SELECT 1 FROM json_each(levels) WHERE value = ?)"),
    ),
)
BOARDS = Kind(
    name="boards", singular="board", input=models.BoardIn, stored=models.Board,
    search=("name",), file_words=("board", "bestuur", "besturen"),
    filters=(
        Filter("school_type", "EXISTS (SELECT 1 FROM json_each(school_types) WHERE value = ?)",
               models.SchoolType),
        Filter("school", "EXISTS (SELECT 1 FROM json_each(schools) WHERE value = ?)"),
    ),
)
AGREEMENTS = Kind(
    name="agreements", singular="agreement", input=models.AgreementIn, stored=models.Agreement,
    search=("party",), file_words=("agreement", "overeenkomst"),
    references=(Reference("vendor_id", "vendors"),
                Reference("tool_ids", "tools", many=True, same="vendor_id"),
                Reference("party", "boards", unless="sector")),
    links=(Links("tool_ids", "agreement_tools", "agreement_id", "tool_id"),),
    filters=(
        Filter("vendor", "vendor_id = ?"),
        Filter("tool", "id IN (SELECT agreement_id FROM agreement_tools WHERE tool_id = ?)"),
        Filter("status", "status = ?", models.AgreementStatus),
        Filter("party", "party = ?"),
    ),
)
ASSESSMENTS = Kind(
    name="assessments", singular="assessment", input=models.AssessmentIn,
    stored=models.Assessment, search=("assessor", "public_summary"),
    file_words=("assessment", "beoordeling", "dpia"),
    references=(Reference("tool_id", "tools"),),
    filters=(
        Filter("tool", "tool_id = ?"),
        Filter("status", "status = ?", models.AssessmentStatus),
    ),
)

BOARD_DECISIONS = Kind(
    name="board_decisions", singular="board_decision", input=models.BoardDecisionIn,
    stored=models.BoardDecision, search=("reason",), file_words=("decision", "besluit"),
    references=(Reference("board_id", "boards"), Reference("tool_id", "tools")),
    filters=(
        Filter("board", "board_id = ?"),
        Filter("tool", "tool_id = ?"),
        Filter("decision", "decision = ?", models.BoardDecisionKind),
    ),
)

KINDS: dict[str, Kind] = {k.name: k for k in (VENDORS, TOOLS, BOARDS, AGREEMENTS, ASSESSMENTS,
                                              BOARD_DECISIONS)}
"""The records of a bundle, of the API's record routes and of the audit log, by name, in
dependency order (a kind only refers to kinds before it)."""

REVIEW_REQUESTS = Kind(
    name="review_requests", singular="review request", input=models.ReviewRequestIn,
    stored=models.ReviewRequest, references=(Reference("tool_id", "tools"),),
    filters=(Filter("status", "status = ?", models.ReviewStatus),),
)
"""Teachers' review requests: stored, linked to a tool and audited like records, but neither
imported, exported nor versioned by create and update (see `registry.store.reviews`)."""

TABLES = (*(k.table for k in KINDS.values()), REVIEW_REQUESTS.table)
"""The tables whose rows are never deleted (archived instead): a trigger refuses it."""
