"""The small line-based markup the letter templates write, parsed into blocks for chat, DOCX and PDF.

A template writes one block per line:

    # Title                     ## Heading            ### Subheading
    - bullet                    1. numbered item      > note (small print)
    >> right-aligned line       ---  (a gap)          | cell | cell |  (table row)
    | --- | --- |  (after the first row: that row is a header)

and **bold** inside a line. Values from the case never take part in this syntax: the Jinja
environment wraps everything a template prints in `literal()` markers, and the parser swaps
those spans out before it looks for markup, so a customer's statement that starts with "# " or
holds "|" or "**" is shown as typed. Newlines in values become spaces for the same reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from conversations.cards import mask_card_numbers

_OPEN, _CLOSE = "\ue000", "\ue001"  # around a printed value (private-use characters)
_TOKEN_OPEN, _TOKEN_CLOSE = "\ue002", "\ue003"  # a value swapped out while parsing
_LITERAL = re.compile(f"{_OPEN}(.*?){_CLOSE}", re.S)
_TOKEN = re.compile(f"{_TOKEN_OPEN}(\\d+){_TOKEN_CLOSE}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ue000-\ue003]")
_NUMBERED = re.compile(r"^(\d{1,3})[.、]\s+")
_NUMBERED_VALUE = re.compile(f"^{_TOKEN_OPEN}(\\d+){_TOKEN_CLOSE}[.、]\\s+")
_SEPARATOR = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+$")


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False


@dataclass
class Block:
    kind: str  # title, h1, h2, p, bullet, number, note, right, gap, table
    runs: list[Run] = field(default_factory=list)
    number: str = ""
    rows: list[list[list[Run]]] = field(default_factory=list)  # table: rows of cells of runs
    header: bool = False  # table: the first row is a header

    @property
    def text(self) -> str:
        return plain(self.runs)


def literal(value: object) -> str:
    """Mark a printed value as data: masked, on one line, never read as markup."""
    if value is None:
        return ""
    text = " ".join(str(value).splitlines())
    text = _CONTROL.sub("", text)
    text, _ = mask_card_numbers(text)
    return f"{_OPEN}{text}{_CLOSE}" if text else ""


def plain(runs: list[Run]) -> str:
    return "".join(run.text for run in runs)


def parse(source: str) -> list[Block]:
    values: list[str] = []

    def swap(match: re.Match[str]) -> str:
        values.append(match.group(1))
        return f"{_TOKEN_OPEN}{len(values) - 1}{_TOKEN_CLOSE}"

    source = _LITERAL.sub(swap, source)
    blocks: list[Block] = []
    for raw in source.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("|") and line.endswith("|") and len(line) > 1:
            table = blocks[-1] if blocks and blocks[-1].kind == "table" else None
            if _SEPARATOR.match(line):
                if table is not None and len(table.rows) > 1:  # a new table right after another
                    blocks.append(Block("table", rows=[table.rows.pop()]))
                    table = blocks[-1]
                if table is not None:
                    table.header = True
                continue
            cells = [_inline(cell.strip(), values) for cell in line[1:-1].split("|")]
            if table is None:
                table = Block("table")
                blocks.append(table)
            table.rows.append(cells)
            continue
        blocks.append(_line_block(line, values))
    return blocks


def _line_block(line: str, values: list[str]) -> Block:
    for prefix, kind in (
        ("### ", "h2"),
        ("## ", "h1"),
        ("# ", "title"),
        (">> ", "right"),
        ("> ", "note"),
        ("- ", "bullet"),
    ):
        if line.startswith(prefix):
            return Block(kind, _inline(line[len(prefix) :].strip(), values))
    if line == "---":
        return Block("gap")
    numbered = _NUMBERED.match(line)
    if numbered:
        return Block("number", _inline(line[numbered.end() :], values), number=numbered.group(1))
    numbered = _NUMBERED_VALUE.match(line)  # "{{ n }}. …": the number is a printed value
    if numbered and values[int(numbered.group(1))].isdigit() and len(values[int(numbered.group(1))]) <= 3:
        return Block("number", _inline(line[numbered.end() :], values), number=values[int(numbered.group(1))])
    return Block("p", _inline(line, values))


def _inline(text: str, values: list[str]) -> list[Run]:
    runs: list[Run] = []
    for i, piece in enumerate(text.split("**")):
        if not piece:
            continue
        expanded = _TOKEN.sub(lambda m: values[int(m.group(1))], piece)
        if runs and runs[-1].bold == (i % 2 == 1):
            runs[-1] = Run(runs[-1].text + expanded, runs[-1].bold)
        else:
            runs.append(Run(expanded, i % 2 == 1))
    return runs


def document_text(blocks: list[Block]) -> str:
    """All the text of a document, one block per line (tests, search, the chat fallback)."""
    lines: list[str] = []
    for block in blocks:
        if block.kind == "table":
            lines.extend(" | ".join(plain(cell) for cell in row) for row in block.rows)
        elif block.kind != "gap":
            lines.append((f"{block.number}. " if block.number else "") + block.text)
    return "\n".join(lines)
