"""Legal and procedural figures the documents compute with, each from ../shared/domain/pos-disputes.md.

Only figures live here; the sentences that state them are in the templates, which must keep the
same hedges as the domain file (⚠ there means "say it carefully, or keep it out of letters").
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

LIMITATION_YEARS = 3  # Civil Code art. 188 (domain §5)
KEEP_SLIPS_MIN_YEARS = 2  # acquirer training material; some sources say 1 year ⚠ (domain §2)
KEEP_SLIPS_SUGGESTED_YEARS = 3  # to match the limitation period (domain §2)
RETRIEVAL_WINDOW_MONTHS = 12  # an issuer may raise a retrieval request up to 12 months after ⚠ (domain §2)
ENFORCEMENT_YEARS = 2  # Civil Procedure Law art. 250 (domain §5)
PAYMENT_ORDER_OBJECTION_DAYS = 15  # Civil Procedure Law arts. 225–228 (domain §5)
SMALL_CLAIMS_DECISION_MONTHS = 2  # Civil Procedure Law art. 168 (domain §5)

HOTLINES = {"pboc": "12363", "nfra": "12378", "unionpay": "95516", "police": "110", "anti_fraud": "96110"}

# 诉讼费用交纳办法 (State Council Decree No. 481) art. 13 ⚠: acceptance fee for a money claim,
# cumulative by band: (upper bound of the band, rate on the part inside it). Up to 10,000: 50 yuan.
_FEE_FLOOR = (Decimal("10000"), Decimal("50"))
_FEE_BANDS = (
    (Decimal("100000"), Decimal("0.025")),
    (Decimal("200000"), Decimal("0.02")),
    (Decimal("500000"), Decimal("0.015")),
    (Decimal("1000000"), Decimal("0.01")),
)


def court_fee(amount: Decimal) -> Decimal | None:
    """The acceptance fee by the bands, or None above the last band the domain file gives."""
    if amount <= 0:
        return None
    limit, fee = _FEE_FLOOR
    if amount <= limit:
        return fee
    lower = limit
    for upper, rate in _FEE_BANDS:
        fee += (min(amount, upper) - lower) * rate
        if amount <= upper:
            return fee.quantize(Decimal("0.01"), ROUND_HALF_UP)
        lower = upper
    return None


def simple_procedure_fee(fee: Decimal) -> Decimal:
    """Halved under the simple procedure (art. 16 ⚠)."""
    return (fee / 2).quantize(Decimal("0.01"), ROUND_HALF_UP)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")
