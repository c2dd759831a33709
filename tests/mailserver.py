"""A real SMTP server for tests (aiosmtpd), on 127.0.0.1 at a free port.

A pytest plugin (conftest.py names it in `pytest_plugins`); ask for the fixture by name:

- `smtp_server`: a running server for the test, stopped after it. `.settings` are the
  `SmtpSettings` that send to it; `.messages` what arrived, each a `Received` with the
  envelope (`sender`, `recipients`) and the parsed `email.message.EmailMessage` (`.message`,
  `.text` its plain-text part).
- `smtp_login_server`: the same, asking for a login (`LOGIN_USER`, `LOGIN_PASSWORD`, which
  its `.settings` hold) before it takes a message; over plain SMTP, as STARTTLS would need a
  certificate the client trusts.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from registry.mail import SmtpSettings


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        """The plain-text part, with the wire's CRLF line ends read as newlines."""
        return self.message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


@dataclass
class Collector:
    """aiosmtpd's handler: keeps every message that arrives."""

    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        parsed = email.message_from_bytes(envelope.original_content or envelope.content,
                                          policy=email.policy.default)
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    settings: SmtpSettings
    collector: Collector

    @property
    def messages(self) -> list[Received]:
        with self.collector.lock:
            return list(self.collector.messages)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LOGIN_USER = "witte-lijst"
LOGIN_PASSWORD = "een geheim voor de mailserver"


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    good = (isinstance(auth_data, LoginPassword) and auth_data.login == LOGIN_USER.encode()
            and auth_data.password == LOGIN_PASSWORD.encode())
    return AuthResult(success=good, handled=False)


def _serve(**options) -> Iterator[SmtpServer]:
    collector = Collector()
    port = _free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port, **options)
    controller.start()
    login = {"user": LOGIN_USER, "password": LOGIN_PASSWORD} if options else {}
    try:
        yield SmtpServer(SmtpSettings(host="127.0.0.1", port=port,
                                      sender="witte-lijst@school.example", **login), collector)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    yield from _serve()


@pytest.fixture
def smtp_login_server() -> Iterator[SmtpServer]:
    yield from _serve(authenticator=_authenticate, auth_required=True, auth_require_tls=False)
