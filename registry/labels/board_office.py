"""The back office's words about school boards: board accounts and tokens, the sector's
overview of what boards signed and decided, and a board's own page. Standard library only."""

from __future__ import annotations

BOARD_FORM_MESSAGES = {
    "decision_taken": "Dit bestuur heeft al een besluit over deze tool. Pas dat besluit aan, "
                      "of archiveer het eerst.",
    "own_approval_refused": "Het beleid van de sector staat niet toe dat een bestuur een tool "
                            "goedkeurt die de sector heeft afgekeurd. Kies Strenger of geen "
                            "besluit.",
    "no_board": "Er is geen schoolbestuur met nummer {id}. Vul een bestaand bestuursnummer in "
                "van 5 cijfers, of laat het veld leeg voor de sector.",
    "board_number": "Een bestuursnummer heeft precies 5 cijfers, zoals 99002.",
}
"""What a form says when a board's decision or an account's board is refused."""

BOARD_DONE = {
    "bestuur": "Het schoolbestuur van het account is gewijzigd.",
}
"""What the accounts page says after a change (`?gedaan=`), next to `admin.DONE`."""

BOARD_SCOPE_WORDS = {
    "sector": "Sector (alle besturen)",
    "help": "Laat leeg voor de sector. Met een bestuursnummer werkt het account alleen met de "
            "besluiten en verwerkersovereenkomsten van dat bestuur.",
    "token_help": "Laat leeg voor de sector. Met een bestuursnummer schrijft het token alleen "
                  "besluiten en verwerkersovereenkomsten van dat bestuur.",
}
"""The choice of an account's or a token's board."""

BOARD_OVERVIEW_WORDS = {
    "signed": "Besturen met een getekende overeenkomst",
    "stricter_not_allowed": "Niet toegestaan bij",
    "stricter_conditions": "Extra voorwaarden bij",
    "own_approval_by": "Eigen goedkeuring door",
    "no_board_data": "Nog geen bestuur heeft een eigen overeenkomst of besluit vastgelegd.",
}
"""The headings of the sector's overview of boards per vendor and tool."""
