"""The Dutch words of review requests: what a teacher reads at /aanvraag/{code} and what
procurement reads in the inbox at /beheer/aanvragen. Standard library only."""

from __future__ import annotations

from registry.labels import AGREEMENT_STATUS_LABELS

CLOSED_REASON_LABELS = {
    "assessed": "beoordeeld",
    "already_listed": "al op de lijst",
    "not_educational": "geen onderwijstool",
    "duplicate": "dubbele aanvraag",
    "out_of_scope": "valt buiten de witte lijst",
}
"""Why a request was closed, by `models.ClosedReason`."""

REQUEST_STATUS_LABELS = {"open": "Ontvangen", "linked": AGREEMENT_STATUS_LABELS["in_review"],
                         "closed": "Afgehandeld"}
"""A request's status as its asker reads it, by `models.ReviewStatus` ("In behandeling" is
the vocabulary's word, defined once)."""

INBOX_STATUS_LABELS = {"open": "Open", "linked": "Gekoppeld", "closed": "Gesloten"}
"""A request's status as procurement reads it in the inbox."""

HANDLING_TIME = "meestal binnen tien werkdagen"
"""How soon a request is usually handled, as the confirmation says it."""

REQUEST_WORDS = {
    "received": "Je aanvraag is ontvangen",
    "keep_code": "bewaar deze code",
    "unknown_code": "Deze aanvraagcode kennen we niet",
    "already_listed_as": "al op de lijst als {name}",
    "linked_to": "gekoppeld aan {name}",
    "empty": "—",
}

REQUEST_ERRORS = {
    "tool_missing": "Vul het id van een tool in, bijvoorbeeld rekenrijk.",
    "tool_unknown": "Er is geen tool met het id ‘{id}’. Kijk het id na op de pagina van de tool.",
    "reason_missing": "Kies waarom je de aanvraag afsluit.",
    "note_too_long": "De toelichting mag hoogstens {max} tekens lang zijn.",
    "stale": ("Iemand anders heeft deze aanvraag intussen gewijzigd. Hieronder zie je hoe hij "
              "nu is; doe je wijziging zo nodig opnieuw."),
}

REQUEST_DONE = {
    "gekoppeld": "De aanvraag is gekoppeld aan de tool.",
    "afgesloten": "De aanvraag is afgesloten.",
    "heropend": "De aanvraag is weer open.",
}
"""What the request's page says after a change (`?gedaan=`)."""
