"""The Dutch words of a board's check page, embed list and embed help: what a teacher of one
school board reads beside the sector verdict. The board's decisions themselves are worded in
`registry.labels.boards`. Standard library only."""

from __future__ import annotations

BOARD_CHECK_WORDS = {
    "lead": "Je controleert voor {board}. Je ziet het oordeel van de sector en het besluit "
            "van jouw schoolbestuur naast elkaar. Het besluit van jouw schoolbestuur zegt wat "
            "je doet.",
    "sector": "Oordeel van de sector",
    "board": "Besluit van jouw schoolbestuur",
    "what_now": "Wat doe je nu op jouw school?",
    "board_conditions": "Voorwaarden op jouw school",
    "decided": "Besloten door {by} op {day}.",
    "decided_on": "Besloten op {day}.",
    "ends": "Dit besluit geldt tot en met {day}.",
    "reason": "Waarom?",
    "decisions_list": "Alle besluiten van dit schoolbestuur",
    "other_board": "Werk je bij een ander schoolbestuur? Ga naar de",
    "general_check": "controle zonder schoolbestuur",
    "embed_title": "{title} bij {board}",
    "board_choice": "Schoolbestuur (niet verplicht)",
    "board_hint": "Het nummer van het bestuur (vijf cijfers) of de BRIN-code van je school. "
                  "De lijst volgt dan de besluiten van dat bestuur.",
    "unknown_board": "Het schoolbestuur '{board}' kennen we niet. Vul het bestuursnummer van "
                     "vijf cijfers in, of de BRIN-code van je school.",
}
"""The sentences of `/b/{board}/`, `/embed?bestuur=` and `/insluiten`."""
