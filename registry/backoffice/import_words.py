"""The import's problems in Dutch: what the importer, the models, the JSON Schemas and the CSV
reader say in English (for the API and the CLI), as a procurement officer reads it.

A problem a form has too is said as the form says it (`labels.records.FORM_MESSAGES`); what only a
file can get wrong (an id twice in the file, a record changed since the export, a CSV cell,
a date not written as a bundle writes it) has its own sentence here.

Each English sentence has one pattern here; a sentence without one is shown in Dutch as
"Dit klopt niet" with the English after it, so nothing is ever hidden (a test runs every
kind of problem through these patterns and finds no such fallback).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from registry.labels import (
    AGREEMENT_STATUS_LABELS,
    AUDIENCE_LABELS,
    CATEGORY_LABELS,
    COVENANT_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    MODEL_LABELS,
    OUTCOME_LABELS,
    PSEUDONYMISATION_LABELS,
    RISK_LABELS,
    dutch_date,
)
from registry.labels.records import (
    ASSESSMENT_STATUS_LABELS,
    CHAIN_ROLE_LABELS,
    FORM_MESSAGES,
    RECORD_WORDS,
    field_label,
)
from registry.store.kinds import KINDS

FALLBACK = "Dit klopt niet"

CHOICES = {
    "category": CATEGORY_LABELS, "levels": LEVEL_LABELS, "audience": AUDIENCE_LABELS,
    "covenant_status": COVENANT_LABELS, "model_version": MODEL_LABELS,
    "agreements.status": AGREEMENT_STATUS_LABELS, "assessments.status": ASSESSMENT_STATUS_LABELS,
    "kind": KIND_LABELS, "outcome": OUTCOME_LABELS, "residual_risk": RISK_LABELS,
    "pseudonymisation.status": PSEUDONYMISATION_LABELS,
    "pseudonymisation.chain_role": CHAIN_ROLE_LABELS,
}
"""The Dutch names of the codes a field takes, to list with a wrong one."""

TYPES = {"text": "tekst", "str": "tekst", "a whole number": "een heel getal",
         "int": "een heel getal", "a number": "een getal", "float": "een getal",
         "true or false": "true of false", "bool": "true of false", "a list": "een lijst",
         "array": "een lijst", "an object": "een object", "object": "een object",
         "null": "leeg (null)"}

SINGULAR = {kind.singular: kind.name for kind in KINDS.values()}


def _plain(path: str) -> str:
    """`$.domains[0].host` → `domains.host`: a field's path without list positions."""
    return ".".join(re.findall(r"\.([^.\[]+)", path))


def field_words(kind: str | None, path: str) -> str:
    """The field at `path` (within its record) in Dutch: `Domeinnamen 1 › Domeinnaam`."""
    if kind is None:
        return {"$": "Het hele bestand", "$.fingerprints": "Fingerprints"}.get(
            path, "Fingerprints" if path.startswith("$.fingerprints") else path)
    words, dotted = [], []
    for name, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path):
        if name:
            dotted.append(name)
            words.append(field_label(kind, ".".join(dotted)))
        elif words:
            words[-1] += f" {int(index) + 1}"
    return " › ".join(words) or "Het hele record"


def _record(singular: str) -> str:
    return RECORD_WORDS[SINGULAR[singular]][0] if singular in SINGULAR else singular


def _label(kind: str | None, name: str) -> str:
    return field_label(kind, name) if kind else name


def _choices(kind: str | None, path: str) -> str:
    plain = _plain(path)
    labels = CHOICES.get(f"{kind}.{plain}") or CHOICES.get(plain)
    if not labels:
        return ""
    return " Kies uit: " + "; ".join(f"{code} ({label})" for code, label in labels.items()) + "."


def _date(iso: str) -> str:
    try:
        return dutch_date(iso)
    except ValueError:
        return iso


Sentence = Callable[[re.Match, str | None, str], str]

PROBLEMS: list[tuple[re.Pattern, Sentence]] = [
    (re.compile(r"^is required$"),
     lambda m, k, p: "Dit veld ontbreekt, en het is verplicht."),
    (re.compile(r"^is not a known field; remove it or check its spelling$"),
     lambda m, k, p: FORM_MESSAGES["unknown_field"]),
    (re.compile(r"^must be a slug\b"), lambda m, k, p: FORM_MESSAGES["slug"]),
    (re.compile(r"^must be a KvK number\b"), lambda m, k, p: FORM_MESSAGES["kvk"]),
    (re.compile(r"^must be an absolute http:// or https:// URL$"),
     lambda m, k, p: FORM_MESSAGES["url"]),
    (re.compile(r"^must be a host name\b"),
     lambda m, k, p: "Dit moet een domeinnaam in kleine letters zijn, zoals app.rekenrijk.nl: "
                     "zonder https://, poort of pad."),
    (re.compile(r"^must be an e-mail address$"), lambda m, k, p: FORM_MESSAGES["email"]),
    (re.compile(r"^does not have the expected form"),
     lambda m, k, p: FORM_MESSAGES["phone"] if _plain(p).endswith("phone") else
     "Dit heeft niet de vorm die hier nodig is."),
    (re.compile(r"^'(?P<v>.*)' is not one of the allowed values \(ISO 3166-1"),
     lambda m, k, p: f"'{m['v']}' is geen landcode. Gebruik de code van twee hoofdletters, "
                     "zoals NL, DE of US."),
    (re.compile(r"^'(?P<v>.*)' is not one of\b"),
     lambda m, k, p: f"'{m['v']}' is hier geen geldige waarde.{_choices(k, p)}"),
    (re.compile(r"^'(?P<v>.*)' is not a date written as YYYY-MM-DD"),
     lambda m, k, p: f"'{m['v']}' is geen datum zoals een bundel die schrijft: jaar-maand-dag, "
                     "bijvoorbeeld 2026-09-01 voor 1 september 2026."),
    (re.compile(r"^'(?P<v>.*)' is not a date and time\b"),
     lambda m, k, p: f"'{m['v']}' is geen datum met tijd, zoals 2026-09-01T09:30:00Z."),
    (re.compile(r"^invalid RFC3339 encoded (?P<what>date|datetime)$"),
     lambda m, k, p: "Dit is geen datum. Schrijf jaar-maand-dag, bijvoorbeeld 2026-09-01 (in "
                     "een CSV-bestand mag ook 01-09-2026)."),
    (re.compile(r"^expected `(?P<t>\w+)`, got `(?P<g>\w+)`$"),
     lambda m, k, p: f"Hier hoort {TYPES.get(m['t'], m['t'])}, maar er staat "
                     f"{TYPES.get(m['g'], m['g'])}."),
    (re.compile(r"^expected `str` of length >= 1$|^must not be empty$"),
     lambda m, k, p: "Dit mag niet leeg zijn."),
    (re.compile(r"^expected `str` of length (?P<op>[<>]=) (?P<n>\d+)$"),
     lambda m, k, p: FORM_MESSAGES["too_long" if m["op"] == "<=" else "too_short"].format(
         limit=m["n"])),
    (re.compile(r"^must be at (?P<w>least|most) (?P<n>\d+) characters"),
     lambda m, k, p: FORM_MESSAGES["too_short" if m["w"] == "least" else "too_long"].format(
         limit=m["n"])),
    (re.compile(r"^expected `array` of length >= 1$|^must list at least one value$"),
     lambda m, k, p: "Noem er minstens één."),
    (re.compile(r"^expected `array` of length <= (?P<n>\d+)$|"
                r"^must list at most (?P<m>\d+) values"),
     lambda m, k, p: FORM_MESSAGES["too_many"].format(limit=m["n"] or m["m"])),
    (re.compile(r"^expected `array` of length >= (?P<n>\d+)$|"
                r"^must list at least (?P<m>\d+) values"),
     lambda m, k, p: f"Noem er minstens {m['n'] or m['m']}."),
    (re.compile(r"^expected `(?:int|float)` (?P<op>[<>]=) (?P<n>-?\d+)$|"
                r"^must be (?P<m>-?\d+) or (?P<w>more|less)$"),
     lambda m, k, p: FORM_MESSAGES["number_min" if m["op"] == ">=" or m["w"] == "more"
                                   else "number_max"].format(limit=m["n"] or m["m"])),
    (re.compile(r"^(?:`\w+` )?lists the same value twice$"),
     lambda m, k, p: FORM_MESSAGES["twice"]),
    (re.compile(r"^`(?P<a>\w+)` must be after `(?P<b>\w+)` \((?P<d>[\d-]+)\)$"),
     lambda m, k, p: FORM_MESSAGES["after"].format(other=_label(k, m["b"]), day=_date(m["d"]))),
    (re.compile(r"^`(?P<a>\w+)` is required when the status is `(?P<s>\w+)`$"),
     lambda m, k, p: FORM_MESSAGES["required_for_status"].format(status=_status(k, m["s"]))),
    (re.compile(r"^`deviations_summary` is required when `deviations` is true$"),
     lambda m, k, p: FORM_MESSAGES["deviations_summary"]),
    (re.compile(r"^`conditions` must list at least one condition when the outcome is "
                r"`(?P<o>\w+)`$"),
     lambda m, k, p: FORM_MESSAGES["conditions_required"].format(
         outcome=OUTCOME_LABELS.get(m["o"], m["o"]))),
    (re.compile(r"^`covenant_since` is only meaningful with a covenant status$"),
     lambda m, k, p: FORM_MESSAGES["covenant_since"]),
    (re.compile(r"^`(?P<a>\w+)` or `(?P<b>\w+)` is required"),
     lambda m, k, p: f"Vul '{_label(k, m['a'])}' of '{_label(k, m['b'])}' in."),
    (re.compile(r"^there is no (?P<r>[a-z ]+) with id '(?P<id>.*)' in this file or in the "
                r"registry$"),
     lambda m, k, p: f"Er is geen {_record(m['r'])} met id '{m['id']}', niet in dit bestand en "
                     "niet in het register."),
    (re.compile(r"^there is no (?P<r>[a-z ]+) with id '(?P<id>.*)'$"),
     lambda m, k, p: FORM_MESSAGES["no_record"].format(record=_record(m["r"]), id=m["id"])),
    (re.compile(r"^(?P<r>[a-z ]+) '(?P<id>.*)' belongs to (?P<o>[a-z ]+) '(?P<their>.*)', not to "
                r"'(?P<own>.*)'$"),
     lambda m, k, p: FORM_MESSAGES["other_owner"].format(
         record=_record(m["r"]), id=m["id"], owner=m["their"], own=m["own"])),
    (re.compile(r"^'(?P<id>.*)' is also the id of \$\.(?P<kind>\w+)\[(?P<i>\d+)\]; an id may "
                r"appear only once per kind$"),
     lambda m, k, p: f"De id '{m['id']}' staat ook bij {_record_of(m['kind'])} nr. "
                     f"{int(m['i']) + 1} in dit bestand; een id mag per soort maar één keer "
                     "voorkomen."),
    (re.compile(r"^the (?P<r>[a-z ]+) '(?P<id>.*)' is archived in the registry and can no longer "
                r"change$"),
     lambda m, k, p: f"De {_record(m['r'])} '{m['id']}' is gearchiveerd in het register en kan "
                     "niet meer veranderen."),
    (re.compile(r"^the (?P<r>[a-z ]+) '(?P<id>.*)' in the registry \(version (?P<v>\d+), changed "
                r"(?P<at>[\d-]+) (?P<time>[\d:]+) UTC\) is not the one this file was exported "
                r"from"),
     lambda m, k, p: f"De {_record(m['r'])} '{m['id']}' is in het register gewijzigd sinds dit "
                     f"bestand werd geëxporteerd (nu versie {m['v']}, gewijzigd op "
                     f"{_date(m['at'])} om {m['time']} UTC). Importeren zou die wijziging "
                     "overschrijven."),
    (re.compile(r"^the (?P<r>[a-z ]+) '(?P<id>.*)' exists in the registry \(version (?P<v>\d+)\) "
                r"and this file has no fingerprint"),
     lambda m, k, p: f"De {_record(m['r'])} '{m['id']}' staat al in het register (versie "
                     f"{m['v']}), en het bestand zegt niet van welke versie het uitgaat (er is "
                     "geen fingerprint). Importeren zou het record in het register "
                     "overschrijven."),
    (re.compile(r"^line (?P<l>\d+) has (?P<n>\d+) cells but the first line names (?P<c>\d+) "
                r"columns$"),
     lambda m, k, p: f"Regel {m['l']} heeft {m['n']} cellen, maar de eerste regel noemt "
                     f"{m['c']} kolommen."),
    (re.compile(r"^'(?P<v>.*)' is one part too many \((?P<parts>.*)\)$"),
     lambda m, k, p: f"'{m['v']}' is een deel te veel; de delen zijn: {m['parts']}."),
    (re.compile(r"^'(?P<v>.*)' is not a valid key"),
     lambda m, k, p: f"'{m['v']}' is geen geldige sleutel: schrijf soort/id, bijvoorbeeld "
                     "tools/rekenrijk."),
    (re.compile(r"^must be (?P<t>.+)$"),
     lambda m, k, p: _must_be(m["t"])),
    (re.compile(r"^has the wrong type$|^is not valid here$"),
     lambda m, k, p: "Dit hoort hier niet zo."),
]


def _must_be(what: str) -> str:
    if what in TYPES:
        return f"Hier hoort {TYPES[what]}."
    types = [TYPES.get(t.strip()) for t in what.split(" or ")]
    if all(types):
        return f"Hier hoort {' of '.join(types)}."
    return f"{FALLBACK} (must be {what})."


def _status(kind: str | None, code: str) -> str:
    labels = ASSESSMENT_STATUS_LABELS if kind == "assessments" else AGREEMENT_STATUS_LABELS
    return labels.get(code, code)


def _record_of(kind: str) -> str:
    return RECORD_WORDS[kind][0] if kind in RECORD_WORDS else kind


def dutch_problem(kind: str | None, path: str, message: str) -> str:
    """The importer's `message` about the field at `path` of a record of `kind`, in Dutch."""
    for pattern, sentence in PROBLEMS:
        if m := pattern.search(message):
            return sentence(m, kind, path)
    return f"{FALLBACK} ({message})."


# --- a file that cannot be read at all ---------------------------------------------------------


def dutch_file_error(detail: str, raw: bytes) -> str:
    """Why a file cannot be read at all (`RegistryError.detail` of the readers), in Dutch."""
    if "is nested too deeply" in detail:
        return ("Het bestand is te diep genest: lijsten en objecten mogen hoogstens 64 niveaus "
                "in elkaar zitten. Er is niets geïmporteerd.")
    if "is not valid JSON" in detail:
        if m := re.search(r"\(byte (\d+)\)", detail):
            line = raw[:int(m[1])].count(b"\n") + 1
            return (f"Het bestand is geen geldige JSON: er klopt iets niet op regel {line}. "
                    "Controleer daar de aanhalingstekens, komma's en haakjes. Er is niets "
                    "geïmporteerd.")
        return ("Het bestand is geen geldige JSON, of het houdt halverwege op. Controleer de "
                "aanhalingstekens, komma's en haakjes. Er is niets geïmporteerd.")
    if "is empty: the first line should name the columns" in detail:
        return ("Het CSV-bestand is leeg: de eerste regel moet de namen van de kolommen geven. "
                "Er is niets geïmporteerd.")
    if m := re.search(r"column (\d+) has no name in the first line", detail):
        return (f"Kolom {m[1]} heeft geen naam in de eerste regel van het CSV-bestand. Er is "
                "niets geïmporteerd.")
    if m := re.search(r"the column '(.*)' appears more than once", detail):
        return (f"De kolom '{m[1]}' staat meer dan één keer in het CSV-bestand. Er is niets "
                "geïmporteerd.")
    if "Cannot tell which kind of record" in detail:
        return ("We kunnen niet zien welke soort records in het CSV-bestand staat. Kies de soort "
                "bij 'Soort records', of geef het bestand de naam van de soort, zoals "
                "leveranciers.csv, tools.csv, overeenkomsten.csv of beoordelingen.csv. Er is "
                "niets geïmporteerd.")
    return f"Het bestand kan niet gelezen worden ({detail}). Er is niets geïmporteerd."
