"""Recognising the prompts of LangChain's multi-step QA chains.

map_reduce asks every chunk for its relevant text (map), then combines the
extracts into one answer (combine); refine answers from the first chunk and
then revises that answer with each next chunk; map_rerank asks for an answer
and a score. Each step sends its own prompt shape; this module recognises them
(by their wording, whatever the case or extra instructions) and takes them
apart into the question, the context and, for refine, the answer so far. Any
other prompt is a plain QA prompt (stuff).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from langchain_sagemaker.local.models._reader_prompt import (
    ANSWER_CUE,
    FENCE,
    QUESTION_MARKER,
    split_prompt,
)

PLAIN, MAP, COMBINE, INITIAL, REFINE, RERANK = (
    "plain",
    "map",
    "combine",
    "initial",
    "refine",
    "rerank",
)

_COMBINE_SIGNS = re.compile(
    r"(?i)\bfinal\s+answer\s*[:：]\s*$|\bextracted\s+parts\s+of\s+a\s+(?:long\s+)?"
    r"document"
)
_MAP_SIGNS = re.compile(
    r"(?i)\brelevant\s+text,?\s+if\s+any\s*[:：]|\bportion\s+of\s+a\s+long\s+document"
    r"|\breturn\s+any\s+relevant\s+text\b"
)
_RERANK_SIGNS = re.compile(
    r"(?i)\bscore\s*[:：]\s*\[\s*score\b|\breturn\s+a\s+score\s+of\s+how\s+fully\b"
)
_REFINE = re.compile(
    r"(?i)\boriginal\s+question\s+is(?:\s+as\s+follows)?\s*[:：][ \t]*"
    r"(?P<question>[^\n]*)\n(?P<between>.*?)"
    r"\bexisting\s+answer\s*(?:is\s*)?[:：](?P<existing>.*?)"
    r"(?=\n[ \t]*we\s+have\s+the\s+opportunity\b|\n[ \t]*[-=_~*]{3,}[ \t]*\n|$)",
    re.DOTALL,
)
_REFINE_END = re.compile(r"(?im)^[ \t]*given\s+the\s+new\s+context\b")
_INITIAL = re.compile(
    r"(?i)\banswer\s+the\s+(?:following\s+)?(?:user'?s?\s+)?(?:question|query)\s*"
    r"[:：][ \t]*"
)
_CONTEXT_INTRO = re.compile(r"(?im)^[ \t]*context\s+information\s+is\s+below\b")


@dataclass(frozen=True)
class ChainPrompt:
    """A prompt taken apart.

    Attributes:
        step: Which chain step sent it: ``PLAIN`` (stuff or any other QA
            prompt), ``MAP``, ``COMBINE``, ``INITIAL`` (refine's first step),
            ``REFINE`` or ``RERANK``.
        question: The question.
        context: The context (for ``COMBINE``, the extracts).
        existing: For ``REFINE``, the answer so far.
    """

    step: str
    question: str
    context: str
    existing: str = ""


def parse_chain_prompt(prompt: str) -> ChainPrompt | None:
    """Take ``prompt`` apart; None when it has no question."""
    text = prompt.replace("\r\n", "\n").replace("\r", "\n")
    lower = text.lower()
    for keys, parse in PARSERS:
        if any(key in lower for key in keys):
            found = parse(text)
            if found is not None:
                return found if found.question else None
    parts = split_prompt(text)
    if parts is None:
        return None
    context, question = parts
    if "score" in lower and _RERANK_SIGNS.search(text):
        step = RERANK
    elif ("relevant" in lower or "portion" in lower) and _MAP_SIGNS.search(text):
        step = MAP
    else:
        step = PLAIN
    return ChainPrompt(step, question, context)


def _clean_question(text: str) -> str:
    return text.strip().strip(" \t*#\"'“”")


def _fenced(text: str) -> str | None:
    """The text between the first two fence lines ("-----"), if there are two."""
    fences = list(FENCE.finditer(text))
    if len(fences) < 2:
        return None
    return text[fences[0].end() : fences[1].start()]


def _refine(text: str) -> ChainPrompt | None:
    match = _REFINE.search(text)
    if match is None:
        return None
    rest = text[match.end() :]
    context = _fenced(rest)
    if context is None:
        end = _REFINE_END.search(rest)
        context = rest[: end.start()] if end else rest
    return ChainPrompt(
        REFINE,
        _clean_question(match.group("question")),
        context,
        existing=match.group("existing").strip(),
    )


def _combine(text: str) -> ChainPrompt | None:
    if not _COMBINE_SIGNS.search(text):
        return None
    markers = list(QUESTION_MARKER.finditer(text))
    if not markers:
        return None
    region = text[markers[-1].end() :]
    cue = ANSWER_CUE.search(region)
    area = region[: cue.start()] if cue else region
    lines = area.split("\n")
    for index, line in enumerate(lines):
        if line.strip():
            extracts = "\n".join(lines[index + 1 :])
            if not extracts.strip(" \t\n-=_~*"):
                return None  # a stuff prompt ending in "Final answer:"
            return ChainPrompt(COMBINE, _clean_question(line), extracts)
    return None


def _initial(text: str) -> ChainPrompt | None:
    markers = list(_INITIAL.finditer(text))
    if not markers or not (_CONTEXT_INTRO.search(text) or FENCE.search(text)):
        return None
    marker = markers[-1]
    after = text[marker.end() :].strip()
    question = after.split("\n", 1)[0] if after else ""
    before = text[: marker.start()]
    line_start = before.rfind("\n") + 1
    context = _fenced(before) or before[:line_start]
    return ChainPrompt(INITIAL, _clean_question(question), context)


PARSERS: tuple[tuple[tuple[str, ...], Callable[[str], ChainPrompt | None]], ...] = (
    (("existing answer",), _refine),
    (("final answer", "extracted parts"), _combine),
    (("answer the",), _initial),
)
"""The step-specific parsers, each with words (lowercase) its prompts contain."""
