"""ChatSagemakerEndpoint through real boto3 / aiobotocore to the local endpoint.

The plain ``openai`` (vLLM) and ``tgi-messages`` containers answer simple chat
with the echo model; the ``scripted`` container (both flavours) answers tool
calls and structured output from a queue the test fills.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import tool
from pydantic import BaseModel

import langchain_sagemaker.local.scripted  # noqa: F401 - registers "scripted"
from langchain_sagemaker import ChatSagemakerEndpoint
from langchain_sagemaker.errors import ConfigurationError, ModelError
from langchain_sagemaker.local import LocalEndpoint
from langchain_sagemaker.local.scripted import ScriptedContainer, scripted_container

FLAVOURS = [("scripted", "openai-chat"), ("scripted-tgi", "tgi-messages")]
PLAIN = [("vllm", "openai-chat"), ("tgi", "tgi-messages")]


@pytest.fixture(scope="module")
def local() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(
        container="scripted", model="echo", endpoint_name="scripted"
    ) as endpoint:
        endpoint.add_endpoint("scripted-tgi", "scripted", model="echo", flavour="tgi")
        endpoint.add_endpoint("vllm", "openai", model="echo")
        endpoint.add_endpoint("tgi", "tgi-messages", model="echo")
        yield endpoint


@pytest.fixture(autouse=True)
def fresh(local: LocalEndpoint) -> None:
    for name in ("scripted", "scripted-tgi"):
        scripted_container(local, name).clear()
    local.requests.clear()


def make_chat(
    local: LocalEndpoint, name: str, handler: str, **kwargs: Any
) -> ChatSagemakerEndpoint:
    return ChatSagemakerEndpoint(
        endpoint_name=name,
        content_handler=handler,
        endpoint_url=local.url,
        region_name=local.region_name,
        aws_access_key_id="testing",  # type: ignore[arg-type]
        aws_secret_access_key="testing",  # type: ignore[arg-type]
        **kwargs,
    )


def script(local: LocalEndpoint, name: str, *replies: Any) -> ScriptedContainer:
    container = scripted_container(local, name)
    container.push(*replies)
    return container


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Person(BaseModel):
    """A person."""

    name: str
    age: int


ADD_CALL = {
    "tool_calls": [{"name": "add", "args": {"a": 20, "b": 22}}],
    "chunk_size": 3,
}


# -- simple chat on the plain containers -------------------------------------------------


@pytest.mark.parametrize(("name", "handler"), PLAIN)
def test_plain_containers_invoke_and_stream(
    local: LocalEndpoint, name: str, handler: str
) -> None:
    chat = make_chat(local, name, handler, max_tokens=50)
    messages = [SystemMessage("Repeat after me."), HumanMessage("The quick brown fox.")]
    message = chat.invoke(messages)
    assert message.content == "The quick brown fox."
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_tokens"] >= 4
    assert message.response_metadata["finish_reason"] == "stop"
    assert message.response_metadata["model_name"] == "local-model"
    chunks = list(chat.stream(messages))
    assert "".join(c.text for c in chunks) == "The quick brown fox."
    assert len([c for c in chunks if c.text]) >= 4  # token by token
    assert chunks[-1].usage_metadata is not None


@pytest.mark.parametrize(("name", "handler"), PLAIN)
async def test_plain_containers_native_async(
    local: LocalEndpoint, name: str, handler: str
) -> None:
    chat = make_chat(local, name, handler)
    assert chat._native_async() is not None  # aiobotocore, not threads
    message = await chat.ainvoke("Hello async world")
    assert message.content == "Hello async world"
    text = "".join([c.text async for c in chat.astream("Streaming async words")])
    assert text == "Streaming async words"
    answers = await chat.abatch(["one", "two", "three"])
    assert [a.content for a in answers] == ["one", "two", "three"]
    await chat.aclose()


@pytest.mark.parametrize(("name", "handler"), PLAIN)
def test_plain_containers_stop_sequences(
    local: LocalEndpoint, name: str, handler: str
) -> None:
    chat = make_chat(local, name, handler)
    prompt = "alpha beta. gamma [delta"
    assert chat.invoke(prompt, stop=["."]).content == "alpha beta"
    assert (
        "".join(c.text for c in chat.stream(prompt, stop=["[d"]))
        == "alpha beta. gamma "
    )


def test_multi_turn_history_reaches_the_container(local: LocalEndpoint) -> None:
    chat = make_chat(local, "scripted", "openai-chat")
    container = script(local, "scripted", "Second answer")
    history = [
        SystemMessage("sys"),
        HumanMessage("first"),
        AIMessage("first answer"),
        HumanMessage("second"),
    ]
    assert chat.invoke(history).content == "Second answer"
    [body] = container.bodies
    assert body["messages"] == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second"},
    ]
    # the runtime's log recorded the same body
    [record] = [r for r in local.requests if r.endpoint_name == "scripted"]
    assert json.loads(record.body) == body


# -- tools on the scripted containers ------------------------------------------------------


@pytest.mark.parametrize(("name", "handler"), FLAVOURS)
@pytest.mark.parametrize("streaming", [False, True])
def test_tool_round_trip(
    local: LocalEndpoint, name: str, handler: str, streaming: bool
) -> None:
    container = script(local, name, ADD_CALL, "20 + 22 = 42.")
    chat = make_chat(local, name, handler, streaming=streaming).bind_tools([add])
    question = HumanMessage("What is 20 + 22?")
    ai = chat.invoke([question])
    assert ai.tool_calls == [
        {
            "name": "add",
            "args": {"a": 20, "b": 22},
            "id": ai.tool_calls[0]["id"],
            "type": "tool_call",
        }
    ]
    assert ai.tool_calls[0]["id"]
    assert ai.response_metadata["finish_reason"] == "tool_calls"
    result = add.invoke(ai.tool_calls[0])
    final = chat.invoke([question, ai, result])
    assert final.content == "20 + 22 = 42."
    sent = container.bodies[1]["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {
        "name": "add",
        "arguments": '{"a": 20, "b": 22}',
    }
    assert sent[2] == {
        "role": "tool",
        "content": "42",
        "tool_call_id": ai.tool_calls[0]["id"],
    }


@pytest.mark.parametrize(("name", "handler"), FLAVOURS)
def test_streamed_tool_call_chunks(
    local: LocalEndpoint, name: str, handler: str
) -> None:
    script(local, name, ADD_CALL)
    chunks = list(make_chat(local, name, handler).bind_tools([add]).stream("20+22?"))
    pieces = [p for c in chunks for p in c.tool_call_chunks]
    assert len(pieces) > 3  # split across chunks
    assert len([p for p in pieces if p["id"]]) == 1
    assert len([p for p in pieces if p["name"]]) == 1
    total: AIMessageChunk = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.tool_calls[0]["args"] == {"a": 20, "b": 22}
    assert total.usage_metadata is not None


@pytest.mark.parametrize(("name", "handler"), FLAVOURS)
async def test_async_tool_calls(local: LocalEndpoint, name: str, handler: str) -> None:
    script(local, name, ADD_CALL, ADD_CALL)
    chat = make_chat(local, name, handler).bind_tools([add], tool_choice="any")
    message = await chat.ainvoke("20+22?")
    assert message.tool_calls[0]["args"] == {"a": 20, "b": 22}
    chunks = [c async for c in chat.astream("20+22?")]
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.tool_calls[0]["args"] == {"a": 20, "b": 22}
    body = scripted_container(local, name).bodies[0]
    assert body["tool_choice"] == "required"  # "any" is no server's word


@pytest.mark.parametrize(("name", "handler"), FLAVOURS)
def test_invalid_tool_json_is_an_invalid_tool_call(
    local: LocalEndpoint, name: str, handler: str
) -> None:
    bad = {"tool_calls": [{"name": "add", "args": '{"a": 1, "b": }'}]}
    script(local, name, bad)
    message = make_chat(local, name, handler).bind_tools([add]).invoke("x")
    assert message.tool_calls == []
    assert message.invalid_tool_calls[0]["args"] == '{"a": 1, "b": }'


# -- structured output -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "handler"), FLAVOURS)
def test_structured_output_function_calling(
    local: LocalEndpoint, name: str, handler: str
) -> None:
    reply = {"tool_calls": [{"name": "Person", "args": {"name": "Ada", "age": 36}}]}
    container = script(local, name, reply)
    structured = make_chat(local, name, handler).with_structured_output(Person)
    assert structured.invoke("Ada is 36.") == Person(name="Ada", age=36)
    assert container.bodies[0]["tool_choice"] == {
        "type": "function",
        "function": {"name": "Person"},
    }


@pytest.mark.parametrize(("name", "handler"), FLAVOURS)
def test_structured_output_json_schema(
    local: LocalEndpoint, name: str, handler: str
) -> None:
    container = script(local, name, '{"name": "Ada", "age": 36}')
    structured = make_chat(local, name, handler).with_structured_output(
        Person, method="json_schema", include_raw=True
    )
    result = structured.invoke("Ada is 36.")
    assert isinstance(result, dict)
    assert result["parsed"] == Person(name="Ada", age=36)
    fmt = container.bodies[0]["response_format"]
    if handler == "tgi-messages":
        assert fmt["type"] == "json" and fmt["value"]["required"] == ["name", "age"]
    else:
        assert fmt["type"] == "json_schema"


def test_tgi_refuses_tools_with_a_response_format(local: LocalEndpoint) -> None:
    chat = make_chat(local, "scripted-tgi", "tgi-messages")
    bound = chat.bind_tools([add], response_format={"type": "json_object"})
    with pytest.raises(ConfigurationError, match="mutually exclusive"):
        bound.invoke("x")


def test_container_errors_are_model_errors(local: LocalEndpoint) -> None:
    script(local, "scripted", {"status": 400, "error": "context too long"})
    with pytest.raises(ModelError, match="context too long"):
        make_chat(local, "scripted", "openai-chat").invoke("x")


# -- an agent loop -----------------------------------------------------------------------------


def agent_for(local: LocalEndpoint, name: str, handler: str) -> Any:
    agents = pytest.importorskip("langchain.agents")
    return agents.create_agent(make_chat(local, name, handler), [add])


def check_loop(messages: list[Any]) -> None:
    kinds = [type(m).__name__ for m in messages]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    assert messages[1].tool_calls[0]["name"] == "add"
    assert isinstance(messages[2], ToolMessage)
    assert messages[2].content == "42"
    assert messages[2].tool_call_id == messages[1].tool_calls[0]["id"]
    assert messages[3].content == "The answer is 42."


@pytest.mark.parametrize(("name", "handler"), FLAVOURS)
def test_create_agent_two_step_loop(
    local: LocalEndpoint, name: str, handler: str
) -> None:
    agent = agent_for(local, name, handler)
    container = script(local, name, ADD_CALL, "The answer is 42.")
    out = agent.invoke({"messages": [("human", "What is 20 + 22?")]})
    check_loop(out["messages"])
    assert len(container.bodies) == 2
    assert container.bodies[1]["messages"][-1]["role"] == "tool"


@pytest.mark.parametrize(("name", "handler"), FLAVOURS)
async def test_create_agent_async_and_streamed(
    local: LocalEndpoint, name: str, handler: str
) -> None:
    agent = agent_for(local, name, handler)
    script(local, name, ADD_CALL, "The answer is 42.")
    out = await agent.ainvoke({"messages": [("human", "What is 20 + 22?")]})
    check_loop(out["messages"])
    script(local, name, ADD_CALL, "The answer is 42.")
    tokens: list[Any] = []
    async for token, _meta in agent.astream(
        {"messages": [("human", "What is 20 + 22?")]}, stream_mode="messages"
    ):
        tokens.append(token)
    text = "".join(t.text for t in tokens if isinstance(t, AIMessageChunk))
    assert text == "The answer is 42."
    assert any(t.tool_call_chunks for t in tokens if isinstance(t, AIMessageChunk))
    assert any(isinstance(t, ToolMessage) and t.content == "42" for t in tokens)


def test_create_agent_sync_stream(local: LocalEndpoint) -> None:
    agent = agent_for(local, "scripted", "openai-chat")
    script(local, "scripted", ADD_CALL, "The answer is 42.")
    updates = list(
        agent.stream(
            {"messages": [("human", "What is 20 + 22?")]}, stream_mode="updates"
        )
    )
    steps = [next(iter(u)) for u in updates]
    assert steps == ["model", "tools", "model"]
