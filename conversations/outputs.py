"""Which outputs (checklist, letters, court papers) fit a confirmed case, and why the others do not.

Pure: a case in the `case.json` shape in, a plan per output id out. The reasons are English
gettext message ids (whole sentences, named placeholders) that the engine translates when it
shows them. The document renderer reads the same predicates, so the chat menu and the files
never disagree about what applies.

The judgement follows ../shared/domain/pos-disputes.md:
- a charge made on a terminal after it left the merchant's hands was not a sale by the merchant:
  the cardholder is likely a victim too, so no message, demand or lawsuit is drafted against them,
  and the acquirer is told the merchant does not contest the chargeback (§3, §5b);
- a demand (lawyer's letter, complaint) only for money actually owed: the chargeback has been
  debited; never against a cardholder who says the card was lost or stolen; only against a
  customer identified well enough to be told from others (a full name, and an address or phone),
  "李先生" is not enough (§5a);
- a merchant writes to the PBoC as a report on the acquirer's handling (情况反映), so only when
  there is something about that handling to report (§4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from conversations.i18n import N_

OUTPUT_IDS = (
    "checklist",
    "customer",
    "confirmation",
    "settlement",
    "acquirer",
    "no_contest",
    "unionpay",
    "pboc",
    "police",
    "lawyer_letter",
    "complaint",
    "evidence_list",
    "witness",
    "prevention",
)


@dataclass(frozen=True)
class OutputPlan:
    id: str
    applies: bool
    reason: str  # gettext message id: why it does not apply, or what it is when it does
    params: dict = field(default_factory=dict)


# --- reading a case (missing groups, missing keys and nulls all mean "unknown") ---------------


def group(case: dict, name: str) -> dict:
    value = case.get(name)
    return value if isinstance(value, dict) else {}


def items(case: dict, name: str) -> list[dict]:
    value = case.get(name)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def moment(value: object) -> datetime | date | None:
    """An ISO date-time or date from the case, or None when absent or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
    except ValueError:
        return None


def day_of(value: object) -> date | None:
    found = moment(value)
    return found.date() if isinstance(found, datetime) else found


def is_lost_terminal(case: dict) -> bool:
    return case.get("scenario") == "lost_terminal"


def _not_before(at: datetime, since: datetime) -> bool:
    try:
        return at >= since
    except TypeError:  # one naive, one aware: compare wall times
        return at.replace(tzinfo=None) >= since.replace(tzinfo=None)


def after_loss(case: dict, txn: dict) -> bool:
    """Whether a disputed charge was made after the terminal left the merchant's hands.

    In a lost-terminal case a charge with no time, or no loss time to compare with, counts as
    made after the loss: that is what the merchant reported it as.
    """
    if not is_lost_terminal(case):
        return False
    lost = moment(group(case, "incident").get("lost_at"))
    at = moment(txn.get("datetime"))
    if not isinstance(lost, datetime) or not isinstance(at, datetime):
        return True
    return _not_before(at, lost)


def after_freeze(case: dict, txn: dict) -> bool:
    """A charge made after the merchant reported the freeze: the provider's to explain (§5b)."""
    frozen = moment(group(case, "incident").get("frozen_at"))
    at = moment(txn.get("datetime"))
    if not isinstance(frozen, datetime) or not isinstance(at, datetime):
        return False
    return after_loss(case, txn) and _not_before(at, frozen)


def sales_txns(case: dict) -> list[dict]:
    """The disputed transactions that were the merchant's own sales (goods or services given)."""
    return [txn for txn in items(case, "txn") if txn.get("type") != "refund" and not after_loss(case, txn)]


def loss_txns(case: dict) -> list[dict]:
    """The disputed charges made on the terminal after it was lost or stolen."""
    return [txn for txn in items(case, "txn") if after_loss(case, txn)]


_TITLE_ONLY = re.compile(
    r"^(?:(?:mr|mrs|ms|miss|dr|mx|sir|madam)\.?\s+\S+|\S+\s+(?:sir|madam))$|"
    r"^.{1,2}(?:先生|女士|小姐|太太|夫人|老板|师傅|阿姨|大姐|大哥|老师|同学|总|经理)$|^[老小阿].$",
    re.IGNORECASE,
)


def full_name(name: object) -> bool:
    """A name that tells the person from others: not a title with a surname ("李先生", "Mr. Zhou")."""
    text = (name or "").strip() if isinstance(name, str) else ""
    if not text or _TITLE_ONLY.match(text):
        return False
    if re.fullmatch(r"[\u4e00-\u9fff·]+", text):
        return len(text) >= 2
    return len(text.split()) >= 2  # a given name and a family name


def customer_named(case: dict) -> bool:
    return bool((group(case, "customer").get("name") or "").strip())


def customer_identified(case: dict) -> bool:
    """Enough to name a defendant (民诉法解释 on 明确的被告, §5a): a full name and an address or phone."""
    customer = group(case, "customer")
    reach = (customer.get("address") or "").strip() or (customer.get("phone") or "").strip()
    return full_name(customer.get("name")) and bool(reach)


def customer_reachable(case: dict) -> bool:
    customer = group(case, "customer")
    if customer_named(case) or (customer.get("phone") or "").strip():
        return True
    return customer.get("channel") in ("in_person", "phone", "online")


def dispute_open(case: dict) -> bool:
    return group(case, "dispute").get("stage") in ("retrieval", "chargeback", "arbitration")


def debited(case: dict) -> bool:
    """The disputed money has been taken back from the merchant's settlement (已扣款)."""
    return group(case, "dispute").get("debited") is True


def cardholder_says_card_lost(case: dict) -> bool:
    return group(case, "customer").get("claim") == "card_lost"


def denies_paying(case: dict) -> bool:
    """The customer denies making the payment (or signing): the debt is not undisputed (§5a)."""
    return group(case, "customer").get("claim") in ("not_me", "card_lost")


def partly_disputed(case: dict) -> bool:
    """Only part of the money is in question: a wrong amount, or a service supplied in part."""
    if group(case, "customer").get("claim") == "amount_wrong":
        return True
    return any(txn.get("delivered") == "partly" for txn in sales_txns(case))


def nothing_supplied(case: dict) -> bool:
    sales = sales_txns(case)
    return bool(sales) and all(txn.get("delivered") == "no" for txn in sales)


def acquirer_problem(case: dict) -> str:
    value = group(case, "dispute").get("acquirer_problem")
    return value.strip() if isinstance(value, str) else ""


def acquirer_contacted(case: dict) -> bool:
    """The acquirer already knows: it raised a dispute, or the merchant reported the loss."""
    return dispute_open(case) or group(case, "incident").get("reported_to_acquirer") is True


_STRONG = {"signed_slip", "e_slip", "booking", "delivery", "cctv", "chat", "witness", "invoice"}


def evidence_weak(case: dict) -> bool:
    """Nothing ties the cardholder to the sale: no signature, no PIN, no chip or tap, no link.

    Then accepting the chargeback may cost less than fighting it, and the merchant is told so.
    """
    sales = sales_txns(case)
    if not sales:
        return False
    kinds = {e.get("kind") for e in items(case, "evidence")}
    if kinds & _STRONG:
        return False
    for txn in sales:
        if txn.get("signed") is True or txn.get("pin_verified") is True:
            return False
        if txn.get("entry_mode") in ("chip", "contactless"):
            return False
    return True


# --- the plan ------------------------------------------------------------------------------


def plan_outputs(case: dict) -> list[OutputPlan]:
    return [_PLANNERS[output_id](case) for output_id in OUTPUT_IDS]


def _yes(output_id: str, reason: str, **params: object) -> OutputPlan:
    return OutputPlan(output_id, True, reason, dict(params))


def _no(output_id: str, reason: str, **params: object) -> OutputPlan:
    return OutputPlan(output_id, False, reason, dict(params))


def _checklist(case: dict) -> OutputPlan:
    return _yes("checklist", N_("Your steps in order, with the dates that matter and what is still missing."))


def _no_customer_reason(case: dict) -> str | None:
    """Why nothing goes to the customer at all, or None."""
    if is_lost_terminal(case) and not sales_txns(case):
        return N_(
            "The charges were made after your terminal was lost or stolen, so the cardholder is "
            "probably a victim too: nothing is drafted against them. Report the charges to the "
            "police and to your acquirer instead."
        )
    if not sales_txns(case):
        return N_("There is no disputed sale of yours to ask the customer about.")
    if not customer_reachable(case):
        return N_(
            "You have no name or phone number for the customer and they dispute through their "
            "bank, so there is no one to send a message to: your reply to the acquirer carries "
            "your evidence instead."
        )
    return None


def _customer(case: dict) -> OutputPlan:
    blocked = _no_customer_reason(case)
    if blocked:
        return _no("customer", blocked)
    return _yes("customer", N_("A courteous message asking the customer to confirm the purchase."))


def _confirmation(case: dict) -> OutputPlan:
    blocked = _no_customer_reason(case)
    if blocked:
        return _no("confirmation", blocked)
    if cardholder_says_card_lost(case):
        return _no(
            "confirmation",
            N_(
                "The cardholder says the card was lost or stolen, so asking them to sign that they "
                "made the payment would not fit: your message asks what happened instead."
            ),
        )
    return _yes(
        "confirmation",
        N_(
            "A confirmation for the cardholder to sign that they made the payment: the strongest "
            "evidence you can get if they agree."
        ),
    )


def _settlement(case: dict) -> OutputPlan:
    blocked = _no_customer_reason(case)
    if blocked:
        return _no("settlement", blocked)
    if not partly_disputed(case):
        return _no(
            "settlement",
            N_(
                "The customer disputes the whole payment, not part of it: a settlement note fits "
                "a wrong amount or a service supplied in part."
            ),
        )
    return _yes(
        "settlement",
        N_("A settlement note: the amount you both accept, the rest refunded, the dispute withdrawn."),
    )


def _acquirer(case: dict) -> OutputPlan:
    if dispute_open(case) and is_lost_terminal(case) and loss_txns(case):
        return _yes(
            "acquirer",
            N_(
                "Your reply to the acquirer: the charges made after the loss are not contested, and "
                "you ask for the freeze time, later refunds, voids or account changes, and the "
                "terminal's location."
            ),
        )
    if dispute_open(case):
        return _yes(
            "acquirer",
            N_("Your written response to the acquirer, answering the notice and listing the evidence."),
        )
    if is_lost_terminal(case):
        return _yes(
            "acquirer", N_("The written loss report and request to freeze the terminal, for the acquirer.")
        )
    return _yes(
        "acquirer",
        N_("A written request to the acquirer for the transaction records and the electronic slip."),
    )


def _no_contest(case: dict) -> OutputPlan:
    if not (is_lost_terminal(case) and loss_txns(case)):
        return _no(
            "no_contest",
            N_("This statement is only for charges a thief made on your lost or stolen terminal."),
        )
    if not dispute_open(case):
        return _no(
            "no_contest",
            N_(
                "No chargeback has been raised on the charges made after the loss yet: the statement "
                "that you do not contest them is offered once one is."
            ),
        )
    return _yes(
        "no_contest",
        N_(
            "A statement that you do not contest the chargeback on the charges made after the loss: "
            "that money is the cardholder's."
        ),
    )


def _unionpay(case: dict) -> OutputPlan:
    stage = group(case, "dispute").get("stage")
    if is_lost_terminal(case) and loss_txns(case):
        return _yes("unionpay", N_("A report to UnionPay of the charges made on your lost terminal."))
    if stage in ("chargeback", "arbitration"):
        return _yes("unionpay", N_("A report to UnionPay on the disputed transaction, with its identifiers."))
    return _no(
        "unionpay",
        N_(
            "UnionPay works through your acquirer: answer through the acquirer first. A report to "
            "UnionPay is offered once the dispute becomes a chargeback."
        ),
    )


def _pboc(case: dict) -> OutputPlan:
    if not acquirer_problem(case):
        return _no(
            "pboc",
            N_(
                "A report to the People's Bank of China is about how the acquirer handled your case; "
                "you have not said the acquirer did anything wrong. Write to the acquirer first; "
                "tell me what it handled wrongly and the report is offered."
            ),
        )
    return _yes(
        "pboc",
        N_("A report (情况反映) to the People's Bank of China on how the acquirer handled your case."),
    )


def _police(case: dict) -> OutputPlan:
    if not is_lost_terminal(case):
        return _no(
            "police", N_("Your terminal was never lost or stolen, so there is no police report to make.")
        )
    if group(case, "incident").get("police_report") is True:
        return _yes(
            "police",
            N_("A supplementary statement for the police, listing the charges made on your terminal."),
        )
    return _yes("police", N_("A report for the police of the lost terminal and the charges made on it."))


def no_demand_reason(case: dict) -> str | None:
    """Why nothing may be demanded of the customer, or None when a demand can be drafted (§5a)."""
    if is_lost_terminal(case) and not sales_txns(case):
        return N_(
            "The charges were made after your terminal was lost or stolen, so the cardholder is "
            "probably a victim too: nothing is drafted against them. Report the charges to the "
            "police and to your acquirer instead."
        )
    if not sales_txns(case):
        return N_("There is no disputed sale of yours to ask the customer about.")
    if cardholder_says_card_lost(case):
        return N_(
            "The cardholder says the card was lost or stolen: they may be a victim too, so no demand "
            "is drafted against them. Answer the chargeback with your evidence; the person who used "
            "the card is for the police to find."
        )
    if not debited(case):
        return N_(
            "Nothing has been taken back from your settlement yet, so no money is owed to you: ask "
            "the customer to confirm instead. A demand is offered once the chargeback is debited."
        )
    if nothing_supplied(case):
        return N_(
            "You say the goods or service were not provided, so the customer owes nothing for them: "
            "no demand is drafted."
        )
    if not customer_identified(case):
        return N_(
            "A lawyer's letter or a lawsuit needs a customer identified beyond doubt: a full name (not "
            "only a surname such as 李先生 or Mr. Zhou) and an address or phone number. Find them out "
            "first (booking, membership or invoice records, delivery details, your staff, the camera)."
        )
    return None


def _demand_plan(output_id: str, what: str, case: dict) -> OutputPlan:
    blocked = no_demand_reason(case)
    if blocked:
        return _no(output_id, blocked)
    return _yes(output_id, what)


def _lawyer_letter(case: dict) -> OutputPlan:
    return _demand_plan(
        "lawyer_letter",
        N_("A lawyer's letter (律师函) demanding the amount taken back, for a lawyer to review and sign."),
        case,
    )


def _complaint(case: dict) -> OutputPlan:
    return _demand_plan(
        "complaint",
        N_("A civil complaint (要素式起诉状) for the court, in the element-style structure."),
        case,
    )


def _evidence_list(case: dict) -> OutputPlan:
    if not items(case, "evidence"):
        return _no(
            "evidence_list",
            N_(
                "You have not added any evidence yet: send photos of slips, records or camera stills and the list is built from them."
            ),
        )
    return _yes(
        "evidence_list",
        N_("The evidence list (证据清单): each item, its source, what it proves and its fingerprint."),
    )


def _witness(case: dict) -> OutputPlan:
    has_witness = any(e.get("kind") == "witness" for e in items(case, "evidence"))
    if sales_txns(case) or has_witness:
        return _yes("witness", N_("A witness statement form for someone who saw the sale or the events."))
    if is_lost_terminal(case) and group(case, "incident").get("how") == "stolen":
        return _yes("witness", N_("A witness statement form for someone who saw the theft."))
    return _no(
        "witness",
        N_("No one is known to have seen what happened; the form is offered when you add a witness."),
    )


def _prevention(case: dict) -> OutputPlan:
    return _yes("prevention", N_("What to change so that this does not happen again."))


_PLANNERS = {
    "checklist": _checklist,
    "customer": _customer,
    "confirmation": _confirmation,
    "settlement": _settlement,
    "acquirer": _acquirer,
    "no_contest": _no_contest,
    "unionpay": _unionpay,
    "pboc": _pboc,
    "police": _police,
    "lawyer_letter": _lawyer_letter,
    "complaint": _complaint,
    "evidence_list": _evidence_list,
    "witness": _witness,
    "prevention": _prevention,
}
