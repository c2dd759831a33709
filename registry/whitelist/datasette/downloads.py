"""The whole list as files fit for use, each with its sha256 and publication version, on the
Dutch page `/-/downloaden`:

- `witte-lijst.csv`: for Dutch Excel. UTF-8 with a byte order mark (without one Excel reads
  "ë" as "Ã«"), `;` between cells (Dutch Excel's list separator), lists as readable text
  ("PO, VO"; conditions and reasons a line each), every cell kept from being a formula;
  `witte-lijst-komma.csv` the same with `,`;
- `witte-lijst.json`: every tool in one answer (Datasette's JSON pages stop at 500 rows),
  lists as JSON lists, with the publication;
- the SQLite file itself, as Datasette serves it (`/witte-lijst.db`).

A published file does not change while it is served (a new publication gets a new Datasette
instance), so each file is written once per instance, to a temporary file that goes with it.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import os
import sqlite3
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import msgspec
from datasette import Response
from datasette.utils.asgi import AsgiFileDownload, NotFound

from registry.csvsafe import guard
from registry.whitelist.datasette.feed import changelog_db
from registry.whitelist.datasette.memo import memo

PAGE = "/-/downloaden"
TECHNICAL = ("name_key", "search")
"""Columns for the search only: not in the downloads."""
CSV_FILES = {"witte-lijst.csv": ";", "witte-lijst-komma.csv": ","}
JSON_FILE = "witte-lijst.json"
CONTENT_TYPES = {".csv": "text/csv; charset=utf-8", ".json": "application/json; charset=utf-8"}


@dataclass(frozen=True)
class Download:
    name: str
    path: Path
    size: int
    sha256: str


def readable(value):
    """A JSON list as text a person reads: codes joined by ", ", sentences a line each, a
    reason with ✔ or ✘, an alternative by its name. Anything else as it is."""
    items = _as_list(value)
    if items is None:
        return value
    texts = [_item_text(item) for item in items]
    if all(isinstance(item, str) and " " not in item for item in items):
        return ", ".join(texts)
    return "\n".join(texts)


def _as_list(value):
    if not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        items = msgspec.json.decode(value)
    except msgspec.DecodeError:
        return None
    return items if isinstance(items, list) else None


def _item_text(item) -> str:
    if isinstance(item, dict):
        if "text" in item:
            return ("✔ " if item.get("passed") else "✘ ") + str(item["text"])
        return str(item.get("name") or item.get("id") or json.dumps(item, ensure_ascii=False))
    return str(item)


def _tools(conn: sqlite3.Connection) -> tuple[list[str], Iterator[tuple]]:
    """The tools' columns (without the technical ones) and their rows, read as written."""
    cursor = conn.execute("SELECT * FROM tools ORDER BY name, id")
    columns = [c[0] for c in cursor.description]
    keep = [i for i, name in enumerate(columns) if name not in TECHNICAL]
    return [columns[i] for i in keep], (tuple(row[i] for i in keep) for row in cursor)


def _write_csvs(conn: sqlite3.Connection, folder: Path) -> None:
    """Every CSV of `CSV_FILES` in one pass over the tools."""
    columns, rows = _tools(conn)
    with ExitStack() as stack:
        # utf-8-sig: the byte order mark first, by which Excel reads the file as UTF-8.
        writers = [csv.writer(stack.enter_context(open(folder / name, "w", encoding="utf-8-sig",
                                                       newline="")),
                              delimiter=separator, lineterminator="\r\n")
                   for name, separator in CSV_FILES.items()]
        for writer in writers:
            writer.writerow(columns)
        for row in rows:
            cells = [guard(cell) if isinstance(cell, str) else cell for cell in map(readable, row)]
            for writer in writers:
                writer.writerow(cells)


def _write_json(conn: sqlite3.Connection, path: Path) -> None:
    """`{"publication": {...}, "tools": [...]}`, a tool a line, lists as JSON lists."""
    cursor = conn.execute("SELECT version, published_at, evaluated_on, policy_version, sha256 "
                          "FROM publication ORDER BY version DESC LIMIT 1")
    publication = dict(zip([c[0] for c in cursor.description], cursor.fetchone()))
    columns, rows = _tools(conn)
    with open(path, "wb") as f:
        f.write(b'{"publication": ' + msgspec.json.encode(publication) + b',\n "tools": [')
        for n, row in enumerate(rows):
            tool = {c: v if (items := _as_list(v)) is None else items
                    for c, v in zip(columns, row)}
            f.write((b"\n  " if n == 0 else b",\n  ") + msgspec.json.encode(tool))
        f.write(b"\n ]}\n")


def _write(conn: sqlite3.Connection, folder: Path) -> dict[str, Download]:
    """Every download of the file `conn` reads, written into `folder` a row at a time."""
    _write_csvs(conn, folder)
    _write_json(conn, folder / JSON_FILE)
    return {name: _file_download(folder / name) for name in [*CSV_FILES, JSON_FILE]}


async def downloads(datasette) -> tuple[object, dict[str, Download]]:
    """(database, downloads by file name) of this instance, written on the first ask."""
    kept = memo(datasette, "downloads")
    lock = kept.setdefault("lock", asyncio.Lock())
    async with lock:
        if "files" not in kept:
            db = await changelog_db(datasette) or _first(datasette)
            folder = Path(tempfile.mkdtemp(prefix="witte-lijst-downloads-"))
            weakref.finalize(datasette, _remove, folder)
            files = await db.execute_fn(lambda conn: _write(conn, folder))
            files[f"{db.name}.db"] = await asyncio.to_thread(_file_download, Path(db.path))
            kept["files"] = (db, files)
    return kept["files"]


def _first(datasette):
    return next(db for name, db in datasette.databases.items() if name != "_internal")


def _file_download(path: Path) -> Download:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return Download(path.name, path, path.stat().st_size, digest.hexdigest())


def _remove(folder: Path) -> None:
    for file in folder.glob("*"):
        file.unlink(missing_ok=True)
    try:
        os.rmdir(folder)
    except OSError:
        pass


async def download_file(datasette, request):
    name = request.url_vars["name"]
    db, files = await downloads(datasette)
    download = files.get(name)
    if download is None or name.endswith(".db"):
        raise NotFound("Dit bestand is er niet.")
    return AsgiFileDownload(download.path, filename=name,
                            content_type=CONTENT_TYPES[download.path.suffix])


async def downloads_page(datasette, request):
    db, files = await downloads(datasette)
    publication = (await db.execute("SELECT version, published_at FROM publication "
                                    "ORDER BY version DESC LIMIT 1")).first()
    links = {name: datasette.urls.path(f"{PAGE}/{name}") for name in [*CSV_FILES, JSON_FILE]}
    links[f"{db.name}.db"] = datasette.urls.database(db.name) + ".db"
    html = await datasette.render_template("downloaden.html", {
        "files": [(links[name], files[name]) for name in links],
        "publication": dict(publication) if publication else None,
        "database": db.name,
    }, request=request)
    return Response.html(html)
