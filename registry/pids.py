"""Whether a process still runs: files named after the process that made them (pinned
publications, half-built whitelists) are removed once it is gone."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True while process `pid` exists (also when it belongs to another user)."""
    if os.name != "posix":  # os.kill(pid, 0) means something else on Windows
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
