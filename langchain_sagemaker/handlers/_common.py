"""Helpers shared by the built-in handlers.

Parameter spelling (:class:`ParamStyle`), usage and finish-reason reading,
the errors a handler raises (wrong shape, an error reported by the container,
a container that cannot stream), and reading one line of a stream that may be
JSON lines or server-sent events (:func:`sse_line`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeGuard

from langchain_sagemaker.errors import (
    ConfigurationError,
    ModelError,
    ResponseParseError,
    StreamError,
)
from langchain_sagemaker.handlers import _detect
from langchain_sagemaker.handlers._json import mismatch
from langchain_sagemaker.handlers.base import ModelHandler

__all__ = [
    "BuiltinHandler",
    "ParamStyle",
    "cannot_stream",
    "error_message",
    "error_status",
    "finish_reason_of",
    "is_number",
    "model_error",
    "sse_line",
    "stream_error",
    "unreadable",
    "usage_of",
    "wrong_shape",
]

Greedy = Literal["keep", "zero", "do_sample", "reject"]
"""What ``temperature <= 0`` (LangChain's "greedy") becomes for a container."""

_SSE_FIELDS = (b"event", b"id", b"retry")


def is_number(value: Any) -> TypeGuard[int | float]:
    """True for an ``int`` or ``float`` that is not a ``bool``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass(frozen=True)
class ParamStyle:
    """How one container spells LangChain's common generation parameters.

    Attributes:
        max_tokens: The container's name for ``max_tokens``.
        greedy: What ``temperature <= 0`` becomes: ``"keep"`` sends it as is,
            ``"zero"`` sends ``0.0``, ``"do_sample"`` drops it and sends
            ``do_sample: false``, ``"reject"`` raises ``ConfigurationError``.
        sample_flag: Send ``do_sample: true`` along with a positive temperature.
        top_p_below_one: Drop ``top_p >= 1`` (the container requires ``< 1``).
        stop_key: The parameter stop sequences go in; ``None`` when the
            container has none (stops are then applied client-side only).
        max_stop: Send at most this many stop sequences (``None``: all).

    Example:
        ```python
        style = ParamStyle("max_new_tokens", greedy="do_sample", stop_key="stop")
        style.apply({"max_tokens": 64, "temperature": 0}, ["###"], handler="x")
        # {"max_new_tokens": 64, "do_sample": False, "stop": ["###"]}
        ```
    """

    max_tokens: str
    greedy: Greedy = "keep"
    sample_flag: bool = False
    top_p_below_one: bool = False
    stop_key: str | None = None
    max_stop: int | None = None

    def apply(
        self, params: Mapping[str, Any], stop: Sequence[str], *, handler: str
    ) -> dict[str, Any]:
        """Return ``params`` with the common names spelled for the container.

        Parameters the container already names (e.g. ``max_new_tokens``) win
        over LangChain's (``max_tokens``); other parameters pass through, in
        their order.
        """
        out = _renamed(params, "max_tokens", self.max_tokens)
        temperature = out.get("temperature")
        if is_number(temperature) and temperature <= 0:
            self._greedy(out, handler)
        elif is_number(temperature) and self.sample_flag:
            out.setdefault("do_sample", True)
        top_p = out.get("top_p")
        if self.top_p_below_one and is_number(top_p) and top_p >= 1:
            del out["top_p"]
        if stop and self.stop_key is not None:
            out[self.stop_key] = list(stop[: self.max_stop] if self.max_stop else stop)
        return out

    def _greedy(self, out: dict[str, Any], handler: str) -> None:
        if self.greedy == "zero":
            out["temperature"] = 0.0
        elif self.greedy == "do_sample":
            del out["temperature"]
            out.setdefault("do_sample", False)
        elif self.greedy == "reject":
            msg = (
                f"The {handler!r} content handler's container needs temperature > 0 "
                f"(got {out['temperature']!r}) and has no greedy switch. What to "
                "do: drop `temperature`, or use a small positive value such as 0.01."
            )
            raise ConfigurationError(msg)


def _renamed(params: Mapping[str, Any], old: str, new: str) -> dict[str, Any]:
    """``params`` with the key ``old`` renamed ``new`` in place (``new`` wins)."""
    if old == new or old not in params:
        return dict(params)
    return {
        (new if key == old else key): value
        for key, value in params.items()
        if not (key == old and new in params)
    }


def usage_of(
    prompt: Any = None, completion: Any = None, total: Any = None
) -> dict[str, int] | None:
    """Token usage in LangChain's keys, from the counts a container reported.

    Only non-negative integers are kept; ``total_tokens`` is the reported
    total, or the sum when both parts were reported and the total was not.
    """
    usage: dict[str, int] = {}
    if _is_count(prompt):
        usage["prompt_tokens"] = prompt
    if _is_count(completion):
        usage["completion_tokens"] = completion
    if _is_count(total):
        usage["total_tokens"] = total
    elif _is_count(prompt) and _is_count(completion):
        usage["total_tokens"] = prompt + completion
    return usage or None


def details_usage(details: Mapping[str, Any]) -> dict[str, int] | None:
    """Token usage from TGI-style ``details``: ``input_length``, ``generated_tokens``.

    TGI reports ``input_length`` on streams only; LMI's TGI-compatible output
    uses the same keys.
    """
    return usage_of(details.get("input_length"), details.get("generated_tokens"))


def finish_reason_of(value: Any) -> str | None:
    """The finish reason as the container said it, if it is a non-empty string."""
    return value if isinstance(value, str) and value else None


def error_message(data: Any) -> str | None:
    """The message of an error object a container answered with, if it is one.

    Reads ``{"error": "..."}`` (TGI, LMI, JumpStart scripts),
    ``{"error": {"message": ...}}`` (vLLM, TGI's chat stream, OpenAI),
    ``{"object": "error", "message": ...}`` (older vLLM) and
    ``{"code", "type", "message"}`` (the model servers of the HF toolkit and
    JumpStart).
    """
    if not isinstance(data, dict):
        return None
    if data.get("object") == "error":
        return str(data.get("message", "error"))
    error = data.get("error")
    if error is None or error is False:
        return _server_error(data)
    if isinstance(error, dict):
        detail = error.get("message", error.get("error_msg"))
        return str(detail) if detail is not None else json.dumps(error)
    return str(error)


def _server_error(data: Mapping[str, Any]) -> str | None:
    """The message of a model server's own error body (MMS / sagemaker-inference).

    ``{"code": 400, "type": "InternalServerException", "message": "..."}``.
    """
    if (
        isinstance(data.get("code"), int)
        and isinstance(data.get("message"), str)
        and data.keys() <= {"code", "type", "message"}
    ):
        return str(data["message"])
    return None


def error_status(data: Any) -> Any:
    """The HTTP status an error body names (``code``, ``http_status_code``)."""
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, dict):
        return error.get("code", error.get("http_status_code"))
    return data.get("code")


def unreadable(handler: str, data: Any, why: str) -> Exception:
    """The error for a whole response a handler cannot read.

    A :class:`ModelError` when the response is the container's error body,
    else the "wrong shape" :class:`ResponseParseError`.
    """
    message = error_message(data)
    if message is not None:
        return model_error(handler, message, error_status(data))
    return wrong_shape(handler, data, why)


def stream_error(handler: str, message: str) -> StreamError:
    """The error for an error event inside a response stream."""
    return StreamError(
        {"Error": {"Code": "ModelStreamError", "Message": f"{handler}: {message}"}},
        "InvokeEndpointWithResponseStream",
    )


def model_error(handler: str, message: str, status: Any = None) -> ModelError:
    """The error for a whole response that carries the container's error."""
    response: dict[str, Any] = {
        "Error": {"Code": "ModelError", "Message": f"{handler}: {message}"},
        "OriginalMessage": message,
    }
    if isinstance(status, int) and not isinstance(status, bool):
        response["OriginalStatusCode"] = status
    return ModelError(response, "InvokeEndpoint")


def cannot_stream(handler: str, container: str, instead: str) -> ConfigurationError:
    """The error for a streaming call to a container that cannot stream."""
    msg = (
        f"The {handler!r} content handler's container ({container}) cannot stream: "
        "it always answers with one whole response. What to do: call the model "
        f"without streaming (streaming=False, invoke instead of stream), or {instead}."
    )
    return ConfigurationError(msg)


def sse_line(line: bytes) -> tuple[bytes | None, bool]:
    """Read one stream line that may be a JSON line or a server-sent-event line.

    Returns ``(payload, is_sse)``: the ``data`` of a ``data:`` line (one
    optional space after the colon removed, as TGI writes ``data:{...}`` and
    vLLM ``data: {...}``), ``None`` for SSE comments (``: keep-alive``) and
    other SSE fields, or the line itself when it is not SSE. Server-sent
    events whose data spans several ``data:`` lines are not joined; none of
    the supported containers writes them.
    """
    if line.startswith(b"data:"):
        value = line[5:]
        value = value[1:] if value.startswith(b" ") else value
        return (value if value.strip() else None), True
    if line.startswith(b":") or line == b"data":
        return None, True
    field = line.split(b":", 1)[0]
    if field in _SSE_FIELDS and b":" in line:
        return None, True
    return line, False


def wrong_shape(
    handler: str,
    data: Any,
    why: str,
    *,
    stream: bool = False,
    sse: bool = False,
) -> ResponseParseError:
    """The error for a response (or stream event) of the wrong shape.

    Names the handler, shows a snippet, and lists in ``candidates`` the
    built-in handlers that do read it, so the message says what to use.
    """
    candidates = tuple(
        name
        for name in (
            _detect.event_readers(data, sse=sse)
            if stream
            else _detect.response_readers(data)
        )
        if name != handler
    )
    if stream and not candidates:
        whole = tuple(n for n in _detect.response_readers(data) if n != handler)
        if _detect.response_readers(data):
            why += (
                "; it is a whole (non-streaming) response, so the container did "
                "not stream (call it without streaming)"
            )
            candidates = whole
    snippet = mismatch(handler, data, why).snippet
    if candidates:
        todo = "use the content handler of the container that answered (below)"
    else:
        todo = (
            "pick the content handler that matches the model container "
            "(langchain_sagemaker.list_handlers()), or write an LLMContentHandler"
        )
    msg = (
        f"The {handler!r} content handler cannot read the endpoint's "
        f"{'stream' if stream else 'response'}: {why}. What to do: {todo}."
    )
    return ResponseParseError(msg, snippet=snippet, candidates=candidates)


class BuiltinHandler(ModelHandler):
    """Base of this package's built-in handlers: a display label for errors.

    ``label`` is the name errors use; it defaults to ``name`` and is changed
    by the ``auto`` handler for the dialect readers it delegates to.

    Example:
        ```python
        class MyHandler(BuiltinHandler):
            name = "mine"
            ...  # request_body, parse_response, parse_event
        ```
    """

    label: str | None = None
    """The handler name shown in errors (``None``: ``name``)."""

    streams: ClassVar[bool] = True
    """Whether the container can stream; if not, streaming calls are refused."""

    container: ClassVar[str] = ""
    """The container, as named in the "cannot stream" error."""

    instead: ClassVar[str] = ""
    """What to use instead to stream, as said in the "cannot stream" error."""

    @property
    def who(self) -> str:
        """The name errors show for this handler."""
        return self.label or self.name

    def check_stream(self, stream: bool) -> None:
        """Raise ``ConfigurationError`` for a streaming call it cannot serve."""
        if stream and not self.streams:
            raise cannot_stream(self.who, self.container, self.instead)
