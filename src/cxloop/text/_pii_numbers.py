"""Number-shaped PII: phone numbers, resident registration numbers, card and bank account numbers.

Private to ``cxloop.text.pii``. Every finder takes the *detection view* of a text (same length as
the original, full-width digits and dash variants already folded to ASCII) and returns
``(start, end)`` offsets. Patterns are compiled with ``re.ASCII`` so ``\\s`` and ``\\w`` mean what a
reader of the pattern expects; Hangul appears only as explicit ranges.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

Span = tuple[int, int]

_F = re.ASCII
_IGNORE = re.ASCII | re.IGNORECASE

# A number directly introduced by one of these labels is an identifier of a thing, not of a
# person: "주문번호 2026060312345", "송장번호: 6012-3456-7890", "order #01012345678".
_ID_LABEL = re.compile(
    # Words that name an identifier on their own ("송장 6012...", "order 1234...").
    r"(?:(?:주문|송장|운송장|등기|쿠폰|모델|품번|order|tracking|invoice|sku|serial|s/n|waybill|awb|"
    r"ticket|coupon|model|receipt|바코드|barcode|ean|isbn|imei|vin)\s?(?:번호|코드|no\.?|number|num|id|code|#)?"
    # Words that name an identifier only together with 번호/number ("접수번호", "case no.").
    r"|(?:접수|예약|상품|제품|부품|시리얼|일련|사업자(?:등록)?|영수증|승인|거래|결제|인증|회원|고객|배송|문의|택배|"
    r"ref(?:erence)?|case|confirmation|transaction|item|product|part|booking|reservation)"
    r"\s?(?:번호|코드|no\.?|number|num|id|code|#))"
    r"\s?(?:는|은|:|#|-|\.)?\s*$",
    _IGNORE,
)
_LABEL_WINDOW = 24


def has_id_label(view: str, start: int) -> bool:
    """True when the text right before ``start`` is a label for an order, tracking or product id."""
    return _ID_LABEL.search(view, max(0, start - _LABEL_WINDOW), start) is not None


# --- phone numbers --------------------------------------------------------------------------------
# Korean numbers. Area codes: 01x mobile, 02 Seoul, 031-064 regions, 070 internet phone and 050x
# "safe numbers" (안심번호) that relay to one person. Deliberately absent: 080 toll-free and the
# 8-digit 15xx/16xx/18xx representative numbers (1588-1234): they belong to companies, customers
# quote them when complaining about a hotline, and masking them would hide the complaint's subject.
_KOREAN_PHONE = re.compile(
    r"(?<![0-9A-Za-z+])(?<![0-9][-./])(?<![A-Za-z][-_/])"
    r"(?:(?:\+|00)82[-. ]?(?:\(0\)[-. ]?|0)?\(?|\(?0)"
    r"(?P<area>1[016789]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70|50[2-8])\)?(?:\s?[-.]\s?|\s)?"
    r"[0-9]{3,4}(?:\s?[-.]\s?|\s)?[0-9]{4}"
    r"(?![0-9A-Za-z])(?![-_/][0-9A-Za-z]|\.[0-9])",
    _F,
)
# International numbers need the leading "+" (E.164): without it a digit group is anything.
# Groups after the first need two or more digits so "+1 415 555 0100 2 items" stops before "2".
_INTERNATIONAL_PHONE = re.compile(
    r"(?<![0-9A-Za-z+])\+(?!82)[1-9][0-9]{0,2}[-. ]?\(?[0-9]{1,4}\)?(?:[-. ]?[0-9]{2,8}){1,4}"
    r"(?![0-9])(?![-.][0-9])",
    _F,
)
# North-American national format with the NANP rules (area and exchange start with 2-9), separators
# required: "(415) 555-0100", "415-555-0100".
_NANP_PHONE = re.compile(
    r"(?<![0-9A-Za-z+])(?<![0-9][-.])(?:1[-. ])?(?:\([2-9][0-9]{2}\)\s?|[2-9][0-9]{2}[-.])"
    r"[2-9][0-9]{2}[-.][0-9]{4}"
    r"(?![0-9])(?![-.][0-9])",
    _F,
)
_NANP_TOLL_FREE = frozenset({"800", "833", "844", "855", "866", "877", "888"})


def find_phones(view: str) -> Iterator[Span]:
    for match in _KOREAN_PHONE.finditer(view):
        start, end = match.span()
        # "(010-1234-5678" style: a "(" that is never closed belongs to the sentence, not the number.
        if view[start] == "(" and ")" not in view[start:end]:
            start += 1
        if not has_id_label(view, start):
            yield start, end
    for pattern in (_INTERNATIONAL_PHONE, _NANP_PHONE):
        for match in pattern.finditer(view):
            digits = "".join(ch for ch in match.group() if ch.isdigit())
            # E.164 allows at most 15 digits; fewer than 8 is a short code, not a subscriber.
            if not 8 <= len(digits) <= 15 or has_id_label(view, match.start()):
                continue
            # US/Canada toll-free numbers belong to companies, like Korean 080 and 1588 numbers.
            # Country code 1 is NANP only, so "+1..." and "1-800-..." both drop the leading 1.
            national = digits[1:] if digits[0] == "1" else digits
            if (pattern is _NANP_PHONE or digits[0] == "1") and national[:3] in _NANP_TOLL_FREE:
                continue
            yield match.span()


# --- resident registration numbers (주민등록번호, 외국인등록번호) -------------------------------------------
_RRN = re.compile(
    r"(?<![0-9A-Za-z])(?<![0-9][-.])"
    r"(?P<birth>[0-9]{6})(?P<sep>\s?-\s?|\s)?(?P<back>[1-8][0-9]{6})"
    r"(?![0-9])(?![-.][0-9])",
    _F,
)
_RRN_CONTEXT = re.compile(r"주민|외국인\s?등록|생년월일|등록번호|resident|registration|rrn|ssn", _IGNORE)
_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_CENTURY = {"1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000, "7": 2000, "8": 2000}
# Since 2020-10-05 the six digits after the gender digit are random, so numbers issued from then on
# carry no check digit. Anyone born before then keeps an old, checkable number.
RANDOM_RRN_SINCE = date(2020, 10, 1)


def rrn_birth_date(digits: str) -> date | None:
    """Birth date encoded in a 13-digit RRN, or None when the date or gender digit is impossible."""
    century = _CENTURY.get(digits[6])
    if century is None:
        return None
    try:
        born = date(century + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return None
    return born if born <= date.today() else None


def rrn_checksum_ok(digits: str) -> bool:
    """Check digit of a pre-2020 RRN; for foreigners (7th digit 5-8) both published variants pass."""
    total = sum(int(d) * w for d, w in zip(digits, _RRN_WEIGHTS, strict=False))
    check = int(digits[12])
    if check == (11 - total % 11) % 10:
        return True
    # The foreigner registration number has been documented with a +2 offset as well.
    return digits[6] in "5678" and check == (13 - total % 11) % 10


def is_valid_rrn(digits: str, *, context: bool = False) -> bool:
    """Whether 13 digits are a plausible RRN.

    A real birth date is always required. The check digit must match, except for numbers of people
    born on or after ``RANDOM_RRN_SINCE`` (random digits by law) and, when ``context`` says the text
    is talking about a registration number, for re-issued numbers that are random too.
    """
    born = rrn_birth_date(digits)
    if born is None:
        return False
    return rrn_checksum_ok(digits) or born >= RANDOM_RRN_SINCE or context


def find_rrns(view: str) -> Iterator[Span]:
    for match in _RRN.finditer(view):
        start = match.start()
        if has_id_label(view, start):
            continue
        digits = match.group("birth") + match.group("back")
        context = _RRN_CONTEXT.search(view, max(0, start - 20), start) is not None
        if is_valid_rrn(digits, context=context):
            yield match.span()


# --- payment cards ------------------------------------------------------------------------------------
_CARD = re.compile(
    r"(?<![0-9A-Za-z])(?<![0-9]-)"
    r"(?:[0-9]{4}(?P<sep>[- ]?)[0-9]{4}(?P=sep)[0-9]{4}(?P=sep)[0-9]{1,4}(?:(?P=sep)[0-9]{1,3})?"
    r"|[0-9]{4}(?P<amex>[- ]?)[0-9]{6}(?P=amex)[0-9]{4,5})"
    r"(?![0-9])(?!-[0-9])",
    _F,
)


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by every card scheme."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_length_ok(digits: str) -> bool:
    """Whether the issuer prefix allows this many digits; cuts Luhn's 1-in-10 chance hits."""
    n = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return n in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return n == 16
    if two in (34, 37):  # American Express
        return n == 15
    if two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:  # Diners Club
        return n in (14, 16)
    if 3528 <= four <= 3589 or digits[0] == "6":  # JCB, Discover, UnionPay
        return 16 <= n <= 19
    # Korean domestic-only cards (국내전용, e.g. BC) use 9-prefixed issuer numbers.
    return digits[0] == "9" and n == 16


def is_valid_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and card_length_ok(digits) and luhn_ok(digits)


def find_cards(view: str) -> Iterator[Span]:
    for match in _CARD.finditer(view):
        start, end = match.span()
        if has_id_label(view, start):
            continue
        text = match.group()
        digits = "".join(ch for ch in text if ch.isdigit())
        if is_valid_card(digits):
            yield start, end
            continue
        # "4111 1111 1111 1111 3개월 할부": the optional fifth group grabbed the next number.
        separator = match.group("sep")
        if separator and text.count(separator) == 4:
            cut = text.rindex(separator)
            if is_valid_card(digits[: -(len(text) - cut - 1)]):
                yield start, start + cut


# --- bank accounts ------------------------------------------------------------------------------------
# Korean account numbers have no common shape (10-14 digits, grouped 3-2-6, 4-3-6, 6-2-6, 3-4-4-2,
# 4-2-7 ...) and no checksum, so a bare number is only an account when the text says so.
_ACCOUNT = re.compile(
    r"(?<![0-9A-Za-z])(?<![0-9][-.])"
    r"(?:[0-9]{2,6}(?:-[0-9]{1,7}){1,4}|[0-9]{10,16})"
    r"(?![0-9])(?!-[0-9])",
    _F,
)
# 우체국 alone is also the parcel service ("우체국 6012345678901" is a tracking number).
_BANKS = (
    r"국민|KB|신한|우리|하나|농협|NH|기업|IBK|산업|KDB|수협|신협|새마을(?:금고)?|우체국\s?(?:은행|예금)|씨티|SC\s?제일|SC|"
    r"카카오\s?뱅크|카뱅|토스\s?뱅크|토스|케이\s?뱅크|K\s?뱅크|부산|대구|iM\s?뱅크|경남|광주|전북|제주|"
    r"Chase|Wells\s?Fargo|Citi(?:bank)?|HSBC|Barclays|Bank\s?of\s?America|BoA"
)
# Strong words may sit anywhere shortly before the number; a bare bank name must label it directly.
_ACCOUNT_WORDS = re.compile(
    r"계좌|입금|송금|이체|환불\s?받을|예금주|은행|뱅크|account|acct|a/c|bank|iban|routing|deposit|wire",
    _IGNORE,
)
_BANK_LABEL = re.compile(rf"(?:{_BANKS})(?:은행)?\s?(?:계좌)?(?:번호)?\s?[:(]?\s*$", _IGNORE)
_BANK_AFTER = re.compile(rf"^\s?[(/]?\s?(?:(?:{_BANKS})(?:은행)?|예금주|은행|account|bank)", _IGNORE)
_ACCOUNT_WINDOW = 30


def find_accounts(view: str) -> Iterator[Span]:
    for match in _ACCOUNT.finditer(view):
        start, end = match.span()
        text = match.group()
        digit_count = sum(ch.isdigit() for ch in text)
        # 10-16 digits keeps out dates, amounts and short codes. Space-separated groups are not
        # read as one account: "110-123-456789 10만원" would swallow the amount.
        if not 10 <= digit_count <= 16 or has_id_label(view, start):
            continue
        before = max(0, start - _ACCOUNT_WINDOW)
        if (
            _ACCOUNT_WORDS.search(view, before, start)
            or _BANK_LABEL.search(view, max(0, start - 16), start)
            or _BANK_AFTER.match(view[end : end + 16])
        ):
            yield start, end
