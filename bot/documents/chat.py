"""Blocks to Telegram messages: its HTML subset, every text escaped, split under 4096 characters.

Only <b>, <i> and <code> are produced. Messages break between paragraphs; a paragraph longer
than a message is cut between sentences (or, failing that, between characters) before it is
turned into HTML, so a cut never falls inside a tag or an entity.
"""

from __future__ import annotations

import html
import re

from bot.documents.markup import Block, Run, plain

LIMIT = 4096
_BUDGET = 3900  # Telegram counts UTF-16 units after parsing; stay well clear of the limit
_SENTENCE = re.compile(r"(?<=[。！？；.!?;])\s*")
_HEX = re.compile(r"^[0-9a-f]{64}$")


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _runs(runs: list[Run]) -> str:
    return "".join(f"<b>{_esc(r.text)}</b>" if r.bold else _esc(r.text) for r in runs)


def _cell(runs: list[Run]) -> str:
    text = plain(runs)
    return f"<code>{_esc(text)}</code>" if _HEX.match(text) else _runs(runs)


def _table(block: Block) -> list[str]:
    """A table as lines: `label: value` for two columns, one line per row otherwise."""
    rows = block.rows
    head = rows[0] if block.header else None
    body = rows[1:] if block.header else rows
    lines = []
    for row in body:
        cells = [c for c in row if plain(c)]
        if len(row) == 2:  # a label and its value: the header row adds nothing in a chat
            lines.append(
                f"<b>{_runs(row[0])}</b>: {_cell(row[1])}" if plain(row[1]) else f"<b>{_runs(row[0])}</b>"
            )
        elif head is not None:
            parts = [
                f"{_esc(plain(head[i]))}: {_cell(c)}" if i < len(head) and plain(head[i]) else _cell(c)
                for i, c in enumerate(row)
                if plain(c)
            ]
            lines.append("▪️ " + "; ".join(parts))
        else:
            lines.append("▪️ " + " · ".join(_cell(c) for c in cells))
    return lines


def _paragraph(block: Block) -> str:
    kind = block.kind
    if kind in ("title", "h1"):
        return f"<b>{_esc(block.text)}</b>"
    if kind == "h2":
        return f"<b><i>{_esc(block.text)}</i></b>"
    if kind == "bullet":
        return "• " + _runs(block.runs)
    if kind == "number":
        return f"{block.number}. " + _runs(block.runs)
    if kind == "note":
        return f"<i>{_runs(block.runs)}</i>"
    if kind == "table":
        return "\n".join(_table(block))
    return _runs(block.runs)


def _pieces(block: Block) -> list[Block]:
    """Cut a block whose HTML would not fit in one message into blocks that do."""
    if block.kind == "table":
        if _units(_paragraph(block)) <= _BUDGET:
            return [block]
        out = []
        for row in block.rows[1:] if block.header else block.rows:
            out.append(
                Block("table", rows=[block.rows[0], row] if block.header else [row], header=block.header)
            )
        return out
    if _units(_paragraph(block)) <= _BUDGET:
        return [block]
    text = block.text
    sentences = [s for s in _SENTENCE.split(text) if s]
    out: list[Block] = []
    current = ""
    for sentence in sentences:
        while _units(_esc(sentence)) > _BUDGET // 2:
            out.append(Block("p", [Run(sentence[: _BUDGET // 4])]))
            sentence = sentence[_BUDGET // 4 :]
        if current and _units(_esc(current + sentence)) > _BUDGET // 2:
            out.append(Block("p", [Run(current)]))
            current = ""
        current += sentence
    if current:
        out.append(Block("p", [Run(current)]))
    return out


def to_messages(blocks: list[Block]) -> list[str]:
    messages: list[str] = []
    current = ""
    previous = ""
    for block in blocks:
        if block.kind == "gap":
            continue
        for piece in _pieces(block):
            text = _paragraph(piece)
            same_list = piece.kind == previous and piece.kind in ("bullet", "number", "table")
            joiner = "\n" if same_list else "\n\n"
            if current and _units(current + joiner + text) > _BUDGET:
                messages.append(current)
                current = ""
            current = current + joiner + text if current else text
            previous = piece.kind
    if current:
        messages.append(current)
    return messages
