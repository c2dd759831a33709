"""Every Dutch word a person reads: verdicts, categories, levels, agreement models, dates and
the sentences that recur.

Keyed by the codes as they travel (the models' StrEnums equal their values, so a member finds
its label), so both wings read them without importing each other: the verdict's reasons, the
publisher's columns, the public pages and the Datasette plugin. Standard library only.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

# --- the verdict ------------------------------------------------------------------------------


class VerdictWords(NamedTuple):
    """What a teacher reads about a verdict: its label, an icon, what it means, what to do."""

    label: str
    icon: str
    meaning: str
    next_step: str


VERDICTS: dict[str, VerdictWords] = {
    "allowed": VerdictWords(
        "Toegestaan", "✔",
        "De tool voldoet aan alle eisen.",
        "Je mag de tool in de les gebruiken."),
    "allowed_with_conditions": VerdictWords(
        "Toegestaan onder voorwaarden", "!",
        "De tool voldoet aan de eisen, maar alleen als je je aan de voorwaarden houdt.",
        "Lees de voorwaarden bij het oordeel. Gebruik de tool alleen zo."),
    "not_allowed": VerdictWords(
        "Niet toegestaan", "✖",
        "De tool voldoet niet aan een of meer eisen. Bij het oordeel staat welke.",
        "Gebruik de tool niet met leerlingen. Kies een tool die wel is toegestaan."),
    "under_review": VerdictWords(
        "In beoordeling", "…",
        "We onderzoeken de tool nu. Er is nog geen oordeel.",
        "Gebruik de tool nog niet met gegevens van leerlingen. Kijk later nog eens."),
    "not_assessed": VerdictWords(
        "Niet beoordeeld", "?",
        "Niemand heeft de tool nog onderzocht.",
        "Gebruik de tool niet met gegevens van leerlingen. Vraag om een beoordeling."),
}
"""Best first, as the pages list them."""
VERDICT_LABELS: dict[str, str] = {code: words.label for code, words in VERDICTS.items()}

# --- tools and vendors ------------------------------------------------------------------------

CATEGORY_LABELS = {
    "learning_material": "Lesmateriaal",
    "practice": "Oefenen",
    "assessment": "Toetsen",
    "pupil_administration": "Leerlingadministratie",
    "communication": "Communicatie",
    "productivity": "Productiviteit",
    "content_creation": "Content maken",
    "ai_assistant": "AI-assistent",
    "other": "Overig",
}
LEVEL_LABELS = {"PO": "primair onderwijs", "VO": "voortgezet onderwijs", "SO": "speciaal onderwijs"}
AUDIENCE_LABELS = {
    "pupils": "leerlingen",
    "teachers": "leraren",
    "staff": "medewerkers",
    "parents": "ouders",
}
COVENANT_LABELS = {"participant": "Deelnemer", "supporter": "Medestander", "none": "Geen"}
PSEUDONYMISATION_LABELS = {
    "compliant": "Voldoet (ECK iD)",
    "non_compliant": "Voldoet niet",
    "not_applicable": "Niet van toepassing",
    "unknown": "Onbekend",
}

# --- agreements -------------------------------------------------------------------------------

MODEL_LABELS = {
    "model_4": "Model Verwerkersovereenkomst 4.0",
    "model_3": "Model Verwerkersovereenkomst 3.0",
    "model_2": "Model Verwerkersovereenkomst 2.0",
    "general": "Algemeen model (medestanders)",
    "own": "Eigen tekst van de leverancier",
}
"""A column of the whitelist."""
MODEL_PHRASES = {
    "model_4": "het Model Verwerkersovereenkomst 4.0",
    "model_3": "het Model Verwerkersovereenkomst 3.0",
    "model_2": "het Model Verwerkersovereenkomst 2.0",
    "general": "het algemene model voor medestanders van het Privacyconvenant",
    "own": "een eigen tekst van de leverancier",
}
"""Inside a sentence of a verdict's reasons."""
AGREEMENT_STATUS_LABELS = {
    "offered": "Aangeboden",
    "in_review": "In behandeling",
    "signed": "Getekend",
    "terminated": "Beëindigd",
    "expired": "Verlopen",
    "none": "Geen verwerkersovereenkomst",
    "not_needed": "Niet nodig (geen persoonsgegevens)",
}
AGREEMENT_STATUS_SENTENCES = {
    "offered": "De verwerkersovereenkomst is aangeboden, maar nog niet getekend.",
    "in_review": "De verwerkersovereenkomst wordt nog bekeken en is niet getekend.",
    "terminated": "De verwerkersovereenkomst is beëindigd.",
}
"""The reason of an agreement that is not signed."""

# --- assessments ------------------------------------------------------------------------------

KIND_LABELS = {
    "dpia": "DPIA",
    "privacy_quickscan": "Korte privacyscan",
    "security": "Beveiligingsonderzoek",
}
KIND_PHRASES = {
    "dpia": "een DPIA",
    "privacy_quickscan": "een korte privacyscan",
    "security": "een beveiligingsonderzoek",
}
"""Inside a sentence of a verdict's reasons."""
OUTCOME_LABELS = {
    "approved": "Goedgekeurd",
    "approved_with_conditions": "Goedgekeurd onder voorwaarden",
    "rejected": "Afgekeurd",
}
RISK_LABELS = {"low": "laag", "medium": "gemiddeld", "high": "hoog"}

# --- publications -----------------------------------------------------------------------------

CHANGE_LABELS = {
    "added": "Toegevoegd",
    "removed": "Verwijderd",
    "verdict_changed": "Oordeel gewijzigd",
}
RULE_LABELS = {
    "agreement": "Verwerkersovereenkomst",
    "pseudonymisation": "Pseudonimisering (ECK iD)",
    "assessment": "Beoordeling",
    "residual_risk": "Restrisico",
    "data_location": "Waar de gegevens staan",
    "conditions": "Voorwaarden",
    "reassessment": "Herbeoordeling",
}
"""The minimum standards by rule id, as headings of a verdict's reasons."""
NOT_PUBLISHED = "Er is nog geen witte lijst gepubliceerd. Probeer het later opnieuw."
DISCLAIMER = (
    "Deze lijst is een advies aan schoolbesturen, geen juridisch advies. Elk bestuur beslist "
    "zelf en kan eigen voorwaarden stellen. Elk oordeel zegt op welke beoordeling het "
    "rust, wie die deed en wanneer."
)
"""Under every page of the whitelist, unless its metadata says it otherwise."""

# --- countries and dates ----------------------------------------------------------------------

# Every EEA and adequacy country, and the usual places of data centres; others get a phrase.
COUNTRY_NAMES = {
    **dict(
        pair.split(":")
        for pair in (
            "AT:Oostenrijk BE:België BG:Bulgarije CY:Cyprus CZ:Tsjechië DE:Duitsland DK:Denemarken "
            "EE:Estland ES:Spanje FI:Finland FR:Frankrijk GR:Griekenland HR:Kroatië HU:Hongarije "
            "IE:Ierland IS:IJsland IT:Italië LI:Liechtenstein LT:Litouwen LU:Luxemburg LV:Letland "
            "MT:Malta NL:Nederland NO:Noorwegen PL:Polen PT:Portugal RO:Roemenië SE:Zweden "
            "SI:Slovenië SK:Slowakije CH:Zwitserland JP:Japan CA:Canada IL:Israël UY:Uruguay "
            "AR:Argentinië AD:Andorra GG:Guernsey JE:Jersey CN:China IN:India RU:Rusland "
            "AU:Australië SG:Singapore BR:Brazilië TR:Turkije HK:Hongkong TW:Taiwan UA:Oekraïne "
            "MX:Mexico ID:Indonesië VN:Vietnam MY:Maleisië TH:Thailand PK:Pakistan EG:Egypte "
            "NG:Nigeria KE:Kenia CL:Chili CO:Colombia MA:Marokko MC:Monaco RS:Servië"
        ).split()
    ),
    "GB": "het Verenigd Koninkrijk",
    "US": "de Verenigde Staten",
    "NZ": "Nieuw-Zeeland",
    "KR": "Zuid-Korea",
    "ZA": "Zuid-Afrika",
    "FO": "de Faeröer",
    "IM": "het eiland Man",
    "AE": "de Verenigde Arabische Emiraten",
    "PH": "de Filipijnen",
    "SA": "Saoedi-Arabië",
    "SM": "San Marino",
}
OTHER_COUNTRY = "een ander land"
MONTHS = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()


def dutch_date(day: dt.date | str) -> str:
    """A date or its ISO text ('2026-11-28', '2026-11-28T10:00:00Z'): '28 november 2026'."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def dutch_datetime(moment: dt.datetime | str) -> str:
    """A moment as the Netherlands reads it: '28 november 2026 om 10:15'."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(_amsterdam())
    return f"{dutch_date(moment.date())} om {moment:%H:%M}"


def _amsterdam() -> dt.tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo("Europe/Amsterdam")
    except ZoneInfoNotFoundError:  # a system without time zone data: say it is UTC time
        return dt.UTC
