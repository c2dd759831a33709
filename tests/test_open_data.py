"""The open data under /lijst as a teacher and a spreadsheet meet it: every public page in
Dutch (no word of Datasette's English left), links back to the check and the tool pages,
and downloads fit for use: a CSV for Dutch Excel, the whole list as JSON, the SQLite file,
each with its sha256 and publication version."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import json
import re
import sqlite3
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
from playwright.sync_api import Page

from registry import models
from registry.models import Role
from registry.publish import publish

TODAY = dt.date(2026, 11, 28)
DB = "/lijst/witte-lijst"
DUTCH = "Café Ëxamen-ïdee €5 – «Zoë» geëist, ‘óók’ naïef"
"""A tool's name with the characters Dutch Excel broke (ë, é, ï, €, quotes, dashes)."""
FORMULA = "=HYPERLINK(\"https://evil.example\";\"klik\")"

ENGLISH = [
    # Datasette 0.65's own words on its pages (its templates and messages), fixed here.
    "rows in", "This data as", "Links from other tables", "Error 404", "Error", "Record not found",
    "not found", "Advanced export", "Download file", "Powered by", "Query took",
    "Custom SQL query", "Query parameters", "Run SQL", "Next page", "Suggested facets",
    "sorted by", "where", "hidden", "Tables", "Queries", "Views", "Download SQLite DB",
    "results", "returning", "Table actions", "Database actions", "expand labels",
    "stream all rows", "Apply", "Format SQL", "Show SQL", "Hide SQL", "Edit SQL",
    "View and edit SQL", "remove filter", "column", "home", "contains", "starts with",
    "ends with", "is null", "is not null", "is blank", "array contains", "Many rows",
    "Log out", "row", "rows", "table", "tables", "Search", "Submit", "Sort by", "descending",
    "JSON shape", "default", "newline-delimited", "Page not found", "Bad request",
    "Table not found", "Database not found", "more", "Menu items",
]
ENGLISH_RE = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, ENGLISH)) + r")(?![\w-])")


class _Text(HTMLParser):
    """What a person reads or hears of a page: its text and the text of its attributes, not
    its scripts, styles or code."""

    SKIP = {"script", "style", "pre", "code", "textarea"}
    SPOKEN = ("title", "aria-label", "alt", "placeholder")

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        attrs = dict(attrs)
        self.parts += [attrs[a] for a in self.SPOKEN if attrs.get(a)]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def readable_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return html.unescape(" ".join(parser.parts))


@pytest.fixture(scope="module")
def open_data(tmp_path_factory, demo_client):
    """The app on the demo data and a tool whose name and description hold every Dutch
    character and a formula, published on TODAY."""
    folder = tmp_path_factory.mktemp("open-data")
    with demo_client(folder, Role.publisher, TODAY) as client:
        registry = client.app.state.registry
        registry.create("tools", models.ToolIn(
            id="cafe-examen", vendor_id=registry.db.execute(
                "SELECT id FROM vendors LIMIT 1").fetchone()[0],
            name=DUTCH, description=FORMULA, category=models.Category.practice,
            levels=[models.Level.PO, models.Level.VO]), "inkoop")
        publish(registry, client.app.state.whitelist_path, TODAY, "sector")
        yield client


@pytest.fixture(scope="module")
def published(open_data) -> Path:
    return open_data.app.state.whitelist_path


def query(path: Path, sql: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def public_pages(open_data) -> list[str]:
    """Every kind of public page: the index, the database, each table, a row of each table,
    each question, error pages, the downloads; and our own pages."""
    database = open_data.get(f"{DB}.json").json()
    pages = ["/lijst/", DB, "/lijst/-/downloaden"]
    for table in database["tables"]:
        if table["hidden"]:
            continue
        pages.append(f"{DB}/{table['name']}")
        data = open_data.get(f"{DB}/{table['name']}.json", params={"_size": 1}).json()
        keys = [data["rows"][0][data["columns"].index(pk)] for pk in data["primary_keys"]]
        pages.append(f"{DB}/{table['name']}/" + ",".join(
            urllib.parse.quote(str(key).replace("~", "~7E").replace(",", "~2C"), safe="~")
            for key in keys))
    pages += [f"{DB}/{q['name']}" + ("?host=app.rekenrijk-demo.nl" if ":host" in q["sql"] else "")
              for q in database["queries"]]
    pages += [f"{DB}/tools?verdict_label=Toegestaan&_search=reken&_sort=name",
              f"{DB}/tools?level_codes__arraycontains=PO&_sort_desc=name",
              f"{DB}/tools/bestaat-niet", f"{DB}/bestaat-niet", "/lijst/bestaat-niet",
              f"{DB}/tools?_sort=name&_sort_desc=name", f"{DB}/tools?_facet=bestaat-niet",
              "/lijst/-/wijzigingen.atom?niveau=XX"]
    pages += ["/", "/uitleg", "/embed", "/insluiten", "/tools", "/tools/cafe-examen"]
    return pages


def test_no_public_page_speaks_datasettes_english(open_data):
    pages = public_pages(open_data)
    assert len(pages) > 25
    found = {}
    for path in pages:
        response = open_data.get(path)
        if path in ("/tools", "/tools/cafe-examen") and response.status_code == 404:
            continue  # our own list is helper B's; an address it does not serve is left out
        assert response.headers["content-type"].startswith("text/html"), path
        words = ENGLISH_RE.findall(readable_text(response.text))
        if words:
            found[path] = sorted(set(words))
    assert found == {}


def test_the_english_check_finds_english():
    # Guards the test above against a check that finds nothing.
    page = "<p>125 rows in 6 tables</p><h1>Error 404</h1><input type=submit value=Apply>"
    assert ENGLISH_RE.findall(readable_text(page)) == ["rows in", "tables", "Error 404", "Apply"]
    assert ENGLISH_RE.findall(readable_text("<p>rijen, tabel-kolom</p><pre>where</pre>")) == []


@pytest.mark.parametrize("path", ["/lijst/", DB, f"{DB}/tools", f"{DB}/tools/cafe-examen",
                                  f"{DB}/toegestaan_po", f"{DB}/tools/bestaat-niet",
                                  "/lijst/-/downloaden"])
def test_every_open_data_page_links_the_check_the_list_and_the_feed(open_data, path):
    page = open_data.get(path).text
    assert '<a href="/">Tool controleren</a>' in page
    assert '<a href="/tools">Hele lijst bekijken</a>' in page
    feed = re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"',
                     page)
    assert feed and open_data.get(feed[1]).status_code == 200


def test_a_tools_row_links_to_its_tool_page(open_data):
    page = open_data.get(f"{DB}/tools/cafe-examen").text
    assert 'href="/tools/cafe-examen"' in page
    assert "Verwijzingen uit andere tabellen" in page


def test_an_error_page_is_dutch_and_shows_the_way_back(open_data):
    response = open_data.get(f"{DB}/tools/bestaat-niet")
    assert response.status_code == 404
    assert "Niet gevonden" in response.text and "Deze rij bestaat niet." in response.text
    assert open_data.get(f"{DB}/bestaat-niet").text.count("Deze tabel bestaat niet.") == 1


# --- downloads -------------------------------------------------------------------------------


def downloads(open_data) -> dict[str, dict[str, str]]:
    """The downloads page as {file name: {href, SHA-256, Publicatie}}."""
    page = open_data.get("/lijst/-/downloaden")
    assert page.status_code == 200
    files = {}
    for item in re.findall(r"<li>(.*?)</li>", page.text, re.S):
        link = re.search(r'<a href="([^"]+)" download>([^<]+)</a>', item)
        facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(?:<code>)?([^<]+)", item))
        files[link[2]] = {"href": html.unescape(link[1]), **facts}
    return files


def test_the_downloads_page_gives_every_file_with_its_sha256_and_version(open_data, published):
    files = downloads(open_data)
    assert set(files) == {"witte-lijst.csv", "witte-lijst-komma.csv", "witte-lijst.json",
                          "witte-lijst.db"}
    version = query(published, "SELECT max(version) FROM publication")[0][0]
    for name, facts in files.items():
        response = open_data.get(facts["href"])
        assert response.status_code == 200, name
        assert hashlib.sha256(response.content).hexdigest() == facts["SHA-256"], name
        assert facts["Publicatie"] == f"versie {version}"
        disposition = response.headers["content-disposition"]
        assert disposition == f'attachment; filename="{name}"'
    assert files["witte-lijst.db"]["SHA-256"] == hashlib.sha256(
        published.read_bytes()).hexdigest()


def excel_rows(body: bytes, separator: str) -> list[dict[str, str]]:
    """The CSV as Excel reads it: UTF-8 because of the byte order mark, cells split on
    `separator`."""
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""),
                               delimiter=separator))


@pytest.mark.parametrize("name, separator", [("witte-lijst.csv", ";"),
                                             ("witte-lijst-komma.csv", ",")])
def test_the_csv_round_trips_every_dutch_character(open_data, published, name, separator):
    response = open_data.get(f"/lijst/-/downloaden/{name}")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = {row["id"]: row for row in excel_rows(response.content, separator)}
    tools = query(published, "SELECT * FROM tools")
    assert set(rows) == {tool["id"] for tool in tools}
    for tool in tools:
        for column in ("name", "vendor_name", "description", "verdict_label"):
            if tool[column] and not tool[column].startswith("="):
                assert rows[tool["id"]][column] == tool[column], (tool["id"], column)
    assert rows["cafe-examen"]["name"] == DUTCH
    assert rows["cafe-examen"]["description"] == "'" + FORMULA  # shown as text, not run


def test_the_csv_has_lists_as_readable_text(open_data, published):
    rows = excel_rows(open_data.get("/lijst/-/downloaden/witte-lijst.csv").content, ";")
    cafe = next(row for row in rows if row["id"] == "cafe-examen")
    assert cafe["level_codes"] == "PO, VO"
    assert not [(row["id"], column) for row in rows for column, value in row.items()
                if value.startswith(("[", "{"))]
    reasons = next(row["reasons"] for row in rows if row["verdict"] == "not_allowed")
    assert reasons.splitlines()[0][:2] in ("✘ ", "✔ ")


def test_the_json_download_has_every_tool_in_one_answer(open_data, published):
    data = open_data.get("/lijst/-/downloaden/witte-lijst.json").json()
    ids = [row["id"] for row in query(published, "SELECT id FROM tools")]
    assert len(ids) > 25 and sorted(t["id"] for t in data["tools"]) == sorted(ids)
    assert data["publication"]["version"] == query(
        published, "SELECT max(version) FROM publication")[0][0]
    cafe = next(t for t in data["tools"] if t["id"] == "cafe-examen")
    assert cafe["name"] == DUTCH and cafe["level_codes"] == ["PO", "VO"]
    assert "name_key" not in cafe


def test_an_unknown_download_is_a_dutch_404(open_data):
    response = open_data.get("/lijst/-/downloaden/geheim.txt")
    assert response.status_code == 404 and "Dit bestand is er niet." in response.text


# --- accessibility ---------------------------------------------------------------------------

BROWSER_PAGES = [
    "/lijst/-/downloaden", "/lijst/witte-lijst/changelog", "/lijst/witte-lijst/vendors",
    "/lijst/witte-lijst/vendors/denkvonk", "/lijst/witte-lijst/changes",
    "/lijst/witte-lijst/tools?verdict_label=Toegestaan&_sort=name",
    "/lijst/witte-lijst/webadres?host=app.rekenrijk-demo.nl", "/lijst/witte-lijst/bestaat-niet",
    "/lijst/witte-lijst/tools/bestaat-niet", "/lijst/witte-lijst/tools?_sort=x",
]
"""The open data pages tests/test_accessibility.py does not visit, error pages among them."""


@pytest.mark.browser
@pytest.mark.parametrize("path", BROWSER_PAGES)
def test_open_data_pages_have_no_wcag_21_aa_violations(page: Page, path: str, axe_violations):
    page.goto(path)
    assert page.evaluate("document.documentElement.lang") == "nl"
    assert axe_violations(page) == []


def test_the_metadata_copies_are_one(published):
    root = Path(__file__).parent.parent
    assert json.loads((root / "datasette-metadata.json").read_text()) == json.loads(
        (root / "registry/whitelist/datasette/metadata.json").read_text())


def test_on_a_phone_each_value_stands_under_its_own_label(open_data):
    """Datasette labels a cell on a phone by its column's place; hidden columns are not
    shown, so they must not be counted ("level_codes: Niet toegestaan")."""
    page = open_data.get(f"{DB}/tools").text
    labels = re.findall(r'td:nth-of-type\((\d+)\):before \{ content: "([^"]+)"', page)
    header = re.search(r"<thead>(.*?)</thead>", page, re.S)[1]
    columns = re.findall(r'data-column="([^"]+)"', header)
    assert [name for _, name in labels] == columns
    assert [int(n) for n, _ in labels] == list(range(1, len(columns) + 1))
