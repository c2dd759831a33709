"""The words of the wire: constrained field types (`Slug`, `HttpUrl`, `Country`, ...) and the
enums whose values are the codes clients send (`Category`, `ModelVersion`, ...).

`registry.models` builds the records from them and re-exports them, so `models.Slug` and
`models.Category` read as before.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from msgspec import Meta

# ISO 3166-1 alpha-2, officially assigned codes.
COUNTRY_CODES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO
    DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU
    GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW
    KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU
    MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA
    ZM ZW""".split()
)

Slug = Annotated[
    str,
    Meta(
        pattern=r"^[a-z0-9][a-z0-9-]{0,63}(?!\n)$",
        description="Stable, URL-safe id: lower-case letters, digits and hyphens, at most 64.",
        examples=["rekenrijk"],
    ),
]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
ShortText = Annotated[str, Meta(min_length=1, max_length=500)]
LongText = Annotated[str, Meta(max_length=5000)]
KvkNumber = Annotated[
    str, Meta(pattern=r"^[0-9]{8}(?!\n)$", description="Dutch Chamber of Commerce number: 8 digits.")
]
Country = Annotated[
    Literal[tuple(sorted(COUNTRY_CODES))],  # type: ignore[misc]
    Meta(description="ISO 3166-1 alpha-2 country code, upper case (NL, DE, US)."),
]
# Blanks and control characters, spelled out: `\s` is not the same set in Python's re (which
# msgspec checks with) and in ECMA-262, the dialect of JSON Schema and of clients generated
# from the OpenAPI document (Python's has \x1c-\x1f and \x85, ECMA's has \ufeff), so with
# `\s` the document allowed what the API refused.
_BLANK = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
HttpUrl = Annotated[
    str,
    Meta(
        pattern=rf"^https?://[^{_BLANK}/?#@\\]+(?:[/?#][^{_BLANK}]*)?(?!\n)$",
        max_length=2000,
        description="An absolute http(s) URL.",
        examples=["https://www.example.nl/privacy"],
    ),
]
Host = Annotated[
    str,
    Meta(
        pattern=r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}(?!\n)$",
        description="A host name in lower case, internationalised names in punycode (xn--).",
        examples=["app.rekenrijk.nl"],
    ),
]
Email = Annotated[
    str, Meta(pattern=rf"^[^@{_BLANK}]+@[^@{_BLANK}]+\.[^@{_BLANK}]+(?!\n)$", max_length=254)
]
Condition = Annotated[str, Meta(min_length=3, max_length=300)]
BoardNumber = Annotated[
    str,
    Meta(
        pattern=r"^[0-9]{5}(?!\n)$",
        description="A school board's number as DUO publishes it (bevoegd gezag): 5 digits.",
        examples=["41234"],
    ),
]
SchoolCode = Annotated[
    str,
    Meta(
        pattern=r"^[0-9]{2}[A-Z]{2}([0-9]{2})?(?!\n)$",
        description="A school's BRIN code (00AA) or the code of one of its locations (00AA01).",
        examples=["12AB", "12AB01"],
    ),
]
Party = Annotated[
    str,
    Meta(
        pattern=r"^(sector|[0-9]{5})(?!\n)$",
        description="Who signed the agreement: `sector`, or the number of the school board that "
        "signed it for its own schools.",
        examples=["sector", "41234"],
    ),
]
Count = Annotated[int, Meta(ge=0, le=100_000)]


class CovenantStatus(StrEnum):
    participant = "participant"
    supporter = "supporter"
    none = "none"


class Category(StrEnum):
    learning_material = "learning_material"
    practice = "practice"
    assessment = "assessment"
    pupil_administration = "pupil_administration"
    communication = "communication"
    productivity = "productivity"
    content_creation = "content_creation"
    ai_assistant = "ai_assistant"
    other = "other"


class Level(StrEnum):
    PO = "PO"
    VO = "VO"
    SO = "SO"


class Audience(StrEnum):
    pupils = "pupils"
    teachers = "teachers"
    staff = "staff"
    parents = "parents"


class PseudonymisationStatus(StrEnum):
    compliant = "compliant"
    non_compliant = "non_compliant"
    not_applicable = "not_applicable"
    unknown = "unknown"


class ChainRole(StrEnum):
    las = "LAS"
    elo = "ELO"
    distributor = "distributor"
    publisher = "publisher"
    other = "other"


class ModelVersion(StrEnum):
    model_4 = "model_4"
    model_3 = "model_3"
    model_2 = "model_2"
    general = "general"
    own = "own"


class AgreementStatus(StrEnum):
    offered = "offered"
    in_review = "in_review"
    signed = "signed"
    terminated = "terminated"


class AssessmentKind(StrEnum):
    dpia = "dpia"
    privacy_quickscan = "privacy_quickscan"
    security = "security"


class AssessmentStatus(StrEnum):
    draft = "draft"
    final = "final"
    withdrawn = "withdrawn"


class Outcome(StrEnum):
    approved = "approved"
    approved_with_conditions = "approved_with_conditions"
    rejected = "rejected"


class Risk(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class Role(StrEnum):
    """Staff roles, each including the ones before it: procurement < publisher < admin."""

    procurement = "procurement"
    publisher = "publisher"
    admin = "admin"


class SchoolType(StrEnum):
    """Kinds of school a board runs: primary, secondary, special education."""

    PO = "PO"
    VO = "VO"
    SO = "SO"


class BoardDecisionKind(StrEnum):
    """What a board decided about a tool. `follow` (the sector verdict holds) is the default
    and is never stored: archiving a decision returns the board to it."""

    stricter = "stricter"
    own_approval = "own_approval"


class ReviewStatus(StrEnum):
    open = "open"
    linked = "linked"
    closed = "closed"
