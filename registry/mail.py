"""Where the back office's e-mail goes out: an SMTP server named in the environment.

`REGISTRY_SMTP_HOST` (no host: no mail), `REGISTRY_SMTP_PORT` (25), `REGISTRY_SMTP_FROM`
(the sender, `witte-lijst@HOST` by default), `REGISTRY_SMTP_STARTTLS` (1: upgrade the
connection before signing in) and `REGISTRY_SMTP_USER` / `REGISTRY_SMTP_PASSWORD` (only
through the environment: every user of the server sees a command's options).
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage

ENV_PREFIX = "REGISTRY_SMTP_"


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 25
    sender: str = ""
    starttls: bool = False
    user: str = ""
    password: str = field(default="", repr=False)

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    @property
    def from_address(self) -> str:
        return self.sender or f"witte-lijst@{self.host or 'localhost'}"

    @classmethod
    def from_env(cls) -> SmtpSettings:
        env = {name[len(ENV_PREFIX):]: value for name, value in os.environ.items()
               if name.startswith(ENV_PREFIX)}
        host = env.get("HOST", "").strip()
        try:
            port = int(env.get("PORT", "25"))
        except ValueError:
            raise ValueError(f"{ENV_PREFIX}PORT must be a number, not {env['PORT']!r}") from None
        return cls(host=host, port=port, sender=env.get("FROM", "").strip(),
                   starttls=env.get("STARTTLS", "0").strip() in ("1", "true", "yes", "ja"),
                   user=env.get("USER", ""), password=env.get("PASSWORD", ""))


TIMEOUT_SECONDS = 30


class MailError(Exception):
    """The SMTP server could not be reached or refused a message; says which, in one line."""


def send(smtp: SmtpSettings, messages: Iterable[EmailMessage]) -> int:
    """Send `messages` over one connection to the server of `smtp` (STARTTLS first when set,
    then the login when a user is set); how many were sent. Any failure is a `MailError`
    naming the server: messages sent before it stay sent."""
    sent = 0
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS) as server:
            if smtp.starttls:
                server.starttls(context=ssl.create_default_context())
            if smtp.user:
                server.login(smtp.user, smtp.password)
            for message in messages:
                server.send_message(message)
                sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        detail = str(exc).strip() or type(exc).__name__
        raise MailError(f"SMTP server {smtp.host}:{smtp.port}: {detail} "
                        f"({sent} messages sent before)") from None
    return sent
