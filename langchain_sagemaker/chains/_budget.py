"""Token budgets: estimate prompt sizes and split documents to fit a context."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

from langchain_core.documents import Document

__all__ = ["TokenCounter", "estimate_tokens", "split_to_fit"]

TokenCounter = Callable[[str], int]
"""Counts the tokens of a text."""

_CJK = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")


def estimate_tokens(text: str) -> int:
    """Estimate tokens without a tokenizer: ~4 characters each, 1 per CJK character.

    Deliberately on the high side for English (BPE tokenizers average about 4
    characters per token), so a prompt judged to fit does fit.
    """
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)


def _pieces(text: str) -> list[str]:
    """Paragraphs, else sentences, else the text itself: the natural cut points."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(paragraphs) > 1:
        return paragraphs
    return [s for s in _SENTENCE_END.split(text) if s.strip()] or [text]


def _split_text(text: str, budget: int, count: TokenCounter) -> list[str]:
    if count(text) <= budget:
        return [text]
    pieces = _pieces(text)
    if len(pieces) == 1:
        # No natural cut point left: cut by characters.
        size = max(1, len(text) * budget // max(1, count(text)))
        return [text[i : i + size] for i in range(0, len(text), size)]
    out: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n\n{piece}" if current else piece
        if count(candidate) <= budget:
            current = candidate
            continue
        if current:
            out.append(current)
        if count(piece) <= budget:
            current = piece
        else:
            out.extend(_split_text(piece, budget, count))
            current = ""
    if current:
        out.append(current)
    return out


def split_to_fit(
    docs: Iterable[Document], budget: int, count: TokenCounter = estimate_tokens
) -> list[Document]:
    """Split documents whose text is over ``budget`` tokens, keeping metadata.

    Cuts at paragraph breaks, then sentence ends, then characters; pieces of
    one document keep its metadata and are numbered in ``metadata["part"]``.
    """
    out: list[Document] = []
    for doc in docs:
        parts = _split_text(doc.page_content, max(1, budget), count)
        if len(parts) == 1:
            out.append(doc)
            continue
        for index, part in enumerate(parts):
            out.append(
                Document(page_content=part, metadata={**doc.metadata, "part": index})
            )
    return out
