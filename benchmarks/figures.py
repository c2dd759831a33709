"""A benchmark figure (value, reference from the same run, ratio, target) and the table
`python -m benchmarks` prints."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    reference: float | None = None
    reference_name: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


def _ratio(value: float, reference: float | None) -> float | None:
    return value / reference if reference else None


def judged(figure: Figure, kind: str, limit: float) -> Figure:
    """Set the target of a figure: `ratio>=`, `ratio<=`, `value>=` or `value<=` a limit."""
    subject, op = kind[:-2], kind[-2:]
    got = figure.ratio if subject == "ratio" else figure.value
    unit = "×" if subject == "ratio" else f" {figure.unit}"
    figure.target = f"{op.replace('>=', '≥').replace('<=', '≤')} {limit:g}{unit}"
    if got is not None:
        figure.met = got >= limit if op == ">=" else got <= limit
    return figure


def _num(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "reference", "ratio", "target", "")]
    for f in figures:
        met = "" if f.met is None else ("met" if f.met else "MISSED")
        rows.append((f.name, f"{_num(f.value)} {f.unit}",
                     f"{_num(f.reference)} ({f.reference_name})" if f.reference else "",
                     f"{f.ratio:.2f}×" if f.ratio is not None else "", f.target, met))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
