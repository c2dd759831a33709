"""The teacher check: a pasted URL or name, answered from one published whitelist file.

A registered host matches exactly, or as a subdomain when its tool says subdomains count.
A host that only shares the registrable domain is "possibly related" and never gets that
tool's verdict: a teacher's site on a hosting platform is not the platform. Pure functions of
an open connection; `registry.whitelist.reader` follows the file and keeps the answers.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Literal

import msgspec

from registry.domains import Query, parse_query, query_candidates
from registry.labels import CHECK_WORDS, VERDICT_LABELS, in_teacher_words, sentence
from registry.whitelist import levels, similar
from registry.whitelist.boards import BoardAnswer, BoardView, board_answer, verdict_here
from registry.whitelist.boards import with_board_verdicts
from registry.whitelist.kindred import Kindred
from registry.whitelist.today import VERDICT_TODAY_SQL, verdict_on, warning

ALLOWED = ("allowed", "allowed_with_conditions")
MAX_SUGGESTIONS = 8
MAX_ALTERNATIVES = 10
"""As many as the publisher gives a tool (registry/publish/rows.py)."""
LAST_CHARACTER = "\U0010ffff"
"""Sorts after every other character (SQLite compares text as UTF-8 bytes): `word < w + this`
holds for every word that starts with `w`."""
NOT_ASSESSED = VERDICT_LABELS["not_assessed"]


# What an answer says of a verdict that changes by itself (the check's and the embed feed's).
ChangesOn = Annotated[str | None, msgspec.Meta(
    description="The day (YYYY-MM-DD) this verdict changes by itself, if still to come.")]
NextVerdict = Annotated[str | None, msgspec.Meta(
    description="The verdict from `changes_on` on.")]
ChangeWarning = Annotated[str | None, msgspec.Meta(
    description="Within 60 days of `changes_on`: 'Let op: dit oordeel verandert op …', "
                "saying into what.")]


class ReasonOut(msgspec.Struct, kw_only=True):
    passed: bool
    text: str


class ToolRef(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    name: str
    verdict: Annotated[str | None, msgspec.Meta(
        description="The tool's verdict valid on the day asked; never on a look-alike host "
                    "(`related`).")] = None
    verdict_label: str | None = None
    host: str | None = None
    vendor_name: str | None = None
    board_verdict: Annotated[str | None, msgspec.Meta(
        description="Asked with `bestuur`: the verdict at that board's schools.")] = None
    board_verdict_label: str | None = None


class ToolAnswer(msgspec.Struct, kw_only=True):
    """What a teacher sees about one tool."""

    id: str
    name: str
    vendor_name: str
    category_label: str
    verdict: str
    verdict_label: str
    conditions: list[str]
    reasons: list[ReasonOut]
    assessor: str | None
    assessed_on: str | None
    policy_version: str
    alternatives: list[ToolRef]
    levels: Annotated[list[str], msgspec.Meta(
        description="The school types the tool is for: PO, VO, SO.")]
    minimum_age: Annotated[int | None, msgspec.Meta(
        description="The youngest pupils' age the tool is for, if it says.")]
    suitable_for: Annotated[str, msgspec.Meta(
        description="The school types and minimum age in one Dutch sentence.")]
    level_warning: Annotated[str | None, msgspec.Meta(
        description="Given `level`: a Dutch sentence when the tool is for another school type "
                    "or for pupils older than the youngest of that type.")] = None
    changes_on: ChangesOn = None
    next_verdict: NextVerdict = None
    next_verdict_label: str | None = None
    warning: ChangeWarning = None
    link: Annotated[str, msgspec.Meta(
        description="The tool's own page, relative to this server: /tools/{id}.")]
    valid_on: Annotated[str, msgspec.Meta(
        description="The day (YYYY-MM-DD) this verdict, and every verdict in the answer, holds "
                    "for: the day asked, also when a verdict changed by itself since the "
                    "publication.")]


class PublicationRef(msgspec.Struct, kw_only=True):
    version: int
    published_at: str
    policy_version: str


class CheckAnswer(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The answer to one check. `status` says which of the other fields are set."""

    query: str
    status: Literal["found", "choose", "possibly_related", "not_found", "invalid"]
    message: str
    kind: str
    host: str | None = None
    tool: ToolAnswer | None = None
    matches: list[ToolRef] = []
    related: list[ToolRef] = []
    publication: PublicationRef | None = None
    review_request_possible: bool = False
    level: Annotated[str | None, msgspec.Meta(
        description="The school type asked for (`level`), if any.")] = None
    board: Annotated[BoardAnswer | None, msgspec.Meta(
        description="Asked with `bestuur` and a tool found: that board's decision and the "
                    "verdict at its schools, beside the sector verdict in `tool`.")] = None


class Asked(msgspec.Struct, frozen=True):
    """What an answer depends on besides the question: the day, the teacher's school type
    and board."""

    today: dt.date
    level: str | None = None
    board: BoardView | None = None
    kindred: Kindred | None = None


def answer(conn, q: str, publication: PublicationRef, today: dt.date | None = None,
           level: str | None = None, board: BoardView | None = None,
           kindred: Kindred | None = None) -> CheckAnswer:
    """The answer to `q` from the file open on `conn`, with the verdicts valid on `today`,
    for a teacher of `level` (PO, VO, SO) and of `board` if given; `kindred` keeps the
    file's lists of alternatives by category."""
    asked = Asked(today or dt.date.today(), level, board, kindred)
    return _check(conn, parse_query(q), q, publication, asked)


_TOOL_SQL = (
    "SELECT id, name, vendor_name, category, category_label, verdict, verdict_label, conditions, "
    "reasons, verdict_changes_on, next_verdict, next_verdict_label, next_conditions, "
    "next_reasons, assessment_assessor, assessment_date, policy_version, alternatives, "
    "level_codes, minimum_age FROM tools WHERE id = ?"
)
_ALLOWED_TODAY = f"({VERDICT_TODAY_SQL}) IN ('allowed', 'allowed_with_conditions')"
_decode_refs = msgspec.json.Decoder(list[ToolRef]).decode
_decode_reasons = msgspec.json.Decoder(list[ReasonOut]).decode
_decode_texts = msgspec.json.Decoder(list[str]).decode
encode_answer = msgspec.json.Encoder().encode
decode_answer = msgspec.json.Decoder(CheckAnswer).decode


def _tool(conn, tool_id: str, asked: Asked) -> ToolAnswer:
    row = conn.execute(_TOOL_SQL, [tool_id]).fetchone()
    today = verdict_on(row, asked.today)
    here = (verdict_here(asked.board, row["id"], today.verdict, asked.today) if asked.board
            else today.verdict)
    tool_levels = _decode_texts(row["level_codes"] or "[]")
    return ToolAnswer(
        id=row["id"],
        name=row["name"],
        vendor_name=row["vendor_name"],
        category_label=row["category_label"],
        verdict=today.verdict,
        verdict_label=today.verdict_label,
        conditions=_decode_texts(today.conditions or "[]"),
        reasons=[ReasonOut(passed=r.passed, text=in_teacher_words(r.text))
                 for r in _decode_reasons(today.reasons or "[]")],
        assessor=row["assessment_assessor"],
        assessed_on=row["assessment_date"],
        policy_version=row["policy_version"],
        alternatives=[] if here in ALLOWED else with_board_verdicts(
            alternatives_on(conn, row, asked.today, asked.kindred), asked.board, asked.today, allowed_only=True),
        levels=tool_levels,
        minimum_age=row["minimum_age"],
        suitable_for=levels.suitable_for(tool_levels, row["minimum_age"]),
        level_warning=levels.level_warning(asked.level, tool_levels, row["minimum_age"]),
        changes_on=today.changes_on.isoformat() if today.changes_on else None,
        next_verdict=today.next_verdict,
        next_verdict_label=today.next_verdict_label,
        warning=warning(today, asked.today),
        link=f"/tools/{row['id']}",
        valid_on=asked.today.isoformat(),
    )


def alternatives_on(conn, row, today: dt.date, kindred: Kindred | None = None
                    ) -> list[ToolRef]:
    """The published alternatives still allowed on `today`; for a tool that was allowed
    when published (none were published), the allowed tools of its category and levels;
    both from `kindred` if given. (The check's answer and the tool page both show these.)"""
    if (published := row["alternatives"]) is not None:
        # Lists repeat across a category (38 different ones for 65,581 tools at 100,000).
        work_out = partial(_still_allowed, conn, published, today)
        return list(kindred.get(("published", published), today, work_out) if kindred
                    else work_out())
    codes = tuple(_decode_texts(row["level_codes"] or "[]"))
    if not codes:
        return []
    work_out = partial(_of_category, conn, row["category"], codes, today)
    refs = kindred.get((row["category"], codes), today, work_out) if kindred else work_out()
    return [ref for ref in refs if ref.id != row["id"]][:MAX_ALTERNATIVES]


def _still_allowed(conn, published: str, today: dt.date) -> list[ToolRef]:
    """The published alternatives (as JSON) that are still allowed on `today`, in order."""
    ids = [a.id for a in _decode_refs(published)]
    return [_ref(r) for r in _with_verdicts(conn, ids, Asked(today), allowed_only=True)]


def _of_category(conn, category: str, codes: tuple[str, ...], today: dt.date) -> list[ToolRef]:
    """The tools of `category` allowed on `today` that share one of the school types `codes`:
    one more than shown, so that one tool's own list leaves itself out."""
    shares_a_level = " OR ".join(f"level_codes LIKE :level{n}" for n in range(len(codes)))
    rows = conn.execute(
        f"SELECT id, name, vendor_name, ({VERDICT_TODAY_SQL}) AS today FROM tools "
        f"WHERE category = :category AND {_ALLOWED_TODAY} AND ({shares_a_level}) "
        "ORDER BY today = 'allowed' DESC, name_key, id LIMIT :limit",
        {"today": today.isoformat(), "category": category, "limit": MAX_ALTERNATIVES + 1,
         **{f"level{n}": f'%"{c}"%' for n, c in enumerate(codes)}},
    ).fetchall()
    return [_ref(r) for r in rows]


def _with_verdicts(conn, ids: list[str], asked: Asked, allowed_only: bool = False) -> list:
    """Rows (id, name, vendor_name, today) of `ids`, in their order, with the verdict valid
    on the day asked (only those allowed that day, if `allowed_only`)."""
    if not ids:
        return []
    marks = ", ".join(f":id{n}" for n in range(len(ids)))
    where = f" AND {_ALLOWED_TODAY}" if allowed_only else ""
    found = {r["id"]: r for r in conn.execute(
        f"SELECT id, name, vendor_name, ({VERDICT_TODAY_SQL}) AS today FROM tools "
        f"WHERE id IN ({marks}){where}",
        {"today": asked.today.isoformat(), **{f"id{n}": i for n, i in enumerate(ids)}},
    )}
    return [found[i] for i in ids if i in found]


def _ref(row) -> ToolRef:
    return ToolRef(id=row["id"], name=row["name"], verdict=row["today"],
                   verdict_label=VERDICT_LABELS[row["today"]], vendor_name=row["vendor_name"])


def _unassessed(tool: ToolAnswer) -> bool:
    """A listed tool nobody has assessed (yet, or any more) may be asked for, as an unknown one."""
    return tool.verdict == "not_assessed"


def _refs(conn, ids: list[str], asked: Asked) -> list[ToolRef]:
    """`ids` in their order, each with its verdict on the day asked (and the board's)."""
    return _choices(_with_verdicts(conn, ids, asked), asked)


def _choices(rows: list, asked: Asked) -> list[ToolRef]:
    """Rows (id, name, vendor_name, today) as tools to choose from, with the board's verdict."""
    return with_board_verdicts([_ref(r) for r in rows], asked.board, asked.today)


def _board(tool: ToolAnswer, asked: Asked) -> BoardAnswer | None:
    """The asking teacher's board's answer about `tool`, beside the sector's."""
    if asked.board is None:
        return None
    return board_answer(asked.board, tool.id, tool.verdict, tool.verdict_label,
                        tool.conditions, asked.today)


def _check(conn, query: Query, q: str, publication: PublicationRef, asked: Asked
           ) -> CheckAnswer:
    base = {"query": q, "kind": query.kind, "publication": publication, "level": asked.level}
    if query.kind == "invalid":
        return CheckAnswer(status="invalid", message=query.message, **base)
    if query.kind == "url":
        return _check_host(conn, query, base, asked)
    return _check_name(conn, query, base, asked)


def _check_host(conn, query: Query, base: dict, asked: Asked) -> CheckAnswer:
    host = query.host
    candidates = query_candidates(query)
    marks = ", ".join("?" for _ in candidates)
    rows = conn.execute(
        f"SELECT host, tool_id, include_subdomains FROM domains WHERE host IN ({marks})",
        candidates,
    ).fetchall()
    by_host = {r["host"]: r for r in rows}
    for candidate in candidates:  # most specific first
        row = by_host.get(candidate)
        if row and (candidate == host or row["include_subdomains"]):
            tool = _tool(conn, row["tool_id"], asked)
            message = sentence(CHECK_WORDS["found_host"].format(host=host, name=tool.name))
            return CheckAnswer(status="found", host=host, tool=tool, message=message,
                               review_request_possible=_unassessed(tool),
                               board=_board(tool, asked), **base)
    related = []
    if query.registrable_domain:
        # No verdicts here: a look-alike host never gets that tool's verdict, not even
        # beside its name.
        related = [
            ToolRef(id=r["id"], name=r["name"], host=r["host"])
            for r in conn.execute(
                "SELECT DISTINCT tools.id, tools.name, domains.host FROM domains "
                "JOIN tools ON tools.id = domains.tool_id WHERE domains.registrable_domain = ? "
                "ORDER BY tools.name LIMIT ?",
                [query.registrable_domain, MAX_SUGGESTIONS],
            )
        ]
    if related:
        return CheckAnswer(
            status="possibly_related", host=host, related=related,
            message=(f"{host} staat niet op de witte lijst. Het lijkt op een adres van een "
                     "tool die er wel op staat, maar het is niet hetzelfde adres. Het oordeel "
                     "over die tool geldt dus niet voor dit adres."),
            review_request_possible=True, **base,
        )
    return CheckAnswer(
        status="not_found", host=host, review_request_possible=True,
        message=(f"{NOT_ASSESSED}: {host} staat niet op de witte lijst. Gebruik deze tool "
                 "niet met gegevens van leerlingen. Je kunt vragen om de tool te beoordelen."),
        **base,
    )


# "A word of the name starts with the key", through an index for every key (scanning every
# name took 0.2 s a check at 47,500 tools). An ASCII key goes through the full-text index,
# whose tokens are then name_key's words: a phrase with a prefix narrows best (with every key
# on the word index, the benchmark's check in process fell from 5,427 to 2,365 checks/s).
# Other keys go through `name_words`: the key's whole words exactly, its last word as a
# prefix range. Every list of matches shows verdicts, so the rows hold them (`_REF`).
_REF = f"id, name, vendor_name, ({VERDICT_TODAY_SQL}) AS today"
_NAMED = f"SELECT {_REF} FROM tools WHERE name_key = :key ORDER BY name"
_STARTS = "(name_key LIKE :start ESCAPE '\\' OR name_key LIKE :inside ESCAPE '\\')"
# One full-text search for two lists (a second search cost a tenth of a name not found): the
# tools with a word starting with the key, by name (`named`); and the first few it found at
# all, in the index's order (a vendor's or a host's tools: sorting every tool of a big vendor
# by name first cost 7 ms at 100,000 tools).
_STARTING_ASCII = (
    "WITH hits AS MATERIALIZED (SELECT rowid AS hit FROM tools_fts WHERE tools_fts MATCH :match)"
    f" SELECT * FROM (SELECT 1 AS named, {_REF} FROM tools WHERE rowid IN (SELECT hit FROM hits)"
    f" AND {_STARTS} ORDER BY name LIMIT :named) UNION ALL SELECT * FROM (SELECT 0, {_REF}"
    " FROM tools WHERE rowid IN (SELECT hit FROM hits) LIMIT :few)"
)
_WHOLE_WORD = "id IN (SELECT tool_id FROM name_words WHERE word = :w{})"
_WORD_PREFIX = "id IN (SELECT tool_id FROM name_words WHERE word >= :low AND word < :high)"


def _starting_with(conn, key: str, today: str) -> tuple[list, list]:
    """(the tools with a word of the name starting with `key`, by name, one more than shown;
    for an ASCII key the first few tools the full-text index finds for it at all)."""
    pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    params = {"today": today, "start": pattern + "%", "inside": "% " + pattern + "%",
              "named": MAX_SUGGESTIONS + 1}
    if key.isascii():
        rows = conn.execute(_STARTING_ASCII, {**params, "match": f'search : "{key}" *',
                                              "few": MAX_SUGGESTIONS}).fetchall()
        return [r for r in rows if r["named"]], [r for r in rows if not r["named"]]
    *whole, last = key.split()
    narrow = " AND ".join([*map(_WHOLE_WORD.format, range(len(whole))), _WORD_PREFIX])
    return conn.execute(
        f"SELECT {_REF} FROM tools WHERE {narrow} AND {_STARTS} ORDER BY name LIMIT :named",
        {**params, **{f"w{n}": w for n, w in enumerate(whole)}, "low": last,
         "high": last + LAST_CHARACTER}).fetchall(), []


def _check_name(conn, query: Query, base: dict, asked: Asked) -> CheckAnswer:
    key, today = query.name_key, asked.today.isoformat()
    exact, found = conn.execute(_NAMED, {"key": key, "today": today}).fetchall(), []
    if not exact and key:
        exact, found = _starting_with(conn, key, today)
    if len(exact) == 1:
        tool = _tool(conn, exact[0]["id"], asked)
        message = sentence(CHECK_WORDS["found"].format(name=tool.name))
        return CheckAnswer(status="found", tool=tool, message=message,
                           review_request_possible=_unassessed(tool),
                           board=_board(tool, asked), **base)
    if exact:
        return CheckAnswer(
            status="choose", matches=_choices(exact[:MAX_SUGGESTIONS], asked),
            message="Er zijn meer tools met deze naam. Kies de tool die je bedoelt.", **base,
        )
    suggestion = _did_you_mean(conn, key, asked, found)
    if suggestion is not None:
        message, matches = suggestion
        return CheckAnswer(status="choose", matches=matches, message=message,
                           review_request_possible=True, **base)
    return CheckAnswer(
        status="not_found", review_request_possible=True,
        message=(f"{NOT_ASSESSED}: er staat geen tool met de naam '{base['query'].strip()}' "
                 "op de witte lijst. Gebruik deze tool niet met gegevens van leerlingen. "
                 "Je kunt vragen om de tool te beoordelen."),
        **base,
    )


def _did_you_mean(conn, key: str, asked: Asked, found: list
                  ) -> tuple[str, list[ToolRef]] | None:
    """A name that matched no tool: the tools of a vendor (or host) of that name (`found` by
    `_starting_with`), else the tools whose names are close to it (a typo); (the question to
    ask, the tools)."""
    if found:
        matches = sorted(_choices(found, asked), key=lambda m: (m.name, m.id))
        vendors = {m.vendor_name for m in matches}
        message = (CHECK_WORDS["vendor"].format(vendor=vendors.pop()) if len(vendors) == 1
                   else CHECK_WORDS["vendor_many"])
        return message, matches
    ids = similar.close_names(conn, key, MAX_SUGGESTIONS)
    if not ids:
        return None
    matches = _refs(conn, ids, asked)
    if len(matches) == 1:
        return CHECK_WORDS["did_you_mean_one"].format(name=matches[0].name), matches
    return CHECK_WORDS["did_you_mean"], matches
