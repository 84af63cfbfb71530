"""Notices as PDFs: one made from text (a text layer to read) and one that is a scan (a page image only)."""

from __future__ import annotations

import io
import random

from .canvas import font_file
from .compose import label_text, notice_rows
from .values import Notice, random_notice
from .vocab import NOTICE_VOCABS


def text_pdf(n: Notice, rng: random.Random, vocab: str = "notice_a") -> tuple[bytes, dict[str, str]]:
    """An A4 notice typeset as text, as acquirers' portals export them."""
    from fpdf import FPDF

    rows, truth = notice_rows(n, NOTICE_VOCABS[vocab], rng)
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.add_font("cjk", fname=str(font_file("sans")))
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 12, f"{n.acquirer}银行卡交易{n.stage_word}通知书", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(0, 7, f"尊敬的商户：贵单位的下列交易被发卡机构提出{n.stage_word}，请及时提供交易凭证。")
    for r in rows:
        pdf.cell(0, 8, f"{label_text(r, 'zh')}：{r.value}", new_x="LMARGIN", new_y="NEXT")
    if "dispute.deadline" not in truth:
        pdf.multi_cell(0, 7, f"请于{n.deadline.isoformat()}前提交签购单及相关材料。")
        truth["dispute.deadline"] = n.deadline.isoformat()
    return bytes(pdf.output()), truth


def scanned_pdf(jpeg: bytes) -> bytes:
    """A PDF holding only a photo of the page (what a scanner or a phone's 'scan' app makes)."""
    from fpdf import FPDF
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as im:
        w, h = im.size
    pdf = FPDF(unit="pt", format=(w * 0.75, h * 0.75))
    pdf.add_page()
    pdf.image(io.BytesIO(jpeg), x=0, y=0, w=w * 0.75, h=h * 0.75)
    return bytes(pdf.output())


def notice_pdf(seed: int) -> tuple[bytes, dict[str, str]]:
    rng = random.Random(seed)
    return text_pdf(random_notice(rng), rng, rng.choice(tuple(NOTICE_VOCABS)))
