"""Registry records and verdicts → rows of the published whitelist, one explicit column list each.

Pure functions: no database, no clock. Every published column is named here; a field that
is not named (internal notes, privacy contacts, drafts, tokens, review requests) cannot leak,
because rows are built field by field, never copied from a record.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import msgspec

from registry import models
from registry.domains import name_key, registrable_domain
from registry.labels import (
    AGREEMENT_STATUS_LABELS,
    AUDIENCE_LABELS,
    CATEGORY_LABELS,
    CHANGE_LABELS,
    COUNTRY_NAMES,
    COVENANT_LABELS,
    KIND_LABELS,
    MODEL_LABELS,
    OUTCOME_LABELS,
    PSEUDONYMISATION_LABELS,
    RISK_LABELS,
)
from registry.labels.records import COUNTRY_LABELS
from registry.policy import Policy
from registry.verdict import ORDER, Verdict, VerdictCode
from registry.verdict import last_valid_day

ALLOWED = (VerdictCode.allowed, VerdictCode.allowed_with_conditions)
NEEDS_ALTERNATIVES = (VerdictCode.not_allowed, VerdictCode.not_assessed, VerdictCode.under_review)
MAX_ALTERNATIVES = 10
"""Per tool; with 100,000 tools a category can hold thousands of allowed ones."""

# --- the published columns, in order ------------------------------------------------------

TOOL_COLUMNS = {
    "id": str, "name": str, "vendor_id": str, "vendor_name": str, "description": str,
    "category": str, "category_label": str, "levels": str, "level_codes": str,
    "audience": str, "verdict": str, "verdict_label": str, "conditions": str, "reasons": str,
    "verdict_changes_on": str, "next_verdict": str, "next_verdict_label": str,
    "next_conditions": str, "next_reasons": str, "policy_version": str,
    "agreement_model": str, "agreement_model_label": str, "agreement_status": str,
    "agreement_status_label": str, "agreement_expires_on": str, "agreement_signed_on": str,
    "privacybijsluiter_url": str, "privacybijsluiter_version": str,
    "pseudonymisation": str, "pseudonymisation_label": str,
    "assessment_id": str, "assessment_kind": str, "assessment_assessor": str,
    "assessment_date": str, "assessment_outcome": str, "assessment_residual_risk": str,
    "assessment_valid_until": str, "assessment_source_url": str,
    "data_locations": str, "sub_processors": str, "retention": str, "free_of_charge": int,
    "minimum_age": int, "website": str,
    "domains": str, "alternatives": str, "name_key": str, "search": str,
}
VENDOR_COLUMNS = {
    "id": str, "name": str, "country": str, "website": str, "kvk_number": str,
    "covenant_status": str, "covenant_label": str, "covenant_since": str, "certifications": str,
}
DOMAIN_COLUMNS = {"host": str, "tool_id": str, "include_subdomains": int, "registrable_domain": str}
ASSESSMENT_COLUMNS = {
    "id": str, "tool_id": str, "kind": str, "assessor": str, "assessed_on": str,
    "valid_until": str, "outcome": str, "residual_risk": str, "conditions": str,
    "public_summary": str, "source_url": str,
}
CHANGE_COLUMNS = {
    "tool_id": str, "name": str, "change": str, "change_label": str, "before": str,
    "before_label": str, "after": str, "after_label": str, "reason": str,
}


_ENCODER = json.JSONEncoder(ensure_ascii=False)


def to_json(value: Any) -> str:
    """`json.dumps(value, ensure_ascii=False)`, without making an encoder for every value."""
    return _ENCODER.encode(value)


def compact_json(value: Any) -> str:
    """The JSON lists of a tool row: msgspec writes them five times faster than json.dumps."""
    return msgspec.json.encode(value).decode()


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _join(values) -> str:
    return ", ".join(values)


# --- tools ----------------------------------------------------------------------------------


def _agreement(tool: models.Tool, agreements: list[models.Agreement], verdict: Verdict,
               today: dt.date) -> tuple[models.Agreement | None, str]:
    """The agreement the verdict is based on (None if none counts) and its status code."""
    reason = next(r for r in verdict.reasons if r.rule == "agreement")
    if reason.record is not None and reason.record.kind == "agreement":
        agreement = next(a for a in agreements if a.id == reason.record.id)
        status = agreement.status.value
        if status == "signed" and agreement.expires_on and agreement.expires_on < today:
            status = "expired"
        return agreement, status
    return None, "none" if tool.processes_personal_data else "not_needed"


def _latest_assessment(verdict: Verdict, assessments: list[models.Assessment]):
    """The latest final assessment, as the verdict chose it (None if there is none)."""
    reason = next(r for r in verdict.reasons if r.rule == "assessment")
    if reason.record is None or reason.record.kind != "assessment":
        return None
    return next(a for a in assessments if a.id == reason.record.id)


def reasons_json(verdict: Verdict) -> str:
    return compact_json([{"rule": r.rule, "passed": r.passed, "text": r.text}
                          for r in verdict.reasons])


def next_verdict(then: Verdict | None) -> dict[str, Any]:
    """The verdict from the day a tool's verdict changes by itself on (`then`, None for a tool
    without such a day): the read wing answers with it from that day on, without waiting for
    a new publication."""
    if then is None:
        return {"next_verdict": None, "next_verdict_label": None, "next_conditions": None,
                "next_reasons": None}
    return {
        "next_verdict": then.code.value,
        "next_verdict_label": then.label,
        "next_conditions": compact_json(then.conditions),
        "next_reasons": reasons_json(then),
    }


def tool_row(tool: models.Tool, vendor: models.Vendor, agreements: list[models.Agreement],
             assessments: list[models.Assessment], verdict: Verdict, then: Verdict | None,
             policy: Policy, today: dt.date, alternatives: list[dict] | None) -> dict[str, Any]:
    agreement, agreement_status = _agreement(tool, agreements, verdict, today)
    latest = _latest_assessment(verdict, assessments)
    hosts = [d.host for d in tool.domains]
    return {
        "id": tool.id,
        "name": tool.name,
        "vendor_id": tool.vendor_id,
        "vendor_name": vendor.name,
        "description": tool.description,
        "category": tool.category.value,
        "category_label": CATEGORY_LABELS[tool.category],
        "levels": _join(tool.levels),
        "level_codes": compact_json(list(tool.levels)),
        "audience": _join(AUDIENCE_LABELS[a] for a in tool.audience),
        "verdict": verdict.code.value,
        "verdict_label": verdict.label,
        "conditions": compact_json(verdict.conditions),
        "reasons": reasons_json(verdict),
        "verdict_changes_on": day(verdict.valid_until),
        **next_verdict(then),
        "policy_version": verdict.policy_version,
        "agreement_model": agreement.model_version.value if agreement else None,
        "agreement_model_label": MODEL_LABELS[agreement.model_version] if agreement else None,
        "agreement_status": agreement_status,
        "agreement_status_label": AGREEMENT_STATUS_LABELS[agreement_status],
        "agreement_expires_on": day(agreement.expires_on) if agreement else None,
        "agreement_signed_on": day(agreement.signed_on) if agreement else None,
        "privacybijsluiter_url": agreement.privacybijsluiter_url if agreement else None,
        "privacybijsluiter_version": agreement.privacybijsluiter_version if agreement else None,
        "pseudonymisation": tool.pseudonymisation.status.value,
        "pseudonymisation_label": PSEUDONYMISATION_LABELS[tool.pseudonymisation.status],
        "assessment_id": latest.id if latest else None,
        "assessment_kind": KIND_LABELS[latest.kind] if latest else None,
        "assessment_assessor": latest.assessor if latest else None,
        "assessment_date": day(latest.assessed_on) if latest else None,
        "assessment_outcome": OUTCOME_LABELS[latest.outcome] if latest else None,
        "assessment_residual_risk": RISK_LABELS[latest.residual_risk] if latest else None,
        "assessment_valid_until": day(last_valid_day(latest, policy.rules)) if latest else None,
        "assessment_source_url": latest.source_url if latest else None,
        "data_locations": _join(COUNTRY_NAMES.get(c, c) for c in tool.data_locations),
        "sub_processors": compact_json([
            {"name": s.name, "activity": s.activity,
             "country": COUNTRY_LABELS.get(s.country, s.country)}
            for s in tool.sub_processors]) if tool.sub_processors else None,
        "retention": tool.retention,
        "free_of_charge": int(tool.free_of_charge),
        "minimum_age": tool.minimum_age,
        "website": tool.website,
        "domains": _join(hosts),
        "alternatives": None if alternatives is None else compact_json(alternatives),
        "name_key": name_key(tool.name),
        "search": name_key(" ".join([tool.name, vendor.name, *hosts])),
    }


Place = tuple[str, str, str, tuple[str, ...], VerdictCode]
"""What the alternatives of a tool read of each tool: (name, name_key, category, levels,
verdict code). The full build has it from the records, the incremental one from the
published rows of the tools it keeps."""


def place(tool: models.Tool, verdict: Verdict) -> Place:
    return (tool.name, name_key(tool.name), tool.category.value,
            tuple(map(str, tool.levels)), verdict.code)


def alternatives(places: dict[str, Place], only: set[str] | None = None
                 ) -> dict[str, list[dict]]:
    """Per tool that may not be used (of those in `only`, default all): allowed tools of the
    same category sharing a level, allowed before allowed with conditions, then by name; at
    most MAX_ALTERNATIVES."""
    order = {tool_id: (-code.rank, key, tool_id)
             for tool_id, (_, key, _, _, code) in places.items() if code in ALLOWED}
    by_place = defaultdict(list)
    for tool_id in sorted(order, key=order.get):
        _, _, category, levels, _ = places[tool_id]
        for level in levels:
            by_place[category, level].append(tool_id)
    out, cache = {}, {}
    for tool_id, (_, _, category, levels, code) in (
            places.items() if only is None else ((i, places[i]) for i in only if i in places)):
        if code not in NEEDS_ALTERNATIVES:
            continue
        where = (category, tuple(sorted(levels)))
        if where not in cache:  # one merge per category and set of levels, not per tool
            merged = heapq.merge(*(by_place[category, level] for level in where[1]),
                                 key=order.get)
            cache[where] = list(dict.fromkeys(merged))[:MAX_ALTERNATIVES + 1]
        chosen = [o for o in cache[where] if o != tool_id][:MAX_ALTERNATIVES]
        out[tool_id] = [{"id": o, "name": places[o][0]} for o in chosen]
    return out


def listed_tools(records) -> dict[str, models.Tool]:
    """The tools of `records` (`registry.verdicts.Records`) on the list: a tool of an
    archived vendor counts as archived, the vendor is gone from the list."""
    return {tool_id: tool for tool_id, tool in records.tools.items()
            if records.vendors[tool.vendor_id].archived_at is None}


def tool_tables(records, listed: dict[str, models.Tool], judged: dict[str, tuple],
                policy: Policy, today: dt.date, options: dict[str, list[dict]]
                ) -> dict[str, list[dict]]:
    """The rows of the `listed` tools in `tools`, `domains` and `assessments`, by tool id;
    `judged`: each tool's verdict and the one that follows, `options` its alternatives."""
    ordered = sorted(listed.items())
    return {
        "tools": [tool_row(tool, records.vendors[tool.vendor_id],
                           records.agreements.get(tool_id, []),
                           records.assessments.get(tool_id, []),
                           *judged[tool_id], policy, today, options.get(tool_id))
                  for tool_id, tool in ordered],
        "domains": [d for _, tool in ordered for d in domain_rows(tool)],
        "assessments": [row for tool_id, _ in ordered
                        for a in records.assessments.get(tool_id, [])
                        if (row := assessment_row(a)) is not None],
    }


# --- vendors, domains, assessments ----------------------------------------------------------


def vendor_row(vendor: models.Vendor) -> dict[str, Any]:
    return {
        "id": vendor.id,
        "name": vendor.name,
        "country": vendor.country,
        "website": vendor.website,
        "kvk_number": vendor.kvk_number,
        "covenant_status": vendor.covenant_status.value,
        "covenant_label": COVENANT_LABELS[vendor.covenant_status],
        "covenant_since": day(vendor.covenant_since),
        "certifications": to_json([
            {"name": c.name, "certified_on": day(c.certified_on),
             "valid_until": day(c.valid_until)}
            for c in vendor.certifications
        ]),
    }


def domain_rows(tool: models.Tool) -> list[dict[str, Any]]:
    return [
        {
            "host": d.host,
            "tool_id": tool.id,
            "include_subdomains": int(d.include_subdomains),
            "registrable_domain": registrable_domain(d.host),
        }
        for d in tool.domains
    ]


def assessment_row(assessment: models.Assessment) -> dict[str, Any] | None:
    """The public summary of a final assessment; None for drafts and withdrawn ones."""
    if assessment.status != models.AssessmentStatus.final or assessment.archived_at:
        return None
    return {
        "id": assessment.id,
        "tool_id": assessment.tool_id,
        "kind": assessment.kind.value,
        "assessor": assessment.assessor,
        "assessed_on": day(assessment.assessed_on),
        "valid_until": day(assessment.valid_until),
        "outcome": assessment.outcome.value,
        "residual_risk": assessment.residual_risk.value,
        "conditions": to_json(assessment.conditions),
        "public_summary": assessment.public_summary,
        "source_url": assessment.source_url,
    }


# --- changes against the previous publication -----------------------------------------------


def _quoted(label: str) -> str:
    return f"‘{label}’"


def change_rows(previous: dict[str, dict] | None, current: list[dict]) -> list[dict[str, Any]]:
    """Added, removed and verdict-changed tools; `previous` maps id → its published tool row
    (id, name, verdict, verdict_label, reasons), None when nothing was published before."""
    previous = previous or {}
    now = {row["id"]: row for row in current}
    out = []
    for tool_id, row in now.items():
        before = previous.get(tool_id)
        if before is None:
            reason = f"Nieuw op de lijst, met het oordeel {_quoted(row['verdict_label'])}."
            out.append(_change(row, "added", None, row, reason))
        elif before["verdict"] != row["verdict"]:
            reason = (f"Het oordeel is veranderd van {_quoted(before['verdict_label'])} in "
                      f"{_quoted(row['verdict_label'])}. " + _why(before, row)).strip()
            out.append(_change(row, "verdict_changed", before, row, reason))
    for tool_id, before in previous.items():
        if tool_id not in now:
            reason = "De tool staat niet meer in het register."
            out.append(_change(before, "removed", before, None, reason))
    order = {change: n for n, change in enumerate(CHANGE_LABELS)}
    return sorted(out, key=lambda c: (order[c["change"]], c["tool_id"]))


def _change(row, change, before, after, reason) -> dict[str, Any]:
    return {
        "tool_id": row["id"],
        "name": row["name"],
        "change": change,
        "change_label": CHANGE_LABELS[change],
        "before": before["verdict"] if before else None,
        "before_label": before["verdict_label"] if before else None,
        "after": after["verdict"] if after else None,
        "after_label": after["verdict_label"] if after else None,
        "reason": reason,
    }


def _why(before: dict, after: dict) -> str:
    """The reasons whose outcome flipped; else those whose sentence changed."""
    was = {r["rule"]: r for r in json.loads(before["reasons"])}
    now = json.loads(after["reasons"])
    flipped = [r["text"] for r in now if was.get(r["rule"], {}).get("passed") != r["passed"]]
    return " ".join(flipped or [r["text"] for r in now if r != was.get(r["rule"])])


# --- what a publication records of itself ---------------------------------------------------

COUNTED = ("tools", "vendors", "domains", "assessments")
"""The tables whose rows a publication counts."""


def change_summary(changes: list[dict], since: int | None) -> dict[str, Any]:
    """How many tools `changes` added, removed and changed the verdict of, since `since`."""
    counted = Counter(c["change"] for c in changes)
    return {"since_version": since, **{change: counted[change] for change in CHANGE_LABELS}}


def publication_counts(sizes: Mapping[str, int], verdicts: Mapping[str, int]
                       ) -> dict[str, int]:
    """The counts of a publication: rows of each of `COUNTED`, then tools per verdict, the
    best first."""
    return {name: sizes[name] for name in COUNTED} | {
        code.value: verdicts.get(code.value, 0) for code in reversed(ORDER)}
