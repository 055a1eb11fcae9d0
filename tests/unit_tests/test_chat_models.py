"""ChatSagemakerEndpoint with an injected client: calls, tools, structure, errors."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_sagemaker.chat_models import (
    ChatDelta,
    ChatHandler,
    ChatModelContentHandler,
    ChatRequest,
    ChatSagemakerEndpoint,
    ToolCallDelta,
    list_chat_handlers,
    register_chat_handler,
)
from langchain_sagemaker.errors import (
    ConfigurationError,
    EndpointNotFoundError,
    StreamError,
)


class FakeClient:
    """Records calls; answers with queued bodies or streams (lists of bytes)."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _next(self) -> Any:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def invoke_endpoint(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("invoke_endpoint", params))
        return {"Body": io.BytesIO(self._next())}

    def invoke_endpoint_with_response_stream(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("invoke_endpoint_with_response_stream", params))
        parts = self._next()
        return {"Body": iter({"PayloadPart": {"Bytes": p}} for p in parts)}

    def body(self, n: int = -1) -> dict[str, Any]:
        return json.loads(self.calls[n][1]["Body"])


def completion(
    content: str | None = "Hello!",
    tool_calls: list[dict[str, Any]] | None = None,
    finish: str = "stop",
) -> bytes:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": c["name"], "arguments": c["arguments"]},
            }
            for i, c in enumerate(tool_calls)
        ]
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "served",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
        }
    ).encode()


def stream(*pieces: str, finish: str = "stop") -> list[bytes]:
    events = [
        b"data: "
        + json.dumps(
            {"model": "served", "choices": [{"index": 0, "delta": {"content": p}}]}
        ).encode()
        + b"\n\n"
        for p in pieces
    ]
    last = {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
    usage = {
        "choices": [],
        "usage": {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6},
    }
    events.append(b"data: " + json.dumps(last).encode() + b"\n\n")
    events.append(b"data: " + json.dumps(usage).encode() + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return events


def make(client: FakeClient, **kwargs: Any) -> ChatSagemakerEndpoint:
    return ChatSagemakerEndpoint(endpoint_name="my-endpoint", client=client, **kwargs)


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Person(BaseModel):
    """A person."""

    name: str = Field(description="Their name")
    age: int


class PersonDict(TypedDict):
    """A person."""

    name: str
    age: int


# -- invoke and stream ----------------------------------------------------------------


def test_invoke_sends_messages_and_reads_the_answer() -> None:
    client = FakeClient(completion())
    chat = make(
        client,
        temperature=0.2,
        max_tokens=64,
        inference_component_name="ic-1",
        custom_attributes="a=b",
    )
    message = chat.invoke([SystemMessage("Be brief."), HumanMessage("Hi")])
    assert isinstance(message, AIMessage)
    assert message.content == "Hello!"
    assert message.usage_metadata == {
        "input_tokens": 7,
        "output_tokens": 3,
        "total_tokens": 10,
    }
    assert message.response_metadata["finish_reason"] == "stop"
    assert message.response_metadata["model_name"] == "served"
    operation, params = client.calls[0]
    assert operation == "invoke_endpoint"
    assert params["EndpointName"] == "my-endpoint"
    assert params["ContentType"] == params["Accept"] == "application/json"
    assert params["InferenceComponentName"] == "ic-1"
    assert params["CustomAttributes"] == "a=b"
    assert json.loads(params["Body"]) == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
        "temperature": 0.2,
        "max_tokens": 64,
    }


def test_stream_yields_chunks_and_one_metadata_chunk() -> None:
    client = FakeClient(stream("Hel", "lo", " there"))
    chunks = list(make(client).stream("Hi"))
    assert [c.content for c in chunks] == ["Hel", "lo", " there", ""]
    assert chunks[-1].usage_metadata == {
        "input_tokens": 4,
        "output_tokens": 2,
        "total_tokens": 6,
    }
    assert chunks[-1].response_metadata == {
        "finish_reason": "stop",
        "model_name": "served",
    }
    assert all(c.usage_metadata is None for c in chunks[:-1])
    operation, params = client.calls[0]
    assert operation == "invoke_endpoint_with_response_stream"
    assert "Accept" not in params
    assert client.body()["stream_options"] == {"include_usage": True}


def test_streaming_true_invoke_streams_and_calls_back_each_token() -> None:
    tokens: list[str] = []

    class Collect(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            tokens.append(token)

    client = FakeClient(stream("a", "b", "c"))
    message = make(client, streaming=True).invoke(
        "Hi", config={"callbacks": [Collect()]}
    )
    assert message.content == "abc"
    assert client.calls[0][0] == "invoke_endpoint_with_response_stream"
    assert tokens[:3] == ["a", "b", "c"]
    assert message.usage_metadata is not None
    assert message.usage_metadata["total_tokens"] == 6


def test_stops_are_sent_and_applied_client_side() -> None:
    client = FakeClient(stream("one. two", ". three"), completion("x.y.z"))
    chat = make(client, stop=["."])
    assert "".join(c.text for c in chat.stream("Hi")) == "one"
    assert client.body(0)["stop"] == ["."]
    assert chat.invoke("Hi", stop=["y"]).content == "x."
    assert client.body(1)["stop"] == ["y"]


def test_parameter_precedence_and_the_model_field() -> None:
    client = FakeClient(completion(), completion())
    chat = make(
        client,
        model="served",
        temperature=0.5,
        top_p=0.9,
        model_kwargs={"temperature": 0.7, "seed": 3},
    )
    chat.invoke("Hi")
    assert client.body(0) == {
        "messages": [{"role": "user", "content": "Hi"}],
        "model": "served",
        "temperature": 0.7,
        "top_p": 0.9,
        "seed": 3,
    }
    chat.invoke("Hi", temperature=0.1, endpoint_kwargs={"InferenceId": "r1"})
    assert client.body(1)["temperature"] == 0.1
    assert client.calls[1][1]["InferenceId"] == "r1"


def test_empty_endpoint_name_is_a_configuration_error() -> None:
    chat = ChatSagemakerEndpoint(client=FakeClient())
    with pytest.raises(ConfigurationError, match="endpoint_name"):
        chat.invoke("Hi")


def test_client_errors_are_typed() -> None:
    error = ClientError(
        {"Error": {"Code": "ValidationError", "Message": "Endpoint x not found."}},
        "InvokeEndpoint",
    )
    with pytest.raises(EndpointNotFoundError):
        make(FakeClient(error)).invoke("Hi")


def test_a_stream_error_keeps_the_partial_text() -> None:
    parts = [
        *stream("Hello ")[:1],
        b'data: {"error": {"message": "boom", "http_status_code": 500}}\n\n',
    ]
    with pytest.raises(StreamError) as caught:
        list(make(FakeClient(parts)).stream("Hi"))
    assert caught.value.partial_text == "Hello "


async def test_async_with_an_injected_client_runs_in_threads() -> None:
    client = FakeClient(completion("async!"), stream("a", "sync"))
    chat = make(client)
    assert (await chat.ainvoke("Hi")).content == "async!"
    chunks = [c async for c in chat.astream("Hi")]
    assert "".join(c.text for c in chunks) == "async"


# -- tools ------------------------------------------------------------------------------


def test_bind_tools_of_every_kind_and_tool_choice_any() -> None:
    def multiply(x: float, y: float) -> float:
        """Multiply two numbers."""
        return x * y

    raw = {
        "type": "function",
        "function": {
            "name": "raw",
            "description": "r",
            "parameters": {"type": "object"},
        },
    }
    client = FakeClient(
        completion(None, [{"name": "add", "arguments": '{"a":1,"b":2}'}])
    )
    bound = make(client).bind_tools([add, Person, multiply, raw], tool_choice="any")
    message = bound.invoke("1+2?")
    body = client.body()
    assert [t["function"]["name"] for t in body["tools"]] == [
        "add",
        "Person",
        "multiply",
        "raw",
    ]
    assert body["tool_choice"] == "required"
    assert message.tool_calls == [
        {"name": "add", "args": {"a": 1, "b": 2}, "id": "call_0", "type": "tool_call"}
    ]
    assert message.response_metadata["finish_reason"] == "tool_calls"


def test_bind_tools_named_choice_strict_and_parallel() -> None:
    client = FakeClient(completion())
    make(client).bind_tools(
        [add], tool_choice="add", strict=True, parallel_tool_calls=False
    ).invoke("x")
    body = client.body()
    assert body["tool_choice"] == {"type": "function", "function": {"name": "add"}}
    assert body["tools"][0]["function"]["strict"] is True
    assert body["parallel_tool_calls"] is False
    with pytest.raises(ConfigurationError):
        make(client).bind_tools([add], tool_choice="subtract")


def test_tools_passed_at_call_time_are_formatted_too() -> None:
    client = FakeClient(completion())
    make(client).invoke("x", tools=[add], tool_choice="any")
    body = client.body()
    assert body["tools"][0]["function"]["name"] == "add"
    assert body["tool_choice"] == "required"


def test_tool_round_trip_messages() -> None:
    first = completion(None, [{"name": "add", "arguments": '{"a": 1, "b": 2}'}])
    client = FakeClient(first, completion("It is 3."))
    chat = make(client).bind_tools([add])
    question = HumanMessage("What is 1 + 2?")
    ai = chat.invoke([question])
    result = add.invoke(ai.tool_calls[0])
    assert isinstance(result, ToolMessage)
    final = chat.invoke([question, ai, result])
    assert final.content == "It is 3."
    sent = client.body()["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_0",
                "type": "function",
                "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
            }
        ],
    }
    assert sent[2] == {"role": "tool", "content": "3", "tool_call_id": "call_0"}


def test_invalid_tool_json_becomes_an_invalid_tool_call() -> None:
    client = FakeClient(completion(None, [{"name": "add", "arguments": "{a: 1}"}]))
    message = make(client).bind_tools([add]).invoke("x")
    assert message.tool_calls == []
    [bad] = message.invalid_tool_calls
    assert bad["name"] == "add" and bad["args"] == "{a: 1}" and bad["error"]


# -- structured output ---------------------------------------------------------------------


def test_structured_output_via_function_calling() -> None:
    args = '{"name": "Anna", "age": 31}'
    client = FakeClient(
        completion(None, [{"name": "Person", "arguments": args}]),
        completion(None, [{"name": "PersonDict", "arguments": args}]),
    )
    chat = make(client)
    assert chat.with_structured_output(Person).invoke("Anna is 31") == Person(
        name="Anna", age=31
    )
    body = client.body(0)
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Person"}}
    assert chat.with_structured_output(PersonDict).invoke("Anna is 31") == {
        "name": "Anna",
        "age": 31,
    }


def test_structured_output_json_schema_openai_and_tgi() -> None:
    answer = completion('{"name": "Bo", "age": 4}')
    client = FakeClient(answer, answer)
    out = make(client).with_structured_output(Person, method="json_schema", strict=True)
    assert out.invoke("Bo is 4") == Person(name="Bo", age=4)
    fmt = client.body(0)["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Person"
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["required"] == ["name", "age"]
    tgi = make(client, content_handler="tgi-messages")
    tgi.with_structured_output(Person, method="json_schema").invoke("Bo is 4")
    grammar = client.body(1)["response_format"]
    assert grammar["type"] == "json"
    assert grammar["value"]["required"] == ["name", "age"]


def test_structured_output_json_mode_and_include_raw() -> None:
    client = FakeClient(completion('{"a": 1}'), completion("not json"))
    chat = make(client)
    assert chat.with_structured_output(None, method="json_mode").invoke("x") == {"a": 1}
    assert client.body(0)["response_format"] == {"type": "json_object"}
    out = chat.with_structured_output(Person, method="json_schema", include_raw=True)
    result = out.invoke("x")
    assert isinstance(result, dict)
    assert result["parsed"] is None
    assert result["parsing_error"] is not None
    assert result["raw"].content == "not json"


def test_structured_output_rejects_bad_arguments() -> None:
    chat = make(FakeClient())
    with pytest.raises(ValueError, match="Unknown method"):
        chat.with_structured_output(Person, method="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="schema"):
        chat.with_structured_output(None)
    with pytest.raises(ValueError, match="unsupported"):
        chat.with_structured_output(Person, foo=1)


# -- metadata, params, handlers -----------------------------------------------------------


def test_ls_params_name_the_provider_and_endpoint() -> None:
    chat = make(FakeClient(), temperature=0.3, max_tokens=9, stop=["###"])
    params = chat._get_ls_params()
    assert params == {
        "ls_provider": "amazon_sagemaker",
        "ls_model_name": "my-endpoint",
        "ls_model_type": "chat",
        "ls_temperature": 0.3,
        "ls_max_tokens": 9,
        "ls_stop": ["###"],
    }
    assert chat._get_ls_params(model="other")["ls_model_name"] == "other"
    assert chat._llm_type == "amazon_sagemaker_chat"
    assert chat._identifying_params["content_handler"] == "openai-chat"


def test_standard_timeout_and_max_retries() -> None:
    from botocore.config import Config

    chat = ChatSagemakerEndpoint(
        endpoint_name="e",
        region_name="us-east-1",
        aws_access_key_id="k",  # type: ignore[arg-type]
        aws_secret_access_key="s",  # type: ignore[arg-type]
        timeout=12,
        max_retries=5,
        config=Config(connect_timeout=3),
    )
    assert chat.read_timeout == 12
    assert chat.max_retries == 5
    config = chat.client.meta.config
    assert config.retries["total_max_attempts"] == 6
    assert config.connect_timeout == 3
    assert config.read_timeout == 12


def test_a_custom_chat_handler_can_be_registered() -> None:
    @register_chat_handler("test-reverse")
    class Reverse(ChatHandler):
        def request_body(self, request: ChatRequest) -> bytes:
            return json.dumps({"say": request.messages[-1].text}).encode()

        def parse_response(self, body: bytes) -> ChatDelta:
            data = json.loads(body)
            calls = [ToolCallDelta(name="add", args=json.dumps(data["args"]))]
            return ChatDelta(text=data["said"][::-1], tool_calls=calls, done=True)

        def parse_event(self, data: bytes) -> ChatDelta | None:
            return ChatDelta(text=json.loads(data)["piece"])

    assert "test-reverse" in list_chat_handlers()
    client = FakeClient(
        b'{"said": "olleh", "args": {"a": 1, "b": 1}}',
        [b'{"piece": "a"}\n{"piece"', b': "b"}\n'],
    )
    chat = make(client, content_handler="test-reverse")
    message = chat.invoke("hi")
    assert message.content == "hello"
    assert message.tool_calls[0]["args"] == {"a": 1, "b": 1}
    assert message.tool_calls[0]["id"].startswith("call_")
    assert client.body() == {"say": "hi"}
    assert "".join(c.text for c in chat.stream("hi")) == "ab"


def test_a_langchain_aws_chat_content_handler_still_works() -> None:
    class Handler(ChatModelContentHandler):
        content_type = "application/json"
        accepts = "application/json"

        def transform_input(self, prompt: Any, model_kwargs: dict[str, Any]) -> bytes:
            return json.dumps({"inputs": prompt, "parameters": model_kwargs}).encode()

        def transform_output(self, output: Any) -> AIMessage:
            data = json.loads(output.read())
            return AIMessage(content=data[0]["generated_text"])

    client = FakeClient(b'[{"generated_text": "Hi there"}]')
    chat = make(client, content_handler=Handler(), temperature=0.1)
    assert chat.invoke([SystemMessage("s"), HumanMessage("Hi")]).content == "Hi there"
    assert client.body() == {
        "inputs": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "Hi"},
        ],
        "parameters": {"temperature": 0.1},
    }


def test_a_bad_content_handler_is_refused() -> None:
    with pytest.raises(ValueError, match="must be a chat handler name"):
        make(FakeClient(), content_handler=42)
    with pytest.raises(ValueError, match="Unknown chat content handler 'tgi'"):
        make(FakeClient(), content_handler="tgi")  # an LLM handler, not a chat one


class SlowClient:
    """Answers every call the same, slowly, and counts calls in flight."""

    def __init__(self) -> None:
        import threading

        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0

    def invoke_endpoint(self, **params: Any) -> dict[str, Any]:
        import time

        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        time.sleep(0.05)
        with self.lock:
            self.in_flight -= 1
        return {"Body": io.BytesIO(completion("ok"))}


def test_batch_keeps_at_most_max_concurrency_in_flight() -> None:
    client = SlowClient()
    chat = ChatSagemakerEndpoint(endpoint_name="e", client=client, max_concurrency=2)
    answers = chat.batch(["a"] * 6)
    assert [a.content for a in answers] == ["ok"] * 6
    assert client.most == 2
    client.most = 0
    chat.batch(["a"] * 4, config={"max_concurrency": 1})
    assert client.most == 1


async def test_abatch_keeps_at_most_max_concurrency_in_flight() -> None:
    client = SlowClient()
    chat = ChatSagemakerEndpoint(endpoint_name="e", client=client, max_concurrency=3)
    answers = await chat.abatch(["a"] * 7)
    assert len(answers) == 7
    assert client.most <= 3


def test_a_schema_as_response_format_is_converted() -> None:
    client = FakeClient(completion('{"name": "A", "age": 1}'))
    make(client).invoke("x", response_format=Person)
    fmt = client.body()["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Person"


def test_a_langchain_aws_handler_streams_message_chunks() -> None:
    from langchain_core.messages import AIMessageChunk
    from langchain_core.messages.tool import tool_call_chunk

    class Handler(ChatModelContentHandler):
        content_type = "application/json"
        accepts = "application/json"

        def transform_input(self, prompt: Any, model_kwargs: dict[str, Any]) -> bytes:
            return json.dumps({"inputs": prompt}).encode()

        def transform_output(self, output: Any) -> AIMessageChunk:
            data = json.loads(output)
            if "args" in data:
                piece = tool_call_chunk(
                    name=data.get("name"), args=data["args"], id=data.get("id"), index=0
                )
                return AIMessageChunk(content="", tool_call_chunks=[piece])
            return AIMessageChunk(content=data["token"])

    lines = [
        b'{"token": "Hi"}\n',
        b'{"name": "add", "id": "c1", "args": "{\\"a\\": 1, "}\n',
        b'{"args": "\\"b\\": 2}"}\n',
    ]
    chat = make(FakeClient(lines), content_handler=Handler())
    chunks = list(chat.stream("x"))
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert total.content == "Hi"
    assert total.tool_calls == [
        {"name": "add", "args": {"a": 1, "b": 2}, "id": "c1", "type": "tool_call"}
    ]
