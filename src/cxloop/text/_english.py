"""English keywords by rules: stopwords, a small lemmatizer (plurals, -ed, -ing, irregulars), negation.

No word lists are downloaded: the lemmatizer is suffix rules plus a table of irregular forms and of
stems the rules would get wrong, which is enough for the vocabulary of customer feedback. Negation
becomes part of the keyword ("didn't arrive" → "not arrive", "never received" → "not receive",
"no response" → "no response"), so complaints about what did not happen count separately.
"""

from __future__ import annotations

import re

__all__ = ["LATIN_WORD", "english_keywords", "lemmatize"]

#: A Latin word of text that has been through ``model_text`` (lower case).
LATIN_WORD = re.compile(r"[a-z][a-z0-9]*(?:'[a-z]+)?")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _pairs(text: str) -> dict[str, str]:
    return dict(pair.split(":", 1) for pair in text.split())


_EN_STOPWORDS = _words(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each even ever every few for from
    further had has have having he her here hers him his how i if in into is it its itself just me more
    most my myself nor of off on once only or other our ours out over own same she should so some such
    than that the their theirs them then there these they this those through to too under until up upon
    us very was we were what when where which while who whom why will with would yet you your yours
    yourself hi hello dear please thanks thank ok okay yes really still already since get got getting
    go going gone went come came make made take took want wanted need needed like know see say said tell
    told one two three much many lot lots thing things anything something nothing everything way day
    days today yesterday now time times also though although however oh well im ive dont cant wont"""
)
_EN_NEGATORS = {"not": "not", "never": "not", "cannot": "not", "no": "no"}
# Skipped between a negator and the word it negates.
_EN_NEGATION_FILLERS = _words(
    "be been being is was were am are do does did have has had yet even ever really actually still just "
    "also always quite very so too a an the my your our any"
)
# Light verbs that are stopwords alone but keywords when negated: "not get", "not work".
_EN_NEGATABLE = _words("get go come make take know see need want work")
_EN_CONTRACTIONS = (
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'(?:s|re|ve|ll|d|m)\b"), ""),
)
_EN_IRREGULAR = _pairs(
    """went:go gone:go got:get gotten:get paid:pay sent:send bought:buy broke:break broken:break
    took:take taken:take came:come gave:give given:give made:make said:say told:tell left:leave lost:lose
    found:find kept:keep felt:feel spent:spend brought:bring thought:think did:do done:do had:have has:have
    ran:run saw:see seen:see knew:know known:know wrote:write written:write ate:eat eaten:eat fell:fall
    fallen:fall chose:choose chosen:choose stole:steal stolen:steal sold:sell held:hold stood:stand
    began:begin begun:begin hung:hang froze:freeze frozen:freeze forgot:forget forgotten:forget meant:mean
    used:use using:use uses:use children:child men:man women:woman people:people feet:foot teeth:tooth
    mice:mouse knives:knife lives:life wives:wife bonuses:bonus statuses:status viruses:virus buses:bus
    cookies:cookie movies:movie series:series news:news controlled:control controlling:control
    worse:bad worst:bad better:good best:good was:be were:be is:be are:be am:be been:be"""
)
# Stems that look like they need a final e (or lost one) but do not.
_EN_STEM_FIXES = _pairs(
    """creat:create delet:delete complet:complete excit:excite invit:invite focus:focus
    develop:develop monitor:monitor color:color hang:hang visit:visit limit:limit edit:edit credit:credit
    queu:queue argu:argue continu:continue"""
)
# Nouns in -ing that are not the verb's action in VOC ("shipping fee", "app settings").
_EN_ING_NOUNS = _words(
    """shipping billing setting booking packaging pricing meeting building wedding morning evening nothing
    something anything everything thing during ceiling clothing parking banking marketing training warning
    listing spring string king ring wing sibling bedding pudding evening"""
)
_VOWELS = frozenset("aeiouy")
# Final consonant -> single vowels before it after which a stripped -ed/-ing had an e:
# "arriv" → arrive, "charg"-style clusters are handled separately.
_E_AFTER_VOWEL = {
    "b": "aeiou",
    "c": "aeiouy",
    "d": "aiou",
    "g": "a",
    "k": "aiou",
    "l": "aiou",
    "m": "aiou",
    "n": "iou",
    "p": "aiouy",
    "r": "aiouy",
    "s": "aeiou",
    "t": "auo",
    "v": "aeiou",
    "z": "aeiouy",
}
_E_ANY_VOWELS = frozenset("cvsz")  # receive, voice, release, freeze: e even after two vowels


def lemmatize(word: str) -> str:
    """English lemma by rules: plurals, -ed, -ing and common irregular forms. Lower-cases."""
    w = word.lower()
    if w in _EN_IRREGULAR:
        return _EN_IRREGULAR[w]
    if len(w) <= 3 or w in _EN_ING_NOUNS:
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("ied") and len(w) > 4:
        return w[:-3] + "y"
    for suffix in ("ing", "ed"):
        stem = w[: -len(suffix)]
        if w.endswith(suffix) and len(stem) >= 2 and _VOWELS.intersection(stem) and not w.endswith("eed"):
            return _restore_stem(stem)
    if w.endswith(("sses", "shes", "ches", "xes", "zes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def _restore_stem(stem: str) -> str:
    if stem in _EN_STEM_FIXES:
        return _EN_STEM_FIXES[stem]
    last, before = stem[-1], stem[-2]
    if last == before and last not in "lsz" and len(stem) >= 4:
        return stem[:-1]  # stopp → stop, shipp → ship; but add, miss, buzz stay
    if stem.endswith("ell") and len(stem) >= 6:
        return stem[:-1]  # cancell → cancel, travell → travel; spell, yell stay
    if stem.endswith(("rg", "dg", "lg", "ang", "eng", "bl", "pl", "tl", "gl", "kl", "dl", "fl", "zl")):
        return stem + "e"  # charge, judge, change, challenge, enable, handle, settle
    if last in _E_ANY_VOWELS and before in _VOWELS and before != "y":
        return stem + "e"
    third = stem[-3] if len(stem) >= 3 else "x"
    single_vowel = third not in _VOWELS or stem[-4:-2] == "qu"  # in "requir", the u belongs to q
    if before in _E_AFTER_VOWEL.get(last, "") and single_vowel:
        return stem + "e"
    return stem


def english_keywords(text: str) -> list[str]:
    """Lemmas of the content words of ``text`` (already through ``model_text``), negation attached."""
    for pattern, replacement in _EN_CONTRACTIONS:
        text = pattern.sub(replacement, text)
    out: list[str] = []
    negation = ""
    for token in LATIN_WORD.findall(text):
        if token in _EN_NEGATORS:
            negation = _EN_NEGATORS[token]
            continue
        if negation and token in _EN_NEGATION_FILLERS:
            continue
        lemma = lemmatize(token)
        if negation:
            if not token.isdigit() and (lemma not in _EN_STOPWORDS or lemma in _EN_NEGATABLE):
                out.append(f"{negation} {lemma}")
            negation = ""
        elif len(lemma) > 1 and not lemma.isdigit() and token not in _EN_STOPWORDS and lemma not in _EN_STOPWORDS:
            out.append(lemma)
    return out
