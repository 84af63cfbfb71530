"""Checklists and drafted letters from a confirmed case: chat messages, DOCX, PDF and an evidence pack.

One pipeline for every output: the case becomes a plain dictionary (`context.build`), a Jinja2
template per language (`locales/templates/<lang>/<output id>.j2`) turns it into a small line
markup (`markup`), and that is laid out as Telegram HTML (`chat`), DOCX (`docx`) and PDF (`pdf`).
Which outputs apply is decided by `conversations.outputs.plan_outputs`, the same function the
conversation engine uses for its menu.

Languages: the chat text and the merchant's own papers (checklist, prevention) are in the
merchant's language. Papers for Chinese banks, authorities and courts are in Chinese whatever
the merchant speaks; an English-speaking merchant also gets an English translation of each. The
letter to the customer comes in the merchant's language (`lang` overrides it, as everywhere),
and in Chinese as well for an English-speaking merchant, since the customer most likely reads
Chinese.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from markupsafe import Markup

from bot.documents import context as case_context
from bot.documents import markup
from bot.documents.chat import to_messages
from conversations.outputs import OUTPUT_IDS, OutputPlan, plan_outputs

__all__ = [
    "OUTPUT_IDS",
    "NotApplicable",
    "Rendered",
    "RenderedFile",
    "render_all",
    "render_evidence_pack",
    "preview_output",
    "render_evidence_pack_parts",
    "render_output",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "locales" / "templates"
LANGS = ("zh", "en")
MERCHANT_ONLY = frozenset({"checklist", "prevention"})  # in the merchant's language only
TO_CUSTOMER = frozenset({"customer", "confirmation", "settlement"})  # the customer most likely reads Chinese
PDF_MIME = "application/pdf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class RenderedFile:
    name: str
    data: bytes
    mime: str


@dataclass
class Rendered:
    output_id: str
    chat_html: list[str]
    files: list[RenderedFile] = field(default_factory=list)


class NotApplicable(ValueError):
    """The output does not fit this case (for example a demand to a cardholder who is a victim)."""

    def __init__(self, plan: OutputPlan) -> None:
        super().__init__(f"{plan.id} does not apply: " + plan.reason.format(**plan.params))
        self.plan = plan


def _finalize(value: object) -> object:
    # Everything a template prints from its data is marked literal: masked, one line, never markup.
    # Macro output is already template text (Markup under autoescape) and passes through.
    return value if isinstance(value, Markup) else Markup(markup.literal(value))


@pass_context
def _quoted(context, value: object) -> object:
    """The merchant's own words, framed as a quotation: 地点：“店里收银台，后门被撬了”.

    In a Chinese paper, words typed in English (an English-speaking merchant's) are marked as
    such, so that a Chinese translation is added before it is sent.
    """
    if value is None or value == "":
        return value
    text = str(value).strip().strip("“”\"'「」")
    if (
        context.get("lang") == "zh"
        and re.search(r"[A-Za-z]{3}", text)
        and not re.search(r"[\u4e00-\u9fff]", text)
    ):
        return f"“{text}”（英文原文，请补充中文译文）"
    return f"“{text}”"


_ENV = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=True,
    finalize=_finalize,
    undefined=StrictUndefined,
    trim_blocks=False,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["q"] = _quoted


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(SHANGHAI)
    # days left are counted in the merchant's time zone (Asia/Shanghai), whatever zone `now` came in
    return now.astimezone(SHANGHAI) if now.tzinfo else now.replace(tzinfo=SHANGHAI)


def _merchant_lang(case: dict, lang: str | None) -> str:
    found = lang or case.get("language")
    return found if found in LANGS else "zh"


def file_langs(output_id: str, merchant_lang: str) -> list[str]:
    """The languages the files of an output come in, the first being the one that is sent."""
    if output_id in MERCHANT_ONLY:
        return [merchant_lang]
    if output_id in TO_CUSTOMER:
        return [merchant_lang] if merchant_lang == "zh" else [merchant_lang, "zh"]
    return ["zh", "en"] if merchant_lang == "en" else ["zh"]


def _blocks(output_id: str, lang: str, ctx: dict, *, chat: bool = False) -> list[markup.Block]:
    template = _ENV.get_template(f"{lang}/{output_id}.j2")
    text = template.render(ctx, chat=chat)
    return markup.parse(text)


def _footer(output_id: str, lang: str, case_id: str | None) -> str:
    """Page numbers; the case id only on the merchant's own papers (the others go to other people)."""
    labels = _ENV.get_template(f"{lang}/_labels.j2").module
    footer = labels.FOOTER
    return f"{footer} · {case_id}" if case_id and output_id in MERCHANT_ONLY else footer


def _files(
    output_id: str, lang: str, blocks: list[markup.Block], ctx: dict, created: datetime
) -> list[RenderedFile]:
    # imported here: fpdf2 and the fonts take seconds to import, and a preview (the case page) needs neither
    from bot.documents.docx import render_docx
    from bot.documents.pdf import render_pdf

    title = next((b.text for b in blocks if b.kind == "title"), output_id)
    footer = _footer(output_id, lang, ctx["case_id"])
    return [
        RenderedFile(
            f"{output_id}.{lang}.pdf",
            render_pdf(blocks, lang=lang, title=title, footer=footer, created=created),
            PDF_MIME,
        ),
        RenderedFile(
            f"{output_id}.{lang}.docx",
            render_docx(blocks, lang=lang, title=title, footer=footer, created=created),
            DOCX_MIME,
        ),
    ]


def render_output(
    case: dict, output_id: str, *, lang: str | None = None, now: datetime | None = None
) -> Rendered:
    """One output as chat messages (merchant's language) and files. Raises NotApplicable."""
    if output_id not in OUTPUT_IDS:
        raise KeyError(output_id)
    plan = next(p for p in plan_outputs(case) if p.id == output_id)
    if not plan.applies:
        raise NotApplicable(plan)
    now = _now(now)
    merchant_lang = _merchant_lang(case, lang)
    langs = file_langs(output_id, merchant_lang)
    contexts = {code: case_context.build(case, code, now) for code in set(langs) | {merchant_lang}}
    files: list[RenderedFile] = []
    for i, code in enumerate(langs):
        ctx = dict(contexts[code], translation=i > 0 and output_id not in TO_CUSTOMER, output_id=output_id)
        files += _files(output_id, code, _blocks(output_id, code, ctx), ctx, now)
    chat_ctx = dict(
        contexts[merchant_lang],
        translation=merchant_lang not in langs[:1] and output_id not in TO_CUSTOMER,
        output_id=output_id,
    )
    intro = _blocks("chat_intro", merchant_lang, dict(chat_ctx, output_id=output_id, file_langs=langs))
    chat = to_messages(intro + _blocks(output_id, merchant_lang, chat_ctx, chat=True))
    return Rendered(output_id, chat, files)


def preview_output(
    case: dict, output_id: str, *, lang: str | None = None, now: datetime | None = None
) -> list[str]:
    """The document as it will be made (its first file's language), as Telegram HTML, without the files:
    what the case page shows before the merchant asks for it. Raises NotApplicable."""
    if output_id not in OUTPUT_IDS:
        raise KeyError(output_id)
    plan = next(p for p in plan_outputs(case) if p.id == output_id)
    if not plan.applies:
        raise NotApplicable(plan)
    now = _now(now)
    code = file_langs(output_id, _merchant_lang(case, lang))[0]
    ctx = dict(case_context.build(case, code, now), translation=False)
    return to_messages(_blocks(output_id, code, ctx))


def applicable(case: dict) -> list[str]:
    return [p.id for p in plan_outputs(case) if p.applies]


def render_evidence_pack(
    case: dict,
    *,
    evidence_bytes: Callable[[str], bytes | None] | None = None,
    now: datetime | None = None,
    lang: str | None = None,
    rendered: list[Rendered] | None = None,
) -> RenderedFile:
    """`evidence-pack.zip`: every letter, the evidence files by kind, case.json, the timeline, a manifest."""
    return render_evidence_pack_parts(
        case, evidence_bytes=evidence_bytes, now=now, lang=lang, rendered=rendered, part_limit=None
    )[0]


def render_evidence_pack_parts(
    case: dict,
    *,
    evidence_bytes: Callable[[str], bytes | None] | None = None,
    now: datetime | None = None,
    lang: str | None = None,
    rendered: list[Rendered] | None = None,
    part_limit: int | None,
) -> list[RenderedFile]:
    """The evidence pack in parts of at most `part_limit` bytes of files each (one part when it fits)."""
    from bot.documents.pack import build_pack

    now = _now(now)
    if rendered is None:
        rendered = [render_output(case, output_id, lang=lang, now=now) for output_id in applicable(case)]
    return build_pack(
        case,
        rendered,
        evidence_bytes=evidence_bytes,
        now=now,
        lang=_merchant_lang(case, lang),
        part_limit=part_limit,
    )


def render_all(
    case: dict,
    out_dir: Path,
    *,
    lang: str | None = None,
    evidence_bytes: Callable[[str], bytes | None] | None = None,
    now: datetime | None = None,
) -> list[Path]:
    """Every applicable output and the evidence pack, written to `out_dir`; returns the paths written.

    Besides the documents it writes `<id>.chat.<lang>.html` (the chat messages, separated by
    a line of dashes) and `outputs.json` (each output, whether it applies and why not).
    """
    now = _now(now)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    merchant_lang = _merchant_lang(case, lang)
    rendered = [render_output(case, output_id, lang=lang, now=now) for output_id in applicable(case)]
    written: list[Path] = []
    for item in rendered:
        for f in item.files:
            written.append(_write(out_dir / f.name, f.data))
        chat = "\n\n----------\n\n".join(item.chat_html).encode("utf-8")
        written.append(_write(out_dir / f"{item.output_id}.chat.{merchant_lang}.html", chat))
    pack = render_evidence_pack(case, evidence_bytes=evidence_bytes, now=now, lang=lang, rendered=rendered)
    written.append(_write(out_dir / pack.name, pack.data))
    plans = [
        {"id": p.id, "applies": p.applies, "reason": p.reason.format(**p.params), "params": p.params}
        for p in plan_outputs(case)
    ]
    written.append(_write(out_dir / "outputs.json", json.dumps(plans, ensure_ascii=False, indent=2).encode()))
    return written


def warm() -> None:
    """Prepare at start-up what the first document would otherwise wait for (see bot/warmup.py)."""
    from bot.documents.docx import render_docx
    from bot.documents.fonts import GLYPHS
    from bot.documents.pdf import render_pdf

    for name in _ENV.list_templates(filter_func=lambda name: name.endswith(".j2")):
        _ENV.get_template(name)
    GLYPHS.warm()
    sample = [
        markup.Block("title", [markup.Run("预热 Warm-up")]),
        markup.Block("p", [markup.Run("正文 "), markup.Run("text", True)]),
        markup.Block("bullet", [markup.Run("•")]),
        markup.Block("table", rows=[[[markup.Run("项目")], [markup.Run("Item")]]], header=True),
    ]
    created = datetime.now(SHANGHAI)
    for lang in LANGS:
        render_pdf(sample, lang=lang, title="warm-up", footer="{page}/{pages}", created=created)
        render_docx(sample, lang=lang, title="warm-up", footer="{page}/{pages}", created=created)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
