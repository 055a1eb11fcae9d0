"""Answer selection for the reader: the best span or sentence, and its wording."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langchain_sagemaker.local.models._reader_names import (
    person_candidates,
    place_candidates,
)
from langchain_sagemaker.local.models._reader_patterns import (
    CONSEQUENCE_START,
    CURRENCY,
    EXPLANATION_START,
    UNAMBIGUOUS_REASON_JA,
)
from langchain_sagemaker.local.models._reader_question import (
    DURATION,
    PERSON,
    PLACE,
    QUANTITY,
    REASON,
    TIME,
    Question,
)
from langchain_sagemaker.local.models._reader_scoring import (
    SentenceMatch,
    score_sentences,
    term_hits,
)
from langchain_sagemaker.local.models._reader_spans import (
    CLAUSE_WORDS,
    NUMBER_WORD,
    Candidate,
    duration_candidates,
    field_candidates,
    quantity_candidates,
    reason_candidates,
    time_candidates,
)
from langchain_sagemaker.local.models._reader_text import (
    STOPWORDS,
    Sentence,
    Word,
    has_cjk,
    has_kana,
    split_words,
    stems_match,
)

EXTRACTORS: dict[str, Callable[[Sentence, Question], list[Candidate]]] = {
    DURATION: duration_candidates,
    TIME: time_candidates,
    PLACE: place_candidates,
    PERSON: person_candidates,
    QUANTITY: quantity_candidates,
    REASON: reason_candidates,
}
"""The candidate spans of each question type."""
FALLBACK_KINDS: dict[str, tuple[str, ...]] = {
    DURATION: (DURATION, QUANTITY),
    TIME: (TIME,),
    PLACE: (PLACE,),
    PERSON: (PERSON,),
    QUANTITY: (QUANTITY,),
    REASON: (REASON,),
}
"""The span types that may answer each question type, best first."""


CLAUSE_BREAK = re.compile(
    r"[;；]|,\s*(?:and|but|whereas)\b|,\s*(?:while|whilst)\b(?!\s+\w+ing\b)"
    r"|\s(?:and|but)\s+(?:then\s+|later\s+)?(?=[a-z]+ed\b)|，而|、而"
)
"""Where one clause ends and another begins: a span across it answers less.
("..., while a battery costs €79" is one; "..., while living in Lisbon" is not.)"""


def proximity(
    candidate: Candidate, match: SentenceMatch, cjk: bool, text: str = ""
) -> float:
    """How close ``candidate`` is to the question's words (1 when touching).

    Crossing a clause break counts as four more words: in "the scooter costs
    $649, and a spare battery is sold for $129", "$649" is near "battery" only
    across the break.
    """
    if not match.spans:
        return 0.0
    unit = 1.5 if cjk else 6.0
    distance = min(
        max(0, start - candidate.end, candidate.start - end) / unit
        + (
            4.0
            if text and CLAUSE_BREAK.search(gap_between(text, candidate, start, end))
            else 0.0
        )
        for start, end in match.spans
    )
    return 1.0 / (1.0 + distance / 3.0)


def clause_shares(sentence: Sentence, question: Question) -> list[tuple[int, float]]:
    """Each clause's end and how much less of the question it holds (<= 0).

    Empty for a one-clause sentence. In "a second battery is €79, and a
    carrying case costs €35", "€79"'s clause keeps "second battery" and
    "€35"'s only "costs". Clauses break at ";", ", and", ", but", ", while"
    (not "while living") and before a second predicate ("born in 1931 and
    moved to ...").
    """
    text = sentence.text
    breaks = [m.start() for m in CLAUSE_BREAK.finditer(text)]
    total = sum(t.weight for t in question.terms)
    if not breaks or not total:
        return []
    # Names say whom the sentence is about, which its clauses share ("Osei was
    # born in 1931 and moved to Lisbon in 1946"); the other words say which
    # fact is asked for.
    found = {
        t: hit for t, hit in term_hits(question, sentence).items() if t.weight < 1.5
    }
    whole = sum(strength * term.weight for term, (strength, _) in found.items())
    bounds = [0, *breaks, len(text)]
    return [
        (
            high,
            sum(
                strength * term.weight
                for term, (strength, spans) in found.items()
                if any(low <= start < high for start, _ in spans)
            )
            / total
            - whole / total,
        )
        for low, high in itertools.pairwise(bounds)
    ]


def clause_support(candidate: Candidate, shares: Sequence[tuple[int, float]]) -> float:
    """The share (see ``clause_shares``) of the clause ``candidate`` starts in."""
    return next((share for high, share in shares if candidate.start < high), 0.0)


def gap_between(text: str, candidate: Candidate, start: int, end: int) -> str:
    """The text between a candidate and a matched span, whichever comes first."""
    if end <= candidate.start:
        return text[end : candidate.start]
    # a candidate may end on the comma that closes its clause ("$649,")
    value = text[candidate.start : candidate.end]
    stop = candidate.start + len(value.rstrip(" ,，、"))
    return text[stop:start] if start >= candidate.end else ""


def attachment(candidate: Candidate, sentence: Sentence, question: Question) -> float:
    """Score the words right around a candidate ("12 euros *for children*")."""
    stems = [t.key for t in question.terms if not t.cjk]
    if not stems:
        return 0.0
    after = nearest_content(sentence, candidate.end, forward=True)
    before = nearest_content(
        sentence, candidate.start, forward=False, apposition=question.kind == PERSON
    )
    score = 0.0
    if after is not None:
        word, via_preposition = after
        if any(stems_match(word.stem, stem) for stem in stems):
            score += 0.8
        elif via_preposition:
            score -= 0.3
    if before is not None and any(stems_match(before[0].stem, stem) for stem in stems):
        # "Who coaches ...?": the name right after its role ("Coach Dana Okafor",
        # "chief executive, Priya Raman") is the answer; not across "at"
        role = question.kind == PERSON and not before[1]
        score += 1.2 if role else 0.4
    return score


def nearest_content(
    sentence: Sentence, offset: int, *, forward: bool, apposition: bool = False
) -> tuple[Word, bool] | None:
    """Return the closest content word in the same clause.

    The flag tells whether function words ("for", "the") came in between.
    With ``apposition``, a comma right before the offset is no barrier (a
    person's role: "chief executive, Priya Raman").
    """
    if forward:
        words = sentence.words_after(offset, 3)
    else:
        words = sentence.words_before(offset, 2)
    edge = offset
    crossed = False
    for word in words:
        gap = (
            sentence.text[edge : word.start]
            if forward
            else sentence.text[word.end : edge]
        )
        comma = apposition and edge == offset and gap.strip() in {",", "，"}
        if (gap.strip() and not comma) or NUMBER_WORD.fullmatch(word.text.lower()):
            return None
        lower = word.text.lower()
        if lower in CLAUSE_WORDS or (forward and lower == "to"):
            return None
        if lower not in STOPWORDS:
            return word, crossed
        crossed = True
        edge = word.end if forward else word.start
    return None


def overlaps_question(text: str, question: Question) -> bool:
    """Whether a span only repeats the question ("Gliese 4071" is not a distance)."""
    lowered = question.text.lower()
    value = text.strip(" ,.;:，、").lower()
    if value in lowered:
        return True
    numbers = re.findall(r"\d[\d,.]*\d|\d", value)
    if numbers and all(
        re.search(rf"(?<![\d.,]){re.escape(n)}(?![\d])", lowered) for n in numbers
    ):
        return True
    words = [w for w in split_words(text) if w.text.lower() not in STOPWORDS]
    question_stems = {t.key for t in question.terms if not t.cjk}
    return bool(words) and all(w.stem in question_stems for w in words)


def shares_a_name(text: str, names: set[str]) -> bool:
    """Whether a span holds one of the question's ``names`` (their stems)."""
    return any(w.stem in names for w in split_words(text) if w.text[:1].isupper())


def best_candidate(
    kind: str,
    sentences: Sequence[Sentence],
    matches: Sequence[SentenceMatch],
    question: Question,
    *,
    lenient: bool = False,
    only: Callable[[str], bool] | None = None,
) -> tuple[int, Candidate] | None:
    """Return the best-scoring ``kind`` span over all sentences, if any.

    Only sentences that share words with the question count, unless
    ``lenient`` (the context is already a list of answers); only spans whose
    text passes ``only``, if given.
    """
    best: tuple[float, int, Candidate] | None = None
    names = {t.key for t in question.terms if t.weight >= 1.5 and not t.cjk}
    for index, (sentence, match) in enumerate(zip(sentences, matches, strict=True)):
        previous = previous_score(sentences, matches, index)
        base = match.score + 0.3 * previous
        if kind == PERSON:
            base += ANTECEDENT_SHARE * antecedent_score(sentences, matches, index)
        if base <= 0 and question.terms and not lenient:
            continue
        candidates = EXTRACTORS[kind](sentence, question)
        candidates += field_candidates(sentence, question, kind)
        shares = clause_shares(sentence, question) if candidates else []
        for candidate in candidates:
            value = sentence.text[candidate.start : candidate.end]
            if only is not None and not only(value):
                continue
            score = (
                base
                + candidate.prior
                + proximity(candidate, match, question.cjk, sentence.text)
                + attachment(candidate, sentence, question)
                + clause_support(candidate, shares)
            )
            if overlaps_question(value, question):
                score -= 3.0
            elif kind == PERSON and shares_a_name(value, names):
                score -= 1.5  # "Whom did Ferraro defeat?": not "Lucia Ferraro"
            if best is None or score > best[0] + 1e-9:
                best = (score, index, candidate)
    return None if best is None else (best[1], best[2])


PERSON_PRONOUN = re.compile(r"(?i)\b(?:he|she|him|they|them)\b|彼女|彼|他|她")
ANTECEDENT_SHARE = 0.8
"""How much a "who" answer's sentence gains from the next sentence's score when
that sentence speaks of the person by a pronoun ("Striker Amir Haddad scored
twice. He was later named player of the match.")."""


def antecedent_score(
    sentences: Sequence[Sentence], matches: Sequence[SentenceMatch], index: int
) -> float:
    """The next sentence's score if it refers to a person by a pronoun only."""
    if index + 1 >= len(sentences):
        return 0.0
    following = sentences[index + 1]
    if not PERSON_PRONOUN.search(following.text):
        return 0.0
    return matches[index + 1].score


def previous_score(
    sentences: Sequence[Sentence], matches: Sequence[SentenceMatch], index: int
) -> float:
    if index == 0 or sentences[index - 1].paragraph != sentences[index].paragraph:
        return 0.0
    return matches[index - 1].score


def reason_answer(
    sentences: Sequence[Sentence], matches: Sequence[SentenceMatch], best: int
) -> str:
    sentence = sentences[best]
    paragraph = sentence.paragraph
    if (
        CONSEQUENCE_START.search(sentence.text)
        and best > 0
        and sentences[best - 1].paragraph == paragraph
    ):
        return sentences[best - 1].text
    if (
        best + 1 < len(sentences)
        and sentences[best + 1].paragraph == paragraph
        and EXPLANATION_START.search(sentences[best + 1].text)
    ):
        return sentences[best + 1].text
    return sentence.text


@dataclass(frozen=True)
class Selection:
    """The reader's pick from a context.

    Attributes:
        text: The answer: a span of the question's type, or a sentence.
        sentence: The sentence that supports ``text``.
        coverage: How fully the supporting sentence covers the question (0-1).
        kind: The span's type; empty when ``text`` is a whole sentence.
        primary: Whether ``kind`` is the question's own type (a duration for
            "how long"), not a fallback (an amount for "how long").
        spread: How far (in words) the farthest question word of the sentence
            is from the span: a span amid the question's words answers it.
    """

    text: str
    sentence: str
    coverage: float
    kind: str = ""
    primary: bool = False
    spread: float = 0.0


def span_answer(
    question: Question,
    sentences: Sequence[Sentence],
    matches: Sequence[SentenceMatch],
    best: int,
    *,
    lenient: bool = False,
) -> tuple[int, Candidate, str] | None:
    """Return the best span to answer with: sentence index, candidate and type."""
    for kind in FALLBACK_KINDS.get(question.kind, ()):
        found = None
        if kind == QUANTITY and question.detail == "cost":
            # a price is money: any amount of money beats "14.5 kilograms"
            found = best_candidate(
                kind, sentences, matches, question, lenient=lenient, only=is_money
            )
        found = found or best_candidate(
            kind, sentences, matches, question, lenient=lenient
        )
        if found is not None:
            index, candidate = found
            if kind == REASON and matches[index].score < 0.5 * matches[best].score:
                continue
            text = sentences[index].text
            if text[candidate.start : candidate.end].strip(" ,，、"):
                return index, candidate, kind
    return None


def is_money(value: str) -> bool:
    """Whether a span is an amount of money ("$649", "12 euros", "8元")."""
    return bool(CURRENCY.search(value))


def spread(candidate: Candidate, sentence: Sentence, question: Question) -> float:
    """How many words lie between ``candidate`` and the farthest question word."""
    farthest = 0.0
    for _, spans in term_hits(question, sentence).values():
        gaps = [
            (s, candidate.start) if e <= candidate.start else (candidate.end, s)
            for s, e in spans
        ]
        farthest = max(farthest, min(words_between(sentence, *gap) for gap in gaps))
    return farthest


def words_between(sentence: Sentence, start: int, end: int) -> float:
    """The number of words in ``sentence.text[start:end]`` (CJK: characters / 2.5)."""
    if end <= start:
        return 0.0
    if has_cjk(sentence.text[start:end]):
        return (end - start) / 2.5
    return float(sum(1 for w in sentence.words if w.start >= start and w.end <= end))


def select(
    question: Question, sentences: Sequence[Sentence], *, lenient: bool = False
) -> Selection | None:
    """Pick the answer to ``question`` from ``sentences``, if they support one.

    Args:
        question: The analysed question.
        sentences: The context sentences.
        lenient: Whether sentences sharing no word with the question may answer
            (for contexts that are already answers, such as map_reduce extracts).
    """
    if not sentences:
        return None
    matches = score_sentences(question, sentences)
    best = max(range(len(sentences)), key=lambda i: (matches[i].score, -i))
    if matches[best].score <= 0 and question.terms and not lenient:
        return None
    found = span_answer(question, sentences, matches, best, lenient=lenient)
    if found is not None:
        index, candidate, kind = found
        sentence = sentences[index]
        return span_selection(
            sentence,
            candidate,
            matches[index].coverage,
            kind,
            primary=kind == question.kind,
            spread=spread(candidate, sentence, question),
        )
    if question.kind == REASON:
        near = nearby_reason(sentences, best, question)
        if near is not None:
            index, candidate = near
            return span_selection(
                sentences[index], candidate, matches[best].coverage, REASON
            )
        text = reason_answer(sentences, matches, best)
    else:
        text = sentences[best].text
    return Selection(text, text, matches[best].coverage)


def span_selection(
    sentence: Sentence,
    candidate: Candidate,
    coverage: float,
    kind: str,
    *,
    primary: bool = False,
    spread: float = 0.0,
) -> Selection:
    """The answer made of one candidate span of ``sentence``."""
    return Selection(
        sentence.text[candidate.start : candidate.end].strip(" ,，、"),
        sentence.text,
        coverage,
        kind,
        primary=primary,
        spread=spread,
    )


def nearby_reason(
    sentences: Sequence[Sentence], best: int, question: Question
) -> tuple[int, Candidate] | None:
    """A "because ..." in the next few sentences after the best match.

    "The repairs cost $2.4 million ... She said the work had overrun because of
    a shortage of steel beams": the story goes on, in words the question does
    not use, to give its reason.
    """
    for index in range(best + 1, min(len(sentences), best + 4)):
        text = sentences[index].text
        if has_kana(text) and not UNAMBIGUOUS_REASON_JA.search(text):
            continue  # "12番線から" is "from", not "because"
        found = reason_candidates(sentences[index], question)
        if found:
            return index, found[0]
    return None


def fallback(question: str) -> str:
    if has_kana(question):
        return "わかりません。"
    if has_cjk(question):
        return "我不知道。"
    return " I don't know."


def finish(span: str, question: Question) -> str:
    """Punctuate a non-empty answer; English answers get a leading space."""
    if has_cjk(span[-1:]) or (question.cjk and has_cjk(span)):
        return span if span[-1] in "。！？」』" else span + "。"
    if span[-1] not in ".!?\"'”’)":
        span += "."
    return " " + span
