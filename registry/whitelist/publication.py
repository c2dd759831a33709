"""The publication as files, for replicas and anyone who mirrors the whitelist: the signed
manifest, the whitelist file itself and the publisher's public key, read from beside the file
this server serves (so a replica serves them too, and can feed another replica).

    GET /publicatie/manifest.json    witte-lijst.manifest.json
    GET /publicatie/witte-lijst.db   the served file, streamed
    GET /publicatie/witte-lijst.pub  witte-lijst.pub

Each answer has a strong ETag and `Cache-Control: no-cache`, and a matching If-None-Match
gets a 304 without a body: a replica's poll costs a stat and a small read. The file's ETag
is the manifest's sha256 of it, given only while the manifest describes the file served
(same version and size: for the moment between a new file and its new manifest, none).
Nothing here checks a signature: the reader is the one who must.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.response import Stream

from registry.labels import NOT_PUBLISHED
from registry.published import DEFAULT_NAME, manifest_path, public_key_path
from registry.whitelist.reader import NotPublished, PublishedWhitelist

PREFIX = "/publicatie"
CHUNK = 1024 * 1024
NO_CACHE = {"Cache-Control": "no-cache"}
"""Caches may keep an answer but must ask again (If-None-Match) before using it."""


class _Described(msgspec.Struct):
    """What the file's ETag needs of the manifest; the rest is the reader's to check."""

    version: int
    size: int
    sha256: str


def _not_there() -> HTTPException:
    return HTTPException(status_code=404, detail=NOT_PUBLISHED)


def _matches(request: Request, etag: str) -> bool:
    """If-None-Match names `etag` (weak comparison, as RFC 9110 asks for GET) or is `*`."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


def _not_modified(etag: str) -> Response:
    return Response(b"", status_code=304, headers={"ETag": etag, **NO_CACHE})


def _small(request: Request, path: Path, media_type: str) -> Response:
    """A small file whole, tagged with the sha256 of its bytes."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _not_there() from None
    etag = f'"{hashlib.sha256(data).hexdigest()}"'
    if _matches(request, etag):
        return _not_modified(etag)
    return Response(data, media_type=media_type, headers={"ETag": etag, **NO_CACHE})


@get(f"{PREFIX}/manifest.json", include_in_schema=False, sync_to_thread=False)
def manifest(request: Request, whitelist_path: NamedDependency[Path]) -> Response:
    return _small(request, manifest_path(whitelist_path), "application/json")


@get(f"{PREFIX}/{Path(DEFAULT_NAME).stem}.pub", include_in_schema=False, sync_to_thread=False)
def public_key(request: Request, whitelist_path: NamedDependency[Path]) -> Response:
    return _small(request, public_key_path(whitelist_path), "text/plain")


@get(f"{PREFIX}/{DEFAULT_NAME}", include_in_schema=False)
async def whitelist_file(request: Request, whitelist_path: NamedDependency[Path],
                         whitelist: NamedDependency[PublishedWhitelist]) -> Response:
    """The served file, streamed from one open file: a publication that replaces it midway
    does not change what this answer sends."""
    try:
        f = open(whitelist_path, "rb")  # closed by `_chunks`, or here on a 304
    except FileNotFoundError:
        raise _not_there() from None
    size = os.fstat(f.fileno()).st_size
    etag = _etag(whitelist_path, whitelist, size)
    headers = {"Content-Length": str(size),
               "Content-Disposition": f'attachment; filename="{DEFAULT_NAME}"', **NO_CACHE}
    if etag is not None:
        if _matches(request, etag):
            f.close()
            return _not_modified(etag)
        headers["ETag"] = etag
    return Stream(_chunks(f), media_type="application/vnd.sqlite3", headers=headers)


def _etag(whitelist_path: Path, whitelist: PublishedWhitelist, size: int) -> str | None:
    """The manifest's sha256 of the file, if the manifest describes the file served."""
    try:
        described = msgspec.json.decode(manifest_path(whitelist_path).read_bytes(),
                                        type=_Described)
        served = whitelist.publication().version
    except (OSError, sqlite3.Error, msgspec.DecodeError, NotPublished):
        return None
    if (described.version, described.size) != (served, size):
        return None
    return f'"{described.sha256}"'


async def _chunks(f: BinaryIO) -> AsyncIterator[bytes]:
    try:
        while chunk := await anyio.to_thread.run_sync(f.read, CHUNK):
            yield chunk
    finally:
        f.close()


HANDLERS = [manifest, whitelist_file, public_key]
