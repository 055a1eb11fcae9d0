"""Encoder for the AWS event-stream binary framing used by SageMaker streams.

``InvokeEndpointWithResponseStream`` answers with a body of content type
``application/vnd.amazon.eventstream``: a sequence of binary messages, each
framed as (all integers big-endian)::

    prelude   total length (uint32) | headers length (uint32) | prelude CRC32
    headers   name length (uint8) | name | type (uint8) | value
              (type 7 = string: value length (uint16) | UTF-8 value)
    payload   raw bytes
    trailer   CRC32 of everything before it (prelude included)

The decoder this must satisfy is botocore's ``botocore.eventstream``
(``EventStreamBuffer``, ``EventStreamHeaderParser``; its limits are 128 KiB of
headers and 24 MiB of payload per message). The event and exception shapes
come from botocore's ``sagemaker-runtime/2017-05-13/service-2.json``:
``ResponseStream`` has the members ``PayloadPart`` (an event whose ``Bytes``
blob is the whole payload), ``ModelStreamError`` (``Message``, ``ErrorCode``)
and ``InternalStreamFailure`` (``Message``).
"""

from __future__ import annotations

import json
import struct
from binascii import crc32
from collections.abc import Mapping

__all__ = [
    "EVENTSTREAM_CONTENT_TYPE",
    "MAX_HEADERS_LENGTH",
    "MAX_PAYLOAD_LENGTH",
    "encode_headers",
    "encode_message",
    "internal_stream_failure",
    "model_stream_error",
    "payload_part",
]

#: Content type of an event-stream HTTP body.
EVENTSTREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"

#: Largest headers section botocore accepts (``_MAX_HEADERS_LENGTH``).
MAX_HEADERS_LENGTH = 128 * 1024
#: Largest payload botocore accepts in one message (``_MAX_PAYLOAD_LENGTH``).
MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024

_PRELUDE_LENGTH = 12
_CRC_LENGTH = 4
_STRING_TYPE = 7
_MAX_NAME_LENGTH = 0xFF
_MAX_STRING_LENGTH = 0xFFFF


def _crc(data: bytes, value: int = 0) -> int:
    return crc32(data, value) & 0xFFFFFFFF


def encode_headers(headers: Mapping[str, str]) -> bytes:
    """Encode event-stream headers, all as strings (header type 7).

    Args:
        headers: Header names and values, written in the mapping's order.

    Returns:
        The encoded headers section.

    Raises:
        ValueError: If a name is empty or longer than 255 UTF-8 bytes, or a
            value is longer than 65535 UTF-8 bytes.
    """
    out = bytearray()
    for name, value in headers.items():
        raw_name = name.encode("utf-8")
        raw_value = value.encode("utf-8")
        if not 0 < len(raw_name) <= _MAX_NAME_LENGTH:
            raise ValueError(f"event-stream header name has bad length: {name!r}")
        if len(raw_value) > _MAX_STRING_LENGTH:
            raise ValueError(f"event-stream header {name!r} value is too long")
        out += struct.pack("!B", len(raw_name))
        out += raw_name
        out += struct.pack("!BH", _STRING_TYPE, len(raw_value))
        out += raw_value
    return bytes(out)


def encode_message(headers: Mapping[str, str], payload: bytes = b"") -> bytes:
    """Frame one event-stream message.

    Args:
        headers: String headers of the message.
        payload: The message payload.

    Returns:
        The whole message: prelude, headers, payload and message CRC.

    Raises:
        ValueError: If the headers or payload exceed botocore's limits.
    """
    raw_headers = encode_headers(headers)
    if len(raw_headers) > MAX_HEADERS_LENGTH:
        raise ValueError("event-stream headers exceed 128 KiB")
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise ValueError("event-stream payload exceeds 24 MiB")
    total = _PRELUDE_LENGTH + len(raw_headers) + len(payload) + _CRC_LENGTH
    lengths = struct.pack("!II", total, len(raw_headers))
    prelude = lengths + struct.pack("!I", _crc(lengths))
    body = prelude + raw_headers + payload
    return body + struct.pack("!I", _crc(body))


def payload_part(data: bytes) -> bytes:
    """Encode a ``PayloadPart`` event carrying ``data`` as its ``Bytes``.

    Args:
        data: A piece of the model container's response body.

    Returns:
        The framed event.
    """
    return encode_message(
        {
            ":event-type": "PayloadPart",
            ":content-type": "application/octet-stream",
            ":message-type": "event",
        },
        data,
    )


def _exception(exception_type: str, fields: Mapping[str, str]) -> bytes:
    return encode_message(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        json.dumps(dict(fields), separators=(",", ":")).encode("utf-8"),
    )


def model_stream_error(
    message: str, error_code: str = "ModelInvocationTimeExceeded"
) -> bytes:
    """Encode a ``ModelStreamError`` exception event.

    botocore raises it from the event iterator as
    ``botocore.exceptions.EventStreamError`` with ``Error.Code`` equal to
    ``"ModelStreamError"`` and ``Error.Message`` equal to ``message``.

    Args:
        message: Human readable description.
        error_code: SageMaker's documented codes are
            ``"ModelInvocationTimeExceeded"`` and ``"StreamBroken"``.

    Returns:
        The framed exception event.
    """
    return _exception("ModelStreamError", {"Message": message, "ErrorCode": error_code})


def internal_stream_failure(message: str) -> bytes:
    """Encode an ``InternalStreamFailure`` exception event.

    Args:
        message: Human readable description.

    Returns:
        The framed exception event.
    """
    return _exception("InternalStreamFailure", {"Message": message})
