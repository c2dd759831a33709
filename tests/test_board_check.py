"""A teacher of one school board checks a tool: the sector verdict and the board's decision
side by side, through the API (`?bestuur=`), the board's page (`/b/{board}/`), a school's code,
the embed feed and page, and the embed help — all from the published demo file.

Demo boards (data/demo.json): 99001 (A) follows, with its own agreement on
bordwerk-klassenbord; 99002 (B) is stricter (lernfabrik-scheikunde not allowed, an extra
condition on maakplaats-studio); 99003 (C) approved lernfabrik-scheikunde itself until
30 September 2027. The sector has not assessed lernfabrik-scheikunde.
"""

from __future__ import annotations

import datetime as dt
import html
import shutil
import sqlite3

import pytest

from registry.labels.board_check import BOARD_CHECK_WORDS
from registry.labels.boards import BOARD_TEXTS, DECISION_LABELS
from registry.whitelist.boards import BoardView
from registry.whitelist.check import answer
from registry.whitelist.kindred import Kindred

DAY = dt.date(2026, 11, 28)
SCHEIKUNDE = "https://scheikunde.lernfabrik-demo.de/les/4"
BROWSER = {"Accept": "text/html"}
B_NAME = "Stichting Voortgezet Onderwijs Voorbeeldrijk (fictief)"


@pytest.fixture(scope="module")
def replica(replica_on):
    return replica_on(DAY)


def check(replica, q: str, bestuur: str | None = None) -> dict:
    response = replica.get("/api/check", params={"q": q, **({"bestuur": bestuur} if bestuur else {})})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("bestuur", "decision", "verdict", "text", "conditions"), [
    ("99001", "follow", "not_assessed", BOARD_TEXTS["follow"], []),
    ("99002", "stricter", "not_allowed", BOARD_TEXTS["not_allowed"], []),
    ("99003", "own_approval", "allowed_with_conditions", BOARD_TEXTS["own_approval_conditions"],
     ["Alleen met een schoolaccount, zonder naam van de leerling"]),
])
def test_one_tool_three_boards(replica, bestuur, decision, verdict, text, conditions):
    answer = check(replica, SCHEIKUNDE, bestuur)
    assert answer["status"] == "found"
    assert answer["tool"]["id"] == "lernfabrik-scheikunde"
    assert answer["tool"]["verdict"] == "not_assessed"  # the sector's, as without a board
    board = answer["board"]
    assert (board["board_id"], board["decision"], board["decision_label"]) == (
        bestuur, decision, DECISION_LABELS[decision])
    assert (board["verdict"], board["text"], board["conditions"]) == (verdict, text, conditions)


def test_without_a_board_there_is_no_board_part(replica):
    answer = check(replica, SCHEIKUNDE)
    assert answer["tool"]["verdict"] == "not_assessed"
    assert "board" not in answer


def test_a_decision_says_who_decided_when_and_why(replica):
    b = check(replica, SCHEIKUNDE, "99002")["board"]
    assert b["board_name"] == B_NAME
    assert b["reason"].startswith("Het bestuur gebruikt voor scheikunde al een ander programma")
    assert (b["decided_on"], b["decided_by"], b["ends_on"]) == ("2026-09-01",
                                                                "College van bestuur", None)
    c = check(replica, SCHEIKUNDE, "99003")["board"]
    assert (c["decided_on"], c["ends_on"]) == ("2026-10-01", "2027-09-30")
    a = check(replica, SCHEIKUNDE, "99001")["board"]
    assert (a["reason"], a["decided_on"], a["decided_by"]) == (None, None, None)


def test_a_stricter_board_adds_its_condition_to_an_allowed_tool(replica):
    sector = check(replica, "Maakplaats Studio")["tool"]
    answer = check(replica, "Maakplaats Studio", "99002")
    assert answer["tool"]["verdict"] == sector["verdict"]
    assert sector["verdict"] in ("allowed", "allowed_with_conditions")
    board = answer["board"]
    assert board["verdict"] == "allowed_with_conditions"
    assert board["conditions"] == [*sector["conditions"], "Alleen in de bovenbouw"]
    assert board["text"] == BOARD_TEXTS["extra_conditions"]
    follows = check(replica, "Maakplaats Studio", "99001")["board"]
    assert (follows["decision"], follows["verdict"], follows["conditions"]) == (
        "follow", sector["verdict"], sector["conditions"])


def test_a_boards_own_agreement_counts_for_its_teachers_only(replica):
    own = check(replica, "Bordwerk Klassenbord", "99001")["board"]
    assert (own["decision"], own["text"]) == ("follow", BOARD_TEXTS["own_agreement"])
    other = check(replica, "Bordwerk Klassenbord", "99002")["board"]
    assert other["text"] == BOARD_TEXTS["follow"]


def test_a_decision_that_ended_leaves_the_board_following_the_sector(replica_on):
    later = replica_on(dt.date(2027, 10, 1))
    answer = check(later, SCHEIKUNDE, "99003")
    board = answer["board"]
    assert (board["decision"], board["text"]) == ("follow", BOARD_TEXTS["follow"])
    assert board["verdict"] == answer["tool"]["verdict"]
    assert (board["reason"], board["ends_on"]) == (None, None)
    before = check(replica_on(dt.date(2027, 9, 30)), SCHEIKUNDE, "99003")["board"]
    assert before["decision"] == "own_approval"


def test_matches_and_alternatives_carry_the_boards_verdict(replica):
    choose = check(replica, "Lernfabrik", "99002")
    by_id = {m["id"]: m for m in choose["matches"]}
    assert by_id["lernfabrik-scheikunde"]["board_verdict"] == "not_allowed"
    assert by_id["lernfabrik-scheikunde"]["verdict"] == "not_assessed"
    assert all("board_verdict" not in m for m in check(replica, "Lernfabrik")["matches"])
    alternatives = check(replica, SCHEIKUNDE, "99002")["tool"]["alternatives"]
    assert all(a["board_verdict"] in ("allowed", "allowed_with_conditions")
               for a in alternatives)


@pytest.mark.parametrize(("bestuur", "status"), [
    ("99999", 404), ("9900", 400), ("990021", 400), ("99BA", 400), ("", 400),
    ("99002\n", 400), ("９９００２", 400),
])
def test_a_board_that_is_not_there_is_named(replica, bestuur, status):
    response = replica.get("/api/check", params={"q": SCHEIKUNDE, "bestuur": bestuur})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["bestuur"]
    feed = replica.get("/api/embed/tools", params={"bestuur": bestuur})
    assert feed.status_code == status
    assert [e["field"] for e in feed.json()["errors"]] == ["bestuur"]


def test_answers_are_kept_per_board(replica):
    whitelist = replica.app.state.whitelist
    plain = whitelist.check_kept(SCHEIKUNDE, DAY)
    for_b = whitelist.check_kept(SCHEIKUNDE, DAY, board="99002")
    assert plain.board is None and for_b.board.verdict == "not_allowed"
    assert whitelist.check_kept(SCHEIKUNDE, DAY).board is None


def test_the_openapi_document_names_the_board_parameter(client):
    paths = client.get("/api/docs/openapi.json").json()["paths"]
    for path in ("/api/check", "/api/embed/tools"):
        names = [p["name"] for p in paths[path]["get"]["parameters"]]
        assert "bestuur" in names
        assert "404" in paths[path]["get"]["responses"]


# --- the board's page -----------------------------------------------------------------------


def test_the_boards_page_shows_both_verdicts_side_by_side(replica):
    page = replica.get("/b/99002/", params={"q": SCHEIKUNDE})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert BOARD_CHECK_WORDS["lead"].format(board=B_NAME) in text
    assert f'{BOARD_CHECK_WORDS["sector"]}</h3>' in text
    assert f'{BOARD_CHECK_WORDS["board"]}: {DECISION_LABELS["stricter"]}</h3>' in text
    sector, board = text.split('class="sector-verdict"')[1].split('class="board-verdict"')
    assert "Niet beoordeeld" in sector and "Niet toegestaan" not in sector
    assert "Niet toegestaan" in board and BOARD_TEXTS["not_allowed"] in board
    assert "Besloten door College van bestuur op 1 september 2026." in board
    assert '<form class="check" action="/b/99002/" method="get"' in text
    assert 'href="/lijst/witte-lijst/board_verdicts?board_id=99002"' in text
    assert "Fictieve interne notitie" not in text


def test_the_boards_page_keeps_the_board_in_its_links(replica):
    text = replica.get("/b/99002", params={"q": "Lernfabrik", "niveau": "VO"}).text
    assert 'href="/b/99002/?q=Lernfabrik+Scheikunde+%28demo%29&amp;niveau=VO"' in text
    assert 'href="/?q=' not in text


def test_the_boards_page_with_conditions_lists_them(replica):
    text = html.unescape(replica.get("/b/99003/", params={"q": SCHEIKUNDE}).text)
    board = text.split('class="board-verdict"')[1].split("</section>")[0]
    assert "Alleen met een schoolaccount, zonder naam van de leerling" in board
    assert "Dit besluit geldt tot en met 30 september 2027." in board


@pytest.mark.parametrize(("code", "board"), [
    ("99BA", "99002"), ("99ba", "99002"), ("99AC01", "99001"), ("99AA01", "99001"),
    ("99CA", "99003"),
])
def test_a_schools_code_leads_to_its_boards_page(replica, code, board):
    response = replica.get(f"/b/{code}/", params={"q": "x", "niveau": "VO"},
                           follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == f"/b/{board}/?q=x&niveau=VO"


@pytest.mark.parametrize("code", ["12345", "99AC02", "99ZZ", "abc", "9" * 40])
def test_an_unknown_board_or_school_is_a_dutch_404_page(replica, code):
    response = replica.get(f"/b/{code}/", headers=BROWSER)
    assert response.status_code == 404
    assert '<html lang="nl">' in response.text


def test_a_file_from_before_boards_still_answers_without_one(demo_published, replica_on,
                                                             tmp_path):
    old = tmp_path / "witte-lijst.db"
    shutil.copy(demo_published[1], old)
    with sqlite3.connect(old) as conn:
        conn.execute("DROP TABLE board_verdicts")
        conn.execute("DROP TABLE boards")
    client = replica_on(DAY, old)
    assert check(client, SCHEIKUNDE)["tool"]["verdict"] == "not_assessed"
    assert client.get("/api/check", params={"q": "x", "bestuur": "99002"}).status_code == 404
    assert client.get("/b/99002/").status_code == 404


# --- the embed feed, page and help ----------------------------------------------------------


def feed(replica, **params) -> dict:
    response = replica.get("/api/embed/tools", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_feed_for_a_board_follows_its_decisions(replica):
    sector = {t["id"]: t for t in feed(replica, level="VO")["tools"]}
    for_c = feed(replica, level="VO", bestuur="99003")
    assert for_c["board"]["id"] == "99003"
    assert "board" not in feed(replica, level="VO")
    tools = {t["id"]: t for t in for_c["tools"]}
    assert "lernfabrik-scheikunde" not in sector
    assert tools["lernfabrik-scheikunde"]["conditions"] == [
        "Alleen met een schoolaccount, zonder naam van de leerling"]
    assert tools["lernfabrik-scheikunde"]["link"] == "/b/99003/?q=Lernfabrik+Scheikunde+%28demo%29"
    assert [t["name"] for t in for_c["tools"]] == sorted(t["name"] for t in for_c["tools"])
    for_b = {t["id"]: t for t in feed(replica, bestuur="99002")["tools"]}
    assert for_b["maakplaats-studio"]["conditions"][-1] == "Alleen in de bovenbouw"
    assert set(for_b) == set(t["id"] for t in feed(replica)["tools"])


def test_the_embed_page_for_a_board(replica):
    page = replica.get("/embed", params={"bestuur": "99BA", "niveau": "VO"})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert ("<h1>Toegestane tools voor het voortgezet onderwijs bij "
            f"{B_NAME}</h1>") in text
    assert "Alleen in de bovenbouw" in text
    unknown = replica.get("/embed", params={"bestuur": "12345"})
    assert unknown.status_code == 404
    assert BOARD_CHECK_WORDS["unknown_board"].format(board="12345") in html.unescape(unknown.text)


def test_the_embed_help_gives_snippets_for_the_board(replica):
    text = html.unescape(replica.get("/insluiten", params={"bestuur": "99BA",
                                                           "niveau": "VO"}).text)
    assert '<iframe src="http://testserver.local/embed?niveau=VO&bestuur=99002"' in text
    assert '<div data-witte-lijst data-niveau="VO" data-bestuur="99002">' in text
    assert "/api/embed/tools?level=VO&bestuur=99002</code>" in text
    assert 'value="99BA"' in text
    wrong = html.unescape(replica.get("/insluiten", params={"bestuur": "nope"}).text)
    assert BOARD_CHECK_WORDS["unknown_board"].format(board="nope") in wrong


def forbidding(view: BoardView, tool_ids) -> BoardView:
    """`view` with the board's "not allowed" of each of `tool_ids` added."""
    row = {"verdict": "not_allowed", "verdict_label": "Niet toegestaan", "conditions": None,
           "reasons": None, "verdict_changes_on": None, "next_verdict": None,
           "decision": "stricter", "decision_label": DECISION_LABELS["stricter"],
           "text": BOARD_TEXTS["not_allowed"], "reason": "Test", "decided_on": "2026-01-01",
           "decided_by": "Test", "ends_on": None}
    return BoardView(view.board, {**view.verdicts, **{i: row for i in tool_ids}})


def test_alternatives_by_category_are_the_same_kept_or_worked_out(replica):
    """A board's "not allowed" of a tool published without alternatives asks for the allowed
    tools of its category; the lists kept per file give the answers worked out without them."""
    whitelist = replica.app.state.whitelist
    conn, publication, boards = whitelist.connection(), whitelist.publication(), whitelist.boards()
    tools = conn.execute("SELECT id, name FROM tools").fetchall()
    kindred, offered = Kindred(), set()
    for board in (None, "99001", "99002", "99003"):
        for tool in tools:
            view = None if board is None else boards.view(board)
            if board == "99002":
                view = forbidding(view, [tool["id"]])
            answer(conn, tool["name"], publication, DAY, None, view, kindred)
            kept = answer(conn, tool["name"], publication, DAY, None, view, kindred)
            assert kept == answer(conn, tool["name"], publication, DAY, None, view), tool["id"]
            if kept.tool is not None:
                assert kept.tool.id not in {a.id for a in kept.tool.alternatives}
                offered |= {a.id for a in kept.tool.alternatives}
    assert offered


def test_board_rows_are_read_by_name_and_keep_each_repeated_value_once(replica):
    """Every worker keeps every board's rows: a label or sentence that thousands of rows
    repeat is one object, and each row reads as the published one does."""
    whitelist = replica.app.state.whitelist
    conn, boards = whitelist.connection(), whitelist.boards()
    kept = [row for board in boards.verdicts.values() for row in board.values()]
    published = {(r["board_id"], r["tool_id"]): r for r in conn.execute(
        "SELECT * FROM board_verdicts").fetchall()}
    assert len(kept) == len(published) > 3
    for row in kept:
        assert {c: row[c] for c in row.keys() if not c.endswith("reasons")} == {
            c: published[row["board_id"], row["tool_id"]][c]
            for c in row.keys() if not c.endswith("reasons")}
    labels = {}
    for row in kept:
        assert labels.setdefault(row["verdict_label"], row["verdict_label"]) is row["verdict_label"]
