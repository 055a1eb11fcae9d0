"""How the reader plays each step of LangChain's multi-step QA chains.

A step sees one chunk of a long document, or the answers of earlier steps, so
the reader says how sure it is by the form of its answer: a bare span ("for
11 weeks") from a sentence that covers the question fully, the sentence itself
(verbatim, as the map prompt asks) from one that covers it partly, and "I
don't know" otherwise. The combine step prefers bare answers and reads the
sentences; a refine step keeps a bare answer and rereads a sentence answer
together with its new chunk.
"""

from __future__ import annotations

import re

from langchain_sagemaker.local.models._reader_chain_prompts import (
    COMBINE,
    INITIAL,
    MAP,
    REFINE,
    RERANK,
    ChainPrompt,
    parse_chain_prompt,
)
from langchain_sagemaker.local.models._reader_prompt import FENCE, context_sentences
from langchain_sagemaker.local.models._reader_question import (
    MAX_QUESTION_CHARS,
    Question,
    analyze,
)
from langchain_sagemaker.local.models._reader_scoring import term_hits
from langchain_sagemaker.local.models._reader_select import (
    Selection,
    fallback,
    finish,
    select,
)
from langchain_sagemaker.local.models._reader_text import Sentence, has_cjk, split_words

PARTIAL_COVERAGE = 0.5
"""A chain step sees one chunk of a long document, so it answers only from a
sentence covering at least this share of the question (see ``SentenceMatch``):
a chunk that merely mentions a question word gives "I don't know"."""

TYPED_COVERAGE = 0.2
"""The same, for a sentence holding a span of the question's type."""

COMPLETE_COVERAGE = 0.9
"""A chain step answers with a bare span ("for 11 weeks") only from a sentence
covering this share of the question; from a sentence covering less, it answers
with the sentence itself, which carries its evidence to the next step (the
combine step and the next refine step can weigh it)."""

COMPLETE_SPREAD = 6.0
"""...and with the question's words in that sentence at most this many words
from the span ("Tickets cost 12 pounds, and visitors see the old telescope"
does not say what the telescope cost)."""

NON_ANSWER = re.compile(
    r"(?i)^[\W_]*(?:i\s+(?:do\s+not|don'?t|dont|cannot|can'?t)\s+(?:know|say|tell)\b"
    r"|(?:i'?m\s+)?not\s+sure\b|unknown|none|n/?a|nothing|no(?:ne)?\s+found"
    r"|not\s+(?:relevant|applicable|mentioned|found|provided|available)\b"
    r"|irrelevant|no\s+(?:relevant|answer|information|text|content)\b"
    r"|(?:there\s+is|there's)\s+no\b"
    r"|the\s+(?:text|context|document|passage|portion|extract)s?\s+(?:does|do|did)"
    r"\s+not\b)"
    r"|^[\W_]*(?:我?不知道|不清楚|无法回答|無法回答|无关|無關|无相关|無相關|没有相关"
    r"|沒有相關|未提及|无|無|わかりません|分かりません|わからない|分からない|不明"
    r"|該当なし|なし|関連する(?:テキスト|情報)?は?ありません)"
)
"""An "I don't know"-like answer, in English, Chinese or Japanese."""

FRAGMENT_WORDS = 6
FRAGMENT_SHARE = 0.6
FRAGMENT_CJK_CHARS = 15


def is_non_answer(text: str) -> bool:
    """Whether ``text`` says there is no answer (or says nothing)."""
    stripped = text.strip()
    return not stripped.strip(" \t\n.。,，!！?？") or bool(NON_ANSWER.match(stripped))


def is_fragment(text: str, question: Question) -> bool:
    """Whether ``text`` is a bare answer ("for 11 weeks"), not a sentence.

    A chain step answers with a bare span only from strong evidence (see
    ``COMPLETE_COVERAGE``) and with the sentence otherwise, which shares words
    with the question. A bare answer is mostly a span of the question's type
    with none of the question's words around it, or short and without them (a
    name the reader cannot type out of context, "王建国").
    """
    core = text.strip(" \t\n.。")
    picked = select(question, context_sentences(core), lenient=True)
    if picked is None:
        return True
    if picked.primary and len(picked.text) >= FRAGMENT_SHARE * len(core):
        rest = core.replace(picked.text, " ", 1)
        if not mentions(rest, question):
            return True
    if has_cjk(core):
        short = len(core) <= FRAGMENT_CJK_CHARS
    else:
        short = len(split_words(core)) <= FRAGMENT_WORDS
    return short and picked.coverage < TYPED_COVERAGE


def mentions(text: str, question: Question) -> bool:
    """Whether ``text`` holds a question word (or a CJK bigram of it)."""
    sentence = Sentence(text, 0, split_words(text))
    return any(term.weight >= 1.0 for term in term_hits(question, sentence))


def respond(prompt: str) -> str:
    """The reader's reply to any prompt (see ``reader.answer``)."""
    parsed = parse_chain_prompt(prompt)
    if parsed is None:
        return fallback(prompt)
    question = analyze(parsed.question[:MAX_QUESTION_CHARS])
    if parsed.step == COMBINE:
        return _wording(_combined(question, parsed.context), question)
    if parsed.step == REFINE:
        return _wording(_refined(question, parsed), question)
    if parsed.step in {MAP, INITIAL}:
        return _wording(_chunk_answer(question, parsed.context), question)
    if parsed.step == RERANK:
        return _reranked(question, parsed.context)
    picked = select(question, context_sentences(parsed.context))
    return _wording(picked.text if picked else "", question)


def _wording(text: str, question: Question) -> str:
    text = text.strip()
    return finish(text, question) if text else fallback(question.text)


def _supported(question: Question, context: str) -> tuple[Selection, float] | None:
    """The reader's pick from one chunk and its coverage, if enough for a step."""
    picked = select(question, context_sentences(context))
    if picked is None:
        return None
    coverage = picked.coverage if question.terms else 1.0
    least = TYPED_COVERAGE if picked.primary else PARTIAL_COVERAGE
    return (picked, coverage) if coverage >= least else None


def _chunk_answer(question: Question, context: str) -> str:
    """What one chunk says: a bare span, a sentence, or nothing ("")."""
    found = _supported(question, context)
    if found is None:
        return ""
    picked, coverage = found
    if (
        picked.primary
        and coverage >= COMPLETE_COVERAGE
        and picked.spread <= COMPLETE_SPREAD
    ):
        return picked.text
    return picked.sentence


def _reranked(question: Question, context: str) -> str:
    """map_rerank: the answer, then "Score: N" (how fully it answers, 0-100)."""
    found = _supported(question, context)
    if found is None:
        return f"{fallback(question.text)}\nScore: 0"
    picked, coverage = found
    return f"{_wording(picked.text, question)}\nScore: {max(1, round(100 * coverage))}"


def _combined(question: Question, extracts: str) -> str:
    """combine: the map step's best extract, ignoring "I don't know" ones.

    A bare answer ("for 11 weeks", from strong evidence) wins over sentences
    (from partial evidence), the first one of the question's type if any;
    from sentences, the reader picks as from any context.
    """
    blocks = re.split(r"\n[ \t]*\n", FENCE.sub("", extracts))
    answers = [
        "\n".join(line for line in block.split("\n") if not is_non_answer(line))
        for block in blocks
    ]
    answers = [a for a in answers if a.strip()]
    fragments = [a for a in answers if is_fragment(a, question)]
    for fragment in fragments:
        picked = select(question, context_sentences(fragment), lenient=True)
        if picked is not None and picked.primary:
            return fragment
    if fragments:
        return fragments[0]
    picked = select(question, context_sentences("\n\n".join(answers)), lenient=True)
    return picked.text if picked else ""


def _refined(question: Question, parsed: ChainPrompt) -> str:
    """refine: keep a bare answer; weigh a sentence answer against the context.

    A bare answer came from strong evidence and stays. A sentence answer is
    evidence itself: the reader reads it together with the new context.
    """
    existing = "" if is_non_answer(parsed.existing) else parsed.existing.strip()
    if existing and is_fragment(existing, question):
        return existing
    context = f"{existing}\n\n{parsed.context}" if existing else parsed.context
    return _chunk_answer(question, context) or existing
