"""What identity matching compares and how: the comparison levels with their prior m and u, the
fields whose exact agreement weighs by frequency, and the blocking rules that find candidate pairs.

The levels are written for what is true of person records in general: names mistyped, abbreviated
or given in the other order (first and last swapped, or a lone name in the other slot), birth dates
with a slipped digit, day and month read the other way round or a few days off, e-mail addresses
with a mistyped domain, initials-only e-mail local parts that many people share. u values are the
share among random pairs of people (e.g. random birth dates over 80 years), m the share among true
matches in messy data; see `matching` for how they are used.
"""

from __future__ import annotations

Level = tuple[str, str, float, float]  # label, SQL condition (with {c} for the column), m, u


def _jw(threshold: float) -> str:
    return f"jaro_winkler_similarity({{c}}_l, {{c}}_r) >= {threshold}"


_EXACT = "{c}_l = {c}_r"
_TYPO = "damerau_levenshtein({c}_l, {c}_r) <= 1"
_SPECIFIC_LOCAL = "(length({c}_l) >= 5 OR (length({c}_l) >= 4 AND regexp_matches({c}_l, '[0-9]')))"
_DOMAINS = "split_part(email_l, '@', 2), split_part(email_r, '@', 2)"
_EMAIL_DOMAINS_LIKE = f"(damerau_levenshtein({_DOMAINS}) <= 2 OR jaro_winkler_similarity({_DOMAINS}) >= 0.88)"


def _same_digits(column: str) -> str:
    return f"regexp_replace({column}_l, '[^0-9]', '', 'g') = regexp_replace({column}_r, '[^0-9]', '', 'g')"


def _written_like(part: str, other: str) -> str:
    """The left record's `part` name is the right record's `other` name: same key or a typo away."""
    return f"({part}_key_l = {other}_key_r OR jaro_winkler_similarity({part}_name_l, {other}_name_r) >= 0.88)"


def _swapped(part: str) -> str:
    """First and last name given the other way round, typos allowed; or, when a record has only one of
    them, that one written in the other slot ("Brown" as a first name against "Florence Brown").
    Symmetric in l/r; a half swap counts in one comparison only (in the other one a side is missing)."""
    other = "last" if part == "first" else "first"
    mine, theirs = _written_like(part, other), _written_like(other, part)
    return f"(({mine} AND {theirs}) OR ({other}_name_l IS NULL AND {mine}) OR ({other}_name_r IS NULL AND {theirs}))"


#: Exact levels of these fields weigh by how common the value is (a shared "Emma" says less than a
#: shared "Yeseul"); Splink counts the frequencies in the batch itself. Birth dates are nearly uniform
#: in a population, so for them only a placeholder-like pile-up counts (`matching._date_frequencies`).
TERM_FREQUENCY = {"first_name", "last_name", "city", "birth_date"}
# Birth date errors seen in person records: one mistyped digit, day and month read the other way
# round, a date a few days or weeks off, two slips. u values: random pairs of dates from 80 years.
_DATE_SWAPPED = (
    "substr({c}_l, 1, 4) = substr({c}_r, 1, 4) AND substr({c}_l, 6, 2) = substr({c}_r, 9, 2)"
    " AND substr({c}_l, 9, 2) = substr({c}_r, 6, 2)"
)
_DATE_NEAR = "abs(date_diff('day', TRY_CAST({c}_l AS DATE), TRY_CAST({c}_r AS DATE))) <= 31"
COMPARISONS: dict[str, tuple[Level, ...]] = {
    "first_name": (
        ("exact", _EXACT, 0.70, 0.006),
        ("same romanized", "first_key_l = first_key_r", 0.08, 0.002),
        ("similar", _jw(0.92), 0.10, 0.004),
        ("swapped with last name", _swapped("first"), 0.03, 0.0005),
        ("somewhat similar", _jw(0.80), 0.05, 0.03),
    ),
    "last_name": (
        ("exact", _EXACT, 0.75, 0.01),
        ("same romanized", "last_key_l = last_key_r", 0.06, 0.003),
        ("similar", _jw(0.92), 0.10, 0.005),
        ("swapped with first name", _swapped("last"), 0.03, 0.0005),
        ("somewhat similar", _jw(0.80), 0.04, 0.03),
    ),
    "birth_date": (
        ("exact", _EXACT, 0.80, 0.00005),
        ("one typo", _TYPO, 0.08, 0.002),
        ("day and month swapped", _DATE_SWAPPED, 0.01, 0.00005),
        ("within a month", _DATE_NEAR, 0.03, 0.002),
        ("two typos", "damerau_levenshtein({c}_l, {c}_r) <= 2", 0.03, 0.014),
        ("same year", "substr({c}_l, 1, 4) = substr({c}_r, 1, 4)", 0.01, 0.01),
    ),
    # Addresses of one city share long prefixes, so "similar" also wants the same house numbers; a
    # merely similar writing with other numbers is another address (people move: weak evidence).
    "address": (
        ("exact", _EXACT, 0.70, 0.0001),
        ("similar, same numbers", f"{_jw(0.88)} AND {_same_digits('{c}')}", 0.2, 0.001),
    ),
    "city": (("exact", _EXACT, 0.85, 0.01), ("similar", _jw(0.88), 0.08, 0.01)),
    "postcode": (("exact", _EXACT, 0.85, 0.002), ("one typo", _TYPO, 0.08, 0.02)),
    # A local part of a few letters is often initials ("jc"), shared by many people unless the domain
    # agrees too; digits make it specific, and tell people apart ("gdavies36" is not "gdavies72").
    "email_local": (
        ("exact", f"{_EXACT} AND {_SPECIFIC_LOCAL}", 0.75, 0.0001),
        ("one typo", f"{_TYPO} AND {_SPECIFIC_LOCAL}", 0.08, 0.0005),
        ("similar, same numbers", f"{_jw(0.9)} AND length({{c}}_l) >= 6 AND {_same_digits('{c}')}", 0.03, 0.0005),
        ("exact, short, same domain", f"{_EXACT} AND {_EMAIL_DOMAINS_LIKE}", 0.06, 0.00002),
        ("exact, short", _EXACT, 0.02, 0.003),
    ),
    "phone": (("exact", _EXACT, 0.85, 0.00001), ("one typo", _TYPO, 0.08, 0.0001)),
    "national_id": (("exact", _EXACT, 0.90, 0.000001),),
    "gender": (("exact", _EXACT, 0.97, 0.5),),
}
WEAK_LEVELS = {"somewhat similar", "same year", "two typos", "exact, short"}
COLUMNS = (*COMPARISONS, "first_key", "last_key", "email")
# Each rule pairs two fields, so a typo in any third one still finds the pair. "name_set" is the
# first and last name keys in sorted order: the same for "Kim Minsu" and "Minsu Kim".
BLOCKING: tuple[tuple[str, ...], ...] = (
    ("name_set",),
    ("birth_date",),
    ("national_id",),
    ("email_local",),
    ("phone",),
    ("postcode", "first_key"),
    ("last_key", "city"),
    ("first_key", "city"),
    ("first_key", "birth_year"),
    ("last_key", "birth_year"),
    ("address",),
)
# Rules of the training steps (EM trains the fields a rule does not block on).
TRAINING = (("first_key", "last_key", "birth_date"), ("birth_date",), ("first_key", "last_key"))
