"""Urgency flags on VOC text and the customer's profile, and the priority score routing sorts by.

Text flags come from curated Korean and English patterns. Korean patterns run on the text with all
spaces removed, so "소비자원에 신고", "소비자원에신고" and "소비자 원에 신고" read alike, and they
match stems rather than endings, so typo'd endings (할께요, 할래여, 하겠슴다) still match.

Decisions a reviewer should know:

* CHURN_INTENT needs a stated intent (해지할게요, 탈퇴하고 싶어요, I want to cancel, switching to
  another provider). A question about the procedure or its terms (해지 방법이 궁금해서요, 해지하면
  위약금 있나요, how do I cancel my subscription?) is not flagged: the cancellation topic routes it,
  and the flag is reserved for customers who say they are leaving. Turning off a feature (알림 해지,
  자동이체 해지) is not churn.
* LEGAL_THREAT: a regulator or the press named (소비자원, 공정위, 금감원, BBB), a lawyer or a
  lawsuit, or a first-person threat to report (신고하겠습니다). Everyday reports are not threats:
  분실 신고, 도난 신고, 전입신고. 고소하다 is also "nutty" (고소한 맛), so only 고소 in a threat form counts.
* SAFETY_ISSUE: fire, smoke, explosion, electric shock, injury, hospital, food poisoning, foreign
  objects in food. A battery or device must be named for 터지다 (a parcel box also 터지다).
* REPEATED_CONTACT from the text (몇 번째 전화, 또 연락드립니다, third time) or from history:
  ``recent_contacts`` >= 2 earlier contacts on the same matter, counted by the caller from cases.
* ABUSIVE: a profanity/insult list (Korean and English), or, for Hangul text, the character n-gram
  model in ``_abuse`` at its threshold. Mild intensifiers (존나 맛있어요) are left to the model.
* VIP: tier in ``VIP_TIERS`` or lifetime value >= ``HIGH_LIFETIME_VALUE``. "gold" is not VIP: in the
  usual four-tier scheme (basic/silver/gold/vip) gold is a tenth of all customers, too many for a
  flag that jumps queues.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from enum import StrEnum

from cxloop.domain import CasePriority
from cxloop.text._abuse import load_abuse_model
from cxloop.text.normalize import model_text

__all__ = [
    "FLAG_WEIGHTS",
    "HIGH_LIFETIME_VALUE",
    "VIP_TIERS",
    "Flag",
    "detect_flags",
    "has_profanity",
    "priority_label",
    "priority_score",
]


class Flag(StrEnum):
    CHURN_INTENT = "churn_intent"
    LEGAL_THREAT = "legal_threat"
    SAFETY_ISSUE = "safety_issue"
    REPEATED_CONTACT = "repeated_contact"
    ABUSIVE = "abusive"
    VIP = "vip"


#: Customer tiers that raise the VIP flag (case-insensitive).
VIP_TIERS = frozenset({"vip", "vvip", "platinum", "diamond", "prestige", "black"})
#: Lifetime value, in the store's currency (KRW), from which a customer is VIP whatever the tier.
HIGH_LIFETIME_VALUE = 3_000_000.0
#: Earlier contacts on the same matter from which a contact counts as repeated.
REPEATED_CONTACTS_FROM = 2
#: Flags read from at most this many characters of text.
MAX_FLAG_CHARS = 20_000

# Each rule: a pattern, and optional guards that veto a match: one searched in the characters just
# before it (8 for Korean, the clause's 40 for English), one in the 80 characters after it.
_Rule = tuple[re.Pattern[str], re.Pattern[str] | None, re.Pattern[str] | None]


def _any(*alternatives: str) -> str:
    """One regex alternation of the whitespace-separated ``alternatives`` (Korean text has no spaces here)."""
    return "(?:" + "|".join(part for text in alternatives for part in text.split()) + ")"


def _any_line(*alternatives: str) -> str:
    """One whole-word regex alternation of ``alternatives`` (English patterns contain spaces)."""
    return r"\b(?:" + "|".join(alternatives) + r")\b"


def _rule(pattern: str, before: str | None = None, after: str | None = None) -> _Rule:
    return re.compile(pattern), re.compile(before) if before else None, re.compile(after) if after else None


_KO_INTENT = _any(
    """할게 할께 하겠 할래 할랍 하렵 하려고 할려고 하고싶 하고십 할거 할꺼 할겁 하기로 해야겠 해야지 합니다 해주세
    해주십 해줘 해주시 해달 해버리 시켜주 시켜줘 원합 원해 원함 부탁 바랍 드립 드려요 드릴게 진행해 하러"""
)
# Threat forms of 신고/고소/고발/제보. Not 합니다 alone: "맛이 고소합니다" is a taste (신고 adds it below).
_KO_THREAT = _any("하겠 할게 할께 할거 할꺼 할겁 할래 하려(?!면) 해버 하고싶 하러")
_KO_RULES: dict[Flag, list[_Rule]] = {
    Flag.CHURN_INTENT: [
        _rule(
            _any("해지 탈퇴 해약 구독취소 멤버십취소 멤버쉽취소 계정삭제 번호이동")
            + "(?:신청|요청|처리|진행)?(?:을|를|좀)?"
            + _KO_INTENT,
            before="(?:자동이체|알림|알람|수신|푸시|광고|마케팅|문자|부가서비스|예약|옵션)$",
            after="^(?:지|진|지는)(?:않|마)",  # 해지하고 싶지 않아요
        ),
        _rule("(?:다른|타사|딴|경쟁|타통신|[a-z0-9]{2,})[가-힣]{0,4}?(?:로|으로)갈아(?:타|탈|탑|탔|타려)"),
        _rule(
            "(?:다른|딴|타)(?:곳|데|사|업체|쇼핑몰|매장|브랜드|회사|통신사|은행|앱|서비스)(?:에서|로|으로|를|을|에)?"
            + _any(
                """살게 살께 살래 사야 살거 구매할 주문할 이용할 쓸게 쓸께 쓸래 옮기 옮길 바꿀 바꾸려 갈게 갈께
                가야 가겠 알아볼 알아봐"""
            )
        ),
        _rule(
            "(?:다시는|다신|두번다시)[가-힣]{0,8}?"
            + _any(
                """안삽 안사 안살 안시키 안시킬 안쓸 안써 안씁 안씀 안올 안갈 안가 안해 안합 안할 않겠 않을 않습
                안이용 이용안"""
            )
        ),
        _rule("(?:구독|서비스|인터넷|멤버십|멤버쉽|정기배송|회원권)[을를도]?(?:끊을|끊겠|끊으려|끊어야|끊고싶|끊습)"),
        _rule("더이상(?:은)?(?:이용|사용|구매|주문|거래)(?:안|하지않|할생각없|할일없)|계정[을좀]*(?:지워|없애)"),
    ],
    Flag.LEGAL_THREAT: [
        _rule(
            _any(
                """소비자원 소비자보호원 공정위 공정거래위 금감원 금융감독원 방통위 방송통신위 신문고 식약처
                노동청 고용노동부 국민청원 개인정보보호위 개인정보침해 변호사 법무법인 로펌 소송 내용증명 민사
                손해배상 배상청구 형사(?:고소|처벌|고발) 법적(?:조치|대응|책임|절차|처리|으로)
                경찰(?:에|서)?(?:신고|고소|고발|부르|불러) 언론(?:에|사)?(?:제보|알리) 기자(?:에게|한테)?제보
                불법(?:이에|이네|이잖|아닌가|아니에|입니|인거|인데|행위|영업)
                고소(?:장|진행|예정|준비|각|하기로|할수도) 고발(?:조치|장)"""
            )
            # 고소하다 is also "nutty" (고소한 맛): only threat forms count.
            + "|(?:고소|고발|제보)"
            + _KO_THREAT
        ),
        _rule(
            "신고(?:" + _KO_THREAT + "|합니다|넣|접수하겠|할수밖에)",
            before="(?:분실|도난|전입|세금|부가세|소득|연말정산|혼인|출생|사망|실종|신고서|사업자|매출|확정|이사|카드|지갑)$",
        ),
    ],
    Flag.SAFETY_ISSUE: [
        _rule(
            _any(
                r"""화재 불이(?:났|나서|붙) 불났 불붙 발화 폭발 연기가(?:났|나|피어) 타는냄새 탄내 그을음 감전
                누전 스파크 가스(?:누출|가새|가샜) 과열 스웰링 다쳤 다쳐 다침 부상 상처(?:가|를|났|입)
                피가(?:나|났) 출혈 화상(?:을|입|당|자국) 데였 데어서 응급실 응급처치 구급차 (?<!\d)119(?!\d) 입원
                병원(?:에|을)?(?:갔|가야|실려|다녀|진료|치료) 식중독 배탈 설사 구토 토했 토하 두드러기
                알레르기반응 알러지반응 이물질 벌레(?:가|나|들) 유리(?:조각|파편) 쇳조각 곰팡이 썩은
                상한(?:음식|고기|우유|거|것) 질식 목에걸 넘어져 넘어졌 미끄러 유해물질 발암"""
            )
            # a parcel box also 터지다: a device must be named
            + "|(?:배터리|충전기|기기|폰|휴대폰|핸드폰|노트북|전자레인지|밥솥|제품)"
            + "(?:이|가)?(?:펑)?(?:터졌|터져|터짐|부풀)"
        ),
        _rule("위험(?:해요|합니다|하네|해서|한제품|하다|하잖)", before="(?:보안|개인정보|해킹|정보유출|유출)$"),
    ],
    Flag.REPEATED_CONTACT: [
        _rule(
            _any(
                """몇번째 재문의 재접수 재요청 (?:같은|똑같은)(?:답변|대답|말)(?:만|뿐)
                (?:몇|여러|수|수십|몇십)(?:번|차례|회)(?:이나|째|씩|나|을|를)?(?:전화|연락|문의|말씀|얘기|이야기|요청|글|메일|접수|채팅|상담|통화|항의|했|드렸)
                (?:두|세|네|다섯|여섯|열|[2-9]|10)번째(?:전화|연락|문의|글|메일|요청|접수|채팅|상담|통화)
                (?:두|세|네|다섯|여섯|열|[2-9]|10)번째(?:말씀|얘기|드리|남기|작성|예요|입니다|에요|인데|임)
                (?:또|다시)(?:연락|문의|전화|접수|글|메일|요청)(?:을|를)?(?:드립|드려|드렸|했|합니|하게|하는|해요|남기|남겨|남깁)
                계속(?:전화|연락|문의|요청)(?:했|드렸|하는데|드리는데|해도)
                아직도(?:해결|처리|답변|연락)[가-힣]{0,4}?(?:안|없|못)"""
            )
        ),
    ],
}

_EN_CANCEL = r"(?:cancel+(?:ing)?|close|closing|delete|deleting|terminate|terminating|end|ending|deactivate)"
_EN_RELATIONSHIP = r"(?:account|subscription|membership|plan|contract|policy|service)s?"
_EN_I_INTEND = (
    r"i(?:'m| am| will|'ll|'d like to| would like to| want to| wanna| need to| have decided to|'ve decided to)"
)
_EN_ELSEWHERE = r"(?:a |another |a different |your )?(?:competitor|provider|company|bank|carrier|store|shop|service)"
_EN_CONTACTED = r"(?:called|contacted|emailed|written|wrote|messaged|reached out|asked|complained|chatted|phoned)"
_EN_MANY = r"(?:several|multiple|many|numerous|countless|\d+|two|three|four|five|six|a dozen|so many)"
_EN_RULES: dict[Flag, list[_Rule]] = {
    Flag.CHURN_INTENT: [
        _rule(
            _any_line(
                _EN_CANCEL + r"\s+(?:my|our|the|this)\s+(?:\w+\s+)?" + _EN_RELATIONSHIP,
                _EN_I_INTEND + r"(?: going to| gonna)? (?:cancel|unsubscribe|leave|quit|switch)",
                r"(?:switch|switching|move|moving|go|going) (?:over )?to " + _EN_ELSEWHERE,
                r"tak(?:e|ing) my (?:business|money) elsewhere|never (?:buy|order|shop|use)\w* (?:\w+ ){0,3}again",
                r"(?:won't|will not) be (?:buying|ordering|shopping|using|coming back)|unsubscribe me|i quit",
                r"i(?:'m| am) leaving|i(?:'m| am) done with (?:you|your|this)",
            ),
            # "how do I cancel my account", "I don't want to cancel", "if I cancel my plan, do I get a refund?"
            before=r"\b(?:how|can i|could i|do i|is it possible|possible to|able to)\b[^.?!,;]*$"
            r"|\b(?:not|never|don't)\s+(?:\w+\s+){0,2}$",
            after=r"^[^.!]*\?",
        ),
    ],
    Flag.LEGAL_THREAT: [
        _rule(
            _any_line(
                r"lawyers?|attorneys?|solicitors?|legal (?:action|proceedings|team)|law ?suit|class action",
                r"small claims|suing|sued|take (?:you|this|it|your company) to court|see you in court|court case",
                # "Sue from accounting" is a colleague: the verb needs a subject or an object
                r"(?:will|'ll|going to|gonna|to|should|could|would|might|and|i) sue",
                r"sue (?:you|your|them|the|this|for|over|u)",
                r"consumer protection|better business bureau|bbb?|ftc|cfpb|trading standards|ombudsman",
                r"attorney general",
                r"report (?:you|this|your company|it) to (?:the )?(?:authorities|police|regulators?|ftc|bbb?|fcc|cfpb)",
            )
        ),
    ],
    Flag.SAFETY_ISSUE: [
        _rule(
            _any_line(
                r"caught fire|catch(?:es)? fire|on fire|burst into flames|in flames|fire hazard|blew up|gas leak",
                r"smoke (?:came|coming|was)|burning smell|smell(?:s|ed)? (?:of )?burning|explod\w*|overheat\w*",
                r"electric(?:al)? shock|electrocut\w*|sparks?|short circuit|injur\w*|(?:got|was|were|get|been) hurt",
                r"hurt (?:me|him|her|myself|himself|herself|us|them)|hurt my (?!feelings)\w+|bleeding|emergency room",
                r"burn(?:ed|t) (?:my|me|his|her|our|their)|hospital\w*|ambulance|food poisoning|poison\w*",
                r"chok(?:e|ed|ing)|allergic reaction|vomit\w*|threw up|throwing up|diarrh\w*|glass (?:in|inside)",
                r"metal (?:piece|shard|fragment)s?|foreign object|mou?ldy?|rotten|unsafe|dangerous|hazard(?:ous)?",
                r"swollen battery|battery (?:is |was |has )?(?:swell\w*|swollen)|product recall|recalled|toxic|fumes",
            )
        ),
    ],
    Flag.REPEATED_CONTACT: [
        _rule(
            _any_line(
                _EN_CONTACTED
                + r"(?: to)?(?: you| your \w+| support| customer service)?(?: guys)? "
                + _EN_MANY
                + " times",
                r"(?:already|previously) (?:" + _EN_CONTACTED[3:-1] + "|reported|raised)",
                r"again and again|over and over|(?:second|third|fourth|fifth|2nd|3rd|4th|5th|\d+th) time",
                r"keep (?:calling|contacting|emailing|asking|writing|chasing)|contacting you again",
                r"follow(?:ing)?[- ]up (?:again|on my (?:previous|last|earlier))",
            )
        ),
    ],
}

_KO_PROFANITY = re.compile(
    _any(
        """씨발 씨바 씨빨 씨팔 시팔 시발(?!점) ㅅㅂ ㅆㅂ ㅆ발 ㅅ발 씹새 씹창 씹년 좆 좃같 ㅈ같 개새끼 개새기 개색
        개세끼 개쉐 새끼(?!손|발|고양|강아|오리|돼지) 병신 븅신 빙신 ㅂㅅ ㅄ 미친(?:놈|년|새|것들|개) 또라이
        돌아이 꺼져라 꺼지세요 닥쳐 닥치고 닥치라 닥치세요 지랄 ㅈㄹ 엿먹 염병 니미 니애미 느금 애미 애비
        호로(?:새|자식|놈) 쌍놈 쌍년 썅 등신 죽여버 죽일놈 죽일년 뒤질래 뒈져 뒤져라"""
    )
)
_EN_PROFANITY = re.compile(
    _any_line(
        r"f+u+c+k+\w*|f[*#@]+c?k\w*|fck\w*|fuk\w*|wtf|stfu|gtfo|mother ?f\w+|shit\w*|sh[1*]t|bullshit|bitch\w*",
        r"b[1*]tch\w*|assholes?|a[s$]{2}holes?|bastards?|cunts?|dickheads?|dick|jackass|dumbass|douche\w*|morons?",
        r"idiots?|imbeciles?|retard\w*|screw you|go to hell|damn you|kill yourself|kys|scumbags?",
        r"piece of (?:shit|crap)",
    )
)
_HANGUL = re.compile("[\uac00-\ud7a3]")
_LATIN = re.compile("[a-z]")
_GUARD_BEFORE_CHARS = 8


def has_profanity(text: str) -> bool:
    """Whether ``text`` contains a listed Korean or English profanity or insult (spacing ignored)."""
    return _profane(_fold(text))


def _fold(text: object) -> str:
    return model_text(text[: MAX_FLAG_CHARS * 2])[:MAX_FLAG_CHARS].replace("’", "'") if isinstance(text, str) else ""


def _profane(folded: str, compact: str | None = None) -> bool:
    if _HANGUL.search(folded) and _KO_PROFANITY.search(compact or folded.replace(" ", "")):
        return True
    return bool(_LATIN.search(folded) and _EN_PROFANITY.search(folded))


def _matches(rules: list[_Rule], text: str, before_chars: int) -> bool:
    for pattern, guard_before, guard_after in rules:
        for match in pattern.finditer(text):
            start, end = match.span()
            before = text[max(0, start - before_chars) : start]
            if guard_before and guard_before.search(before):
                continue
            if guard_after and guard_after.search(text[end : end + 80]):
                continue
            return True
    return False


def detect_flags(
    text: str,
    *,
    customer_tier: str | None = None,
    lifetime_value: float | None = None,
    recent_contacts: int = 0,
) -> set[Flag]:
    """The flags ``text`` and the author's profile raise. Never raises; empty text flags only the profile.

    ``recent_contacts`` is the number of earlier contacts on the same matter (from case history).
    """
    flags: set[Flag] = set()
    folded = _fold(text)
    hangul = bool(_HANGUL.search(folded))
    compact = folded.replace(" ", "") if hangul else ""
    if hangul:
        flags.update(flag for flag, rules in _KO_RULES.items() if _matches(rules, compact, _GUARD_BEFORE_CHARS))
    if _LATIN.search(folded):
        # English guards look back over the clause (40 characters), not just the previous word.
        flags.update(flag for flag, rules in _EN_RULES.items() if _matches(rules, folded, 40))
    if _profane(folded, compact) or (hangul and load_abuse_model().is_abusive(folded, folded=True)):
        flags.add(Flag.ABUSIVE)
    value = _number(lifetime_value)
    if _is_vip_tier(customer_tier) or (value is not None and value >= HIGH_LIFETIME_VALUE):
        flags.add(Flag.VIP)
    contacts = _number(recent_contacts)
    if contacts is not None and contacts >= REPEATED_CONTACTS_FROM:
        flags.add(Flag.REPEATED_CONTACT)
    return flags


def _number(value: object) -> float | None:
    """A finite float from a profile field (int, float, Decimal, numeric str), else None."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _is_vip_tier(tier: object) -> bool:
    return isinstance(tier, str) and tier.strip().lower() in VIP_TIERS


#: Points each flag adds to the priority score. Harm to people and legal exposure come first: either
#: alone takes a contact to p1. A customer leaving is next (p2 alone), then a customer who had to
#: come back or is worth more; abusive language adds little (it needs a supervisor, not speed).
FLAG_WEIGHTS: dict[Flag, int] = {
    Flag.SAFETY_ISSUE: 60,
    Flag.LEGAL_THREAT: 60,
    Flag.CHURN_INTENT: 35,
    Flag.REPEATED_CONTACT: 20,
    Flag.VIP: 15,
    Flag.ABUSIVE: 10,
}
BASE_PRIORITY = 10
_FLAG_VALUES = frozenset(f.value for f in Flag)  # StrEnum members hash as their values
#: Points for the most negative sentiment (score -1); scaled linearly, nothing for neutral or positive.
NEGATIVE_SENTIMENT_POINTS = 20
#: Lower bounds of p1, p2 and p3; below the last is p4.
PRIORITY_BANDS = ((70, CasePriority.P1), (45, CasePriority.P2), (25, CasePriority.P3))


def priority_score(flags: Iterable[Flag | str], sentiment_score: float | None, customer_tier: str | None) -> int:
    """A 0-100 priority: ``BASE_PRIORITY`` + ``FLAG_WEIGHTS`` + up to 20 for negative sentiment.

    ``sentiment_score`` is the sentiment model's score in [-1, 1] (negative = unhappy; values below -1
    count as -1; None and NaN add nothing). A ``customer_tier`` in ``VIP_TIERS`` counts as the VIP
    flag, once. Unknown flag names add nothing. Never raises.
    """
    active = {Flag(f) for f in flags if f in _FLAG_VALUES}  # unknown stored names add nothing
    if _is_vip_tier(customer_tier):
        active.add(Flag.VIP)
    score = BASE_PRIORITY + sum(FLAG_WEIGHTS[f] for f in active)
    sentiment = _number(sentiment_score)
    if sentiment is not None and sentiment < 0:
        score += round(NEGATIVE_SENTIMENT_POINTS * min(-sentiment, 1.0))
    return max(0, min(100, score))


def priority_label(score: int) -> CasePriority:
    """p1 for a score of 70 or more, p2 from 45, p3 from 25, else p4."""
    for lower, label in PRIORITY_BANDS:
        if score >= lower:
            return label
    return CasePriority.P4
