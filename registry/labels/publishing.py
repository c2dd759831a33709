"""The words of /beheer/publiceren: the preview of the next publication, four eyes (one
publicist prepares, another approves) and proposed policies. Standard library only."""

from __future__ import annotations

STALE_REASONS = {
    "records": "Er zijn leveranciers, tools, verwerkersovereenkomsten of beoordelingen "
               "gewijzigd nadat de publicatie is voorbereid.",
    "policy": "De minimumeisen zijn gewijzigd nadat dit is voorbereid.",
    "published": "Er is intussen een andere publicatie gedaan.",
    "day": "De publicatie is op een andere dag voorbereid, en een publicatie bevat de oordelen "
           "van de dag zelf.",
    "file": "Het voorbereide bestand is weg of de inhoud klopt niet meer met de vastgelegde "
            "vingerafdruk (sha256).",
}
"""Why a preparation can no longer be approved (`registry.publish.prepare.STALE_WHY`)."""
PREPARE_AGAIN = "Bereid de publicatie opnieuw voor."
PROPOSE_AGAIN = "Stel de nieuwe minimumeisen opnieuw voor."

PUBLISHING_DONE = {
    "voorbereid": "De publicatie is voorbereid. Een andere publicist kan haar nu goedkeuren.",
    "gepubliceerd": "De nieuwe witte lijst is gepubliceerd.",
    "ingetrokken": "De voorbereiding is ingetrokken.",
    "beleid": "De nieuwe minimumeisen zijn goedgekeurd en gelden vanaf nu.",
}
"""What the page says after a form was sent (`?gedaan=`)."""

PUBLISHING_PROBLEMS = {
    "own": "Je hebt dit zelf voorbereid. Bij vier ogen keurt een andere publicist het goed.",
    "four_eyes": "Direct publiceren kan niet: een publicatie wordt eerst voorbereid en dan "
                 "door een andere publicist goedgekeurd (vier ogen).",
    "decided": "Deze voorbereiding wacht niet meer op goedkeuring: ze is al goedgekeurd, "
               "ingetrokken of vervangen door een nieuwere.",
    "stale": "Dit kan niet meer worden goedgekeurd:",
}

PREPARED_BY = "Voorbereid door {who} op {when}"
CHANGE_COLUMNS = ("Tool", "Wijziging", "Was", "Wordt", "Waarom")
PUBLISHING_BUTTONS = {
    "prepare": "Publicatie voorbereiden",
    "publish": "Publiceren",
    "approve": "Goedkeuren en publiceren",
    "approve_policy": "Goedkeuren",
    "withdraw": "Intrekken",
}
