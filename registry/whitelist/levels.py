"""For which school types (PO, VO, SO) and from which age a tool is, in the teacher's words,
and what a teacher who said their school type should know. Pure functions; labels only."""

from __future__ import annotations

from registry.labels import CHECK_WORDS, LEVEL_SHORT_LABELS

LEVEL_YOUNGEST = {"PO": 4, "VO": 12, "SO": 4}
"""The age of the youngest pupils of a school type: a higher minimum age is worth a warning."""


def _listed(codes: list[str]) -> str:
    """'primair onderwijs (PO), voortgezet onderwijs (VO) en speciaal onderwijs (SO)'."""
    words = [LEVEL_SHORT_LABELS.get(code, code) for code in codes]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} en {words[-1]}"


def suitable_for(codes: list[str], minimum_age: int | None) -> str:
    """'Voor het primair onderwijs (PO), voor leerlingen vanaf 8 jaar.'"""
    if not codes:
        return CHECK_WORDS["no_levels"]
    if minimum_age:
        return CHECK_WORDS["levels_and_age"].format(levels=_listed(codes), age=minimum_age)
    return CHECK_WORDS["levels"].format(levels=_listed(codes))


def level_warning(level: str | None, codes: list[str], minimum_age: int | None) -> str | None:
    """For a teacher of `level`: a tool for another school type, or for pupils older than the
    youngest of that school type, says so; None when it fits or no level was given."""
    if level is None or level not in LEVEL_SHORT_LABELS:
        return None
    if codes and level not in codes:
        return CHECK_WORDS["other_level"].format(level=LEVEL_SHORT_LABELS[level],
                                                 levels=_listed(codes))
    if minimum_age and minimum_age > LEVEL_YOUNGEST[level]:
        return CHECK_WORDS["too_young"].format(age=minimum_age, level=LEVEL_SHORT_LABELS[level])
    return None
