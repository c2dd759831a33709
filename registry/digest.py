"""The daily e-mail digest for staff who want it: what runs out, new review requests and the
verdicts that changed, since the previous digest.

`compose` says what there is to say (None: nothing); `send_daily_digest` sends it once a
day, whatever the number of worker processes: the first to claim the day in `job_runs`
sends, the others answer "al verstuurd vandaag". One message per recipient, addressed to
that account alone. When the SMTP server cannot be reached the run is marked failed and
logged in one line; a later run that day (the scheduler's next try, or `registry digest`)
takes it over and sends again. Messages that went out before a failure are sent again then:
a rare double message beats a lost one.

"Since the previous digest" is the start of the previous run that did its work (sent, or
found nothing to say or no one to send to) for what people did (review requests,
publications), and that run's day for what the calendar does (what ran out). Without a
previous run: the last day.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import msgspec

from registry import mail
from registry.backoffice.overview import Expiring, expiring
from registry.db import Registry
from registry.labels import CHANGE_LABELS, RULE_LABELS, dutch_date
from registry.labels.notices import DIGEST_OUTCOMES, DIGEST_SENDER, DIGEST_SUBJECT, DIGEST_WORDS
from registry.store import digest as runs

log = logging.getLogger(__name__)

WITHIN_DAYS = 30
SHOWN = 50
"""Items per section of a message; the rest are counted."""
STALE = dt.timedelta(minutes=30)
"""A run started this long ago that never finished died with its process: taken over."""


@dataclass(frozen=True)
class Change:
    """A tool whose verdict changed: in a publication, or by itself on its day."""

    tool_id: str
    name: str
    change: str  # the change's label (Toegevoegd, Verwijderd, Oordeel gewijzigd)
    before: str  # the verdict's label before ("" for a tool added)
    after: str  # and after ("" for a tool removed)
    when: str  # "publicatie 3", "vanzelf op 2 december 2026"


@dataclass(frozen=True)
class Digest:
    today: dt.date
    expiring: list[Expiring]
    expiring_total: int
    expired: list[Expiring]
    expired_total: int
    asks: list[dict] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return DIGEST_SUBJECT.format(date=dutch_date(self.today))

    def text(self, base_url: str, name: str | None = None) -> str:
        """The message, as plain text; `base_url` the back office's site."""
        base = base_url.rstrip("/")
        words = DIGEST_WORDS
        lines = [words["greeting"].format(name=name), ""] if name else []
        lines += [words["intro"].format(date=dutch_date(self.today)), ""]
        for heading, items, total, left in (
                (words["expiring"].format(days=WITHIN_DAYS), self.expiring, self.expiring_total,
                 True),
                (words["expired"], self.expired, self.expired_total, False)):
            if items:
                lines += [f"{heading} ({total})", *_expiring_lines(items, base, left),
                          *_more(total - len(items)), ""]
        if self.asks:
            lines.append(f"{words['asks']} ({len(self.asks)})")
            for ask in self.asks[:SHOWN]:
                what = ask["tool_name"] or words["no_name"]
                where = ask["host"] or ask["url"]
                times = (words["asked_once"] if ask["asks"] == 1
                         else words["asked"].format(n=ask["asks"]))
                lines.append(f"- {what}{f' ({where})' if where else ''}: {times}")
            lines += [*_more(len(self.asks) - SHOWN), ""]
        if self.changes:
            lines.append(f"{words['changes']} ({len(self.changes)})")
            for c in self.changes[:SHOWN]:
                what = (words["from_to"].format(before=c.before, after=c.after)
                        if c.before and c.after else f"‘{c.before or c.after}’")
                lines.append(f"- {c.name}: {c.change}, {what} ({c.when})")
            lines += [*_more(len(self.changes) - SHOWN), ""]
        lines += [words["link"].format(url=f"{base}/beheer/verloopt"),
                  words["stop"].format(url=f"{base}/beheer/meldingen"), ""]
        return "\n".join(lines)


def _expiring_lines(items: list[Expiring], base: str, days_left: bool) -> list[str]:
    words, lines = DIGEST_WORDS, []
    for item in items:
        left = (words["today"] if item.days_left == 0 else words["one_day"] if item.days_left == 1
                else words["days"].format(n=item.days_left))
        when = words["last_day"].format(date=dutch_date(item.last_day))
        left = f", {left}" if days_left else ""
        lines += [f"- {RULE_LABELS[item.kind]} {item.id}: {item.about} ({when}{left})",
                  f"  {base}{item.href}"]
    return lines


def _more(n: int) -> list[str]:
    return [DIGEST_WORDS["more"].format(n=n)] if n > 0 else []


def compose(registry: Registry, today: dt.date, since: dt.date, *,
            since_moment: dt.datetime | str | None = None, whitelist: Path | None = None
            ) -> Digest | None:
    """What the digest of `today` says, or None when there is nothing to say. `since`: the
    day of the previous digest (what ran out from that day on, before today, is reported);
    `since_moment` (a moment or its ISO text; default: the start of `since`): review
    requests and publications after it are; `whitelist`: the published file, whose changelog and
    dates say which verdicts changed (None: verdicts are left out)."""
    if since_moment is None:
        since_moment = dt.datetime.combine(since, dt.time(), dt.UTC)
    elif isinstance(since_moment, str):
        since_moment = dt.datetime.fromisoformat(since_moment)
    moment = _iso(since_moment)  # compared as text with the rows' moments: their format
    with registry.snapshot():
        soon, soon_total = expiring(registry, today, WITHIN_DAYS, SHOWN)
        gone, gone_total = [], 0
        if since < today:
            gone, gone_total = expiring(registry, since, (today - since).days - 1, SHOWN)
        asks = runs.asks_since(registry.store, moment)
        versions = runs.publications_since(registry.store, moment)
    changes = []
    if whitelist is not None and whitelist.exists():
        changes = published_changes(whitelist, versions, since, today)
    if not (soon or gone or asks or changes):
        return None
    return Digest(today, soon, soon_total, gone, gone_total, asks, changes)


def published_changes(whitelist: Path, versions: list[int], since: dt.date, today: dt.date
                      ) -> list[Change]:
    """The changes of publications `versions` as the published file's changelog has them,
    and the verdicts of the file that changed by themselves after `since`, up to `today`."""
    words = DIGEST_WORDS
    with closing(sqlite3.connect(whitelist.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        found = []
        if versions:
            marks = ", ".join("?" for _ in versions)
            found += [Change(r["tool_id"], r["name"], r["change_label"], r["before_label"] or "",
                             r["after_label"] or "",
                             words["in_version"].format(version=r["publication_version"]))
                      for r in conn.execute(
                          "SELECT publication_version, tool_id, name, change_label, "
                          f"before_label, after_label FROM changelog WHERE publication_version "
                          f"IN ({marks}) ORDER BY publication_version, name, tool_id", versions)]
        found += [Change(r["id"], r["name"], CHANGE_LABELS["verdict_changed"], r["verdict_label"],
                         r["next_verdict_label"],
                         words["by_itself"].format(date=dutch_date(r["verdict_changes_on"])))
                  for r in conn.execute(
                      "SELECT id, name, verdict_label, next_verdict_label, verdict_changes_on "
                      "FROM tools WHERE verdict_changes_on > ? AND verdict_changes_on <= ? "
                      "AND next_verdict IS NOT NULL AND next_verdict != verdict "
                      "ORDER BY verdict_changes_on, name, id",
                      [since.isoformat(), today.isoformat()])]
    return found


# --- sending, once a day ----------------------------------------------------------------------


def message(digest: Digest, account, smtp: mail.SmtpSettings, now: dt.datetime, base_url: str
            ) -> EmailMessage:
    """The digest for one account, addressed to it alone."""
    sender = smtp.from_address
    out = EmailMessage()
    out["Subject"] = digest.subject
    out["From"] = Address(DIGEST_SENDER, addr_spec=sender)
    out["To"] = Address(account.name, addr_spec=account.email)
    out["Date"] = format_datetime(now.astimezone(dt.UTC))
    out["Message-ID"] = make_msgid("digest", domain=sender.rpartition("@")[2] or "localhost")
    out["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    out.set_content(digest.text(base_url, account.name), charset="utf-8")
    return out


def since_previous(registry: Registry, today: dt.date, now: dt.datetime) -> tuple[dt.date, str]:
    """(the day, the moment) the digest of `today` reports from."""
    before = runs.previous(registry.store, today.isoformat())
    if before is None:
        return today - dt.timedelta(days=1), _iso(now - dt.timedelta(days=1))
    return dt.date.fromisoformat(before["day"]), before["started_at"]


def send_daily_digest(db_path: Path, whitelist_path: Path | None, smtp: mail.SmtpSettings,
                      today: dt.date, now: dt.datetime, *, public_url: str) -> str:
    """Send the digest of `today` to every account that wants it, unless a run (of any
    worker process) sent it already; what happened, as a Dutch phrase for logs and the CLI."""
    if not smtp.enabled:
        return DIGEST_OUTCOMES["no_mail"]
    worker = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    day = today.isoformat()
    registry = Registry(db_path)
    try:
        taken = runs.claim(registry.store, day, worker, _iso(now), _iso(now - STALE))
        if taken is not None:
            return DIGEST_OUTCOMES["busy" if taken == "running" else "done"]
        try:
            outcome, said = _run(registry, whitelist_path, smtp, today, now, public_url)
        except BaseException:
            runs.finish(registry.store, day, worker, _iso(_now()), runs.FAILED)
            raise
        runs.finish(registry.store, day, worker, _iso(_now()), outcome)
        return said
    finally:
        registry.close()


def _run(registry: Registry, whitelist_path: Path | None, smtp: mail.SmtpSettings,
         today: dt.date, now: dt.datetime, public_url: str) -> tuple[str, str]:
    since, moment = since_previous(registry, today, now)
    digest = compose(registry, today, since, since_moment=moment, whitelist=whitelist_path)
    if digest is None:
        return "nothing", DIGEST_OUTCOMES["nothing"]
    recipients = registry.accounts.digest_recipients()
    if not recipients:
        return "no_one", DIGEST_OUTCOMES["no_one"]
    messages = [message(digest, account, smtp, now, public_url) for account in recipients]
    try:
        sent = mail.send(smtp, messages)
    except mail.MailError as exc:
        log.error("daily digest not sent: %s", exc)
        return runs.FAILED, DIGEST_OUTCOMES["failed"].format(reason=exc)
    return "sent", (DIGEST_OUTCOMES["sent_one"] if sent == 1
                    else DIGEST_OUTCOMES["sent"].format(n=sent))


def preview(db_path: Path, whitelist_path: Path | None, today: dt.date, now: dt.datetime, *,
            public_url: str) -> str | None:
    """The text the digest of `today` would have (None: nothing to say); sends nothing and
    claims nothing (`registry digest --dry-run`)."""
    registry = Registry(db_path)
    try:
        since, moment = since_previous(registry, today, now)
        digest = compose(registry, today, since, since_moment=moment, whitelist=whitelist_path)
        return None if digest is None else f"{digest.subject}\n\n{digest.text(public_url)}"
    finally:
        registry.close()


def outcome(key: str, **values) -> str:
    """One of the Dutch outcomes (`DIGEST_OUTCOMES`)."""
    return DIGEST_OUTCOMES[key].format(**values)


def failed(said: str) -> bool:
    """Whether an outcome `send_daily_digest` returned says the sending failed."""
    return said.startswith(DIGEST_OUTCOMES["failed"].partition("{")[0])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    """A moment as the registry's rows hold it (`registry.store.rows.now`)."""
    return msgspec.to_builtins(moment.astimezone(dt.UTC))
