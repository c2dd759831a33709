"""Datasette serving the published whitelist under a path prefix of the Litestar app.

Datasette routes on `scope["raw_path"]` and builds links from its `base_url` setting; mounted
as is, links come out with the prefix doubled. So the prefix is stripped from both `path`
and `raw_path` before Datasette sees the request, `base_url` stays set for the links it
writes, and the prefix is added to redirects, which ignore `base_url`. Datasette keeps
connections to the file it opened, so a new publication (a new inode) gets a new instance,
pinned to that one file (see `_pin`) and started before any request reaches it.

Datasette keeps running its queries in its threads, not in the worker's event loop
(`num_sql_threads` 0 would save about a fifth of a searched page's CPU): a slow filtered
query may take up to its one-second limit, and a teacher's check on the same worker must
not wait for it. Two threads, not Datasette's three (`SQL_THREADS`).

A published file never changes, so neither does Datasette's answer to the same GET: each
instance keeps its answers, compressed (a `Kept`, the least recently asked forgotten first),
and builds a page once per worker instead of once per request. A table page of 100,000 tools
took about 100 ms to build (see benchmarks/); a new publication starts with none kept.

An answer kept for one asker is sent to all, so Datasette must not see anything of the asker
but the method, path and query string. It builds absolute links (`next_url`, facet toggles,
the JSON alternate) from the Host header, and a forged Host once poisoned every later page;
cookies and Authorization make its answers private. So Datasette gets a scope of its own:
scheme and Host from the configured public URL (`origin`), no other request header.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import urllib.parse
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lz4.frame

from registry.kept import Kept
from registry.labels import NOT_PUBLISHED
from registry.pids import alive
from registry.whitelist.datasette import METADATA, SETTINGS
from registry.whitelist.datasette.feed import FEED_PATH, TODAY_KEY

PAGE_CACHE_BYTES = 16 * 1024 * 1024
"""Answers kept per worker (and per publication)."""
MAX_KEPT_PAGE = 1024 * 1024
"""A larger answer (a long CSV export) is sent, not kept."""
SQL_THREADS = 2
"""Datasette's query threads per worker: each keeps a connection and memory of its own (about
15 MB less per server under the whitelist's load, see benchmarks/), and a server has a
worker per core already, so a third thread per worker ran no more queries at once."""
HOT_SHARE = 10
"""A tenth of the pages' budget keeps the most recently asked of them unpacked too."""

METADATA_PATH = METADATA
"""Shipped with the plugin; the repository's `datasette-metadata.json` is the same file."""
SITE = {"check": "/", "list": "/tools", "tool_page": "/tools/{id}"}
"""The read wing's own pages, which the whitelist links to when mounted in it (a plain
`datasette witte-lijst.db` has none of them and links within itself)."""
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
"""Where `registry serve` listens when given no --host and --port."""


def origin(public_url: str) -> tuple[str, bytes]:
    """(scheme, host header) of a public URL such as `https://lijst.example.nl`: the links
    Datasette writes start with it. Only an origin: the app serves from its root."""
    parts = urllib.parse.urlsplit(public_url)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
        host = parts.hostname
    except ValueError:
        host = None
    if (parts.scheme not in ("http", "https") or not host or parts.path not in ("", "/")
            or parts.query or parts.fragment or "@" in parts.netloc
            or not parts.netloc.isascii() or not parts.netloc.isprintable()
            or " " in parts.netloc):
        raise ValueError(f"The public URL must be http(s)://host[:port], not {public_url!r}")
    return parts.scheme, parts.netloc.lower().encode("ascii")


class DatasetteMount:
    """An ASGI app: Datasette on the current published file, mounted at `prefix`."""

    def __init__(self, whitelist_path: Path, prefix: str, metadata_path: Path = METADATA_PATH,
                 cache_bytes: int = PAGE_CACHE_BYTES, public_url: str = DEFAULT_PUBLIC_URL):
        self.path = Path(whitelist_path)
        self.prefix = prefix.rstrip("/")
        self.scheme, self.host = origin(public_url)
        self.metadata = json.loads(Path(metadata_path).read_text())
        # Mounted beside the check and the tool pages: the plugin links to them.
        config = self.metadata.setdefault("plugins", {}).setdefault("school_whitelist", {})
        config.setdefault("site", SITE)
        self.cache_bytes = cache_bytes
        self._served: _Served | None = None
        self._identity: tuple[int, int] | None = None
        self._retired: list[_Served] = []
        self._starting: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    async def _current(self) -> _Served | None:
        identity = _identity(self.path)
        if identity is None:
            return None
        if identity != self._identity:
            # One new instance at a time: the requests that arrive while it starts wait for
            # it instead of each starting one of their own.
            async with self._start_lock():
                if _identity(self.path) != self._identity:
                    await self._start()
        return self._served

    def _start_lock(self) -> asyncio.Lock:
        """The lock of the running event loop (a test may serve one app from several)."""
        loop = asyncio.get_running_loop()
        if self._starting is None or self._starting[0] is not loop:
            self._starting = (loop, asyncio.Lock())
        return self._starting[1]

    async def _start(self) -> None:
        """Start Datasette on the file now at `path` and make it current."""
        # Imported here, not with the module: a worker that only answers checks never loads
        # Datasette's app (about 20 MB of a read-only worker; see benchmarks/replicas.py).
        from datasette.app import Datasette

        pinned = self._pin()
        datasette = Datasette(
            immutables=[str(pinned)],
            metadata=self.metadata,
            settings={**SETTINGS, "base_url": self.prefix + "/",
                      "num_sql_threads": SQL_THREADS},
        )
        try:
            # Datasette starts on its first request, but lets a second one in before that
            # is done ("render_template() called before await ds.invoke_startup()", seen
            # under load): start it here, before any request can reach it.
            await datasette.invoke_startup()
            for database in datasette.databases.values():
                if not database.is_mutable:
                    await database.table_counts(limit=60 * 60 * 1000)
        except BaseException:
            if pinned != self.path:
                _unpin(pinned)
            raise
        # The file may have been replaced again while this one started: then it is not current.
        mine, now = _identity(pinned), _identity(self.path)
        if self._served is None or (mine == now and now != self._identity):
            if self._served is not None:
                self._retired.append(self._served)
            hot = self.cache_bytes // HOT_SHARE
            self._served = _Served(datasette, datasette.app(), pinned,
                                   Kept(self.cache_bytes - hot), Kept(hot))
            self._identity = mine
        elif pinned != self.path:
            _unpin(pinned)

    def _pin(self) -> Path:
        """A hard link to the file now at `path`, in a folder of its own beside it.

        Datasette opens its connections lazily, one per thread, by path: after a new
        publication replaced the file, one page read its rows from the old file and its footer
        from the new one (seen under load). A link of its own is never replaced, so every
        connection of one Datasette instance reads one publication. A link goes when its
        instance is no longer current and no request uses it; links of processes that are
        gone go with the next. Where no link can be made, the path itself is served.
        """
        prefix = f".{self.path.name}.served-"
        for folder in self.path.parent.glob(prefix + "*"):
            pid = folder.name.removeprefix(prefix).partition("-")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not alive(int(pid)):
                _unpin(folder / self.path.name)
        folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=self.path.parent))
        pinned = folder / self.path.name  # the same name: Datasette names the database by it
        try:
            os.link(self.path, pinned)
        except OSError:
            folder.rmdir()
            return self.path
        return pinned

    def _unpin_idle(self) -> None:
        for served in [s for s in self._retired if s.requests == 0]:
            self._retired.remove(served)
            if served.pinned != self.path:
                _unpin(served.pinned)

    def _inner(self, scope) -> dict:
        """The scope Datasette gets: the request's method, path (without the prefix) and query
        string; scheme and Host of the public URL; no other header, no client address."""
        raw = scope.get("raw_path") or scope["path"].encode()
        prefix = self.prefix.encode()
        rest = raw[len(prefix):] if raw.startswith(prefix) else raw
        rest = rest or b"/"
        path = scope["path"]
        path = path[len(self.prefix):] if path.startswith(self.prefix) else path
        inner = {
            "type": "http", "asgi": scope.get("asgi", {"version": "3.0"}),
            "http_version": scope.get("http_version", "1.1"), "method": scope["method"],
            "scheme": self.scheme, "path": path or "/", "raw_path": rest.split(b"?")[0],
            "query_string": scope.get("query_string", b""), "root_path": "",
            "headers": [(b"host", self.host)],
        }
        if (today := _today(scope)) is not None:
            inner[TODAY_KEY] = today
        return inner

    def keeps(self, scope) -> bool:
        """Whether the answer to this request is kept: sending it costs next to nothing."""
        served, key = self._served, _cache_key(self._inner(scope))
        return served is not None and key is not None and served.pages.get(key) is not None

    async def __call__(self, scope, receive, send) -> None:
        served = await self._current()
        if served is None:
            await _not_published(send)
            return
        prefix = self.prefix.encode()
        inner = self._inner(scope)
        key = _cache_key(inner)
        if key is not None and (kept := served.pages.get(key)) is not None:
            start, packed = kept
            if (body := served.hot.get(key)) is None:
                body = lz4.frame.decompress(packed)
                served.hot.keep(key, body, len(body))
            await send(dict(start, headers=list(start["headers"])))
            await send({"type": "http.response.body", "body": body})
            return
        recording: list | None = None  # [start message, body parts, size] while it may be kept

        async def send_with_prefix(message) -> None:
            nonlocal recording
            if message["type"] == "http.response.start":
                headers = []
                for name, value in message.get("headers", []):
                    if name.lower() == b"location" and value.startswith(b"/") and not (
                        value.startswith(prefix + b"/") or value == prefix
                    ):
                        value = prefix + value
                    headers.append((name, value))
                message = dict(message, headers=headers)
                if key is not None and _keepable(message):
                    recording = [dict(message, headers=list(headers)), [], 0]
            elif message["type"] == "http.response.body" and recording is not None:
                body = message.get("body", b"")
                recording[1].append(body)
                recording[2] += len(body)
                if recording[2] > MAX_KEPT_PAGE:
                    recording = None
                elif not message.get("more_body"):
                    # Compressed (LZ4): 400 searches at 100,000 tools took 32 MB as they
                    # are, more than a worker's share of `--cache-mb` 32, so a steady round
                    # of them was never kept; compressed a sixth. Not zlib: unpacking the
                    # 167 KB table page takes LZ4 35 µs, zlib 490 (more than sending it).
                    packed = lz4.frame.compress(b"".join(recording[1]))
                    served.pages.keep(key, (recording[0], packed), _cost(key, packed))
                    recording = None
            await send(message)

        served.requests += 1
        try:
            await served.app(inner, receive, send_with_prefix)
        finally:
            served.requests -= 1
            self._unpin_idle()


def _cost(key: tuple[bytes, bytes], body: bytes) -> int:
    return len(key[0]) + len(key[1]) + len(body) + 1024  # about what the headers take


def _cache_key(scope) -> tuple[bytes, bytes] | None:
    """What an answer may be kept under: a GET, by path and query string (all Datasette sees);
    the feed by the day too, as it tells the verdicts that changed by themselves up to it."""
    if scope.get("method") != "GET":
        return None
    query = scope.get("query_string", b"")
    if scope["raw_path"] == FEED_PATH.encode():
        query += b" " + scope.get(TODAY_KEY, "").encode()
    return scope["raw_path"], query


def _today(scope) -> str | None:
    """The day of the app serving the mount (its `today`, which `REGISTRY_TODAY` fixes), as
    ISO text; None where the app keeps none."""
    app = scope.get("litestar_app") or scope.get("app")
    today = getattr(getattr(app, "state", None), "today", None)
    return today().isoformat() if callable(today) else None


def _keepable(start: dict) -> bool:
    """A successful answer that Datasette does not call private and that sets no cookie."""
    headers = start.get("headers", ())
    return start.get("status") == 200 and not any(
        name.lower() == b"set-cookie"
        or (name.lower() == b"cache-control" and (b"private" in value or b"no-store" in value))
        for name, value in headers)


@dataclass
class _Served:
    """One Datasette instance, the link to the file it serves, its answers kept and its
    requests under way."""

    datasette: Any
    app: Any
    pinned: Path
    pages: Kept[tuple[bytes, bytes], tuple[dict, bytes]]
    hot: Kept[tuple[bytes, bytes], bytes]
    """The most recently asked of `pages` unpacked as well, in 1/HOT_SHARE of the budget:
    unpacking the 167 KB table page took LZ4 35 µs, a sixth of what sending it costs."""
    requests: int = 0


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _unpin(served: Path) -> None:
    with suppress(OSError):
        served.unlink()
        served.parent.rmdir()


async def _not_published(send) -> None:
    body = ("<!DOCTYPE html><html lang=nl><meta charset=utf-8><title>Witte lijst</title>"
            f"<p>{NOT_PUBLISHED}</p></html>").encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"text/html; charset=utf-8")]})
    await send({"type": "http.response.body", "body": body})
