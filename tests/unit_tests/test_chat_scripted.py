"""The scripted chat container, in process: its bytes in both flavours."""

from __future__ import annotations

import json
from typing import Any

import pytest

from langchain_sagemaker.local.container import ContainerRequest, get_container
from langchain_sagemaker.local.models import get_model
from langchain_sagemaker.local.scripted import (
    ScriptedContainer,
    ScriptedReply,
    ScriptedToolCall,
    scripted_container,
)

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add.",
            "parameters": {"type": "object", "properties": {}},
        },
    }
]
ADD = {"tool_calls": [{"name": "add", "args": {"a": 1, "b": 2}, "id": "call_x"}]}


def container(*replies: Any, **options: Any) -> ScriptedContainer:
    return ScriptedContainer(get_model("echo"), replies=replies, **options)


async def send(c: ScriptedContainer, body: Any, **kw: Any) -> tuple[int, bytes]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    kw.setdefault("content_type", "application/json")
    response = await c.invoke(ContainerRequest(body=raw, **kw))
    return response.status, await response.read()


def chat(**fields: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "Hello there"}], **fields}


def events(data: bytes, prefix: bytes) -> list[Any]:
    out = []
    for block in data.split(b"\n\n"):
        if not block:
            continue
        assert block.startswith(prefix), block
        payload = block[len(prefix) :]
        out.append("[DONE]" if payload == b"[DONE]" else json.loads(payload))
    return out


def test_registered_under_two_names() -> None:
    assert isinstance(get_container("scripted", get_model("echo")), ScriptedContainer)
    tgi = get_container("scripted-tgi", get_model("echo"))
    assert isinstance(tgi, ScriptedContainer) and tgi.flavour == "tgi"


def test_replies_coerce_and_refuse_nonsense() -> None:
    assert ScriptedReply.coerce("hi") == ScriptedReply(content="hi")
    reply = ScriptedReply.coerce({"tool_calls": [{"name": "f", "arguments": "{bad"}]})
    assert reply.tool_calls == [ScriptedToolCall("f", "{bad")]
    assert reply.tool_calls[0].arguments_text() == "{bad"
    with pytest.raises(TypeError, match="unknown scripted reply fields"):
        ScriptedReply.coerce({"text": "x"})
    with pytest.raises(TypeError):
        ScriptedReply.coerce(3)
    with pytest.raises(TypeError, match="needs a name"):
        ScriptedToolCall.coerce({"args": {}})
    with pytest.raises(ValueError, match="flavour"):
        container(flavour="vllm")  # type: ignore[arg-type]


async def test_queue_push_pending_bodies_and_fallback() -> None:
    c = container("first")
    c.push({"content": "second"})
    assert c.pending == 2
    answers = []
    for _ in range(3):
        status, body = await send(c, chat())
        assert status == 200
        answers.append(json.loads(body)["choices"][0]["message"]["content"])
    # the fallback: the model (echo) on the last user message
    assert answers == ["first", "second", "Hello there"]
    assert c.pending == 0
    assert c.bodies == [chat()] * 3
    c.clear()
    assert c.bodies == []


async def test_openai_text_answer_shape() -> None:
    status, body = await send(container("Paris is nice."), chat(model="x"))
    data = json.loads(body)
    assert status == 200
    assert data["object"] == "chat.completion"
    assert data["model"] == "scripted-model"
    choice = data["choices"][0]
    assert choice["message"]["content"] == "Paris is nice."
    assert choice["message"]["tool_calls"] == []
    assert choice["finish_reason"] == "stop"
    usage = data["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


@pytest.mark.parametrize(
    ("choice", "finish"),
    [
        ("auto", "tool_calls"),
        ({"type": "function", "function": {"name": "add"}}, "stop"),
    ],
)
async def test_openai_tool_call_answer(choice: Any, finish: str) -> None:
    _, body = await send(container(ADD), chat(tools=TOOLS, tool_choice=choice))
    choice0 = json.loads(body)["choices"][0]
    assert choice0["finish_reason"] == finish
    assert choice0["message"]["content"] is None
    assert choice0["message"]["tool_calls"] == [
        {
            "id": "call_x",
            "type": "function",
            "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
        }
    ]


async def test_tgi_tool_call_answer_quirks() -> None:
    reply = {"tool_calls": [{"name": "add", "args": {"a": 1}}]}
    _, body = await send(container(reply, flavour="tgi"), chat(tools=TOOLS))
    data = json.loads(body)
    message = data["choices"][0]["message"]
    assert "content" not in message
    assert message["tool_calls"] == [
        {
            "id": "0",
            "type": "function",
            "function": {"description": None, "name": "add", "arguments": {"a": 1}},
        }
    ]
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["system_fingerprint"]


async def test_openai_stream_of_text_and_split_tool_calls() -> None:
    reply = {"content": "Let me add.", **ADD, "chunk_size": 5}
    body = chat(tools=TOOLS, stream=True, stream_options={"include_usage": True})
    _, data = await send(container(reply), body)
    evs = events(data, b"data: ")
    assert evs[-1] == "[DONE]"
    deltas = [e["choices"][0]["delta"] for e in evs[:-2]]
    assert deltas[0] == {"role": "assistant", "content": ""}
    text = "".join(d.get("content", "") for d in deltas)
    assert text == "Let me add."
    calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    assert calls[0] == {
        "id": "call_x",
        "type": "function",
        "index": 0,
        "function": {"name": "add", "arguments": ""},
    }
    assert all(c.keys() == {"index", "function"} for c in calls[1:])
    assert "".join(c["function"]["arguments"] for c in calls) == '{"a": 1, "b": 2}'
    assert len(calls) > 2  # really split
    assert evs[-3]["choices"][0]["finish_reason"] == "tool_calls"
    assert evs[-2]["choices"] == [] and evs[-2]["usage"]["total_tokens"] > 0


async def test_openai_stream_without_usage_unless_asked() -> None:
    _, data = await send(container("hi"), chat(stream=True))
    evs = events(data, b"data: ")
    assert all("usage" not in e for e in evs[:-1])


async def test_tgi_stream_tool_call_quirks() -> None:
    reply = {"tool_calls": [{"name": "add", "args": {"a": 12345}}], "chunk_size": 3}
    body = chat(tools=TOOLS, stream=True, stream_options={"include_usage": True})
    _, data = await send(container(reply, flavour="tgi"), body)
    evs = events(data, b"data:")
    assert evs[-1] == "[DONE]"
    assert evs[-2]["choices"] == []  # usage
    chunks = [e["choices"][0] for e in evs[:-2]]
    assert all(c["finish_reason"] is None for c in chunks)
    calls = [c["delta"]["tool_calls"][0] for c in chunks]
    assert all(c["delta"]["role"] == "assistant" for c in chunks)
    assert all(c["id"] == "0" and c["type"] == "function" for c in calls)
    assert [c["function"]["name"] for c in calls] == ["add"] + [None] * (len(calls) - 1)
    assert "".join(c["function"]["arguments"] for c in calls) == '{"a": 12345}'


async def test_tgi_text_stream_ends_with_stop() -> None:
    _, data = await send(container("Hello!", flavour="tgi"), chat(stream=True))
    evs = events(data, b"data:")
    assert evs[-1] == "[DONE]"
    assert evs[-2]["choices"][0]["finish_reason"] == "stop"
    text = "".join(e["choices"][0]["delta"]["content"] for e in evs[:-1])
    assert text == "Hello!"


async def test_server_side_stop_and_max_tokens_in_the_fallback() -> None:
    _, body = await send(container("one. two"), chat(stop=["."]))
    assert json.loads(body)["choices"][0]["message"]["content"] == "one"
    long = {"messages": [{"role": "user", "content": "a b c d e"}], "max_tokens": 2}
    _, body = await send(container(), long)
    choice = json.loads(body)["choices"][0]
    assert choice["message"]["content"] == "a b"
    assert choice["finish_reason"] == "length"


async def test_fallback_for_a_forced_tool_choice_calls_the_tool() -> None:
    _, body = await send(container(), chat(tools=TOOLS, tool_choice="required"))
    call = json.loads(body)["choices"][0]["message"]["tool_calls"][0]
    assert call["function"] == {"name": "add", "arguments": "{}"}


@pytest.mark.parametrize(
    ("flavour", "body", "status", "words"),
    [
        ("openai", chat(tools=TOOLS, tool_choice="any"), 400, "unknown variant `any`"),
        ("tgi", chat(tools=TOOLS, tool_choice="any"), 422, "unknown variant `any`"),
        (
            "openai",
            chat(
                tools=TOOLS, tool_choice={"type": "function", "function": {"name": "x"}}
            ),
            400,
            "has not been passed",
        ),
        (
            "openai",
            chat(stream_options={"include_usage": True}),
            400,
            "suitable handler",
        ),
        ("openai", {"messages": []}, 400, "non-empty"),
        (
            "openai",
            {"messages": [{"role": "tool", "content": "3"}]},
            400,
            "tool_call_id",
        ),
        (
            "tgi",
            chat(
                response_format={"type": "json_schema", "json_schema": {"schema": {}}}
            ),
            422,
            "missing field `value`",
        ),
        (
            "tgi",
            chat(tools=TOOLS, response_format={"type": "json", "value": {}}),
            422,
            "mutually exclusive",
        ),
    ],
)
async def test_requests_real_servers_refuse(
    flavour: str, body: dict[str, Any], status: int, words: str
) -> None:
    c = container("never", flavour=flavour)
    got, answer = await send(c, body)
    assert got == status
    assert words in answer.decode()
    assert c.pending == 1  # a refused request does not use up a reply


async def test_other_refusals() -> None:
    got, _ = await send(container(), chat(), content_type="text/plain")
    assert got == 415
    got, answer = await send(container({"status": 503, "error": "overloaded"}), chat())
    assert got == 503
    assert json.loads(answer)["message"] == "overloaded"


def test_scripted_container_finds_it_on_a_local_endpoint() -> None:
    from langchain_sagemaker.local import LocalEndpoint

    endpoint = LocalEndpoint(container="scripted", model="echo", replies=["x"])
    endpoint.add_endpoint("plain", "openai", model="echo")
    c = scripted_container(endpoint)
    assert c.pending == 1
    with pytest.raises(TypeError, match="served by"):
        scripted_container(endpoint, "plain")
