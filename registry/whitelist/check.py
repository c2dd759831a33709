"""The teacher check: a pasted URL or name, answered from one published whitelist file.

A registered host matches exactly, or as a subdomain when its tool says subdomains count.
A host that only shares the registrable domain is "possibly related" and never gets that
tool's verdict: a teacher's site on a hosting platform is not the platform. Pure functions of
an open connection; `registry.whitelist.reader` follows the file and keeps the answers.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from registry.domains import Query, parse_query
from registry.labels import VERDICT_LABELS

ALLOWED = ("allowed", "allowed_with_conditions")
MAX_SUGGESTIONS = 8
LAST_CHARACTER = "\U0010ffff"
"""Sorts after every other character (SQLite compares text as UTF-8 bytes): `word < w + this`
holds for every word that starts with `w`."""
NOT_ASSESSED = VERDICT_LABELS["not_assessed"]


class ReasonOut(msgspec.Struct, kw_only=True):
    passed: bool
    text: str


class ToolRef(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    name: str
    verdict: str | None = None
    verdict_label: str | None = None
    host: str | None = None


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


def publication_of(conn) -> PublicationRef:
    """The publication row of an open file."""
    row = conn.execute("SELECT version, published_at, policy_version FROM publication").fetchone()
    return PublicationRef(**dict(row))


def answer(conn, q: str, publication: PublicationRef) -> CheckAnswer:
    """The answer to `q` from the file open on `conn`."""
    return _check(conn, parse_query(q), q, publication)


_TOOL_SQL = (
    "SELECT id, name, vendor_name, category_label, verdict, verdict_label, conditions, reasons, "
    "assessment_assessor, assessment_date, policy_version, alternatives FROM tools WHERE id = ?"
)
_decode_refs = msgspec.json.Decoder(list[ToolRef]).decode
_decode_reasons = msgspec.json.Decoder(list[ReasonOut]).decode
_decode_texts = msgspec.json.Decoder(list[str]).decode
encode_answer = msgspec.json.Encoder().encode


def _tool(conn, tool_id: str) -> ToolAnswer:
    row = conn.execute(_TOOL_SQL, [tool_id]).fetchone()
    alternatives = [] if row["verdict"] in ALLOWED else _decode_refs(row["alternatives"] or "[]")
    if alternatives:  # their current verdicts, in one query
        marks = ", ".join("?" for _ in alternatives)
        found = {r[0]: (r[1], r[2]) for r in conn.execute(
            f"SELECT id, verdict, verdict_label FROM tools WHERE id IN ({marks})",
            [a.id for a in alternatives])}
        for alternative in alternatives:
            if alternative.id in found:
                alternative.verdict, alternative.verdict_label = found[alternative.id]
    return ToolAnswer(
        id=row["id"],
        name=row["name"],
        vendor_name=row["vendor_name"],
        category_label=row["category_label"],
        verdict=row["verdict"],
        verdict_label=row["verdict_label"],
        conditions=_decode_texts(row["conditions"]),
        reasons=_decode_reasons(row["reasons"]),
        assessor=row["assessment_assessor"],
        assessed_on=row["assessment_date"],
        policy_version=row["policy_version"],
        alternatives=alternatives,
    )


def _refs(rows) -> list[ToolRef]:
    return [ToolRef(id=r["id"], name=r["name"]) for r in rows]


def _check(conn, query: Query, q: str, publication: PublicationRef) -> CheckAnswer:
    base = {"query": q, "kind": query.kind, "publication": publication}
    if query.kind == "invalid":
        return CheckAnswer(status="invalid", message=query.message, **base)
    if query.kind == "url":
        return _check_host(conn, query, base)
    return _check_name(conn, query, base)


def _candidates(query: Query) -> list[str]:
    """`host_candidates(query.host)` with the registrable domain `parse_query` found already:
    working it out again was a tenth of a check."""
    host, domain = query.host, query.registrable_domain
    if query.is_ip or domain is None or not host.endswith(domain):
        return [host]
    extra = host[: -len(domain)].rstrip(".").split(".") if host != domain else []
    return [".".join([*extra[i:], domain]) for i in range(len(extra))] + [domain]


def _check_host(conn, query: Query, base: dict) -> CheckAnswer:
    host = query.host
    candidates = _candidates(query)
    marks = ", ".join("?" for _ in candidates)
    rows = conn.execute(
        f"SELECT host, tool_id, include_subdomains FROM domains WHERE host IN ({marks})",
        candidates,
    ).fetchall()
    by_host = {r["host"]: r for r in rows}
    for candidate in candidates:  # most specific first
        row = by_host.get(candidate)
        if row and (candidate == host or row["include_subdomains"]):
            tool = _tool(conn, row["tool_id"])
            return CheckAnswer(status="found", host=host, tool=tool,
                               message=f"{host} hoort bij {tool.name}.", **base)
    related = []
    if query.registrable_domain:
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
# prefix range.
_NARROW_ASCII = "rowid IN (SELECT rowid FROM tools_fts WHERE tools_fts MATCH ?)"
_WHOLE_WORD = "id IN (SELECT tool_id FROM name_words WHERE word = ?)"
_WORD_PREFIX = "id IN (SELECT tool_id FROM name_words WHERE word >= ? AND word < ?)"


def _narrow(key: str) -> str:
    return " AND ".join([_WHOLE_WORD] * (len(key.split()) - 1) + [_WORD_PREFIX])


def _narrowing(key: str) -> list[str]:
    if key.isascii():
        return [f'search : "{key}" *']
    *whole, last = key.split()
    return [*whole, last, last + LAST_CHARACTER]


def _word_start(key: str) -> list[str]:
    pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [pattern + "%", "% " + pattern + "%"]


def _check_name(conn, query: Query, base: dict) -> CheckAnswer:
    key = query.name_key
    exact = conn.execute("SELECT id, name FROM tools WHERE name_key = ? ORDER BY name",
                         [key]).fetchall()
    if not exact and key:
        exact = conn.execute(
            f"SELECT id, name FROM tools WHERE {_NARROW_ASCII if key.isascii() else _narrow(key)}"
            " AND (name_key LIKE ? ESCAPE '\\' OR name_key LIKE ? ESCAPE '\\') "
            "ORDER BY name LIMIT ?",
            [*_narrowing(key), *_word_start(key), MAX_SUGGESTIONS + 1],
        ).fetchall()
    if len(exact) == 1:
        tool = _tool(conn, exact[0]["id"])
        return CheckAnswer(status="found", tool=tool, message=f"Gevonden: {tool.name}.", **base)
    if exact:
        return CheckAnswer(
            status="choose", matches=_refs(exact[:MAX_SUGGESTIONS]),
            message="Er zijn meer tools met deze naam. Kies de tool die je bedoelt.", **base,
        )
    return CheckAnswer(
        status="not_found", review_request_possible=True,
        message=(f"{NOT_ASSESSED}: er staat geen tool met de naam '{base['query'].strip()}' "
                 "op de witte lijst. Gebruik deze tool niet met gegevens van leerlingen. "
                 "Je kunt vragen om de tool te beoordelen."),
        **base,
    )
