"""The daily jobs of `registry serve`: run once at start and again whenever the day changes.

`DailyJobs` is a background task of the app (started and stopped by its lifespan, see
`start_daily_jobs` and `stop_daily_jobs`) that looks at the day every `CHECK_SECONDS` and, on
a new one, runs each job in a worker thread: a job opens a connection of its own and may
take seconds (a publication of 100,000 tools). A failing job logs one line and the others,
and the days after, still run. Every worker process runs them; each job claims its day in
`job_runs` (`registry.store.jobs`), so it happens once a day however many processes there
are (and a cron job beside them).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import anyio.to_thread

if TYPE_CHECKING:
    from litestar import Litestar

Settings = Any
"""`registry.app.Settings` (not imported: the app imports this module): `today`, `db_path`,
`whitelist`, `daily_jobs`."""

log = logging.getLogger(__name__)

CHECK_SECONDS = 300
"""How often the day is looked at: a new day's jobs start at most five minutes late."""

Job = Callable[[Settings, dt.date], Any]
"""A daily job: given the settings and the day, does its work (on its own connection) and
returns what it did, for the log."""


def due_publication(settings: Settings, today: dt.date) -> str:
    """The due publication (`registry.publish.due`)."""
    from registry.publish.due import publish_if_due

    publication = publish_if_due(settings.db_path, settings.whitelist, today)
    return f"published version {publication.version}" if publication else "nothing published"


def daily_digest(settings: Settings, today: dt.date) -> str:
    """The e-mail digest (`registry.digest`)."""
    from registry.digest import failed, send_daily_digest

    outcome = send_daily_digest(settings.db_path, settings.whitelist, settings.smtp, today,
                                dt.datetime.now(dt.UTC), public_url=settings.public_url)
    if failed(outcome):  # the scheduler tries it again at its next check
        raise RuntimeError(outcome)
    return outcome


DAILY_JOBS: list[tuple[str, Job]] = [
    ("due-publication", due_publication),
    ("digest", daily_digest),  # after the due publication: it reports today's changes
]
"""The jobs, in the order they run each day."""


class DailyJobs:
    """Runs `jobs` once at `start` and whenever `settings.today()` changes (see the module)."""

    def __init__(self, settings: Settings, jobs: Sequence[tuple[str, Job]] | None = None,
                 interval: float = CHECK_SECONDS):
        self.settings = settings
        self.jobs = list(DAILY_JOBS if jobs is None else jobs)
        self.interval = interval
        self.done: list[tuple[str, dt.date, str]] = []
        """(job, day, outcome) of every run so far; outcome "failed: ..." for a failure."""
        self._task: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None

    def start(self) -> None:
        """Start the background task on the running event loop."""
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="daily-jobs")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Look at the day now instead of at the next check (tests; a signal could too)."""
        if self._wake is not None:
            self._wake.set()

    async def stop(self) -> None:
        """Stop the task; a job under way finishes first (a thread cannot be interrupted)."""
        if self._task is None:
            return
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _loop(self) -> None:
        last, failed = None, []
        while True:
            today = self.settings.today()
            if today != last:
                last = today
                failed = await self.run(today)
            elif failed:  # tried again at each check of the same day until they succeed
                failed = await self.run(today, failed)
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()

    async def run(self, today: dt.date, jobs: Sequence[tuple[str, Job]] | None = None
                  ) -> list[tuple[str, Job]]:
        """Run every job (or `jobs`) for `today`, one after the other, each in a worker
        thread; return the ones that failed."""
        failed = []
        for name, job in self.jobs if jobs is None else jobs:
            try:
                outcome = str(await anyio.to_thread.run_sync(job, self.settings, today))
            except Exception as exc:  # one line, and the next job still runs
                outcome = f"failed: {type(exc).__name__}: {exc}"
                log.error("Daily job %s of %s failed: %s: %s", name, today, type(exc).__name__,
                          exc)
                failed.append((name, job))
            else:  # the job logs its own line (a due publication: `registry.publish.due`)
                log.debug("Daily job %s of %s: %s.", name, today, outcome)
            self.done.append((name, today, outcome))
        return failed


STATE_KEY = "daily_jobs"


async def start_daily_jobs(app: Litestar) -> None:
    """An `on_startup` hook after the registry is open: start the daily jobs when
    `settings.daily_jobs` (set by `registry serve`)."""
    settings = app.state.settings
    if settings.daily_jobs:
        jobs = DailyJobs(settings)
        jobs.start()
        app.state[STATE_KEY] = jobs


async def stop_daily_jobs(app: Litestar) -> None:
    """An `on_shutdown` hook: stop the daily jobs, if they run."""
    jobs = app.state.get(STATE_KEY)
    if jobs is not None:
        await jobs.stop()
