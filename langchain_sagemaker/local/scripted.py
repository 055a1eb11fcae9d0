r"""A scripted chat container: OpenAI chat completions answered from a queue.

Tests of chat models and agents need a container that answers what the test
says -- a text, a tool call, a tool call streamed in pieces, invalid JSON --
and records what it was sent. :class:`ScriptedContainer` speaks OpenAI chat
completions on ``/invocations`` and pops its answers from a queue of
:class:`ScriptedReply`\ s; when the queue is empty it answers from the
endpoint's model (``"echo"``, ``"reader"``) on the last user message, so
unscripted calls stay deterministic.

Two flavours write the bytes of two real servers:

* ``flavour="openai"`` (vLLM 0.8+ with ``--enable-auto-tool-choice``):
  ``data: {...}`` events and ``data: [DONE]``; tool calls stream as a first
  chunk with ``id``, ``type`` and ``name`` (``arguments: ""``) and then
  argument pieces with only the ``index``; ``finish_reason`` is
  ``"tool_calls"`` for ``auto`` / ``required`` and ``"stop"`` for a named tool
  choice; ``tool_choice="any"`` is refused (400), as is a named tool that is
  not among ``tools``, and ``stream_options`` without ``"stream": true``.
* ``flavour="tgi"`` (TGI 3.x, ``router/src/chat.rs`` / ``lib.rs``):
  ``data:{...}`` events and ``data:[DONE]``; a whole tool-call answer has no
  ``content`` key, the id ``"0"``, ``arguments`` as a JSON object and
  ``finish_reason`` ``"stop"``; a streamed tool call repeats ``role``, ``id``
  and ``type`` in every chunk, names the function only in the first, and no
  chunk has a ``finish_reason``; ``response_format`` must be TGI's
  ``{"type": "json" | "regex", "value": ...}`` and not come with tools (422).

Usage::

    import langchain_sagemaker.local.scripted  # registers "scripted"

    with LocalEndpoint(container="scripted", model="echo", replies=[
        {"tool_calls": [{"name": "add", "args": {"a": 1, "b": 2}}]},
        "The sum is 3.",
    ]) as endpoint:
        container = scripted_container(endpoint)
        container.push("one more answer")
        ...
        container.bodies  # every request body, parsed

``replies`` items are a string (the answer's text), a dict with the fields of
:class:`ScriptedReply` (``content``, ``tool_calls`` -- each ``{"name",
"args"|"arguments", "id"}`` with arguments as a dict or raw text, which may
be invalid JSON on purpose --, ``chunk_size``, ``finish_reason``, ``status``
/ ``error`` to answer with an error), or a :class:`ScriptedReply`.
"""

from __future__ import annotations

import asyncio
import collections
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from langchain_sagemaker.local.common import (
    DialectBase,
    compact_json,
    count_tokens,
    sse_event,
)
from langchain_sagemaker.local.container import (
    ContainerRequest,
    ContainerResponse,
    register_container,
)
from langchain_sagemaker.local.models.base import Model

if TYPE_CHECKING:
    from langchain_sagemaker.local.server import LocalEndpoint

__all__ = [
    "ScriptedContainer",
    "ScriptedReply",
    "ScriptedToolCall",
    "scripted_container",
]

Flavour = Literal["openai", "tgi"]

_JSON = "application/json"
_SSE = "text/event-stream"
_TGI_FINGERPRINT = "3.3.6-native"
_TGI_GRAMMARS = ("json", "json_object", "regex", "json_schema")


@dataclass
class ScriptedToolCall:
    """One tool call of a scripted answer.

    Attributes:
        name: The tool's name.
        arguments: A dict (sent as JSON) or raw text sent as is (may be
            invalid JSON, to test how a client copes).
        id: The call id (default: generated, or ``"0"`` for TGI).
    """

    name: str
    arguments: Any = field(default_factory=dict)
    id: str | None = None

    @classmethod
    def coerce(cls, value: Any) -> ScriptedToolCall:
        """Build from a ``ScriptedToolCall`` or ``{"name", "args"|"arguments", "id"}``."""
        if isinstance(value, ScriptedToolCall):
            return value
        if not isinstance(value, Mapping) or not isinstance(value.get("name"), str):
            raise TypeError(f"a scripted tool call needs a name: {value!r}")
        arguments = value.get("arguments", value.get("args", {}))
        return cls(name=value["name"], arguments=arguments, id=value.get("id"))

    def arguments_text(self) -> str:
        """The arguments as the text a server would generate."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, ensure_ascii=False)


@dataclass
class ScriptedReply:
    """One scripted answer.

    Attributes:
        content: The answer's text.
        tool_calls: Tool calls to answer with.
        chunk_size: Characters per streamed piece of text and of arguments
            (``None``: the container's default).
        finish_reason: Overrides the finish reason the flavour would send.
        status: Answer with this HTTP error status instead.
        error: The error message (with ``status``; default a generic one).
    """

    content: str = ""
    tool_calls: list[ScriptedToolCall] = field(default_factory=list)
    chunk_size: int | None = None
    finish_reason: str | None = None
    status: int | None = None
    error: str | None = None

    @classmethod
    def coerce(cls, value: Any) -> ScriptedReply:
        """Build from a reply, a string (the text) or a dict of the fields."""
        if isinstance(value, ScriptedReply):
            return value
        if isinstance(value, str):
            return cls(content=value)
        if isinstance(value, Mapping):
            known = {
                "content",
                "tool_calls",
                "chunk_size",
                "finish_reason",
                "status",
                "error",
            }
            unknown = set(value) - known
            if unknown:
                raise TypeError(f"unknown scripted reply fields: {sorted(unknown)}")
            calls = [ScriptedToolCall.coerce(c) for c in value.get("tool_calls") or ()]
            return cls(
                content=str(value.get("content") or ""),
                tool_calls=calls,
                chunk_size=value.get("chunk_size"),
                finish_reason=value.get("finish_reason"),
                status=value.get("status"),
                error=value.get("error"),
            )
        raise TypeError(f"cannot script a reply from {type(value).__name__}")


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Chat:
    """The parts of a chat request the container uses."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    tool_choice: Any
    stream: bool
    include_usage: bool
    stop: list[str]
    max_tokens: int | None
    model: str | None


def _pieces(text: str, size: int) -> list[str]:
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p.get("text", "")
            for p in content
            if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


class ScriptedContainer(DialectBase):
    """An OpenAI-chat container answering from a queue of scripted replies.

    Args:
        model: Answers unscripted requests (on the last user message).
        replies: The first answers, in order.
        flavour: ``"openai"`` (vLLM's bytes) or ``"tgi"`` (TGI's, with its
            tool-call quirks).
        served_model_name: The ``model`` of the answers.
        chunk_size: Characters per streamed piece (default 4).
        latency_ms: Delay before answering.
        token_latency_ms: Delay between streamed events.
        break_stream_after: Test hook: a stream breaks after this many events.
    """

    dialect = "scripted"

    def __init__(
        self,
        model: Model,
        *,
        replies: Iterable[Any] = (),
        flavour: Flavour = "openai",
        served_model_name: str = "scripted-model",
        chunk_size: int = 4,
        latency_ms: float = 0.0,
        token_latency_ms: float = 0.0,
        break_stream_after: int | None = None,
    ) -> None:
        super().__init__(
            model,
            latency_ms=latency_ms,
            token_latency_ms=token_latency_ms,
            break_stream_after=break_stream_after,
        )
        if flavour not in ("openai", "tgi"):
            raise ValueError('flavour must be "openai" or "tgi"')
        self.flavour: Flavour = flavour
        self.served_model_name = served_model_name
        self.chunk_size = chunk_size
        self._lock = threading.Lock()
        self._queue: collections.deque[ScriptedReply] = collections.deque(
            ScriptedReply.coerce(r) for r in replies
        )
        self._bodies: list[Any] = []

    def __repr__(self) -> str:
        return f"ScriptedContainer(flavour={self.flavour!r}, pending={self.pending})"

    # -- what tests use ----------------------------------------------------------

    def push(self, *replies: Any) -> None:
        """Queue more answers (strings, dicts or :class:`ScriptedReply`)."""
        coerced = [ScriptedReply.coerce(r) for r in replies]
        with self._lock:
            self._queue.extend(coerced)

    @property
    def pending(self) -> int:
        """How many scripted answers are still queued."""
        with self._lock:
            return len(self._queue)

    @property
    def bodies(self) -> list[Any]:
        """Every request body received, parsed as JSON (raw bytes if not JSON)."""
        with self._lock:
            return list(self._bodies)

    def clear(self) -> None:
        """Forget the queued answers and the recorded bodies."""
        with self._lock:
            self._queue.clear()
            self._bodies.clear()

    def _next(self) -> ScriptedReply | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    # -- the contract --------------------------------------------------------------

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Answer one ``POST /invocations`` with the next scripted reply.

        Args:
            request: The request SageMaker forwards.

        Returns:
            A chat completion, a stream of chunks, or an error.
        """
        try:
            raw: Any = json.loads(request.body)
        except ValueError:
            raw = request.body
        with self._lock:
            self._bodies.append(raw)
        try:
            media = (request.content_type or "").lower().split(";", 1)[0].strip()
            if media != _JSON:
                raise _Refused(415, "Only 'application/json' is allowed")
            chat = self._parse(raw)
            reply = self._next() or self._fallback(chat)
            if reply.status is not None:
                raise _Refused(reply.status, reply.error or "scripted error")
        except _Refused as refused:
            return self._error(refused)
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        if chat.stream:
            events = (
                self._tgi_stream(chat, reply)
                if self.flavour == "tgi"
                else self._openai_stream(chat, reply)
            )
            return ContainerResponse(
                status=200, content_type=_SSE, stream=self.guard(self._paced(events))
            )
        body = (
            self._tgi_json(chat, reply)
            if self.flavour == "tgi"
            else self._openai_json(chat, reply)
        )
        return ContainerResponse(status=200, content_type=_JSON, body=body)

    def _error(self, refused: _Refused) -> ContainerResponse:
        body: dict[str, Any]
        if self.flavour == "tgi":
            body = {"error": refused.message, "error_type": "validation"}
        else:
            body = {
                "object": "error",
                "message": refused.message,
                "type": "BadRequestError",
                "param": None,
                "code": refused.status,
            }
        return ContainerResponse(
            status=refused.status, content_type=_JSON, body=compact_json(body)
        )

    # -- requests ------------------------------------------------------------------

    def _parse(self, raw: Any) -> _Chat:
        status = 422 if self.flavour == "tgi" else 400
        if not isinstance(raw, dict):
            raise _Refused(status, "the body is not a JSON object")
        messages = raw.get("messages")
        if not isinstance(messages, list) or not messages:
            raise _Refused(status, "`messages` must be a non-empty list")
        for message in messages:
            if not isinstance(message, dict) or not isinstance(
                message.get("role"), str
            ):
                raise _Refused(status, "each message needs a `role`")
            if message["role"] == "tool" and not message.get("tool_call_id"):
                raise _Refused(status, "a tool message needs a `tool_call_id`")
        tools = raw.get("tools") or []
        if not isinstance(tools, list):
            raise _Refused(status, "`tools` must be a list")
        names = [
            t["function"]["name"]
            for t in tools
            if isinstance(t, dict)
            and isinstance(t.get("function"), dict)
            and isinstance(t["function"].get("name"), str)
        ]
        choice = raw.get("tool_choice")
        self._check_choice(choice, names, status)
        stream = raw.get("stream") is True
        options = raw.get("stream_options")
        if options is not None and not stream and self.flavour == "openai":
            raise _Refused(
                400,
                "Cannot find suitable handler for request. Expected one of: "
                "['ChatCompletionRequest', 'CompletionRequest']",
            )
        if self.flavour == "tgi":
            self._check_grammar(raw.get("response_format"), bool(tools))
        stop = raw.get("stop") or []
        if isinstance(stop, str):
            stop = [stop]
        max_tokens = raw.get("max_tokens", raw.get("max_completion_tokens"))
        return _Chat(
            messages=messages,
            tools=tools,
            tool_choice=choice,
            stream=stream,
            include_usage=isinstance(options, dict)
            and bool(options.get("include_usage", self.flavour == "openai")),
            stop=[s for s in stop if isinstance(s, str) and s],
            max_tokens=max_tokens if isinstance(max_tokens, int) else None,
            model=raw.get("model") if isinstance(raw.get("model"), str) else None,
        )

    @staticmethod
    def _check_choice(choice: Any, names: list[str], status: int) -> None:
        if choice is None or choice in ("auto", "none"):
            return
        if choice == "required":
            if not names:
                raise _Refused(status, 'tool_choice "required" needs `tools`')
            return
        if isinstance(choice, dict):
            function = choice.get("function")
            name = function.get("name") if isinstance(function, dict) else None
            if choice.get("type") == "function" and isinstance(name, str):
                if name not in names:
                    raise _Refused(
                        status, f"Tool '{name}' has not been passed in `tools`."
                    )
                return
        raise _Refused(
            status,
            f"unknown variant `{choice}`, expected one of `auto`, `none`, "
            "`required` or a named function"
            if isinstance(choice, str)
            else f"invalid `tool_choice`: {choice!r}",
        )

    @staticmethod
    def _check_grammar(value: Any, tools: bool) -> None:
        if value is None:
            return
        if (
            not isinstance(value, dict)
            or value.get("type") not in _TGI_GRAMMARS
            or "value" not in value
        ):
            raise _Refused(
                422,
                "Failed to deserialize the JSON body into the target type: "
                "response_format: missing field `value`",
            )
        if tools:
            raise _Refused(422, "Grammar and tools are mutually exclusive")

    def _named_choice(self, chat: _Chat) -> str | None:
        choice = chat.tool_choice
        if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
            name = choice["function"].get("name")
            return name if isinstance(name, str) else None
        return None

    # -- answers ---------------------------------------------------------------------

    def _fallback(self, chat: _Chat) -> ScriptedReply:
        """The answer when nothing is scripted: deterministic, from the request."""
        names = [t["function"]["name"] for t in chat.tools if "function" in t]
        named = self._named_choice(chat)
        if named is not None or (chat.tool_choice == "required" and names):
            return ScriptedReply(tool_calls=[ScriptedToolCall(named or names[0], {})])
        users = [m for m in chat.messages if m.get("role") == "user"]
        prompt = _text_of(users[-1].get("content")) if users else ""
        tokens = list(self.model.generate(prompt))
        finish = None
        if chat.max_tokens is not None and len(tokens) > chat.max_tokens:
            tokens, finish = tokens[: chat.max_tokens], "length"
        return ScriptedReply(content="".join(tokens).lstrip(), finish_reason=finish)

    def _cut(self, chat: _Chat, reply: ScriptedReply) -> tuple[str, str | None]:
        """The text after the stop sequences, and ``"stop"`` if one was met."""
        text = reply.content
        hits = [i for i in (text.find(s) for s in chat.stop) if i != -1]
        if hits:
            return text[: min(hits)], "stop"
        return text, None

    def _finish(self, chat: _Chat, reply: ScriptedReply, stopped: str | None) -> str:
        if reply.finish_reason is not None:
            return reply.finish_reason
        if reply.tool_calls:
            if self.flavour == "tgi" or self._named_choice(chat) is not None:
                return "stop"
            return "tool_calls"
        return stopped or "stop"

    def _usage(self, chat: _Chat, reply: ScriptedReply, text: str) -> dict[str, int]:
        rendered = "".join(
            f"<|{m['role']}|>\n{_text_of(m.get('content'))}\n" for m in chat.messages
        )
        prompt = count_tokens(rendered + "<|assistant|>\n")
        completion = count_tokens(text) + sum(
            count_tokens(c.name + c.arguments_text()) for c in reply.tool_calls
        )
        completion = max(completion, 1)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def _call_id(self, call: ScriptedToolCall) -> str:
        if call.id is not None:
            return call.id
        return "0" if self.flavour == "tgi" else f"chatcmpl-tool-{uuid.uuid4().hex}"

    def _model_name(self, chat: _Chat) -> str:
        if self.flavour == "tgi" and chat.model not in (None, "tgi"):
            return str(chat.model)
        return self.served_model_name

    # -- openai flavour (vLLM) ---------------------------------------------------------

    def _openai_json(self, chat: _Chat, reply: ScriptedReply) -> bytes:
        text, stopped = self._cut(chat, reply)
        calls = [
            {
                "id": self._call_id(c),
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments_text()},
            }
            for c in reply.tool_calls
        ]
        message: dict[str, Any] = {
            "role": "assistant",
            "reasoning_content": None,
            "content": text if text or not calls else None,
            "tool_calls": calls,
        }
        usage: dict[str, Any] = dict(self._usage(chat, reply, text))
        usage["prompt_tokens_details"] = None
        return compact_json(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self._model_name(chat),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": self._finish(chat, reply, stopped),
                        "stop_reason": None,
                    }
                ],
                "usage": usage,
                "prompt_logprobs": None,
            }
        )

    async def _openai_stream(
        self, chat: _Chat, reply: ScriptedReply
    ) -> AsyncIterator[bytes]:
        text, stopped = self._cut(chat, reply)
        size = reply.chunk_size or self.chunk_size
        request_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        model = self._model_name(chat)

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            choice: dict[str, Any] = {
                "index": 0,
                "delta": delta,
                "logprobs": None,
                "finish_reason": finish,
            }
            if finish is not None:
                choice["stop_reason"] = None
            return self._sse(
                {
                    "id": request_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [choice],
                }
            )

        yield chunk({"role": "assistant", "content": ""})
        if text:
            for piece in _pieces(text, size):
                yield chunk({"content": piece})
        for index, call in enumerate(reply.tool_calls):
            yield chunk(
                {
                    "tool_calls": [
                        {
                            "id": self._call_id(call),
                            "type": "function",
                            "index": index,
                            "function": {"name": call.name, "arguments": ""},
                        }
                    ]
                }
            )
            arguments = call.arguments_text()
            if arguments:
                for piece in _pieces(arguments, size):
                    yield chunk(
                        {
                            "tool_calls": [
                                {"index": index, "function": {"arguments": piece}}
                            ]
                        }
                    )
        yield chunk({"content": ""}, self._finish(chat, reply, stopped))
        if chat.include_usage:
            yield self._sse(
                {
                    "id": request_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": self._usage(chat, reply, text),
                }
            )
        yield b"data: [DONE]\n\n"

    # -- tgi flavour -------------------------------------------------------------------

    def _tgi_json(self, chat: _Chat, reply: ScriptedReply) -> bytes:
        text, stopped = self._cut(chat, reply)
        message: dict[str, Any]
        if reply.tool_calls:
            message = {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": self._call_id(c),
                        "type": "function",
                        "function": {
                            "description": None,
                            "name": c.name,
                            "arguments": c.arguments,
                        },
                    }
                    for c in reply.tool_calls
                ],
            }
        else:
            message = {"role": "assistant", "content": text}
        return compact_json(
            {
                "object": "chat.completion",
                "id": "",
                "created": int(time.time()),
                "model": self._model_name(chat),
                "system_fingerprint": _TGI_FINGERPRINT,
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": self._finish(chat, reply, stopped),
                    }
                ],
                "usage": self._usage(chat, reply, text),
            }
        )

    async def _tgi_stream(
        self, chat: _Chat, reply: ScriptedReply
    ) -> AsyncIterator[bytes]:
        text, stopped = self._cut(chat, reply)
        size = reply.chunk_size or self.chunk_size
        created = int(time.time())
        model = self._model_name(chat)

        def chunk(choices: list[dict[str, Any]], usage: Any = None) -> bytes:
            return self._sse(
                {
                    "object": "chat.completion.chunk",
                    "id": "",
                    "created": created,
                    "model": model,
                    "system_fingerprint": _TGI_FINGERPRINT,
                    "choices": choices,
                    "usage": usage,
                },
                prefix=b"data:",
            )

        if reply.tool_calls:
            for index, call in enumerate(reply.tool_calls):
                pieces = _pieces(call.arguments_text(), size)
                for n, piece in enumerate(pieces):
                    delta = {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "index": index,
                                "id": self._call_id(call),
                                "type": "function",
                                "function": {
                                    "name": call.name if n == 0 else None,
                                    "arguments": piece,
                                },
                            }
                        ],
                    }
                    # TGI itself sends no finish reason in a tool-call stream.
                    last = index == len(reply.tool_calls) - 1 and n == len(pieces) - 1
                    finish = reply.finish_reason if last else None
                    yield chunk(
                        [
                            {
                                "index": 0,
                                "delta": delta,
                                "logprobs": None,
                                "finish_reason": finish,
                            }
                        ]
                    )
        else:
            pieces = _pieces(text, size)
            for n, piece in enumerate(pieces):
                last = n == len(pieces) - 1
                yield chunk(
                    [
                        {
                            "index": 0,
                            "delta": {"role": "assistant", "content": piece},
                            "logprobs": None,
                            "finish_reason": self._finish(chat, reply, stopped)
                            if last
                            else None,
                        }
                    ]
                )
        if chat.include_usage:
            yield chunk([], self._usage(chat, reply, text))
        yield b"data:[DONE]\n\n"

    # -- plumbing ------------------------------------------------------------------------

    @staticmethod
    def _sse(payload: dict[str, Any], prefix: bytes = b"data: ") -> bytes:
        return sse_event(prefix, compact_json(payload))

    async def _paced(self, events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        first = True
        async for event in events:
            if not first and self.token_latency_ms:
                await asyncio.sleep(self.token_latency_ms / 1000)
            first = False
            yield event


def _tgi_scripted(model: Model, **options: Any) -> ScriptedContainer:
    options.setdefault("flavour", "tgi")
    return ScriptedContainer(model, **options)


def scripted_container(
    endpoint: LocalEndpoint, endpoint_name: str | None = None
) -> ScriptedContainer:
    """Return the scripted container serving ``endpoint_name`` (default: the first).

    Args:
        endpoint: The running (or not yet started) local endpoint.
        endpoint_name: One of its endpoints; default the one it was built with.

    Raises:
        TypeError: If that endpoint is not served by a scripted container.
    """
    name = endpoint.endpoint_name if endpoint_name is None else endpoint_name
    container = endpoint.runtime.endpoints[name]
    if not isinstance(container, ScriptedContainer):
        raise TypeError(f"endpoint {name!r} is served by {container!r}")
    return container


register_container("scripted", ScriptedContainer)
register_container("scripted-tgi", _tgi_scripted)
