"""A replica that follows the publisher: it fetches the newest signed manifest, downloads the
file when the manifest is new, checks it, and swaps it in atomically.

    manifest ──signature, newer?──▶ download beside FILE ──size, sha256──▶ os.replace ──▶ copy
                                                                                   of the manifest

Whatever is refused (an unsigned or malformed manifest, one signed by another key, an older
version, a download that is short, long or not the bytes the manifest names) leaves FILE as
it was, so the last good publication keeps being served, and is one line in the log. A
manifest refused for what it says is not fetched again (a poll asks If-None-Match); a
download refused is tried again at the next poll.

The source is the publisher's (or another replica's) `/publicatie/` over HTTP, or a folder
that holds the manifest beside the file. The public key is the one the replica is given;
the `.pub` a source publishes is never trusted.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, suppress
from enum import StrEnum
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registry.pids import alive
from registry.published import DEFAULT_NAME, manifest_path, public_key_path
from registry.signing import (
    CHUNK,
    Manifest,
    Refused,
    fsync_dir,
    public_text,
    replace_file,
    verify_manifest,
)

DEFAULT_INTERVAL = 5.0
USER_AGENT = "school-whitelist-replica"


class Outcome(StrEnum):
    INSTALLED = "installed"
    CURRENT = "current"
    """The manifest is of the publication FILE holds already."""
    UNCHANGED = "unchanged"
    """The source has the manifest it had at the last poll."""
    REFUSED = "refused"
    FAILED = "failed"
    """The source could not be read; nothing was refused."""
    STOPPED = "stopped"


class SourceError(Exception):
    """The source could not be read (unreachable, no publication yet, an unexpected answer)."""


class Stopped(Exception):
    """Asked to stop in the middle of a download."""


# --- sources ----------------------------------------------------------------------------------


class FolderSource:
    """A folder with `witte-lijst.manifest.json` beside the file it names, or the path of a
    manifest; "unchanged" when the manifest's bytes are those of the last poll."""

    def __init__(self, path: Path):
        path = Path(path)
        self.manifest_file = path if path.name.endswith(".json") else manifest_path(
            path / DEFAULT_NAME)

    def __str__(self) -> str:
        return str(self.manifest_file.parent)

    def manifest(self, tag: str | None) -> tuple[bytes, str] | None:
        try:
            data = self.manifest_file.read_bytes()
        except FileNotFoundError:
            raise SourceError(f"no manifest at {self.manifest_file} yet") from None
        except OSError as exc:
            raise SourceError(f"cannot read {self.manifest_file}: {exc.strerror}") from None
        digest = hashlib.sha256(data).hexdigest()
        return None if digest == tag else (data, digest)

    def chunks(self, manifest: Manifest) -> Iterator[bytes]:
        with open(self.manifest_file.with_name(manifest.file), "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk


class HttpSource:
    """A server's `/publicatie/` (`registry serve`, read-only or not), asked with
    If-None-Match."""

    def __init__(self, base_url: str, client: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=30, headers={"User-Agent": USER_AGENT})

    def __str__(self) -> str:
        return self.base_url

    def manifest(self, tag: str | None) -> tuple[bytes, str] | None:
        url = f"{self.base_url}/publicatie/manifest.json"
        try:
            response = self.client.get(url, headers={"If-None-Match": tag} if tag else {})
        except httpx.HTTPError as exc:
            raise SourceError(f"cannot reach {url}: {exc}") from None
        if response.status_code == 304:
            return None
        if response.status_code == 404:
            raise SourceError(f"no publication at {url} yet")
        if response.status_code != 200:
            raise SourceError(f"{url} answered {response.status_code}")
        return response.content, response.headers.get("ETag", "")

    def chunks(self, manifest: Manifest) -> Iterator[bytes]:
        url = f"{self.base_url}/publicatie/{DEFAULT_NAME}"
        with self.client.stream("GET", url) as response:
            if response.status_code != 200:
                raise SourceError(f"{url} answered {response.status_code}")
            yield from response.iter_bytes(CHUNK)

    def close(self) -> None:
        self.client.close()


def source_of(text: str) -> FolderSource | HttpSource:
    """`--from`: an http(s):// base URL, or a folder (or a manifest's path)."""
    if text.startswith(("http://", "https://")):
        return HttpSource(text)
    return FolderSource(Path(text))


# --- the replica ------------------------------------------------------------------------------


def served(path: Path) -> tuple[int, str] | None:
    """(version, content sha256) of the publication in the file at `path`, or None when
    there is no file, or none that can be read as a whitelist (a new one may replace it)."""
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            return tuple(conn.execute("SELECT version, sha256 FROM publication").fetchone())
    except (sqlite3.Error, TypeError):
        return None


class Replica:
    """Keeps the whitelist file at `whitelist` on the newest publication of `source` that
    `public_key` signed; `say` gets one line for each thing that happens."""

    def __init__(self, source: FolderSource | HttpSource, whitelist: Path,
                 public_key: Ed25519PublicKey, say: Callable[[str], None] = print,
                 stop: threading.Event | None = None):
        self.source, self.whitelist, self.public_key = source, Path(whitelist), public_key
        self.say, self.stop = say, stop or threading.Event()
        self.tag: str | None = None
        self._waiting: str | None = None
        self.whitelist.parent.mkdir(parents=True, exist_ok=True)
        self._remove_leftovers()

    def poll(self) -> Outcome:
        """One round: fetch the manifest; install its file if it is new and good."""
        try:
            fetched = self.source.manifest(self.tag)
        except SourceError as exc:
            if str(exc) != self._waiting:  # once, not at every poll
                self.say(str(exc))
            self._waiting = str(exc)
            return Outcome.FAILED
        self._waiting = None
        if fetched is None:
            return Outcome.UNCHANGED
        data, tag = fetched
        try:
            manifest = verify_manifest(data, self.public_key)
            if self._is_current(manifest):
                self.tag = tag
                self._keep_copies(data)
                self.say(f"publication {manifest.version} is served here already")
                return Outcome.CURRENT
        except Refused as exc:
            self.tag = tag  # the same manifest would be refused again: wait for a new one
            self._refused(exc)
            return Outcome.REFUSED
        try:
            self._install(manifest)
        except Stopped:
            return Outcome.STOPPED
        except Refused as exc:
            self._refused(exc)
            return Outcome.REFUSED
        except SourceError as exc:
            self.say(f"refused publication {manifest.version}: {exc}")
            return Outcome.FAILED
        self.tag = tag
        self._keep_copies(data)
        self.say(f"installed publication {manifest.version} (published {manifest.published_at},"
                 f" {manifest.size} bytes, sha256 {manifest.sha256[:16]}…) as {self.whitelist}")
        return Outcome.INSTALLED

    def follow(self, interval: float = DEFAULT_INTERVAL) -> None:
        """Poll every `interval` seconds until `stop` is set."""
        while not self.stop.is_set():
            self.poll()
            self.stop.wait(interval)

    def _refused(self, exc: Refused) -> None:
        which = "the manifest" if exc.version is None else f"publication {exc.version}"
        self.say(f"refused {which}: {exc.reason}")

    def _is_current(self, manifest: Manifest) -> bool:
        """True for the publication FILE holds; `Refused` for an older one (or the same
        version with another content)."""
        here = served(self.whitelist)
        if here is None:
            return False
        version, content = here
        if (manifest.version, manifest.content_sha256) == (version, content):
            return True
        if manifest.version <= version:
            raise Refused(f"it is not newer than publication {version}, which is served here",
                          manifest.version)
        return False

    def _install(self, manifest: Manifest) -> None:
        """Download the file beside FILE, check its size and sha256, and swap it in."""
        temporary = self.whitelist.with_name(
            f"{self._leftover_prefix()}{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            digest, size = hashlib.sha256(), 0
            with open(temporary, "wb") as f:
                try:
                    for chunk in self.source.chunks(manifest):
                        if self.stop.is_set():
                            raise Stopped
                        size += len(chunk)
                        if size > manifest.size:
                            raise Refused(f"the file is larger than the {manifest.size} bytes "
                                          "the manifest says", manifest.version)
                        digest.update(chunk)
                        f.write(chunk)
                except (httpx.HTTPError, OSError) as exc:
                    raise Refused(f"the download broke off after {size} bytes ({exc})",
                                  manifest.version) from None
                f.flush()
                os.fsync(f.fileno())
            if size < manifest.size:
                raise Refused(f"the download is truncated: {size} of {manifest.size} bytes",
                              manifest.version)
            if digest.hexdigest() != manifest.sha256:
                raise Refused("sha256 of the file does not match the manifest", manifest.version)
            os.replace(temporary, self.whitelist)
            fsync_dir(self.whitelist.parent)
        finally:
            temporary.unlink(missing_ok=True)

    def _keep_copies(self, data: bytes) -> None:
        """The manifest (as signed) and the trusted public key beside FILE, so this replica
        can feed another one; rewritten only when they differ."""
        key = (public_text(self.public_key) + "\n").encode()
        for path, content in ((manifest_path(self.whitelist), data),
                              (public_key_path(self.whitelist), key)):
            with suppress(FileNotFoundError):
                if path.read_bytes() == content:
                    continue
            replace_file(path, content)

    def _leftover_prefix(self) -> str:
        return f".{self.whitelist.name}.replica-"

    def _remove_leftovers(self) -> None:
        """Downloads of a replica that was killed midway."""
        prefix = self._leftover_prefix()
        for path in self.whitelist.parent.glob(prefix + "*"):
            pid = path.name.removeprefix(prefix).partition("-")[0]
            if pid.isdigit() and not alive(int(pid)):
                path.unlink(missing_ok=True)
