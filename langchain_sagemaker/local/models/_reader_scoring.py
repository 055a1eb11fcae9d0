"""Sentence scoring for the reader: how well each context sentence fits the question."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_sagemaker.local.models._reader_question import Question, Term
from langchain_sagemaker.local.models._reader_text import (
    STOPWORDS,
    Sentence,
    stems_match,
)

PRONOUN = re.compile(
    r"(?i)\b(?:he|she|they|him|her|his|hers|their|them|it|its)\b|他|她|它|彼"
)


SUBJECT_PRONOUN = re.compile(
    r"(?i:(?:it|he|she|they|this|these)\b)|(?:他|她|它|其|该|該)|(?:彼女|彼|それ)[はがも]"
)
"""A sentence opening that stands for the previous sentence's subject."""
SUBJECT_SHARE = 0.4
"""How much the previous sentence's question words count for such a sentence."""


@dataclass(frozen=True)
class SentenceMatch:
    """How a sentence matches the question."""

    score: float
    spans: tuple[tuple[int, int], ...]
    coverage: float = 0.0
    """The share of the question's term weight found in the sentence (0 to 1),
    counting names a pronoun refers to and, at a discount, terms of the
    previous sentence of the paragraph: how fully it answers, whatever else
    the context holds."""


def term_spans(term: Term, sentence: Sentence) -> tuple[float, list[tuple[int, int]]]:
    """Return the match strength of ``term`` in ``sentence`` and where it is."""
    if term.cjk:
        spans: list[tuple[int, int]] = []
        index = sentence.text.find(term.key)
        while index >= 0 and len(spans) < 8:
            spans.append((index, index + len(term.key)))
            index = sentence.text.find(term.key, index + 1)
        return (1.0 if spans else 0.0), spans
    best = 0.0
    spans = []
    for word in sentence.words:
        strength = stems_match(term.key, word.stem)
        if strength:
            best = max(best, strength)
            spans.append((word.start, word.end))
    return best, spans


Hits = dict[Term, tuple[float, list[tuple[int, int]]]]


def term_hits(question: Question, sentence: Sentence) -> Hits:
    """Return the question terms found in ``sentence``, with strength and spans."""
    found: Hits = {}
    for term in question.terms:
        strength, spans = term_spans(term, sentence)
        if strength:
            found[term] = (strength, spans)
    return found


def term_idf(terms: Sequence[Term], hits: Sequence[Hits]) -> dict[Term, float]:
    total = len(hits)
    return {
        term: 1.0 + math.log((total + 1) / (sum(term in h for h in hits) + 0.5))
        for term in terms
    }


def match_sentence(
    sentence: Sentence, question: Question, hits: Hits, idf: dict[Term, float]
) -> SentenceMatch:
    score = phrase_bonus(sentence, question)
    spans: list[tuple[int, int]] = []
    for term, (strength, found) in hits.items():
        score += strength * term.weight * idf[term]
        spans.extend(found)
    return SentenceMatch(score, tuple(spans))


def score_sentences(
    question: Question, sentences: Sequence[Sentence]
) -> list[SentenceMatch]:
    """Score every sentence against the question (with pronoun resolution)."""
    hits = [term_hits(question, sentence) for sentence in sentences]
    idf = term_idf(question.terms, hits)
    matches = [
        match_sentence(sentence, question, found, idf)
        for sentence, found in zip(sentences, hits, strict=True)
    ]
    matches = with_coreference(sentences, matches, hits, idf)
    return with_coverage(question, sentences, matches, hits)


PREVIOUS_SENTENCE_SHARE = 0.5
"""How much a term found only in the previous sentence counts for coverage."""
UNRESOLVED_PRONOUN_SHARE = 0.6
"""How much a question name counts for a pronoun with no name before it."""


def with_coverage(
    question: Question,
    sentences: Sequence[Sentence],
    matches: Sequence[SentenceMatch],
    hits: Sequence[Hits],
) -> list[SentenceMatch]:
    """Fill in each match's ``coverage`` (see ``SentenceMatch``)."""
    total = sum(term.weight for term in question.terms)
    if not total:
        return list(matches)
    result: list[SentenceMatch] = []
    carried: list[Term] = []
    for index, (sentence, match) in enumerate(zip(sentences, matches, strict=True)):
        same_paragraph = (
            index > 0 and sentence.paragraph == sentences[index - 1].paragraph
        )
        previous = hits[index - 1] if same_paragraph else {}
        if not same_paragraph:
            carried = []
        own = hits[index]
        referred: dict[Term, float] = {}
        if own and PRONOUN.search(sentence.text):
            # "she" is whom the paragraph last named; opening a paragraph
            # (where a chunk may start), maybe whom the question names.
            if carried:
                referred = {t: 0.8 for t in carried if t not in own}
            elif not same_paragraph:
                referred = {
                    t: UNRESOLVED_PRONOUN_SHARE
                    for t in question.terms
                    if t.weight >= 1.5 and t not in own
                }
        covered = 0.0
        for term in question.terms:
            if term in own:
                covered += own[term][0] * term.weight
            elif term in referred:
                covered += referred[term] * term.weight
            elif term in previous:
                covered += PREVIOUS_SENTENCE_SHARE * previous[term][0] * term.weight
        names = [t for t in own if t.weight >= 1.5]
        if names:
            carried = names
        result.append(
            SentenceMatch(match.score, match.spans, min(1.0, covered / total))
        )
    return result


def with_coreference(
    sentences: Sequence[Sentence],
    matches: Sequence[SentenceMatch],
    hits: Sequence[Hits],
    idf: dict[Term, float],
) -> list[SentenceMatch]:
    """Credit "she"/"他" with the question names the paragraph last mentioned.

    A sentence that opens with a subject pronoun ("It was designed by ...",
    "彼女は ...") continues the previous sentence's subject: it is also
    credited, at a discount, with the other question words of that sentence
    (the lock system, not only names).
    """
    result = list(matches)
    carried: list[Term] = []
    for index, sentence in enumerate(sentences):
        # A paragraph that opens with "She ..." continues the one before: a
        # document split into one chunk per sentence is still one story.
        continues = index > 0 and (
            sentence.paragraph == sentences[index - 1].paragraph
            or bool(SUBJECT_PRONOUN.match(sentence.text))
        )
        if not continues:
            carried = []
        present = [t for t in hits[index] if t.weight >= 1.5]
        missing = [t for t in carried if t not in present]
        bonus = 0.0
        if missing and result[index].score > 0 and PRONOUN.search(sentence.text):
            bonus = sum(0.8 * t.weight * idf[t] for t in missing)
        if continues and SUBJECT_PRONOUN.match(sentence.text):
            bonus += sum(
                SUBJECT_SHARE * strength * t.weight * idf[t]
                for t, (strength, _) in hits[index - 1].items()
                if t not in hits[index] and t not in missing
            )
        if bonus:
            result[index] = SentenceMatch(
                result[index].score + bonus, result[index].spans
            )
        if present:
            carried = present
    return result


def phrase_bonus(sentence: Sentence, question: Question) -> float:
    """Reward consecutive question words that also appear consecutively."""
    terms = [t for t in question.terms if not t.cjk]
    if len(terms) < 2:
        return 0.0
    stems = [w.stem for w in sentence.words if w.text.lower() not in STOPWORDS]
    pairs = set(itertools.pairwise(stems))
    return 0.5 * sum(
        1
        for first, second in itertools.pairwise(terms)
        if (first.key, second.key) in pairs and min(first.weight, second.weight) < 1.5
    )
