"""The check, finished: school types and ages, "ik werk in het PO", typos and vendor names,
verdicts in every list of matches, one date style, teacher words, and the review form for a
tool that is listed but not assessed."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from playwright.sync_api import Page, expect

from registry.app import create_read_app
from registry.db import Registry
from registry.importer import load_demo
from registry.publish import publish
from registry.domains import name_key
from registry.whitelist import similar
from registry.whitelist.reader import PublishedWhitelist

TODAY = dt.date(2026, 11, 28)
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.fixture(scope="module")
def whitelist_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("finished")
    registry = Registry(folder / "registry.db")
    registry.migrate()
    load_demo(registry)
    publish(registry, folder / "witte-lijst.db", TODAY, "sector")
    registry.close()
    return folder / "witte-lijst.db"


@pytest.fixture(scope="module")
def client(whitelist_file) -> TestClient:
    with TestClient(create_read_app(whitelist_file, today=lambda: TODAY)) as client:
        yield client


def check(client, q: str, **params) -> dict:
    response = client.get("/api/check", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


def answer_section(html: str) -> str:
    return html[html.index('<section class="answer"'):html.index('<section class="legend"')]


# --- school types and ages -------------------------------------------------------------------


def test_the_answer_says_for_which_school_types_and_from_which_age(client):
    tool = check(client, "Denkvonk Schrijfassistent")["tool"]
    assert (tool["levels"], tool["minimum_age"]) == (["VO"], 13)
    assert tool["suitable_for"] == "Voor het voortgezet onderwijs (VO), voor leerlingen vanaf 13 jaar."
    assert check(client, "Schoolplein LAS")["tool"]["suitable_for"] == (
        "Voor het primair onderwijs (PO), voortgezet onderwijs (VO) en speciaal onderwijs (SO).")


@pytest.mark.parametrize(("q", "level", "expected"), [
    ("Denkvonk Schrijfassistent", "PO",
     "Let op: deze tool is niet bedoeld voor het primair onderwijs (PO). Hij is alleen "
     "beoordeeld voor het voortgezet onderwijs (VO)."),
    ("Denkvonk Huiswerkhulp", "PO",
     "Let op: deze tool is voor leerlingen vanaf 8 jaar. In het primair onderwijs (PO) zijn "
     "leerlingen vaak jonger: gebruik de tool niet met jongere leerlingen."),
    ("Denkvonk Schrijfassistent", "VO",
     "Let op: deze tool is voor leerlingen vanaf 13 jaar. In het voortgezet onderwijs (VO) zijn "
     "leerlingen vaak jonger: gebruik de tool niet met jongere leerlingen."),
    ("Noorderlicht Rekenen", "PO", None),
    ("Noorderlicht Rekenen", None, None),
])
def test_a_teacher_who_says_their_school_type_is_told_when_a_tool_is_not_for_it(
        client, q, level, expected):
    answer = check(client, q, **({"level": level} if level else {}))
    assert answer.get("level") == level
    assert answer["tool"]["level_warning"] == expected
    if expected:
        page = client.get("/", params={"q": q, "niveau": level.lower()})
        assert expected in page.text


def test_an_unknown_school_type_is_a_clear_400(client):
    assert client.get("/api/check", params={"q": "x", "level": "MBO"}).status_code == 400
    page = client.get("/", params={"q": "Noorderlicht", "niveau": "MBO"})
    assert page.status_code == 400 and "Kies PO, VO of SO" in page.text


def test_the_school_type_stays_in_the_form_and_the_links(client):
    page = client.get("/", params={"q": "Noorderlicht", "niveau": "PO"}).text
    assert re.search(r'<option value="PO" selected>', page)
    links = re.findall(r'href="(/\?q=[^"]+)"', answer_section(page))
    assert links and all("niveau=PO" in link for link in links)
    assert 'name="niveau"' in client.get("/").text
    assert "set-cookie" not in client.get("/", params={"q": "x", "niveau": "VO"}).headers


# --- typos and vendor names --------------------------------------------------------------------


@pytest.mark.parametrize(("q", "first", "message"), [
    ("noorderlict rekenen", "noorderlicht-rekenen", "Bedoel je Noorderlicht Rekenen (demo)?"),
    ("Sommestad oefenen", "sommenstad-oefenen", "Bedoel je Sommenstad Oefenen (demo)?"),
    ("taaltuin splling", "taaltuin-spelling", "Bedoel je Taaltuin Spelling (demo)?"),
    ("Uitgeverij Noorderlicht", "noorderlicht-rekenen",
     "Bedoel je een tool van Uitgeverij Noorderlicht B.V. (demo)?"),
])
def test_typos_and_vendor_names_find_the_tool(client, q, first, message):
    answer = check(client, q)
    assert answer["status"] == "choose" and answer["message"].startswith(message)
    assert answer["matches"][0]["id"] == first
    assert answer["review_request_possible"]  # maybe it is another tool after all
    page = answer_section(client.get("/", params={"q": q}).text)
    assert message in page and 'action="/aanvragen"' in page


def test_words_in_another_order_are_no_typo(whitelist_file):
    whitelist = PublishedWhitelist(whitelist_file)
    try:
        conn = whitelist.connection()
        assert similar.close_names(conn, "noorderlict rekenen", 8) == ["noorderlicht-rekenen"]
        assert similar.close_names(conn, "rekenen noorderlict", 8) == []
    finally:
        whitelist.close()


def test_every_list_of_matches_shows_the_verdicts(client):
    for q in ["Noorderlicht", "Uitgeverij Noorderlicht", "noorderlict"]:
        answer = check(client, q)
        assert answer["matches"], q
        assert all(m["verdict_label"] for m in answer["matches"]), q
        page = answer_section(client.get("/", params={"q": q}).text)
        assert page.count('class="verdict verdict-') == len(answer["matches"])
    alternatives = check(client, "topografie.kaartenbak-demo.nl")["tool"]["alternatives"]
    assert alternatives and all(a["verdict_label"] for a in alternatives)


@pytest.mark.parametrize("q", ["noorderlict rekenen", "Uitgeverij Noorderlicht", "zzq onbekend",
                               "Sommestad oefenen"])
def test_typos_and_vendor_names_are_answered_through_an_index(whitelist_file, q):
    whitelist = PublishedWhitelist(whitelist_file)
    conn = whitelist.connection()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        whitelist.check(q, TODAY)
    finally:
        conn.set_trace_callback(None)
    plans = [row[3] for sql in statements
             if sql.lstrip().upper().startswith(("SELECT", "WITH")) and "tools_fts_" not in sql
             for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
    whitelist.close()
    # A full-text MATCH shows as a SCAN of its virtual table; a count over a LIMITed
    # subquery as a SCAN of that subquery; a statement's own rows (the words walked, the
    # full-text hits) as a SCAN of them: none reads a table.
    scans = [line for line in plans if line.startswith("SCAN")
             and not re.search(r"VIRTUAL TABLE INDEX \d+:M|^SCAN \(subquery-\d+\)$"
                               r"|^SCAN (walk|hits|CONSTANT ROW)$", line)]
    assert plans and not scans, plans


def test_a_typo_search_reads_a_bounded_number_of_words():
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    conn.execute("CREATE TABLE tools (id TEXT PRIMARY KEY, name_key TEXT)")
    conn.execute("CREATE TABLE name_words (word TEXT, tool_id TEXT, PRIMARY KEY (word, tool_id))"
                 " WITHOUT ROWID")
    conn.executemany("INSERT INTO name_words VALUES (?, ?)",
                     [(f"noo{n:05d}", f"t{n}") for n in range(5000)])
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    assert similar.close_names(conn, "noorderlict rekenen", 8) == []
    assert len(statements) == 2  # one walk over the words for "noo", one for "no"
    assert similar.walk_words(conn, "noo") == [f"noo{n:05d}" for n in range(150)]
    assert similar.MAX_WORDS_SEEN == 150


def _walk_word_by_word(conn, start: str, most: int) -> list[str]:
    """The walk as it was: one statement per word."""
    end, seen = start + similar.LAST_CHARACTER, []
    row = conn.execute("SELECT word FROM name_words WHERE word >= ? AND word < ? "
                       "ORDER BY word LIMIT 1", [start, end]).fetchone()
    while row is not None and len(seen) < most:
        seen.append(row[0])
        row = conn.execute("SELECT word FROM name_words WHERE word > ? AND word < ? "
                           "ORDER BY word LIMIT 1", [row[0], end]).fetchone()
    return seen


@pytest.mark.parametrize("most", [150, 5, 1])
def test_the_walk_in_one_statement_reads_the_words_one_by_one_would(whitelist_file,
                                                                     monkeypatch, most):
    monkeypatch.setattr(similar, "MAX_WORDS_SEEN", most)
    whitelist = PublishedWhitelist(whitelist_file)
    try:
        conn = whitelist.connection()
        words = [r[0] for r in conn.execute("SELECT DISTINCT word FROM name_words")]
        starts = {""} | {word[:n] for word in words for n in (1, 2, 3)} | {"zzq", "ë"}
        assert len(words) > 10
        for start in sorted(starts):
            assert similar.walk_words(conn, start) == _walk_word_by_word(conn, start, most), start
        assert len(similar.walk_words(conn, "")) == min(most, len(words))  # the bound holds
    finally:
        whitelist.close()


@settings(max_examples=300)
@example("abc", ["abcde", "abcd", "xyz"])  # "abcde" is as long as still fits (0.75 exactly)
@given(st.text(alphabet="abcdeklmnorst", min_size=3, max_size=12),
       st.lists(st.text(alphabet="abcdeklmnorst", min_size=1, max_size=16), max_size=150))
def test_words_ruled_out_by_length_first_leave_difflibs_answer(word, seen):
    assert similar._close_matches(word, seen) == difflib.get_close_matches(
        word, seen, n=5, cutoff=similar.CUTOFF)


def _starting_two_searches(conn, key: str) -> tuple[list, list]:
    """The name search as it was: the tools whose name has a word starting with `key`, then
    (in a second full-text search) the first few tools found for it at all."""
    match = f'search : "{key}" *'
    pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    fts = "rowid IN (SELECT rowid FROM tools_fts WHERE tools_fts MATCH ?)"
    named = conn.execute(
        f"SELECT id, name FROM tools WHERE {fts} AND (name_key LIKE ? ESCAPE '\\' OR "
        "name_key LIKE ? ESCAPE '\\') ORDER BY name LIMIT 9",
        [match, pattern + "%", "% " + pattern + "%"]).fetchall()
    few = conn.execute(f"SELECT id FROM tools WHERE {fts} LIMIT 8", [match]).fetchall()
    return [tuple(r) for r in named], [r[0] for r in few]


def test_one_full_text_search_finds_what_two_found(whitelist_file):
    from registry.whitelist.check import _starting_with

    whitelist = PublishedWhitelist(whitelist_file)
    try:
        conn = whitelist.connection()
        names = [r[0] for r in conn.execute("SELECT name_key FROM tools")]
        vendors = [r[0] for r in conn.execute("SELECT DISTINCT vendor_name FROM tools")]
        keys = {k for name in names + [name_key(v) for v in vendors]
                for k in (name, name.split()[0], name[:4].strip(), " ".join(name.split()[1:]))}
        keys = sorted(k for k in keys | {"a", "zzq", "100%", "a_b"} if k)
        found_both = 0
        for key in keys:
            named, few = _starting_with(conn, key, TODAY.isoformat())
            assert ([(r["id"], r["name"]) for r in named], [r["id"] for r in few]) == (
                _starting_two_searches(conn, key)), key
            found_both += bool(named and few)
        assert found_both and len(keys) > 20
    finally:
        whitelist.close()


# --- words and dates -----------------------------------------------------------------------------


def test_one_date_style_in_the_check_and_the_embed(client):
    page = answer_section(client.get("/", params={"q": "Noorderlicht Rekenen"}).text)
    assert "Onderzocht door Kennisnet Demo op 10 februari 2026." in page
    assert not ISO_DATE.search(page)
    embed = client.get("/embed", params={"niveau": "PO"}).text
    assert "januari 2027" in embed and not ISO_DATE.search(embed)


def test_teacher_words_with_the_term_in_brackets(client):
    texts = " ".join(r["text"] for r in check(client, "Noorderlicht Rekenen")["tool"]["reasons"])
    assert "afspraak over de gegevens (verwerkersovereenkomst)" in texts
    assert "privacyonderzoek (DPIA)" in texts
    assert "overgebleven risico (restrisico)" in texts


def test_no_double_full_stop_after_a_name_that_ends_in_one(whitelist_file, tmp_path):
    path = tmp_path / "witte-lijst.db"
    shutil.copy(whitelist_file, path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE tools SET name = 'Rekenrijk B.V.', vendor_name = 'Rekenrijk B.V.' "
                     "WHERE id = 'noorderlicht-rekenen'")
    with TestClient(create_read_app(path, today=lambda: TODAY)) as client:
        answer = check(client, "rekenen.noorderlicht-demo.nl")
        assert answer["message"] == "rekenen.noorderlicht-demo.nl hoort bij Rekenrijk B.V."
        page = client.get("/", params={"q": "rekenen.noorderlicht-demo.nl"}).text
        assert "B.V.." not in page and "Leverancier: Rekenrijk B.V." in page


def test_not_assessed_is_shown_in_the_warning_colour(client):
    page = client.get("/", params={"q": "scheikunde.lernfabrik-demo.de"}).text
    assert '<link rel="stylesheet" href="/static/check.css">' in page
    css = client.get("/static/check.css").text
    assert re.search(r"\.verdict-not_assessed \{ color: var\(--warn\); background: "
                     r"var\(--warn-bg\); \}", css)


# --- the answer's links and forms --------------------------------------------------------------


def test_a_listed_tool_that_is_not_assessed_offers_the_review_form(client):
    answer = check(client, "scheikunde.lernfabrik-demo.de")
    assert answer["tool"]["verdict"] == "not_assessed" and answer["review_request_possible"]
    assert "review_request_possible" not in check(client, "Noorderlicht Rekenen")
    page = answer_section(client.get("/", params={"q": "scheikunde.lernfabrik-demo.de"}).text)
    assert 'action="/aanvragen"' in page
    assert 'value="Lernfabrik Scheikunde (demo)"' in page
    allowed = answer_section(client.get("/", params={"q": "Noorderlicht Rekenen"}).text)
    assert 'action="/aanvragen"' not in allowed


def test_the_answer_links_to_the_tools_own_page(client):
    assert check(client, "Noorderlicht Rekenen")["tool"]["link"] == "/tools/noorderlicht-rekenen"
    page = answer_section(client.get("/", params={"q": "Noorderlicht Rekenen"}).text)
    assert 'href="/tools/noorderlicht-rekenen"' in page
    assert '<a href="/tools">Hele lijst bekijken</a>' in client.get("/").text
    assert '<a href="/tools?niveau=VO">Hele lijst bekijken</a>' in client.get(
        "/", params={"niveau": "VO"}).text


def test_the_page_answers_from_the_same_kept_answers_as_the_api(whitelist_file):
    app = create_read_app(whitelist_file, today=lambda: TODAY)
    with TestClient(app) as client:
        whitelist: PublishedWhitelist = app.state.whitelist
        client.get("/", params={"q": "Klassenklok", "niveau": "VO"})
        assert whitelist._answers.keys() == [("Klassenklok", "VO")]
        client.get("/api/check", params={"q": "Klassenklok", "level": "VO"})
        assert whitelist._answers.keys() == [("Klassenklok", "VO")]


# --- in the browser, on a phone ----------------------------------------------------------------


@pytest.mark.browser
def test_on_a_phone_the_warning_and_the_school_type_read_well(browser, site, axe_violations):
    context = browser.new_context(base_url=site.url, viewport={"width": 375, "height": 800})
    page: Page = context.new_page()
    try:
        page.goto("/")
        page.get_by_label("Webadres of naam van de tool").fill("Sommenstad Oefenen")
        page.get_by_label("Ik werk in het").select_option("VO")
        page.get_by_role("button", name="Controleren").click()
        expect(page).to_have_url(re.compile(r"niveau=VO"))
        expect(page.locator("#change-warning")).to_contain_text(
            "Let op: dit oordeel verandert op 16 januari 2027")
        expect(page.locator(".level-warning")).to_contain_text("niet bedoeld voor het voortgezet")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert axe_violations(page) == []
        page.goto("/?q=scheikunde.lernfabrik-demo.de")
        badge = page.locator(".answer .verdict-not_assessed").first
        assert badge.evaluate("e => getComputedStyle(e).color") == "rgb(113, 63, 18)"
    finally:
        context.close()
