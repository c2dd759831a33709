"""The public, anonymous surface holds: the whitelist (Datasette under /lijst) answers odd and
hostile query strings without a 500 and without anything of the registry, and the check API
reads every tricky URL as a browser would without fetching anything.

tests/test_whitelist_datasette.py covers a plain `datasette witte-lijst.db`; these tests go
through the app as `registry serve` runs it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import re
import socket
import sqlite3
import urllib.parse
from pathlib import Path

import pytest
from datasette.app import Datasette
from litestar.testing import TestClient

from registry.app import Settings, create_app
from registry.whitelist.mount import METADATA_PATH
from registry.verdict import VerdictCode

DB = "/lijst/witte-lijst"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app with the demo data published, as teachers reach it."""
    folder = tmp_path_factory.mktemp("lockdown")
    app = create_app(Settings(db_path=folder / "registry.db", demo=True,
                              today=lambda: dt.date(2026, 11, 28)))
    with TestClient(app) as client:
        client.folder = folder
        yield client


def identifiers(path: Path) -> set[str]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        names = set()
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            names |= {table, *(c[1] for c in conn.execute(f"PRAGMA table_info([{table}])"))}
        return names
    finally:
        conn.close()


@pytest.fixture(scope="module")
def registry_only(site) -> set[str]:
    """Names of tables and columns that exist in registry.db and not in the published file,
    such as token_hash, internal_notes, privacy_contact, review_requests (the distinctive
    ones: with an underscore)."""
    names = identifiers(site.folder / "registry.db") - identifiers(site.folder / "witte-lijst.db")
    assert {"token_hash", "internal_notes", "privacy_contact", "review_requests"} <= names
    public_words = {str(code) for code in VerdictCode}  # a column `not_allowed` is a code too
    return {n for n in names if "_" in n.strip("_")} - public_words


def q(**params: str) -> str:
    return "?" + urllib.parse.urlencode(params)


# (path and query, the statuses it may answer with)
PROBES = [
    # arbitrary SQL, in every place Datasette takes it
    (f"{DB}.json" + q(sql="select * from sqlite_master"), {403}),
    (f"{DB}" + q(sql="select 1"), {403}),
    (f"{DB}/-/query.json" + q(sql="select 1"), {400, 403, 404}),
    (f"{DB}/tools.json" + q(_where="1=1"), {403}),
    (f"{DB}/tools.json" + q(_where="id in (select token_hash from tokens)"), {403}),
    (f"{DB}/toegestaan_po.json" + q(sql="select 1"), {200, 400, 403}),  # canned: sql ignored
    # sorting on what is not a column
    (f"{DB}/tools.json" + q(_sort="sqlite_master"), {400}),
    (f"{DB}/tools.json" + q(_sort="name desc"), {400}),
    (f"{DB}/tools.json" + q(_sort="(select token_hash from tokens)"), {400}),
    (f"{DB}/tools" + q(_sort_desc='x"]'), {400}),
    (f"{DB}/tools.csv" + q(_sort="nope"), {400}),
    (f"{DB}/vendors.json" + q(_sort="name"), {200}),
    (f"{DB}/tools.json" + q(_sort="name", _sort_desc="id"), {400}),
    (f"{DB}/tools.csv" + q(_sort_desc="id", _sort="name"), {400}),
    # facets on unknown columns and malformed facet configs
    (f"{DB}/tools.json" + q(_facet="nope"), {400}),
    (f"{DB}/tools.json" + q(_facet="token_hash"), {400}),
    (f"{DB}/tools.json" + q(_facet="{}"), {400}),
    (f"{DB}/tools" + q(_facet_array='{"table": "x"}'), {400}),
    (f"{DB}/tools.json" + q(_facet_date="nope"), {400}),
    (f"{DB}/tools.json" + q(_facet_unique_array="internal_notes"), {400}),
    (f"{DB}/tools.json" + q(_facet="a\x00b"), {400}),
    (f"{DB}/tools.json?_facet=verdict&_facet=category&_facet=name&_facet=description"
     "&_facet=reasons&_facet_array=level_codes", {200}),
    # full-text search syntax
    (f"{DB}/tools.json" + q(_search='a" OR b'), {200}),
    (f"{DB}/tools.json" + q(_search="NEAR(reken toets)"), {200}),
    (f"{DB}/tools.json" + q(_search="*"), {200}),
    (f"{DB}/tools.json" + q(_search="tools_fts MATCH 'x'"), {200}),
    (f"{DB}/tools.json" + q(_search="reken", _searchmode="raw", _fts_table="tools_fts"), {200}),
    (f"{DB}/tools.json" + q(_search_description="reken OR 1"), {200}),
    # page sizes and paging
    (f"{DB}/tools.json" + q(_size="1000000"), {400}),
    (f"{DB}/tools.json" + q(_size="-1"), {400}),
    (f"{DB}/tools.json" + q(_size="max"), {200}),
    (f"{DB}/tools.json" + q(_next="zzz"), {200}),
    (f"{DB}/tools.json" + q(_next="1' or 1=1 --"), {200}),
    (f"{DB}/tools.csv" + q(_stream="1", _size="max"), {200}),
    # filters
    (f"{DB}/tools.json" + q(level_codes__arraycontains="x') or 1=1 --"), {200}),
    (f"{DB}/tools.json" + q(name__arraycontains="x"), {400}),
    (f"{DB}/tools.json" + q(levels__arraynotcontains="PO"), {400}),
    (f"{DB}/tools.json" + q(id__in="a,b')) or 1=1 --"), {200}),
    (f"{DB}/tools.json" + q(nope__exact="1"), {200, 400}),
    (f"{DB}/tools.json" + q(id__gt="99999999999999999999"), {400}),
    (f"{DB}/tools.json" + q(id__glob="*"), {200}),
    (f"{DB}/webadres.json" + q(host="x' or 1=1 --"), {200}),
    # columns, joins, time limits
    (f"{DB}/tools.json" + q(_col="token_hash"), {400}),
    (f"{DB}/tools.json" + q(_nocol="id"), {400}),
    (f"{DB}/tools.json" + q(_through='{"table": "tokens"}'), {400}),
    (f"{DB}/tools.json" + q(_through='{"table": "tools", "column": "id", "value": "1"}'), {400}),
    (f"{DB}/tools" + q(_through="[]"), {400}),
    (f"{DB}/tools.json" + q(_timelimit="x"), {400}),
    (f"{DB}/tools.csv" + q(_timelimit="0"), {200, 400}),
    (f"{DB}/tools.json" + q(_timelimit="999999999"), {200}),
    # rows: a compound key needs both its values
    (f"{DB}/domains/anything", {404}),
    (f"{DB}/domains/anything.json", {404}),
    (f"{DB}/webadres/anything", {404}),
    # other databases and files, and Datasette's own tables
    ("/lijst/registry", {404}),
    ("/lijst/registry.json", {404}),
    ("/lijst/registry.db", {404}),
    ("/lijst/../registry.db", {404}),
    ("/lijst/%2e%2e/registry.db", {404}),
    ("/lijst/_internal", {403, 404}),
    ("/lijst/_internal/tables.json", {403, 404}),
    ("/lijst/_memory.json" + q(sql="select 1"), {403, 404}),
    (f"{DB}/sqlite_master.json", {404}),
    (f"{DB}/tools_fts_config.json", {200, 404}),
    ("/lijst/-/databases.json", {200}),
    ("/lijst/-/metadata.json", {200}),
    ("/lijst/-/permissions", {403}),
    ("/lijst/-/messages", {404}),
]


# Datasette 0.65 makes the coroutines of every facet before it awaits the first: when one
# fails (`_facet=nope`, a 400), the others are never awaited and Python warns about them when
# they are collected. Collected here, so the warning cannot surface in a later test.
ignore_unraisable = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
ignore_unawaited = pytest.mark.filterwarnings(
    "ignore:coroutine .* was never awaited:RuntimeWarning")


@pytest.mark.parametrize(("path", "statuses"), PROBES, ids=[p for p, _ in PROBES])
@ignore_unraisable
@ignore_unawaited
def test_odd_query_strings_get_no_500_and_nothing_of_the_registry(site, registry_only, path,
                                                                  statuses):
    response = site.get(path)
    if "_facet" in path:
        gc.collect()
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    asked = urllib.parse.unquote(path)
    leaked = {n for n in registry_only - set(re.findall(r"\w+", asked))
              if re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", response.text)}
    assert not leaked, leaked
    assert not response.content.startswith(b"SQLite format 3")


def test_only_the_published_file_is_served(site):
    databases = site.get("/lijst/-/databases.json").json()
    assert [d["name"] for d in databases] == ["witte-lijst"]
    assert not any("registry" in Path(d["path"]).name for d in databases)
    tables = site.get(f"{DB}.json").json()["tables"]
    assert {t["name"] for t in tables if not t["hidden"]} == {
        "assessments", "board_changelog", "board_verdicts", "boards", "changelog", "changes",
        "domains", "publication", "tools", "vendors"}


def test_sql_is_off_and_every_query_is_time_limited(site):
    settings = site.get("/lijst/-/settings.json").json()
    assert settings["default_allow_sql"] is False
    assert settings["sql_time_limit_ms"] == 1000
    assert settings["max_returned_rows"] == 500
    assert settings["facet_time_limit_ms"] == 500
    everything = site.get(f"{DB}/tools.json?_size=max&_shape=array").json()
    assert len(everything) == 26 <= settings["max_returned_rows"]


def test_fts_syntax_finds_words_not_everything(site):
    for search in ['a" OR b', "NEAR(reken toets)", "tools_fts MATCH 'x'", "* OR *"]:
        rows = site.get(f"{DB}/tools.json" + q(_search=search, _shape="array")).json()
        assert rows == [], search


@ignore_unraisable
@ignore_unawaited
def test_a_plain_datasette_of_the_file_also_answers_without_500(site):
    # The same probes against `datasette witte-lijst.db -m datasette-metadata.json`.
    metadata = json.loads(METADATA_PATH.read_text())
    datasette = Datasette([str(site.folder / "witte-lijst.db")], metadata=metadata)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(datasette.invoke_startup())
        for path, _ in PROBES:
            if not path.startswith(DB):
                continue
            response = loop.run_until_complete(
                datasette.client.get(path.removeprefix("/lijst")))
            if "_facet" in path:
                gc.collect()
            assert response.status_code < 500, (path, response.text[:300])
    finally:
        loop.close()


# --- every tricky URL through the check API, with the network refused ----------------------


@pytest.fixture
def no_network(monkeypatch) -> list:
    """Any attempt to resolve or connect fails and is recorded."""
    attempts: list = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access is not allowed in this test")

    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_connection"):
        monkeypatch.setattr(socket, name, refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_the_check_reads_each_url_as_a_browser_and_fetches_nothing(site, no_network, url_row):
    text, kind, host, _ = url_row
    response = site.get("/api/check", params={"q": text})
    if not 1 <= len(text) <= 4000:
        assert response.status_code == 400  # the parameter's own bounds
    else:
        assert response.status_code == 200, response.text
        answer = response.json()
        assert (answer["kind"], answer.get("host")) == (kind, host)
        if kind == "invalid":
            assert answer["status"] == "invalid" and "tool" not in answer
    assert no_network == []


def test_the_corpus_is_large_enough(url_corpus):
    assert len(url_corpus) >= 40
    assert sum(kind == "url" for _, kind, *_ in url_corpus) >= 40
