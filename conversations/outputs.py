"""Which outputs (checklist, letters, court papers) fit a confirmed case, and why the others do not.

Pure: a case in the `case.json` shape in, a plan per output id out. The reasons are English
gettext message ids (whole sentences, named placeholders) that the engine translates when it
shows them. The document renderer reads the same predicates, so the chat menu and the files
never disagree about what applies.

The judgement follows ../shared/domain/pos-disputes.md:
- a charge made on a terminal after it left the merchant's hands was not a sale by the merchant:
  the cardholder is likely a victim too, so no message, demand or lawsuit is drafted against them
  (section 3); the police report and the acquirer are the way;
- a merchant writes to the PBoC as a report on the acquirer's handling (情况反映), and only after
  writing to the acquirer (section 4);
- a lawyer's letter or a civil complaint needs a named defendant (Civil Procedure Law art. 122,
  art. 124: the complaint names the parties).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from conversations.i18n import N_

OUTPUT_IDS = (
    "checklist",
    "customer",
    "acquirer",
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
    try:
        return at >= lost
    except TypeError:  # one naive, one aware: compare wall times
        return at.replace(tzinfo=None) >= lost.replace(tzinfo=None)


def sales_txns(case: dict) -> list[dict]:
    """The disputed transactions that were the merchant's own sales (goods or services given)."""
    return [txn for txn in items(case, "txn") if txn.get("type") != "refund" and not after_loss(case, txn)]


def loss_txns(case: dict) -> list[dict]:
    """The disputed charges made on the terminal after it was lost or stolen."""
    return [txn for txn in items(case, "txn") if after_loss(case, txn)]


def customer_named(case: dict) -> bool:
    return bool((group(case, "customer").get("name") or "").strip())


def customer_reachable(case: dict) -> bool:
    customer = group(case, "customer")
    if customer_named(case) or (customer.get("phone") or "").strip():
        return True
    return customer.get("channel") in ("in_person", "phone", "online")


def acquirer_contacted(case: dict) -> bool:
    """The acquirer already knows: it raised a dispute, or the merchant reported the loss."""
    stage = group(case, "dispute").get("stage")
    return (stage not in (None, "", "none")) or group(case, "incident").get("reported_to_acquirer") is True


# --- the plan ------------------------------------------------------------------------------


def plan_outputs(case: dict) -> list[OutputPlan]:
    return [_PLANNERS[output_id](case) for output_id in OUTPUT_IDS]


def _yes(output_id: str, reason: str, **params: object) -> OutputPlan:
    return OutputPlan(output_id, True, reason, dict(params))


def _no(output_id: str, reason: str, **params: object) -> OutputPlan:
    return OutputPlan(output_id, False, reason, dict(params))


def _checklist(case: dict) -> OutputPlan:
    return _yes("checklist", N_("Your steps in order, with the dates that matter and what is still missing."))


def _no_demand_reason(case: dict) -> str | None:
    """Why nothing may be demanded of a customer, or None when a demand can be drafted."""
    if is_lost_terminal(case) and not sales_txns(case):
        return N_(
            "The charges were made after your terminal was lost or stolen, so the cardholder is "
            "probably a victim too: nothing is drafted against them. Report the charges to the "
            "police and to your acquirer instead."
        )
    if not sales_txns(case):
        return N_("There is no disputed sale of yours to ask the customer about.")
    return None


def _customer(case: dict) -> OutputPlan:
    blocked = _no_demand_reason(case)
    if blocked:
        return _no("customer", blocked)
    if not customer_reachable(case):
        return _no(
            "customer",
            N_(
                "You have no name or phone number for the customer and they dispute through their "
                "bank, so there is no one to send a message to: your reply to the acquirer carries "
                "your evidence instead."
            ),
        )
    return _yes("customer", N_("A courteous message asking the customer to confirm the purchase."))


def _acquirer(case: dict) -> OutputPlan:
    stage = group(case, "dispute").get("stage")
    if stage in ("retrieval", "chargeback", "arbitration"):
        return _yes(
            "acquirer", N_("Your written response to the acquirer, listing the evidence you enclose.")
        )
    if is_lost_terminal(case):
        return _yes(
            "acquirer", N_("The written loss report and request to freeze the terminal, for the acquirer.")
        )
    return _yes(
        "acquirer",
        N_("A written request to the acquirer for the transaction records and the electronic slip."),
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
    if not acquirer_contacted(case):
        return _no(
            "pboc",
            N_(
                "Write to your acquirer first: the People's Bank of China expects a matter to go to "
                "the institution before it. This report is offered once the acquirer is involved."
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


def _demand_plan(output_id: str, what: str, case: dict) -> OutputPlan:
    blocked = _no_demand_reason(case)
    if blocked:
        return _no(output_id, blocked)
    if not customer_named(case):
        return _no(
            output_id,
            N_(
                "A lawyer's letter or a lawsuit needs the customer's name: identify the customer first "
                "(booking, membership or invoice records, your staff, the camera)."
            ),
        )
    return _yes(output_id, what)


def _lawyer_letter(case: dict) -> OutputPlan:
    return _demand_plan(
        "lawyer_letter",
        N_("A lawyer's letter (律师函) demanding payment, for a lawyer to review and sign."),
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
    "acquirer": _acquirer,
    "unionpay": _unionpay,
    "pboc": _pboc,
    "police": _police,
    "lawyer_letter": _lawyer_letter,
    "complaint": _complaint,
    "evidence_list": _evidence_list,
    "witness": _witness,
    "prevention": _prevention,
}
