"""Every Dutch word a person reads: verdicts, categories, levels, agreement models, dates and
the sentences that recur.

Keyed by the codes as they travel (the models' StrEnums equal their values, so a member finds
its label), so both wings read them without importing each other: the verdict's reasons, the
publisher's columns, the public pages and the Datasette plugin. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
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


# --- the check: the verdict of today, school types, "Bedoel je" -------------------------------

CHANGE_WARNING = "Let op: dit oordeel verandert op {day}. {then}"
"""Within 60 days of the day a verdict changes by itself; `then` from NEXT_VERDICT_PHRASES."""
NEXT_VERDICT_PHRASES = {
    "allowed": "Vanaf dan is de tool toegestaan.",
    "allowed_with_conditions": "Vanaf dan mag je de tool alleen onder voorwaarden gebruiken.",
    "not_allowed": "Vanaf dan is de tool niet meer toegestaan: kies dan een andere tool.",
    "under_review": ("Vanaf dan is de tool in beoordeling: gebruik hem dan niet meer met "
                     "gegevens van leerlingen."),
    "not_assessed": ("Vanaf dan is de tool niet meer beoordeeld: gebruik hem dan niet meer met "
                     "gegevens van leerlingen."),
}
LEVEL_SHORT_LABELS = {
    "PO": "primair onderwijs (PO)",
    "VO": "voortgezet onderwijs (VO)",
    "SO": "speciaal onderwijs (SO)",
}
"""A school type with its abbreviation, as teachers know both."""
CHECK_WORDS = {
    "levels": "Voor het {levels}.",
    "levels_and_age": "Voor het {levels}, voor leerlingen vanaf {age} jaar.",
    "no_levels": "Het is niet bekend voor welk soort onderwijs de tool is.",
    "other_level": ("Let op: deze tool is niet bedoeld voor het {level}. Hij is alleen "
                    "beoordeeld voor het {levels}."),
    "too_young": ("Let op: deze tool is voor leerlingen vanaf {age} jaar. In het {level} zijn "
                  "leerlingen vaak jonger: gebruik de tool niet met jongere leerlingen."),
    "found": "Gevonden: {name}",
    "found_host": "{host} hoort bij {name}",
    "did_you_mean_one": "Bedoel je {name}? Kies de tool als je die bedoelt.",
    "did_you_mean": "Bedoel je een van deze tools? Kies de tool die je bedoelt.",
    "vendor": "Bedoel je een tool van {vendor}? Kies de tool die je bedoelt.",
    "vendor_many": "Bedoel je een tool van deze leveranciers? Kies de tool die je bedoelt.",
    "level_choice": "Ik werk in het",
    "level_any": "alle soorten onderwijs",
}
"""The check's sentences; a name or host ends a sentence through `sentence`."""
TEACHER_WORDS = (
    ("Wet pseudonimisering leerlinggegevens",
     "wet die namen van leerlingen afschermt (Wet pseudonimisering leerlinggegevens)"),
    ("Pseudonimisering", "Het afschermen van namen van leerlingen (pseudonimisering)"),
    ("verwerkersovereenkomst", "afspraak over de gegevens (verwerkersovereenkomst)"),
    ("DPIA", "privacyonderzoek (DPIA)"),
    ("restrisico", "overgebleven risico (restrisico)"),
)
"""Jargon in the verdict's sentences → the words a teacher uses, the term in brackets."""


def sentence(text: str) -> str:
    """`text` ending in one full stop: 'Sommenstad B.V.' stays as it is, never 'B.V..'."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."


_TEACHER_TERMS = tuple((term, re.compile(rf"(?<![\w(]){re.escape(term)}(?![\w)])"), plain)
                       for term, plain in TEACHER_WORDS)


@functools.lru_cache(maxsize=4096)
def in_teacher_words(text: str) -> str:
    """A verdict's sentence with each term of TEACHER_WORDS explained at its first use
    (kept: a check shows about five, and a policy's sentences repeat from tool to tool)."""
    for term, pattern, plain in _TEACHER_TERMS:
        if term in text:  # most sentences hold none: no regular expression for them
            text = pattern.sub(plain, text, count=1)
    return text


# --- open data, downloads and the change feed -------------------------------------------------
FEED_TITLE = "Wijzigingen in de witte lijst"
FEED_ENTRY = "Publicatie {version} van {date}: van ‘{before}’ naar ‘{after}’. {reason}"
"""One change in the Atom feed: what changed, from what to what, and why."""
FEED_ENTRY_NEW_OR_GONE = "Publicatie {version} van {date}. {reason}"
"""A tool added to or removed from the list: its reason says the verdict."""
FEED_ENTRY_BY_ITSELF = ("Op {date} veranderde het oordeel vanzelf van ‘{before}’ in ‘{after}’, "
                        "zonder nieuwe publicatie. {reason}")
"""A verdict that changed on its day (an agreement or assessment ran out) since the last
publication."""
FEED_LEVEL_UNKNOWN = "Kies voor niveau PO, VO of SO, of laat het weg voor alle onderwijssoorten."
NO_HISTORY = "Deze publicatie heeft nog geen geschiedenis van wijzigingen."


# --- tool pages, the list and the public error pages ------------------------------------------
LIST_PROBLEMS = {
    "oordeel": "Dat oordeel kennen we niet. Kies een oordeel uit de lijst.",
    "niveau": "Dat soort onderwijs kennen we niet. Kies PO, VO of SO.",
    "categorie": "Die soort tool kennen we niet. Kies een soort uit de lijst.",
    "leeftijd": "Kies bij leeftijd een getal van 4 tot en met 20.",
    "pagina": "Dat paginanummer kennen we niet. Kies een pagina van 1 of hoger.",
}
"""The list's filters, when a value in the address is not one of the choices."""
