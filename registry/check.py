"""The teacher check: a pasted URL or name, answered from the PUBLISHED whitelist only.

A registered host matches exactly, or as a subdomain when its tool says subdomains count.
A host that only shares the registrable domain is "possibly related" and never gets that
tool's verdict: a teacher's site on a hosting platform is not the platform.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Literal

import msgspec

from registry.domains import Query, name_key, parse_query
from registry.kept import Kept

ALLOWED = ("allowed", "allowed_with_conditions")
MAX_SUGGESTIONS = 8
LAST_CHARACTER = "\U0010ffff"
"""Sorts after every other character (SQLite compares text as UTF-8 bytes): `word < w + this`
holds for every word that starts with `w`."""
ANSWER_CACHE_BYTES = 8 * 1024 * 1024
"""Answers kept per worker, as JSON: at the start of a school year thousands of teachers
check the same few hundred tools, and a kept answer costs a dictionary lookup instead of a
parse and three queries (see benchmarks/)."""


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


class NotPublished(Exception):
    """No whitelist has been published yet."""


class PublishedWhitelist:
    """A read-only view of the published file that follows it when a new one replaces it.

    Publishing replaces the file atomically (new inode); each lookup checks the inode and
    opens the new file, so a worker never mixes two publications in one answer. Answers in
    JSON are kept per publication (`check_json`) and forgotten with it.
    """

    def __init__(self, path: Path, cache_bytes: int = ANSWER_CACHE_BYTES):
        self.path = Path(path)
        self.cache_bytes = cache_bytes
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        self._publication: PublicationRef | None = None
        self._answers: Kept[str, tuple[str, bytes]] = Kept(cache_bytes)

    def connection(self) -> sqlite3.Connection:
        return self._current()[0]

    def _current(self) -> tuple[sqlite3.Connection, PublicationRef]:
        return self._current_with_answers()[:2]

    def _current_with_answers(self) -> tuple[sqlite3.Connection, PublicationRef, Kept]:
        """The connection to the current file, its publication row (read once per file) and
        the answers kept for it."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            raise NotPublished from None
        identity = (stat.st_ino, stat.st_mtime_ns)
        with self._lock:
            if identity != self._identity:
                # immutable: a published file is never changed in place, only replaced.
                conn = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True,
                                       check_same_thread=False, isolation_level=None)
                conn.row_factory = sqlite3.Row
                publication = _publication(conn)
                old, self._conn, self._identity = self._conn, conn, identity
                self._publication, self._answers = publication, Kept(self.cache_bytes)
                if old is not None:
                    old.close()
            return self._conn, self._publication, self._answers

    def close(self) -> None:
        # Forget the file too: an app that starts again (a test client per case) reopens it.
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn, self._identity = None, None
            self._answers = Kept(self.cache_bytes)

    def publication(self) -> PublicationRef:
        return self._current()[1]

    def check(self, q: str) -> CheckAnswer:
        """Answer one teacher's question; one connection, so from one publication only."""
        conn, publication = self._current()
        return _check(conn, parse_query(q), q, publication)

    def check_json(self, q: str) -> tuple[str, bytes]:
        """(status, the answer in JSON) of `check`, from memory if `q` was asked about this
        publication lately."""
        conn, publication, answers = self._current_with_answers()
        kept = answers.get(q)
        if kept is None:
            answer = _check(conn, parse_query(q), q, publication)
            kept = (answer.status, _encode_answer(answer))
            answers.keep(q, kept, len(q) + len(kept[1]))
        return kept

    def allowed(self, level: str | None = None, category: str | None = None) -> list[dict]:
        """Allowed tools for the embed feed, by name."""
        where, params = ["verdict IN ('allowed', 'allowed_with_conditions')"], []
        if level:
            where.append("EXISTS (SELECT 1 FROM json_each(tools.level_codes) WHERE value = ?)")
            params.append(level)
        if category:
            where.append("category = ?")
            params.append(category)
        rows = self.connection().execute(
            "SELECT id, name, vendor_name, category, category_label, level_codes, verdict, "
            f"verdict_label, conditions FROM tools WHERE {' AND '.join(where)} ORDER BY name",
            params,
        ).fetchall()
        return [dict(r) | {"level_codes": json.loads(r["level_codes"]),
                           "conditions": json.loads(r["conditions"])} for r in rows]


def _publication(conn) -> PublicationRef:
    row = conn.execute("SELECT version, published_at, policy_version FROM publication").fetchone()
    return PublicationRef(**dict(row))


_TOOL_SQL = (
    "SELECT id, name, vendor_name, category_label, verdict, verdict_label, conditions, reasons, "
    "assessment_assessor, assessment_date, policy_version, alternatives FROM tools WHERE id = ?"
)
_decode_refs = msgspec.json.Decoder(list[ToolRef]).decode
_decode_reasons = msgspec.json.Decoder(list[ReasonOut]).decode
_decode_texts = msgspec.json.Decoder(list[str]).decode
_encode_answer = msgspec.json.Encoder().encode


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
        message=(f"Niet beoordeeld: {host} staat niet op de witte lijst. Gebruik deze tool "
                 "niet met gegevens van leerlingen. Je kunt vragen om de tool te beoordelen."),
        **base,
    )


def _check_name(conn, query: Query, base: dict) -> CheckAnswer:
    key = query.name_key
    exact = conn.execute("SELECT id, name FROM tools WHERE name_key = ? ORDER BY name",
                         [key]).fetchall()
    if not exact and key:
        pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # A word of the name starts with `key`: the tools with a word that starts with the
        # key's first word (a range on the `name_words` index, whatever the script), then
        # the whole key against those names only. Scanning every name took 0.2 s at 47,500.
        first = key.split()[0]
        exact = conn.execute(
            "SELECT id, name FROM tools WHERE id IN (SELECT tool_id FROM name_words "
            "WHERE word >= ? AND word < ?) AND (name_key LIKE ? ESCAPE '\\' OR "
            "name_key LIKE ? ESCAPE '\\') ORDER BY name LIMIT ?",
            [first, first + LAST_CHARACTER, pattern + "%", "% " + pattern + "%",
             MAX_SUGGESTIONS + 1],
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
        message=(f"Niet beoordeeld: er staat geen tool met de naam '{base['query'].strip()}' "
                 "op de witte lijst. Gebruik deze tool niet met gegevens van leerlingen. "
                 "Je kunt vragen om de tool te beoordelen."),
        **base,
    )


def review_target(url: str | None, tool_name: str | None) -> tuple[str | None, str | None]:
    """What makes two review requests the same: the host of the URL, else the name's key."""
    if url:
        query = parse_query(url)
        if query.kind == "url":
            return query.host, None
    return None, name_key(tool_name or url or "")


__all__ = ["CheckAnswer", "NotPublished", "PublishedWhitelist", "name_key"]
