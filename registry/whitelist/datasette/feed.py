"""The change feed: one Atom feed (RFC 4287) of every publication's changes, from the
published file's `changelog`, at `/-/wijzigingen.atom` of the whitelist (under the mount:
`/lijst/-/wijzigingen.atom`); `?niveau=PO` gives the changes of one school type, and
`?bestuur=99002` adds that school board's decisions (its `board_changelog`) to the changes of
the sector verdicts: a teacher follows the sector and their own board. Without it the feed is
the sector's alone, so that hundreds of boards' decisions do not bury the sector's changes.

A plugin route rather than a canned query with datasette-atom: that one's self link is the
address Datasette saw, without the mount's prefix (a 404), and a query sees one publication.
Every link is absolute and made with Datasette's `urls`, so it holds under any `base_url`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

from datasette import Response
from datasette.utils.asgi import BadRequest, NotFound

from registry.labels import (
    CHANGE_LABELS,
    FEED_ENTRY,
    FEED_ENTRY_BY_ITSELF,
    FEED_ENTRY_NEW_OR_GONE,
    FEED_LEVEL_UNKNOWN,
    FEED_TITLE,
    LEVEL_LABELS,
    NO_HISTORY,
    dutch_date,
)
from registry.labels.board_list import (
    BOARD_CHANGE_LABELS,
    FEED_BOARD_TITLE,
    FEED_BOARD_UNKNOWN,
)
from registry.labels.rollback import FEED_RESTORE_SUMMARY, FEED_RESTORE_TITLE, RESTORES
from registry.whitelist.today import verdict_on

FEED_PATH = "/-/wijzigingen.atom"
TODAY_KEY = "witte_lijst_today"
"""The scope key by which the mount gives the app's day (`mount.py`); else the real day."""
ATOM = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 1000
"""The newest changes a feed holds: a first publication of 100,000 tools adds as many."""
LEVEL = re.compile(r"^[A-Za-z]{2}$")
BOARD = re.compile(r"^[0-9]{5}$")


async def changelog_db(datasette):
    """The first attached database with a `changelog` table, or None."""
    for name, db in datasette.databases.items():
        if name != "_internal" and await db.table_exists("changelog"):
            return db
    return None


def tool_link(datasette, request, database: str, change: dict) -> str:
    """The tool's page: ours where the whitelist is mounted (the plugin config `tool_page`),
    else its row in the list; for a tool no longer listed, the change's own row."""
    site = (datasette.plugin_config("school_whitelist") or {}).get("site") or {}
    if not change["listed"]:
        key = f"{change['publication_version']},{change['tool_id']}"
        path = datasette.urls.row(database, "changelog", key)
    elif site.get("tool_page"):
        path = site["tool_page"].format(id=change["tool_id"])
    else:
        path = datasette.urls.row(database, "tools", change["tool_id"])
    return datasette.absolute_url(request, path)


async def feed(datasette, request):
    level = request.args.get("niveau")
    if level is not None and not (LEVEL.match(level) and level.upper() in LEVEL_LABELS):
        raise BadRequest(FEED_LEVEL_UNKNOWN)
    level = level.upper() if level else None
    board = request.args.get("bestuur")
    if board is not None and not BOARD.match(board):
        raise BadRequest(FEED_BOARD_UNKNOWN)
    db = await changelog_db(datasette)
    if db is None:  # a file published before there was a history
        raise NotFound(NO_HISTORY)
    where = "WHERE EXISTS (SELECT 1 FROM json_each(levels) WHERE value = :level)" if level else ""
    rows = (await db.execute(
        "SELECT *, tool_id IN (SELECT id FROM tools) AS listed FROM changelog "
        f"{where} ORDER BY publication_version DESC, tool_id "
        f"LIMIT {MAX_ENTRIES}", {"level": level})).rows
    latest = dict((await db.execute("SELECT * FROM publication "
                                    "ORDER BY version DESC LIMIT 1")).first())
    today = request.scope.get(TODAY_KEY) or dt.date.today().isoformat()
    by_itself = await changed_by_itself(db, dt.date.fromisoformat(today), level)
    board_by_itself = await board_changed_by_itself(db, dt.date.fromisoformat(today), level,
                                                    board)
    restored = _restore_entry(latest, datasette.absolute_url(
        request, datasette.urls.table(db.name, "changelog")))
    published = sorted([*((r["publication_version"], _published_entry(dict(r), latest))
                          for r in rows),
                        *((r["publication_version"], _board_entry(datasette, request, db.name,
                                                                  dict(r), latest))
                          for r in await board_changes(db, level, board))],
                       key=lambda pair: -pair[0])[:MAX_ENTRIES]
    entries = [*map(_by_itself_entry, by_itself), *board_by_itself, *restored,
               *(e for _, e in published)]
    query = "&".join(f"{k}={v}" for k, v in (("niveau", level), ("bestuur", board)) if v)
    self_path = datasette.urls.path(FEED_PATH) + (f"?{query}" if query else "")
    self_url = datasette.absolute_url(request, self_path)
    root = ET.Element("feed", xmlns=ATOM)
    root.set("xml:lang", "nl")
    _text(root, "id", self_url)
    _text(root, "title", FEED_TITLE + (f" – {LEVEL_LABELS[level]}" if level else ""))
    _text(root, "updated", max([latest["published_at"], *(e["updated"] for e in entries)]))
    ET.SubElement(root, "link", rel="self", type="application/atom+xml", href=self_url)
    ET.SubElement(root, "link", rel="alternate", type="text/html", href=datasette.absolute_url(
        request, datasette.urls.table(db.name, "changelog")))
    _text(ET.SubElement(root, "author"), "name", datasette.metadata("title") or FEED_TITLE)
    for item in entries:
        entry = ET.SubElement(root, "entry")
        _text(entry, "id", f"{self_url.partition('?')[0]}#{item['key']}")
        for name in ("title", "updated", "published"):
            if item.get(name):
                _text(entry, name, item[name])
        ET.SubElement(entry, "link", rel="alternate", type="text/html", href=item.get("href")
                      or tool_link(datasette, request, db.name, item["change"]))
        _text(entry, "summary", item["summary"])
    body = ET.tostring(root, encoding="unicode", xml_declaration=True)
    return Response(body, content_type="application/atom+xml; charset=utf-8")


def _published_entry(change: dict, latest: dict) -> dict:
    """A change of a publication: what, from what to what, why (and, for a change of the
    served publication when it is a rollback, which version it restores)."""
    words = FEED_ENTRY if change["before_label"] and change["after_label"] else (
        FEED_ENTRY_NEW_OR_GONE)
    title = f"{change['name']}: {change['change_label']}"
    if latest.get("restores_version") and change["publication_version"] == latest["version"]:
        title += f" ({RESTORES.format(version=latest['restores_version'])})"
    return {
        "key": f"{change['publication_version']}-{change['tool_id']}", "change": change,
        "title": title,
        "updated": change["published_at"], "published": change["published_at"],
        "summary": words.format(
            version=change["publication_version"], date=dutch_date(change["published_at"]),
            before=change["before_label"], after=change["after_label"],
            reason=change["reason"]),
    }


async def board_changes(db, level: str | None, board: str | None) -> list[dict]:
    """The changes of the verdicts of `board`, newest first (of one school type); none
    without a board or in a file from before boards were published."""
    if board is None or not await db.table_exists("board_changelog"):
        return []
    level_is = "AND EXISTS (SELECT 1 FROM json_each(levels) WHERE value = :level)" if level else ""
    return (await db.execute(
        "SELECT *, EXISTS (SELECT 1 FROM board_verdicts v WHERE v.board_id = c.board_id AND "
        "v.tool_id = c.tool_id) AS listed FROM board_changelog c "
        f"WHERE board_id = :board {level_is} "
        f"ORDER BY publication_version DESC, board_id, tool_id LIMIT {MAX_ENTRIES}",
        {"level": level, "board": board})).rows


def _board_entry(datasette, request, database: str, change: dict, latest: dict) -> dict:
    """A change of a board's verdict on a tool, linked to its row in `board_verdicts` (or,
    when the board follows the sector again, to the change itself)."""
    words = FEED_ENTRY if change["before_label"] and change["after_label"] else (
        FEED_ENTRY_NEW_OR_GONE)
    title = FEED_BOARD_TITLE.format(tool=change["tool_name"], board=change["board_name"],
                                    change=change["change_label"])
    if latest.get("restores_version") and change["publication_version"] == latest["version"]:
        title += f" ({RESTORES.format(version=latest['restores_version'])})"
    key = f"{change['board_id']},{change['tool_id']}"
    path = (datasette.urls.row(database, "board_verdicts", key) if change["listed"] else
            datasette.urls.row(database, "board_changelog",
                               f"{change['publication_version']},{key}"))
    return {
        "key": f"{change['publication_version']}-bestuur-{change['board_id']}-"
               f"{change['tool_id']}",
        "href": datasette.absolute_url(request, path), "title": title,
        "updated": change["published_at"], "published": change["published_at"],
        "summary": words.format(
            version=change["publication_version"], date=dutch_date(change["published_at"]),
            before=change["before_label"], after=change["after_label"],
            reason=change["reason"]),
    }


def _restore_entry(latest: dict, href: str) -> list[dict]:
    """The served publication itself when it is a rollback, even when no tool changed by it
    (a file of format 3 has no `restores_version`: never)."""
    restores = latest.get("restores_version")
    if not restores:
        return []
    return [{
        "key": f"versie-{latest['version']}", "href": href,
        "title": FEED_RESTORE_TITLE.format(version=latest["version"], restores=restores),
        "updated": latest["published_at"], "published": latest["published_at"],
        "summary": FEED_RESTORE_SUMMARY.format(version=latest["version"], restores=restores,
                                               date=dutch_date(latest["published_at"])),
    }]


def _by_itself_entry(change: dict) -> dict:
    """A verdict that changed on its day, after the last publication."""
    return {
        "key": f"op-{change['changed_on']}-{change['tool_id']}", "change": change,
        "title": f"{change['name']}: {CHANGE_LABELS['verdict_changed']}",
        "updated": f"{change['changed_on']}T00:00:00Z",
        "summary": FEED_ENTRY_BY_ITSELF.format(
            date=dutch_date(change["changed_on"]), before=change["before_label"],
            after=change["after_label"], reason=change["reason"]).strip(),
    }


async def changed_by_itself(db, today: dt.date, level: str | None) -> list[dict]:
    """The tools whose verdict changed on its day since the publication, up to `today`
    (`today.verdict_on`), newest first; none in a file without the next verdicts."""
    columns = await db.table_columns("tools")
    if "next_verdict" not in columns:
        return []
    rows = (await db.execute(
        "SELECT * FROM tools WHERE verdict_changes_on <= :today AND next_verdict IS NOT NULL "
        "AND next_verdict != verdict ORDER BY verdict_changes_on DESC, id",
        {"today": today.isoformat()})).rows
    out = []
    for row in rows:
        if level and level not in json.loads(row["level_codes"] or "[]"):
            continue
        now = verdict_on(row, today)
        if now.verdict == row["verdict"]:
            continue
        failed = [r["text"] for r in json.loads(now.reasons or "[]") if not r.get("passed")]
        out.append({"tool_id": row["id"], "name": row["name"], "listed": True,
                    "changed_on": row["verdict_changes_on"], "change": "verdict_changed",
                    "before_label": row["verdict_label"], "after_label": now.verdict_label,
                    "reason": " ".join(failed)})
    return out


async def board_changed_by_itself(db, today: dt.date, level: str | None, board: str | None
                                  ) -> list[dict]:
    """The verdicts of `board` that changed on their day since the publication (a decision
    that came into force or ran out, an agreement that ran out), up to `today`."""
    if board is None or not await db.table_exists("board_verdicts"):
        return []
    rows = (await db.execute(
        "SELECT b.*, t.level_codes FROM board_verdicts b JOIN tools t ON t.id = b.tool_id "
        "WHERE b.board_id = :board AND b.verdict_changes_on <= :today AND b.next_verdict IS "
        "NOT NULL AND (b.next_verdict != b.verdict OR b.next_decision != b.decision) "
        "ORDER BY b.verdict_changes_on DESC, b.tool_id",
        {"board": board, "today": today.isoformat()})).rows
    return [{
        "key": f"op-{row['verdict_changes_on']}-bestuur-{board}-{row['tool_id']}",
        "change": {"tool_id": row["tool_id"], "listed": True},
        "title": FEED_BOARD_TITLE.format(tool=row["tool_name"], board=row["board_name"],
                                         change=BOARD_CHANGE_LABELS["changed"]),
        "updated": f"{row['verdict_changes_on']}T00:00:00Z",
        "summary": FEED_ENTRY_BY_ITSELF.format(
            date=dutch_date(row["verdict_changes_on"]), before=row["verdict_label"],
            after=row["next_verdict_label"], reason=row["next_text"]).strip(),
    } for row in rows if not level or level in json.loads(row["level_codes"] or "[]")]


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element
