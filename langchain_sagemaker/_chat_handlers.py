"""The chat dialect contract: messages and tools in, message deltas out.

A chat handler is to :class:`~langchain_sagemaker.ChatSagemakerEndpoint` what
a :class:`~langchain_sagemaker.ModelHandler` is to the LLM class: it knows one
container's chat wire format and nothing about I/O. Three methods:

* :meth:`ChatHandler.request_body` -- a :class:`ChatRequest` (LangChain
  messages, tools, tool choice, response format, parameters) to the body;
* :meth:`ChatHandler.parse_response` -- a whole response to one
  :class:`ChatDelta`;
* :meth:`ChatHandler.parse_event` -- one stream event (a JSON line or an SSE
  ``data`` payload) to a :class:`ChatDelta`, or ``None``.

The endpoint class does the rest, the same way for every dialect: the client
call, framing, literal stop sequences, tool-call chunk assembly (ids and names
sent once per call, arguments joined, invalid JSON kept as an invalid tool
call), usage and metadata.

Built-in dialects are registered by name (``"openai-chat"``,
``"tgi-messages"``); :func:`register_chat_handler` adds more.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, overload

from langchain_sagemaker._registry import Registry
from langchain_sagemaker.errors import ConfigurationError, ResponseParseError
from langchain_sagemaker.handlers.base import (
    ContentHandlerBase,
    Delta,
    Framing,
    StreamLine,
)

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

__all__ = [
    "ChatDelta",
    "ChatHandler",
    "ChatModelContentHandler",
    "ChatRequest",
    "LegacyChatHandler",
    "ToolCallDelta",
    "get_chat_handler",
    "list_chat_handlers",
    "register_chat_handler",
    "resolve_chat_handler",
]


@dataclass(frozen=True)
class ChatRequest:
    """Everything one chat call sends, before a dialect spells it.

    Attributes:
        messages: The LangChain messages of the conversation.
        params: ``model_kwargs`` merged with the model's fields and the call's
            kwargs (the call wins), with LangChain's common names
            (``max_tokens``, ``temperature``, ``top_p``, ``model``) unmapped.
        stop: Stop sequences (de-duplicated, non-empty).
        stream: Whether the response-stream API is used.
        tools: Tools in OpenAI's format (``{"type": "function", "function":
            {...}}``), or ``None``.
        tool_choice: ``"auto"``, ``"none"``, ``"required"`` or
            ``{"type": "function", "function": {"name": ...}}`` (LangChain's
            ``"any"`` is already ``"required"``), or ``None``.
        response_format: OpenAI's ``response_format`` (``{"type":
            "json_schema", "json_schema": {...}}`` or ``{"type":
            "json_object"}``), or a dialect's own, or ``None``.
    """

    messages: Sequence[BaseMessage]
    params: Mapping[str, Any] = field(default_factory=dict)
    stop: list[str] = field(default_factory=list)
    stream: bool = False
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None


@dataclass(frozen=True)
class ToolCallDelta:
    """A tool call, or a piece of one in a stream.

    Attributes:
        index: Which call of the message this belongs to (``None``: the
            position in the list it came in).
        id: The call id, if the container sent one.
        name: The tool name (in a stream, usually only in the first piece).
        args: The arguments as JSON text (in a stream, a piece of it).
    """

    index: int | None = None
    id: str | None = None
    name: str | None = None
    args: str = ""


@dataclass(frozen=True)
class ChatDelta(Delta):
    """What one chat response, or one stream event, contributes to a message.

    Adds to :class:`~langchain_sagemaker.handlers.Delta` (``text``,
    ``finish_reason``, ``usage``, ``done``):

    Attributes:
        tool_calls: Tool calls, or pieces of them.
        model_name: The model the container says answered.
    """

    tool_calls: Sequence[ToolCallDelta] = ()
    model_name: str | None = None


class ChatHandler(ABC):
    """One model container's chat dialect: request body and response reading.

    Subclasses set the class attributes and implement the three methods.

    Example:
        ```python
        import json

        from langchain_sagemaker import ChatDelta, ChatHandler, register_chat_handler


        @register_chat_handler("my-chat")
        class MyChat(ChatHandler):
            def request_body(self, request):
                turns = [{"role": m.type, "text": m.text} for m in request.messages]
                return json.dumps({"turns": turns, **request.params}).encode()

            def parse_response(self, body):
                return ChatDelta(text=json.loads(body)["reply"], done=True)

            def parse_event(self, data):
                return ChatDelta(text=json.loads(data)["delta"])
        ```
    """

    name: ClassVar[str] = ""
    """The registry name (e.g. ``"openai-chat"``)."""

    content_type: ClassVar[str] = "application/json"
    """The request body's MIME type."""

    accepts: ClassVar[str] = "application/json"
    """The response body's MIME type."""

    framing: ClassVar[Framing] = "lines"
    """How the response stream is framed: JSON lines or server-sent events."""

    has_end_marker: ClassVar[bool] = False
    """Whether the stream ends with an event ``parse_event`` marks ``done``.

    When true, a stream that ends without it raises ``IncompleteStreamError``.
    """

    @abstractmethod
    def request_body(self, request: ChatRequest) -> bytes:
        """Build the request body for ``request``."""

    @abstractmethod
    def parse_response(self, body: bytes) -> ChatDelta:
        """Read a whole (non-streaming) response body."""

    @abstractmethod
    def parse_event(self, data: bytes) -> ChatDelta | None:
        """Read one stream event; ``None`` for events that carry nothing."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ChatModelContentHandler(ContentHandlerBase[Any, Any]):
    """The chat handler contract of ``langchain_aws.ChatSagemakerEndpoint``.

    ``transform_input`` receives the messages as OpenAI-style dicts
    (``{"role", "content", ...}``) and the model kwargs, and returns the body;
    ``transform_output`` receives the response body (something with
    ``.read()``), or one line of a stream, and returns a message (or text).

    Example:
        ```python
        class ContentHandler(ChatModelContentHandler):
            content_type = "application/json"
            accepts = "application/json"

            def transform_input(self, prompt, model_kwargs):
                return json.dumps({"messages": prompt, **model_kwargs}).encode()

            def transform_output(self, output):
                data = json.loads(output.read())
                return AIMessage(content=data["choices"][0]["message"]["content"])
        ```
    """


class LegacyChatHandler(ChatHandler):
    """Adapts a ``ChatModelContentHandler`` (langchain-aws style) to a dialect.

    Streams are read as JSON lines, each passed to ``transform_output``.
    Tool calls and usage are read from the message it returns.
    """

    def __init__(self, handler: Any) -> None:
        self.handler = handler

    @property
    def content_type(self) -> str:  # type: ignore[override]
        """The wrapped handler's ``content_type``."""
        return str(getattr(self.handler, "content_type", "application/json"))

    @property
    def accepts(self) -> str:  # type: ignore[override]
        """The wrapped handler's ``accepts``."""
        return str(getattr(self.handler, "accepts", "application/json"))

    def request_body(self, request: ChatRequest) -> bytes:
        """Call ``transform_input(openai_messages, model_kwargs)``."""
        from langchain_sagemaker._chat_messages import to_openai_messages

        params = dict(request.params)  # stops are applied client-side only
        for key, value in (
            ("tools", request.tools),
            ("tool_choice", request.tool_choice),
            ("response_format", request.response_format),
        ):
            if value is not None:
                params[key] = value
        body = self.handler.transform_input(
            to_openai_messages(request.messages), params
        )
        return body.encode("utf-8") if isinstance(body, str) else bytes(body)

    def parse_response(self, body: bytes) -> ChatDelta:
        """Call ``transform_output`` on the body."""
        return _legacy_delta(self.handler.transform_output(StreamLine(body)), done=True)

    def parse_event(self, data: bytes) -> ChatDelta | None:
        """Call ``transform_output`` on one line of the stream."""
        return _legacy_delta(
            self.handler.transform_output(StreamLine(data)), done=False
        )

    def __repr__(self) -> str:
        return f"LegacyChatHandler({type(self.handler).__name__})"


def _legacy_delta(value: Any, *, done: bool) -> ChatDelta:
    import json

    from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage

    if value is None:
        return ChatDelta(done=done)
    if isinstance(value, str):
        return ChatDelta(text=value, done=done)
    if not isinstance(value, BaseMessage):
        msg = (
            f"The chat content handler's `transform_output` returned "
            f"{type(value).__name__}; it must return a message or str."
        )
        raise ResponseParseError(msg, snippet=repr(value)[:200])
    calls: list[ToolCallDelta] = []
    usage: dict[str, int] | None = None
    if isinstance(value, AIMessageChunk):  # a piece of a stream
        calls = [
            ToolCallDelta(
                index=tc.get("index"),
                id=tc.get("id"),
                name=tc.get("name"),
                args=tc.get("args") or "",
            )
            for tc in value.tool_call_chunks
        ]
    elif isinstance(value, AIMessage):
        calls = [
            ToolCallDelta(
                index=i, id=tc.get("id"), name=tc["name"], args=json.dumps(tc["args"])
            )
            for i, tc in enumerate(value.tool_calls)
        ]
    if isinstance(value, AIMessage) and value.usage_metadata:
        u = value.usage_metadata
        usage = {
            "prompt_tokens": u["input_tokens"],
            "completion_tokens": u["output_tokens"],
            "total_tokens": u["total_tokens"],
        }
    reason = value.response_metadata.get("finish_reason")
    return ChatDelta(
        text=value.text,
        tool_calls=tuple(calls),
        usage=usage,
        finish_reason=reason if isinstance(reason, str) and reason else None,
        done=done,
    )


# -- registry ----------------------------------------------------------------------

ChatHandlerFactory = Callable[..., ChatHandler]
F = TypeVar("F", bound=ChatHandlerFactory)


def _load_builtins() -> None:
    # The built-in dialects register themselves when their module is imported.
    import langchain_sagemaker._chat_openai  # noqa: F401


_HANDLERS: Registry[ChatHandler] = Registry(
    "chat content handler",
    "a ChatHandler instance or a ChatModelContentHandler",
    _load_builtins,
)


@overload
def register_chat_handler(name: str, factory: None = None) -> Callable[[F], F]: ...
@overload
def register_chat_handler(name: str, factory: F) -> F: ...
def register_chat_handler(name: str, factory: F | None = None) -> F | Callable[[F], F]:
    """Register a chat handler factory under ``name``; usable as a decorator.

    Args:
        name: The name users pass as ``ChatSagemakerEndpoint(content_handler=name)``.
        factory: A callable (usually the class) returning a :class:`ChatHandler`.

    Example:
        ```python
        @register_chat_handler("my-chat")
        class MyChat(ChatHandler): ...
        ```
    """

    def add(f: F) -> F:
        return _HANDLERS.register(name, f)

    return add(factory) if factory is not None else add


def list_chat_handlers() -> list[str]:
    """Return the names of all registered chat handlers, sorted."""
    return _HANDLERS.names()


def get_chat_handler(name: str, **options: Any) -> ChatHandler:
    """Build the registered chat handler ``name`` with ``options``.

    Raises:
        ConfigurationError: If no chat handler is registered under ``name``.
    """
    return _HANDLERS.build(name, **options)


def resolve_chat_handler(value: Any) -> ChatHandler:
    """Turn a ``content_handler`` value into a :class:`ChatHandler`.

    Accepts a registered name, a ``ChatHandler``, or an object with
    ``transform_input`` / ``transform_output`` (langchain-aws's
    ``ChatModelContentHandler``), which is wrapped in :class:`LegacyChatHandler`.
    """
    if isinstance(value, str):
        return get_chat_handler(value)
    if isinstance(value, ChatHandler):
        return value
    if hasattr(value, "transform_input") and hasattr(value, "transform_output"):
        return LegacyChatHandler(value)
    msg = (
        f"`content_handler` must be a chat handler name ({list_chat_handlers()}), "
        f"a ChatHandler or a ChatModelContentHandler, got {type(value).__name__}."
    )
    raise ConfigurationError(msg)
