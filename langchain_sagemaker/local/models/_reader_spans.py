"""Candidate spans for the reader: durations, times, amounts, reasons, fields."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from langchain_sagemaker.local.models._reader_patterns import (
    AGE_SPAN,
    BARE_NUMBER_CJK,
    CJK_YEAR_LIKE,
    CURRENCY,
    DURATION_CJK,
    DURATION_EN,
    FREQUENCY_EN,
    PURPOSE_EN,
    QUANTITY_CJK,
    QUANTITY_EN,
    REASON_CJK,
    REASON_EN,
    REASON_JA,
    TIME_CJK_PATTERNS,
    TIME_EN_PATTERNS,
    UNIT_CLASSES,
)
from langchain_sagemaker.local.models._reader_question import (
    DURATION,
    PERSON,
    PLACE,
    QUANTITY,
    TIME,
    Question,
)
from langchain_sagemaker.local.models._reader_text import (
    EN_NUMBER_WORDS,
    MONTHS,
    STOPWORDS,
    Sentence,
    Word,
    has_cjk,
    split_words,
    stems_match,
    wordset,
)

TIME_PREPOSITION = re.compile(
    r"(?i)\b(?:in|on|at|since|by|until|till|during|from|before|after|around|circa)\s+$"
)

DAY_OF_MONTH = re.compile(rf"(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTHS})\b")
MONTH_BEFORE = re.compile(rf"\b(?:{MONTHS})\.?\s+$")

DURATION_PREPOSITION = re.compile(r"(?i)\b(?:for|over|during|within)\s+$")

NUMBER_WORD = re.compile(rf"\d[\d,.]*|{EN_NUMBER_WORDS}")

UNIT_MODIFIERS = wordset("square cubic metric nautical light fluid")

CLAUSE_WORDS = wordset("and but or while then whereas although")

FIELD = re.compile(
    r"^([A-Za-z][A-Za-z ]{0,30}|[\u3040-\u30ff\u3400-\u9fff]{1,8})\s*[:：]\s*(\S)"
)

FIELD_KEYS: dict[str, re.Pattern[str]] = {
    PLACE: re.compile(
        r"(?i)\b(?:location|address|venue|place|city|country|headquarters"
        r"|destination|origin|where)\b|地点|地址|位置|场所|所在地|場所|住所"
    ),
    TIME: re.compile(
        r"(?i)\b(?:date|time|when|year|day|deadline|schedule|hours|opening|founded)\b"
        "|日期|时间|年份|日時|日付|時間"
    ),
    PERSON: re.compile(
        r"(?i)\b(?:name|author|owner|contact|founder|ceo|manager|director|by"
        r"|speaker|organizer|host)\b|姓名|作者|负责人|联系人|著者|担当"
    ),
    QUANTITY: re.compile(
        r"(?i)\b(?:price|cost|fee|amount|total|number|count|population|size|weight"
        r"|height|age|capacity)\b|价格|费用|数量|人数|价钱|価格|料金|人数"
    ),
    DURATION: re.compile(r"(?i)\b(?:duration|length|period|term)\b|时长|期限|期間"),
}

NOT_COUNTED = wordset("last next ago later earlier tomorrow yesterday today tonight")

SELF_CONTAINED_AMOUNT = re.compile(r"[$€£¥₹%]|(?i:\bper\s*cent\b|\bpercent\b)")

MERGE_GAP = re.compile(r"(?i)^[\s,]*(?:(?:on|at|of|in)\s*)?$")

RELATIVE_TO = re.compile(r"(?i)\b(?:before|after|afterwards)$")
"""The end of a relative time counted from an event ("11 weeks before")."""


class Candidate(NamedTuple):
    """A candidate answer span inside a sentence."""

    start: int
    end: int
    prior: float
    label: str = ""


def with_preposition(
    text: str, start: int, pattern: re.Pattern[str] = TIME_PREPOSITION
) -> int:
    """Move ``start`` back over a preposition right before it ("in 1998")."""
    match = pattern.search(text[max(0, start - 12) : start])
    return start - len(match.group()) if match else start


def duration_candidates(sentence: Sentence, question: Question) -> list[Candidate]:
    text = sentence.text
    found: list[Candidate] = []
    for match in DURATION_EN.finditer(text):
        after = text[match.end() : match.end() + 12].lower()
        prior = -0.6 if re.match(r"\s+(?:ago|later|earlier)\b", after) else 0.3
        found.append(
            Candidate(
                with_preposition(text, match.start(), DURATION_PREPOSITION),
                match.end(),
                prior,
            )
        )
    for match in DURATION_CJK.finditer(text):
        value = match.group()
        # "5月3日" is a date and "10時15分" / "8点30分" a time of day
        if CJK_YEAR_LIKE.match(value) or text[max(0, match.start() - 1)] in "月時点":
            continue
        found.append(Candidate(match.start(), match.end(), 0.3))
    return joined_durations(text, found)


DURATION_JOIN = re.compile(r"^\s*(?:,\s*)?and\s+$|^\s*,\s*$")
"""Between the parts of one duration: "two hours and 41 minutes"."""


def joined_durations(text: str, found: list[Candidate]) -> list[Candidate]:
    """Join "two hours" + "and 41 minutes" into one duration."""
    joined: list[Candidate] = []
    for candidate in sorted(found):
        if joined and DURATION_JOIN.match(text[joined[-1].end : candidate.start]):
            last = joined[-1]
            joined[-1] = last._replace(end=candidate.end)
        else:
            joined.append(candidate)
    return joined


def time_candidates(sentence: Sentence, question: Question) -> list[Candidate]:
    text = sentence.text
    found: list[Candidate] = []
    for label, pattern in TIME_EN_PATTERNS:
        for match in pattern.finditer(text):
            start = with_preposition(text, match.start())
            prior = time_prior(label, question)
            if RELATIVE_TO.search(match.group()) and relative_to_question(
                sentence, match.end(), question
            ):
                prior -= 1.2
            found.append(Candidate(start, match.end(), prior, label))
    for label, pattern in TIME_CJK_PATTERNS:
        found.extend(
            Candidate(m.start(), m.end(), time_prior(label, question), label)
            for m in pattern.finditer(text)
        )
    return range_ends(text, merge_adjacent(text, drop_nested(found)), question)


RANGE_START = re.compile(r"(?i)\b(?:from|between)\s*$")
RANGE_END = re.compile(r"(?i)(?:\b(?:to|until|till|and)\s*|[-–—]\s*)$")


def range_ends(
    text: str, candidates: list[Candidate], question: Question
) -> list[Candidate]:
    """In "from 10 a.m. to 5 p.m.", "close" asks for the end, "open" the start."""
    if not question.range_part:
        return candidates
    result = list(candidates)
    for index in range(len(result) - 1):
        first, second = result[index], result[index + 1]
        opening = RANGE_START.search(text[max(0, first.start - 10) : first.start + 5])
        joined = RANGE_END.search(text[first.end : second.start])
        if not (opening or text[first.start : first.end].lower().startswith("from")):
            continue
        if joined is None or len(text[first.end : second.start]) > 8:
            continue
        end = question.range_part == "end"
        result[index] = first._replace(prior=first.prior + (-0.5 if end else 1.0))
        result[index + 1] = second._replace(prior=second.prior + (1.0 if end else -0.5))
    return result


def relative_to_question(sentence: Sentence, offset: int, question: Question) -> bool:
    """Whether "N weeks before/after ..." counts from the very event asked about.

    "Engineers worked for 11 weeks before it reopened" does not say when it
    reopened.
    """
    stems = [t.key for t in question.terms if not t.cjk]
    return any(
        stems_match(word.stem, stem)
        for word in sentence.words_after(offset, 4)
        for stem in stems
    )


def time_prior(label: str, question: Question) -> float:
    base = {"date": 0.4, "year": 0.3, "time": 0.3, "century": 0.3, "day": 0.2}.get(
        label, 0.0
    )
    if question.detail and question.detail == label:
        base += 0.8
    if question.detail == "date" and label in {"year", "day", "month"}:
        base += 0.3
    if question.detail == "year" and label in {"date", "month"}:
        base += 0.3
    return base


def drop_nested(candidates: list[Candidate]) -> list[Candidate]:
    """Keep the longest of overlapping candidates (ties: earliest, best prior)."""
    ordered = sorted(candidates, key=lambda c: (c.start, -(c.end - c.start), -c.prior))
    kept: list[Candidate] = []
    for candidate in ordered:
        if kept and candidate.start < kept[-1].end:
            last = kept[-1]
            if candidate.end > last.end:
                kept[-1] = Candidate(
                    last.start,
                    candidate.end,
                    max(last.prior, candidate.prior),
                    last.label,
                )
            continue
        kept.append(candidate)
    return kept


def merge_adjacent(text: str, candidates: list[Candidate]) -> list[Candidate]:
    merged: list[Candidate] = []
    for candidate in candidates:
        if merged and MERGE_GAP.match(text[merged[-1].end : candidate.start]):
            last = merged[-1]
            merged[-1] = Candidate(
                last.start,
                candidate.end,
                max(last.prior, candidate.prior) + 0.1,
                last.label if last.prior >= candidate.prior else candidate.label,
            )
        else:
            merged.append(candidate)
    return merged


def quantity_candidates(sentence: Sentence, question: Question) -> list[Candidate]:
    text = sentence.text
    found: list[Candidate] = []
    for match in QUANTITY_EN.finditer(text):
        found.extend(english_quantity(text, match, sentence, question))
    for match in QUANTITY_CJK.finditer(text):
        found.append(cjk_quantity(match, question))
    if question.detail == "frequency":
        found.extend(
            Candidate(m.start(), m.end(), 1.5) for m in FREQUENCY_EN.finditer(text)
        )
    return found + bare_cjk_numbers(text, found)


def bare_cjk_numbers(text: str, found: Sequence[Candidate]) -> list[Candidate]:
    """Weak candidates: digits followed by a CJK word ("3000" in "3000名")."""
    starts = {c.start for c in found}
    bare: list[Candidate] = []
    for match in BARE_NUMBER_CJK.finditer(text):
        after = text[match.start() : match.end() + 1]
        if (
            match.start() not in starts
            and has_cjk(after[-1:])
            and not CJK_YEAR_LIKE.match(after)
        ):
            bare.append(Candidate(match.start(), match.end(), -0.5))
    return bare


def english_quantity(
    text: str, match: re.Match[str], sentence: Sentence, question: Question
) -> list[Candidate]:
    value = match.group().strip()
    if not value or value.lower() in {"a", "an"} or is_year_number(text, match):
        return []
    if DAY_OF_MONTH.match(text, match.end()) or MONTH_BEFORE.search(
        text, 0, match.start()
    ):
        return []  # "14 March", "March 14": a date, not an amount
    end, noun_match = match.end(), False
    if not SELF_CONTAINED_AMOUNT.search(value):
        end, noun_match = quantity_noun_end(sentence, match.end(), question)
    prior = amount_prior(text[match.start() : end], question)
    prior += unit_prior(text[match.start() : end + 12], question)
    if question.detail == "age":
        aged = AGE_SPAN.search(text[match.end() : match.end() + 12])
        prior += 0.6 if aged else 0.0
        end = age_end(text, match.end(), end)
    if noun_match:
        prior += 1.5
    elif question.units:
        prior -= 0.4
    if not any(ch.isdigit() for ch in value):
        prior -= 0.2
    return [Candidate(match.start(), end, prior)]


def unit_prior(span: str, question: Question) -> float:
    """Prefer the unit a measure question asks for ("how heavy": grams)."""
    wanted = UNIT_CLASSES.get(question.detail)
    if wanted is None:
        return 0.0
    if wanted.search(span):
        return 1.0
    if any(units.search(span) for units in UNIT_CLASSES.values()):
        return -0.5
    return -0.2


def amount_prior(span: str, question: Question) -> float:
    """Prefer money for "how much does it cost", percentages for "by how much"."""
    prior = 0.0
    if CURRENCY.search(span):
        prior += 1.2 if question.detail == "cost" else 0.2
    elif question.detail == "cost":
        prior -= 0.6
    if "%" in span or "percent" in span.lower() or "per cent" in span.lower():
        prior += 0.8 if question.detail == "percent" else 0.0
    return prior


def age_end(text: str, number_end: int, default: int) -> int:
    match = re.match(
        r"(?i)[\s-]+years?(?:[\s-]+old)?\b", text[number_end : number_end + 16]
    )
    return number_end + match.end() if match else default


def is_year_number(text: str, match: re.Match[str]) -> bool:
    value = match.group().strip()
    if not re.fullmatch(r"(?:1\d{3}|20\d{2})", value):
        return False
    after = text[match.end() : match.end() + 12]
    return not re.match(r"\s+[a-z]", after) or bool(
        re.match(
            r"\s+(?:and|to|when|as|by|in|on|at|for|from|with|after|before)\b", after
        )
    )


def quantity_noun_end(
    sentence: Sentence, number_end: int, question: Question
) -> tuple[int, bool]:
    """Extend a number over the noun it counts; report a "how many" unit match."""
    nouns = counted_words(sentence, number_end)
    matched = [
        word
        for word in nouns
        if any(stems_match(word.stem, unit) for unit in question.units)
    ]
    if matched:
        return matched[-1].end, True
    if not nouns:
        return number_end, False
    if len(nouns) > 1 and nouns[0].text.lower() in UNIT_MODIFIERS:
        return nouns[1].end, False
    return nouns[0].end, False


def counted_words(sentence: Sentence, number_end: int) -> list[Word]:
    """Return the (up to three) content words right after a number."""
    nouns: list[Word] = []
    previous_end = number_end
    for word in sentence.words_after(number_end, 3):
        lower = word.text.lower()
        gap = sentence.text[previous_end : word.start]
        if gap.strip() or lower in STOPWORDS or lower in NOT_COUNTED:
            break
        if lower[0].isdigit():
            break
        nouns.append(word)
        previous_end = word.end
    return nouns


def cjk_quantity(match: re.Match[str], question: Question) -> Candidate:
    value = match.group()
    prior = 0.2
    if CURRENCY.search(value):
        prior += 1.2 if question.detail == "cost" else 0.0
    elif question.detail == "cost":
        prior -= 0.6
    if question.units and value[-1] in question.units:
        prior += 1.5
    if question.detail == "age" and value[-1] in "岁歳":
        prior += 0.6
    return Candidate(match.start(), match.end(), prior)


def field_candidates(
    sentence: Sentence, question: Question, kind: str
) -> list[Candidate]:
    """Answer from "Key: value" lines ("Location: 12 Main Street")."""
    match = FIELD.match(sentence.text)
    keys = FIELD_KEYS.get(kind)
    if match is None or keys is None:
        return []
    key = match.group(1)
    key_stems = {w.stem for w in split_words(key)}
    named = any(stems_match(stem, t.key) for stem in key_stems for t in question.terms)
    if not (keys.search(key) or named):
        return []
    end = len(sentence.text.rstrip(" .。"))
    return [Candidate(match.start(2), end, 1.2)]


def reason_candidates(sentence: Sentence, question: Question) -> list[Candidate]:
    text = sentence.text
    for match in REASON_EN.finditer(text):
        if match.group().lower() == "since" and re.match(
            r"\s+(?:\d|" + MONTHS + r"|then|last|the\s+\d)", text[match.end() :]
        ):
            continue
        end = clause_end(text, match.start())
        return [Candidate(match.start(), end, 1.0)]
    for match in REASON_CJK.finditer(text):
        return [Candidate(match.start(), clause_end(text, match.start()), 1.0)]
    for match in REASON_JA.finditer(text):
        start = max(
            text.rfind("、", 0, match.start()), text.rfind("，", 0, match.start())
        )
        return [Candidate(start + 1, match.end(), 1.0)]
    for match in PURPOSE_EN.finditer(text):
        start = match.start(1) if match.group(1) else match.start(2)
        return [Candidate(start, len(text.rstrip(" .。!！?？")), 0.6)]
    return []


def clause_end(text: str, start: int) -> int:
    body = text.rstrip(" .。!！?？")
    if start < 3:
        for comma in (",", "，", "、"):
            index = body.find(comma, start)
            if index > 0:
                return index
    return len(body)
