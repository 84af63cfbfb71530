"""Every output of the two sample cases, read back from PDF and DOCX: the case's facts are where promised."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from docx import Document
from pypdf import PdfReader

from bot.documents import NotApplicable, render_output
from conversations.outputs import plan_outputs
from tests.documents_support import ALLOWED_TAGS, NOW, load, rendered, squash, texts

ZH = "denied-charge-zh"
EN = "lost-terminal-en"
SERVICE = "chargeback-debited-service-zh"


def applicable(name: str) -> list[str]:
    return [p.id for p in plan_outputs(load(name)) if p.applies]


def assert_in_all(found: dict[str, str], *needles: str) -> None:
    for file_name, text in found.items():
        flat = squash(text)
        for needle in needles:
            assert squash(needle) in flat, f"{needle!r} missing from {file_name}"


@pytest.mark.parametrize(("name", "lang_files"), [(ZH, {"zh"}), (EN, {"zh", "en"})])
def test_file_names_and_languages(name, lang_files):
    case_lang = load(name)["language"]
    for output_id in applicable(name):
        names = {f.name for f in rendered(name, output_id).files}
        if output_id in ("checklist", "prevention"):
            expected = {f"{output_id}.{case_lang}.pdf", f"{output_id}.{case_lang}.docx"}
        elif output_id == "customer":
            expected = {
                f"customer.{lang}.{ext}"
                for lang in ({"zh"} if case_lang == "zh" else {"en", "zh"})
                for ext in ("pdf", "docx")
            }
        else:  # to Chinese banks, authorities and courts: Chinese, plus a translation for an English speaker
            expected = {f"{output_id}.{lang}.{ext}" for lang in lang_files for ext in ("pdf", "docx")}
        assert names == expected, output_id


def test_acquirer_reply_holds_the_transaction_and_the_evidence():
    found = texts(ZH, "acquirer")
    assert_in_all(
        found,
        "调单回复函",
        "拉卡拉",
        "杭州西湖小吃店",
        "898330158120317",
        "30519427",
        "LKL-2025-88231",
        "2025年12月5日",
        "2025年11月22日 18:30",
        "¥1,288.00",
        "251122183045",
        "004518",
        "000127",
        "83A2F1",
        "622588******1234",
        "招商银行",
        "slip-004518.jpg",
        "cctv-1829.jpg",
        "陈静",
        "拉卡拉支付股份有限公司",
    )
    for text in found.values():  # the acquirer gets the letter, not our notice to the merchant
        assert "不构成法律意见" not in text and "POS 纠纷助手" not in text


def test_checklist_dates_are_computed_from_the_case():
    found = texts(ZH, "checklist")
    assert_in_all(
        found,
        "2025年12月5日",
        "还剩 7 天",  # 28 Nov -> 5 Dec
        "2028年11月28日",  # 3 years from the notice (Civil Code art. 188)
        "2027年11月22日",  # slips: at least 2 years
        "2028年11月22日",  # suggested 3 years
        "251122183045",  # the disputed transactions are listed
    )
    flat = squash("".join(found.values()))
    assert squash("还不欠您钱") in flat  # a retrieval, nothing debited: no demand, no court routes
    assert "支付令" not in flat


def test_checklist_court_routes_for_a_debited_chargeback():
    found = texts(SERVICE, "checklist")
    assert_in_all(found, "支付令", "小额诉讼", "都不适合", "¥50.00", "¥25.00", "估算", "杭州市西湖区人民法院")


def test_checklist_never_assumes_a_reply_by_date():
    case = load(ZH)
    case["dispute"]["deadline"] = None
    result = render_output(case, "checklist", now=NOW)
    text = squash("".join(result.chat_html))
    assert squash("请立即向收单机构询问") in text
    assert "还剩" not in text


def test_customer_letter_is_courteous_and_factual():
    assert_in_all(
        texts(ZH, "customer"), "李先生", "¥1,288.00", "251122183045", "622588******1234", "撤回争议"
    )
    english = render_output(load(ZH), "customer", lang="en", now=NOW)
    assert {f.name for f in english.files} == {
        "customer.en.pdf",
        "customer.en.docx",
        "customer.zh.pdf",
        "customer.zh.docx",
    }
    en_pdf = next(f for f in english.files if f.name == "customer.en.pdf")
    assert "Please confirm a card payment" in squash_text(en_pdf)


def squash_text(file) -> str:
    from tests.documents_support import file_text

    return file_text(file.name, file.data)


def test_lawyer_letter_and_complaint_name_the_parties_and_the_law():
    letter = texts(SERVICE, "lawyer_letter")
    assert_in_all(
        letter,
        "律师函",
        "李建华",
        "湖墅南路 50 号",
        "杭州西湖小吃店",
        "人民币1,288.00元",
        "壹仟贰佰捌拾捌元整",
        "第五百七十九条",
        "账号",
        "特此函告",
    )
    assert_in_all(
        texts(SERVICE, "complaint"),
        "民事起诉状（要素式）",
        "服务合同纠纷",
        "原告",
        "被告",
        "李建华",
        "诉讼请求",
        "251122183045",
        "第二十四条",
        "证据清单",
        "此致",
        "杭州市西湖区人民法院",
    )
    for found in (letter, texts(SERVICE, "complaint")):
        for text in found.values():
            assert "不构成法律意见" not in text and "POS 纠纷助手" not in text and "D4MD8B1T" not in text
    chat = "".join(rendered(SERVICE, "lawyer_letter").chat_html)
    assert "须由执业律师审阅" in chat and "不构成法律意见" in chat  # the notice stays with the merchant


def test_evidence_list_gives_source_purpose_and_sha256():
    case = load(ZH)
    found = texts(ZH, "evidence_list")
    assert_in_all(found, "证据清单", "第十九条", "POS 终端打印，商户留存", "交易时顾客在场消费")
    assert_in_all(found, *(e["sha256"] for e in case["evidence"]))


def test_pboc_is_a_report_on_the_acquirer_not_a_consumer_complaint():
    case = load(SERVICE)
    case["dispute"]["acquirer_problem"] = "扣款前没有任何书面通知"
    result = render_output(case, "pboc", now=NOW)
    text = squash(file_text_of(result, "pboc.zh.pdf"))
    for needle in (
        "情况反映",
        "不是金融消费者投诉",
        "拉卡拉支付股份有限公司",
        "LKL-CB-2025-0420",
        "中国人民银行杭州市分行",
        "“扣款前没有任何书面通知”",
    ):
        assert squash(needle) in text, needle
    assert "支行" not in text


def file_text_of(result, name: str) -> str:
    from tests.documents_support import file_text

    found = next(f for f in result.files if f.name == name)
    return file_text(found.name, found.data)


def test_stolen_terminal_papers():
    police = texts(EN, "police")
    assert_in_all(
        police, "A7731902", "251120234711", "621700******9921", "YS20251121-0042", "Sam's Noodle Stall"
    )
    assert squash("报案材料") in squash(police["police.zh.pdf"])
    assert "English translation for your understanding" in police["police.en.pdf"].replace("\n", " ")
    acquirer = texts(EN, "acquirer")
    assert_in_all(acquirer, "银联商务", "¥3,500.00", "YS20251121-0042", "2025")
    assert squash("挂失报告") in squash(acquirer["acquirer.zh.docx"])
    assert_in_all(texts(EN, "unionpay"), "95516", "251120234711", "898440153990021")


def test_english_checklist_for_a_stolen_terminal():
    text = texts(EN, "checklist")["checklist.en.pdf"].replace("\n", " ")
    for needle in (
        "2 December 2025",
        "4 day(s) left",
        "Do not demand money from the cardholder",
        "110",
        "12363",
    ):
        assert needle in text, needle
    assert "payment order" not in text.lower()  # no demand routes against a victim


def test_no_demand_is_rendered_for_a_stolen_terminal():
    for output_id in ("customer", "lawyer_letter", "complaint"):
        with pytest.raises(NotApplicable, match="victim"):
            render_output(load(EN), output_id, now=NOW)


def test_pdfs_are_a4_numbered_with_the_cjk_font_embedded():
    for name in (ZH, EN):
        for output_id in applicable(name):
            for f in rendered(name, output_id).files:
                if not f.name.endswith(".pdf"):
                    continue
                reader = PdfReader(io.BytesIO(f.data))
                box = reader.pages[0].mediabox
                assert (round(float(box.width)), round(float(box.height))) == (595, 842), f.name
                first = reader.pages[0].extract_text().replace("\x00", "")
                assert ("第 1 页" in first) or ("Page 1 of" in first), f.name
                fonts = reader.pages[0]["/Resources"]["/Font"]
                base = [str(font.get_object()["/BaseFont"]) for font in fonts.values()]
                assert any(re.match(r"/[A-Z]{6}\+NotoSansCJK", b) for b in base), (f.name, base)
                assert len(f.data) < 300_000, f.name


def test_docx_sets_the_east_asian_font_a4_and_page_numbers():
    for output_id in ("acquirer", "checklist"):
        for f in rendered(ZH, output_id).files:
            if not f.name.endswith(".docx"):
                continue
            with zipfile.ZipFile(io.BytesIO(f.data)) as archive:
                styles = archive.read("word/styles.xml").decode()
                body = archive.read("word/document.xml").decode()
                footers = "".join(archive.read(n).decode() for n in archive.namelist() if "footer" in n)
            assert 'w:eastAsia="宋体"' in styles and 'w:eastAsia="宋体"' in body
            assert "PAGE" in footers and "NUMPAGES" in footers
            doc = Document(io.BytesIO(f.data))
            for style in ("Title", "Heading 1", "Normal"):
                fonts = doc.styles[style].element.rPr.rFonts
                assert not any(k.endswith("Theme") or k.endswith("theme") for k in fonts.attrib), style
            section = doc.sections[0]
            assert abs(section.page_width.cm - 21.0) < 0.05 and abs(section.page_height.cm - 29.7) < 0.05


def test_the_draft_note_stays_with_the_merchant():
    """The merchant's own papers and every chat message end with the notice; papers for others carry none."""
    for name in (ZH, EN):
        for output_id in applicable(name):
            chat = squash("".join(rendered(name, output_id).chat_html))[-300:]
            assert "不构成法律意见" in chat or "notlegaladvice" in chat, output_id
            for file_name, text in texts(name, output_id).items():
                flat = squash(text)
                if output_id in ("checklist", "prevention"):
                    assert "不构成法律意见" in flat[-200:] or "notlegaladvice" in flat[-200:], file_name
                else:
                    assert "不构成法律意见" not in flat and "notlegaladvice" not in flat, file_name
                    assert "POS纠纷助手" not in flat and "POSDisputeAssistant" not in flat, file_name
                    assert load(name)["id"] not in flat, file_name


def test_chat_is_telegram_html_in_the_merchants_language():
    for name, marker in ((ZH, "的"), (EN, "the")):
        for output_id in applicable(name):
            chunks = rendered(name, output_id).chat_html
            assert chunks, output_id
            for chunk in chunks:
                assert len(chunk) < 4096
                tags = {t.lower() for t in re.findall(r"</?([a-zA-Z]+)", chunk)}
                assert tags <= ALLOWED_TAGS, (output_id, tags)
            assert marker in "".join(chunks), output_id
    en_acquirer = "".join(rendered(EN, "acquirer").chat_html)
    assert "The document to send is in Chinese" in en_acquirer


def test_a_passed_deadline_says_so_and_asks_to_contact_the_acquirer():
    late = NOW.replace(year=2026)
    text = squash("".join(render_output(load(ZH), "checklist", now=late).chat_html))
    assert squash("已过期") in text and squash("已过。<b>立即</b>联系收单机构") in text
    assert "还剩" not in text
    assert squash("发卡行仍可能调单") not in text  # the 12-month window is over too
    english = "".join(render_output(load(ZH), "checklist", lang="en", now=late).chat_html)
    assert "has passed" in english and "day(s) left" not in english


def test_days_left_count_in_shanghai_time():
    from datetime import UTC, datetime

    late_utc = datetime(2025, 11, 28, 17, 0, tzinfo=UTC)  # already 29 November in Shanghai
    text = squash("".join(render_output(load(ZH), "checklist", now=late_utc).chat_html))
    assert squash("还剩 6 天") in text
