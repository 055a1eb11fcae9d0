"""The built-in chat dialects: OpenAI chat completions and TGI's Messages API.

``openai-chat`` serves vLLM (``vllm/entrypoints/openai/protocol.py``,
``serving_chat.py``, ``tool_parsers/``), DJL LMI with the OpenAI schema,
SGLang and llama.cpp's server; ``tgi-messages`` serves Hugging Face TGI
(``router/src/lib.rs``, ``router/src/chat.rs``). Both take
``{"messages", "tools", "tool_choice", "response_format", ...}`` and answer
``choices[0].message`` / ``choices[0].delta``; they differ where TGI does:

* a whole TGI tool-call answer has no ``content`` key, the id ``"0"``,
  ``finish_reason`` ``"stop"`` and ``arguments`` as a JSON *object*;
* a TGI tool-call stream repeats ``role`` / ``id`` / ``type`` in every chunk,
  names the function only in the first, and sends no ``finish_reason``
  (TGI 2.0 even sent ``tool_calls`` as one object, not a list);
* TGI's ``response_format`` is ``{"type": "json", "value": schema}`` and
  cannot be combined with tools ("Grammar and tools are mutually exclusive");
* TGI streams are server-sent events written ``data:{...}``.

Neither server accepts ``tool_choice="any"``; it is sent as ``"required"``.
vLLM ends a named tool choice with ``"stop"`` and ``auto`` with
``"tool_calls"``: the chat model reports ``"tool_calls"`` whenever the answer
has tool calls. TGI's ids (``"0"`` for every call) are not sent on: each call
gets a fresh id, so tool results match their calls across turns.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from langchain_sagemaker._chat_handlers import (
    ChatDelta,
    ChatHandler,
    ChatRequest,
    ToolCallDelta,
    register_chat_handler,
)
from langchain_sagemaker._chat_messages import to_openai_messages
from langchain_sagemaker.errors import ConfigurationError
from langchain_sagemaker.handlers._common import (
    ParamStyle,
    error_message,
    error_status,
    finish_reason_of,
    model_error,
    wrong_shape,
)
from langchain_sagemaker.handlers._json import dumps, loads
from langchain_sagemaker.handlers._openai import first_choice, openai_usage, read_chunk
from langchain_sagemaker.handlers.base import Framing
from langchain_sagemaker.handlers.openai import OpenAIChatHandler
from langchain_sagemaker.handlers.tgi_messages import TGIMessagesHandler

__all__ = ["OpenAIChatDialect", "TGIMessagesDialect"]

_INCLUDE_USAGE = {"include_usage": True}
_RESERVED = ("messages", "tools", "tool_choice", "response_format", "stream")


def _content_text(content: Any) -> str:
    """``content`` as text: a string, text parts joined, anything else ""."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p["text"]
            for p in content
            if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


@register_chat_handler("openai-chat")
class OpenAIChatDialect(ChatHandler):
    """OpenAI chat completions: vLLM, LMI (OpenAI schema), SGLang, llama.cpp.

    Example:
        ```python
        chat = ChatSagemakerEndpoint(endpoint_name="my-vllm", content_handler="openai-chat")
        ```
    """

    name: ClassVar[str] = "openai-chat"
    framing: ClassVar[Framing] = "lines"
    has_end_marker: ClassVar[bool] = True
    style: ClassVar[ParamStyle] = OpenAIChatHandler.style
    """How the common parameters are spelled (shared with the LLM handler)."""

    keep_tool_call_ids: ClassVar[bool] = True
    """Whether the container's tool-call ids are passed on (else fresh ones)."""

    # -- request -------------------------------------------------------------

    def request_body(self, request: ChatRequest) -> bytes:
        """``{"messages", "tools", "tool_choice", "response_format", ...}``."""
        body: dict[str, Any] = {"messages": self.messages(request)}
        params = {k: v for k, v in request.params.items() if k not in _RESERVED}
        body.update(self.style.apply(params, request.stop, handler=self.name))
        if request.tools:
            body["tools"] = request.tools
            if request.tool_choice is not None:
                body["tool_choice"] = request.tool_choice
        if request.response_format is not None:
            body["response_format"] = self.response_format(
                request.response_format, tools=bool(request.tools)
            )
        if request.stream:
            body["stream"] = True
            body["stream_options"] = body.pop("stream_options", dict(_INCLUDE_USAGE))
        else:
            body.pop("stream_options", None)
        return dumps(body)

    def messages(self, request: ChatRequest) -> list[dict[str, Any]]:
        """The ``messages`` of the body."""
        return to_openai_messages(request.messages)

    def response_format(self, value: dict[str, Any], *, tools: bool) -> dict[str, Any]:
        """The ``response_format`` of the body (OpenAI's, passed as is)."""
        return value

    # -- response ------------------------------------------------------------

    def parse_response(self, body: bytes) -> ChatDelta:
        """Read ``choices[0].message`` (content and tool calls) and ``usage``."""
        data = loads(body, handler=self.name)
        choices = data.get("choices") if isinstance(data, dict) else None
        message = error_message(data)
        if message is not None and not choices:
            raise model_error(self.name, message, error_status(data))
        if not isinstance(choices, list) or not choices:
            raise wrong_shape(self.name, data, 'no "choices" list in it')
        choice = first_choice(choices)
        reply = None if choice is None else choice.get("message")
        if choice is None or not isinstance(reply, dict):
            raise wrong_shape(self.name, data, 'its first choice has no "message"')
        return ChatDelta(
            text=_content_text(reply.get("content")),
            tool_calls=self.tool_calls(reply.get("tool_calls")),
            finish_reason=finish_reason_of(choice.get("finish_reason")),
            usage=openai_usage(data),
            model_name=self._model(data),
            done=True,
        )

    def parse_event(self, data: bytes) -> ChatDelta | None:
        """Read one chunk: ``choices[0].delta``; ``[DONE]`` ends the stream."""
        chunk = read_chunk(data, self.name, self.framing)
        if chunk is None:
            return None
        if chunk.done:
            return ChatDelta(done=True)
        event, choices, sse = chunk.event, chunk.choices, chunk.sse
        usage = openai_usage(event)
        model = self._model(event)
        choice = first_choice(choices)
        if choice is None:
            return ChatDelta(usage=usage, model_name=model) if usage else None
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            raise wrong_shape(
                self.name,
                event,
                'the stream event\'s first choice has no "delta"',
                stream=True,
                sse=sse,
            )
        finish = finish_reason_of(choice.get("finish_reason"))
        return ChatDelta(
            text=_content_text(delta.get("content")),
            tool_calls=self.tool_calls(delta.get("tool_calls")),
            finish_reason=finish,
            usage=usage,
            model_name=model,
            done=finish is not None and not sse,
        )

    def tool_calls(self, raw: Any) -> tuple[ToolCallDelta, ...]:
        """Read ``tool_calls`` (a list, or TGI 2.0's single object).

        Arguments that arrive as a JSON object (TGI) become JSON text.
        """
        if isinstance(raw, dict):
            raw = [raw]
        if not isinstance(raw, list):
            return ()
        calls: list[ToolCallDelta] = []
        for position, item in enumerate(raw):
            if not isinstance(item, dict):
                continue
            index = item.get("index")
            function = item.get("function")
            function = function if isinstance(function, dict) else {}
            name = function.get("name")
            call_id = item.get("id")
            calls.append(
                ToolCallDelta(
                    index=index
                    if isinstance(index, int) and not isinstance(index, bool)
                    else position,
                    id=call_id
                    if self.keep_tool_call_ids and isinstance(call_id, str) and call_id
                    else None,
                    name=name if isinstance(name, str) and name else None,
                    args=_arguments(function.get("arguments")),
                )
            )
        return tuple(calls)

    @staticmethod
    def _model(data: Any) -> str | None:
        model = data.get("model") if isinstance(data, dict) else None
        return model if isinstance(model, str) and model else None


def _arguments(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@register_chat_handler("tgi-messages")
class TGIMessagesDialect(OpenAIChatDialect):
    """Hugging Face TGI's Messages API (``/v1/chat/completions`` shape).

    Example:
        ```python
        chat = ChatSagemakerEndpoint(endpoint_name="my-tgi", content_handler="tgi-messages")
        ```
    """

    name: ClassVar[str] = "tgi-messages"
    framing: ClassVar[Framing] = "sse"
    style: ClassVar[ParamStyle] = TGIMessagesHandler.style
    keep_tool_call_ids: ClassVar[bool] = False

    def messages(self, request: ChatRequest) -> list[dict[str, Any]]:
        """OpenAI messages; an assistant tool-call turn has no ``content`` key."""
        out = super().messages(request)
        for message in out:
            if message.get("tool_calls") and not message.get("content"):
                message.pop("content", None)
        return out

    def response_format(self, value: dict[str, Any], *, tools: bool) -> dict[str, Any]:
        """TGI's grammar: ``{"type": "json", "value": schema}``.

        OpenAI's ``json_schema`` and ``json_object`` formats are converted;
        TGI's own (``{"type": "json" | "regex", "value": ...}``) pass.

        Raises:
            ConfigurationError: With tools (TGI refuses both at once).
        """
        if tools:
            msg = (
                "TGI cannot combine tools with a `response_format` (grammar and "
                "tools are mutually exclusive). What to do: use "
                'with_structured_output(..., method="function_calling"), or drop '
                "the tools."
            )
            raise ConfigurationError(msg)
        kind = value.get("type")
        if kind == "json_schema" and "value" not in value:
            spec = value.get("json_schema")
            schema = spec.get("schema") if isinstance(spec, dict) else None
            return {"type": "json", "value": schema or {"type": "object"}}
        if kind == "json_object" and "value" not in value:
            return {"type": "json", "value": {"type": "object"}}
        return value
