"""One vocabulary: every Dutch label defined once, for every code, with nothing but the
standard library."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import datetime as dt
import json
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from registry import labels, models
from registry.labels import records as record_labels
from registry.verdict import RULE_IDS, VerdictCode

PACKAGE = Path(__file__).resolve().parent.parent / "registry"


@pytest.mark.parametrize(("codes", "words"), [
    (models.Category, labels.CATEGORY_LABELS),
    (models.Level, labels.LEVEL_LABELS),
    (models.Audience, labels.AUDIENCE_LABELS),
    (models.CovenantStatus, labels.COVENANT_LABELS),
    (models.PseudonymisationStatus, labels.PSEUDONYMISATION_LABELS),
    (models.ModelVersion, labels.MODEL_LABELS),
    (models.ModelVersion, labels.MODEL_PHRASES),
    (models.AssessmentKind, labels.KIND_LABELS),
    (models.AssessmentKind, labels.KIND_PHRASES),
    (models.Outcome, labels.OUTCOME_LABELS),
    (models.Risk, labels.RISK_LABELS),
    (VerdictCode, labels.VERDICTS),
    (models.ChainRole, record_labels.CHAIN_ROLE_LABELS),
    (models.AssessmentStatus, record_labels.ASSESSMENT_STATUS_LABELS),
], ids=lambda x: getattr(x, "__name__", ""))
def test_every_code_has_its_words(codes, words):
    assert set(words) == set(codes)
    assert all(words[code] for code in codes)  # a member finds its label


def test_every_agreement_status_has_its_words():
    statuses = set(models.AgreementStatus)
    assert statuses | {"expired", "none", "not_needed"} == set(labels.AGREEMENT_STATUS_LABELS)
    assert set(labels.AGREEMENT_STATUS_SENTENCES) == statuses - {"signed"}


def test_every_country_rule_and_record_change_has_its_words():
    assert set(record_labels.COUNTRY_LABELS) == models.COUNTRY_CODES
    assert record_labels.COUNTRY_LABELS["GB"] == "Verenigd Koninkrijk"  # no article in a choice
    assert record_labels.COUNTRY_LABELS["AF"] == "Afghanistan"
    assert len(set(record_labels.COUNTRY_LABELS.values())) == len(record_labels.COUNTRY_LABELS)
    assert set(labels.RULE_LABELS) == set(RULE_IDS)
    record_actions = {"create", "update", "archive", "restore", "import"}
    assert record_actions <= set(typing.get_args(typing.get_type_hints(models.Event)["action"]))
    assert set(record_labels.ACTION_LABELS) == record_actions
    assert set(record_labels.RECORD_WORDS) == set(models.RECORD_TYPES)


def test_every_field_of_a_record_has_a_label():
    import msgspec

    for kind, (input_type, stored_type) in models.RECORD_TYPES.items():
        for field in msgspec.structs.fields(stored_type):
            assert record_labels.field_label(kind, field.name) != field.name, (kind, field.name)
    assert record_labels.field_label("vendors", "country") == "Land van vestiging"  # a kind's own
    assert record_labels.field_label("tools", "sub_processors.country") == "Land van de subverwerker"


@pytest.mark.parametrize(("moment", "expected"), [
    ("2026-11-28T09:15:00Z", "28 november 2026 om 10:15"),  # winter time: UTC+1
    ("2026-07-01T09:15:00+00:00", "1 juli 2026 om 11:15"),  # summer time: UTC+2
    (dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC), "29 maart 2026 om 01:30"),
])
def test_dutch_datetime(moment, expected):
    assert labels.dutch_datetime(moment) == expected


def test_the_verdict_label_is_the_vocabularys():
    for code in VerdictCode:
        assert code.label == labels.VERDICTS[code].label == labels.VERDICT_LABELS[code]


@pytest.mark.parametrize(("day", "expected"), [
    ("2026-11-28", "28 november 2026"),
    ("2026-03-01T10:00:00Z", "1 maart 2026"),
    (dt.date(2027, 1, 9), "9 januari 2027"),
])
def test_dutch_date(day, expected):
    assert labels.dutch_date(day) == expected


def _vocabulary() -> list:
    """Every module of the vocabulary package."""
    return [labels, *(importlib.import_module(f"registry.labels.{info.name}")
                      for info in pkgutil.iter_modules(labels.__path__))]


def _words() -> set[str]:
    """Every label, phrase and sentence of the vocabulary longer than a sign."""
    found = set(labels.MONTHS) | {labels.NOT_PUBLISHED, labels.DISCLAIMER}
    for name, value in [item for module in _vocabulary() for item in vars(module).items()]:
        if name.isupper() and isinstance(value, dict):
            for item in value.values():
                found.update([item] if isinstance(item, str) else item)
    # The names of the kinds of record are also the words of URLs (/beheer/leveranciers),
    # of import file names and, for "tool" and "tools", of the codes themselves.
    found -= {word for words in record_labels.RECORD_WORDS.values() for word in words}
    return {word for word in found if len(word) > 3}


def test_each_label_is_defined_once():
    words, elsewhere = _words(), []
    assert {"Toegestaan onder voorwaarden", "Oefenen", "november"} <= words
    for path in PACKAGE.rglob("*.py"):
        if "labels" not in path.relative_to(PACKAGE).parts[:1]:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value in words:
                    elsewhere.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value!r}")
    for path in PACKAGE.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        elsewhere += [f"{path.relative_to(PACKAGE)} {label!r}"
                      for label in labels.VERDICT_LABELS.values() if f">{label}<" in text
                      or f"> {label}<" in text]
    assert elsewhere == []


def test_the_embed_script_names_the_months_as_the_vocabulary_does():
    # JavaScript in a school's page cannot import Python: the one copy, kept in step.
    script = (PACKAGE / "whitelist" / "static" / "embed.js").read_text(encoding="utf-8")
    months = re.search(r"var MONTHS = (\[.*?\]);", script, re.S)[1]
    assert json.loads(months) == labels.MONTHS


def test_the_whitelist_metadata_describes_the_labels_it_shows():
    metadata = json.loads((PACKAGE.parent / "datasette-metadata.json").read_text())
    columns = metadata["databases"]["witte-lijst"]["tables"]["tools"]["columns"]
    for column, words in [("category_label", labels.CATEGORY_LABELS),
                          ("verdict_label", labels.VERDICT_LABELS)]:
        assert all(label in columns[column] for label in words.values()), column


def test_the_vocabulary_needs_only_the_standard_library():
    code = ("import sys; before = set(sys.modules); import registry.labels; "
            "print('\\n'.join(sorted(set(sys.modules) - before)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split()
    assert "registry.labels" in loaded
    outside = [m for m in loaded if m.partition(".")[0] not in sys.stdlib_module_names
               and m not in ("registry", "registry.labels")]
    assert outside == []

