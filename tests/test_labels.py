"""One vocabulary: every Dutch label defined once, for every code, with nothing but the
standard library."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from registry import labels, models
from registry.verdict import VerdictCode

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
], ids=lambda x: getattr(x, "__name__", ""))
def test_every_code_has_its_words(codes, words):
    assert set(words) == set(codes)
    assert all(words[code] for code in codes)  # a member finds its label


def test_every_agreement_status_has_its_words():
    statuses = set(models.AgreementStatus)
    assert statuses | {"expired", "none", "not_needed"} == set(labels.AGREEMENT_STATUS_LABELS)
    assert set(labels.AGREEMENT_STATUS_SENTENCES) == statuses - {"signed"}


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


def _words() -> set[str]:
    """Every label, phrase and sentence of the vocabulary longer than a sign."""
    found = set(labels.MONTHS) | {labels.NOT_PUBLISHED, labels.DISCLAIMER}
    for name, value in vars(labels).items():
        if name.isupper() and isinstance(value, dict):
            for item in value.values():
                found.update([item] if isinstance(item, str) else item)
    return {word for word in found if len(word) > 3}


def test_each_label_is_defined_once():
    words, elsewhere = _words(), []
    assert {"Toegestaan onder voorwaarden", "Oefenen", "november"} <= words
    for path in PACKAGE.rglob("*.py"):
        if path.name != "labels.py":
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
