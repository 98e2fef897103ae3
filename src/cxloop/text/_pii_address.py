"""Street addresses in Korean (road-name, lot-number, apartment unit) and English (US/UK style).

Private to ``cxloop.text.pii``; best effort by design. Korean is hard because 로 and 길 end road
names *and* everyday words ("택배로 2개", "으로 3번"), and 동/리/구/시 end many nouns ("이동", "친구",
"다시"). So a candidate is built around a *locator* (a building or lot number) and accepted only
with corroboration:

* road + number ("테헤란로 123") needs a known 시/군/구 or province before it, an address word
  ("주소", "배송지", ...) shortly before, a unit detail after ("101동 1203호"), or a road name that
  only roads have ("강남대로", "테헤란로4길", "중앙로123번길");
* 동/읍/면/리 + lot number ("역삼동 123-45") needs the same, or a lot written as only lots are
  (hyphenated, 번지, 산 12);
* an apartment unit "101동 1203호" stands alone;
* a number followed by a counter ("2개", "3번", "10시") is never a locator.

A city or district without a number ("서울 강남구") locates a crowd, not a person, and is not masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

Span = tuple[int, int]

_F = re.ASCII

_PROVINCES = (
    "서울특별시|서울시|서울|부산광역시|부산시|부산|대구광역시|대구시|대구|인천광역시|인천시|인천|"
    "광주광역시|광주시|광주|대전광역시|대전시|대전|울산광역시|울산시|울산|세종특별자치시|세종시|세종|"
    "경기도|경기|강원특별자치도|강원도|강원|충청북도|충북|충청남도|충남|전북특별자치도|전라북도|전북|"
    "전라남도|전남|경상북도|경북|경상남도|경남|제주특별자치도|제주도|제주"
)
# 시/군/구 names in use since 2023. A list rather than "[가-힣]+구" because "친구", "가구" and "입구"
# end in 구 too; one-syllable districts (중구, 동구) are why a word boundary is required before them.
# fmt: off
_DISTRICTS = (
    "종로구", "중구", "용산구", "성동구", "광진구", "동대문구", "중랑구", "성북구", "강북구", "도봉구",
    "노원구", "은평구", "서대문구", "마포구", "양천구", "강서구", "구로구", "금천구", "영등포구", "동작구",
    "관악구", "서초구", "강남구", "송파구", "강동구", "서구", "동구", "영도구", "부산진구", "동래구",
    "남구", "북구", "해운대구", "사하구", "금정구", "연제구", "수영구", "사상구", "기장군", "수성구",
    "달서구", "달성군", "군위군", "미추홀구", "연수구", "남동구", "부평구", "계양구", "강화군", "옹진군",
    "광산구", "유성구", "대덕구", "울주군", "수원시", "성남시", "의정부시", "안양시", "부천시", "광명시",
    "평택시", "동두천시", "안산시", "고양시", "과천시", "구리시", "남양주시", "오산시", "시흥시", "군포시",
    "의왕시", "하남시", "용인시", "파주시", "이천시", "안성시", "김포시", "화성시", "광주시", "양주시",
    "포천시", "여주시", "연천군", "가평군", "양평군", "장안구", "권선구", "팔달구", "영통구", "수정구",
    "중원구", "분당구", "만안구", "동안구", "원미구", "소사구", "오정구", "상록구", "단원구", "덕양구",
    "일산동구", "일산서구", "처인구", "기흥구", "수지구", "춘천시", "원주시", "강릉시", "동해시", "태백시",
    "속초시", "삼척시", "홍천군", "횡성군", "영월군", "평창군", "정선군", "철원군", "화천군", "양구군",
    "인제군", "고성군", "양양군", "청주시", "충주시", "제천시", "보은군", "옥천군", "영동군", "증평군",
    "진천군", "괴산군", "음성군", "단양군", "상당구", "서원구", "흥덕구", "청원구", "천안시", "공주시",
    "보령시", "아산시", "서산시", "논산시", "계룡시", "당진시", "금산군", "부여군", "서천군", "청양군",
    "홍성군", "예산군", "태안군", "동남구", "서북구", "전주시", "군산시", "익산시", "정읍시", "남원시",
    "김제시", "완주군", "진안군", "무주군", "장수군", "임실군", "순창군", "고창군", "부안군", "완산구",
    "덕진구", "목포시", "여수시", "순천시", "나주시", "광양시", "담양군", "곡성군", "구례군", "고흥군",
    "보성군", "화순군", "장흥군", "강진군", "해남군", "영암군", "무안군", "함평군", "영광군", "장성군",
    "완도군", "진도군", "신안군", "포항시", "경주시", "김천시", "안동시", "구미시", "영주시", "영천시",
    "상주시", "문경시", "경산시", "의성군", "청송군", "영양군", "영덕군", "청도군", "고령군", "성주군",
    "칠곡군", "예천군", "봉화군", "울진군", "울릉군", "창원시", "진주시", "통영시", "사천시", "김해시",
    "밀양시", "거제시", "양산시", "의령군", "함안군", "창녕군", "남해군", "하동군", "산청군", "함양군",
    "거창군", "합천군", "의창구", "성산구", "마산합포구", "마산회원구", "진해구", "제주시", "서귀포시",
    "세종시",
)
# fmt: on
_DISTRICT = "|".join(sorted(set(_DISTRICTS), key=len, reverse=True))

# The administrative part that may precede a locator, matched backwards from the locator.
_ADMIN_BEFORE = re.compile(
    rf"(?<![가-힣])(?:(?:{_PROVINCES})\s?(?:(?:{_DISTRICT})\s?){{0,2}}|(?:{_DISTRICT})\s?(?:(?:{_DISTRICT})\s?)?)"
    r"(?:[가-힣]{1,6}[0-9]?(?:동|읍|면|리)\s?)?$",
    _F,
)
_ADDRESS_WORDS = re.compile(
    r"주소|배송지|거주지|사는\s?곳|살고|자택|집은|이사|address|ship(?:ping)?\s?to|deliver(?:y)?\s?to|live\s(?:at|on)",
    re.ASCII | re.IGNORECASE,
)
_ADDRESS_WORD_WINDOW = 25

# What may follow a building or lot number: a boundary, a particle, or address details. Anything
# else, above all counters (개, 번, 시, 원, 명, 일 ...), means the number counts something.
_FOLLOWER_OK = re.compile(
    r"$|[\s,.)\]}!?~\"'/(]|에|로|으|이|가|는|은|을|를|번지|입|까|쪽|의|와|과|도|요|예|동|호|층", _F
)

_ROAD = re.compile(
    r"(?<![가-힣])(?P<name>[가-힣]{1,10}(?:[0-9]{1,3}(?:번)?)?(?:대로|로|길))"
    r"(?P<sub>\s?[0-9]{1,4}(?:번)?(?:길|가))?\s?(?P<num>(?:지하\s?)?[0-9]{1,4}(?:-[0-9]{1,3})?)(?![0-9-])",
    _F,
)
_STRONG_ROAD = re.compile(r"대로$|[0-9](?:번)?길$", _F)
_LOT = re.compile(
    r"(?<![가-힣])(?P<town>[가-힣]{1,8}[0-9]?(?:동|읍|면|리|가))\s?"
    r"(?P<num>(?:산\s?)?[0-9]{1,5}(?:-[0-9]{1,4})?(?:\s?번지)?)(?![0-9-])",
    _F,
)
_STRONG_LOT = re.compile(r"-|번지|산", _F)
_UNIT = re.compile(
    r"(?<![0-9A-Za-z가-힣])(?:[가-힣A-Za-z0-9]{1,15}(?:아파트|빌라|오피스텔|타워|맨션|하이츠|빌|APT)\s?)?"
    r"[0-9]{1,4}\s?동\s?[0-9]{1,5}\s?호",
    _F,
)
# Details after a locator: "(역삼동)", ", 101동 1203호", " 3층", " 래미안아파트 102동 1502호".
_DETAIL_AFTER = re.compile(
    r"(?:\s?\([가-힣0-9,\s]{1,20}\))?"
    r"(?:,?\s?(?:[가-힣A-Za-z0-9]{1,15}(?:아파트|빌라|오피스텔|타워|맨션|하이츠|빌|빌딩|APT)\s?)?"
    r"(?:[0-9]{1,4}\s?동\s?)?[0-9]{1,5}\s?(?:호|층))?",
    _F,
)

_STREET_TYPES = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
    "Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Crescent|Close|Loop|Row|Plaza|Trail|Pike"
)
# Street names must be capitalised (or ordinals like 5th): "10 minute drive" and "5 star place"
# are not addresses. The street type may be in any case because chat users type "123 Main st".
_ENGLISH = re.compile(
    r"(?<![0-9A-Za-z])[0-9]{1,6}[A-Za-z]?\s+(?:(?:N|S|E|W|North|South|East|West)\.?\s+)?"
    r"(?:(?:[A-Z][A-Za-z'-]*|[0-9]{1,3}(?:st|nd|rd|th))\.?\s+){1,4}"
    # The abbreviation's period is kept only before a comma; at a sentence end it is punctuation.
    rf"(?i:{_STREET_TYPES})\b(?:\.(?=,))?(?:\s+(?:NE|NW|SE|SW|N|S|E|W)\b)?"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Flat|#)\.?\s?#?[A-Za-z0-9-]{1,6})?"
    r"(?:,\s+[A-Z][A-Za-z]+(?:\s[A-Z][A-Za-z]+){0,2},?\s+"
    r"(?:[A-Z]{2}\s+[0-9]{5}(?:-[0-9]{4})?|[A-Z]{1,2}[0-9][A-Z0-9]?\s?[0-9][A-Z]{2}))?",
    _F,
)


def find_addresses(view: str) -> Iterator[Span]:
    for pattern in (_ROAD, _LOT):
        for match in pattern.finditer(view):
            span = _korean_address(view, match, strong_road=pattern is _ROAD)
            if span is not None:
                yield span
    for match in _UNIT.finditer(view):
        yield match.span()
    for match in _ENGLISH.finditer(view):
        yield match.span()


def _korean_address(view: str, locator: re.Match[str], *, strong_road: bool) -> Span | None:
    start, end = locator.span()
    if not _FOLLOWER_OK.match(view, end):
        return None
    admin = _ADMIN_BEFORE.search(view, max(0, start - 40), start)
    detail = _DETAIL_AFTER.match(view, end)
    has_detail = detail is not None and detail.end() > end
    if has_detail and detail is not None:
        # A floor must end cleanly, or "3층" could be "3층짜리" in a product description.
        if not detail.group().endswith("층") or _FOLLOWER_OK.match(view, detail.end()):
            end = detail.end()
        else:
            has_detail = False
    if strong_road:
        shaped = _STRONG_ROAD.search(locator.group("name")) is not None or locator.group("sub") is not None
    else:
        shaped = _STRONG_LOT.search(locator.group("num")) is not None and locator.group("town")[-1] != "가"
    context = _ADDRESS_WORDS.search(view, max(0, start - _ADDRESS_WORD_WINDOW), start) is not None
    if not (admin or has_detail or shaped or context):
        return None
    if admin is not None:
        start = admin.start()
    return start, end
