"""Where the back office's e-mail goes out: an SMTP server named in the environment.

`REGISTRY_SMTP_HOST` (no host: no mail), `REGISTRY_SMTP_PORT` (25), `REGISTRY_SMTP_FROM`
(the sender, `witte-lijst@HOST` by default), `REGISTRY_SMTP_STARTTLS` (1: upgrade the
connection before signing in) and `REGISTRY_SMTP_USER` / `REGISTRY_SMTP_PASSWORD` (only
through the environment: every user of the server sees a command's options).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

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
