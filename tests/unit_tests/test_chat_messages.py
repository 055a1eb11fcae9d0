"""LangChain messages and tools <-> OpenAI chat dicts, and message assembly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_sagemaker._chat_messages import (
    collect_message,
    format_tools,
    json_schema_format,
    normalize_tool_choice,
    parse_arguments,
    to_openai_message,
    to_openai_messages,
)
from langchain_sagemaker.errors import ConfigurationError


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class GetWeather(BaseModel):
    """Get the current weather in a city."""

    city: str = Field(description="The city")


def multiply(x: float, y: float) -> float:
    """Multiply two numbers."""
    return x * y


TOOLS = format_tools([add, GetWeather])


# -- messages out ---------------------------------------------------------------


def test_a_multi_turn_conversation_with_a_tool_round_trip() -> None:
    ai = AIMessage(
        content="",
        tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "call_1"}],
    )
    messages = [
        SystemMessage("Be brief."),
        HumanMessage("What is 1 + 2?"),
        ai,
        ToolMessage("3", tool_call_id="call_1"),
        AIMessage("It is 3."),
        HumanMessage("Thanks"),
    ]
    assert to_openai_messages(messages) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 1 + 2?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
                }
            ],
        },
        {"role": "tool", "content": "3", "tool_call_id": "call_1"},
        {"role": "assistant", "content": "It is 3."},
        {"role": "user", "content": "Thanks"},
    ]


def test_tool_call_arguments_are_json_text_that_round_trips() -> None:
    args = {"city": "Zürich", "days": [1, 2], "nested": {"ok": True}}
    out = to_openai_message(
        AIMessage(
            content="Checking.", tool_calls=[{"name": "w", "args": args, "id": "c"}]
        )
    )
    assert out["content"] == "Checking."
    arguments = out["tool_calls"][0]["function"]["arguments"]
    assert isinstance(arguments, str)
    assert json.loads(arguments) == args
    assert "Zürich" in arguments  # not \u-escaped


def test_invalid_tool_calls_are_sent_back_with_their_raw_arguments() -> None:
    ai = AIMessage(
        content="",
        invalid_tool_calls=[
            {
                "type": "invalid_tool_call",
                "name": "add",
                "args": '{"a": 1,',
                "id": "call_bad",
                "error": "bad json",
            }
        ],
    )
    out = to_openai_message(ai)
    assert out["tool_calls"] == [
        {
            "id": "call_bad",
            "type": "function",
            "function": {"name": "add", "arguments": '{"a": 1,'},
        }
    ]


def test_names_generic_roles_and_content_blocks() -> None:
    assert to_openai_message(HumanMessage("hi", name="bob")) == {
        "role": "user",
        "content": "hi",
        "name": "bob",
    }
    assert to_openai_message(ChatMessage(role="developer", content="d")) == {
        "role": "developer",
        "content": "d",
    }
    text_blocks = [{"type": "text", "text": "a"}, "b"]
    assert to_openai_message(HumanMessage(text_blocks))["content"] == "a\nb"
    assert to_openai_message(SystemMessage(text_blocks))["content"] == "a\nb"
    tool_blocks = ToolMessage([{"type": "text", "text": "r"}], tool_call_id="c")
    assert to_openai_message(tool_blocks)["content"] == "r"


def test_images_become_openai_content_parts() -> None:
    message = HumanMessage(
        [
            {"type": "text", "text": "What is this?"},
            {"type": "image", "base64": "AAAA", "mime_type": "image/jpeg"},
            {"type": "image", "url": "https://example.com/cat.png"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,BB"}},
        ]
    )
    assert to_openai_message(message)["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAAA"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,BB"}},
    ]


def test_ai_content_blocks_other_than_text_are_dropped() -> None:
    ai = AIMessage(
        [{"type": "reasoning", "reasoning": "hmm"}, {"type": "text", "text": "ok"}]
    )
    assert to_openai_message(ai) == {"role": "assistant", "content": "ok"}


# -- tools ------------------------------------------------------------------------


def test_format_tools_accepts_every_kind_of_tool() -> None:
    raw = {
        "type": "function",
        "function": {
            "name": "raw",
            "description": "r",
            "parameters": {"type": "object"},
        },
    }
    tools = format_tools([add, GetWeather, multiply, raw])
    assert [t["function"]["name"] for t in tools] == [
        "add",
        "GetWeather",
        "multiply",
        "raw",
    ]
    assert all(t["type"] == "function" for t in tools)
    assert tools[1]["function"]["parameters"]["properties"]["city"] == {
        "description": "The city",
        "type": "string",
    }
    assert tools[3] == raw
    strict = format_tools([GetWeather], strict=True)[0]["function"]
    assert strict["strict"] is True


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, None),
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("any", "required"),
        (False, "none"),
        ("add", {"type": "function", "function": {"name": "add"}}),
        (
            {"type": "function", "function": {"name": "GetWeather"}},
            {"type": "function", "function": {"name": "GetWeather"}},
        ),
    ],
)
def test_tool_choice_is_normalized(choice: Any, expected: Any) -> None:
    assert normalize_tool_choice(choice, TOOLS) == expected


def test_tool_choice_true_names_a_single_tool() -> None:
    one = format_tools([add])
    assert normalize_tool_choice(True, one) == {
        "type": "function",
        "function": {"name": "add"},
    }
    assert normalize_tool_choice(True, TOOLS) == "required"


def test_tool_choice_naming_no_bound_tool_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="names no bound tool"):
        normalize_tool_choice("nope", TOOLS)
    with pytest.raises(ConfigurationError):
        normalize_tool_choice(3, TOOLS)


def test_json_schema_format_for_pydantic_and_dict_schemas() -> None:
    fmt = json_schema_format(GetWeather, strict=True)
    assert fmt["type"] == "json_schema"
    spec = fmt["json_schema"]
    assert spec["name"] == "GetWeather"
    assert spec["strict"] is True
    assert spec["description"] == "Get the current weather in a city."
    assert spec["schema"]["required"] == ["city"]
    raw = {
        "title": "person",
        "type": "object",
        "properties": {"age": {"type": "integer"}},
    }
    spec = json_schema_format(raw)["json_schema"]
    assert spec["name"] == "person"
    assert "strict" not in spec
    assert spec["schema"]["properties"] == {"age": {"type": "integer"}}


# -- messages in --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "args", "error"),
    [
        ("", {}, None),
        ("  ", {}, None),
        ('{"a": 1}', {"a": 1}, None),
        ('{"a": 1', None, "not valid JSON"),
        ("[1, 2]", None, "not a JSON object"),
        ("null", None, "not a JSON object"),
    ],
)
def test_parse_arguments_is_strict(text: str, args: Any, error: str | None) -> None:
    parsed, problem = parse_arguments(text)
    assert parsed == args
    if error is None:
        assert problem is None
    else:
        assert problem is not None and error in problem


def test_collect_message_merges_split_tool_calls_by_index() -> None:
    chunks = [
        AIMessageChunk(content="Let me "),
        AIMessageChunk(
            content="",
            tool_call_chunks=[
                tool_call_chunk(name="add", args='{"a"', id="c0", index=0),
                tool_call_chunk(name="GetWeather", args="", id="c1", index=1),
            ],
        ),
        AIMessageChunk(content="check."),
        AIMessageChunk(
            content="",
            tool_call_chunks=[
                tool_call_chunk(name=None, args='{"city": "Oslo"}', id=None, index=1),
                tool_call_chunk(name=None, args=': 1, "b": 2}', id=None, index=0),
            ],
        ),
        AIMessageChunk(
            content="",
            usage_metadata={"input_tokens": 3, "output_tokens": 4, "total_tokens": 7},
            response_metadata={"finish_reason": "tool_calls", "model_name": "m"},
        ),
    ]
    message = collect_message(chunks)
    assert message.content == "Let me check."
    assert message.tool_calls == [
        {"name": "add", "args": {"a": 1, "b": 2}, "id": "c0", "type": "tool_call"},
        {
            "name": "GetWeather",
            "args": {"city": "Oslo"},
            "id": "c1",
            "type": "tool_call",
        },
    ]
    assert message.invalid_tool_calls == []
    assert message.usage_metadata == {
        "input_tokens": 3,
        "output_tokens": 4,
        "total_tokens": 7,
    }
    assert message.response_metadata == {
        "finish_reason": "tool_calls",
        "model_name": "m",
    }


def test_collect_message_keeps_invalid_json_as_invalid_tool_calls() -> None:
    chunks = [
        AIMessageChunk(
            content="",
            tool_call_chunks=[
                tool_call_chunk(name="add", args='{"a": 1,', id="c0", index=0),
                tool_call_chunk(name=None, args="{}", id="c1", index=1),
                tool_call_chunk(name="ok", args="", id="c2", index=2),
            ],
        )
    ]
    message = collect_message(chunks)
    assert message.tool_calls == [
        {"name": "ok", "args": {}, "id": "c2", "type": "tool_call"}
    ]
    assert [(c["name"], c["args"], c["id"]) for c in message.invalid_tool_calls] == [
        ("add", '{"a": 1,', "c0"),
        (None, "{}", "c1"),
    ]
    assert all(c["error"] for c in message.invalid_tool_calls)
