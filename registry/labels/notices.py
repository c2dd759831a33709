"""The Dutch words of the expiry overview (/beheer/verloopt), the notices page
(/beheer/meldingen) and the daily e-mail digest. Standard library only."""

from __future__ import annotations

EXPIRY_PROBLEMS = {
    "dag": "Vul een datum in als JJJJ-MM-DD, bijvoorbeeld 2026-12-31.",
    "binnen": "Kies 30, 60 of 90 dagen.",
}
"""The expiry overview's choices, when a value in the address is not one of them."""

MAIL_OFF = ("De server verstuurt nog geen e-mail: vraag de beheerder REGISTRY_SMTP_HOST in "
            "te stellen.")
DIGEST_CHOICE = "Dagelijks overzicht per e-mail"
DIGEST_SAVED = {True: "Je krijgt voortaan elke dag een overzicht per e-mail.",
                False: "Je krijgt geen dagelijks overzicht per e-mail meer."}

DIGEST_SENDER = "Witte lijst"
DIGEST_SUBJECT = DIGEST_SENDER + ": overzicht van {date}"
DIGEST_WORDS = {
    "greeting": "Hallo {name},",
    "intro": "Dit is het dagelijkse overzicht van de witte lijst van {date}.",
    "expiring": "Verloopt binnen {days} dagen",
    "expired": "Verlopen sinds het vorige overzicht",
    "asks": "Nieuwe verzoeken om beoordeling",
    "changes": "Veranderde oordelen",
    "last_day": "laatste geldige dag {date}",
    "today": "vandaag",
    "one_day": "nog 1 dag",
    "days": "nog {n} dagen",
    "asked_once": "1 keer gevraagd",
    "asked": "{n} keer gevraagd",
    "no_name": "(geen naam)",
    "in_version": "publicatie {version}",
    "by_itself": "vanzelf op {date}",
    "from_to": "van ‘{before}’ naar ‘{after}’",
    "more": "- … en nog {n}: zie het beheer.",
    "link": "Meer in het beheer: {url}",
    "stop": "Geen overzicht meer ontvangen? Zet het uit op {url}",
}

DIGEST_OUTCOMES = {
    "sent": "{n} berichten verstuurd",
    "sent_one": "1 bericht verstuurd",
    "nothing": "niets te melden",
    "done": "al verstuurd vandaag",
    "busy": "wordt al verstuurd",
    "no_mail": "geen e-mailserver ingesteld",
    "no_one": "niemand wil het overzicht ontvangen",
    "failed": "versturen mislukt: {reason}",
}
"""What `registry digest` and the daily job say they did."""
