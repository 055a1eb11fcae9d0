"""Framing decoders: JSON lines and server-sent events, fed in any split."""

from __future__ import annotations

import itertools
import random
import sys
from collections.abc import Callable, Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_sagemaker._stream import (
    MAX_EVENT_BYTES,
    LineDecoder,
    SSEDecoder,
    make_decoder,
)
from langchain_sagemaker.errors import ResponseParseError

Decoder = LineDecoder | SSEDecoder
Factory = Callable[[], Decoder]

# --------------------------------------------------------------------------
# helpers


def run(decoder: Decoder, parts: Iterable[bytes]) -> list[bytes]:
    """Feed every part, then close; return all payloads in order."""
    out: list[bytes] = []
    for part in parts:
        out.extend(decoder.feed(part))
    out.extend(decoder.close())
    return out


def split_at(data: bytes, points: Iterable[int]) -> list[bytes]:
    """Cut ``data`` at the given offsets (any order, duplicates allowed)."""
    cuts = [0, *sorted(points), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(cuts)]


SEEDS = st.integers(0, 2**32 - 1)


def random_parts(rng: random.Random, wire: bytes) -> list[bytes]:
    """Split points anywhere, including inside multi-byte characters."""
    count = rng.choice([0, 1, 2, 3, 5, 10, 30, len(wire)])
    return split_at(wire, (rng.randint(0, len(wire)) for _ in range(count)))


def one_byte_at_a_time(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


# --------------------------------------------------------------------------
# JSON lines: positive cases (stream bytes -> lines)

LINE_CASES = [
    pytest.param(b'{"a":1}\n', [b'{"a":1}'], id="one-line-with-newline"),
    pytest.param(b'{"a":1}', [b'{"a":1}'], id="one-line-without-newline"),
    pytest.param(
        b'{"a":1}\n{"b":2}\n{"c":3}\n',
        [b'{"a":1}', b'{"b":2}', b'{"c":3}'],
        id="three-lines-trailing-newline",
    ),
    pytest.param(
        b'{"a":1}\n{"b":2}',
        [b'{"a":1}', b'{"b":2}'],
        id="last-line-without-newline",
    ),
    pytest.param(
        b'{"a":1}\r\n{"b":2}\r\n', [b'{"a":1}', b'{"b":2}'], id="crlf-line-endings"
    ),
    pytest.param(
        b'{"a":1}\r\n{"b":2}\r', [b'{"a":1}', b'{"b":2}'], id="crlf-last-line-cr-only"
    ),
    pytest.param(
        b'{"a":1}\n{"b":2}\r\n{"c":3}',
        [b'{"a":1}', b'{"b":2}', b'{"c":3}'],
        id="mixed-lf-crlf-and-no-newline",
    ),
    pytest.param(
        b'\n\n{"a":1}\n\n\n{"b":2}\n\n',
        [b'{"a":1}', b'{"b":2}'],
        id="blank-lines-dropped",
    ),
    pytest.param(
        b' \t\n{"a":1}\r\n   \r\n\r\n{"b":2}\n \n',
        [b'{"a":1}', b'{"b":2}'],
        id="whitespace-only-lines-dropped",
    ),
    pytest.param(b"", [], id="empty-stream"),
    pytest.param(b"\n\r\n\n", [], id="only-newlines"),
    pytest.param(b"  \t ", [], id="only-whitespace-no-newline"),
    pytest.param(
        b'  {"a": 1}  \n', [b'  {"a": 1}  '], id="inner-and-outer-spaces-kept"
    ),
    pytest.param(b"a\rb\n", [b"a\rb"], id="bare-cr-is-not-a-separator"),
    pytest.param(
        b'{"token":"x"}\n[DONE]\n', [b'{"token":"x"}', b"[DONE]"], id="done-marker-line"
    ),
    pytest.param(
        b'{"t":"hello world"}\n', [b'{"t":"hello world"}'], id="unicode-ascii"
    ),
    pytest.param(
        '{"t":"日本語のテキスト"}\n{"t":"中文"}'.encode(),
        ['{"t":"日本語のテキスト"}'.encode(), '{"t":"中文"}'.encode()],
        id="unicode-cjk",
    ),
    pytest.param(
        '{"t":"👋🏽 🧑‍💻 🇫🇷"}\n'.encode(),
        ['{"t":"👋🏽 🧑‍💻 🇫🇷"}'.encode()],
        id="unicode-emoji-zwj-flags",
    ),
    pytest.param(
        '{"t":"e\u0301 n\u0303 a\u0308\u0332"}\r\n'.encode(),
        ['{"t":"e\u0301 n\u0303 a\u0308\u0332"}'.encode()],
        id="unicode-combining-marks",
    ),
    pytest.param(
        '{"t":"\u00a0\u3000"}\n'.encode(),
        ['{"t":"\u00a0\u3000"}'.encode()],
        id="unicode-spaces",
    ),
]


# --------------------------------------------------------------------------
# server-sent events: positive cases (stream bytes -> data payloads)

TGI_EVENT = (
    b'{"index":1,"token":{"id":1,"text":" Hi","logprob":-0.1,"special":false},'
    b'"generated_text":null,"details":null}'
)

SSE_CASES = [
    pytest.param(b"data:x\n\n", [b"x"], id="data-no-space"),
    pytest.param(b"data: x\n\n", [b"x"], id="data-one-space"),
    pytest.param(b"data:  x\n\n", [b" x"], id="data-two-spaces-keeps-one"),
    pytest.param(b"data: x \n\n", [b"x "], id="trailing-space-kept"),
    pytest.param(b"data:" + TGI_EVENT + b"\n\n", [TGI_EVENT], id="tgi-event"),
    pytest.param(
        b'data: {"a":1}\n\ndata: {"b":2}\n\n',
        [b'{"a":1}', b'{"b":2}'],
        id="two-events",
    ),
    pytest.param(
        b"data: a\r\n\r\ndata: b\r\n\r\n", [b"a", b"b"], id="crlf-line-endings"
    ),
    pytest.param(b"data: a\r\n\ndata: b\n\r\n", [b"a", b"b"], id="mixed-line-endings"),
    pytest.param(b"data: a\ndata: b\n\n", [b"a\nb"], id="multi-line-data-joined"),
    pytest.param(
        b"data: a\ndata:b\ndata:  c\n\n",
        [b"a\nb\n c"],
        id="multi-line-data-mixed-spacing",
    ),
    pytest.param(
        b"data: a\ndata:\ndata: b\n\n", [b"a\n\nb"], id="multi-line-with-empty-line"
    ),
    pytest.param(b"data:\n\n", [b""], id="empty-data-field"),
    pytest.param(
        b": keep-alive\n\ndata: x\n\n: keep-alive\n\n",
        [b"x"],
        id="comment-keep-alive-events",
    ),
    pytest.param(b"data: a\n: ping\ndata: b\n\n", [b"a\nb"], id="comment-inside-event"),
    pytest.param(b":\n\n", [], id="bare-colon-comment"),
    pytest.param(
        b"event: message\nid: 7\nretry: 1000\ndata: x\n\n",
        [b"x"],
        id="event-id-retry-ignored",
    ),
    pytest.param(
        b"event: ping\n\nid: 1\n\ndata: y\n\n", [b"y"], id="events-without-data-dropped"
    ),
    pytest.param(b"data: x\nevent: message\n\n", [b"x"], id="field-after-data-ignored"),
    pytest.param(
        b'data: {"a":1}\n\ndata: [DONE]\n\n',
        [b'{"a":1}', b"[DONE]"],
        id="done-marker",
    ),
    pytest.param(b"data: x\n", [b"x"], id="no-final-blank-line"),
    pytest.param(b"data: x", [b"x"], id="no-final-newline"),
    pytest.param(b"data: x\r", [b"x"], id="no-final-newline-trailing-cr"),
    pytest.param(
        b"data: a\n\ndata: b\ndata: c",
        [b"a", b"b\nc"],
        id="multi-line-flushed-at-close",
    ),
    pytest.param(b"", [], id="empty-stream"),
    pytest.param(b"\n\n\r\n", [], id="only-blank-lines"),
    pytest.param(
        b"\n\ndata: a\n\n\n\n\ndata: b\n\n", [b"a", b"b"], id="extra-blank-lines"
    ),
    pytest.param(b"data : x\n\ndatax: y\n\n", [], id="other-field-names-ignored"),
    pytest.param(
        "data: 日本語\n\ndata: 中文\n\n".encode(),
        ["日本語".encode(), "中文".encode()],
        id="unicode-cjk",
    ),
    pytest.param(
        "data: 👋🏽🧑‍💻\ndata: 🇫🇷\n\n".encode(),
        ["👋🏽🧑‍💻\n🇫🇷".encode()],
        id="unicode-emoji",
    ),
    pytest.param(
        "data:e\u0301\u0327\n\n".encode(),
        ["e\u0301\u0327".encode()],
        id="unicode-combining-marks",
    ),
]


def _cases() -> list[object]:
    out: list[object] = []
    for param in LINE_CASES:
        data, expected = param.values
        out.append(pytest.param(LineDecoder, data, expected, id=f"lines-{param.id}"))
    for param in SSE_CASES:
        data, expected = param.values
        out.append(pytest.param(SSEDecoder, data, expected, id=f"sse-{param.id}"))
    return out


CASES = _cases()


@pytest.mark.parametrize(("factory", "data", "expected"), CASES)
def test_whole(factory: Factory, data: bytes, expected: list[bytes]) -> None:
    assert run(factory(), [data]) == expected


@pytest.mark.parametrize(("factory", "data", "expected"), CASES)
def test_every_two_part_split(
    factory: Factory, data: bytes, expected: list[bytes]
) -> None:
    for i in range(len(data) + 1):
        assert run(factory(), [data[:i], data[i:]]) == expected, f"split at {i}"


@pytest.mark.parametrize(("factory", "data", "expected"), CASES)
def test_one_byte_at_a_time(
    factory: Factory, data: bytes, expected: list[bytes]
) -> None:
    assert run(factory(), one_byte_at_a_time(data)) == expected


@pytest.mark.parametrize(("factory", "data", "expected"), CASES)
@settings(max_examples=30, deadline=None)
@given(seed=SEEDS)
def test_random_splits(
    factory: Factory, data: bytes, expected: list[bytes], seed: int
) -> None:
    assert run(factory(), random_parts(random.Random(seed), data)) == expected


@pytest.mark.parametrize(("factory", "data", "expected"), CASES)
def test_empty_feeds_change_nothing(
    factory: Factory, data: bytes, expected: list[bytes]
) -> None:
    parts: list[bytes] = []
    for byte in one_byte_at_a_time(data):
        parts += [b"", byte, b""]
    assert run(factory(), parts) == expected


# --------------------------------------------------------------------------
# feed() vs close(): what is returned when


def test_line_feed_returns_only_complete_lines_and_close_the_rest() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b'{"a":1}\n{"b"') == [b'{"a":1}']
    assert decoder.feed(b":2}") == []
    assert decoder.feed(b"\r") == []
    assert decoder.close() == [b'{"b":2}']
    assert decoder.close() == []


def test_line_close_without_tail_is_empty() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"a\nb\n") == [b"a", b"b"]
    assert decoder.close() == []


def test_sse_feed_returns_event_only_at_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"data: b\n") == []
    assert decoder.feed(b"\n") == [b"a\nb"]
    assert decoder.feed(b"data: c\n") == []
    assert decoder.close() == [b"c"]
    assert decoder.close() == []


def test_sse_feed_returns_several_events_at_once() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: 1\n\ndata: 2\n\ndata: 3") == [b"1", b"2"]
    assert decoder.close() == [b"3"]


@pytest.mark.parametrize(
    "part",
    [
        b"data: x\n\n",
        b"data:x\n\n",
        b"data:  two spaces\n\n",
        b"data:x\r\n\n",
        b"data: \r\r\n\n",
        b"data:\r\n\n",
        b"data: \n\n",
        b"data:\n\n",
        b"data: " + b"y" * 100_000 + b"\n\n",
    ],
)
def test_sse_whole_event_part_reads_as_when_split(part: bytes) -> None:
    # one whole event per part takes a fast path; split, the general one
    whole = SSEDecoder()
    split = SSEDecoder()
    assert whole.feed(part) + whole.close() == (
        split.feed(part[:1]) + split.feed(part[1:]) + split.close()
    )


def test_multibyte_character_split_across_feeds_comes_out_intact() -> None:
    text = "日👋🏽e\u0301"
    raw = text.encode()
    for framing, wire in (
        (LineDecoder, raw + b"\n"),
        (SSEDecoder, b"data: " + raw + b"\n\n"),
    ):
        decoder = framing()
        out: list[bytes] = []
        for i in range(len(wire)):
            out += decoder.feed(wire[i : i + 1])
        out += decoder.close()
        assert [p.decode("utf-8") for p in out] == [text]


def test_make_decoder_by_framing() -> None:
    assert type(make_decoder("sse")) is SSEDecoder
    assert type(make_decoder("lines")) is LineDecoder
    assert make_decoder("sse") is not make_decoder("sse")


# --------------------------------------------------------------------------
# properties: random payloads, random framing details, random splits

# Payload texts are drawn as one string and cut into payloads by a seeded RNG
# (much cheaper for hypothesis than a list of strings); the RNG also picks the
# framing details and the split points.
CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n")


def cut_randomly(rng: random.Random, text: str) -> list[str]:
    """Cut ``text`` into 0..n pieces (empty pieces included)."""
    if not text and rng.random() < 0.5:
        return []
    points = sorted(rng.randint(0, len(text)) for _ in range(rng.randint(0, 8)))
    cuts = [0, *points, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(cuts)]


@st.composite
def line_streams(draw: st.DrawFn) -> tuple[list[bytes], bytes, list[bytes]]:
    """JSON-lines payloads, the wire bytes, and the wire cut into parts."""
    text = draw(st.text(CHARS, max_size=120))
    rng = random.Random(draw(SEEDS))
    # A line holds no newline; a whitespace-only line is not a payload.
    texts = [t if t.encode().strip() else t + "x" for t in cut_randomly(rng, text)]
    payloads = [t.encode() for t in texts]
    out = bytearray()
    for i, payload in enumerate(payloads):
        out += rng.choice([b"", b"", b"", b"\n", b"\r\n", b" \n", b"\t\r\n"])
        out += payload
        last = i == len(payloads) - 1
        ends = [b"\n", b"\r\n", b"", b"\r"] if last else [b"\n", b"\r\n"]
        out += rng.choice(ends)
    wire = bytes(out)
    return payloads, wire, random_parts(rng, wire)


@st.composite
def sse_streams(draw: st.DrawFn) -> tuple[list[bytes], bytes, list[bytes]]:
    """SSE payloads (newlines inside), the wire bytes, and the wire in parts."""
    text = draw(st.text(CHARS, max_size=120))
    rng = random.Random(draw(SEEDS))
    # A "\n" inside an event's data is sent as several data lines.
    texts = ["\n".join(cut_randomly(rng, t) or [""]) for t in cut_randomly(rng, text)]
    payloads = [t.encode() for t in texts]
    eol = rng.choice([b"\n", b"\r\n"])
    out = bytearray()
    for i, payload in enumerate(payloads):
        if rng.random() < 0.3:
            out += rng.choice([b": keep-alive", b"event: message", b"id: 42", b":"])
            out += eol
            if rng.random() < 0.5:
                out += eol  # an event with no data dispatches nothing
        for line in payload.split(b"\n"):
            prefix = b"data: "
            if not line.startswith(b" ") and rng.random() < 0.5:
                prefix = b"data:"  # TGI's spelling
            out += prefix + line + eol
            if rng.random() < 0.1:
                out += rng.choice([b": ping", b"id: 1", b"retry: 5"]) + eol
        last = i == len(payloads) - 1
        if not last or rng.random() < 0.5:
            out += eol  # the blank line that ends the event
        elif rng.random() < 0.5:
            del out[-len(eol) :]  # the last line has no newline at all
    wire = bytes(out)
    return payloads, wire, random_parts(rng, wire)


# 10,000 random streams, each split at random points, per framing.
@settings(max_examples=10_000, deadline=None)
@given(stream=line_streams())
def test_lines_roundtrip_random_splits(
    stream: tuple[list[bytes], bytes, list[bytes]],
) -> None:
    payloads, wire, parts = stream
    assert b"".join(parts) == wire
    assert run(LineDecoder(), parts) == payloads


@settings(max_examples=10_000, deadline=None)
@given(stream=sse_streams())
def test_sse_roundtrip_random_splits(
    stream: tuple[list[bytes], bytes, list[bytes]],
) -> None:
    payloads, wire, parts = stream
    assert b"".join(parts) == wire
    assert run(SSEDecoder(), parts) == payloads


@settings(max_examples=300, deadline=None)
@given(stream=line_streams())
def test_lines_roundtrip_one_byte_at_a_time(
    stream: tuple[list[bytes], bytes, list[bytes]],
) -> None:
    payloads, wire, _ = stream
    assert run(LineDecoder(), one_byte_at_a_time(wire)) == payloads


@settings(max_examples=300, deadline=None)
@given(stream=sse_streams())
def test_sse_roundtrip_one_byte_at_a_time(
    stream: tuple[list[bytes], bytes, list[bytes]],
) -> None:
    payloads, wire, _ = stream
    assert run(SSEDecoder(), one_byte_at_a_time(wire)) == payloads


# --------------------------------------------------------------------------
# bounded memory and over-long input

N_LINES = 100_000


def _chunks(data: bytes, size: int) -> Iterable[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def test_line_buffer_does_not_grow_with_stream_length() -> None:
    line = b'{"token":{"text":" word"},"n":12345}'
    wire = (line + b"\n") * N_LINES
    decoder = LineDecoder()
    count = 0
    biggest = 0
    # 1000-byte chunks: most of them end in the middle of a line
    for chunk in _chunks(wire, 1000):
        lines = decoder.feed(chunk)
        count += len(lines)
        assert all(x == line for x in lines)
        biggest = max(biggest, len(decoder._buffer))
    assert decoder.close() == []
    assert count == N_LINES
    assert 0 < biggest <= len(line)
    assert len(decoder._buffer) == 0
    assert sys.getsizeof(decoder._buffer) < 64 * 1024


def test_line_buffer_empty_after_each_complete_line() -> None:
    decoder = LineDecoder()
    line = b'{"n":1}\n'
    for _ in range(N_LINES):
        assert decoder.feed(line) == [b'{"n":1}']
        assert len(decoder._buffer) == 0
    assert sys.getsizeof(decoder._buffer) < 4096


def test_sse_buffer_does_not_grow_with_stream_length() -> None:
    event = b"data:" + TGI_EVENT + b"\n\n"
    wire = event * N_LINES
    decoder = SSEDecoder()
    count = 0
    biggest = 0
    for chunk in _chunks(wire, 1000):
        events = decoder.feed(chunk)
        count += len(events)
        assert all(x == TGI_EVENT for x in events)
        biggest = max(biggest, len(decoder._buffer) + sum(map(len, decoder._data)))
    assert decoder.close() == []
    assert count == N_LINES
    assert 0 < biggest <= len(event)
    assert len(decoder._buffer) == 0
    assert decoder._data == []
    assert sys.getsizeof(decoder._buffer) < 64 * 1024


def test_default_limit() -> None:
    assert MAX_EVENT_BYTES == 16 * 1024 * 1024
    assert LineDecoder()._max == MAX_EVENT_BYTES
    assert SSEDecoder()._max == MAX_EVENT_BYTES


def test_line_at_the_limit_is_accepted() -> None:
    decoder = LineDecoder(max_line_bytes=10)
    assert decoder.feed(b"x" * 10) == []
    assert decoder.feed(b"\n") == [b"x" * 10]
    assert decoder.feed(b"y" * 10) == []
    assert decoder.close() == [b"y" * 10]


def test_over_long_line_raises() -> None:
    decoder = LineDecoder(max_line_bytes=10)
    with pytest.raises(ResponseParseError, match="longer than 10 bytes") as info:
        decoder.feed(b"x" * 11)
    assert info.value.snippet == "x" * 11
    assert isinstance(info.value, ValueError)


def test_over_long_line_raises_when_built_from_small_feeds() -> None:
    decoder = LineDecoder(max_line_bytes=10)
    assert decoder.feed(b"ok\n" + b"x" * 6) == [b"ok"]
    with pytest.raises(ResponseParseError, match="longer than 10 bytes"):
        decoder.feed(b"x" * 5)


def test_over_long_line_snippet_is_capped() -> None:
    decoder = LineDecoder(max_line_bytes=1000)
    with pytest.raises(ResponseParseError) as info:
        decoder.feed("é".encode() * 1000)
    assert info.value.snippet == "é" * 150


def test_over_long_sse_line_raises() -> None:
    decoder = SSEDecoder(max_event_bytes=10)
    with pytest.raises(ResponseParseError, match="larger than 10 bytes"):
        decoder.feed(b"data: " + b"x" * 20)


def test_over_long_sse_event_of_many_lines_raises() -> None:
    decoder = SSEDecoder(max_event_bytes=10)
    assert decoder.feed(b"data: abcd\n") == []
    with pytest.raises(ResponseParseError, match="larger than 10 bytes"):
        decoder.feed(b"data: efgh\ndata: ijkl\n")


def test_sse_events_under_the_limit_are_accepted() -> None:
    decoder = SSEDecoder(max_event_bytes=10)
    out: list[bytes] = []
    for _ in range(1000):
        out += decoder.feed(b"data: abcdefgh\n\n")
    assert out == [b"abcdefgh"] * 1000
