"""Verdicts for the tools in the registry: the current policy and the records, gathered once.

The verdict itself is pure (`registry.verdict.evaluate`); this module only feeds it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import msgspec

from registry import models
from registry.db import Registry
from registry.policy import Policy, load_policy
from registry.verdict import Verdict, evaluate, evaluate_with_following
from registry.verdict import last_valid_day


def current_policy(registry: Registry) -> Policy:
    """The latest stored policy; the packaged default while none has been stored."""
    documents = registry.policies.documents()
    if not documents:
        return load_policy()
    return msgspec.convert(documents[-1]["document"], Policy)


class Records(msgspec.Struct):
    """Every live record, grouped the way the verdict wants them."""

    tools: dict[str, models.Tool]
    vendors: dict[str, models.Vendor]
    agreements: dict[str, list[models.Agreement]]
    assessments: dict[str, list[models.Assessment]]

    @classmethod
    def load(cls, registry: Registry, include_archived_tools: bool = False) -> Records:
        agreements, assessments = defaultdict(list), defaultdict(list)
        for agreement in registry.all("agreements"):
            for tool_id in agreement.tool_ids:
                agreements[tool_id].append(agreement)
        for assessment in registry.all("assessments"):
            assessments[assessment.tool_id].append(assessment)
        return cls(
            tools={t.id: t for t in registry.all("tools", include_archived_tools)},
            vendors={v.id: v for v in registry.all("vendors", include_archived=True)},
            agreements=agreements,
            assessments=assessments,
        )

    @classmethod
    def for_tools(cls, registry: Registry, tools: Iterable[models.Tool]) -> Records:
        """Only what the verdicts on `tools` need, as `load` gathers it: their vendors (archived
        ones too) and their live agreements and assessments. For one page of a list."""
        tools = {t.id: t for t in tools}
        return cls(
            tools=tools,
            vendors=registry.records_by_id("vendors", {t.vendor_id for t in tools.values()}),
            agreements={i: registry.list("agreements", tool=i, limit=None)[0] for i in tools},
            assessments={i: registry.list("assessments", tool=i, limit=None)[0] for i in tools},
        )

    def verdict(self, tool: models.Tool, policy: Policy, today: dt.date) -> Verdict:
        return self.verdict_and_following(tool, policy, today)[0]

    def verdict_and_following(self, tool: models.Tool, policy: Policy, today: dt.date
                              ) -> tuple[Verdict, Verdict | None]:
        """The verdict on `today` and the one from the day it changes by itself on."""
        return evaluate_with_following(
            tool,
            self.vendors.get(tool.vendor_id),
            self.agreements.get(tool.id, []),
            self.assessments.get(tool.id, []),
            policy,
            today,
        )

    def verdicts(self, policy: Policy, today: dt.date, ids: Iterable[str] | None = None
                 ) -> dict[str, Verdict]:
        chosen = self.tools if ids is None else {i: self.tools[i] for i in ids}
        return {tool_id: self.verdict(tool, policy, today) for tool_id, tool in chosen.items()}


def verdict_for(registry: Registry, tool_id: str, today: dt.date) -> Verdict:
    """The live verdict on one tool (archived tools too)."""
    tool = registry.get("tools", tool_id)
    agreements, _ = registry.list("agreements", tool=tool_id, limit=10_000)
    assessments, _ = registry.list("assessments", tool=tool_id, limit=10_000)
    vendor = registry.get("vendors", tool.vendor_id)
    return evaluate(tool, vendor, agreements, assessments, current_policy(registry), today)


class VerdictChange(models.Base, kw_only=True):
    """One tool whose verdict a proposed policy would change, and why."""

    tool_id: str
    name: str
    before: str
    after: str
    reasons: list[str]


def simulate(records: Records, current: Policy, proposed: Policy, today: dt.date
             ) -> list[VerdictChange]:
    """Every tool whose verdict code would change under `proposed`, with the reasons that did."""
    changes = []
    for tool_id, tool in records.tools.items():
        before = records.verdict(tool, current, today)
        after = records.verdict(tool, proposed, today)
        if before.code != after.code:
            was = {(r.rule, r.passed, r.text) for r in before.reasons}
            changes.append(VerdictChange(
                tool_id=tool_id,
                name=tool.name,
                before=before.code,
                after=after.code,
                reasons=[r.text for r in after.reasons if (r.rule, r.passed, r.text) not in was],
            ))
    return changes


class Expiring(models.Base, kw_only=True):
    """An agreement or assessment whose last valid day falls within the window."""

    kind: str
    id: str
    last_valid_day: dt.date
    days_left: int
    vendor_id: str | None = None
    tool_ids: list[str] = []


def expiring(records: Records, policy: Policy, today: dt.date, within: int) -> list[Expiring]:
    """Agreements and assessments that run out within `within` days from `today`, soonest first."""
    horizon = today + dt.timedelta(days=within)
    seen, out = set(), []
    for agreement in (a for group in records.agreements.values() for a in group):
        last = agreement.expires_on
        if (agreement.id in seen or agreement.status != models.AgreementStatus.signed
                or last is None or not today <= last <= horizon):
            continue
        seen.add(agreement.id)
        out.append(Expiring(kind="agreement", id=agreement.id, last_valid_day=last,
                            days_left=(last - today).days, vendor_id=agreement.vendor_id,
                            tool_ids=agreement.tool_ids))
    for assessment in (a for group in records.assessments.values() for a in group):
        if assessment.status != models.AssessmentStatus.final:
            continue
        last = last_valid_day(assessment, policy.rules)
        if today <= last <= horizon:
            out.append(Expiring(kind="assessment", id=assessment.id, last_valid_day=last,
                                days_left=(last - today).days, tool_ids=[assessment.tool_id]))
    return sorted(out, key=lambda e: (e.last_valid_day, e.kind, e.id))
