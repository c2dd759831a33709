"""The Dutch words of accounts scoped to one school board. Standard library only."""

from __future__ import annotations

UNKNOWN_BOARD = "Er is geen bestuur met nummer {board_id} in het register."
"""An account is scoped to a board that does not exist (or is archived)."""
