"""Publishing, on the write side: building the whitelist file from the registry (`builder`,
`rows`), the record of each publication (`record`) and recovery after a crash (`recovery`).

The read wing (`registry.whitelist`) serves the file and never imports this package; the
file's name and place are on the shared floor (`registry.published`).
"""

from __future__ import annotations

from registry.publish.builder import publications, publish
from registry.publish.record import ChangeSummary, Publication, content_sha256
from registry.published import DEFAULT_NAME, ENV_WHITELIST, default_whitelist_path

__all__ = [
    "DEFAULT_NAME",
    "ENV_WHITELIST",
    "ChangeSummary",
    "Publication",
    "content_sha256",
    "default_whitelist_path",
    "publications",
    "publish",
]
