"""Build the labelled PII test set at tests/text/data/pii_cases.jsonl.

Every case is written with inline markers, «kind|value», and the markers are stripped here, so the
offsets in the output are computed, never typed. Templated cases fill sentence templates with
generated values (valid RRNs and card numbers are built with their check digits, seeded so the
file is reproducible); hand-written cases cover tricky spellings, several kinds in one text and
hard negatives. The file is long because it is mostly data; keeping templates and generators in
one script keeps the set reproducible from one command.

Labelling conventions (the detector is scored against these):
* phone spans include "+82 " and "(02)" but not labels such as "Tel:";
* address spans run from the first administrative unit (province, city, district) to the last
  detail (동/호/층, "(역삼동)", ", Springfield, IL 62704") and exclude trailing particles;
* company numbers (1588-xxxx, 080-xxx-xxxx, 1-800-...) and order, tracking and product ids are
  not PII; a bare city or district without a number is not an address.

Run: .venv/bin/python scripts/build_pii_cases.py [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from random import Random

OUT = Path(__file__).resolve().parents[1] / "tests" / "text" / "data" / "pii_cases.jsonl"
MARK = re.compile(r"«(\w+)\|(.*?)»")
Case = dict[str, object]


def unmark(marked: str) -> Case:
    """Strip «kind|value» markers and return the text with exact span offsets."""
    text_parts: list[str] = []
    spans: list[dict[str, object]] = []
    cursor = length = 0
    for match in MARK.finditer(marked):
        literal = marked[cursor : match.start()]
        text_parts.append(literal)
        length += len(literal)
        value = match.group(2)
        spans.append({"kind": match.group(1), "start": length, "end": length + len(value)})
        text_parts.append(value)
        length += len(value)
        cursor = match.end()
    text_parts.append(marked[cursor:])
    return {"text": "".join(text_parts), "spans": spans}


# --- value generators -------------------------------------------------------------------------------


def digits(rng: Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def email(rng: Random) -> str:
    local = rng.choice(
        [
            "hong.gildong",
            "minsu.kim",
            "jiyoung_lee",
            "park1987",
            "cs.team",
            "j.smith",
            "emily.r",
            "support+vip",
            "kimchi_lover",
            "seo-yeon.choi",
            "user_2024",
            "daniel.oh88",
            "mj.jang",
        ]
    )
    domain = rng.choice(
        [
            "naver.com",
            "gmail.com",
            "daum.net",
            "hanmail.net",
            "kakao.com",
            "nate.com",
            "example.co.kr",
            "company.com",
            "outlook.com",
            "yahoo.com",
            "korea.ac.kr",
            "mail.example.org",
        ]
    )
    return f"{local}@{domain}"


def mobile(rng: Random) -> str:
    area = rng.choice(["010"] * 6 + ["011", "016", "019"])
    mid = str(rng.randint(2000, 9999)) if area == "010" else str(rng.randint(200, 9999))
    last = digits(rng, 4)
    form = rng.choice(
        [
            "{a}-{m}-{l}",
            "{a}.{m}.{l}",
            "{a} {m} {l}",
            "{a}{m}{l}",
            "+82 {s}-{m}-{l}",
            "+82-{s}-{m}-{l}",
            "+82{s}{m}{l}",
            "({a}) {m}-{l}",
            "{a}-{m}-{l}",
            "{a}-{m}-{l}",
        ]
    )
    return form.format(a=area, s=area[1:], m=mid, l=last)


def landline(rng: Random) -> str:
    area = rng.choice(["02", "02", "031", "032", "051", "053", "062", "042", "064", "070", "0505"])
    mid = str(rng.randint(200, 999)) if rng.random() < 0.5 else str(rng.randint(2000, 9999))
    last = digits(rng, 4)
    form = rng.choice(
        ["{a}-{m}-{l}", "({a}){m}-{l}", "({a}) {m}-{l}", "+82-{s}-{m}-{l}", "{a}.{m}.{l}", "{a} {m} {l}", "{a}-{m}-{l}"]
    )
    return form.format(a=area, s=area[1:], m=mid, l=last)


def international(rng: Random) -> str:
    def nanp() -> str:
        # Area codes 800, 833, ... are toll-free company numbers, which are not PII.
        while (area := f"{rng.choice('23456789')}{rng.choice('0123456')}{rng.randint(0, 9)}")[0] == "8":
            pass
        return area

    forms: list[Callable[[], str]] = [
        lambda: f"+1 {nanp()} {rng.randint(200, 999)} {digits(rng, 4)}",
        lambda: f"+1-{nanp()}-{rng.randint(200, 999)}-{digits(rng, 4)}",
        lambda: f"({nanp()}) {rng.randint(200, 999)}-{digits(rng, 4)}",
        lambda: f"{nanp()}-{rng.randint(200, 999)}-{digits(rng, 4)}",
        lambda: f"+44 20 {digits(rng, 4)} {digits(rng, 4)}",
        lambda: f"+44 7{digits(rng, 3)} {digits(rng, 6)}",
        lambda: f"+81 3-{digits(rng, 4)}-{digits(rng, 4)}",
        lambda: f"+86 13{digits(rng, 1)} {digits(rng, 4)} {digits(rng, 4)}",
        lambda: f"+65 {rng.choice('689')}{digits(rng, 3)} {digits(rng, 4)}",
        lambda: f"+61 2 {digits(rng, 4)} {digits(rng, 4)}",
    ]
    return rng.choice(forms)()


def rrn_check_digit(first12: str, *, foreign: bool = False) -> str:
    total = sum(int(d) * w for d, w in zip(first12, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), strict=True))
    return str(((13 if foreign else 11) - total % 11) % 10)


def rrn(rng: Random, *, foreign: bool = False, recent: bool = False) -> str:
    if recent:  # issued after the Oct 2020 reform: random trailing digits, no check digit
        born = date(2020, 10, 6) + timedelta(days=rng.randrange(0, 1500))
    else:
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 25000))
    gender = rng.choice("12") if born.year < 2000 else rng.choice("34")
    if foreign:
        gender = str(int(gender) + 4)
    first12 = f"{born:%y%m%d}{gender}{digits(rng, 5)}"
    check = digits(rng, 1) if recent else rrn_check_digit(first12, foreign=foreign and rng.random() < 0.5)
    number = first12 + check
    sep = rng.choice(["-", "-", "-", " ", ""])
    return f"{number[:6]}{sep}{number[6:]}"


def luhn_complete(payload: str) -> str:
    for check in "0123456789":
        total = 0
        for position, char in enumerate(reversed(payload + check)):
            value = int(char) * (2 if position % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return payload + check
    raise AssertionError("unreachable")


def card(rng: Random) -> str:
    prefix, length = rng.choice(
        [
            ("4", 16),
            ("4", 16),
            ("51", 16),
            ("53", 16),
            ("2221", 16),
            ("34", 15),
            ("37", 15),
            ("36", 14),
            ("3530", 16),
            ("6011", 16),
            ("62", 16),
            ("9410", 16),
            ("9490", 16),
        ]
    )
    number = luhn_complete(prefix + digits(rng, length - len(prefix) - 1))
    sep = rng.choice([" ", "-", ""])
    # 16 digits are written 4-4-4-4; Amex (15) and Diners (14) are written 4-6-rest.
    cuts = (0, 4, 8, 12, 16) if length == 16 else (0, 4, 10, length)
    return sep.join(number[a:b] for a, b in pairwise(cuts))


BANK_FORMATS = {
    "국민": [6, 2, 6],
    "신한": [3, 3, 6],
    "우리": [4, 3, 6],
    "하나": [3, 6, 5],
    "농협": [3, 4, 4, 2],
    "기업": [3, 6, 2, 3],
    "카카오뱅크": [4, 2, 7],
    "토스뱅크": [4, 4, 4],
    "케이뱅크": [3, 3, 6],
    "SC제일": [3, 2, 6],
    "우체국": [6, 2, 6],
}


def account(rng: Random, bank: str) -> str:
    groups = [digits(rng, n) for n in BANK_FORMATS[bank]]
    # No Korean bank number starts with 0, and a leading 1 keeps it clear of every card prefix.
    groups[0] = "1" + groups[0][1:]
    joined = "".join(groups)
    # Unseparated 13-digit numbers are left out: they can be valid RRNs as well, which no
    # reader could tell apart.
    return "-".join(groups) if rng.random() < 0.85 or len(joined) == 13 else joined


REGIONS = [
    (
        ["서울", "서울시", "서울특별시"],
        ["강남구", "서초구", "마포구", "송파구", "종로구", "영등포구"],
        ["테헤란로", "강남대로", "도산대로", "논현로", "월드컵로", "올림픽로", "세종대로", "양화로", "봉은사로"],
        ["역삼동", "삼성동", "서교동", "잠실동", "논현동"],
    ),
    (
        ["경기", "경기도"],
        ["성남시 분당구", "수원시 영통구", "고양시 일산동구", "용인시 수지구"],
        ["판교역로", "불정로", "광교중앙로", "중앙로", "정자일로"],
        ["정자동", "매탄동", "백석동", "풍덕천동"],
    ),
    (
        ["부산", "부산광역시"],
        ["해운대구", "부산진구", "수영구"],
        ["해운대로", "중앙대로", "센텀중앙로"],
        ["우동", "전포동", "광안동"],
    ),
    (["대구", "대구광역시"], ["수성구", "달서구"], ["동대구로", "달구벌대로"], ["범어동", "상인동"]),
    (["제주", "제주특별자치도"], ["제주시", "서귀포시"], ["연삼로", "중앙로"], ["연동", "노형동"]),
]
APARTMENTS = ["래미안", "자이", "힐스테이트", "푸르지오", "e편한세상", "롯데캐슬"]


def korean_address(rng: Random) -> str:
    provinces, districts, roads, towns = rng.choice(REGIONS)
    admin = f"{rng.choice(provinces)} {rng.choice(districts)}"
    if rng.random() < 0.2:  # district only: "강남구 테헤란로 123"
        admin = rng.choice(districts)
    kind = rng.random()
    if kind < 0.55:
        road = rng.choice(roads)
        if rng.random() < 0.25:
            road += f"{rng.randint(1, 99)}길"
        locator = f"{road} {rng.randint(1, 999)}"
    elif kind < 0.85:
        lot = f"{rng.randint(1, 999)}-{rng.randint(1, 99)}"
        if rng.random() < 0.3:
            lot = f"{rng.randint(1, 999)}번지"
        locator = f"{rng.choice(towns)} {lot}"
    else:
        return f"{rng.choice(APARTMENTS)}아파트 {rng.randint(101, 120)}동 {rng.randint(101, 2504)}호"
    unit = f"{rng.randint(101, 115)}동 {rng.randint(101, 1804)}호"
    detail = rng.choice(
        [
            "",
            "",
            f", {unit}",
            f" {rng.randint(2, 15)}층",
            f" ({rng.choice(towns)})",
            f" {rng.choice(APARTMENTS)}아파트 {unit}",
        ]
    )
    return f"{admin} {locator}{detail}"


def english_address(rng: Random) -> str:
    street = rng.choice(["Main", "Oak", "Maple", "Elm", "Market", "Mission", "Pine", "Cedar", "5th", "Park"])
    kind = rng.choice(["St", "Street", "Ave", "Avenue", "Rd", "Blvd", "Lane", "Drive"])
    text = f"{rng.randint(1, 9999)} {street} {kind}"
    if rng.random() < 0.3:
        text += f", Apt {rng.randint(1, 40)}{rng.choice('ABC')}"
    if rng.random() < 0.4:
        city, state = rng.choice([("Springfield", "IL"), ("San Francisco", "CA"), ("Austin", "TX"), ("Seattle", "WA")])
        text += f", {city}, {state} {rng.randint(10000, 99999)}"
    return text


# --- templates ----------------------------------------------------------------------------------------
# {slot} names a generator; the filled value is wrapped in a marker of the slot's kind.

TEMPLATES: dict[str, list[str]] = {
    "email": [
        "이메일 {email}로 영수증 보내주세요",
        "{email} 계정으로 로그인이 안 돼요",
        "회신은 {email}으로 부탁드립니다.",
        "메일 주소 바꿨어요: {email}",
        "Please send the invoice to {email}.",
        "My account email is {email} but I can't reset the password",
        "Contact: {email}",
        "{email}에서 메일이 안 와요 ㅠㅠ",
        "비번 재설정 메일을 {email} 말고 다른 데로 받을 수 있나요?",
    ],
    "phone": [
        "연락처 {phone} 입니다",
        "{phone}로 전화 부탁드려요",
        "기사님이 {phone}에서 전화하셨는데 못 받았어요",
        "번호 변경했습니다. 새 번호: {phone}",
        "문자는 {phone}으로 주세요!!",
        "Call me back at {phone} please.",
        "You can reach me on {phone} after 6pm",
        "배송 전에 {phone}로 연락 주시면 감사하겠습니다",
        "받는 분 연락처는 {phone}, 부재 시 문 앞에 두세요",
        "Tel: {phone}",
    ],
    "rrn": [
        "주민등록번호 {rrn} 확인 부탁드립니다",
        "본인인증에 {rrn} 넣었는데 오류가 나요",
        "가입할 때 주민번호({rrn})를 입력하라고 하네요",
        "My resident registration number is {rrn}.",
        "{rrn} 이 번호로 조회해 주세요",
        "아이 주민번호가 {rrn}인데 등록이 안 돼요",
    ],
    "card": [
        "카드번호 {card}로 결제했는데 취소가 안 돼요",
        "{card} 카드 등록이 안 됩니다",
        "결제카드 {card} 정지해주세요",
        "I was charged twice on card {card}.",
        "Card number: {card}, exp 08/27",
        "신용카드 {card} 3개월 할부로 했어요",
        "{card} 이 카드로 두 번 결제됐어요",
    ],
    "account": [
        "환불 계좌는 {bank} {account}입니다",
        "{bank} {account} (예금주 홍길동)으로 입금해 주세요",
        "계좌번호 {account} {bank}으로 환불 부탁드려요",
        "입금 계좌: {bank} {account}",
        "Please refund to my bank account {account}.",
        "{account} {bank} 예금주 김민수",
        "환불은 {bank} {account}로 해주세요",
    ],
    "address": [
        "배송지 {address}로 변경해주세요",
        "{address}에 사는데 배송이 안 와요",
        "주소: {address}",
        "이사했어요. 새 주소는 {address}입니다",
        "{address} 앞에 놓고 가셨다는데 없어요",
        "Ship to {address_en} please",
        "I live at {address_en}.",
        "Delivery address: {address_en}",
    ],
    "multi": [
        "이름: 김민수 / 연락처: {phone} / 주소: {address}",
        "{email} / {phone}",
        "Name: John Park, phone {phone}, email {email}, address {address_en}",
        "환불은 {bank} {account}로, 결과는 {email}로 알려주세요",
        "카드 {card} 결제 취소하고 {phone}로 문자 주세요",
        "주민번호 {rrn}, 휴대폰 {phone} 인증이 안 돼요",
    ],
}


def ymd(rng: Random, sep: str = "") -> str:
    return f"{rng.randint(2024, 2026)}{sep}{rng.randint(1, 12):02d}{sep}{rng.randint(1, 28):02d}"


NEGATIVE_TEMPLATES: list[Callable[[Random], str]] = [
    lambda r: f"주문번호 {ymd(r)}{digits(r, 5)} 배송 언제 오나요?",
    lambda r: f"주문번호 ORD-{ymd(r)}-{digits(r, 4)} 취소해주세요",
    lambda r: f"운송장번호 {digits(r, 12)} 조회가 안 돼요",
    lambda r: f"CJ대한통운 {r.randint(5000, 6999)}-{digits(r, 4)}-{digits(r, 4)} 배송 조회 부탁드립니다",
    lambda r: f"{r.randint(1, 99)},{digits(r, 3)}원 결제했는데 {r.randint(1, 99)},{digits(r, 3)}원 청구됨",
    lambda r: f"₩{r.randint(1, 999)},{digits(r, 3)} 환불 언제 되나요",
    lambda r: f"{ymd(r, '-')} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}에 주문했어요",
    lambda r: f"{ymd(r, '.')}. 오후 {r.randint(1, 11)}시 배송 예정이라더니",
    lambda r: f"고객센터 {r.choice(['1588', '1577', '1544', '1600', '1644'])}-{digits(r, 4)} 연결이 안돼요",
    lambda r: f"080-{r.randint(200, 999)}-{digits(r, 4)} 수신거부 했는데 또 광고 문자가 와요",
    lambda r: f"사업자등록번호 {r.randint(100, 999)}-{r.randint(10, 99)}-{digits(r, 5)} 계산서 부탁드려요",
    lambda r: f"모델명 SM-S{r.randint(900, 999)}N 액정 교체 비용이요",
    lambda r: f"{r.randint(2, 9)}개 주문했는데 {r.randint(1, 9)}개만 왔어요",
    lambda r: f"Order #{r.randint(100, 999)}-{digits(r, 7)}-{digits(r, 7)} still not shipped",
    lambda r: f"Tracking number 1Z{digits(r, 3)}AA{digits(r, 10)} shows no movement",
    lambda r: f"I paid ${r.randint(1, 9)},{digits(r, 3)}.{digits(r, 2)} on {ymd(r, '/')[5:]}/2026",
    lambda r: f"카드 끝자리 {digits(r, 4)} 결제 건 취소요",
    lambda r: f"앱 버전 {r.randint(1, 12)}.{r.randint(0, 9)}.{r.randint(0, 30)}에서 자꾸 튕겨요",
    lambda r: f"쿠폰 코드 SAVE{r.randint(2024, 2026)}{digits(r, 4)} 적용이 안돼요",
    lambda r: f"접수번호 {digits(r, 10)}로 AS 신청했어요",
    lambda r: f"포인트 {r.randint(1, 99)},{digits(r, 3)}점 소멸 예정이라는데",
    lambda r: f"주문 {r.randint(10, 99)}분 만에 {r.randint(1, 5)}번 취소했어요",
    lambda r: f"Call 1-800-{r.randint(200, 999)}-{digits(r, 4)} for support? nobody answers",
    lambda r: f"{r.randint(3, 30)}층 엘리베이터가 {r.randint(2, 6)}일째 고장이에요",
]

# Hand-written: spellings and contexts the templates do not produce, and tricky negatives.
HAND_WRITTEN = [
    "제 번호는 «phone|010-9876-5432»이고 집 전화는 «phone|02-555-1234»입니다.",
    "핸드폰 «phone|010 . 2345 . 6789»는 안 되고 «phone|010-2345-6789»로 주세요",
    "H.P «phone|010-3456-7890» / TEL «phone|031-987-6543»",
    "번호 «phone|＋82 10-4567-8901» (해외 로밍 중)",
    "«phone|０１０－５６７８－１２３４»로 연락주세요",
    "연락처:«phone|01056781234»",
    "«phone|(010)5678-1234» 문자 남겨주세요",
    "안심번호 «phone|0505-123-4567»로 기사님이 전화 주셨어요",
    "인터넷전화 «phone|070-8765-4321»은 받는 사람이 없어요",
    "제주 매장 «phone|064-712-3456» 번호 맞나요?",
    "고객센터 1588-1234로 전화했는데 연결이 안 돼요",
    "1577-1234 눌렀더니 ARS만 나옵니다",
    "080-123-4567 수신거부 번호로 거부했는데 광고가 계속 옵니다",
    "대표번호 1644-1234 말고 담당자 직통 «phone|02-3456-7890» 알려주세요",
    "주문번호 ORD-20260603-1234 배송 언제 오나요?",
    "주문번호 2026060312345 취소 요청합니다",
    "주문번호: 01012345678 (전화번호 아닙니다)",
    "송장번호 6012-3456-7890 조회가 안돼요",
    "운송장 568812345678 배송완료로 뜨는데 못 받았어요",
    "2026.06.03 14:30에 주문했고 결제금액은 ₩129,000입니다",
    "12,000원 상품인데 120,000원이 결제됐어요!!!",
    "3개월 할부로 1,200,000원 결제했습니다",
    "사업자등록번호 123-45-67890 영수증 재발행 부탁해요",
    "모델명 SM-S928N, 시리얼 R3CX12345678 액정 불량",
    "IP 192.168.0.1에서 접속하면 오류 나요",
    "우편번호 06236 맞게 썼는데 반송됐어요",
    "주민번호 앞자리 900101만 알려드릴게요",
    "생년월일 1990-01-01, 가입일 2024-03-15",
    "주민등록번호 «rrn|900101-1234568»로 조회해 주세요",
    "주민번호는 «rrn|850315-2345678» 입니다",
    "외국인등록번호 «rrn|920520-5123453» 로는 가입이 안 돼요",
    "아기 주민번호 «rrn|230415-3987612» 등록이 안 되네요",
    "주민번호 뒷자리 오타: 991332-1234567 이런 건 없죠?",
    "카드 «card|5425-2334-3010-9903»로 결제했는데 두 번 빠져나갔어요",
    "테스트 카드 «card|4111 1111 1111 1111» 로 결제됨",
    "Visa «card|4012888888881881» declined for no reason",
    "Amex «card|3782 822463 10005» was charged twice",
    "JCB «card|3530-1113-3330-0000» 해외결제 안 돼요",
    "카드번호 «card|６０１１－１１１１－１１１１－１１１７» 정지 요청",
    "카드번호 끝 4자리 1111 결제 취소해주세요",
    "결제 승인번호 30012345 취소요",
    "쿠폰번호 1234-5678-9012-3456 사용이 안 돼요",
    "환불 계좌 카카오뱅크 «account|3333-01-1234567» 예금주 김민지",
    "신한 «account|110-123-456789»로 환불해주세요",
    "«account|1002-123-456789» 우리은행으로 입금 부탁드립니다",
    "계좌이체로 50,000원 보냈는데 확인이 안 돼요",
    "입금했어요. 주문번호 2026060398765 확인 부탁드립니다",
    "국민은행 «account|123456-01-234567», 예금주 박서준",
    "농협 «account|302-1234-5678-91» 로 보내주세요",
    "Refund to account no. «account|1234567890» at Chase please",
    "배송지: «address|서울특별시 강남구 테헤란로 152», 강남파이낸스센터 앞",
    "«address|서울 마포구 월드컵북로 396 2층» 카페로 보내주세요",
    "«address|경기도 성남시 분당구 판교역로 235, 7층»으로 와주세요",
    "주소는 «address|역삼동 123-45»이고 2층이에요",
    "«address|래미안아파트 102동 1502호»에 택배 왔나요?",
    "«address|101동 1203호» 택배가 옆집에 갔어요",
    "집이 «address|부산 해운대구 해운대로 570 (우동)»인데 당일배송 되나요?",
    "«address|제주특별자치도 제주시 애월읍 고내리 123»까지 배송비 얼마에요?",
    "택배로 2개 왔는데 하나는 파손됐어요",
    "으로 3번이나 전화했어요 진짜",
    "서울 강남구 매장은 몇 시에 열어요?",
    "강남역 2번 출구 앞 매장에서 샀어요",
    "새로 3개 더 주문했어요",
    "지하철 2호선 타고 갔는데 매장이 문 닫았어요",
    "I live at «address|742 Evergreen Terrace, Springfield, OR 97403».",
    "Office: «address|1600 Pennsylvania Avenue NW, Washington, DC 20500»",
    "Please ship to «address|221B Baker Street, London NW1 6XE»",
    "It's a 10 minute drive from the store",
    "We ordered 5 Big Macs and got 3",
    "Please call me at «phone|(415) 555-0132» after 5pm.",
    "Email me: «email|jane.doe@example.com» or text «phone|+1-202-555-0147»",
    "Card ending in 4242 was declined",
    "The total was $1,234.56 on 06/03/2026",
    "My order #112-4477812-5533128 hasn't arrived",
    "Tracking number 1Z999AA10123456784",
    "Call 1-800-555-0199 for support lol",
    "«email|hong(at)naver.com»으로 주세요",
    "메일: «email|KIM.MINSU@GMAIL.COM»",
    "«email|cs_team+refund@shop.example.co.kr»로 문의드렸는데 답이 없네요",
    "@김민수 님 답변 부탁드려요 (인스타 @minsu_kim)",
    "회사 메일 «email|minsu.kim@company.com», 개인 메일 «email|minsu@naver.com»",
    "홍길동 / «phone|010-2345-6789» / «address|서울 마포구 양화로 45» / «email|gildong@kakao.com»",
    "주문자 김민수(«phone|010-1111-2222»), 받는 사람 이영희(«phone|010-3333-4444»)",
    "«phone|+44 20 7946 0958» 영국 지사 번호로 연락했어요",
    "ㅋㅋㅋㅋ 배송 진짜 빠르네요 👍👍",
    "배송이 너무 늦어요. 환불해주세요.",
    "The app keeps crashing after the update.",
    "5점 만점에 1점도 아까워요",
    "2+1 행사 상품인데 1개만 왔어요",
    "배송비 3,000원 환불 부탁드립니다",
    "02/03 배송 예정이었는데 아직이에요",
    "오전 10:30~11:00 사이에 도착 예정",
    "010 번호로 인증문자가 안 와요",
    "인증번호 482913 입력했는데 오류",
    # Added after the detector was written, labelled as a reader would, so the score is not
    # only a mirror of the patterns. Some are known gaps and stay in on purpose.
    "연락처: «phone|010 - 9988 - 7766»",
    "M. «phone|010.9988.7766»",
    "phone: «phone|+82 (0)10 9988 7766»",
    "«phone|0082-10-9988-7766» 로밍폰입니다",
    "집전화 «phone|(031) 123-4567»",
    "회사 «phone|02)123-4567»로 팩스 말고 전화 주세요",
    "WhatsApp «phone|+62 812-3456-7890»",
    "US number «phone|212.555.0147»",
    "Paris office «phone|+33 1 23 45 67 89»",
    "Berlin «phone|+49 30 12345678»",
    "번호는 «phone|공일공 일이삼사 오육칠팔» 이에요",
    "«email|john.o'brien@example.ie» is my work address",
    "주민번호 : «rrn|900101 - 1234568»",
    "주민번호 900101-1****** 까지만 보이게 해주세요",
    "«card|5425 2334 3010 9903» (유효기간 08/27)",
    "새마을금고 «account|9002-1234-5678-9»로 입금했어요",
    "계좌 «account|1234-56-7890123» (하나)",
    "«address|서울특별시 종로구 세종대로 209» 정부서울청사 민원실",
    "«address|서울 중구 을지로 100 (을지로2가)»",
    "«address|경기 고양시 일산동구 중앙로1275번길 38-10»",
    "«address|인천 연수구 송도동 24-5»",
    "«address|대전 유성구 대학로 99» 정문 앞",
    "«address|세종시 한누리대로 2130»",
    "«address|경북 포항시 남구 지곡로 80»",
    "«address|힐스테이트 105동 2003호»",
    "«address|350 5th Ave, New York, NY 10118»",
    "«address|1 Infinite Loop, Cupertino, CA 95014»",
    "«address|PO Box 1234», Austin TX",
    "배송 예정일 2026년 6월 3일 오후 2시~4시",
    "주문 금액 129,000원 중 10% 할인",
    "제품 바코드 8801234567890",
    "ISBN 979-11-1234-567-8 책이 파본이에요",
    "IMEI 356938035643809 분실신고",
    "예약번호 1234567890123",
    "항공편 KE123 좌석 32A",
    "주차 2층 B-12 구역",
    "10/15~10/20 기간 중 2,900원",
    "제 키는 170cm, 몸무게 65kg인데 사이즈 뭐로 해야 하나요?",
    "2024년형 모델 123-4567 부품",
    "계좌 개설하려는데 서류가 뭐 필요해요?",
    "1층 로비에 맡겨 주세요",
    "강남구청역 3번 출구",
    "서울시 강남구 논현동 일대 배송 지연",
    "테헤란로 가는 길에 매장 있어요",
    "2호선 강남역 11번 출구에서 5분",
    "오늘 15시 30분에 전화 주세요",
    "주문량 1,000개 이상 대량 구매 문의",
    "회원번호 12345678901 포인트 조회",
    "부품번호 02-1234-5678 재고 있나요",
    "Invoice INV-2026-0603-0042",
    "Your confirmation code is 482-913",
    "Flight UA 857 departs 10:45",
    "Model 3 Long Range, VIN 5YJ3E1EA7KF317000",
    "I bought 3 units at $19.99 each, total $59.97",
    "Call us at 1-888-555-0123",
    "Top 10 Best Way to clean the filter?",
    "택배 기사님이 «phone|010-5555-1234»로 전화 주신대요",
    "대리점 번호 031-8888-1234 가 맞나요? 제 번호는 «phone|010-7777-6666»",
]


def build(seed: int = 42) -> list[Case]:
    rng = Random(seed)

    def slot(name: str) -> str:
        kind_and_value: dict[str, Callable[[], tuple[str, str]]] = {
            "email": lambda: ("email", email(rng)),
            "phone": lambda: ("phone", rng.choice([mobile, mobile, landline, international])(rng)),
            "rrn": lambda: ("rrn", rrn(rng, foreign=rng.random() < 0.15, recent=rng.random() < 0.15)),
            "card": lambda: ("card", card(rng)),
            "address": lambda: ("address", korean_address(rng)),
            "address_en": lambda: ("address", english_address(rng)),
        }
        kind, value = kind_and_value[name]()
        return f"«{kind}|{value}»"

    cases: list[Case] = []
    for group, templates in TEMPLATES.items():
        repeats = 2 if group == "multi" else 5
        for template in templates:
            for _ in range(repeats):
                bank = rng.choice(list(BANK_FORMATS))
                filled = re.sub(
                    r"\{(\w+)\}",
                    lambda m, bank=bank: (
                        bank
                        if m.group(1) == "bank"  # type: ignore[misc]
                        else f"«account|{account(rng, bank)}»"
                        if m.group(1) == "account"
                        else slot(m.group(1))
                    ),
                    template,
                )
                cases.append(unmark(filled))
    for make in NEGATIVE_TEMPLATES:
        for _ in range(4):
            cases.append(unmark(make(rng)))
    cases.extend(unmark(line) for line in HAND_WRITTEN)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    cases = build(args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for case in cases:
            handle.write(json.dumps(case, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {args.out}")


if __name__ == "__main__":
    main()
