"""A lossless tokenizer shared by the built-in models of the local endpoint.

Tokens mimic what a real LLM streams: English words carry their leading
space (``" 3"``, ``" days"``, ``"."``), each CJK character is its own token,
every line break is its own token, and combining marks, variation selectors
and zero-width-joiner emoji sequences stay attached to the character they
modify. The only hard guarantee is losslessness: for every string ``t``,
``"".join(tokenize(t)) == t``.
"""

from __future__ import annotations

import unicodedata

__all__ = ["is_cjk", "tokenize"]

_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_ZWJ = "\u200d"
_ZWNJ = "\u200c"
_INNER_JOINERS = frozenset("'\u2019")
_NUMBER_JOINERS = frozenset(".,")
_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x3005, 0x3007),  # iteration mark, closing mark, ideographic zero
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width Katakana
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)
_REGIONAL_INDICATORS = (0x1F1E6, 0x1F1FF)
_EMOJI_MODIFIERS = (0x1F3FB, 0x1F3FF)
_TAG_CHARACTERS = (0xE0020, 0xE007F)


def is_cjk(char: str) -> bool:
    """Return whether ``char`` is a CJK ideograph or Japanese kana.

    Args:
        char: A single character.

    Returns:
        True for Han characters, Hiragana and Katakana.
    """
    code = ord(char)
    if code < _CJK_RANGES[0][0]:
        return False
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _in(char: str, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= ord(char) <= bounds[1]


def _is_mark(char: str) -> bool:
    """Whether ``char`` modifies the character before it."""
    return (
        unicodedata.category(char).startswith("M")
        or char == _ZWNJ
        or _in(char, _EMOJI_MODIFIERS)
        or _in(char, _TAG_CHARACTERS)
    )


def _is_word(char: str) -> bool:
    return (char.isalnum() or char == "_") and not is_cjk(char)


def _skip_marks(text: str, index: int) -> int:
    """Return the index after the marks (and ZWJ sequences) at ``index``."""
    size = len(text)
    while index < size:
        char = text[index]
        if _is_mark(char):
            index += 1
        elif char == _ZWJ:
            index += 2 if index + 1 < size else 1
        else:
            break
    return index


def _word_end(text: str, index: int) -> int:
    """Return the end of the word starting at ``index``."""
    size = len(text)
    while index < size:
        char = text[index]
        if _is_word(char):
            index = _skip_marks(text, index + 1)
        elif index + 1 < size and _joins(text[index - 1], char, text[index + 1]):
            index += 1
        else:
            break
    return index


def _joins(before: str, char: str, after: str) -> bool:
    """Whether ``char`` glues two word pieces (``don't``, ``3,000``, ``3.5``)."""
    if char in _INNER_JOINERS:
        return before.isalpha() and after.isalpha() and not is_cjk(after)
    if char in _NUMBER_JOINERS:
        return before.isdigit() and after.isdigit()
    return False


def _core_end(text: str, index: int) -> int:
    """Return the end of the token core (the part after leading spaces)."""
    char = text[index]
    if char == "\r" and text.startswith("\n", index + 1):
        return index + 2
    if char in _LINE_BREAKS:
        return index + 1
    if _is_word(char):
        return _word_end(text, index)
    end = _skip_marks(text, index + 1)
    if (
        end == index + 1
        and _in(char, _REGIONAL_INDICATORS)
        and end < len(text)
        and _in(text[end], _REGIONAL_INDICATORS)
    ):
        end = _skip_marks(text, end + 1)
    return end


def _spaces_end(text: str, index: int) -> int:
    size = len(text)
    while index < size and text[index].isspace() and text[index] not in _LINE_BREAKS:
        index += 1
    return index


def tokenize(text: str) -> list[str]:
    """Split ``text`` into LLM-like tokens without losing a single character.

    Args:
        text: Any string, including empty, whitespace-only or malformed text.

    Returns:
        The tokens; their concatenation is exactly ``text``.
    """
    tokens: list[str] = []
    start = 0
    size = len(text)
    while start < size:
        core = _spaces_end(text, start)
        end = size if core == size else _core_end(text, core)
        tokens.append(text[start:end])
        start = end
    return tokens
