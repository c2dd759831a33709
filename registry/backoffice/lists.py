"""The list of each kind of record under /beheer (`/beheer/tools`...): a search box, the
filters the kind declares, an archived toggle and pages of 50 with their count, read through
the storage's indexes (`registry.store.records.page`), so that a page costs the same at
100,000 tools as at ten. A tool shows its live verdict. Also the paths of record pages.
(No `from __future__ import annotations`: Litestar reads the handlers' annotations.)
"""

import datetime as dt
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from registry import labels
from registry.labels import records as record_labels
from registry.backoffice.access import Account, SignedInAccount, signed_in
from registry.backoffice.formspec import show, spec_at
from registry.db import Registry
from registry.errors import NotFound
from registry.models import Role
from registry.store.kinds import KINDS
from registry.store.records import in_order, matching_ids, page
from registry.verdict import VerdictCode
from registry.verdicts import Records, current_policy

SEGMENTS = {"vendors": "leveranciers", "tools": "tools", "agreements": "overeenkomsten",
            "assessments": "beoordelingen", "boards": "besturen", "board_decisions": "besluiten"}
"""Each kind's path under /beheer."""
GUARDS = [signed_in(Role.procurement)]
"""Every record page, reading ones too: the back office is for staff only."""
SCOPED = {"agreements": "party", "board_decisions": "board_id"}
"""The kinds a board's account may use, by the field that names their board: it sees and
changes only its own board's records, and its new ones are its board's."""
BOARD_GUARDS = [signed_in(Role.procurement, boards=True)]


def guards_for(kind: str) -> list:
    return BOARD_GUARDS if kind in SCOPED else GUARDS


def owned(account: Account | None, kind: str, record: Any) -> Any:
    """`record`, if `account` may see it: every record for the sector's accounts, only its own
    board's for a board's account (others are not found: as the API, it does not say they
    exist)."""
    if account is not None and account.board_id is not None and (
            kind not in SCOPED or getattr(record, SCOPED[kind]) != account.board_id):
        raise NotFound(KINDS[kind].singular, record.id)
    return record
PAGE_SIZE = 50
MAX_PAGE = 20_000  # 1,000,000 records: enough, and SQLite's OFFSET stays small
FILTERS = {"vendor": "leverancier", "tool": "tool", "category": "soort", "level": "onderwijs",
           "status": "status", "board": "bestuur", "decision": "besluit",
           "school_type": "soort_onderwijs", "school": "school", "party": "partij"}
"""The kinds' list filters (`Kind.filters`) by their Dutch query parameter."""
ARCHIVED = {"": "exclude", "ook": "include", "alleen": "only"}


def record_url(kind: str, record_id: str, tail: str = "") -> str:
    return f"/beheer/{SEGMENTS[kind]}/{record_id}{tail}"


def number(text: str) -> int | None:
    """A small whole number from a form or a query, or None."""
    return int(text) if text.isdigit() and len(text) < 10 else None


def _filter_controls(kind: str, query: Any) -> tuple[list[dict], dict[str, str]]:
    """The filters of a kind's list as the page shows them, and those given, checked."""
    controls, given = [], {}
    field_of = {"vendor": "vendor_id", "category": "category", "level": "levels",
                "status": "status", "board": "board_id", "decision": "decision",
                "school_type": "school_types", "school": "schools.item", "party": "party",
                "tool": "tool_ids.item" if kind == "agreements" else "tool_id"}
    for f in KINDS[kind].filters:
        param, value = FILTERS[f.name], (query.get(FILTERS[f.name]) or "").strip()[:200]
        spec = spec_at(kind, field_of[f.name].removesuffix(".item"))
        listed = f.name in ("category", "level", "status", "decision", "school_type")
        choices = list(getattr(spec, "choices", ()) if listed else ())
        if choices and value not in dict(choices):
            value = ""
        if value:
            given[f.name] = value
        controls.append({"name": param, "label": record_labels.field_label(kind, field_of[f.name]),
                         "choices": choices, "value": value})
    if kind == "tools":
        value = query.get("oordeel") or ""
        value = value if value in VerdictCode.__members__ else ""
        controls.append({"name": "oordeel", "label": record_labels.field_label(kind, "verdict"),
                         "choices": list(labels.VERDICT_LABELS.items()), "value": value})
    return controls, given


async def _page_by_verdict(request: Request, registry: Registry, code: str, q: str,
                           filters: dict[str, str], offset: int, today: dt.date
                           ) -> tuple[list, int, bool]:
    """Live tools with this verdict (the overview's live verdicts, kept per worker), with the
    other filters: (a page of them, how many, whether the verdicts are up to date)."""
    from registry.backoffice.overview import keeper  # the overview owns the live verdicts

    kept = keeper(request)
    tally, fresh = await anyio.to_thread.run_sync(kept.tally, today)
    if tally is None:
        return [], 0, False
    chosen = {tool_id for tool_id, c in dict(kept.verdicts.codes).items() if c == code}
    if q or filters:
        chosen &= matching_ids(registry.store, KINDS["tools"], q=q, filters=filters)
    ids = sorted(chosen)
    return in_order(registry.store, KINDS["tools"], ids[offset:offset + PAGE_SIZE]), len(ids), \
        fresh


def _rows(kind: str, registry: Registry, items: list, today: dt.date) -> tuple[list, list]:
    """(column headings, rows) of a list page; a tool shows its live verdict."""
    def label(name: str) -> str:
        return record_labels.field_label(kind, name)

    vendors = {}
    if kind in ("tools", "agreements"):
        vendors = registry.records_by_id("vendors", {r.vendor_id for r in items})
    if kind == "tools":
        records, policy = Records.for_tools(registry, items), current_policy(registry)
    columns = {
        "vendors": ["name", "id", "country", "covenant_status"],
        "tools": ["name", "id", "vendor_id", "category", "verdict"],
        "agreements": ["id", "vendor_id", "model_version", "status", "signed_on", "expires_on"],
        "assessments": ["id", "tool_id", "kind", "status", "outcome", "assessed_on"],
        "boards": ["name", "id", "school_types"],
        "board_decisions": ["id", "board_id", "tool_id", "decision", "decided_on", "ends_on"],
    }[kind]
    rows = []
    for record in items:
        cells = []
        for name in columns[1:]:
            if name == "verdict":
                verdict = records.verdict(record, policy, today)
                cells.append({"text": verdict.label, "verdict": verdict.code.value})
            elif name == "vendor_id":
                vendor = vendors.get(record.vendor_id)
                cells.append({"text": vendor.name if vendor else record.vendor_id,
                              "href": record_url("vendors", record.vendor_id)})
            elif name in ("tool_id", "board_id"):
                target = "tools" if name == "tool_id" else "boards"
                cells.append({"text": getattr(record, name),
                              "href": record_url(target, getattr(record, name))})
            else:
                cells.append({"text": show(kind, name, getattr(record, name))})
        rows.append({"title": getattr(record, columns[0]), "href": record_url(kind, record.id),
                     "archived": record.archived_at is not None, "cells": cells})
    return [label(name) for name in columns], rows


def list_handler(kind: str):
    @get("/", guards=guards_for(kind), name=f"beheer-{kind}")
    async def list_page(self, request: Request, registry: NamedDependency[Registry],
                        account: SignedInAccount, today: NamedDependency[dt.date]) -> Template:
        query = request.query_params
        q = (query.get("q") or "").strip()[:200]
        controls, filters = _filter_controls(kind, query)
        if account.board_id is not None:  # only its own board's (the guard let only SCOPED in)
            own = "party" if kind == "agreements" else "board"
            filters[own] = account.board_id
            controls = [c for c in controls if c["name"] != FILTERS[own]]
        archived_word = query.get("archief") or ""
        archived_word = archived_word if archived_word in ARCHIVED else ""
        archived = ARCHIVED.get(archived_word, "exclude")
        at = min(max(number(query.get("pagina") or "") or 1, 1), MAX_PAGE)
        offset = (at - 1) * PAGE_SIZE
        verdict = next((c["value"] for c in controls if c["name"] == "oordeel"), "")
        fresh = True
        if verdict:
            items, total, fresh = await _page_by_verdict(request, registry, verdict, q, filters,
                                                         offset, today)
        else:
            items, total = page(registry.store, KINDS[kind], q=q, filters=filters,
                                archived=archived, limit=PAGE_SIZE, offset=offset)
        columns, rows = _rows(kind, registry, items, today)
        base = {"q": q, **{c["name"]: c["value"] for c in controls}, "archief": archived_word}
        base = {k: v for k, v in base.items() if v}

        def link(n: int) -> str:
            params = base | ({"pagina": str(n)} if n > 1 else {})
            return request.url.path + ("?" + "&".join(
                f"{k}={quote(v, safe='')}" for k, v in params.items()) if params else "")

        return Template("beheer/lijst.html", context={
            "account": account, "section": kind, "kind": kind, "segment": SEGMENTS[kind],
            "words": record_labels.RECORD_WORDS[kind], "q": q, "filters": controls,
            "archived": archived_word, "columns": columns, "rows": rows, "total": total,
            "first": offset + 1 if rows else 0, "last": offset + len(rows),
            "previous": link(at - 1) if at > 1 else None,
            "next": link(at + 1) if offset + len(rows) < total else None,
            "verdicts_fresh": fresh,
        })

    return list_page
