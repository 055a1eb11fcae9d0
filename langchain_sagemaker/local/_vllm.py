"""What vLLM's OpenAI-compatible server does alike for every request type.

Shared by the ``openai`` (completions, chat) and ``openai-embeddings``
containers: pydantic's lax coercion of request fields, the error a request is
refused with and its two JSON shapes, and the front of ``/invocations``
(media type, FastAPI's JSON read, "Cannot find suitable handler").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from langchain_sagemaker.local.common import compact_json, read_fastapi_json
from langchain_sagemaker.local.container import ContainerRequest, ContainerResponse

__all__ = [
    "ERROR_FORMATS",
    "Invalid",
    "Rejected",
    "check_error_format",
    "error_dict",
    "error_response",
    "lax_bool",
    "lax_float",
    "lax_int",
    "parse_request",
]

JSON = "application/json"
ERROR_FORMATS = ("object", "nested")
"""``"object"``: ``{"object": "error", ...}``; ``"nested"`` (vLLM >= 0.10.1):
``{"error": {...}}``."""

_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}

T = TypeVar("T")


class Invalid(Exception):
    """The body does not validate as the request model (a pydantic error)."""


class Rejected(Exception):
    """A request vLLM answers with an error response."""

    def __init__(self, message: str, kind: str = "BadRequestError", code: int = 400):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.code = code


# --- pydantic-style field coercion (lax mode) -------------------------------------


def lax_float(value: Any) -> float:
    """A ``float`` field: numbers, bools and numeric strings."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise Invalid from None
    raise Invalid


def lax_int(value: Any) -> int:
    """An ``int`` field: ints, bools, integral floats and numeric strings."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise Invalid from None
    raise Invalid


def lax_bool(value: Any) -> bool:
    """A ``bool`` field: bools, 0 / 1 and pydantic's yes / no strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise Invalid


# --- errors -----------------------------------------------------------------------


def check_error_format(error_format: str) -> str:
    """Return ``error_format`` if it is one of :data:`ERROR_FORMATS`."""
    if error_format not in ERROR_FORMATS:
        raise ValueError('error_format must be "object" or "nested"')
    return error_format


def error_dict(error: Rejected, error_format: str) -> dict[str, Any]:
    """The ``ErrorResponse`` vLLM answers for ``error``, in ``error_format``."""
    detail = {
        "message": error.message,
        "type": error.kind,
        "param": None,
        "code": error.code,
    }
    if error_format == "nested":
        return {"error": detail}
    return {"object": "error", **detail}


def error_response(error: Rejected, error_format: str) -> ContainerResponse:
    """The HTTP answer for ``error``."""
    body = compact_json(error_dict(error, error_format))
    return ContainerResponse(status=error.code, content_type=JSON, body=body)


# --- the front of /invocations ----------------------------------------------------


def parse_request(
    request: ContainerRequest,
    parsers: Sequence[Callable[[Any], T]],
    handlers: Sequence[str],
) -> T | ContainerResponse:
    """Read a request as vLLM's ``/invocations`` does.

    Checks the media type, reads the body as FastAPI does (returning FastAPI's
    own answer for a body that is not JSON), then tries the request models in
    order: the first parser that does not raise :class:`Invalid` wins.

    Raises:
        Rejected: For another media type, or a body no parser validates
            ("Cannot find suitable handler", naming ``handlers``).
    """
    media = (request.content_type or "").lower().split(";", 1)[0]
    if media != JSON:
        raise Rejected(
            "[\"Unsupported Media Type: Only 'application/json' is allowed\"]"
        )
    raw, refused = read_fastapi_json(request.body)
    if refused is not None:
        return refused
    for parse in parsers:
        try:
            return parse(raw)
        except Invalid:
            continue
    raise Rejected(
        f"Cannot find suitable handler for request. Expected one of: {list(handlers)}"
    )
