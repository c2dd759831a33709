"""The check's plain questions are answered on its route before Litestar's handler
(`registry/whitelist/direct.py`); every answer must be the one the handler gives.

Each question is asked of two fresh apps on the published demo file: one as served, one with
the direct path switched off (everything goes to the handler). Status, headers and body must
be the same, in the same order of questions (so both limiters have counted alike).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import urllib.parse
from unittest import mock

import pytest

from registry.fields import Role
from registry.whitelist import direct

DAY = dt.date(2026, 11, 28)
TIME_DEPENDENT = {"ratelimit-reset"}


def questions(whitelist) -> list[str]:
    """Query strings: every demo tool by name, host and URL with a path, look-alikes,
    unknown names and typos, with school types and boards; and those the handler must
    answer (missing, empty, invalid, repeated or unknown parameters, too long)."""
    with sqlite3.connect(whitelist) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM tools")]
        hosts = [r[0] for r in conn.execute("SELECT host FROM domains")]
    asked = [*names, *hosts, *(f"https://www.{h}/les/1?x=2" for h in hosts[:5]),
             "onbekende tool", "rekenrjik", "javascript:alert(1)", "x" * 4000,
             "  \t", "Node.js", "https://a..b/", "bücher.de/les"]
    plain = [{"q": q} for q in asked]
    plain += [{"q": q, "level": level} for q in names[:6] for level in ("PO", "VO", "SO")]
    plain += [{"q": q, "bestuur": board} for q in [*names[:8], hosts[0], "rekenrjik"]
              for board in ("99001", "99002", "99003")]
    odd = ["", "q=", "level=PO", "q=a&level=", "q=a&level=XX", "q=a&bestuur=",
           "q=a&bestuur=123", "q=a&bestuur=99999", "q=a&q=b", "q=a&level=PO&level=VO",
           "q=a&foo=1", "q=" + "x" * 4001, "q=a%ZZb", "q=%C3%28", "q=a;b=c", "bestuur=99001"]
    return [urllib.parse.urlencode(p) for p in plain] + odd


def ask(client, query: str):
    response = client.get("/api/check?" + query)
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in TIME_DEPENDENT]
    return response.status_code, headers, response.content


def test_direct_answers_are_the_handlers(replica_on, demo_published):
    asked = questions(demo_published[1])
    assert len(asked) < 300  # within one minute's limit of one client: no 429 to compare
    direct_app, handler_app = replica_on(DAY), replica_on(DAY)
    spy = mock.patch.object(direct, "plain_question", wraps=direct.plain_question)
    with spy as taken:
        directly = [ask(direct_app, q) for q in asked]
    plain = [q for q in asked if direct.plain_question(q.encode()) is not None]
    assert taken.call_count == len(asked)
    assert len(plain) > 100
    with mock.patch.object(direct, "plain_question", return_value=None):
        by_handler = [ask(handler_app, q) for q in asked]
    for query, mine, theirs in zip(asked, directly, by_handler):
        assert mine == theirs, query
    statuses = {status for status, _, _ in directly}
    assert statuses == {200, 400, 404}  # found and the rest, bad parameters, unknown board


def test_a_plain_question_is_counted_limited_and_kept(replica_on):
    client = replica_on(DAY)
    first = client.get("/api/check", params={"q": "rekenrjik", "level": "PO"})
    again = client.get("/api/check", params={"q": "rekenrjik", "level": "PO"})
    assert first.content == again.content and first.status_code == 200
    assert [first.headers["ratelimit-remaining"], again.headers["ratelimit-remaining"]] == [
        "299", "298"]
    assert first.headers["x-frame-options"] == "DENY"  # the app's before_send hook
    status = first.json()["status"]
    today = client.app.state.stats.days()[-1]
    assert (today.checks, getattr(today, status)) == (2, 2)
    kept = client.app.state.whitelist._answers.keys()
    assert kept == [("rekenrjik", "PO")]


@pytest.mark.parametrize(("query", "plain"), [
    (b"q=Rekenrijk", ("Rekenrijk", None, None)),
    (b"q=a+b&level=VO&bestuur=99001", ("a b", "VO", "99001")),
    (b"bestuur=99001&q=%E2%82%AC", ("\u20ac", None, "99001")),
    (b"q=" + b"x" * 4000, ("x" * 4000, None, None)),
    (b"q=" + b"x" * 4001, None),
    (b"q=", None),
    (b"q=a&q=b", None),
    (b"q=a&level=po", None),
    (b"q=a&bestuur=9900", None),
    (b"q=a&bestuur=99001%0A", None),
    (b"q=a&page=2", None),
    (b"", None),
])
def test_which_questions_are_plain(query, plain):
    assert direct.plain_question(query) == plain


def test_the_full_server_answers_directly_too(demo_client, tmp_path):
    with demo_client(tmp_path, Role.procurement, DAY) as client:
        spy = mock.patch.object(direct, "plain_question", wraps=direct.plain_question)
        with spy as taken:
            response = client.get("/api/check", params={"q": "Noorderlicht Rekenen"})
        assert taken.call_count == 1 and response.status_code == 200
        assert json.loads(response.content)["status"] == "found"
        stats = client.get("/api/stats", headers=client.token).json()
        assert stats[-1]["found"] == 1
