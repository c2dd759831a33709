"""The registry's records as msgspec Structs: what a client may send and what the server owns.

Constraints live in the types. Cross-field rules (dates in order, conditions with
`approved_with_conditions`) live in `__post_init__` and name the field first, in backticks,
so error reports can point at it (see `errors.field_errors`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from registry.board_models import (  # noqa: F401 (re-exported: models.Board, ...)
    Board,
    BoardDecision,
    BoardDecisionIn,
    BoardIn,
    DecisionReason,
)
from registry.fields import (  # noqa: F401 (re-exported: models.Slug, models.Category)
    AgreementStatus,
    AssessmentKind,
    AssessmentStatus,
    Audience,
    BoardDecisionKind,
    BoardNumber,
    Category,
    ChainRole,
    Condition,
    Count,
    Country,
    COUNTRY_CODES,
    CovenantStatus,
    Email,
    Host,
    HttpUrl,
    KvkNumber,
    Level,
    LongText,
    ModelVersion,
    Name,
    Outcome,
    Party,
    PseudonymisationStatus,
    ReviewStatus,
    Risk,
    Role,
    SchoolCode,
    SchoolType,
    ShortText,
    Slug,
)
from registry.shapes import Base, _after, _unique  # noqa: F401 (re-exported: models.Base)


# --- nested parts -------------------------------------------------------------------------


class Certification(Base, kw_only=True):
    name: Name
    certified_on: dt.date | None = None
    valid_until: dt.date | None = None

    def __post_init__(self):
        _after(self.valid_until, self.certified_on, "valid_until", "certified_on")


class PrivacyContact(Base, kw_only=True):
    """Internal: never published."""

    name: Name | None = None
    email: Email | None = None
    phone: Annotated[str, Meta(pattern=r"^[0-9 +()-]{6,20}(?!\n)$")] | None = None


class ToolDomain(Base, kw_only=True):
    host: Host
    include_subdomains: bool = False


class DataCategory(Base, kw_only=True):
    name: Name
    special: bool = False
    bsn: bool = False


class SubProcessor(Base, kw_only=True):
    name: Name
    activity: ShortText
    country: Country


class Pseudonymisation(Base, kw_only=True):
    status: PseudonymisationStatus = PseudonymisationStatus.unknown
    chain_role: ChainRole | None = None
    uses_eck_id: bool = False
    checked_on: dt.date | None = None
    evidence_url: HttpUrl | None = None


class RiskCounts(Base, kw_only=True):
    low: Count = 0
    medium: Count = 0
    high: Count = 0


# --- records as a client sends them ---------------------------------------------------------


class VendorIn(Base, kw_only=True):
    id: Slug
    name: Name
    kvk_number: KvkNumber | None = None
    country: Country
    website: HttpUrl | None = None
    covenant_status: CovenantStatus = CovenantStatus.none
    covenant_since: dt.date | None = None
    certifications: list[Certification] = []
    privacy_contact: PrivacyContact | None = None
    internal_notes: LongText | None = None

    def __post_init__(self):
        if self.covenant_since is not None and self.covenant_status == CovenantStatus.none:
            raise ValueError("`covenant_since` is only meaningful with a covenant status")


class ToolIn(Base, kw_only=True):
    id: Slug
    vendor_id: Slug
    name: Name
    description: LongText = ""
    website: HttpUrl | None = None
    domains: Annotated[list[ToolDomain], Meta(max_length=50)] = []
    category: Category
    levels: Annotated[list[Level], Meta(min_length=1)]
    audience: list[Audience] = []
    free_of_charge: bool = False
    minimum_age: Annotated[int, Meta(ge=0, le=99)] | None = None
    usable_without_personal_data: bool = False
    processes_personal_data: bool = True
    data_categories: list[DataCategory] = []
    data_locations: list[Country] = []
    sub_processors: list[SubProcessor] = []
    retention: ShortText | None = None
    no_commercial_use: bool = False
    no_ads: bool = False
    no_profiling: bool = False
    pseudonymisation: Pseudonymisation = msgspec.field(default_factory=Pseudonymisation)
    internal_notes: LongText | None = None

    def __post_init__(self):
        _unique(self.levels, "levels")
        _unique(self.audience, "audience")
        _unique(self.data_locations, "data_locations")
        _unique([d.host for d in self.domains], "domains")


class AgreementIn(Base, kw_only=True):
    id: Slug
    vendor_id: Slug
    tool_ids: Annotated[list[Slug], Meta(min_length=1, max_length=500)]
    model_version: ModelVersion
    status: AgreementStatus
    signed_on: dt.date | None = None
    expires_on: dt.date | None = None
    deviations: bool = False
    deviations_summary: LongText | None = None
    privacybijsluiter_url: HttpUrl | None = None
    privacybijsluiter_version: Annotated[str, Meta(min_length=1, max_length=50)] | None = None
    party: Party = "sector"
    """`sector`, or the board that signed it: it then counts only for that board's verdict."""
    internal_notes: LongText | None = None

    def __post_init__(self):
        _unique(self.tool_ids, "tool_ids")
        _after(self.expires_on, self.signed_on, "expires_on", "signed_on")
        if self.status == AgreementStatus.signed and self.signed_on is None:
            raise ValueError("`signed_on` is required when the status is `signed`")
        if self.deviations and not self.deviations_summary:
            raise ValueError("`deviations_summary` is required when `deviations` is true")


class AssessmentIn(Base, kw_only=True):
    id: Slug
    tool_id: Slug
    kind: AssessmentKind
    assessor: Name
    assessed_on: dt.date
    valid_until: dt.date | None = None
    status: AssessmentStatus
    outcome: Outcome | None = None
    residual_risk: Risk | None = None
    risk_counts: RiskCounts = msgspec.field(default_factory=RiskCounts)
    conditions: Annotated[list[Condition], Meta(max_length=30)] = []
    public_summary: LongText | None = None
    internal_notes: LongText | None = None
    source_url: HttpUrl | None = None

    def __post_init__(self):
        _after(self.valid_until, self.assessed_on, "valid_until", "assessed_on")
        if self.status == AssessmentStatus.final:
            if self.outcome is None:
                raise ValueError("`outcome` is required when the status is `final`")
            if self.residual_risk is None:
                raise ValueError("`residual_risk` is required when the status is `final`")
        if self.outcome == Outcome.approved_with_conditions and not self.conditions:
            raise ValueError(
                "`conditions` must list at least one condition when the outcome is "
                "`approved_with_conditions`"
            )


# --- records as the server stores and returns them ----------------------------------------


class Vendor(VendorIn, kw_only=True):
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    archived_at: dt.datetime | None = None


class Tool(ToolIn, kw_only=True):
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    archived_at: dt.datetime | None = None


class Agreement(AgreementIn, kw_only=True):
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    archived_at: dt.datetime | None = None


class Assessment(AssessmentIn, kw_only=True):
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    archived_at: dt.datetime | None = None


# --- review requests, the audit log, tokens -----------------------------------------------


class ReviewRequestIn(Base, kw_only=True):
    """What an anonymous teacher sends; no personal data is asked for."""

    tool_name: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    url: Annotated[str, Meta(min_length=1, max_length=2000)] | None = None
    school: Annotated[str, Meta(max_length=200)] | None = None
    reason: Annotated[str, Meta(max_length=1000)] | None = None

    def __post_init__(self):
        if not (self.tool_name or self.url):
            raise ValueError("`tool_name` or `url` is required: say which tool to review")


class ClosedReason(StrEnum):
    """Why procurement closed a review request (Dutch words: registry/labels/requests.py)."""

    assessed = "assessed"
    already_listed = "already_listed"
    not_educational = "not_educational"
    duplicate = "duplicate"
    out_of_scope = "out_of_scope"


class ReviewRequest(Base, kw_only=True):
    id: Slug
    tool_name: str | None = None
    url: str | None = None
    host: str | None = None
    school: str | None = None
    """The first asker's; every asker's own is kept with their ask (`ReviewRequestAsk`)."""
    reason: str | None = None
    status: ReviewStatus = ReviewStatus.open
    count: int = 1
    """How often it was asked for, one client address counting once a day."""
    tool_id: Slug | None = None
    closed_reason: ClosedReason | None = None
    closed_note: str | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    last_asked_at: dt.datetime | None = None


class ReviewRequestUpdate(Base, kw_only=True):
    status: ReviewStatus
    tool_id: Slug | None = None
    closed_reason: ClosedReason | None = None
    closed_note: LongText | None = None

    def __post_init__(self):
        if self.status == ReviewStatus.linked and self.tool_id is None:
            raise ValueError("`tool_id` is required when the status is `linked`")
        if self.status == ReviewStatus.closed and self.closed_reason is None:
            raise ValueError("`closed_reason` is required when the status is `closed`: say why "
                             "the request is closed")
        if self.status != ReviewStatus.closed and (self.closed_reason or self.closed_note):
            field = "closed_reason" if self.closed_reason else "closed_note"
            raise ValueError(f"`{field}` is only meaningful when the status is `closed`")


class ReviewRequestAsk(Base, kw_only=True):
    """One teacher's ask, with its own public code (procurement sees every ask)."""

    code: str
    school: str | None = None
    reason: str | None = None
    asked_at: dt.datetime


class ReviewRequestForAsker(Base, kw_only=True):
    """What the holder of one code may see: the request's state, never another asker's school
    or reason."""

    code: str
    tool_name: str | None = None
    url: str | None = None
    host: str | None = None
    status: ReviewStatus
    closed_reason: ClosedReason | None = None
    closed_reason_label: str | None = None
    closed_note: str | None = None
    tool_id: Slug | None = None
    asked_at: dt.datetime


class Event(Base, kw_only=True):
    """One entry of the append-only audit log."""

    id: int
    at: dt.datetime
    actor: str
    action: Literal["create", "update", "archive", "restore", "import", "replace_policy",
                    "link", "close"]
    kind: str
    record_id: str
    version: int
    changed: list[str] = []
    before: dict | None = None
    after: dict | None = None
    source: str | None = None
    hash: str


class ApiToken(Base, kw_only=True):
    """A token as listed: the secret itself is never stored, only its SHA-256 hash."""

    id: str
    name: str
    role: Role
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    board_id: str | None = None
    """The school board (DUO number) the token may write for; None: the sector's."""


RecordKey = Annotated[
    str,
    Meta(
        pattern=r"^(vendors|tools|boards|agreements|assessments|board_decisions)/[a-z0-9][a-z0-9-]{0,63}(?!\n)$",
        description="Kind and id of a record, as in the API path: 'tools/rekenrijk'.",
    ),
]
Fingerprint = Annotated[
    str,
    Meta(
        pattern=r"^[0-9a-f]{16}(?!\n)$",
        description="The first 16 hex digits of the SHA-256 of the record's canonical JSON.",
    ),
]


class Bundle(Base, kw_only=True):
    """Records of every kind in one file: the import and export format, and the demo data."""

    schema: str | None = msgspec.field(default=None, name="$schema")
    demo: bool = False
    description: str | None = None
    vendors: list[VendorIn] = []
    tools: list[ToolIn] = []
    boards: list[BoardIn] = []
    agreements: list[AgreementIn] = []
    assessments: list[AssessmentIn] = []
    board_decisions: list[BoardDecisionIn] = []
    fingerprints: Annotated[
        dict[RecordKey, Fingerprint],
        Meta(
            description="Each record as it was when exported, by fingerprint: an import "
            "refuses to overwrite a record that has changed in the registry since, unless forced."
        ),
    ] = {}


RECORD_TYPES: dict[str, tuple[type[Base], type[Base]]] = {
    "vendors": (VendorIn, Vendor),
    "tools": (ToolIn, Tool),
    "boards": (BoardIn, Board),
    "agreements": (AgreementIn, Agreement),
    "assessments": (AssessmentIn, Assessment),
    "board_decisions": (BoardDecisionIn, BoardDecision),
}
"""Per kind of record (its table and URL segment): the input shape and the stored shape."""

SINGULAR = {"vendors": "vendor", "tools": "tool", "boards": "board", "agreements": "agreement",
            "assessments": "assessment", "board_decisions": "board_decision"}
