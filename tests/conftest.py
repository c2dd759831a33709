"""Fixtures named for what they return: a registry on a temporary database, an app, clients.

Test modules get everything shared through fixtures, never by importing `tests.` (a test in
test_architecture.py keeps it so); the browser fixtures come from the plugin tests/browser.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from registry import models
from registry.app import Settings, create_app, prepare
from registry.db import Registry
from registry.importer import load_demo
from registry.models import Role
from registry.publish import publish
from registry.whitelist.app import create_read_app

pytest_plugins = ["tests.browser", "tests.backoffice", "tests.journey", "tests.mailserver"]

# The markers of the slow groups (pyproject.toml); each implies `slow`, so that
# `-m "not slow"` leaves them all out.
SLOW_GROUPS = ("server", "browser", "fuzz", "crash", "load", "backoffice", "matrix")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(group) for group in SLOW_GROUPS):
            item.add_marker(pytest.mark.slow)


# One valid record of each kind, related to each other (`seeded` creates them). Modules that
# build parameter tables from them read the same file.
RECORDS = json.loads((Path(__file__).parent / "records.json").read_text())


@contextmanager
def open_demo_client(folder: Path, role: Role, today: dt.date, name: str | None = None
                     ) -> Iterator[TestClient]:
    """The app on the demo data, published on `today` as `registry serve` does, with the
    Authorization header of a `role` token as `client.token` (`auth` is httpx's)."""
    with TestClient(create_app(Settings(db_path=folder / "registry.db", four_eyes=False,
                                        today=lambda: today))) as client:
        _, secret = client.app.state.registry.tokens.create(name or role.value, role)
        client.token = {"Authorization": f"Bearer {secret}"}
        yield client


@pytest.fixture(scope="session")
def demo_client() -> Callable[..., AbstractContextManager[TestClient]]:
    """`with demo_client(folder, role, today) as client:` (see `open_demo_client`); session
    scoped so that a module's own fixture can keep one app for all its tests."""
    return open_demo_client


# (input, kind, host, registrable domain). The host is the one a browser visits. Every
# http(s) row was checked against `new URL(...).hostname` in headless Chromium 156; the only
# disagreement is marked.
URL_CORPUS = [
    # Userinfo is not the host; Chromium's address bar hides it and shows "tool.example".
    pytest.param("https://user:pw@tool.example/", "url", "tool.example", "tool.example", id="userinfo"),
    # Browsers read "\" as "/", so the "@" lands in the path. Chromium's address bar shows
    # "evil.example/@tool.example"; urllib and tldextract say tool.example.
    pytest.param("https://evil.example\\@tool.example", "url", "evil.example", "evil.example", id="backslash-userinfo"),
    pytest.param("evil.nl\\@tool.nl", "url", "evil.nl", "evil.nl", id="backslash-userinfo-no-scheme"),
    pytest.param("https:\\\\tool.example\\path", "url", "tool.example", "tool.example", id="backslashes-as-slashes"),
    pytest.param("https:tool.example", "url", "tool.example", "tool.example", id="no-slashes-after-scheme"),
    pytest.param("http:///tool.example", "url", "tool.example", "tool.example", id="three-slashes"),
    # Chromium's address bar shows "bücher.example"; the request goes to the punycode name.
    pytest.param("https://bücher.example", "url", "xn--bcher-kva.example", "xn--bcher-kva.example", id="idn"),
    pytest.param("bücher.de/les", "url", "xn--bcher-kva.de", "xn--bcher-kva.de", id="idn-no-scheme"),
    pytest.param("https://faß.de", "url", "xn--fa-hia.de", "xn--fa-hia.de", id="idn-sharp-s-nontransitional"),
    pytest.param("https://пример.рф/", "url", "xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai", id="idn-cyrillic-tld"),
    pytest.param("HTTPS://App.RekenRijk.NL/Les", "url", "app.rekenrijk.nl", "rekenrijk.nl", id="mixed-case"),
    pytest.param("https://rekenrijk.nl./", "url", "rekenrijk.nl", "rekenrijk.nl", id="trailing-dot"),
    pytest.param("https://tool.example../", "invalid", None, None, id="two-trailing-dots"),
    pytest.param("https://a..b/", "invalid", None, None, id="empty-label"),
    pytest.param("https://tool.example:8443/x", "url", "tool.example", "tool.example", id="port"),
    pytest.param("https://tool.example:99999/", "invalid", None, None, id="port-out-of-range"),
    pytest.param("rekenrijk.nl/les/3", "url", "rekenrijk.nl", "rekenrijk.nl", id="no-scheme-path"),
    pytest.param("www.rekenrijk.nl", "url", "www.rekenrijk.nl", "rekenrijk.nl", id="no-scheme-www"),
    pytest.param("rekenrijk.nl:8080/x", "url", "rekenrijk.nl", "rekenrijk.nl", id="no-scheme-port"),
    pytest.param("  \thttps://rekenrijk.nl/ \n", "url", "rekenrijk.nl", "rekenrijk.nl", id="outer-whitespace"),
    pytest.param("https://reken\trijk.n\nl/", "url", "rekenrijk.nl", "rekenrijk.nl", id="tab-newline-inside"),
    pytest.param("https://reken\u200brijk.nl/", "url", "rekenrijk.nl", "rekenrijk.nl", id="zero-width-space"),
    # Chromium shows "127.0.0.1" for all three of these.
    pytest.param("http://2130706433/", "url", "127.0.0.1", None, id="ipv4-decimal"),
    pytest.param("http://0x7f.1/", "url", "127.0.0.1", None, id="ipv4-hex-short"),
    pytest.param("http://0177.0.0.1/", "url", "127.0.0.1", None, id="ipv4-octal"),
    pytest.param("http://1.2.3/", "url", "1.2.0.3", None, id="ipv4-three-parts"),
    pytest.param("http://999.1.1.1/", "invalid", None, None, id="ipv4-out-of-range"),
    pytest.param("https://example.123/", "invalid", None, None, id="numeric-last-label"),
    pytest.param("192.168.1.10/login", "url", "192.168.1.10", None, id="ipv4-no-scheme"),
    pytest.param("http://[2001:DB8::1]:8080/", "url", "2001:db8::1", None, id="ipv6"),
    pytest.param("[::1]", "url", "::1", None, id="ipv6-no-scheme"),
    pytest.param("javascript:alert(1)", "invalid", None, None, id="javascript"),
    pytest.param(" JavaScript:alert(1)", "invalid", None, None, id="javascript-mixed-case"),
    pytest.param("java\tscript:alert(1)", "invalid", None, None, id="javascript-with-tab"),
    pytest.param("data:text/html,<script>alert(1)</script>", "invalid", None, None, id="data"),
    pytest.param("file:///etc/passwd", "invalid", None, None, id="file"),
    pytest.param("mailto:juf@school.nl", "invalid", None, None, id="mailto"),
    pytest.param("ftp://tool.example/", "invalid", None, None, id="ftp"),
    pytest.param("chrome://settings", "invalid", None, None, id="chrome-internal"),
    pytest.param("juf@school.nl", "invalid", None, None, id="email-address"),
    pytest.param("https://rekenrijk.nl/?q=" + "a" * 5000, "invalid", None, None, id="5000-chars"),
    pytest.param("https://%74ool.example", "url", "tool.example", "tool.example", id="percent-encoded-letter"),
    pytest.param("https://tool%2Eexample/", "url", "tool.example", "tool.example", id="percent-encoded-dot"),
    pytest.param("https://tool%E3%80%82example/", "url", "tool.example", "tool.example", id="percent-encoded-ideographic-dot"),
    pytest.param("https://tool%00.example/", "invalid", None, None, id="percent-encoded-nul"),
    # Chromium's address bar shows "tool.example".
    pytest.param("https://tool。example", "url", "tool.example", "tool.example", id="ideographic-dot"),
    pytest.param("rekenrijk。nl", "url", "rekenrijk.nl", "rekenrijk.nl", id="ideographic-dot-no-scheme"),
    pytest.param("https://ＲＥＫＥＮＲＩＪＫ.nl", "url", "rekenrijk.nl", "rekenrijk.nl", id="fullwidth-letters"),
    # Chromium's parser gives "ex%20ample.com" here (WHATWG and ada refuse); neither resolves.
    pytest.param("https://ex ample.com", "invalid", None, None, id="space-in-host"),
    pytest.param("https://", "invalid", None, None, id="empty-host"),
    pytest.param("//tool.example/x", "url", "tool.example", "tool.example", id="protocol-relative"),
    pytest.param("\\\\tool.example\\x", "url", "tool.example", "tool.example", id="protocol-relative-backslashes"),
    pytest.param("https://juf-anne.github.io/breuken", "url", "juf-anne.github.io", "juf-anne.github.io", id="github-io"),
    pytest.param("https://github.io/", "url", "github.io", None, id="github-io-itself"),
    pytest.param("meester-bas.blogspot.com", "url", "meester-bas.blogspot.com", "meester-bas.blogspot.com", id="blogspot"),
    pytest.param("https://quiz.netlify.app", "url", "quiz.netlify.app", "quiz.netlify.app", id="netlify"),
    pytest.param("https://www.bbc.co.uk/bitesize", "url", "www.bbc.co.uk", "bbc.co.uk", id="co-uk"),
    pytest.param("https://co.uk/", "url", "co.uk", None, id="co-uk-itself"),
    pytest.param("https://a.b.tool.example/", "url", "a.b.tool.example", "tool.example", id="unknown-tld-default-rule"),
    pytest.param("http://localhost:3000/", "url", "localhost", None, id="single-label"),
    pytest.param("Rekenrijk", "name", None, None, id="name"),
    pytest.param("Google Classroom", "name", None, None, id="name-with-space"),
    pytest.param("Ëxamen-Trainer  Plus", "name", None, None, id="name-with-accent"),
    pytest.param("Node.js", "name", None, None, id="name-with-dot-not-a-tld"),
    pytest.param("1.5", "name", None, None, id="version-number-not-ip"),
    pytest.param("Snappet: rekenen", "name", None, None, id="name-with-colon"),
    pytest.param("tool.example", "name", None, None, id="no-scheme-unknown-tld"),
    pytest.param("", "invalid", None, None, id="empty"),
    pytest.param(" \t\n ", "invalid", None, None, id="whitespace-only"),
    pytest.param("!!!", "invalid", None, None, id="punctuation-only"),
]


@pytest.fixture(params=[pytest.param(p.values, id=p.id) for p in URL_CORPUS])
def url_row(request) -> tuple[str, str, str | None, str | None]:
    """One row of `URL_CORPUS`: (input, kind, host, registrable domain)."""
    return request.param


@pytest.fixture(scope="session")
def url_corpus() -> list[tuple[str, str, str | None, str | None]]:
    """Every row of `URL_CORPUS`."""
    return [p.values for p in URL_CORPUS]


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    """A registry database file with the demo data, closed (as `registry serve` leaves it)."""
    path = tmp_path / "registry.db"
    registry = Registry(path)
    registry.migrate()
    load_demo(registry)
    registry.close()
    return path


@pytest.fixture
def demo_registry(demo_db: Path) -> Iterator[Registry]:
    """The demo registry, open (beside `whitelist`), closed when the test ends."""
    registry = Registry(demo_db)
    yield registry
    registry.close()


@pytest.fixture
def whitelist(tmp_path: Path) -> Path:
    """Where a test publishes: `witte-lijst.db` beside the registry database."""
    return tmp_path / "witte-lijst.db"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "registry.db"


@pytest.fixture
def app(db_path: Path):
    return create_app(Settings(db_path=db_path, demo=False, four_eyes=False))


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def registry(client) -> Registry:
    return client.app.state.registry


@pytest.fixture
def tokens(registry: Registry) -> dict[str, str]:
    """Authorization headers by kind of caller: procurement, publisher, revoked."""
    _, procurement = registry.tokens.create("inkoop", Role.procurement)
    _, publisher = registry.tokens.create("sector", Role.publisher)
    _, revoked = registry.tokens.create("oud", Role.procurement)
    registry.tokens.revoke("oud")
    return {
        "procurement": f"Bearer {procurement}",
        "publisher": f"Bearer {publisher}",
        "revoked": f"Bearer {revoked}",
    }


@pytest.fixture
def auth(tokens) -> dict[str, str]:
    return {"Authorization": tokens["procurement"]}


@pytest.fixture
def seeded(client, auth) -> dict[str, dict]:
    """One record of each kind, created through the API."""
    for kind, record in RECORDS.items():
        response = client.post(f"/api/{kind}", json=record, headers=auth)
        assert response.status_code == 201, response.text
    return RECORDS


def rows_of(registry: Registry) -> dict[str, list]:
    """Every row of every table, to show that a refused request changed nothing."""
    tables = [t for t in registry.db.table_names() if not t.startswith("_")]
    return {t: list(registry.db.execute(f"SELECT * FROM [{t}] ORDER BY rowid")) for t in tables}


@pytest.fixture(scope="session")
def snapshot() -> Callable[[Registry], dict[str, list]]:
    """`snapshot(registry)`: every row of every table (`rows_of`)."""
    return rows_of


@dataclass(frozen=True)
class Secrets:
    """Records holding what must never reach the published whitelist."""

    marker: str = "GEHEIM-7f3a"
    phone: str = "+31 6 7373 0373"  # phone numbers are digits only

    def add(self, registry: Registry) -> None:
        """A record with `marker` in every internal field, and records that must not be
        published (archived, draft, withdrawn)."""
        m = self.marker
        registry.create("vendors", models.VendorIn(
            id="kluis", name="Kluis B.V.", country="NL", internal_notes=f"notitie {m}",
            privacy_contact=models.PrivacyContact(
                name=f"Contact {m}", email=f"{m.lower()}@kluis.example", phone=self.phone
            ),
        ), "inkoop")
        registry.create("tools", models.ToolIn(
            id="kluis-app", vendor_id="kluis", name="Kluis App", category=models.Category.practice,
            levels=[models.Level.PO], internal_notes=f"notitie {m}",
            domains=[models.ToolDomain(host="app.kluis.example")], data_locations=["NL"],
            pseudonymisation=models.Pseudonymisation(
                status=models.PseudonymisationStatus.compliant),
        ), "inkoop")
        registry.create("agreements", models.AgreementIn(
            id="kluis-vo", vendor_id="kluis", tool_ids=["kluis-app"],
            model_version=models.ModelVersion.model_4, status=models.AgreementStatus.signed,
            signed_on=dt.date(2026, 1, 1), internal_notes=f"notitie {m}",
        ), "inkoop")
        common = {"tool_id": "kluis-app", "kind": models.AssessmentKind.dpia,
                  "assessor": "SIVON Demo"}
        registry.create("assessments", models.AssessmentIn(
            id="kluis-final", assessed_on=dt.date(2026, 3, 1), status=models.AssessmentStatus.final,
            outcome=models.Outcome.approved, residual_risk=models.Risk.low,
            public_summary="Openbare samenvatting.", internal_notes=f"notitie {m}", **common,
        ), "inkoop")
        registry.create("assessments", models.AssessmentIn(
            id="kluis-draft", assessed_on=dt.date(2026, 6, 1), status=models.AssessmentStatus.draft,
            public_summary=f"Concept {m}", conditions=[f"Voorwaarde {m}"], **common,
        ), "inkoop")
        registry.create("assessments", models.AssessmentIn(
            id="kluis-withdrawn", assessed_on=dt.date(2026, 4, 1),
            status=models.AssessmentStatus.withdrawn, outcome=models.Outcome.rejected,
            residual_risk=models.Risk.high, public_summary=f"Ingetrokken {m}",
            conditions=[f"Voorwaarde {m}"], source_url="https://kluis.example/geheim-7f3a",
            **common,
        ), "inkoop")
        registry.create("tools", models.ToolIn(
            id="kluis-oud", vendor_id="kluis", name=f"Oud {m}", category=models.Category.other,
            levels=[models.Level.VO], domains=[models.ToolDomain(host="geheim-7f3a.kluis.example")],
        ), "inkoop")
        registry.archive("tools", "kluis-oud", "inkoop", None)
        registry.create("vendors", models.VendorIn(id="kluis-oud", name=f"Oud {m}",
                                                   country="NL"), "inkoop")
        registry.archive("vendors", "kluis-oud", "inkoop", None)
        registry.tokens.create(f"token-{m}", models.Role.publisher)


@pytest.fixture(scope="session")
def secrets() -> Secrets:
    """`secrets.add(registry)` creates them; `secrets.marker` and `.phone` are what to look for."""
    return Secrets()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on, for a server the test starts."""
    return free_port()


class Server:
    """`registry serve` in a subprocess on 127.0.0.1, stopped when the test ends."""

    def __init__(self, db_path: Path, *args: str, workers: int = 2):
        self._start(["--db", str(db_path), *args], workers)

    def _start(self, args: list[str], workers: int, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {"PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "registry", "serve", *args, "--port", str(self.port),
             "--workers", str(workers)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        self.lines: list[str] = []
        ready = threading.Event()

        def drain() -> None:
            # Reads all output so the pipe never fills; granian says "Started worker-N" once
            # a worker serves.
            started = 0
            for line in self.process.stdout:
                self.lines.append(line)
                started += bool(re.search(r"Started worker-\d", line))
                if started == workers:
                    ready.set()
            ready.set()

        self.drainer = threading.Thread(target=drain, daemon=True)
        self.drainer.start()
        if not ready.wait(timeout=60) or self.process.poll() is not None:
            raise RuntimeError(f"registry serve {' '.join(args)} did not start:\n" + self.output)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def client(self, **kwargs) -> httpx.Client:
        transport = httpx.HTTPTransport(retries=5)
        return httpx.Client(base_url=self.url, transport=transport, timeout=30, **kwargs)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.drainer.join()
        self.process.stdout.close()


@pytest.fixture
def server_factory():
    servers = []

    def start(db_path: Path, *args: str, workers: int = 2) -> Server:
        server = Server(db_path, *args, workers=workers)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# --- the read wing alone, and clients from many addresses ---------------------------------------

DEMO_DAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def demo_published(tmp_path_factory) -> tuple[Path, Path]:
    """The demo data published on 28 November 2026 as `registry serve` does: (the registry
    database, the whitelist file)."""
    folder = tmp_path_factory.mktemp("published")
    prepare(Settings(db_path=folder / "registry.db", today=lambda: DEMO_DAY))
    return folder / "registry.db", folder / "witte-lijst.db"


@pytest.fixture(scope="module")
def demo_file_with_secrets(tmp_path_factory, secrets) -> Path:
    """The demo data with `secrets` in its internal fields, published on 28 November 2026
    by `publish` alone: the whitelist file (`witte-lijst.db`, the name the metadata
    expects)."""
    folder = tmp_path_factory.mktemp("published")
    registry = Registry(folder / "registry.db")
    registry.migrate()
    load_demo(registry)
    secrets.add(registry)
    publish(registry, folder / "witte-lijst.db", DEMO_DAY, "sector")
    registry.close()
    return folder / "witte-lijst.db"


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop of the module's own, to start Datasette instances on."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def replica_on(demo_published) -> Iterator[Callable[..., TestClient]]:
    """`replica_on(day, file=None)`: a client of the read wing alone on the published demo
    file (or `file`), asked on `day`; all closed with the module."""
    clients = []

    def open_client(day: dt.date, file: Path | None = None) -> TestClient:
        client = TestClient(create_read_app(file or demo_published[1], today=lambda: day))
        clients.append(client.__enter__())
        return client

    yield open_client
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def peer_from_header() -> Callable:
    """`peer_from_header(app)`: the app as reached from the address in an X-Test-Peer header
    (the test client has only one address), for limits counted per client."""

    def wrap(app):
        async def asgi(scope, receive, send):
            if scope["type"] == "http" and (peer := dict(scope["headers"]).get(b"x-test-peer")):
                scope = {**scope, "client": (peer.decode(), 50000)}
            await app(scope, receive, send)

        return asgi

    return wrap


class ReadOnlyServer(Server):
    """`registry serve --read-only --whitelist FILE` in a subprocess on 127.0.0.1: a replica
    with no database (on `port` if given, so it can be restarted where it was)."""

    def __init__(self, whitelist: Path, *args: str, workers: int = 1, port: int | None = None):
        self._start(["--read-only", "--whitelist", str(whitelist), *args], workers, port)


@pytest.fixture
def read_only_factory():
    """`read_only_factory(whitelist, workers=1, port=None)`: a `ReadOnlyServer`, stopped when
    the test ends (a port of its own, so a replica can be restarted where it was)."""
    servers = []

    def start(whitelist: Path, *args: str, workers: int = 1, port: int | None = None
              ) -> ReadOnlyServer:
        server = ReadOnlyServer(whitelist, *args, workers=workers, port=port)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def school_site(tmp_path):
    """A plain static web server on another port of 127.0.0.1: a school's own website, another
    origin; it serves the files in `server.folder`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.folder = tmp_path
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()
    thread.join()
