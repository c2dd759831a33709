"""Back-office forms: what a person types, read into the models' Structs, every error in Dutch
next to its field (registry/backoffice/forms.py, formspec.py, formview.py)."""

from __future__ import annotations

import datetime as dt
import re

import msgspec
import pytest

from registry import models
from registry.labels import records as record_labels
from registry.backoffice import formcheck, forms, formview
from registry.backoffice.errorwords import dutch_error
from registry.backoffice.formspec import Part, Spec, form_of, show
from registry.store.kinds import KINDS

M = record_labels.FORM_MESSAGES

# One valid form of each kind, as a browser posts it (each value a list).
VALID = {
    "vendors": {"id": "rekenfabriek", "name": "Rekenfabriek B.V.", "country": "NL"},
    "tools": {"id": "rekenrijk", "vendor_id": "rekenfabriek", "name": "Rekenrijk",
              "category": "practice", "levels": ["PO"], "processes_personal_data": "ja"},
    "agreements": {"id": "rekenfabriek-po", "vendor_id": "rekenfabriek",
                   "tool_ids[0]": "rekenrijk", "model_version": "model_4", "status": "signed",
                   "signed_on": "2026-01-01", "expires_on": "2028-12-31"},
    "assessments": {"id": "rekenrijk-dpia", "tool_id": "rekenrijk", "kind": "dpia",
                    "assessor": "Kennisnet", "assessed_on": "2026-02-01", "status": "final",
                    "outcome": "approved", "residual_risk": "low"},
}


def posted(values: dict) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in values.items() if v is not None}


def read(kind: str, **changes) -> tuple[forms.Reading, msgspec.Struct | None]:
    values = dict(VALID[kind])
    for name, value in changes.items():
        name = re.sub(r"__(\d+)__", r"[\1].", name).replace("__", ".")
        values[name.rstrip(".")] = value
    reading = forms.read_form(kind, posted(values))
    return reading, formcheck.check(reading)


@pytest.mark.parametrize("kind", list(VALID))
def test_a_valid_form_is_the_models_struct(kind):
    reading, record = read(kind)
    assert reading.errors == {}
    assert isinstance(record, KINDS[kind].input)


def test_a_tool_form_reads_every_kind_of_input():
    _, tool = read(
        "tools", description="Rekenen\r\noefenen ", website="www.rekenrijk.nl/info",
        levels=["PO", "VO"], audience=["pupils"], free_of_charge="ja", minimum_age="6",
        **{"domains[0].host": "https://App.Rekenrijk.nl/login?x=1",
           "domains[0].include_subdomains": "ja", "domains[1].host": "",
           "domains[2].host": "login.rekenrijk.nl",
           "data_locations[0]": "nl", "data_locations[3]": "DE",
           "sub_processors[0].name": "Hosting B.V.", "sub_processors[0].activity": "opslag",
           "sub_processors[0].country": "IE", "pseudonymisation.status": "compliant",
           "pseudonymisation.checked_on": "1-9-2026"})
    assert tool.description == "Rekenen\noefenen"
    assert tool.website == "https://www.rekenrijk.nl/info"
    assert [(d.host, d.include_subdomains) for d in tool.domains] == [
        ("app.rekenrijk.nl", True), ("login.rekenrijk.nl", False)]
    assert tool.data_locations == ["NL", "DE"]
    assert tool.sub_processors == [models.SubProcessor(name="Hosting B.V.", activity="opslag",
                                                       country="IE")]
    assert tool.pseudonymisation.checked_on == dt.date(2026, 9, 1)
    assert (tool.levels, tool.audience, tool.free_of_charge, tool.minimum_age) == (
        ["PO", "VO"], ["pupils"], True, 6)
    assert tool.processes_personal_data and not tool.no_ads  # an unticked box is False


# (kind, changes, {input name: the Dutch message next to it}); every error at once.
ERRORS = [
    ("vendors", {"name": ""}, {"name": M["required"]}),
    ("vendors", {"name": "x" * 201}, {"name": M["too_long"].format(limit=200)}),
    ("vendors", {"id": "Reken Fabriek"}, {"id": M["slug"]}),
    ("vendors", {"kvk_number": "1234"}, {"kvk_number": M["kvk"]}),
    ("vendors", {"country": "XX"}, {"country": M["country"]}),
    ("vendors", {"country": ""}, {"country": M["country"]}),
    ("vendors", {"website": "ftp://rekenfabriek.nl"}, {"website": M["url"]}),
    ("vendors", {"covenant_since": "2020-01-01"}, {"covenant_since": M["covenant_since"]}),
    ("vendors", {"privacy_contact.email": "nee", "privacy_contact.phone": "bel me"},
     {"privacy_contact.email": M["email"], "privacy_contact.phone": M["phone"]}),
    ("vendors", {"certifications[0].name": "ISO 27001",
                 "certifications[0].certified_on": "2020-05-01",
                 "certifications[0].valid_until": "2019-05-01", "certifications[1].name": "",
                 "certifications[1].certified_on": "2021-01-01"},
     {"certifications[0].valid_until": M["after"].format(other="Gecertificeerd op",
                                                         day="1 mei 2020"),
      "certifications[1].name": M["required"]}),
    ("tools", {"id": "", "name": "", "category": "", "levels": []},
     {"id": M["required"], "name": M["required"], "category": M["choose"],
      "levels": M["choose_one"]}),
    ("tools", {"category": "sport", "levels": ["PO", "MBO"]},
     {"category": M["choose"], "levels": M["choose"]}),
    ("tools", {"minimum_age": "12,5"}, {"minimum_age": M["whole_number"]}),
    ("tools", {"minimum_age": "100"}, {"minimum_age": M["number_max"].format(limit=99)}),
    ("tools", {"domains[0].host": "192.168.1.10", "domains[1].host": "geen host",
               "domains[2].host": "https://rekenrijk.nl"},
     {"domains[0].host": M["ip_host"], "domains[1].host": M["host"]}),
    ("tools", {"domains[0].host": "rekenrijk.nl", "domains[1].host": "https://REKENRIJK.nl/"},
     {"domains[1].host": M["twice"]}),
    ("tools", {"data_locations[0]": "NL", "data_locations[1]": "nl"},
     {"data_locations[1]": M["twice"]}),
    ("tools", {"data_locations[0]": "ZZ"}, {"data_locations[0]": M["country"]}),
    ("tools", {"sub_processors[0].name": "Hosting B.V."},
     {"sub_processors[0].activity": M["required"], "sub_processors[0].country": M["country"]}),
    ("tools", {"data_categories[0].name": "", "data_categories[0].bsn": "ja"}, {}),
    ("tools", {"pseudonymisation.status": "yes", "pseudonymisation.evidence_url": "bewijs",
               "pseudonymisation.checked_on": "32-1-2026"},
     {"pseudonymisation.status": M["choose"], "pseudonymisation.evidence_url": M["url"],
      "pseudonymisation.checked_on": M["no_such_date"]}),
    ("agreements", {"signed_on": "01-09-2026", "expires_on": "2026-08-31"},
     {"expires_on": M["after"].format(other="Getekend op", day="1 september 2026")}),
    ("agreements", {"signed_on": None, "deviations": "ja"},
     {"signed_on": M["required_for_status"].format(status="Getekend"),
      "deviations_summary": M["deviations_summary"]}),
    ("agreements", {"signed_on": "september", "model_version": "model_9",
                    "tool_ids[0]": None},
     {"signed_on": M["date"], "model_version": M["choose"], "tool_ids": M["required"]}),
    ("agreements", {"tool_ids[1]": "rekenrijk", "party": ""},
     {"tool_ids[1]": M["twice"]}),
    ("assessments", {"outcome": None, "residual_risk": None, "valid_until": "2026-01-01"},
     {"valid_until": M["after"].format(other="Beoordeeld op", day="1 februari 2026"),
      "outcome": M["required_for_status"].format(status="Definitief"),
      "residual_risk": M["required_for_status"].format(status="Definitief")}),
    ("assessments", {"outcome": "approved_with_conditions"},
     {"conditions": M["conditions_required"].format(outcome="Goedgekeurd onder voorwaarden")}),
    ("assessments", {"outcome": "approved_with_conditions", "conditions[0]": "ok"},
     {"conditions[0]": M["too_short"].format(limit=3)}),
    ("assessments", {"risk_counts.low": "-1", "risk_counts.high": "drie", "assessed_on": ""},
     {"risk_counts.low": M["number_min"].format(limit=0),
      "risk_counts.high": M["whole_number"], "assessed_on": M["required"]}),
]


@pytest.mark.parametrize(("kind", "changes", "expected"), ERRORS)
def test_every_error_is_dutch_and_next_to_its_field(kind, changes, expected):
    reading = forms.read_form(kind, posted({**VALID[kind], **changes}))
    record = formcheck.check(reading)
    assert reading.errors == expected
    assert (record is None) == bool(expected)


def test_no_message_a_form_gives_is_english():
    english = re.compile(r"`|\b(must|required|expected|invalid|field|the|is not)\b", re.I)
    for message in [*record_labels.FORM_MESSAGES.values(), *record_labels.FORM_SUMMARY]:
        assert not english.search(message), message
    for kind, changes, _ in ERRORS:
        reading = forms.read_form(kind, posted({**VALID[kind], **changes}))
        formcheck.check(reading)
        assert not any(english.search(m) for m in reading.errors.values()), reading.errors


@pytest.mark.parametrize(("typed", "expected"), [
    ("2026-09-01", dt.date(2026, 9, 1)),   # what a date field sends
    ("01-09-2026", dt.date(2026, 9, 1)),   # typed the Dutch way, without a date field
    ("1-9-2026", dt.date(2026, 9, 1)),
    ("01/09/2026", dt.date(2026, 9, 1)),
    ("1.9.2026", dt.date(2026, 9, 1)),
    ("29-02-2028", dt.date(2028, 2, 29)),
])
def test_dates_typed_the_dutch_way(typed, expected):
    assert forms.parse_date(typed) == (expected, None)


@pytest.mark.parametrize(("typed", "key"), [
    ("31-02-2026", "no_such_date"), ("2026-13-01", "no_such_date"), ("1 september 2026", "date"),
    ("09-01-26", "date"), ("morgen", "date"), ("2026-09-01T10:00", "date"),
])
def test_dates_that_are_not(typed, key):
    assert forms.parse_date(typed) == (None, key)


@pytest.mark.parametrize(("typed", "host"), [
    ("rekenrijk.nl", "rekenrijk.nl"),
    ("App.Rekenrijk.NL", "app.rekenrijk.nl"),
    ("https://app.rekenrijk.nl/login?next=/les", "app.rekenrijk.nl"),
    ("http://app.rekenrijk.nl:8080/", "app.rekenrijk.nl"),
    ("app.rekenrijk.nl/les/3", "app.rekenrijk.nl"),
    ("//cdn.rekenrijk.nl/x.js", "cdn.rekenrijk.nl"),
    ("https://user:pw@tool.example/", "tool.example"),
    ("https://evil.example\\@tool.example", "evil.example"),  # as a browser reads it
    ("rekenrijk.nl.", "rekenrijk.nl"),
    ("bücher.example", "xn--bcher-kva.example"),
])
def test_a_url_in_a_domain_field_becomes_its_host(typed, host):
    assert forms.to_host(typed) == (host, None)
    _, tool = read("tools", **{"domains[0].host": typed})
    assert tool.domains[0].host == host


@pytest.mark.parametrize(("typed", "key"), [
    ("Rekenrijk", "host"), ("reken rijk.nl", "host"), ("mailto:info@rekenrijk.nl", "host"),
    ("192.168.1.10", "ip_host"), ("https://[::1]/", "ip_host"), ("localhost", "host"),
])
def test_what_is_no_host(typed, key):
    assert forms.to_host(typed) == (None, key)


def test_empty_rows_are_left_out_and_the_rest_numbered_again():
    reading = forms.read_form("tools", posted({
        **VALID["tools"],
        "domains[0].host": "", "domains[0].include_subdomains": "ja",  # ticked, but empty
        "domains[3].host": "a.rekenrijk.nl", "domains[7].host": "b.rekenrijk.nl",
        "domains[7].include_subdomains": "ja", "domains[9].host": "ongeldig",
        "conditions[0]": "not a tool field",
    }))
    assert reading.rows["domains"] == 3
    assert reading.values["domains[0].host"] == "a.rekenrijk.nl"
    assert reading.values["domains[1].include_subdomains"] is True
    assert reading.errors == {"domains[2].host": M["host"]}
    assert "conditions[0]" not in reading.values


def test_a_stored_record_fills_the_form_it_is_saved_from():
    reading, tool = read("tools", **{
        "domains[0].host": "rekenrijk.nl", "domains[0].include_subdomains": "ja",
        "data_locations[0]": "NL", "pseudonymisation.checked_on": "2026-03-01",
        "minimum_age": "8", "audience": ["pupils", "teachers"]})
    again = forms.values_of("tools", tool)
    form = {name: (["ja"] if value is True else [] if value is False else
                   value if isinstance(value, list) else [value])
            for name, value in again.values.items()}
    assert formcheck.check(forms.read_form("tools", form)) == tool
    assert again.rows == {"domains": 1, "data_categories": 0, "data_locations": 1,
                          "sub_processors": 0}


def lookup_in(records: dict[str, list[tuple[str, str]]]) -> forms.Lookup:
    def find(kind, text):
        pairs = records[kind]
        exact = [p for p in pairs if text in (p[0],) or p[1].casefold() == text.casefold()]
        near = [p for p in pairs if p[1].casefold().startswith(text.casefold())]
        return exact, near
    return find


@pytest.mark.parametrize(("typed", "resolved", "error"), [
    ("rekenfabriek", "rekenfabriek", None),
    ("Rekenfabriek B.V.", "rekenfabriek", None),  # the exact name of one vendor
    ("rekenfabriek b.v.", "rekenfabriek", None),
    ("Reken", None, M["not_found_suggest"].format(
        record="leverancier", text="Reken", names="Rekenfabriek B.V. (rekenfabriek)")),
    ("Taalhuis", None, M["several"].format(
        records="leveranciers", text="Taalhuis", names="Taalhuis (taalhuis-1), Taalhuis "
        "(taalhuis-2)")),
    ("onbekend", None, M["not_found_name"].format(record="leverancier", text="onbekend")),
])
def test_a_reference_by_id_or_name(typed, resolved, error):
    reading = forms.read_form("tools", posted({**VALID["tools"], "vendor_id": typed}))
    formcheck.resolve_references(reading, lookup_in({"vendors": [
        ("rekenfabriek", "Rekenfabriek B.V."), ("taalhuis-1", "Taalhuis"),
        ("taalhuis-2", "Taalhuis")]}))
    record = formcheck.check(reading)
    assert reading.errors.get("vendor_id") == error
    assert (record.vendor_id if record else None) == resolved


def test_the_tools_of_an_agreement_belong_to_its_vendor():
    reading, agreement = read("agreements", **{"tool_ids[1]": "taalrijk"})
    owners = {("tools", "rekenrijk"): "rekenfabriek", ("tools", "taalrijk"): "taalhuis"}
    formcheck.check_references(reading, agreement, lambda kind, i: owners.get((kind, i)))
    assert reading.errors == {"tool_ids[1]": M["other_owner"].format(
        record="tool", id="taalrijk", owner="taalhuis", own="rekenfabriek")}


@pytest.mark.parametrize(("kind", "path", "message", "expected"), [
    ("tools", "$.domains[0].host", "must be a host name in lower case such as 'app.example.nl'",
     M["host"]),
    ("tools", "$.name", "is required", M["required"]),
    ("tools", "$.name", "expected `str` of length <= 200", M["too_long"].format(limit=200)),
    ("tools", "$.minimum_age", "Expected `int` <= 99", M["number_max"].format(limit=99)),
    ("tools", "$.minimum_age", "Expected `int`, got `str`", M["whole_number"]),
    ("tools", "$.data_locations[0]", "'XX' is not one of the allowed values", M["country"]),
    ("tools", "$.category", "'sport' is not one of the allowed values", M["choose"]),
    ("tools", "$.levels", "`levels` lists the same value twice", M["twice"]),
    ("tools", "$.colour", "is not a known field; remove it or check its spelling",
     M["unknown_field"]),
    ("agreements", "$.signed_on", "Invalid RFC3339 encoded date", M["date"]),
    ("agreements", "$.signed_on", "`signed_on` is required when the status is `signed`",
     M["required_for_status"].format(status="Getekend")),
    ("agreements", "$.expires_on", "`expires_on` must be after `signed_on` (2026-01-01)",
     M["after"].format(other="Getekend op", day="1 januari 2026")),
    ("agreements", "$.tool_ids[2]", "there is no tool with id 'x'",
     M["no_record"].format(record="tool", id="x")),
    ("agreements", "$.tool_ids[0]", "tool 'x' belongs to vendor 'y', not to 'z'",
     M["other_owner"].format(record="tool", id="x", owner="y", own="z")),
    ("vendors", "$.certifications[0].valid_until",
     "`valid_until` must be after `certified_on` (2020-01-01)",
     M["after"].format(other="Gecertificeerd op", day="1 januari 2020")),
    ("vendors", "$.privacy_contact.phone", "does not have the expected form (^[0-9]$)",
     M["phone"]),
    ("vendors", "$.name", "Something nobody foresaw", M["invalid"]),
])
def test_the_apis_and_an_imports_errors_in_the_same_words(kind, path, message, expected):
    assert dutch_error(kind, path, message) == expected


def test_every_choice_has_a_dutch_name():
    for kind in KINDS:
        for item in form_of(kind):
            specs = item.items if isinstance(item, Part) else (item,)
            for spec in specs:
                for value, text in spec.choices:
                    assert text and text != value, (kind, spec.path, value)
                    assert "_" not in text, (kind, spec.path, text)


def test_every_field_has_a_dutch_label():
    for kind in KINDS:
        for item in form_of(kind):
            paths = [item.path] + ([s.path for s in item.items] if isinstance(item, Part) else [])
            for path in paths:
                assert record_labels.field_label(kind, path) != path, (kind, path)


@pytest.mark.parametrize(("kind", "path", "value", "words"), [
    ("agreements", "model_version", "model_4", "Model Verwerkersovereenkomst 4.0"),
    ("agreements", "signed_on", "2026-09-01", "1 september 2026"),
    ("agreements", "deviations", False, "Nee"),
    ("tools", "levels", ["PO", "SO"], "Primair onderwijs (PO), Speciaal onderwijs (SO)"),
    ("tools", "data_locations", ["NL", "US"], "Nederland (NL); Verenigde Staten (US)"),
    ("tools", "domains", [{"host": "rekenrijk.nl", "include_subdomains": True}],
     "rekenrijk.nl (subdomeinen horen erbij)"),
    ("tools", "pseudonymisation", {"status": "compliant", "uses_eck_id": True},
     "Voldoet de tool aan de wet: Voldoet (ECK iD); Gebruikt het ECK iD: Ja"),
    ("tools", "description", "", record_labels.EMPTY),
    ("assessments", "residual_risk", "medium", "Gemiddeld"),
    ("assessments", "status", "draft", "Concept"),
])
def test_a_value_in_words(kind, path, value, words):
    assert show(kind, path, value) == words


def test_repeatable_parts_show_two_empty_rows_and_one_more_on_request():
    reading = forms.read_form("tools", posted({**VALID["tools"], "domains[0].host": "a.nl",
                                               "rijen.domains": "3"}))
    assert formview.empty_rows({"rijen.domains": ["3"]}, reading, "opslaan")["domains"] == 2
    more = formview.empty_rows({"rijen.domains": ["5"]}, reading, formview.MORE + "domains")
    assert more["domains"] == 5  # four left empty, and one more
    items = formview.build("tools", reading, formview.Choices(), empty_rows=more)
    domains = next(i for i in items if getattr(i, "name", "") == "domains")
    assert len(domains.rows) == 6
    assert [c.name for c in domains.rows[5]] == ["domains[5].host",
                                                 "domains[5].include_subdomains"]


def test_errors_are_listed_in_the_order_of_the_form_with_their_inputs_ids():
    reading = forms.read_form("tools", posted({**VALID["tools"], "name": "", "levels": [],
                                               "domains[0].host": "1.2.3.4"}))
    formcheck.check(reading)
    items = formview.build("tools", reading, formview.Choices())
    assert formview.error_list(items) == [
        ("veld-name", "Naam", M["required"]),
        ("veld-domains-0-host", "Domeinnaam 1", M["ip_host"]),
        ("veld-levels-0", "Onderwijssoorten", M["choose_one"]),
    ]
    name = next(i for i in items if getattr(i, "name", "") == "name")
    assert name.describedby == "veld-name-fout"


def test_a_vendor_reference_is_a_select_while_there_are_few():
    reading = forms.Reading("tools")
    few = formview.build("tools", reading, formview.Choices(vendors=[("a", "A B.V.")]))
    many = formview.build("tools", reading, formview.Choices(vendors=None))
    assert next(i for i in few if getattr(i, "name", "") == "vendor_id").widget == "select"
    assert next(i for i in many if getattr(i, "name", "") == "vendor_id").widget == "reference"


def test_the_form_follows_the_models():
    """A field added to a model appears in its form: nothing is left out or made up."""
    for kind, declared in KINDS.items():
        assert [item.name for item in form_of(kind)] == [
            f.name for f in msgspec.structs.fields(declared.input)]
    assert isinstance(next(i for i in form_of("tools") if i.path == "levels"), Spec)
