"""The policy: the minimum standards as a versioned JSON document that sector staff can change.

The verdict it gives (`evaluate`, `Verdict`, `VerdictCode`, ...) lives in `registry.verdict`,
which reads this module; this one reads nothing of it (no import cycle).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from registry.models import AssessmentKind, Base, Category, Country, ModelVersion, Risk, _unique

DEFAULT_POLICY_PATH = Path(__file__).parent / "data" / "policy.json"
SCHEMA_ID = "https://schemas.witte-lijst.nl/policy.schema.json"


# msgspec cannot say "unique items", so the rules holding these lists check it in `__post_init__`.
def _unique_list(item, description: str):
    meta = Meta(min_length=1, description=description, extra_json_schema={"uniqueItems": True})
    return Annotated[list[item], meta]


ModelVersions = _unique_list(ModelVersion, "Model versions of the processing agreement that count.")
Categories = _unique_list(Category, "Tool categories that receive pupil identities from schools.")
AssessmentKinds = _unique_list(AssessmentKind, "Kinds of assessment that count for the verdict.")


Explanation = Annotated[
    str,
    Meta(
        min_length=20,
        max_length=1000,
        description="What the rule asks and why, in plain Dutch (B1) that a teacher understands.",
    ),
]


# --- the policy document ----------------------------------------------------------------


class AgreementRule(Base, kw_only=True):
    """A tool processing personal data needs a signed, unexpired agreement of an accepted model."""

    id: Literal["agreement"]
    explanation: Explanation
    accepted_models: ModelVersions

    def __post_init__(self):
        _unique(self.accepted_models, "accepted_models")


class PseudonymisationRule(Base, kw_only=True):
    """A tool receiving pupil identities must be pseudonymisation-compliant or not applicable."""

    id: Literal["pseudonymisation"]
    explanation: Explanation
    receives_pupil_identities: Categories

    def __post_init__(self):
        _unique(self.receives_pupil_identities, "receives_pupil_identities")


class AssessmentRule(Base, kw_only=True):
    """A tool needs a final, unexpired assessment that did not reject it."""

    id: Literal["assessment"]
    explanation: Explanation
    accepted_kinds: AssessmentKinds

    def __post_init__(self):
        _unique(self.accepted_kinds, "accepted_kinds")


class ResidualRiskRule(Base, kw_only=True):
    """The residual risk of the latest final assessment may not exceed a maximum."""

    id: Literal["residual_risk"]
    explanation: Explanation
    maximum: Annotated[Risk, Meta(description="The highest residual risk that is still allowed.")]


class DataLocationRule(Base, kw_only=True):
    """Personal data stays in the EEA or in a country with an adequacy decision the policy lists."""

    id: Literal["data_location"]
    explanation: Explanation
    adequacy: Annotated[
        list[Country],
        Meta(
            description="Countries outside the EEA whose EU adequacy decision this policy accepts.",
            extra_json_schema={"uniqueItems": True},
        ),
    ]

    def __post_init__(self):
        _unique(self.adequacy, "adequacy")


class ConditionsRule(Base, kw_only=True):
    """An approval with conditions allows the tool only under those conditions."""

    id: Literal["conditions"]
    explanation: Explanation


class ReassessmentRule(Base, kw_only=True):
    """An assessment expires once it is older than the reassessment interval."""

    id: Literal["reassessment"]
    explanation: Explanation
    interval_months: Annotated[
        int,
        Meta(ge=1, le=120, description="Months after `assessed_on` on which assessments expire."),
    ]


class Rules(Base, kw_only=True):
    """One entry per rule, keyed by its stable id."""

    agreement: AgreementRule
    pseudonymisation: PseudonymisationRule
    assessment: AssessmentRule
    residual_risk: ResidualRiskRule
    data_location: DataLocationRule
    conditions: ConditionsRule
    reassessment: ReassessmentRule


class BoardRules(Base, kw_only=True):
    """What a school board may decide on top of the sector verdict."""

    may_approve_rejected: Annotated[bool, Meta(
        description="Whether a board may approve, on its own assessment, a tool the sector "
        "rejected (verdict `not_allowed`). Without this section: no.")] = False


class Policy(Base, kw_only=True):
    """The minimum standards, versioned so that every verdict names the policy that produced it."""

    version: Annotated[
        str,
        Meta(
            pattern=r"^[0-9]{4}\.[0-9]+(?!\n)$",
            description="Year and sequence number.",
            examples=["2026.1"],
        ),
    ]
    effective_on: Annotated[dt.date, Meta(description="First day on which this policy applies.")]
    rules: Rules
    boards: BoardRules | None = None
    """Rules for school boards' own decisions; absent: the defaults of `BoardRules`."""

    @property
    def board_rules(self) -> BoardRules:
        return self.boards or BoardRules()


class PolicyError(ValueError):
    """A policy document that cannot be used; the message names the file and the field path."""


def decode_policy(data: bytes | str, source: str = "policy") -> Policy:
    """Decode and validate a policy document from JSON."""
    try:
        return msgspec.json.decode(data, type=Policy)
    except msgspec.ValidationError as exc:
        raise PolicyError(f"{source} is not a valid policy: {exc}") from None
    except msgspec.DecodeError as exc:
        try:  # the standard library names line and column where msgspec gives a byte offset
            json.loads(data)
        except ValueError as located:
            exc = located
        raise PolicyError(f"{source} is not valid JSON: {exc}") from None


def load_policy(path: str | Path = DEFAULT_POLICY_PATH) -> Policy:
    """Read a policy document from a file; the packaged default when no path is given."""
    return decode_policy(Path(path).read_bytes(), source=str(path))


def policy_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a policy document, generated from `Policy`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Policy of the school whitelist",
        "description": (
            "The minimum standards a learning tool must meet to be allowed in Dutch schools. "
            "Generated from registry.policy.Policy: regenerate with `python -m registry.policy`."
        ),
        **msgspec.json.schema(Policy),
    }


__all__ = [
    "DEFAULT_POLICY_PATH",
    "Policy",
    "PolicyError",
    "Rules",
    "SCHEMA_ID",
    "decode_policy",
    "load_policy",
    "policy_schema",
]

if __name__ == "__main__":
    print(json.dumps(policy_schema(), indent=2, ensure_ascii=False))
