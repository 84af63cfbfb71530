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

from bot.documents import facts
from conversations.cards import mask_card_numbers
from conversations.fmt import money
from conversations.outputs import (
    customer_named,
    group,
    is_lost_terminal,
    items,
    loss_txns,
    moment,
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
)
CUSTOMER_FIELDS = ("name", "phone", "claim", "statement", "channel")


def _fields(raw: dict, names: tuple[str, ...]) -> dict:
    """Every field the templates know, None when missing (a missing key and a null mean the same)."""
    found = {name: clean(raw.get(name)) for name in names}
    found.update({k: clean(v) for k, v in raw.items() if k not in found})
    return found


def clean(value: object) -> object:
    """Strings masked for card numbers and stripped; None for empty; other values as they are."""
    if isinstance(value, str):
        text = mask_card_numbers(value.strip())[0]
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
        "goods": clean(raw.get("goods")),
        "signed": raw.get("signed") if isinstance(raw.get("signed"), bool) else None,
    }


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
    return {"value": total, "text": fmt_money(total, lang), "upper": _upper(total) if lang == "zh" else None}


def build(case: dict, lang: str, now: datetime) -> dict:
    today = now.date()
    merchant = _fields(group(case, "merchant"), MERCHANT_FIELDS)
    incident_raw = group(case, "incident")
    customer = _fields(group(case, "customer"), CUSTOMER_FIELDS)
    dispute_raw = group(case, "dispute")
    lost = is_lost_terminal(case)

    raw_txns = items(case, "txn")
    txns = [_txn(i, raw, lang) for i, raw in enumerate(raw_txns)]
    sales_ids = {id(raw) for raw in sales_txns(case)}
    loss_ids = {id(raw) for raw in loss_txns(case)}
    sales = [txn for txn, raw in zip(txns, raw_txns, strict=True) if id(raw) in sales_ids]
    loss = [txn for txn, raw in zip(txns, raw_txns, strict=True) if id(raw) in loss_ids]

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
            }
        )
    kinds = {e["kind"] for e in evidence}

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
    }

    incident = {
        "lost_at": fmt_date(incident_raw.get("lost_at"), lang),
        "discovered_at": fmt_date(incident_raw.get("discovered_at"), lang),
        "place": clean(incident_raw.get("place")),
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

    acquirer_name = merchant.get("acquirer") or ""
    ctx = {
        "lang": lang,
        "case_id": clean(case.get("id")),
        "today": fmt_date(today, lang),
        "scenario": case.get("scenario"),
        "goal": case.get("goal"),
        "lost": lost,
        "stolen": lost and incident["how"] == "stolen",
        "merchant": merchant,
        "acquirer_is_bank": "银行" in acquirer_name or "bank" in acquirer_name.lower(),
        "incident": incident,
        "txns": txns,
        "sales": sales,
        "loss": loss,
        "total": _total(txns, lang),
        "sales_total": sales_total,
        "loss_total": _total(loss, lang),
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
    txn_days = [d for d in (_day(raw.get("datetime")) for raw in raw_txns) if d]
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
    if ctx["sales"] and not kinds & {"signed_slip", "e_slip"}:
        out.append({"id": "slip"})
    unsigned = [txn["reference_no"] or str(txn["no"]) for txn in ctx["sales"] if txn["signed"] is False]
    if unsigned:
        out.append({"id": "unsigned", "refs": _join(unsigned, ctx["lang"])})
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
    if ctx["sales"] and not ctx["customer_named"] and not ctx["lost"]:
        out.append({"id": "customer_name"})
    if ctx["lost"] and incident["police_report"] is not True:
        out.append({"id": "police_receipt"})
    elif ctx["lost"] and not incident["police_receipt_no"] and "police_receipt" not in kinds:
        out.append({"id": "police_receipt_no"})
    if ctx["lost"]:
        out.append({"id": "agreement"})
    return out


def _steps(ctx: dict) -> list[dict]:
    """The checklist, in the order to do things. `done` marks a step the case shows as done."""
    plans, dispute, incident = ctx["plans"], ctx["dispute"], ctx["incident"]
    steps: list[dict] = []
    if ctx["lost"]:
        steps.append({"id": "freeze", "done": incident["reported_to_acquirer"] is True})
        steps.append({"id": "suspend_settlement", "done": False})
        steps.append({"id": "police", "done": incident["police_report"] is True})
        steps.append({"id": "export_records", "done": False})
    if dispute["open"]:
        steps.append({"id": "reply" if dispute["deadline"] else "ask_deadline", "done": False})
    elif not ctx["lost"]:
        steps.append({"id": "watch_notice", "done": False})
    if ctx["sales"]:
        steps.append({"id": "gather", "done": False})
    if plans.get("customer"):
        steps.append({"id": "contact_customer", "done": False})
    steps.append({"id": "send_acquirer", "done": False})
    if ctx["lost"]:
        steps.append({"id": "agreement", "done": False})
        steps.append({"id": "no_demand", "done": False})
    if ctx["demand"]:
        steps.append({"id": "demand", "done": False})
        steps.append({"id": "court_routes", "done": False})
    elif ctx["sales"] and not ctx["customer_named"] and not ctx["lost"]:
        steps.append({"id": "identify", "done": False})
    steps.append({"id": "escalate", "done": False})
    steps.append({"id": "keep_records", "done": False})
    return steps
