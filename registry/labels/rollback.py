"""The words of a rollback (a publication that serves an earlier one's content again) and of
the back office's list of publications. Read by both wings: the change feed and the
changelog say which version a publication restores; imports nothing."""

from __future__ import annotations

RESTORES = "Herstelt versie {version}"
"""A publication that serves version {version}'s content again: in the changelog, the feed,
the back office."""
RESTORES_REASON = "Herstelt versie {version}. {reason}"
"""The reason of a change that a rollback made, as the changelog and the feed keep it."""
FEED_RESTORE_TITLE = "Versie {version}: herstelt versie {restores}"
FEED_RESTORE_SUMMARY = ("Publicatie {version} van {date} zet de inhoud van versie {restores} "
                        "terug, zoals die toen is gepubliceerd.")
"""The feed's entry of a rollback itself (also when no tool changed by it)."""

RESTORED_NOTICE = "Versie {version} zet versie {restores} terug."
RESTORE_BUTTON = "Deze versie terugzetten"
RESTORE_CONFIRM = "Ja, zet versie {version} terug"
RESTORE_NOT_KEPT = ("Versie {version} kan niet worden teruggezet: alleen de laatste {keep} "
                    "gepubliceerde bestanden worden bewaard.")
RESTORE_CURRENT = "Versie {version} is de versie die nu gepubliceerd is."
AUTOMATIC = "automatisch"
"""Who published a due publication: nobody, the daily job."""

PUBLICATION_WORDS = {
    "title": "Publicaties",
    "intro": ("Elke publicatie van de witte lijst, de nieuwste eerst. Van de laatste {keep} "
              "is het bestand bewaard; zo'n versie kun je terugzetten. Terugzetten maakt een "
              "nieuwe versie met precies de inhoud van de oude."),
    "version": "Versie",
    "date": "Gepubliceerd op",
    "policy": "Minimumeisen",
    "counts": "Tools",
    "changes": "Wijzigingen",
    "who": "Door",
    "kept": "Bestand bewaard",
    "yes": "ja",
    "no": "nee",
    "none": "Er is nog niets gepubliceerd.",
    "prepared_by": "voorbereid door {name}",
    "approved_by": "goedgekeurd door {name}",
    "published_by": "gepubliceerd door {name}",
    "change_counts": "{added} erbij, {removed} eraf, {changed} ander oordeel",
    "confirm_title": "Versie {version} terugzetten",
    "confirm_text": ("De witte lijst krijgt weer de inhoud van versie {version}, van {date}: "
                     "{tools} tools. Dat wordt een nieuwe versie ({next}); wat daarna is "
                     "gewijzigd, gaat van de lijst af tot de volgende publicatie. Een tweede "
                     "publicist hoeft dit niet goed te keuren: deze inhoud is eerder "
                     "goedgekeurd."),
    "cancel": "Terug naar de publicaties",
    "current": "nu gepubliceerd",
}
