"""The Dutch words of school boards and their decisions: what a teacher reads next to the
sector verdict, and what board and sector staff read in the back office. Standard library
only."""

from __future__ import annotations

DECISION_LABELS = {
    "follow": "Volgt de sector",
    "stricter": "Strenger dan de sector",
    "own_approval": "Eigen goedkeuring",
}
"""A board's decision on a tool, by `models.BoardDecisionKind` and the default `follow`."""

BOARD_TEXTS = {
    "follow": "Jouw schoolbestuur volgt het oordeel van de sector.",
    "not_allowed": "Jouw schoolbestuur heeft besloten dat deze tool niet gebruikt mag worden "
                   "op zijn scholen.",
    "extra_conditions": "Jouw schoolbestuur staat deze tool alleen toe met extra voorwaarden.",
    "extra_conditions_moot": "Jouw schoolbestuur stelt extra voorwaarden, maar deze tool mag nu "
                             "al niet gebruikt worden. Het oordeel hieronder geldt.",
    "own_approval": "Jouw schoolbestuur heeft deze tool zelf beoordeeld en toegestaan.",
    "own_approval_conditions": "Jouw schoolbestuur heeft deze tool zelf beoordeeld en "
                               "toegestaan onder voorwaarden.",
    "own_approval_refused": "Jouw schoolbestuur keurde deze tool zelf goed, maar de sector "
                            "keurde hem af. Volgens het beleid telt die eigen goedkeuring dan "
                            "niet.",
    "own_agreement": "Jouw schoolbestuur heeft een eigen verwerkersovereenkomst; die telt mee.",
}
"""One sentence that says what a teacher of the board does, by what the board decided."""

OWN_APPROVAL_REFUSED = ("`decision`: a board may not approve a tool the sector rejected under "
                        "policy {version}; its `boards.may_approve_rejected` is false")
"""The API's refusal of an own approval of a sector-rejected tool (English, as API errors)."""
