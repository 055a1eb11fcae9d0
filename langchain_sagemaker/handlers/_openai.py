"""The OpenAI response shape, shared by ``openai``, ``openai-chat`` and ``tgi-messages``.

Read from vLLM's ``vllm/entrypoints/openai/protocol.py`` (``CompletionResponse``,
``CompletionStreamResponse``, ``ChatCompletionResponse``,
``ChatCompletionStreamResponse``, ``UsageInfo``, ``StreamOptions``) and
``serving_completion.py`` / ``serving_chat.py``, and TGI's ``router/src/lib.rs``
(``ChatCompletion``, ``ChatCompletionChunk``, ``Usage``) and ``chat.rs``:

* response: ``{"choices": [{"index": 0, "text" | "message": ..., "finish_reason"}],
  "usage": {"prompt_tokens", "completion_tokens", "total_tokens"}}``
* stream: one chunk per event, ``choices[0].text`` or ``choices[0].delta.content``
  (``null`` in role-only and tool-call chunks); with
  ``stream_options.include_usage`` a last chunk with ``"choices": []`` and the
  ``usage``; then ``data: [DONE]`` (vLLM) / ``data:[DONE]`` (TGI).
* errors inside a stream: ``{"error": {"message": ...}}`` (vLLM; TGI's chat
  stream adds ``http_status_code``), or ``{"object": "error", ...}`` (older vLLM).

The stream is read line by line, as server-sent events or as JSON lines: DJL
LMI serves chat completions as JSON lines (``output_formatter.py``
``_jsonlines_chat_output_formatter``; the vLLM async mode drops vLLM's
``data:`` prefix and its ``[DONE]``). JSON lines have no ``[DONE]``, so there
the chunk with a ``finish_reason`` ends the stream (a usage-only chunk after
it is not read).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from langchain_sagemaker.handlers._common import (
    BuiltinHandler,
    ParamStyle,
    error_message,
    error_status,
    finish_reason_of,
    model_error,
    sse_line,
    stream_error,
    usage_of,
    wrong_shape,
)
from langchain_sagemaker.handlers._json import dumps, loads
from langchain_sagemaker.handlers.base import Delta, Framing

__all__ = ["OpenAIShapeHandler"]

INCLUDE_USAGE = {"include_usage": True}
"""``stream_options`` sent with streaming requests (never without: vLLM
rejects ``stream_options`` unless ``"stream": true``)."""


def openai_usage(data: Mapping[str, Any]) -> dict[str, int] | None:
    """The ``usage`` object of an OpenAI-style response or chunk, normalised."""
    raw = data.get("usage")
    if not isinstance(raw, dict):
        return None
    return usage_of(
        raw.get("prompt_tokens"), raw.get("completion_tokens"), raw.get("total_tokens")
    )


def first_choice(choices: list[Any]) -> dict[str, Any] | None:
    """The first choice (``index`` 0); other choices (``n > 1``) are ignored."""
    for choice in choices:
        if isinstance(choice, dict) and choice.get("index", 0) == 0:
            return choice
    return None


@dataclass(frozen=True)
class Chunk:
    """One OpenAI-style stream chunk: the event, its choices, its framing."""

    event: dict[str, Any]
    choices: list[Any]
    sse: bool
    done: bool = False


def read_chunk(data: bytes, who: str, framing: str) -> Chunk | None:
    """Read one OpenAI-style stream chunk.

    Returns ``None`` for lines that carry nothing (SSE comments, blank), a
    ``done`` chunk for ``[DONE]``; raises ``StreamError`` for an error event
    and ``ResponseParseError`` for a chunk without a ``choices`` list. Shared
    by the completion handlers and the chat dialects.
    """
    payload, sse = sse_line(data)
    if payload is None:
        return None
    if payload.strip() == b"[DONE]":
        return Chunk({}, [], sse, done=True)
    sse = sse or framing == "sse"
    event = loads(payload, handler=who)
    choices = event.get("choices") if isinstance(event, dict) else None
    message = error_message(event)
    if message is not None and not choices:
        raise stream_error(who, message)
    if not isinstance(choices, list):
        raise wrong_shape(
            who, event, 'a stream event has no "choices" list', stream=True, sse=sse
        )
    return Chunk(event, choices, sse)


class OpenAIShapeHandler(BuiltinHandler):
    """Base of the OpenAI-shaped handlers: completions or chat over one prompt.

    Subclasses say how the prompt goes in the body (:meth:`payload`) and where
    the text is in a choice (:meth:`choice_text`, :meth:`delta_text`).

    Example:
        ```python
        class MyCompletions(OpenAIShapeHandler):
            name = "my-openai"
            style = ParamStyle("max_tokens", stop_key="stop")

            def payload(self, prompt):
                return {"prompt": prompt}

            def choice_text(self, choice):
                return choice.get("text")

            delta_text = choice_text
        ```
    """

    framing: ClassVar[Framing] = "lines"
    server_side_stop: ClassVar[bool] = True
    has_end_marker: ClassVar[bool] = True
    style: ClassVar[ParamStyle] = ParamStyle("max_tokens", stop_key="stop")
    """How the common parameters are spelled (OpenAI's names by default)."""

    @abstractmethod
    def payload(self, prompt: str) -> dict[str, Any]:
        """The body's prompt part (``{"prompt": ...}`` or ``{"messages": [...]}``)."""

    @abstractmethod
    def choice_text(self, choice: Mapping[str, Any]) -> str | None:
        """The text of a response choice; ``None`` if it is of the wrong shape."""

    @abstractmethod
    def delta_text(self, choice: Mapping[str, Any]) -> str | None:
        """The text of a stream chunk's choice; ``None`` if of the wrong shape."""

    def request_body(
        self,
        prompt: str,
        params: Mapping[str, Any],
        *,
        stop: list[str],
        stream: bool,
    ) -> bytes:
        """Build the prompt part, the parameters, and the stream options."""
        body = self.payload(prompt)
        body.update(self.style.apply(params, stop, handler=self.who))
        body.pop("stream", None)
        if stream:
            body["stream"] = True
            body["stream_options"] = body.pop("stream_options", dict(INCLUDE_USAGE))
        else:
            body.pop("stream_options", None)
        return dumps(body)

    def parse_response(self, body: bytes) -> Delta:
        """Read ``choices[0]``, its ``finish_reason``, and ``usage``."""
        data = loads(body, handler=self.who)
        choices = data.get("choices") if isinstance(data, dict) else None
        message = error_message(data)
        if message is not None and not choices:
            raise model_error(self.who, message, error_status(data))
        if not isinstance(choices, list) or not choices:
            raise wrong_shape(self.who, data, 'no "choices" list in it')
        choice = first_choice(choices)
        text = None if choice is None else self.choice_text(choice)
        if choice is None or text is None:
            raise wrong_shape(self.who, data, self._text_missing(stream=False))
        return Delta(
            text=text,
            finish_reason=finish_reason_of(choice.get("finish_reason")),
            usage=openai_usage(data),
            done=True,
        )

    def parse_event(self, data: bytes) -> Delta | None:
        """Read one chunk; ``[DONE]`` ends the stream (see the module notes)."""
        chunk = read_chunk(data, self.who, self.framing)
        if chunk is None:
            return None
        if chunk.done:
            return Delta(done=True)
        event, choices, sse = chunk.event, chunk.choices, chunk.sse
        usage = openai_usage(event)
        choice = first_choice(choices)
        if choice is None:
            return Delta(usage=usage) if usage else None
        text = self.delta_text(choice)
        if text is None:
            raise wrong_shape(
                self.who, event, self._text_missing(stream=True), stream=True, sse=sse
            )
        finish = finish_reason_of(choice.get("finish_reason"))
        return Delta(
            text=text,
            finish_reason=finish,
            usage=usage,
            done=finish is not None and not sse,
        )

    def _text_missing(self, *, stream: bool) -> str:
        where = "stream event's" if stream else "response's"
        return f"the {where} first choice has no text where {self.who!r} reads it"
