"""The event-stream encoder against botocore's own decoder."""

from __future__ import annotations

import json
import struct
from binascii import crc32
from collections.abc import Iterator

import botocore.session
import pytest
from botocore.eventstream import ChecksumMismatch, EventStream, EventStreamBuffer
from botocore.exceptions import EventStreamError
from botocore.parsers import EventStreamJSONParser
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_sagemaker.local.eventstream import (
    EVENTSTREAM_CONTENT_TYPE,
    encode_headers,
    encode_message,
    internal_stream_failure,
    model_stream_error,
    payload_part,
)


def decode(data: bytes) -> list[tuple[dict[str, object], bytes]]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return [(message.headers, message.payload) for message in buffer]


PAYLOAD_CASES = [
    pytest.param(b"", id="empty"),
    pytest.param(b"x", id="one-byte"),
    pytest.param(b'data: {"token":{"text":"hi"}}\n\n', id="sse-event"),
    pytest.param("héllo wörld — 日本語 🎉".encode(), id="unicode"),
    pytest.param(bytes(range(256)) * 4, id="binary"),
    pytest.param(b"a" * (1024 * 1024 + 7), id="large-1MiB"),
]


@pytest.mark.parametrize("payload", PAYLOAD_CASES)
def test_payload_part_round_trips(payload: bytes) -> None:
    [(headers, decoded)] = decode(payload_part(payload))
    assert headers == {
        ":event-type": "PayloadPart",
        ":content-type": "application/octet-stream",
        ":message-type": "event",
    }
    assert decoded == payload


def test_prelude_layout_and_crcs() -> None:
    message = encode_message({"a": "b"}, b"xyz")
    total, headers_length, prelude_crc = struct.unpack("!III", message[:12])
    assert total == len(message)
    assert headers_length == len(encode_headers({"a": "b"})) == 1 + 1 + 1 + 2 + 1
    assert prelude_crc == crc32(message[:8])
    assert struct.unpack("!I", message[-4:])[0] == crc32(message[:-4])


@pytest.mark.parametrize(
    ("encoded", "exception_type", "fields"),
    [
        pytest.param(
            model_stream_error("timed out", "ModelInvocationTimeExceeded"),
            "ModelStreamError",
            {"Message": "timed out", "ErrorCode": "ModelInvocationTimeExceeded"},
            id="model-stream-error",
        ),
        pytest.param(
            model_stream_error("ünïcode broke", "StreamBroken"),
            "ModelStreamError",
            {"Message": "ünïcode broke", "ErrorCode": "StreamBroken"},
            id="model-stream-error-unicode",
        ),
        pytest.param(
            internal_stream_failure("oops"),
            "InternalStreamFailure",
            {"Message": "oops"},
            id="internal-stream-failure",
        ),
    ],
)
def test_exception_events(
    encoded: bytes, exception_type: str, fields: dict[str, str]
) -> None:
    [(headers, payload)] = decode(encoded)
    assert headers == {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    assert json.loads(payload) == fields


def test_unicode_header_values_round_trip() -> None:
    headers = {"name": "välue ☃", ":event-type": "PayloadPart", "empty": ""}
    [(decoded, payload)] = decode(encode_message(headers, b"p"))
    assert decoded == headers
    assert payload == b"p"


@pytest.mark.parametrize(
    "headers",
    [{"": "x"}, {"n" * 256: "x"}, {"n": "v" * 65536}],
    ids=["empty-name", "long-name", "long-value"],
)
def test_header_limits_are_enforced(headers: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="event-stream header"):
        encode_headers(headers)


def test_payload_limit_is_enforced() -> None:
    with pytest.raises(ValueError, match="24 MiB"):
        encode_message({}, b"\0" * (24 * 1024 * 1024 + 1))


def test_a_corrupted_byte_is_detected() -> None:
    message = bytearray(payload_part(b"hello"))
    message[-6] ^= 0xFF
    with pytest.raises(ChecksumMismatch):
        decode(bytes(message))


def test_split_at_every_byte_position_still_parses() -> None:
    stream = (
        payload_part("naïve ".encode())
        + payload_part(b"")
        + payload_part(b"data: {}\n\n")
        + model_stream_error("late", "StreamBroken")
    )
    expected = decode(stream)
    assert len(expected) == 4
    for cut in range(len(stream) + 1):
        buffer = EventStreamBuffer()
        got = []
        for piece in (stream[:cut], stream[cut:]):
            buffer.add_data(piece)
            got.extend((m.headers, m.payload) for m in buffer)
        assert got == expected, cut


def test_byte_at_a_time_feed_parses() -> None:
    stream = b"".join(payload_part(bytes([i]) * i) for i in range(20))
    buffer = EventStreamBuffer()
    payloads = []
    for i in range(len(stream)):
        buffer.add_data(stream[i : i + 1])
        payloads.extend(m.payload for m in buffer)
    assert payloads == [bytes([i]) * i for i in range(20)]


@settings(max_examples=200, deadline=None)
@given(
    headers=st.dictionaries(
        st.text(min_size=1, max_size=40).filter(lambda s: len(s.encode()) <= 255),
        st.text(max_size=200),
        max_size=6,
    ),
    payload=st.binary(max_size=2048),
)
def test_any_string_headers_and_payload_round_trip(
    headers: dict[str, str], payload: bytes
) -> None:
    [(decoded_headers, decoded_payload)] = decode(encode_message(headers, payload))
    assert decoded_headers == headers
    assert decoded_payload == payload


# --- through botocore's modeled parser for the SageMaker Runtime stream --------


class _Raw:
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def stream(self) -> Iterator[bytes]:
        yield from self._chunks

    def close(self) -> None:
        pass


def sagemaker_event_stream(chunks: list[bytes]) -> EventStream:
    model = botocore.session.get_session().get_service_model("sagemaker-runtime")
    operation = model.operation_model("InvokeEndpointWithResponseStream")
    shape = operation.output_shape.members["Body"]
    return EventStream(_Raw(chunks), shape, EventStreamJSONParser(), operation.name)


def test_botocore_parses_payload_parts_as_the_model_says() -> None:
    events = list(
        sagemaker_event_stream(
            [payload_part(b"ab") + payload_part(b"c")[:5], payload_part(b"c")[5:]]
        )
    )
    assert events == [
        {"PayloadPart": {"Bytes": b"ab"}},
        {"PayloadPart": {"Bytes": b"c"}},
    ]


@pytest.mark.parametrize(
    ("event", "code", "message"),
    [
        (model_stream_error("took too long"), "ModelStreamError", "took too long"),
        (internal_stream_failure("boom"), "InternalStreamFailure", "boom"),
    ],
)
def test_botocore_raises_exception_events(
    event: bytes, code: str, message: str
) -> None:
    stream = sagemaker_event_stream([payload_part(b"first"), event])
    iterator = iter(stream)
    assert next(iterator) == {"PayloadPart": {"Bytes": b"first"}}
    with pytest.raises(EventStreamError) as caught:
        next(iterator)
    assert caught.value.response["Error"] == {"Code": code, "Message": message}


def test_content_type_constant() -> None:
    assert EVENTSTREAM_CONTENT_TYPE == "application/vnd.amazon.eventstream"
