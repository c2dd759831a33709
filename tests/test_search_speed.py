"""A searched page answered from what is kept of the table (`datasette/matches.py`) says what
Datasette's own queries say: the same rows in the same order, count and facets.

The same published file is served twice with the plugin: immutable (the count, the first
page and the facets of a `_search` come from the rowids kept) and mutable (everything from
SQLite, as before). The file gets extra tools that share names (ties in the sort), a facet
left empty and a level the demo lacks, so ties, NULLs and truncated facets are compared too.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import urllib.parse
from pathlib import Path

import jinja2
import pytest
from datasette.app import Datasette
from datasette.utils import to_css_class
from markupsafe import Markup

from registry.whitelist.datasette.memo import memo
from registry.whitelist.datasette.pages import table_rows

METADATA = json.loads((Path(__file__).parent.parent / "datasette-metadata.json").read_text())
SEARCHES = ["a", "s", "taal", "reken quiz", "Ëxamen", "maakplaats", "de", "zzzz", "o"]


@pytest.fixture(scope="module")
def whitelist(tmp_path_factory, demo_file_with_secrets) -> Path:
    path = tmp_path_factory.mktemp("searched") / "witte-lijst.db"
    shutil.copy(demo_file_with_secrets, path)
    with sqlite3.connect(path) as db:  # copies of every tool under the same names, in between
        columns = [row[1] for row in db.execute("pragma table_info(tools)")]
        rest = ", ".join(c for c in columns if c != "id")
        for n in range(3):
            db.execute(f"insert into tools (id, {rest}) select id || '-{n}', {rest} from tools "
                       "where id not like '%-_'")
        db.execute("update tools set pseudonymisation_label = null where rowid % 7 = 0")
        db.execute("""update tools set level_codes = '["MBO", "VO"]' where rowid % 5 = 0""")
        db.execute("insert into tools_fts(tools_fts) values ('rebuild')")
    return path


def _serve(whitelist: Path, loop, immutable: bool) -> Datasette:
    files = {"immutables": [str(whitelist)]} if immutable else {"files": [str(whitelist)]}
    datasette = Datasette(metadata=METADATA, **files)
    loop.run_until_complete(datasette.invoke_startup())
    return datasette


@pytest.fixture(scope="module")
def both(whitelist, loop):
    kept, asked = _serve(whitelist, loop, True), _serve(whitelist, loop, False)

    def get(path: str) -> tuple[str, str]:
        answers = []
        for datasette in (kept, asked):
            response = loop.run_until_complete(datasette.client.get(path))
            assert response.status_code == 200, response.text
            text = response.text
            if ".json" in path:
                answer = response.json()
                answer.pop("query_ms")
                text = json.dumps(answer, sort_keys=True)
            answers.append(re.sub(r"duurde [0-9.]+ ms", "", text))
        return answers[0], answers[1]

    get.kept, get.asked = kept, asked
    return get


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize("rest", ["", "&_size=1", "&_size=7&_facet_size=2", "&_size=100"])
def test_a_searched_page_is_the_same_as_datasettes(both, search, rest):
    kept, asked = both(f"/witte-lijst/tools.json?_search={urllib.parse.quote(search)}{rest}")
    assert kept == asked
    assert json.loads(kept)["filtered_table_rows_count"] is not None


@pytest.mark.parametrize("search", ["a", "taal", "zzzz"])
def test_the_searched_html_page_is_the_same_as_datasettes(both, search):
    kept, asked = both(f"/witte-lijst/tools?_search={search}")
    assert kept == asked
    assert ("col-verdict_label" in kept) == (search != "zzzz")


@pytest.mark.parametrize("path", [
    "/witte-lijst/tools.json?_search=a&verdict_label=Toegestaan",  # filtered: asked of SQLite
    "/witte-lijst/tools.json?_search=a&_sort=id",
    "/witte-lijst/tools.json?_search=a&_size=3&_next=3",
    "/witte-lijst/tools.json",
])
def test_other_pages_are_the_same_too(both, path):
    kept, asked = both(path)
    assert kept == asked


def test_the_counts_are_right(both):
    kept, _ = both("/witte-lijst/tools.json?_search=a&_size=0")
    answer = json.loads(kept)
    facets = answer["facet_results"]
    assert answer["filtered_table_rows_count"] > 60
    assert sum(v["count"] for v in facets["verdict_label"]["results"]) == (
        answer["filtered_table_rows_count"])
    levels = {v["value"]: v["count"] for v in facets["level_codes"]["results"]}
    assert levels["MBO"] > 0
    kept = {key for key in memo(both.kept, "matches") if isinstance(key, tuple)}
    assert {("rank", "tools", "name"), ("rank", "tools", None),
            ("column", "tools", "verdict_label"), ("column", "tools", "level_codes"),
            ("found", "tools_fts", "a*")} <= kept
    assert memo(both.asked, "matches") == {}  # a file that may change is asked every time


def test_the_rows_of_a_table_page_are_the_loop_they_replace():
    old = jinja2.Environment(autoescape=True)
    old.filters["to_css_class"] = to_css_class
    loop = old.from_string(
        "{% for row in display_rows %}<tr>{% for cell in row if cell.column not in "
        "hidden_columns %}<td class=\"col-{{ cell.column|to_css_class }} type-{{ "
        "cell.value_type }}\">{{ cell.value }}</td>{% endfor %}</tr>\n{% endfor %}")
    rows = [[{"column": "name", "value": "<Rekenhulp> & co", "value_type": "str"},
             {"column": "search", "value": "verborgen", "value_type": "str"},
             {"column": "a b/ç", "value": Markup("<ul><li>x</li></ul>"), "value_type": "str"},
             {"column": "minimum_age", "value": 12, "value_type": "int"}]] * 2
    assert str(table_rows(rows, {"search"})) == loop.render(
        display_rows=rows, hidden_columns={"search"}).rstrip("\n")


def test_the_datasette_internals_it_relies_on_are_there(both):
    """Fails on a Datasette upgrade that changes what `internals.answer_searches` and
    `internals.remember_table_permissions` replace: check them again then."""
    import inspect

    from datasette.database import Database

    assert list(inspect.signature(Database.execute).parameters) == [
        "self", "sql", "params", "truncate", "custom_time_limit", "page_size", "log_sql_errors"]
    assert list(inspect.signature(Datasette._table_permission_allows).parameters) == [
        "self", "database", "table"]
    assert "execute" in vars(both.kept.databases["witte-lijst"])
    assert "execute" not in vars(both.asked.databases["witte-lijst"])
    assert "_table_permission_allows" in vars(both.kept)
