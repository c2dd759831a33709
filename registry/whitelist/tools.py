"""Our own list of tools at `/tools` and a page per tool at `/tools/{id}`, for teachers: the
verdict valid today (`registry.whitelist.today`), in plain Dutch, mobile first.

The list reads the published file only: search through its full-text index (`tools_fts`, the
`search` column folded as `name_key` folds), filters on the verdict valid today, school type,
kind of tool and age, in name order (an index), 25 a page. A published file never changes, so
the tools a choice of filters leaves are kept per file (and day, for the verdict) in name order
(`Shelf`): the count and every page after the first cost next to nothing, at 100,000 tools
too. Wide columns (reasons, conditions) are never read for the list.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import urllib.parse
from array import array
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from litestar import get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from registry.domains import name_key
from registry.labels import (
    AGREEMENT_STATUS_LABELS,
    CATEGORY_LABELS,
    CHANGE_WARNING,
    LEVEL_SHORT_LABELS,
    LIST_PROBLEMS,
    NEXT_VERDICT_PHRASES,
    NOT_PUBLISHED,
    RULE_LABELS,
    VERDICT_LABELS,
    dutch_date,
    in_teacher_words,
)
from registry.kept import Kept
from registry.limits import LIST_LIMIT
from registry.whitelist.check import alternatives_on
from registry.whitelist.pages import page_context
from registry.whitelist.reader import NotPublished, PublishedWhitelist
from registry.whitelist.today import VERDICT_TODAY_SQL, verdict_on, warns

PAGE_SIZE = 25
SHELF_BYTES = 8 * 1024 * 1024
"""Per worker, for the lists of tools kept per file (`Shelf`): ten of 100,000 tools, or
thousands of the usual few hundred; the least asked go first."""
ALLOWED = ("allowed", "allowed_with_conditions")
AGES = range(4, 21)
MAX_WORDS = 8


# --- what was asked --------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The list's choices, as the address gives them (Dutch parameter names)."""

    q: str = ""
    verdict: str | None = None
    level: str | None = None
    category: str | None = None
    age: int | None = None
    page: int = 1

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(name_key(self.q).split()[:MAX_WORDS])

    @property
    def narrowed(self) -> bool:
        """Whether a filter other than the search is chosen."""
        return bool(self.verdict or self.level or self.category or self.age is not None)

    @property
    def chosen(self) -> bool:
        return bool(self.words) or self.narrowed

    def query(self, **change: Any) -> str:
        """The address of the list with these choices, `change` applied."""
        f = replace(self, **change)
        params = [("q", f.q.strip()), ("oordeel", f.verdict), ("niveau", f.level),
                  ("categorie", f.category), ("leeftijd", f.age),
                  ("pagina", f.page if f.page != 1 else None)]
        kept = [(k, v) for k, v in params if v not in (None, "")]
        return "/tools" + ("?" + urllib.parse.urlencode(kept) if kept else "")


def read_filters(q: str | None, oordeel: str | None, niveau: str | None,
                 categorie: str | None, leeftijd: str | None, pagina: str | None
                 ) -> tuple[Filters, str | None]:
    """(the filters, a Dutch sentence if one of them is not a choice we know)."""
    verdict = (oordeel or "").strip() or None
    level = (niveau or "").strip().upper() or None
    category = (categorie or "").strip() or None
    age_text, page_text = (leeftijd or "").strip(), (pagina or "").strip()
    problem = None
    if verdict and verdict not in VERDICT_LABELS:
        verdict, problem = None, LIST_PROBLEMS["oordeel"]
    if level and level not in LEVEL_SHORT_LABELS:
        level, problem = None, LIST_PROBLEMS["niveau"]
    if category and category not in CATEGORY_LABELS:
        category, problem = None, LIST_PROBLEMS["categorie"]
    age = int(age_text) if age_text.isdigit() and int(age_text) in AGES else None
    if age_text and age is None:
        problem = LIST_PROBLEMS["leeftijd"]
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 10**6 else None
    if page_text and page is None:
        problem = LIST_PROBLEMS["pagina"]
    return Filters(q=(q or "").strip(), verdict=verdict, level=level, category=category,
                   age=age, page=page or 1), problem


# --- what is kept per published file ---------------------------------------------------------


@dataclass
class Shelf:
    """Per published file: which columns and tables it has, and for each choice of filters
    asked lately (and today) the matching tools in name order, as rowids: their number is the
    count, and any page of them is 25 lookups by rowid, however deep (an OFFSET of 99,975
    walked the table for half a second)."""

    budget: int = SHELF_BYTES
    conn: sqlite3.Connection | None = None
    today_sql: str = "verdict"
    has_changelog: bool = False
    orders: Kept = field(default_factory=lambda: Kept(0))

    def follow(self, conn: sqlite3.Connection) -> None:
        """Start over when the whitelist file was replaced (a new connection)."""
        if conn is self.conn:
            return
        columns = {r[1] for r in conn.execute("PRAGMA table_info(tools)")}
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        # A file from before the next verdict was published: the verdict of its day holds.
        self.today_sql = VERDICT_TODAY_SQL if "next_verdict" in columns else "verdict"
        self.has_changelog = "changelog" in tables
        self.orders = Kept(self.budget)
        self.conn = conn

    def order(self, key: tuple, work_out) -> array:
        found = self.orders.get(key)
        if found is None:
            found = work_out()
            self.orders.keep(key, found, 64 + found.itemsize * len(found))
        return found


@dataclass
class ToolPages:
    """What the list and the tool pages read: the file, its shelf, today (one dependency)."""

    whitelist: PublishedWhitelist
    shelf: Shelf
    today: dt.date

    def connection(self) -> sqlite3.Connection:
        try:
            conn = self.whitelist.connection()
        except NotPublished:
            raise HTTPException(status_code=503, detail=NOT_PUBLISHED) from None
        self.shelf.follow(conn)
        return conn


# --- the list --------------------------------------------------------------------------------


def _where(f: Filters, pages: ToolPages) -> tuple[str, dict]:
    clauses, params = [], {"today": pages.today.isoformat()}
    if f.words:
        # name_key leaves letters and digits only: nothing of FTS5's syntax gets in.
        clauses.append("tools.rowid IN (SELECT rowid FROM tools_fts WHERE tools_fts MATCH :match)")
        params["match"] = " AND ".join(f'search : "{word}" *' for word in f.words)
    if f.verdict:
        clauses.append(f"({pages.shelf.today_sql}) = :verdict")
        params["verdict"] = f.verdict
    if f.level:
        clauses.append("instr(level_codes, :level) > 0")
        params["level"] = f'"{f.level}"'
    if f.category:
        clauses.append("category = :category")
        params["category"] = f.category
    if f.age is not None:
        clauses.append("(minimum_age IS NULL OR minimum_age <= :age)")
        params["age"] = f.age
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def order_query(pages: ToolPages, f: Filters) -> tuple[str, dict]:
    """The rowids of the tools the filters leave, in name order (the name index)."""
    where, params = _where(f, pages)
    # Unfiltered, the name index holds all it needs. Filtered, reading the table (or a
    # covering index) in its own order and sorting what is left beats visiting every row in
    # name order: 0.3 s against 0.7 s for a verdict at 100,000 tools; `+name` says so.
    order = "+name" if where else "name"
    return f"SELECT tools.rowid FROM tools{where} ORDER BY {order}, tools.rowid", params


def list_tools(pages: ToolPages, f: Filters) -> tuple[int, list[dict]]:
    """(how many tools the filters leave, the page of them asked for)."""
    conn = pages.connection()
    # Only the verdict depends on the day.
    key = (pages.today if f.verdict else None, replace(f, page=1, q=" ".join(f.words)))
    rowids = pages.shelf.order(key, lambda: array("q", (
        r[0] for r in conn.execute(*order_query(pages, f)))))
    chosen = rowids[(f.page - 1) * PAGE_SIZE: f.page * PAGE_SIZE].tolist()
    if not chosen:
        return len(rowids), []
    rows = {r["rowid"]: r for r in conn.execute(
        "SELECT rowid, id, name, vendor_name, level_codes, category_label, minimum_age, "
        f"({pages.shelf.today_sql}) AS verdict_today FROM tools "
        "WHERE rowid IN (SELECT value FROM json_each(:rowids))",
        {"today": pages.today.isoformat(), "rowids": json.dumps(chosen)})}
    return len(rowids), [_card(rows[rowid]) for rowid in chosen]


def _card(row: sqlite3.Row) -> dict:
    return {"id": row["id"], "name": row["name"], "vendor_name": row["vendor_name"],
            "levels": json.loads(row["level_codes"] or "[]"),
            "category_label": row["category_label"], "minimum_age": row["minimum_age"],
            "verdict": row["verdict_today"], "verdict_label": VERDICT_LABELS[row["verdict_today"]]}


@get("/tools", include_in_schema=False, middleware=[LIST_LIMIT.middleware])
async def tool_list(
    tool_pages: NamedDependency[ToolPages],
    q: Annotated[str | None, QueryParameter(max_length=200)] = None,
    oordeel: Annotated[str | None, QueryParameter(max_length=40)] = None,
    niveau: Annotated[str | None, QueryParameter(max_length=10)] = None,
    categorie: Annotated[str | None, QueryParameter(max_length=40)] = None,
    leeftijd: Annotated[str | None, QueryParameter(max_length=10)] = None,
    pagina: Annotated[str | None, QueryParameter(max_length=10)] = None,
) -> Template:
    filters, problem = read_filters(q, oordeel, niveau, categorie, leeftijd, pagina)
    total, tools = (0, []) if problem else list_tools(tool_pages, filters)
    last = max(1, -(-total // PAGE_SIZE))
    return Template("tools.html", status_code=400 if problem else 200, context=page_context(
        tool_pages.whitelist, nav="list", filters=filters, problem=problem, tools=tools, total=total,
        page=filters.page, last_page=last, page_size=PAGE_SIZE,
        levels=LEVEL_SHORT_LABELS, categories=CATEGORY_LABELS, ages=AGES,
        previous_url=filters.query(page=filters.page - 1) if 1 < filters.page <= last else None,
        next_url=filters.query(page=filters.page + 1) if filters.page < last else None,
        first_url=filters.query(page=1),
    ))


# --- one tool --------------------------------------------------------------------------------


def reasons_in_order(reasons: list[dict], verdict: str, agreement_status: str | None
                     ) -> list[dict]:
    """Failed rules first, then those passed, then those that do not count for this tool
    (never shown as passed: "the assessment sets conditions" on a rejected tool confuses).

    A reason may say so itself (`applies: false`); else the conditions count only for a tool
    that is allowed, and the agreement rule not for a tool without personal data."""
    out = []
    for reason in reasons:
        state = "ok" if reason.get("passed") else "fail"
        moot = (reason.get("applies") is False
                or (reason.get("rule") == "conditions" and verdict not in ALLOWED)
                or (reason.get("rule") == "agreement" and agreement_status == "not_needed"))
        if state == "ok" and moot:
            state = "na"
        out.append({"state": state, "rule": RULE_LABELS.get(reason.get("rule"), ""),
                    "text": in_teacher_words(reason.get("text", ""))})
    order = {"fail": 0, "ok": 1, "na": 2}
    return sorted(out, key=lambda r: order[r["state"]])


def _alternatives(conn, pages: ToolPages, row: sqlite3.Row) -> list[dict]:
    """The allowed alternatives of today, as the check answers them (`alternatives_on`)."""
    return [{"id": ref.id, "name": ref.name, "verdict": ref.verdict,
             "verdict_label": ref.verdict_label}
            for ref in alternatives_on(conn, row, pages.today)]


def _history(conn, pages: ToolPages, tool_id: str) -> list[dict]:
    if not pages.shelf.has_changelog:
        return []
    return [dict(r) | {"published_on": dutch_date(r["published_at"]) if r["published_at"] else None}
            for r in conn.execute(
                "SELECT publication_version, published_at, change, change_label, before_label, "
                "after_label, reason FROM changelog WHERE tool_id = ? "
                "ORDER BY publication_version DESC", [tool_id])]


def _list(value: Any) -> list:
    """A published JSON list (or plain text) as a list."""
    if not value:
        return []
    try:
        decoded = json.loads(value)
    except (TypeError, ValueError):
        return [value]
    return decoded if isinstance(decoded, list) else [decoded]


def tool_context(pages: ToolPages, tool_id: str) -> dict:
    conn = pages.connection()
    row = conn.execute("SELECT * FROM tools WHERE id = ?", [tool_id]).fetchone()
    if row is None:
        raise NotFoundException(detail=f"No tool with id {tool_id!r}")
    tool = dict(row)
    now = verdict_on(row, pages.today)
    warning = None
    if now.next_verdict and warns(now, pages.today):
        warning = CHANGE_WARNING.format(day=dutch_date(now.changes_on),
                                        then=NEXT_VERDICT_PHRASES[now.next_verdict])
    vendor = conn.execute("SELECT * FROM vendors WHERE id = ?", [row["vendor_id"]]).fetchone()
    assessment = None
    if row["assessment_id"]:
        assessment = conn.execute("SELECT * FROM assessments WHERE id = ?",
                                  [row["assessment_id"]]).fetchone()
    if (tool["agreement_status"] == "signed" and tool["agreement_expires_on"]
            and tool["agreement_expires_on"] < pages.today.isoformat()):
        tool["agreement_status_label"] = AGREEMENT_STATUS_LABELS["expired"]  # since publishing
    return {
        "tool": tool, "verdict": now.verdict, "verdict_label": now.verdict_label,
        "conditions": _list(now.conditions), "warning": warning,
        "reasons": reasons_in_order(_list(now.reasons), now.verdict, row["agreement_status"]),
        "levels": [LEVEL_SHORT_LABELS.get(code, code) for code in _list(row["level_codes"])],
        "vendor": dict(vendor) if vendor else None,
        "assessment": dict(assessment) if assessment else None,
        "sub_processors": _list(tool.get("sub_processors")),
        "alternatives": _alternatives(conn, pages, row) if now.verdict not in ALLOWED else [],
        "history": _history(conn, pages, tool_id),
        "day": dutch_date,
    }


@get("/tools/{tool_id:str}", include_in_schema=False, middleware=[LIST_LIMIT.middleware])
async def tool_page(tool_pages: NamedDependency[ToolPages], tool_id: FromPath[str]) -> Template:
    context = tool_context(tool_pages, tool_id[:200])
    return Template("tool.html", context=page_context(tool_pages.whitelist, nav="list", **context))


HANDLERS = [tool_list, tool_page]
