"""The chat dialects: request bodies, responses and streams, both servers' quirks.

Tool-call bytes below are assembled from the servers' own serialization code:
vLLM ``vllm/entrypoints/openai/protocol.py`` (``ChatCompletionResponse``,
``DeltaToolCall``; ``serving_chat.py`` sends ``id``/``type``/``name`` in the
first chunk of a call and only ``index`` + ``arguments`` after), and TGI
``router/src/lib.rs`` (``ToolCall``, ``FunctionDefinition`` with
``arguments: Value``, ``DeltaToolCall``, ``Function { name: Option, arguments }``)
and ``router/src/chat.rs`` (``parse_output`` gives id ``"0"``;
``create_event_from_stream_token`` repeats role/id/type and passes the
function name only with the first chunk; no finish reason in tool streams).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage

from langchain_sagemaker._chat_handlers import ChatRequest, get_chat_handler
from langchain_sagemaker._chat_messages import collect_message, format_tools
from langchain_sagemaker._chat_openai import OpenAIChatDialect, TGIMessagesDialect
from langchain_sagemaker._chat_stream import ChatAssembler
from langchain_sagemaker.errors import (
    ConfigurationError,
    IncompleteStreamError,
    ModelError,
    ResponseParseError,
    StreamError,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "handlers"

OPENAI = OpenAIChatDialect()
TGI = TGIMessagesDialect()


def sse(payload: dict[str, Any], prefix: bytes = b"data: ") -> bytes:
    return prefix + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def run_stream(
    handler: Any, data: bytes, stop: list[str] | None = None, cut: int = 0
) -> list[AIMessageChunk]:
    """Feed a stream as PayloadParts cut every ``cut`` bytes (0: whole)."""
    asm = ChatAssembler(handler, stop, model_name="ep", new_id=iter_ids())
    parts = [data[i : i + cut] for i in range(0, len(data), cut)] if cut else [data]
    chunks: list[AIMessageChunk] = []
    for part in parts:
        chunks.extend(asm.feed_event({"PayloadPart": {"Bytes": part}}))
        if asm.stopped or asm.done:
            break
    chunks.extend(asm.close())
    return chunks


def run_body(handler: Any, body: bytes) -> AIMessage:
    asm = ChatAssembler(handler, None, model_name="ep", new_id=iter_ids())
    return collect_message(asm.feed_body(body))


def iter_ids() -> Any:
    counter = iter(range(1000))
    return lambda: f"call_gen{next(counter)}"


def aggregate(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def test_registry_names() -> None:
    assert isinstance(get_chat_handler("openai-chat"), OpenAIChatDialect)
    assert isinstance(get_chat_handler("tgi-messages"), TGIMessagesDialect)
    with pytest.raises(ConfigurationError, match="Unknown chat content handler"):
        get_chat_handler("nope")


# -- requests ---------------------------------------------------------------------------


def request(**kwargs: Any) -> dict[str, Any]:
    handler = kwargs.pop("handler", OPENAI)
    kwargs.setdefault("messages", [HumanMessage("Hi")])
    return json.loads(handler.request_body(ChatRequest(**kwargs)))


def test_openai_request_body_with_params_stops_and_stream_options() -> None:
    body = request(
        params={"max_tokens": 5, "temperature": 0, "model": "m", "seed": 1},
        stop=["\n\n", "###"],
        stream=True,
    )
    assert body == {
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 5,
        "temperature": 0,
        "model": "m",
        "seed": 1,
        "stop": ["\n\n", "###"],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert "stream_options" not in request(params={"stream_options": {"x": 1}})


def test_openai_request_with_tools_choice_and_response_format() -> None:
    tools = format_tools(
        [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    )
    body = request(tools=tools, tool_choice="required")
    assert body["tools"] == tools
    assert body["tool_choice"] == "required"
    assert "tool_choice" not in request(tool_choice="required")  # no tools: dropped
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}
    assert request(response_format=fmt)["response_format"] == fmt


def test_tgi_request_spelling() -> None:
    body = request(
        handler=TGI,
        params={"temperature": 0, "top_p": 1.0, "max_tokens": 3},
        stop=["a", "b", "c", "d", "e"],
    )
    assert body["temperature"] == 0.0
    assert "top_p" not in body  # TGI requires top_p < 1
    assert body["stop"] == ["a", "b", "c", "d"]  # at most 4


def test_tgi_assistant_tool_call_turn_has_no_content_key() -> None:
    messages = [
        HumanMessage("1+2?"),
        AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1}, "id": "c"}]),
        ToolMessage("3", tool_call_id="c"),
    ]
    body = request(handler=TGI, messages=messages)
    assert body["messages"][1] == {
        "role": "assistant",
        "tool_calls": [
            {
                "id": "c",
                "type": "function",
                "function": {"name": "add", "arguments": '{"a": 1}'},
            }
        ],
    }
    assert body["messages"][2] == {"role": "tool", "content": "3", "tool_call_id": "c"}
    assert request(messages=messages)["messages"][1]["content"] is None  # OpenAI: null


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (
            {
                "type": "json_schema",
                "json_schema": {
                    "name": "P",
                    "schema": {"type": "object", "required": ["a"]},
                },
            },
            {"type": "json", "value": {"type": "object", "required": ["a"]}},
        ),
        ({"type": "json_object"}, {"type": "json", "value": {"type": "object"}}),
        ({"type": "regex", "value": "a+"}, {"type": "regex", "value": "a+"}),
        (
            {"type": "json", "value": {"type": "integer"}},
            {"type": "json", "value": {"type": "integer"}},
        ),
    ],
)
def test_tgi_response_format_is_a_grammar(
    given: dict[str, Any], sent: dict[str, Any]
) -> None:
    assert request(handler=TGI, response_format=given)["response_format"] == sent


def test_tgi_refuses_tools_with_a_response_format() -> None:
    tools = format_tools(
        [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    )
    with pytest.raises(ConfigurationError, match="mutually exclusive"):
        request(handler=TGI, tools=tools, response_format={"type": "json_object"})


# -- whole responses ------------------------------------------------------------------------


def test_golden_text_responses() -> None:
    message = run_body(
        OPENAI, (FIXTURES / "openai-chat" / "response.json").read_bytes()
    )
    assert message.content == "Deep learning is a subset"
    assert message.response_metadata == {
        "finish_reason": "length",
        "model_name": "meta-llama/Meta-Llama-3-8B-Instruct",
    }
    assert message.usage_metadata == {
        "input_tokens": 15,
        "output_tokens": 5,
        "total_tokens": 20,
    }
    assert message.tool_calls == []
    tgi = run_body(TGI, (FIXTURES / "tgi-messages" / "response.json").read_bytes())
    assert tgi.content.startswith("As of your last question")
    assert tgi.usage_metadata == {
        "input_tokens": 61,
        "output_tokens": 100,
        "total_tokens": 161,
    }


VLLM_TOOL_RESPONSE = {
    "id": "chatcmpl-abc",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "reasoning_content": None,
                "content": None,
                "tool_calls": [
                    {
                        "id": "chatcmpl-tool-1",
                        "type": "function",
                        "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
                    },
                    {
                        "id": "chatcmpl-tool-2",
                        "type": "function",
                        "function": {"name": "add", "arguments": '{"a": 3, "b":'},
                    },
                ],
            },
            "logprobs": None,
            "finish_reason": "stop",
            "stop_reason": None,
        }
    ],
    "usage": {"prompt_tokens": 10, "total_tokens": 30, "completion_tokens": 20},
}


def test_vllm_tool_calls_valid_and_invalid() -> None:
    message = run_body(OPENAI, json.dumps(VLLM_TOOL_RESPONSE).encode())
    assert message.content == ""
    assert message.tool_calls == [
        {
            "name": "add",
            "args": {"a": 1, "b": 2},
            "id": "chatcmpl-tool-1",
            "type": "tool_call",
        }
    ]
    [bad] = message.invalid_tool_calls
    assert (bad["name"], bad["args"], bad["id"]) == (
        "add",
        '{"a": 3, "b":',
        "chatcmpl-tool-2",
    )
    # vLLM ends a named tool choice with "stop": reported as tool calls
    assert message.response_metadata["finish_reason"] == "tool_calls"


TGI_TOOL_RESPONSE = (
    b'{"object":"chat.completion","id":"","created":1,"model":"tgi","system_fingerprint":"3.3.6-native",'
    b'"choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"0","type":"function",'
    b'"function":{"description":null,"name":"get_weather","arguments":{"city":"Paris","unit":"c"}}}]},'
    b'"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":8,"total_tokens":17}}'
)


def test_tgi_tool_call_response_quirks() -> None:
    message = run_body(TGI, TGI_TOOL_RESPONSE)
    assert message.content == ""
    # arguments object -> dict; id "0" replaced by a fresh one; "stop" -> "tool_calls"
    assert message.tool_calls == [
        {
            "name": "get_weather",
            "args": {"city": "Paris", "unit": "c"},
            "id": "call_gen0",
            "type": "tool_call",
        }
    ]
    assert message.response_metadata == {
        "finish_reason": "tool_calls",
        "model_name": "tgi",
    }


def test_length_with_tool_calls_stays_length() -> None:
    data = json.loads(json.dumps(VLLM_TOOL_RESPONSE))
    data["choices"][0]["finish_reason"] = "length"
    assert (
        run_body(OPENAI, json.dumps(data).encode()).response_metadata["finish_reason"]
        == "length"
    )


def test_error_bodies_and_wrong_shapes() -> None:
    with pytest.raises(ModelError):
        run_body(
            OPENAI,
            b'{"object":"error","message":"bad","type":"BadRequestError","param":null,"code":400}',
        )
    with pytest.raises(ResponseParseError, match='no "choices"'):
        run_body(OPENAI, b'[{"generated_text": "hi"}]')
    with pytest.raises(ResponseParseError, match='no "message"'):
        run_body(OPENAI, b'{"choices":[{"index":0,"text":"hi"}]}')


# -- streams ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [0, 1, 7, 50])
def test_golden_streams_any_payload_split(cut: int) -> None:
    chunks = run_stream(
        TGI, (FIXTURES / "tgi-messages" / "stream.txt").read_bytes(), cut=cut
    )
    total = aggregate(chunks)
    assert total.content == "OK!"
    assert total.usage_metadata == {
        "input_tokens": 39,
        "output_tokens": 3,
        "total_tokens": 42,
    }
    assert total.response_metadata == {
        "finish_reason": "stop",
        "model_name": "meta-llama/Llama-3.1-8B-Instruct",
    }
    assert chunks[-1].chunk_position == "last"
    openai = aggregate(
        run_stream(
            OPENAI, (FIXTURES / "openai-chat" / "stream.txt").read_bytes(), cut=cut
        )
    )
    assert openai.content.startswith("Deep")


@pytest.mark.parametrize(
    "name", ["stream_lmi_vllm_async.jsonl", "stream_lmi_rolling.jsonl"]
)
def test_lmi_json_lines_streams(name: str) -> None:
    total = aggregate(
        run_stream(OPENAI, (FIXTURES / "openai-chat" / name).read_bytes())
    )
    assert total.content
    assert total.response_metadata["finish_reason"]


def vllm_tool_stream() -> bytes:
    """Two parallel calls, arguments split across chunks and interleaved."""
    base = {
        "id": "chatcmpl-x",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse({**base, "choices": [choice]})

    def call(index: int, **fields: Any) -> dict[str, Any]:
        return {"tool_calls": [{"index": index, **fields}]}

    return b"".join(
        [
            chunk({"role": "assistant", "content": ""}),
            chunk({"content": "Checking"}),
            chunk(
                call(
                    0,
                    id="chatcmpl-tool-a",
                    type="function",
                    function={"name": "add", "arguments": ""},
                )
            ),
            chunk(call(0, function={"arguments": '{"a": '})),
            chunk(
                call(
                    1,
                    id="chatcmpl-tool-b",
                    type="function",
                    function={"name": "get_weather", "arguments": '{"ci'},
                )
            ),
            chunk(call(0, function={"arguments": '1, "b": 2}'})),
            chunk(call(1, function={"arguments": 'ty": "Oslo"}'})),
            chunk({"content": ""}, "tool_calls"),
            sse(
                {
                    **base,
                    "choices": [],
                    "usage": {
                        "prompt_tokens": 5,
                        "completion_tokens": 9,
                        "total_tokens": 14,
                    },
                }
            ),
            b"data: [DONE]\n\n",
        ]
    )


@pytest.mark.parametrize("cut", [0, 3, 40])
def test_vllm_streamed_tool_calls_split_across_chunks(cut: int) -> None:
    chunks = run_stream(OPENAI, vllm_tool_stream(), cut=cut)
    pieces = [p for c in chunks for p in c.tool_call_chunks]
    # ids and names once per call; arguments only in the pieces
    assert [p["id"] for p in pieces if p["id"]] == [
        "chatcmpl-tool-a",
        "chatcmpl-tool-b",
    ]
    assert [p["name"] for p in pieces if p["name"]] == ["add", "get_weather"]
    total = aggregate(chunks)
    assert total.content == "Checking"
    assert total.tool_calls == [
        {
            "name": "add",
            "args": {"a": 1, "b": 2},
            "id": "chatcmpl-tool-a",
            "type": "tool_call",
        },
        {
            "name": "get_weather",
            "args": {"city": "Oslo"},
            "id": "chatcmpl-tool-b",
            "type": "tool_call",
        },
    ]
    assert total.usage_metadata == {
        "input_tokens": 5,
        "output_tokens": 9,
        "total_tokens": 14,
    }
    assert total.response_metadata == {"finish_reason": "tool_calls", "model_name": "m"}
    strict = collect_message(chunks)
    assert strict.tool_calls == total.tool_calls


def tgi_tool_stream(
    pieces: list[str], *, as_list: bool = True, done: bool = True
) -> bytes:
    events = []
    for n, piece in enumerate(pieces):
        call = {
            "index": 0,
            "id": "0",
            "type": "function",
            "function": {"name": "get_weather" if n == 0 else None, "arguments": piece},
        }
        delta = {"role": "assistant", "tool_calls": [call] if as_list else call}
        events.append(
            sse(
                {
                    "object": "chat.completion.chunk",
                    "id": "",
                    "created": 1,
                    "model": "tgi",
                    "system_fingerprint": "3.3.6-native",
                    "choices": [
                        {
                            "index": 0,
                            "delta": delta,
                            "logprobs": None,
                            "finish_reason": None,
                        }
                    ],
                    "usage": None,
                },
                prefix=b"data:",
            )
        )
    if done:
        events.append(b"data:[DONE]\n\n")
    return b"".join(events)


@pytest.mark.parametrize("as_list", [True, False])
@pytest.mark.parametrize("cut", [0, 5])
def test_tgi_streamed_tool_call_quirks(as_list: bool, cut: int) -> None:
    data = tgi_tool_stream(['{"', 'city": "Pa', 'ris"}'], as_list=as_list)
    chunks = run_stream(TGI, data, cut=cut)
    pieces = [p for c in chunks for p in c.tool_call_chunks]
    assert [p["id"] for p in pieces if p["id"]] == ["call_gen0"]
    assert [p["name"] for p in pieces if p["name"]] == ["get_weather"]
    total = aggregate(chunks)
    assert total.tool_calls == [
        {
            "name": "get_weather",
            "args": {"city": "Paris"},
            "id": "call_gen0",
            "type": "tool_call",
        }
    ]
    # TGI sends no finish reason for tool calls
    assert total.response_metadata["finish_reason"] == "tool_calls"


def test_streamed_invalid_tool_json_never_crashes() -> None:
    chunks = run_stream(TGI, tgi_tool_stream(['{"city": ', "Paris}"]))
    assert collect_message(chunks).invalid_tool_calls[0]["args"] == '{"city": Paris}'
    total = aggregate(chunks)
    assert (
        total.tool_calls == [] or total.invalid_tool_calls
    )  # LangChain's lenient view


def test_stream_without_its_end_marker_is_incomplete() -> None:
    data = (FIXTURES / "tgi-messages" / "stream.txt").read_bytes()
    cut = data[: data.index(b"data:{", 10)]  # only the first event
    with pytest.raises(IncompleteStreamError) as caught:
        run_stream(TGI, cut)
    assert caught.value.partial_text == "OK"


def test_stream_error_event() -> None:
    with pytest.raises(StreamError, match="CUDA out of memory"):
        run_stream(TGI, (FIXTURES / "tgi-messages" / "stream_error.txt").read_bytes())


@pytest.mark.parametrize("cut", [0, 1, 4])
def test_client_side_stops_are_literal_across_chunks(cut: int) -> None:
    base = {"choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": None}]}
    events = []
    for piece in ["The a", "nswer.", "* is ", "[4", "2]"]:
        event = json.loads(json.dumps(base))
        event["choices"][0]["delta"]["content"] = piece
        events.append(sse(event))
    data = b"".join([*events, b"data: [DONE]\n\n"])
    total = aggregate(run_stream(OPENAI, data, stop=[".*", "[4"], cut=cut))
    assert total.content == "The answer"
    assert total.response_metadata["finish_reason"] == "stop"
