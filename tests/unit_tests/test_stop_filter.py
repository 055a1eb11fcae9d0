"""StopFilter: literal stop sequences cut text the same way in any chunking."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from langchain_sagemaker._stream import StopFilter, clean_stop


def reference(text: str, stops: Sequence[str] | None) -> str:
    """Cut at the earliest occurrence of any (non-empty) stop sequence."""
    hits = [text.find(s) for s in stops or () if s and s in text]
    return text[: min(hits)] if hits else text


def open_tail(fed: str, stops: Sequence[str]) -> int:
    """Length of the longest tail of ``fed`` that is a proper prefix of a stop."""
    longest = max((len(s) for s in stops if s), default=0)
    for size in range(min(len(fed), longest - 1), 0, -1):
        if any(s.startswith(fed[-size:]) and s != fed[-size:] for s in stops if s):
            return size
    return 0


def run_checked(stops: Sequence[str] | None, chunks: Sequence[str]) -> str:
    """Feed ``chunks`` and check the invariants after every step."""
    text = "".join(chunks)
    expected = reference(text, stops)
    nonempty = [s for s in stops or () if s]
    bound = max((len(s) for s in nonempty), default=1) - 1
    f = StopFilter(stops)
    out = ""
    fed = ""
    for chunk in chunks:
        fed += chunk
        emitted = f.feed(chunk)
        assert isinstance(emitted, str)
        out += emitted
        # nothing that a stop sequence cuts off is ever emitted
        assert expected.startswith(out), (out, expected)
        if f.stopped:
            assert out == expected
            assert f.feed("more text") == ""
            continue
        # emitted + held back == everything fed so far
        assert out + f._pending == fed
        assert len(f._pending) <= bound
        # only the tail that could still begin a stop sequence is held back
        assert len(f._pending) == open_tail(fed, nonempty), (fed, f._pending)
    rest = f.close()
    out += rest
    assert out == expected
    assert f.stopped == any(s in text for s in nonempty)
    return out


# --------------------------------------------------------------------------
# examples


CASES = [
    pytest.param(None, ["Hello", " world"], "Hello world", id="no-stops"),
    pytest.param([], ["Hello", " world"], "Hello world", id="empty-stop-list"),
    pytest.param([""], ["Hello", " world"], "Hello world", id="only-empty-stop"),
    pytest.param(["", "o"], ["Hello"], "Hell", id="empty-stop-ignored"),
    pytest.param(["x", "x", "x"], ["abxcd"], "ab", id="duplicate-stops"),
    pytest.param(["."], ["a.b"], "a", id="dot-is-literal"),
    pytest.param(["a.b"], ["axb a.b"], "axb ", id="dot-does-not-match-any-char"),
    pytest.param(["("], ["f(x)"], "f", id="unbalanced-paren"),
    pytest.param(["*"], ["a*b"], "a", id="star"),
    pytest.param(["\\"], ["C:\\dir"], "C:", id="backslash"),
    pytest.param(["\\d"], ["1d2\\d3"], "1d2", id="backslash-d-is-literal"),
    pytest.param(["a|b"], ["ab a|b"], "ab ", id="pipe-is-literal"),
    pytest.param(["[", "$", "^"], ["x^y$z[w"], "x", id="more-metacharacters"),
    pytest.param([".*"], ["abc.*def"], "abc", id="dot-star-is-literal"),
    pytest.param(["ab", "b"], ["xab"], "x", id="overlapping-longer-first"),
    pytest.param(["b", "ab"], ["xab"], "x", id="overlapping-shorter-first"),
    pytest.param(["ab", "b"], ["xa", "b"], "x", id="overlapping-across-chunks"),
    pytest.param(["abc", "ab"], ["zabc"], "z", id="stop-is-prefix-of-stop"),
    pytest.param(
        ["World"], ["Hello Wo", "rld! Bye"], "Hello ", id="stop-across-chunks"
    ),
    pytest.param(["STOP"], list("abcSTOPdef"), "abc", id="stop-longer-than-chunks"),
    pytest.param(
        ["\n\nHuman:"],
        ["Sure.", "\n", "\n", "Hum", "an:", " next"],
        "Sure.",
        id="human-turn-marker",
    ),
    pytest.param(["STOP"], ["STOP", "abc"], "", id="stop-at-start"),
    pytest.param(["STOP"], ["abc", "STOP"], "abc", id="stop-at-end"),
    pytest.param(["STOP"], ["abcST"], "abcST", id="partial-stop-released-at-close"),
    pytest.param(["STOP"], ["abcST", "Ox"], "abcSTOx", id="partial-stop-then-mismatch"),
    pytest.param(["aab"], list("aaab"), "a", id="self-overlapping-prefix"),
    pytest.param(["abab"], list("ababab"), "", id="periodic-stop"),
    pytest.param(["abab"], ["aba", "bab"], "", id="periodic-stop-across-chunks"),
    pytest.param(["。"], ["日本語。", "次"], "日本語", id="cjk-stop"),
    pytest.param(["👋"], ["hi 👋 there"], "hi ", id="emoji-stop"),
    pytest.param(["e\u0301"], ["cafe\u0301!"], "caf", id="combining-mark-stop"),
    pytest.param(["STOP"], ["", "ab", "", "c"], "abc", id="empty-chunks"),
    pytest.param(["abc", "b"], ["abc"], "", id="longer-stop-starts-earlier-whole"),
    # The stop "b" is complete after "ab", but "abc" starts earlier and
    # completes one chunk later: the earliest stop is "abc", as in one piece.
    pytest.param(
        ["abc", "b"], ["ab", "c"], "", id="longer-stop-starts-earlier-completes-later"
    ),
    pytest.param(
        ["abc", "b"], ["ab", "x"], "a", id="longer-stop-starts-earlier-never-completes"
    ),
    pytest.param(
        ["<|end|>", "|"], ["Answer <|en", "d|>"], "Answer ", id="special-token-stop"
    ),
]


@pytest.mark.parametrize(("stops", "chunks", "expected"), CASES)
def test_examples(stops: list[str] | None, chunks: list[str], expected: str) -> None:
    assert reference("".join(chunks), stops) == expected
    assert run_checked(stops, chunks) == expected


@pytest.mark.parametrize(("stops", "chunks", "expected"), CASES)
def test_examples_one_character_at_a_time(
    stops: list[str] | None, chunks: list[str], expected: str
) -> None:
    assert run_checked(stops, list("".join(chunks))) == expected


@pytest.mark.parametrize(("stops", "chunks", "expected"), CASES)
def test_examples_every_two_part_split(
    stops: list[str] | None, chunks: list[str], expected: str
) -> None:
    text = "".join(chunks)
    for i in range(len(text) + 1):
        assert run_checked(stops, [text[:i], text[i:]]) == expected, f"split at {i}"


def test_stopped_filter_emits_nothing_more() -> None:
    f = StopFilter(["END"])
    assert f.feed("abc EN") == "abc "
    assert not f.stopped
    assert f.feed("D tail") == ""
    assert f.stopped
    assert f.feed("more") == ""
    assert f.close() == ""
    assert f.feed("again") == ""


def test_hold_back_is_released_by_close() -> None:
    f = StopFilter(["<END>"])
    assert f.feed("x <EN") == "x "
    assert f._pending == "<EN"
    assert f.close() == "<EN"
    assert not f.stopped


def test_no_hold_back_for_single_character_stops() -> None:
    f = StopFilter([".", "!"])
    assert f.feed("abc") == "abc"
    assert f._pending == ""
    assert f.feed("de!f") == "de"
    assert f.stopped


def test_stop_attribute_is_cleaned() -> None:
    assert StopFilter(["b", "", "a", "b"]).stop == ["b", "a"]
    assert StopFilter(None).stop == []


@pytest.mark.parametrize(
    ("stop", "expected"),
    [
        pytest.param(None, [], id="none"),
        pytest.param([], [], id="empty-list"),
        pytest.param([""], [], id="only-empty"),
        pytest.param(["a", "", "b"], ["a", "b"], id="drops-empty"),
        pytest.param(
            ["b", "a", "b", "a"], ["b", "a"], id="drops-duplicates-keeps-order"
        ),
        pytest.param(("x", "y"), ["x", "y"], id="tuple"),
        pytest.param(iter(["x", "x"]), ["x"], id="iterator"),
        pytest.param([" ", "\n"], [" ", "\n"], id="whitespace-kept"),
    ],
)
def test_clean_stop(stop: object, expected: list[str]) -> None:
    assert clean_stop(stop) == expected  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# properties against the reference

ALPHABET = "ab.(*\\c"
STOP_POOL = [
    ".",
    "(",
    "*",
    "\\",
    "a.b",
    "ab",
    "b",
    "ba",
    "bab",
    "abab",
    "aab",
    "aaaaa",
    ".*",
    "\\c",
    "(a",
    "",
]
STOPS = st.lists(
    st.one_of(st.sampled_from(STOP_POOL), st.text(ALPHABET, max_size=7)),
    max_size=5,
)
TEXTS = st.one_of(
    st.text(ALPHABET, max_size=40),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
)


@st.composite
def chunked(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> list[str]:
    """A text cut into chunks at random points (empty chunks included)."""
    text = draw(texts)
    points = draw(st.lists(st.integers(0, len(text)), max_size=12))
    cuts = [0, *sorted(points), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(cuts)]


@settings(max_examples=2000, deadline=None)
@given(stops=STOPS, chunks=chunked(TEXTS))
@example(stops=["abc", "b"], chunks=["ab", "c"])
@example(stops=["ab", "b"], chunks=["a", "b"])
def test_matches_reference_in_any_chunking(stops: list[str], chunks: list[str]) -> None:
    run_checked(stops, chunks)


@settings(max_examples=500, deadline=None)
@given(stops=STOPS, text=TEXTS)
def test_matches_reference_one_character_at_a_time(stops: list[str], text: str) -> None:
    run_checked(stops, list(text))


@settings(max_examples=500, deadline=None)
@given(stops=STOPS, chunks=chunked(TEXTS))
def test_output_does_not_depend_on_chunking(
    stops: list[str], chunks: list[str]
) -> None:
    def once(parts: list[str]) -> str:
        f = StopFilter(stops)
        return "".join(f.feed(p) for p in parts) + f.close()

    text = "".join(chunks)
    assert once(chunks) == once([text]) == once(list(text))
