"""The timed jobs, each run in its own process so its memory can be measured alone:

    python -m benchmarks.jobs import BUNDLE DB
    python -m benchmarks.jobs import-reference BUNDLE DB
    python -m benchmarks.jobs publish DB OUT            # full=True: every tool
    python -m benchmarks.jobs publish-changed DB OUT    # change 100 tools, then publish
    python -m benchmarks.jobs publish-reference PUBLISHED OUT
    python -m benchmarks.jobs check PUBLISHED QUERIES
    python -m benchmarks.jobs check-boards PUBLISHED BOARD_CHECKS
    python -m benchmarks.jobs lists DB

Each prints one line of JSON: seconds, counts and the kernel's peak RSS (`maxrss_mb`).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import random
import re
import resource
import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path

import msgspec

TODAY = dt.date(2026, 11, 28)


def _fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def import_(bundle: Path, db_path: Path) -> dict:
    """The product's import: full validation, references, per-record audit events."""
    from registry.db import Registry
    from registry.bundles import read_json
    from registry.importer import import_source

    _fresh(db_path)
    registry = Registry(db_path)
    registry.migrate()
    start = time.perf_counter()
    report = import_source(registry, read_json(bundle.read_bytes(), bundle.name), actor="bench")
    seconds = time.perf_counter() - start
    if not report.ok:
        raise SystemExit(f"the synthetic bundle did not import: {report.failure().detail}")
    registry.close()
    return {"seconds": seconds, "records": sum(report.created.values()), "created": report.created}


def _cell(value):
    if isinstance(value, (list, dict)):
        return msgspec.json.encode(value).decode()
    if isinstance(value, bool):
        return int(value)
    return value


def import_reference(bundle: Path, db_path: Path) -> dict:
    """What the stack allows: msgspec validation alone, then a raw executemany of the same
    record rows in one transaction (no reference checks, no audit events)."""
    from registry import models
    from registry.db import Registry
    from registry.store.kinds import KINDS

    _fresh(db_path)
    registry = Registry(db_path)
    registry.migrate()
    raw = bundle.read_bytes()
    gc.disable()  # as the importer does
    start = time.perf_counter()
    decoded = msgspec.json.decode(raw, type=models.Bundle)
    validated = time.perf_counter()
    stamp = msgspec.to_builtins(dt.datetime.now(dt.UTC))
    conn, records = registry.conn, 0
    conn.execute("BEGIN IMMEDIATE")
    for kind in KINDS:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{kind}])")]
        rows = []
        for record in getattr(decoded, kind):
            row = msgspec.to_builtins(msgspec.structs.asdict(record))
            row |= {"version": 1, "created_at": stamp, "updated_at": stamp}
            rows.append([_cell(row.get(c)) for c in columns])
        conn.executemany(f"INSERT INTO [{kind}] VALUES ({', '.join('?' * len(columns))})", rows)
        records += len(rows)
        if kind == "agreements":
            conn.executemany("INSERT INTO agreement_tools VALUES (?, ?)",
                             [(a.id, t) for a in decoded.agreements for t in a.tool_ids])
    conn.execute("COMMIT")
    end = time.perf_counter()
    registry.close()
    return {"seconds": end - start, "validate_seconds": validated - start,
            "insert_seconds": end - validated, "records": records}


def publish(db_path: Path, out: Path) -> dict:
    """The product's publication of every tool (`full=True`) into a fresh `out` (the
    registry may have been imported again since the file there was published)."""
    from registry.db import Registry

    _fresh(out)
    registry = Registry(db_path)
    registry.migrate()  # data of an earlier run: as `registry publish` would find it
    start = time.perf_counter()
    done, lines = _publish(registry, out, full=True)
    seconds = time.perf_counter() - start
    registry.close()
    return {"seconds": seconds, "counts": done.counts, "bytes": out.stat().st_size,
            "progress": lines}


def _publish(registry, out: Path, full: bool) -> tuple:
    """`registry.publish.publish` (`full`: every tool): (publication, progress lines)."""
    from registry.publish import publish as publish_whitelist

    lines: list[str] = []
    done = publish_whitelist(registry, out, TODAY, "bench", progress=lines.append, full=full)
    return done, lines


CHANGED_TOOLS = 100
CHANGE_SEED = 20261119
_MARK = re.compile(r" \(wijziging \d+\)$")


def change_tools(registry, n: int = CHANGED_TOOLS) -> list[str]:
    """Change the description of `n` tools (a seeded choice, the same ones every run) to
    end in ' (wijziging N)', N their next version: a real change, new each run, through
    `registry.update` (a new version and an audit event, as an editor's change)."""
    from registry import models

    ids = [r[0] for r in registry.conn.execute(
        "SELECT id FROM tools WHERE archived_at IS NULL ORDER BY id")]
    chosen = random.Random(CHANGE_SEED).sample(ids, min(n, len(ids)))
    fields = models.ToolIn.__struct_fields__
    for tool_id in chosen:
        tool = registry.get("tools", tool_id)
        data = {f: getattr(tool, f) for f in fields}
        data["description"] = (_MARK.sub("", tool.description)[:4970]
                               + f" (wijziging {tool.version + 1})")
        registry.update("tools", tool_id, models.ToolIn(**data), "bench", None)
    return chosen


def publish_changed(db_path: Path, out: Path) -> dict:
    """After a publication: change `CHANGED_TOOLS` tools, then time the product's default
    publication (incremental when the served file allows it), with its progress lines."""
    from registry.db import Registry

    registry = Registry(db_path)
    registry.migrate()
    if not out.exists():
        raise SystemExit(f"no published file at {out}: publish first")
    changed = change_tools(registry)
    gc.collect()
    start = time.perf_counter()
    done, lines = _publish(registry, out, full=False)
    seconds = time.perf_counter() - start
    registry.close()
    incremental = next((line for line in lines if line.startswith("Incremental:")), None)
    return {"seconds": seconds, "counts": done.counts, "bytes": out.stat().st_size,
            "changed": len(changed), "incremental": incremental,
            "progress": lines}


def publish_reference(published: Path, out: Path) -> dict:
    """A raw copy of the published rows into a fresh file: every table, one transaction,
    no indexes, no full-text index, no checks; the commit syncs it to disk."""
    _fresh(out)
    start = time.perf_counter()
    rows_copied = 0
    with closing(sqlite3.connect(f"file:{published}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(out, isolation_level=None)) as dst:
        tables = src.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'tools_fts%'"
            " AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        dst.execute("BEGIN")
        for name, sql in tables:
            dst.execute(sql)
            cursor = src.execute(f"SELECT * FROM [{name}]")
            marks = ", ".join("?" * len(cursor.description))
            rows = cursor.fetchall()
            dst.executemany(f"INSERT INTO [{name}] VALUES ({marks})", rows)
            rows_copied += len(rows)
        dst.execute("COMMIT")
    return {"seconds": time.perf_counter() - start, "rows": rows_copied}


def check(published: Path, queries_path: Path) -> dict:
    """The teacher check in process, against a bare SQLite point lookup on the same file."""
    from registry.whitelist.reader import PublishedWhitelist

    queries = json.loads(queries_path.read_text())
    whitelist = PublishedWhitelist(published)
    statuses: dict[str, int] = {}
    for q in queries[:200]:  # warm up caches
        whitelist.check(q)
    start = time.perf_counter()
    for q in queries:
        answer = whitelist.check(q)
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
    check_seconds = time.perf_counter() - start
    whitelist.close()

    with closing(sqlite3.connect(f"file:{published}?mode=ro&immutable=1", uri=True)) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM tools ORDER BY random() LIMIT ?",
                                          [len(queries)])]
        ids = (ids * (len(queries) // max(1, len(ids)) + 1))[:len(queries)]
        for tool_id in ids[:200]:
            conn.execute("SELECT * FROM tools WHERE id = ?", [tool_id]).fetchone()
        start = time.perf_counter()
        for tool_id in ids:
            conn.execute("SELECT * FROM tools WHERE id = ?", [tool_id]).fetchone()
        lookup_seconds = time.perf_counter() - start
    return {"n": len(queries), "check_seconds": check_seconds, "lookup_seconds": lookup_seconds,
            "statuses": statuses}


BOARD_PARAMETERS = ("board", "board_id", "bestuur")
"""What `PublishedWhitelist.check` may call the board's number (the first it has counts)."""


def check_boards(published: Path, board_checks_path: Path) -> dict:
    """The check with a board in process against the same questions without one, on the
    same reader, each timed twice in turn (the better of the two counts for both)."""
    import inspect

    from registry.whitelist.reader import PublishedWhitelist

    asked = [tuple(pair) for pair in json.loads(board_checks_path.read_text())]
    whitelist = PublishedWhitelist(published)
    parameters = inspect.signature(whitelist.check).parameters
    name = next((p for p in BOARD_PARAMETERS if p in parameters), None)
    if name is None:
        whitelist.close()
        return {"skipped": "PublishedWhitelist.check takes no board "
                           f"(none of {', '.join(BOARD_PARAMETERS)})"}
    today = TODAY
    for q, board in asked[:200]:  # warm up caches
        whitelist.check(q, today)
        whitelist.check(q, today, **{name: board})
    plain, with_board, decided = [], [], 0
    for _ in range(2):
        start = time.perf_counter()
        for q, _board in asked:
            whitelist.check(q, today)
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        for q, board in asked:
            answer = whitelist.check(q, today, **{name: board})
            decided += _board_decided(answer)
        with_board.append(time.perf_counter() - start)
    whitelist.close()
    return {"n": len(asked), "parameter": name, "check_seconds": min(plain),
            "board_seconds": min(with_board), "decided": decided // 2}


def _board_decided(answer) -> int:
    """1 if the answer carries a board's own decision (not `follow`)."""
    board = getattr(answer, "board", None)
    if isinstance(board, dict):
        return int(board.get("decision", "follow") != "follow")
    return int(getattr(board, "decision", "follow") != "follow")


LIST_PAGES = {
    "tools, first page": ("tools", "", {}, 0),
    "tools, page 1,000": ("tools", "", {}, 49_950),
    "tools, search 'rek'": ("tools", "rek", {}, 0),
    "tools, school type PO": ("tools", "", {"level": "PO"}, 0),
    "tools, category and school type": ("tools", "", {"category": "practice", "level": "VO"}, 0),
    "agreements, status signed": ("agreements", "", {"status": "signed"}, 0),
    "assessments, search 'a'": ("assessments", "a", {}, 0),
    "boards, school type VO": ("boards", "", {"school_type": "VO"}, 0),
    "board decisions, stricter": ("board_decisions", "", {"decision": "stricter"}, 0),
}
"""The back office's list pages (`registry.store.records.page`, what /beheer/<kind> asks)."""


def lists(db_path: Path) -> dict:
    """Each back-office list query on the imported registry, against a bare first page of
    the same table by id (`SELECT * ... ORDER BY id LIMIT 50`)."""
    from registry.db import Registry
    from registry.store.kinds import KINDS
    from registry.store.records import page

    registry = Registry(db_path)
    timings, totals = {}, {}
    for label, (kind, q, filters, offset) in LIST_PAGES.items():
        page(registry.store, KINDS[kind], q=q, filters=filters, offset=offset)  # warm
        start = time.perf_counter()
        for _ in range(5):
            _, totals[label] = page(registry.store, KINDS[kind], q=q, filters=filters,
                                    offset=offset)
        timings[label] = (time.perf_counter() - start) / 5
    conn = registry.conn
    start = time.perf_counter()
    for _ in range(5):
        conn.execute("SELECT * FROM tools ORDER BY id LIMIT 50").fetchall()
    reference = (time.perf_counter() - start) / 5
    registry.close()
    return {"seconds": timings, "totals": totals, "reference_seconds": reference}


JOBS = {"lists": lists, "import": import_, "import-reference": import_reference,
        "publish": publish, "publish-changed": publish_changed,
        "publish-reference": publish_reference, "check": check, "check-boards": check_boards}


def main() -> None:
    name, *args = sys.argv[1:]
    result = JOBS[name](*map(Path, args))
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.flush()
    os.write(1, (json.dumps(result) + "\n").encode())


if __name__ == "__main__":
    main()
