"""The ``tgi-messages`` dialect (TGI's Messages API) over real HTTP with boto3."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from langchain_sagemaker.local import LocalEndpoint
from langchain_sagemaker.local.container import get_container
from langchain_sagemaker.local.tgi_messages import TGIMessagesContainer

FIXTURES = Path(__file__).parent.parent / "fixtures" / "containers" / "tgi-messages"
PROMPT = "Hello world. Bye!"  # echo tokens: Hello| world|.| Bye|!
# Keys huggingface_hub adds when it parses TGI's answers into its dataclasses.
CLIENT_ADDED = {"tool_calls", "name", "usage"}


class Broken:
    name = "broken"

    def generate(self, prompt: str) -> Iterator[str]:
        yield "ok"
        raise RuntimeError("CUDA out of memory")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(
        container="tgi-messages", model="echo", endpoint_name="tgi", model_id="org/m"
    ) as served:
        served.add_endpoint("tgi-legacy", "tgi-messages", "echo", sse_prefix="data:")
        served.add_endpoint("tgi-broken", "tgi-messages", Broken())
        yield served


@pytest.fixture(scope="module")
def client(endpoint: LocalEndpoint) -> Any:
    return endpoint.client()


def chat(content: str = PROMPT, **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": content}], **extra}


def invoke(client: Any, body: Any, name: str = "tgi") -> bytes:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.invoke_endpoint(
        EndpointName=name, ContentType="application/json", Body=raw
    )
    return bytes(response["Body"].read())


def stream(client: Any, body: dict[str, Any], name: str = "tgi") -> bytes:
    response = client.invoke_endpoint_with_response_stream(
        EndpointName=name, ContentType="application/json", Body=json.dumps(body)
    )
    assert response["ContentType"] == "text/event-stream"
    return b"".join(event["PayloadPart"]["Bytes"] for event in response["Body"])


def sse_data(raw: bytes, prefix: bytes = b"data: ") -> list[bytes]:
    """An independent SSE reader for single-line ``data`` events."""
    assert raw.endswith(b"\n\n"), raw[-40:]
    events = raw[:-2].split(b"\n\n")
    assert all(e.startswith(prefix) and b"\n" not in e for e in events), events
    return [e[len(prefix) :] for e in events]


def events(raw: bytes) -> list[dict[str, Any]]:
    payloads = sse_data(raw)
    assert payloads[-1] == b"[DONE]"
    return [json.loads(p) for p in payloads[:-1]]


def keys(value: dict[str, Any]) -> set[str]:
    return set(value) - CLIENT_ADDED


# --- non-streaming -------------------------------------------------------------------


def test_chat_completion_shape(client: Any) -> None:
    raw = invoke(client, chat())
    assert raw.startswith(b'{"object":"chat.completion","id":"","created":')
    answer = json.loads(raw)
    snapshot = json.loads((FIXTURES / "chat_completion.snapshot.json").read_bytes())
    assert set(answer) == set(snapshot)
    assert keys(answer["choices"][0]) == keys(snapshot["choices"][0])
    assert keys(answer["choices"][0]["message"]) == keys(
        snapshot["choices"][0]["message"]
    )
    assert set(answer["usage"]) == set(snapshot["usage"])
    assert answer["model"] == "org/m"
    assert answer["system_fingerprint"] == "3.3.6-native"
    [choice] = answer["choices"]
    assert choice["message"] == {"role": "assistant", "content": PROMPT}
    assert choice["finish_reason"] == "stop"
    usage = answer["usage"]
    assert usage["completion_tokens"] == 6  # five tokens and EOS
    assert usage["total_tokens"] == usage["prompt_tokens"] + 6


def test_stop_and_max_tokens(client: Any) -> None:
    [choice] = json.loads(invoke(client, chat(stop=["."])))["choices"]
    assert choice["message"]["content"] == "Hello world."  # the stop text stays
    assert choice["finish_reason"] == "stop_sequence"  # not mapped to "stop"
    answer = json.loads(invoke(client, chat(max_tokens=2)))
    assert answer["choices"][0]["message"]["content"] == "Hello world"
    assert answer["choices"][0]["finish_reason"] == "length"
    assert answer["usage"]["completion_tokens"] == 2
    answer = json.loads(invoke(client, chat(max_completion_tokens=1)))
    assert answer["usage"]["completion_tokens"] == 1


def test_model_name_and_greedy(client: Any) -> None:
    assert json.loads(invoke(client, chat(model="tgi")))["model"] == "org/m"
    assert json.loads(invoke(client, chat(model="mine")))["model"] == "mine"
    assert json.loads(invoke(client, chat(temperature=0)))["choices"]
    # stream_options without stream is no error for TGI.
    body = chat(stream_options={"include_usage": True})
    assert "usage" in json.loads(invoke(client, body))


def test_logprobs(client: Any) -> None:
    choice = json.loads(invoke(client, chat("a b", logprobs=True)))["choices"][0]
    content = choice["logprobs"]["content"]
    assert [c["token"] for c in content] == ["a", " b", "</s>"]
    assert all(set(c) == {"token", "logprob", "top_logprobs"} for c in content)


def test_generate_requests_still_served(client: Any) -> None:
    assert json.loads(invoke(client, {"inputs": "x"})) == [{"generated_text": "xx"}]


# --- streaming ------------------------------------------------------------------------


def test_stream_chunks_and_usage(client: Any) -> None:
    raw = stream(client, chat(stream=True, stream_options={"include_usage": True}))
    assert raw.endswith(b"\n\ndata: [DONE]\n\n")
    assert raw.startswith(b'data: {"object":"chat.completion.chunk","id":"",')
    chunks = events(raw)
    snapshot = json.loads((FIXTURES / "chat_stream_usage.snapshot.json").read_bytes())
    *tokens, usage = chunks
    for chunk in tokens:
        assert set(chunk) == set(snapshot[0])
        assert keys(chunk["choices"][0]) == keys(snapshot[0]["choices"][0])
        assert keys(chunk["choices"][0]["delta"]) == {"role", "content"}
        assert chunk["usage"] is None and chunk["id"] == ""
    assert set(usage) == set(snapshot[-1]) and usage["choices"] == []
    contents = [c["choices"][0]["delta"]["content"] for c in tokens]
    assert contents == ["Hello", " world", ".", " Bye", "!", ""]
    assert [c["choices"][0]["finish_reason"] for c in tokens] == [None] * 5 + ["stop"]
    assert usage["usage"]["completion_tokens"] == 6
    assert set(usage["usage"]) == set(snapshot[-1]["usage"])


def test_no_usage_chunk_unless_asked(client: Any) -> None:
    chunks = events(stream(client, chat(stream=True)))
    assert all(c["choices"] for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_stream_stop_and_length(client: Any) -> None:
    chunks = events(stream(client, chat(stream=True, stop=["world"])))
    assert [c["choices"][0]["delta"]["content"] for c in chunks] == ["Hello", " world"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop_sequence"
    chunks = events(stream(client, chat(stream=True, max_tokens=1)))
    assert len(chunks) == 1
    assert chunks[0]["choices"][0]["finish_reason"] == "length"


def test_legacy_prefix_has_no_done_marker(client: Any) -> None:
    raw = stream(client, chat(stream=True), name="tgi-legacy")
    payloads = sse_data(raw, prefix=b"data:")
    assert payloads[0].startswith(b"{")
    assert b"[DONE]" not in raw
    assert json.loads(payloads[-1])["choices"][0]["finish_reason"] == "stop"


def test_errors_while_streaming_are_events(client: Any) -> None:
    payloads = sse_data(stream(client, chat(stream=True, top_p=1.0)))
    assert payloads == [
        b'{"error":{"message":"Input validation error: `top_p` must be > 0.0 and '
        b'< 1.0","http_status_code":422}}',
        b"[DONE]",
    ]
    payloads = sse_data(stream(client, chat(stream=True), name="tgi-broken"))
    assert json.loads(payloads[-2]) == {
        "error": {
            "message": "Request failed during generation: CUDA out of memory",
            "http_status_code": 422,
        }
    }
    assert payloads[-1] == b"[DONE]"


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"top_p": 1.0}, "`top_p` must be > 0.0 and < 1.0"),
        ({"temperature": -1}, "`temperature` must be strictly positive"),
        ({"max_tokens": 0}, "`max_new_tokens` must be strictly positive"),
        (
            {"stop": ["a", "b", "c", "d", "e"]},
            "`stop` supports up to 4 stop sequences. Given: 5",
        ),
        ({"presence_penalty": -2}, "`repetition_penalty` must be strictly positive"),
    ],
)
def test_validation_errors_are_422(
    client: Any, extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClientError) as caught:
        invoke(client, chat(**extra))
    error = caught.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["OriginalStatusCode"] == 422
    assert error["OriginalMessage"] == json.dumps(
        {"error": f"Input validation error: {message}", "error_type": "validation"},
        separators=(",", ":"),
    )


@pytest.mark.parametrize(
    "body",
    [
        chat(stop="."),  # TGI wants a list
        chat(stream=None),
        chat(stream_options=None),
        {"messages": [{"content": "no role"}]},
        {"messages": [{"role": "user"}]},
        {"prompt": "completions are not modelled"},
    ],
)
def test_wrong_shapes_are_axum_422_text(client: Any, body: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as caught:
        invoke(client, body)
    error = caught.value.response
    assert error["OriginalStatusCode"] == 422
    assert error["OriginalMessage"] == (
        "Failed to deserialize the JSON body into the target type: "
        "data did not match any variant of untagged enum SagemakerRequest"
    )


def test_tools_are_not_modelled(client: Any) -> None:
    tools = [{"type": "function", "function": {"name": "f", "arguments": {}}}]
    with pytest.raises(ClientError) as caught:
        invoke(client, chat(tools=tools))
    assert json.loads(caught.value.response["OriginalMessage"]) == {
        "error": "Tool calls are not modelled by the local container",
        "error_type": "tool_error",
    }
    assert json.loads(invoke(client, chat(tools=tools, tool_choice="none")))


def test_registry_and_options() -> None:
    container = get_container("tgi-messages", Broken(), latency_ms=3)
    assert isinstance(container, TGIMessagesContainer)
    assert container.dialect == "tgi-messages"
    assert container.latency_ms == 3 and container.done_marker is True
    legacy = get_container("tgi-messages", Broken(), sse_prefix="data:")
    assert isinstance(legacy, TGIMessagesContainer) and legacy.done_marker is False
