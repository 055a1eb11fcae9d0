"""Assembler: handler deltas -> GenerationChunks, with stops, usage and errors."""

from __future__ import annotations

import io
import itertools
import json
import random
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from langchain_core.outputs import GenerationChunk

from langchain_sagemaker import LLMContentHandler
from langchain_sagemaker._stream import Assembler
from langchain_sagemaker.errors import IncompleteStreamError, ResponseParseError
from langchain_sagemaker.handlers.base import LegacyHandler, StreamLine
from langchain_sagemaker.handlers.tgi import TGIHandler

# --------------------------------------------------------------------------
# TGI wire format, as the router writes it (StreamResponse / StreamDetails)

INPUT_LENGTH = 7


def tgi_event(
    index: int,
    text: str,
    *,
    special: bool = False,
    generated_text: str | None = None,
    details: dict[str, Any] | None = None,
    prefix: bytes = b"data:",
) -> bytes:
    event = {
        "index": index,
        "token": {
            "id": 1000 + index,
            "text": text,
            "logprob": -0.1,
            "special": special,
        },
        "generated_text": generated_text,
        "details": details,
    }
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    return prefix + body + b"\n\n"


def tgi_events(
    tokens: Sequence[str],
    *,
    finish_reason: str = "length",
    eos: bool = False,
    prefix: bytes = b"data:",
) -> list[bytes]:
    """One SSE event per token; the last one carries generated_text and details.

    With ``eos``, a special ``</s>`` token ends the stream (its text is not
    part of the generated text).
    """
    tokens = [*tokens, "</s>"] if eos else list(tokens)
    n = len(tokens)
    events = []
    for i, token in enumerate(tokens, start=1):
        special = eos and i == n
        if i < n:
            events.append(tgi_event(i, token, prefix=prefix))
            continue
        details = {
            "finish_reason": finish_reason,
            "generated_tokens": n,
            "seed": None,
            "input_length": INPUT_LENGTH,
        }
        generated = "".join(tokens[:-1] if eos else tokens)
        events.append(
            tgi_event(
                i,
                token,
                special=special,
                generated_text=generated,
                details=details,
                prefix=prefix,
            )
        )
    return events


def usage(completion: int, prompt: int = INPUT_LENGTH) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


# --------------------------------------------------------------------------
# helpers


def split_at(data: bytes, points: Iterable[int]) -> list[bytes]:
    cuts = [0, *sorted(points), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(cuts)]


def random_parts(rng: random.Random, data: bytes) -> list[bytes]:
    count = rng.choice([0, 1, 2, 3, 5, 10, 30, len(data)])
    return split_at(data, (rng.randint(0, len(data)) for _ in range(count)))


SPLITS = {
    "whole": lambda data: [data],
    "halves": lambda data: split_at(data, [len(data) // 2]),
    "one-byte": lambda data: [data[i : i + 1] for i in range(len(data))],
    "seven-bytes": lambda data: [data[i : i + 7] for i in range(0, len(data), 7)],
}


def stream(
    assembler: Assembler, parts: Iterable[bytes]
) -> tuple[list[GenerationChunk], list[GenerationChunk]]:
    """Feed the parts; return (chunks from feed_bytes, chunks from close)."""
    fed: list[GenerationChunk] = []
    for part in parts:
        fed.extend(assembler.feed_bytes(part))
    return fed, assembler.close()


def texts(chunks: Iterable[GenerationChunk]) -> str:
    return "".join(c.text for c in chunks)


def infos(chunks: Iterable[GenerationChunk]) -> list[dict[str, Any]]:
    return [c.generation_info for c in chunks if c.generation_info]


def reference_stop(text: str, stops: Sequence[str]) -> str:
    hits = [text.find(s) for s in stops if s and s in text]
    return text[: min(hits)] if hits else text


TOKENS = [" Hello", ",", " wor", "ld", "!", " 日本", "語", " 👋🏽", " cafe\u0301", "."]


# --------------------------------------------------------------------------
# TGI: text, finish reason, usage


@pytest.mark.parametrize("split", SPLITS)
def test_tgi_stream_text_and_generation_info(split: str) -> None:
    wire = b"".join(tgi_events(TOKENS))
    asm = Assembler(TGIHandler(), stop=None)
    fed, closed = stream(asm, SPLITS[split](wire))
    chunks = fed + closed
    assert texts(chunks) == "".join(TOKENS)
    assert asm.text == "".join(TOKENS)
    assert all(c.text for c in chunks if not c.generation_info)
    # the generation info comes once, last, on an empty chunk
    assert [c.text for c in chunks if c.generation_info] == [""]
    assert chunks[-1].generation_info == {
        "finish_reason": "length",
        "token_usage": usage(len(TOKENS)),
    }
    assert asm.generation_info() == chunks[-1].generation_info
    assert asm.done
    assert not asm.stopped


@pytest.mark.parametrize("split", SPLITS)
def test_tgi_text_is_emitted_as_tokens_arrive(split: str) -> None:
    wire = b"".join(tgi_events(TOKENS))
    asm = Assembler(TGIHandler(), stop=None)
    fed, closed = stream(asm, SPLITS[split](wire))
    # everything is known before close(), which only adds the generation info
    assert texts(fed) == "".join(TOKENS)
    assert texts(closed) == ""
    if split == "one-byte":
        assert [c.text for c in fed] == TOKENS


def test_tgi_stream_with_data_space_prefix() -> None:
    wire = b"".join(tgi_events(TOKENS, prefix=b"data: "))
    asm = Assembler(TGIHandler(), stop=None)
    fed, closed = stream(asm, [wire])
    assert texts(fed + closed) == "".join(TOKENS)
    assert infos(closed) == [{"finish_reason": "length", "token_usage": usage(10)}]


def test_tgi_stream_ending_with_special_eos_token() -> None:
    tokens = [" The", " end", "."]
    wire = b"".join(tgi_events(tokens, finish_reason="eos_token", eos=True))
    asm = Assembler(TGIHandler(), stop=None)
    fed, closed = stream(asm, [wire])
    assert texts(fed + closed) == " The end."
    assert "</s>" not in asm.text
    assert infos(closed) == [{"finish_reason": "eos_token", "token_usage": usage(4)}]


def test_tgi_keep_alive_comments_between_events() -> None:
    events = tgi_events(["a", "b", "c"])
    wire = b": keep-alive\n\n".join(events) + b": keep-alive\n\n"
    asm = Assembler(TGIHandler(), stop=None)
    fed, closed = stream(asm, [wire])
    assert texts(fed + closed) == "abc"
    assert infos(closed) == [{"finish_reason": "length", "token_usage": usage(3)}]


def test_tgi_events_after_the_end_marker_are_ignored() -> None:
    wire = b"".join(tgi_events(["a", "b"])) + b"data:not json\n\n"
    asm = Assembler(TGIHandler(), stop=None)
    fed, closed = stream(asm, [wire])
    assert texts(fed + closed) == "ab"
    assert asm.done


def test_tgi_last_event_without_final_blank_line() -> None:
    wire = b"".join(tgi_events(["a", "b"]))[:-2]
    asm = Assembler(TGIHandler(), stop=None)
    fed, closed = stream(asm, [wire])
    assert texts(fed) == "a"
    assert texts(closed) == "b"
    assert infos(closed) == [{"finish_reason": "length", "token_usage": usage(2)}]


def test_feed_event_reads_payload_parts_only() -> None:
    wire = b"".join(tgi_events(["x", "y"]))
    asm = Assembler(TGIHandler(), stop=None)
    chunks: list[GenerationChunk] = []
    for i in range(0, len(wire), 5):
        chunks += asm.feed_event({"PayloadPart": {"Bytes": wire[i : i + 5]}})
        chunks += asm.feed_event({"SomethingElse": {}})
    chunks += asm.feed_event({"PayloadPart": {}})
    chunks += asm.close()
    assert texts(chunks) == "xy"
    assert infos(chunks) == [{"finish_reason": "length", "token_usage": usage(2)}]


CHARS = st.characters(blacklist_categories=("Cs",))


@settings(max_examples=400, deadline=None)
@given(
    tokens=st.lists(st.text(CHARS, max_size=6), min_size=1, max_size=12),
    seed=st.integers(0, 2**32 - 1),
)
def test_tgi_random_tokens_random_splits(tokens: list[str], seed: int) -> None:
    wire = b"".join(tgi_events(tokens))
    asm = Assembler(TGIHandler(), stop=None)
    fed, closed = stream(asm, random_parts(random.Random(seed), wire))
    assert texts(fed + closed) == "".join(tokens)
    assert asm.text == "".join(tokens)
    assert infos(closed) == [
        {"finish_reason": "length", "token_usage": usage(len(tokens))}
    ]


# --------------------------------------------------------------------------
# TGI with stop sequences


@pytest.mark.parametrize("split", SPLITS)
def test_tgi_stop_sequence_across_tokens(split: str) -> None:
    wire = b"".join(tgi_events(TOKENS))
    asm = Assembler(TGIHandler(), stop=["world"])
    fed, closed = stream(asm, SPLITS[split](wire))
    assert texts(fed + closed) == " Hello, "
    assert asm.text == " Hello, "
    assert asm.stopped
    # events after the stop are not read, so the usage is not known
    assert infos(closed) == [{"finish_reason": "stop"}]


def test_tgi_stop_sequence_in_the_last_event() -> None:
    wire = b"".join(tgi_events(["Hi", " there", " STOP"]))
    asm = Assembler(TGIHandler(), stop=["STOP"])
    fed, closed = stream(asm, [wire])
    assert texts(fed + closed) == "Hi there "
    assert asm.stopped
    assert infos(closed) == [{"finish_reason": "stop", "token_usage": usage(3)}]


def test_tgi_partial_stop_at_the_end_is_released() -> None:
    wire = b"".join(tgi_events(["Hi", " ST"]))
    asm = Assembler(TGIHandler(), stop=["STOP"])
    fed, closed = stream(asm, [wire])
    assert texts(fed) == "Hi "
    assert texts(closed) == "ST"
    assert not asm.stopped
    assert infos(closed) == [{"finish_reason": "length", "token_usage": usage(2)}]


def test_tgi_stop_then_truncated_stream_is_not_an_error() -> None:
    wire = b"".join(tgi_events(["a", "b", "c", "d"]))
    asm = Assembler(TGIHandler(), stop=["b"])
    fed, closed = stream(asm, [wire[: len(wire) // 2]])
    assert texts(fed + closed) == "a"
    assert asm.stopped


def test_tgi_stop_where_a_longer_stop_starts_earlier() -> None:
    # "b" completes in the second token, but "abc", which starts one
    # character earlier, completes in the third: the earliest stop is "abc".
    wire = b"".join(tgi_events(["xa", "b", "c", "d"]))
    asm = Assembler(TGIHandler(), stop=["abc", "b"])
    fed, closed = stream(asm, [wire])
    assert texts(fed + closed) == "x"
    assert asm.stopped
    assert infos(closed) == [{"finish_reason": "stop"}]


@settings(max_examples=300, deadline=None)
@given(
    tokens=st.lists(st.text("ab.c ", max_size=4), min_size=1, max_size=10),
    stops=st.lists(st.text("ab.c", min_size=1, max_size=4), max_size=3),
    seed=st.integers(0, 2**32 - 1),
)
@example(tokens=["xa", "b", "c"], stops=["abc", "b"], seed=0)
def test_tgi_random_stops_random_splits(
    tokens: list[str], stops: list[str], seed: int
) -> None:
    full = "".join(tokens)
    expected = reference_stop(full, stops)
    wire = b"".join(tgi_events(tokens))
    asm = Assembler(TGIHandler(), stop=stops)
    fed, closed = stream(asm, random_parts(random.Random(seed), wire))
    assert texts(fed + closed) == expected
    assert asm.stopped == any(s in full for s in stops)
    [info] = infos(closed)
    assert info["finish_reason"] == ("stop" if asm.stopped else "length")


# --------------------------------------------------------------------------
# TGI: a stream cut before the end marker


def test_empty_tgi_stream_is_incomplete() -> None:
    asm = Assembler(TGIHandler(), stop=None)
    with pytest.raises(IncompleteStreamError) as info:
        stream(asm, [])
    assert info.value.partial_text == ""


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("kept", range(len(TOKENS)))
def test_tgi_stream_cut_between_events(split: str, kept: int) -> None:
    events = tgi_events(TOKENS)
    wire = b"".join(events[:kept])
    asm = Assembler(TGIHandler(), stop=None)
    fed: list[GenerationChunk] = []
    with pytest.raises(IncompleteStreamError, match="ended before") as info:
        for part in SPLITS[split](wire):
            fed += asm.feed_bytes(part)
        asm.close()
    assert texts(fed) == "".join(TOKENS[:kept])
    assert info.value.partial_text == texts(fed)
    assert asm.text == texts(fed)


def _cut_points(events: list[bytes]) -> list[tuple[int, str]]:
    """Every cut before the last event's JSON is complete, with the text of the
    events whose ``data:`` line had fully arrived by then."""
    out: list[tuple[int, str]] = []
    offset = 0
    received = ""
    for i, event in enumerate(events):
        json_end = offset + len(event) - 2  # without the "\n\n"
        for cut in range(offset, len(event) + offset):
            if cut >= json_end:
                if i == len(events) - 1:
                    return out  # the end marker is complete: not cut
                text = json.loads(event[5:-2])["token"]["text"]
                out.append((cut, received + text))
            else:
                out.append((cut, received))
        received += json.loads(event[5:-2])["token"]["text"]
        offset += len(event)
    return out


def test_tgi_stream_cut_at_every_byte_raises_incomplete() -> None:
    events = tgi_events(["Hel", "lo", " 日本"])
    wire = b"".join(events)
    problems = []
    for cut, received in _cut_points(events):
        asm = Assembler(TGIHandler(), stop=None)
        fed: list[GenerationChunk] = []
        try:
            fed += asm.feed_bytes(wire[:cut])
            asm.close()
        except IncompleteStreamError as exc:
            if exc.partial_text != received or not received.startswith(texts(fed)):
                problems.append(
                    (cut, wire[:cut][-12:], "partial_text", exc.partial_text)
                )
        except Exception as exc:
            problems.append((cut, wire[:cut][-12:], type(exc).__name__, ""))
        else:
            problems.append((cut, wire[:cut][-12:], "no error", ""))
    assert problems == []


@settings(max_examples=200, deadline=None)
@given(
    tokens=st.lists(st.text(CHARS, min_size=1, max_size=5), min_size=1, max_size=8),
    data=st.data(),
)
def test_tgi_stream_cut_anywhere_keeps_the_text_received(
    tokens: list[str], data: st.DataObject
) -> None:
    events = tgi_events(tokens)
    wire = b"".join(events)
    cut, received = data.draw(st.sampled_from(_cut_points(events)), label="cut")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    asm = Assembler(TGIHandler(), stop=None)
    fed: list[GenerationChunk] = []
    with pytest.raises(IncompleteStreamError) as info:
        for part in random_parts(random.Random(seed), wire[:cut]):
            fed += asm.feed_bytes(part)
        asm.close()
    assert info.value.partial_text == received
    assert received.startswith(texts(fed))


# --------------------------------------------------------------------------
# legacy content handlers: one JSON line per transform_output call


class SeedHandler(LLMContentHandler):
    """The classic notebook handler: ``json.loads(output.read())``."""

    content_type = "application/json"
    accepts = "application/json"

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def transform_input(self, prompt: str, model_kwargs: dict[str, Any]) -> bytes:
        return json.dumps({"inputs": prompt, "parameters": model_kwargs}).encode()

    def transform_output(self, output: Any) -> str:
        self.seen.append(output)
        response_json = json.loads(output.read().decode("utf-8"))
        return str(response_json[0]["generated_text"])


class LineHandler(LLMContentHandler):
    """A langchain-aws streaming handler: ``json.loads(output)``."""

    content_type = "application/json"
    accepts = "application/json"

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def transform_input(self, prompt: str, model_kwargs: dict[str, Any]) -> bytes:
        return json.dumps({"inputs": prompt, **model_kwargs}).encode()

    def transform_output(self, output: Any) -> str:
        self.seen.append(output)
        return str(json.loads(output)["outputs"][0])


def seed_line(text: str) -> bytes:
    return json.dumps([{"generated_text": text}], ensure_ascii=False).encode()


def outputs_line(text: str) -> bytes:
    return json.dumps({"outputs": [text]}, ensure_ascii=False).encode()


LEGACY = [
    pytest.param(SeedHandler, seed_line, id="read-style"),
    pytest.param(LineHandler, outputs_line, id="loads-style"),
]


@pytest.mark.parametrize(("handler_cls", "line"), LEGACY)
@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("split", SPLITS)
def test_legacy_handler_gets_one_line_per_call(
    handler_cls: type[SeedHandler | LineHandler],
    line: Any,
    eol: bytes,
    split: str,
) -> None:
    lines = [line(t) for t in TOKENS]
    wire = eol.join(lines) + eol
    handler = handler_cls()
    asm = Assembler(LegacyHandler(handler), stop=None)
    fed, closed = stream(asm, SPLITS[split](wire))
    assert texts(fed + closed) == "".join(TOKENS)
    assert handler.seen == lines
    assert all(type(x) is StreamLine for x in handler.seen)
    # a legacy handler reports no finish reason or usage
    assert infos(fed + closed) == []
    assert asm.generation_info() == {}


@pytest.mark.parametrize(("handler_cls", "line"), LEGACY)
def test_legacy_last_line_without_newline_and_blank_lines(
    handler_cls: type[SeedHandler | LineHandler], line: Any
) -> None:
    wire = b"\n" + line("a") + b"\n\n\r\n" + line("b") + b"\n \n" + line("c")
    handler = handler_cls()
    asm = Assembler(LegacyHandler(handler), stop=None)
    fed, closed = stream(asm, [wire])
    assert texts(fed) == "ab"
    assert texts(closed) == "c"
    assert handler.seen == [line("a"), line("b"), line("c")]


@settings(max_examples=200, deadline=None)
@given(
    tokens=st.lists(st.text(CHARS, max_size=6), min_size=1, max_size=10),
    seed=st.integers(0, 2**32 - 1),
)
def test_legacy_random_tokens_random_splits(tokens: list[str], seed: int) -> None:
    lines = [seed_line(t) for t in tokens]
    handler = SeedHandler()
    asm = Assembler(LegacyHandler(handler), stop=None)
    fed, closed = stream(asm, random_parts(random.Random(seed), b"\n".join(lines)))
    assert texts(fed + closed) == "".join(tokens)
    assert handler.seen == lines


def test_legacy_stream_has_no_end_marker_to_miss() -> None:
    handler = LineHandler()
    asm = Assembler(LegacyHandler(handler), stop=None)
    fed, closed = stream(asm, [outputs_line("a") + b"\n"])
    assert texts(fed + closed) == "a"
    assert not asm.done


def test_legacy_stream_with_stop() -> None:
    lines = [outputs_line(t) for t in TOKENS]
    handler = LineHandler()
    asm = Assembler(LegacyHandler(handler), stop=["!"])
    fed, closed = stream(asm, [b"\n".join(lines)])
    assert texts(fed + closed) == " Hello, world"
    assert asm.stopped
    assert infos(closed) == [{"finish_reason": "stop"}]
    # no line after the stop is given to the handler
    assert handler.seen == lines[:5]


def test_legacy_handler_returning_non_str_is_a_parse_error() -> None:
    class Bad(LineHandler):
        def transform_output(self, output: Any) -> Any:
            return {"text": "x"}

    asm = Assembler(LegacyHandler(Bad()), stop=None)
    with pytest.raises(ResponseParseError, match="must return str"):
        asm.feed_bytes(b'{"x": 1}\n')


# --------------------------------------------------------------------------
# feed_body: a whole response through the same stop filter


ANSWER = "".join(TOKENS)


def tgi_body(text: str, generated_tokens: int) -> bytes:
    details = {
        "finish_reason": "length",
        "generated_tokens": generated_tokens,
        "seed": None,
        "prefill": [],
        "tokens": [],
    }
    body = [{"generated_text": text, "details": details}]
    return json.dumps(body, ensure_ascii=False).encode()


def _streamed(handler: Any, wire: bytes, stop: list[str] | None) -> Assembler:
    asm = Assembler(handler, stop=stop)
    stream(asm, random_parts(random.Random(0), wire))
    return asm


@pytest.mark.parametrize("wrap", [bytes, io.BytesIO], ids=["bytes", "bytesio"])
@pytest.mark.parametrize(
    ("stop", "expected"),
    [
        pytest.param(None, ANSWER, id="no-stop"),
        pytest.param(["world"], " Hello, ", id="stop"),
        pytest.param(["ab", "日本語"], " Hello, world! ", id="stop-multibyte"),
    ],
)
def test_tgi_feed_body_matches_stream(
    wrap: Any, stop: list[str] | None, expected: str
) -> None:
    asm = Assembler(TGIHandler(), stop=stop)
    chunks = asm.feed_body(wrap(tgi_body(ANSWER, len(TOKENS))))
    streamed = _streamed(TGIHandler(), b"".join(tgi_events(TOKENS)), stop)
    assert texts(chunks) == expected
    assert asm.text == streamed.text == expected
    assert asm.stopped == streamed.stopped == (stop is not None)
    # the non-streaming TGI response has no input_length: only completion tokens
    assert infos(chunks) == [
        {
            "finish_reason": "stop" if stop else "length",
            "token_usage": {"completion_tokens": 10},
        }
    ]


@pytest.mark.parametrize(
    ("handler_cls", "line", "wrap"),
    [
        pytest.param(SeedHandler, seed_line, io.BytesIO, id="read-style-bytesio"),
        pytest.param(LineHandler, outputs_line, bytes, id="loads-style-bytes"),
    ],
)
@pytest.mark.parametrize("stop", [None, ["world"], ["."]], ids=["none", "world", "dot"])
def test_legacy_feed_body_matches_stream(
    handler_cls: type[SeedHandler | LineHandler],
    line: Any,
    wrap: Any,
    stop: list[str] | None,
) -> None:
    handler = handler_cls()
    asm = Assembler(LegacyHandler(handler), stop=stop)
    body = wrap(line(ANSWER))
    wire = b"\n".join(line(t) for t in TOKENS)
    chunks = asm.feed_body(body)
    streamed = _streamed(LegacyHandler(handler_cls()), wire, stop)
    expected = reference_stop(ANSWER, stop or [])
    assert texts(chunks) == expected
    assert asm.text == streamed.text == expected
    # the body goes to transform_output as it is, once
    assert handler.seen == [body]
    assert infos(chunks) == ([{"finish_reason": "stop"}] if stop else [])


def test_feed_body_with_a_stop_in_the_first_characters() -> None:
    asm = Assembler(TGIHandler(), stop=[" Hel"])
    chunks = asm.feed_body(tgi_body(ANSWER, 10))
    info = {"finish_reason": "stop", "token_usage": {"completion_tokens": 10}}
    assert chunks == [GenerationChunk(text="", generation_info=info)]
    assert asm.text == ""
