"""Small JSON helpers shared by the built-in handlers."""

from __future__ import annotations

import json
from typing import Any

from langchain_sagemaker.errors import ResponseParseError

__all__ = ["dumps", "loads"]

_SNIPPET = 300


def loads(data: bytes | str, *, handler: str) -> Any:
    """Parse JSON, raising ``ResponseParseError`` with a snippet on failure.

    UTF-8 (what containers send) is decoded directly, which skips
    ``json.loads``'s encoding sniffing on every stream event; a BOM or another
    Unicode encoding still goes through the sniffing.
    """
    try:
        if isinstance(data, bytes) and not data.startswith(b"\xef\xbb\xbf"):
            try:
                return json.loads(data.decode("utf-8"))
            except UnicodeDecodeError:
                pass  # UTF-16 / UTF-32: let json detect it
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise mismatch(handler, data, f"it is not JSON ({exc})") from exc


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(obj: Any) -> bytes:
    """Serialize a request body as compact UTF-8 JSON."""
    return _ENCODER.encode(obj).encode("utf-8")


def mismatch(handler: str, data: bytes | str | Any, why: str) -> ResponseParseError:
    """Build the error for a response the handler ``handler`` cannot read."""
    if isinstance(data, (bytes, bytearray)):
        text = bytes(data[: _SNIPPET * 4]).decode("utf-8", "replace")
    elif isinstance(data, str):
        text = data
    else:
        text = json.dumps(data, ensure_ascii=False, default=str)
    msg = (
        f"The {handler!r} content handler cannot read the endpoint's response: {why}. "
        "What to do: pick the content handler that matches the model container "
        "(see langchain_sagemaker.list_handlers())."
    )
    return ResponseParseError(msg, snippet=text[:_SNIPPET])
