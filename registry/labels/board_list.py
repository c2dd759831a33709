"""The Dutch words of boards in the published whitelist: the changes of board decisions in
the changelog and the change feed. Standard library only."""

from __future__ import annotations

BOARD_CHANGE_LABELS = {
    "added": "Besluit bestuur toegevoegd",
    "changed": "Besluit bestuur gewijzigd",
    "removed": "Besluit bestuur vervallen",
}
"""A change of a board's verdict on a tool against the previous publication: a board that
decided (or signed its own agreement) for the tool, changed that, or follows the sector again."""

BOARD_CHANGE_REASONS = {
    "added": "{board}: {decision}, met het oordeel ‘{after}’.",
    "changed": "{board}: {decision}; het oordeel is nu ‘{after}’ (was ‘{before}’).",
    "removed": "{board} volgt weer het oordeel van de sector.",
}
"""The one sentence of a board change (`{board}` its name, `{decision}` the decision's
label)."""

FEED_BOARD_TITLE = "{tool} bij {board}: {change}"
"""The title of a board change in the Atom feed."""
FEED_BOARD_UNKNOWN = "Kies voor bestuur een bestuursnummer van vijf cijfers, of laat het weg."
"""The feed's answer to a `?bestuur=` that is no board number."""
