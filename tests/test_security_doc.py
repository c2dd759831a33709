"""SECURITY.md's claims are each backed by tests that exist: a claim whose test was renamed
or removed fails here instead of going quietly stale."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
NAMED = re.compile(r"`(test_[a-z_]+\.py)::(test_[a-z0-9_]+)`")


def claims() -> list[tuple[str, list[tuple[str, str]]]]:
    """(claim, [(file, test)]) for each row of the claims tables."""
    text = (ROOT / "SECURITY.md").read_text()
    section = text.split("## Claims and the tests that back them", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] not in ("claim", "---"):
            rows.append((cells[0], NAMED.findall(cells[1])))
    return rows


def functions_in(file: str) -> set[str]:
    tree = ast.parse((ROOT / "tests" / file).read_text())
    return {node.name for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_claim_names_tests_that_exist():
    rows = claims()
    assert len(rows) >= 30
    for claim, named in rows:
        assert named, f"no test backs: {claim}"
        for file, test in named:
            assert test in functions_in(file), f"{file}::{test} (for: {claim}) does not exist"
