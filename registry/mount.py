"""Datasette serving the published whitelist under a path prefix of the Litestar app.

Datasette routes on `scope["raw_path"]` and builds links from its `base_url` setting; mounted
as is, links come out with the prefix doubled. So the prefix is stripped from both `path`
and `raw_path` before Datasette sees the request, `base_url` stays set for the links it
writes, and the prefix is added to redirects, which ignore `base_url`. Datasette keeps
connections to the file it opened, so a new publication (a new inode) gets a new instance.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import suppress
from pathlib import Path

from datasette.app import Datasette

METADATA_PATH = Path(__file__).parent.parent / "datasette-metadata.json"


class DatasetteMount:
    """An ASGI app: Datasette on the current published file, mounted at `prefix`."""

    def __init__(self, whitelist_path: Path, prefix: str, metadata_path: Path = METADATA_PATH):
        self.path = Path(whitelist_path)
        self.prefix = prefix.rstrip("/")
        self.metadata = json.loads(metadata_path.read_text()) if metadata_path.exists() else {}
        self._app = None
        self._identity: tuple[int, int] | None = None
        self._pins: list[Path] = []

    def _current(self):
        try:
            stat = os.stat(self.path)
            identity = (stat.st_ino, stat.st_mtime_ns)
        except FileNotFoundError:
            return None
        if identity != self._identity:
            datasette = Datasette(
                immutables=[str(self._pin())],
                metadata=self.metadata,
                settings={"base_url": self.prefix + "/"},
            )
            self._app, self._identity = datasette.app(), identity
        return self._app

    def _pin(self) -> Path:
        """A hard link to the file now at `path`, in a folder of its own beside it.

        Datasette opens its connections lazily, one per thread, by path: after a new
        publication replaced the file, one page read its rows from the old file and its footer
        from the new one (seen under load). A link of its own is never replaced, so every
        connection of one Datasette instance reads one publication. The links of this process
        but the last two (a request may still be finishing on the previous one) and those of
        processes that are gone are removed. Where no link can be made, the path is served.
        """
        prefix = f".{self.path.name}.served-"
        for folder in self.path.parent.glob(prefix + "*"):
            pid = folder.name.removeprefix(prefix).partition("-")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                _unpin(folder / self.path.name)
        folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=self.path.parent))
        served = folder / self.path.name  # the same name: Datasette names the database by it
        try:
            os.link(self.path, served)
        except OSError:
            folder.rmdir()
            return self.path
        self._pins.append(served)
        while len(self._pins) > 2:
            _unpin(self._pins.pop(0))
        return served

    async def __call__(self, scope, receive, send) -> None:
        app = self._current()
        if app is None:
            await _not_published(send)
            return
        raw = scope.get("raw_path") or scope["path"].encode()
        prefix = self.prefix.encode()
        rest = raw[len(prefix):] if raw.startswith(prefix) else raw
        rest = rest or b"/"
        path = scope["path"]
        path = path[len(self.prefix):] if path.startswith(self.prefix) else path
        inner = dict(scope, raw_path=rest.split(b"?")[0], path=path or "/", root_path="")

        async def send_with_prefix(message) -> None:
            if message["type"] == "http.response.start":
                headers = []
                for name, value in message.get("headers", []):
                    if name.lower() == b"location" and value.startswith(b"/") and not (
                        value.startswith(prefix + b"/") or value == prefix
                    ):
                        value = prefix + value
                    headers.append((name, value))
                message = dict(message, headers=headers)
            await send(message)

        await app(inner, receive, send_with_prefix)


def _alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) means something else on Windows
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _unpin(served: Path) -> None:
    with suppress(OSError):
        served.unlink()
        served.parent.rmdir()


async def _not_published(send) -> None:
    body = (
        "<!DOCTYPE html><html lang=nl><meta charset=utf-8><title>Witte lijst</title>"
        "<p>Er is nog geen witte lijst gepubliceerd. Probeer het later opnieuw.</p></html>"
    ).encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"text/html; charset=utf-8")]})
    await send({"type": "http.response.body", "body": body})
