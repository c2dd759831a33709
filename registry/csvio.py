"""CSV files of one kind of record each, as a spreadsheet user reads and writes them.

The columns are the record's fields. A nested part is flattened with dots
(`pseudonymisation.status`); a list sits in one cell, its items separated by `;`; an item of a
list of parts (a domain, a sub-processor, a certification) gives its fields in order separated
by `|`, a true/false field written as its name when true: `rekenrijk.nl | include_subdomains`,
`BSN | special | bsn`. `\\;`, `\\|` and `\\\\` stand for the characters themselves inside a
list cell. The last column, `fingerprint`, is what the export saw: leave it as it is.

Reading accepts what spreadsheets write: UTF-8 with or without a byte-order mark (else
Windows-1252), `;`, `,` or tab between cells, TRUE/FALSE, ja/nee, dates as 31-12-2026.
Writing gives UTF-8 with a byte-order mark and `;`, which Dutch Excel opens as columns.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePath
from typing import Any

import msgspec
import msgspec.inspect as mi

from registry import models
from registry.csvsafe import guard, unguard
from registry.errors import RegistryError
from registry.store.kinds import KINDS

LIST_SEP, PART_SEP, ESCAPE = ";", "|", "\\"
FINGERPRINT = "fingerprint"
TRUE = frozenset({"true", "yes", "ja", "waar", "1", "x", "y", "j"})
FALSE = frozenset({"false", "no", "nee", "onwaar", "0", "n"})
DUTCH_DATE = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")
INTEGER = re.compile(r"^[+-]?\d+$")
SLUG = re.compile(models.Slug.__metadata__[0].pattern)


def _bare(t: mi.Type) -> mi.Type:
    """The type without its metadata and without `| None`."""
    while True:
        if isinstance(t, mi.Metadata):
            t = t.type
        elif isinstance(t, mi.UnionType):
            rest = [x for x in t.types if not isinstance(x, mi.NoneType)]
            if len(rest) != 1:
                return t
            t = rest[0]
        else:
            return t


@dataclass(frozen=True)
class Column:
    name: str  # dotted: "pseudonymisation.status"
    type: mi.Type


@cache
def columns(kind: str) -> tuple[Column, ...]:
    """The columns of a kind's CSV file, in the record's field order."""
    out = []
    for f in mi.type_info(KINDS[kind].input).fields:
        t = _bare(f.type)
        if isinstance(t, mi.StructType):
            out.extend(Column(f"{f.encode_name}.{sub.encode_name}", _bare(sub.type))
                       for sub in t.fields)
        else:
            out.append(Column(f.encode_name, t))
    return tuple(out)


def header(kind: str) -> list[str]:
    return [c.name for c in columns(kind)] + [FINGERPRINT]


# --- reading ---------------------------------------------------------------------------------


@dataclass
class CsvTable:
    """The records of one CSV file as builtins, ready for the same checks as a JSON bundle."""

    kind: str
    records: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line each record starts on
    fingerprints: dict[str, str] = field(default_factory=dict)
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (index, path, message)


def decode_text(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Excel's plain "CSV" on Windows; it holds ë and é too.
        return raw.decode("cp1252", errors="replace")


def guess_kind(name: str, names: list[str]) -> str | None:
    """The kind a file holds, from its name (`tools.csv`) or else from its columns."""
    stem = PurePath(name).stem.lower()
    by_name = [k.name for k in KINDS.values() if any(w in stem for w in k.file_words)]
    if len(by_name) == 1:
        return by_name[0]
    scores = {k: len(set(names) & {c.name for c in columns(k)}) for k in KINDS}
    best = max(scores.values())
    winners = [k for k, s in scores.items() if s == best]
    return winners[0] if best and len(winners) == 1 else None


def read_csv(raw: bytes, name: str, kind: str | None = None) -> CsvTable:
    """Parse a CSV file of one kind of record; raises RegistryError if it cannot be read at all."""
    text = decode_text(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    names = [h.strip().lower() for h in next(reader, [])]
    while names and not names[-1]:
        names.pop()  # spreadsheets leave empty columns at the end
    if not names:
        raise RegistryError(f"{name} is empty: the first line should name the columns.")
    if "" in names:
        raise RegistryError(f"{name}: column {names.index('') + 1} has no name in the first line.")
    if twice := sorted({n for n in names if names.count(n) > 1}):
        raise RegistryError(f"{name}: the column '{twice[0]}' appears more than once.")
    kind = kind or guess_kind(name, names)
    if kind is None:
        raise RegistryError(
            f"Cannot tell which kind of record {name} holds; name the file after it "
            f"({', '.join(f'{k}.csv' for k in KINDS)}) or pass --kind."
        )
    table = CsvTable(kind)
    types = {c.name: c.type for c in columns(kind)}
    nested = {c.name.split(".")[0] for c in columns(kind) if "." in c.name}
    fingerprints: dict[int, str] = {}
    previous_line = reader.line_num
    for row in reader:
        line, previous_line = previous_line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines between or after the rows
        index, record = len(table.records), {}
        for column, cell in zip(names, row, strict=False):
            value = unguard(cell.strip())
            if not value:
                continue
            if column == FINGERPRINT:
                fingerprints[index] = value
                continue
            known = column in types
            parsed = _parse(value, types[column], column, index, table) if known else value
            top, dot, rest = column.partition(".")
            if dot and top in nested:
                record.setdefault(top, {})[rest] = parsed
            else:
                record[column] = parsed
        if any(cell.strip() for cell in row[len(names):]):
            table.problems.append(
                (index, "", f"line {line} has {len(row)} cells but the first line names "
                            f"{len(names)} columns")
            )
        table.records.append(record)
        table.lines.append(line)
    table.fingerprints = {
        f"{kind}/{table.records[i]['id']}": fp
        for i, fp in fingerprints.items()
        if isinstance(table.records[i].get("id"), str) and SLUG.match(table.records[i]["id"])
    }
    return table


def _split(cell: str, sep: str, unescape: bool = True) -> list[str]:
    """Split on `sep` where it is not escaped; undo the escapes unless a second split follows."""
    parts, current, chars = [], [], iter(cell)
    for ch in chars:
        if ch == ESCAPE:
            nxt = next(chars, "")
            special = nxt in (LIST_SEP, PART_SEP, ESCAPE)
            current.append(nxt if special and unescape else ch + nxt)
        elif ch == sep:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return parts


def _parse(value: str, t: mi.Type, column: str, index: int, table: CsvTable) -> Any:
    """A cell as the JSON value it stands for; what does not fit stays text for the report."""
    if not isinstance(t, mi.ListType):
        return _scalar(value, t)
    item = _bare(t.item_type)
    if not isinstance(item, mi.StructType):
        return [_scalar(i, item) for i in _split(value, LIST_SEP) if i]
    items = [i for i in _split(value, LIST_SEP, unescape=False) if i]
    return [_part(i, item, f".{column}[{n}]", index, table) for n, i in enumerate(items)]


def _part(text: str, t: mi.StructType, path: str, index: int, table: CsvTable) -> dict:
    """One `a | b | flag` item of a list of parts."""
    flags = {f.encode_name for f in t.fields if isinstance(_bare(f.type), mi.BoolType)}
    positional = iter(f for f in t.fields if f.encode_name not in flags)
    out: dict[str, Any] = {}
    for n, part in enumerate(_split(text, PART_SEP)):
        if n > 0 and part.lower() in flags:
            out[part.lower()] = True
            continue
        f = next(positional, None)
        if f is None:
            names = " | ".join(x.encode_name for x in t.fields)
            table.problems.append((index, path, f"'{part}' is one part too many ({names})"))
        elif part:
            out[f.encode_name] = _scalar(part, _bare(f.type))
    return out


def _scalar(value: str, t: mi.Type) -> Any:
    if isinstance(t, mi.IntType) and INTEGER.match(value):
        return int(value)
    if isinstance(t, mi.BoolType) and value.lower() in TRUE | FALSE:
        return value.lower() in TRUE
    if isinstance(t, mi.DateType) and (m := DUTCH_DATE.match(value)):
        return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    return value


# --- writing ---------------------------------------------------------------------------------


def write_csv(kind: str, records: list[models.Base], fingerprints: dict[str, str]) -> bytes:
    """The records as a CSV file: UTF-8 with byte-order mark, `;` between cells, CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header(kind))
    for record in records:
        row = []
        for column in columns(kind):
            value: Any = record
            for name in column.name.split("."):
                value = getattr(value, name) if value is not None else None
            row.append(guard(_cell(value)))
        row.append(fingerprints.get(f"{kind}/{record.id}", ""))
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")


def _escape(value: str) -> str:
    for ch in (ESCAPE, LIST_SEP, PART_SEP):
        value = value.replace(ch, ESCAPE + ch)
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(_item(v) for v in value)
    return str(msgspec.to_builtins(value))


def _item(value: Any) -> str:
    if not isinstance(value, msgspec.Struct):
        return _escape(_cell(value))
    parts, flags = [], []
    for name in value.__struct_fields__:
        v = getattr(value, name)
        if isinstance(v, bool):
            flags += [name] if v else []
        else:
            parts.append(_escape(_cell(v)))
    while parts and not parts[-1]:
        parts.pop()
    return " | ".join(parts + flags)
