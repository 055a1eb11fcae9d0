"""LangChain messages and tools <-> the OpenAI chat format, and message assembly.

Pure functions, shared by the chat dialects and the chat model:

* :func:`to_openai_messages` -- system / human / AI (with tool calls, valid or
  not) / tool / generic chat messages to ``{"role", "content", ...}`` dicts;
* :func:`format_tools`, :func:`normalize_tool_choice`,
  :func:`json_schema_format` -- what ``bind_tools`` and
  ``with_structured_output`` bind;
* :func:`collect_message` -- the chunks of one answer to the final
  ``AIMessage``, tool-call arguments parsed strictly (invalid JSON becomes an
  invalid tool call, never an exception).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    InvalidToolCall,
    SystemMessage,
    ToolCall,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from langchain_sagemaker.errors import ConfigurationError

__all__ = [
    "collect_message",
    "format_tools",
    "json_schema_format",
    "normalize_tool_choice",
    "parse_arguments",
    "to_openai_message",
    "to_openai_messages",
]

ToolLike = dict[str, Any] | type | Callable[..., Any] | BaseTool


# -- messages out --------------------------------------------------------------------


def to_openai_messages(messages: Iterable[BaseMessage]) -> list[dict[str, Any]]:
    """Convert LangChain messages to OpenAI chat messages, in order."""
    return [to_openai_message(m) for m in messages]


def to_openai_message(message: BaseMessage) -> dict[str, Any]:
    """Convert one LangChain message to an OpenAI chat message.

    Tool calls go out with their arguments as JSON text; invalid tool calls
    with the text the model produced, so that the tool results answering them
    still have their call.

    Raises:
        TypeError: For a message type that has no chat role.
    """
    out: dict[str, Any]
    if isinstance(message, SystemMessage):
        out = {"role": "system", "content": _text(message.content)}
    elif isinstance(message, HumanMessage):
        out = {"role": "user", "content": _user_content(message.content)}
    elif isinstance(message, AIMessage):
        out = _assistant(message)
    elif isinstance(message, ToolMessage):
        out = {
            "role": "tool",
            "content": _text(message.content),
            "tool_call_id": message.tool_call_id,
        }
    elif isinstance(message, FunctionMessage):
        out = {"role": "function", "content": _text(message.content)}
    elif isinstance(message, ChatMessage):
        out = {"role": message.role, "content": _user_content(message.content)}
    else:
        msg = f"Cannot send a {type(message).__name__} to a chat model."
        raise TypeError(msg)
    if message.name and out["role"] != "tool":
        out["name"] = message.name
    return out


def _assistant(message: AIMessage) -> dict[str, Any]:
    calls = [
        {
            "id": tc.get("id") or "",
            "type": "function",
            "function": {
                "name": tc["name"],
                "arguments": json.dumps(tc["args"], ensure_ascii=False),
            },
        }
        for tc in message.tool_calls
    ] + [
        {
            "id": tc.get("id") or "",
            "type": "function",
            "function": {
                "name": tc.get("name") or "",
                "arguments": tc.get("args") or "",
            },
        }
        for tc in message.invalid_tool_calls
    ]
    text = _text(message.content)
    out: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        out["content"] = text or None
        out["tool_calls"] = calls
    return out


def _block_text(block: Any) -> str | None:
    if isinstance(block, str):
        return block
    if isinstance(block, dict) and block.get("type") == "text":
        text = block.get("text")
        return text if isinstance(text, str) else ""
    return None


def _text(content: str | list[Any]) -> str:
    """The text of message content: text blocks joined, other blocks dropped."""
    if isinstance(content, str):
        return content
    parts = [t for t in (_block_text(b) for b in content) if t is not None]
    return "\n".join(parts)


def _user_content(content: str | list[Any]) -> str | list[dict[str, Any]]:
    """User content: a string, or OpenAI parts when there is more than text."""
    if isinstance(content, str):
        return content
    if all(_block_text(b) is not None for b in content):
        return _text(content)
    parts: list[dict[str, Any]] = []
    for block in content:
        text = _block_text(block)
        if text is not None:
            parts.append({"type": "text", "text": text})
        elif isinstance(block, dict):
            parts.append(_media_part(block))
    return parts


def _media_part(block: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI content part for an image block (standard or OpenAI form)."""
    if block.get("type") == "image":
        url = block.get("url")
        data = block.get("base64", block.get("data"))
        if isinstance(url, str):
            return {"type": "image_url", "image_url": {"url": url}}
        if isinstance(data, str):
            mime = block.get("mime_type") or "image/png"
            return {
                "type": "image_url",
                "image_url": {"url": f"data:{mime};base64,{data}"},
            }
    return block


# -- tools -----------------------------------------------------------------------


def format_tools(
    tools: Sequence[ToolLike], *, strict: bool | None = None
) -> list[dict[str, Any]]:
    """LangChain tools, pydantic models, functions or dicts as OpenAI tools."""
    return [convert_to_openai_tool(t, strict=strict) for t in tools]


def _tool_names(tools: Sequence[dict[str, Any]] | None) -> list[str]:
    names = []
    for tool in tools or ():
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.append(function["name"])
    return names


def normalize_tool_choice(
    tool_choice: Any, tools: Sequence[dict[str, Any]] | None
) -> str | dict[str, Any] | None:
    """LangChain's ``tool_choice`` in OpenAI's form.

    ``"auto"``, ``"none"`` and ``"required"`` pass; ``"any"`` becomes
    ``"required"`` (no server accepts ``"any"``); ``True`` names the only tool
    (``"required"`` with several); ``False`` is ``"none"``; another string
    names a tool; a dict passes as is.

    Raises:
        ConfigurationError: For a tool name that is not among ``tools``, or a
            value of another type.
    """
    if tool_choice is None or isinstance(tool_choice, dict):
        return tool_choice
    names = _tool_names(tools)
    if tool_choice is True:
        return _named(names[0]) if len(names) == 1 else "required"
    if tool_choice is False:
        return "none"
    if not isinstance(tool_choice, str):
        msg = f"`tool_choice` must be a string, a bool or a dict, got {tool_choice!r}."
        raise ConfigurationError(msg)
    if tool_choice == "any":
        return "required"
    if tool_choice in ("auto", "none", "required"):
        return tool_choice
    if names and tool_choice not in names:
        msg = (
            f"`tool_choice={tool_choice!r}` names no bound tool. What to do: use "
            f'one of {names}, "auto", "none", "any" or "required".'
        )
        raise ConfigurationError(msg)
    return _named(tool_choice)


def _named(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


def json_schema_format(schema: Any, *, strict: bool | None = None) -> dict[str, Any]:
    """OpenAI's ``response_format`` for a pydantic model, TypedDict or JSON schema."""
    function = convert_to_openai_tool(schema)["function"]
    spec: dict[str, Any] = {
        "name": function["name"],
        "schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        spec["description"] = function["description"]
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


# -- messages in ---------------------------------------------------------------------


def parse_arguments(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """Parse tool-call arguments strictly: ``(args, None)`` or ``(None, error)``.

    Empty arguments are ``{}`` (a tool without parameters).
    """
    if not text.strip():
        return {}, None
    try:
        value = json.loads(text)
    except ValueError as exc:
        return None, f"The tool call's arguments are not valid JSON: {exc}"
    if not isinstance(value, dict):
        return None, "The tool call's arguments are not a JSON object."
    return value, None


def collect_message(chunks: Iterable[AIMessageChunk]) -> AIMessage:
    """Join the chunks of one answer into an ``AIMessage``.

    Text is joined once; tool-call chunks are merged by index (the first id
    and name, the arguments joined) and parsed strictly; usage and response
    metadata are merged.
    """
    texts: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    usage: UsageMetadata | None = None
    metadata: dict[str, Any] = {}
    for chunk in chunks:
        if isinstance(chunk.content, str):
            texts.append(chunk.content)
        for piece in chunk.tool_call_chunks:
            index = piece.get("index")
            key = index if isinstance(index, int) else len(calls)
            call = calls.setdefault(key, {"id": None, "name": None, "args": []})
            call["id"] = call["id"] or piece.get("id")
            call["name"] = call["name"] or piece.get("name")
            call["args"].append(piece.get("args") or "")
        if chunk.usage_metadata:
            usage = chunk.usage_metadata
        metadata.update(chunk.response_metadata)
    tool_calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for key in sorted(calls):
        call = calls[key]
        text = "".join(call["args"])
        args, error = parse_arguments(text)
        if args is not None and call["name"]:
            tool_calls.append(tool_call(name=call["name"], args=args, id=call["id"]))
        else:
            invalid.append(
                invalid_tool_call(
                    name=call["name"],
                    args=text,
                    id=call["id"],
                    error=error or "The tool call has no name.",
                )
            )
    return AIMessage(
        content="".join(texts),
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage,
        response_metadata=metadata,
    )
