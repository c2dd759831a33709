"""The last published files, kept beside the served one for a rollback.

Each publication's file is hard-linked (copied where the file system cannot link) into the
folder `publicaties/` beside the served file as `<name>-v<version>.db` when it is installed;
the newest `KEEP` stay, older ones are removed. A file is immutable once built, so a link
costs no room until the served file is replaced.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

KEEP = 10
FOLDER = "publicaties"


def folder(out_path: Path) -> Path:
    return Path(out_path).parent / FOLDER


def kept_path(out_path: Path, version: int) -> Path:
    """Where the file of publication `version` of the whitelist at `out_path` is kept."""
    out_path = Path(out_path)
    return folder(out_path) / f"{out_path.stem}-v{version}{out_path.suffix}"


def keep(built: Path, out_path: Path, version: int) -> Path:
    """Keep `built` as the file of publication `version`; return where."""
    target = kept_path(out_path, version)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)  # a copy of an attempt at this version that failed
    try:
        os.link(built, target)
    except OSError:
        shutil.copyfile(built, target)
    return target


def versions(out_path: Path) -> dict[int, Path]:
    """The kept files of the whitelist at `out_path`, by version."""
    out_path = Path(out_path)
    pattern = re.compile(rf"{re.escape(out_path.stem)}-v(\d+){re.escape(out_path.suffix)}")
    found = {}
    if folder(out_path).is_dir():
        for path in folder(out_path).iterdir():
            if match := pattern.fullmatch(path.name):
                found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def prune(out_path: Path, keep_count: int = KEEP) -> None:
    """Remove all but the newest `keep_count` kept files."""
    found = versions(out_path)
    for version in list(found)[:-keep_count] if keep_count else list(found):
        found[version].unlink(missing_ok=True)
