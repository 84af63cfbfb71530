"""From a case to the plain dictionary the templates print: formatted values and the decisions.

Templates format nothing and decide nothing of substance: the steps of the checklist, what is
missing, which dates matter and the court-fee estimate are worked out here, in Python, from the
case and `now`; the templates turn them into prose in one language. Every string from the case
is masked for card numbers on the way in (and again when printed, see markup.literal).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from babel.dates import format_date, format_datetime

from bot.documents import facts, names, places
from conversations.cards import mask_card_numbers
from conversations.chars import fit
from conversations.fmt import money
from conversations.outputs import (
    acquirer_problem,
    after_freeze,
    customer_identified,
    customer_named,
    debited,
    denies_paying,
    evidence_weak,
    group,
    is_lost_terminal,
    items,
    loss_txns,
    moment,
    partly_disputed,
    plan_outputs,
    sales_txns,
)

_LOCALE = {"zh": "zh_CN", "en": "en"}
_DATE = {"zh": "yyyy年M月d日", "en": "d MMMM yyyy"}
_DATETIME = {"zh": "yyyy年M月d日 HH:mm", "en": "d MMMM yyyy, HH:mm"}


MERCHANT_FIELDS = (
    "name",
    "merchant_no",
    "terminal_id",
    "acquirer",
    "pos_type",
    "contact_name",
    "phone",
    "address",
    "credit_code",
    "entity_type",
    "operator_name",
    "name_zh",
)
CUSTOMER_FIELDS = ("name", "phone", "address", "claim", "statement", "channel")


def _fields(raw: dict, names: tuple[str, ...]) -> dict:
    """Every field the templates know, None when missing (a missing key and a null mean the same)."""
    found = {name: clean(raw.get(name)) for name in names}
    found.update({k: clean(v) for k, v in raw.items() if k not in found})
    return found


def clean(value: object) -> object:
    """Strings masked for card numbers and stripped; None for empty; other values as they are."""
    if isinstance(value, str):
        text = mask_card_numbers(fit(value).strip())[0]  # fit: a case stored before characters were cleaned
        return text or None
    return value


def amount(value: object) -> Decimal | None:
    try:
        found = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return found if found.is_finite() else None


def fmt_money(value: Decimal | str | None, lang: str) -> str | None:
    found = amount(value) if value is not None else None
    return None if found is None else money(f"{found:.2f}", lang)


def fmt_date(value: object, lang: str) -> str | None:
    if isinstance(value, str):
        value = moment(value)
    if isinstance(value, datetime):
        return format_datetime(value, _DATETIME[lang], locale=_LOCALE[lang], tzinfo=value.tzinfo)
    if isinstance(value, date):
        return format_date(value, _DATE[lang], locale=_LOCALE[lang])
    return None


def _day(value: object) -> date | None:
    found = moment(value) if isinstance(value, str) else value
    return found.date() if isinstance(found, datetime) else found


def _sha_short(sha: object) -> str | None:
    return sha[:12] if isinstance(sha, str) and sha else None


def _size(size: object) -> str | None:
    if not isinstance(size, int) or size < 0:
        return None
    if size < 1024:
        return f"{size} B"
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def _txn(index: int, raw: dict, lang: str) -> dict:
    value = amount(raw.get("amount"))
    return {
        "no": index + 1,
        "datetime": fmt_date(raw.get("datetime"), lang),
        "amount": fmt_money(value, lang),
        "amount_value": value,
        "reference_no": clean(raw.get("reference_no")),
        "voucher_no": clean(raw.get("voucher_no")),
        "batch_no": clean(raw.get("batch_no")),
        "auth_code": clean(raw.get("auth_code")),
        "card_masked": clean(raw.get("card_masked")),
        "issuer": clean(raw.get("issuer")),
        "type": raw.get("type") or None,
        "goods": clean(raw.get("goods_zh") if lang == "zh" and raw.get("goods_zh") else raw.get("goods")),
        "signed": raw.get("signed") if isinstance(raw.get("signed"), bool) else None,
        "entry_mode": raw.get("entry_mode") or None,
        "pin_verified": raw.get("pin_verified") if isinstance(raw.get("pin_verified"), bool) else None,
        "supply": raw.get("supply") or None,
        "delivered": raw.get("delivered") or None,
        "card_present": _card_present(raw),
    }


def _card_present(raw: dict) -> list[str]:
    """What shows the card and its holder were at the counter, strongest first (ids for the templates)."""
    found = []
    if raw.get("entry_mode") in ("chip", "contactless"):
        found.append(raw["entry_mode"])
    if raw.get("pin_verified") is True:
        found.append("pin")
    if raw.get("signed") is True:
        found.append("signed")
    if raw.get("entry_mode") in ("chip", "contactless"):
        found.append("no_fallback")
    return found


def _reason_point(reason_code: object, claim: object) -> str:
    """What the notice's reason disputes: who paid, what was supplied, how much, or a repeat.

    Read from the reason's words when they say it, else from what the customer claims; the
    code itself is quoted as the notice gives it, never interpreted by number.
    """
    text = reason_code if isinstance(reason_code, str) else ""
    for point, words in (
        (
            "identity",
            ("非持卡人", "非本人", "未授权", "欺诈", "盗刷", "not authori", "fraud", "not the cardholder"),
        ),
        ("not_received", ("未收到", "未提供", "未交付", "not received", "not provided")),
        ("duplicate", ("重复", "duplicate")),
        ("amount", ("金额", "amount")),
    ):
        if any(w in text.lower() for w in words):
            return point
    return {
        "not_me": "identity",
        "card_lost": "identity",
        "not_received": "not_received",
        "duplicate": "duplicate",
        "amount_wrong": "amount",
    }.get(claim if isinstance(claim, str) else "", "other")


def _contract(sales: list[dict]) -> str:
    """service, goods, prepaid or mixed: decides the cause of action and what is claimed (§5a)."""
    supplies = {txn["supply"] for txn in sales if txn["supply"]}
    if not supplies:
        return "unknown"
    return supplies.pop() if len(supplies) == 1 else "mixed"


def _is_image(raw: dict) -> bool:
    mime = raw.get("mime") or ""
    name = (raw.get("file_name") or "").lower()
    return mime.startswith("image/") or name.endswith((".jpg", ".jpeg", ".png", ".webp", ".heic"))


def _proves(kind: str, lost: bool) -> str:
    """Which sentence of "what it proves" fits: a camera on a stolen terminal shows the theft, not a sale."""
    if lost and kind in ("cctv", "witness", "chat", "other"):
        return f"{kind}_loss"
    return kind


def _upper(value: Decimal | None) -> str | None:
    """An amount in Chinese capital numerals (人民币大写), as courts and banks write it."""
    if value is None or value <= 0:
        return None
    try:
        import cn2an

        return cn2an.an2cn(f"{value:.2f}", "rmb")
    except Exception:  # cn2an is a convenience: the figures are always there
        return None


def _total(txns: list[dict], lang: str) -> dict:
    values = [txn["amount_value"] for txn in txns if txn["amount_value"] is not None]
    total = sum(values, Decimal("0")) if values else None
    return {
        "value": total,
        "text": fmt_money(total, lang),
        "upper": _upper(total) if lang == "zh" else None,
        # courts and lawyers write amounts as 人民币 … 元 (the 2025 model complaints)
        "rmb": (f"人民币{total:,.2f}元" if lang == "zh" else f"RMB {total:,.2f}")
        if total is not None
        else None,
    }


def build(case: dict, lang: str, now: datetime) -> dict:
    today = now.date()
    merchant = _fields(group(case, "merchant"), MERCHANT_FIELDS)
    incident_raw = group(case, "incident")
    customer = _fields(group(case, "customer"), CUSTOMER_FIELDS)
    if lang == "zh" and customer.get("statement_zh"):  # an English-speaking merchant's words, in Chinese
        customer["statement"] = customer["statement_zh"]
    dispute_raw = group(case, "dispute")
    lost = is_lost_terminal(case)

    raw_txns = items(case, "txn")
    txns = [_txn(i, one, lang) for i, one in enumerate(raw_txns)]
    sales_ids = {id(one) for one in sales_txns(case)}
    loss_ids = {id(one) for one in loss_txns(case)}
    sales = [one for one, raw in zip(txns, raw_txns, strict=True) if id(raw) in sales_ids]
    loss = [one for one, raw in zip(txns, raw_txns, strict=True) if id(raw) in loss_ids]
    for txn, raw in zip(txns, raw_txns, strict=True):
        txn["after_freeze"] = after_freeze(case, raw)
    if lang == "zh" and merchant.get("name_zh"):  # a Chinese paper names the shop as registered
        merchant["name"] = merchant["name_zh"]
    acquirer_typed = merchant.get("acquirer")
    merchant["acquirer_typed"] = acquirer_typed
    merchant["acquirer"] = names.display(acquirer_typed, lang)

    evidence = []
    for i, raw in enumerate(items(case, "evidence")):
        evidence.append(
            {
                "no": i + 1,
                "kind": raw.get("kind") or "other",
                "file_name": clean(raw.get("file_name")),
                "sha256": clean(raw.get("sha256")),
                "sha_short": _sha_short(raw.get("sha256")),
                "size": _size(raw.get("size")),
                "received_at": fmt_date(raw.get("received_at"), lang),
                "caption": clean(raw.get("caption")),
                "proves": _proves(raw.get("kind") or "other", lost),
                "image": _is_image(raw),
            }
        )
    kinds = {e["kind"] for e in evidence}
    page = 1
    for e in evidence:  # the exhibit index: one page per photo; other files' pages are filled in
        e["page"] = page if e["image"] else None
        page = page + 1 if e["image"] else page

    deadline = _day(dispute_raw.get("deadline"))
    stage = dispute_raw.get("stage") or "none"
    days_left = (deadline - today).days if deadline else None
    dispute = {
        "stage": stage,
        "open": stage in ("retrieval", "chargeback", "arbitration"),
        "notified_at": fmt_date(_day(dispute_raw.get("notified_at")), lang),
        "deadline": fmt_date(deadline, lang),
        "days_left": days_left,
        "overdue": days_left is not None and days_left < 0,
        "case_no": clean(dispute_raw.get("case_no")),
        "reason_code": clean(dispute_raw.get("reason_code")),
        "point": _reason_point(dispute_raw.get("reason_code"), customer.get("claim")),
        "debited": dispute_raw.get("debited") if isinstance(dispute_raw.get("debited"), bool) else None,
        "acquirer_problem": clean(
            dispute_raw.get("acquirer_problem_zh")
            if lang == "zh" and dispute_raw.get("acquirer_problem_zh")
            else acquirer_problem(case)
        )
        or None,
    }

    incident = {
        "lost_at": fmt_date(incident_raw.get("lost_at"), lang),
        "discovered_at": fmt_date(incident_raw.get("discovered_at"), lang),
        "place": clean(
            incident_raw.get("place_zh")
            if lang == "zh" and incident_raw.get("place_zh")
            else incident_raw.get("place")
        ),
        "frozen_at": fmt_date(incident_raw.get("frozen_at"), lang),
        "how": incident_raw.get("how") or "unknown",
        "reported_to_acquirer": incident_raw.get("reported_to_acquirer"),
        "acquirer_ticket": clean(incident_raw.get("acquirer_ticket")),
        "police_report": incident_raw.get("police_report"),
        "police_receipt_no": clean(incident_raw.get("police_receipt_no")),
    }

    plans = {p.id: p.applies for p in plan_outputs(case)}
    demand = plans["lawyer_letter"] or plans["complaint"]
    signed = any(txn["signed"] for txn in sales) or bool(kinds & {"signed_slip", "e_slip"})
    sales_total = _total(sales, lang)
    dates = _dates(case, raw_txns, today, lang)
    fee = facts.court_fee(sales_total["value"]) if demand and sales_total["value"] else None

    loss_total = _total(loss, lang)
    ctx = {
        "lang": lang,
        "case_id": clean(case.get("id")),
        "today": fmt_date(today, lang),
        "scenario": case.get("scenario"),
        "goal": case.get("goal"),
        "lost": lost,
        "stolen": lost and incident["how"] == "stolen",
        "merchant": merchant,
        "acquirer_is_bank": names.is_bank(merchant.get("acquirer_typed")),
        "unionpay_name": names.display(names.UNIONPAY, lang),
        "court": places.basic_court(group(case, "merchant").get("address")),
        "pboc_branch": places.pboc_branch(group(case, "merchant").get("address")),
        "contract": _contract(sales),
        "partly": partly_disputed(case),
        "weak": evidence_weak(case),
        "denies_paying": denies_paying(case),
        "debited": debited(case),
        "identified": customer_identified(case),
        "links": sorted(kinds & {"booking", "chat", "invoice", "delivery"}),
        "after_freeze": [txn for txn in loss if txn["after_freeze"]],
        "incident": incident,
        "txns": txns,
        "sales": sales,
        "loss": loss,
        "total": _total(txns, lang),
        "sales_total": sales_total,
        "loss_total": loss_total,
        "customer": customer,
        "customer_named": customer_named(case),
        "dispute": dispute,
        "evidence": evidence,
        "kinds": sorted(kinds),
        "plans": plans,
        "demand": demand,
        "signed": signed,
        "dates": dates,
        "fee": {"full": fmt_money(fee, lang), "simple": fmt_money(facts.simple_procedure_fee(fee), lang)}
        if fee is not None
        else None,
        "hotlines": facts.HOTLINES,
        "translation": False,
    }
    ctx["missing"] = _missing(ctx)
    ctx["steps"] = _steps(ctx)
    return ctx


def _dates(case: dict, raw_txns: list[dict], today: date, lang: str) -> dict:
    txn_days = [d for d in (_day(one.get("datetime")) for one in raw_txns) if d]
    incident = group(case, "incident")
    dispute = group(case, "dispute")
    if is_lost_terminal(case):
        known = _day(incident.get("discovered_at")) or _day(incident.get("lost_at"))
    else:  # the merchant learned the customer would not pay when the bank or customer said so
        known = _day(dispute.get("notified_at")) or (max(txn_days) if txn_days else None)
    last_txn = max(txn_days) if txn_days else None
    first_txn = min(txn_days) if txn_days else None
    limitation_end = facts.add_years(known, facts.LIMITATION_YEARS) if known else None
    retrieval_until = facts.add_months(first_txn, facts.RETRIEVAL_WINDOW_MONTHS) if first_txn else None
    return {
        "known": fmt_date(known, lang),
        "limitation_end": fmt_date(limitation_end, lang),
        "keep_min": fmt_date(facts.add_years(last_txn, facts.KEEP_SLIPS_MIN_YEARS), lang)
        if last_txn
        else None,
        "keep_suggested": fmt_date(facts.add_years(last_txn, facts.KEEP_SLIPS_SUGGESTED_YEARS), lang)
        if last_txn
        else None,
        "retrieval_until": fmt_date(retrieval_until, lang)
        if retrieval_until and retrieval_until >= today
        else None,
    }


def _join(values: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(values)


def _missing(ctx: dict) -> list[dict]:
    """What the case still lacks, each with the id the templates explain how to get it by."""
    kinds = set(ctx["kinds"])
    dispute, customer, incident = ctx["dispute"], ctx["customer"], ctx["incident"]
    out: list[dict] = []
    if dispute["open"] and not dispute["deadline"]:
        out.append({"id": "deadline"})
    if dispute["open"] and not dispute["case_no"]:
        out.append({"id": "case_no"})
    if dispute["open"] and not dispute["reason_code"]:
        out.append({"id": "reason_code"})
    if dispute["stage"] in ("chargeback", "arbitration") and dispute["debited"] is None:
        out.append({"id": "debited"})
    if ctx["sales"] and not kinds & {"signed_slip", "e_slip"}:
        out.append({"id": "slip"})
    unsigned = [txn["reference_no"] or str(txn["no"]) for txn in ctx["sales"] if txn["signed"] is False]
    if unsigned:
        out.append({"id": "unsigned", "refs": _join(unsigned, ctx["lang"])})
    if ctx["sales"] and dispute["point"] == "identity" and not ctx["links"]:
        out.append({"id": "links"})
    if ctx["sales"] and "cctv" not in kinds:
        out.append({"id": "cctv"})
    if ctx["stolen"] and "cctv" not in kinds:
        out.append({"id": "cctv_theft"})
    if (ctx["loss"] or ctx["sales"]) and "pos_record" not in kinds:
        out.append({"id": "pos_record"})
    no_ref = [str(txn["no"]) for txn in ctx["txns"] if not txn["reference_no"]]
    if no_ref:
        out.append({"id": "reference_no", "txns": _join(no_ref, ctx["lang"])})
    if customer.get("claim") == "not_received" and "delivery" not in kinds:
        out.append({"id": "delivery"})
    if customer.get("claim") == "amount_wrong" and "invoice" not in kinds:
        out.append({"id": "invoice"})
    if ctx["sales"] and not ctx["identified"] and not ctx["lost"] and customer.get("claim") != "card_lost":
        out.append({"id": "customer_name"})
    elif ctx["demand"] and not customer.get("address"):
        out.append({"id": "customer_address"})
    if ctx["lost"] and incident["police_report"] is not True:
        out.append({"id": "police_receipt"})
    elif ctx["lost"] and not incident["police_receipt_no"] and "police_receipt" not in kinds:
        out.append({"id": "police_receipt_no"})
    if ctx["lost"] and not incident["frozen_at"]:
        out.append({"id": "frozen_at"})
    if ctx["lost"]:
        out.append({"id": "agreement"})
    return out


def _steps(ctx: dict) -> list[dict]:
    """The checklist, in the order to do things, following the goal. `done` marks a step done."""
    plans, dispute, incident, goal = ctx["plans"], ctx["dispute"], ctx["incident"], ctx["goal"]
    steps: list[dict] = []
    if ctx["lost"]:
        steps.append({"id": "freeze", "done": incident["reported_to_acquirer"] is True})
        steps.append({"id": "suspend_settlement", "done": False})
        steps.append({"id": "police", "done": incident["police_report"] is True})
        steps.append({"id": "export_records", "done": False})
    customer_first = goal == "confirm_with_customer" and plans.get("customer")
    if customer_first:
        steps.append({"id": "contact_customer", "done": False})
    if dispute["open"]:
        steps.append({"id": "reply" if dispute["deadline"] else "ask_deadline", "done": False})
    elif not ctx["lost"]:
        steps.append({"id": "watch_notice", "done": False})
    if plans.get("no_contest"):
        steps.append({"id": "no_contest", "done": False})
    if ctx["sales"]:
        steps.append({"id": "gather", "done": False})
    if ctx["weak"] and dispute["open"]:
        steps.append({"id": "accept_option", "done": False})
    if plans.get("customer") and not customer_first:
        steps.append({"id": "contact_customer", "done": False})
    steps.append({"id": "send_acquirer", "done": False})
    if ctx["lost"]:
        steps.append({"id": "agreement", "done": False})
        steps.append({"id": "no_demand", "done": False})
    if ctx["demand"] and goal != "report_only":
        steps.append({"id": "demand", "done": False})
        steps.append({"id": "court_routes", "done": False})
    elif ctx["sales"] and not ctx["lost"]:
        if ctx["customer"].get("claim") == "card_lost":
            steps.append({"id": "card_lost_no_demand", "done": False})
        elif not ctx["debited"]:
            steps.append({"id": "nothing_owed_yet", "done": False})
        elif not ctx["identified"]:
            steps.append({"id": "identify", "done": False})
    steps.append({"id": "escalate", "done": False})
    steps.append({"id": "keep_records", "done": False})
    return steps
