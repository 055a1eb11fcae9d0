"""The ``openai`` (vLLM) dialect over real HTTP with boto3."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from langchain_sagemaker.local import LocalEndpoint
from langchain_sagemaker.local.container import available_containers, get_container
from langchain_sagemaker.local.openai import OpenAIContainer

FIXTURES = Path(__file__).parent.parent / "fixtures" / "containers" / "openai"
PROMPT = "Hello world. Bye!"  # echo tokens: Hello| world|.| Bye|!


class Broken:
    name = "broken"

    def generate(self, prompt: str) -> Iterator[str]:
        yield "ok"
        raise RuntimeError("CUDA out of memory")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(
        container="openai", model="echo", endpoint_name="vllm", max_model_len=64
    ) as served:
        served.add_endpoint("vllm-nested", "openai", "echo", error_format="nested")
        served.add_endpoint("vllm-broken", "openai", Broken())
        served.add_endpoint("vllm-reader", "openai", "reader")
        yield served


@pytest.fixture(scope="module")
def client(endpoint: LocalEndpoint) -> Any:
    return endpoint.client()


def invoke(client: Any, body: Any, name: str = "vllm", **kwargs: Any) -> bytes:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    kwargs.setdefault("ContentType", "application/json")
    response = client.invoke_endpoint(EndpointName=name, Body=raw, **kwargs)
    return bytes(response["Body"].read())


def stream(client: Any, body: dict[str, Any], name: str = "vllm") -> bytes:
    response = client.invoke_endpoint_with_response_stream(
        EndpointName=name, ContentType="application/json", Body=json.dumps(body)
    )
    assert response["ContentType"] == "text/event-stream; charset=utf-8"
    return b"".join(event["PayloadPart"]["Bytes"] for event in response["Body"])


def sse_data(raw: bytes) -> list[bytes]:
    """An independent SSE reader: ``data: <payload>`` events, blank-line framed."""
    assert raw.endswith(b"\n\n"), raw[-40:]
    payloads = []
    for event in raw[:-2].split(b"\n\n"):
        lines = event.split(b"\n")
        assert all(line.startswith(b"data: ") for line in lines), event
        payloads.append(b"\n".join(line[6:] for line in lines))
    return payloads


def chunks(raw: bytes) -> list[dict[str, Any]]:
    payloads = sse_data(raw)
    assert payloads[-1] == b"[DONE]"
    return [json.loads(p) for p in payloads[:-1]]


def shape(value: Any) -> Any:
    """Keys (in order) and value types, lists reduced to their first item."""
    if isinstance(value, dict):
        return [(key, shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return type(value).__name__


def compact(raw: bytes) -> bool:
    return (
        raw
        == json.dumps(
            json.loads(raw), separators=(",", ":"), ensure_ascii=False
        ).encode()
    )


def model_error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[int, Any]:
    error = caught.value.response
    assert error["Error"]["Code"] == "ModelError"
    return error["OriginalStatusCode"], json.loads(error["OriginalMessage"])


# --- non-streaming ----------------------------------------------------------------------


def test_chat_answer_has_vllm_shape_and_bytes(client: Any) -> None:
    raw = invoke(client, {"messages": [{"role": "user", "content": PROMPT}]})
    fixture = (FIXTURES / "chat_completion.json").read_bytes()
    assert compact(raw) and compact(fixture)
    answer = json.loads(raw)
    assert shape(answer) == shape(json.loads(fixture))
    assert answer["id"].startswith("chatcmpl-")
    assert answer["object"] == "chat.completion"
    assert answer["model"] == "local-model"
    [choice] = answer["choices"]
    assert choice["message"]["content"] == PROMPT
    assert (choice["finish_reason"], choice["stop_reason"]) == ("stop", None)
    usage = answer["usage"]
    assert usage["completion_tokens"] == 6  # five tokens and EOS
    assert usage["total_tokens"] == usage["prompt_tokens"] + 6


def test_chat_answers_the_last_user_message(client: Any) -> None:
    body = {
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": "second"}]},
        ]
    }
    answer = json.loads(invoke(client, body))
    assert answer["choices"][0]["message"]["content"] == "second"


def test_completion_answer_and_default_max_tokens(client: Any) -> None:
    prompt = " ".join(f"w{i}" for i in range(30))
    raw = invoke(client, {"prompt": prompt})
    fixture = json.loads((FIXTURES / "completion.json").read_bytes())
    answer = json.loads(raw)
    assert compact(raw) and shape(answer) == shape(fixture)
    [choice] = answer["choices"]
    # vLLM's CompletionRequest.max_tokens defaults to 16.
    assert choice["text"] == " ".join(f"w{i}" for i in range(16))
    assert choice["finish_reason"] == "length"
    assert answer["usage"]["completion_tokens"] == 16


def test_completion_echo_and_prompt_list(client: Any) -> None:
    answer = json.loads(
        invoke(client, {"prompt": ["a b", "c"], "echo": True, "max_tokens": 1})
    )
    assert [c["text"] for c in answer["choices"]] == ["a ba", "cc"]
    assert [c["index"] for c in answer["choices"]] == [0, 1]
    assert answer["usage"]["completion_tokens"] == 2


@pytest.mark.parametrize(
    ("stop", "text", "reason"),
    [
        (["."], "Hello world", "."),
        ("Bye", "Hello world. ", "Bye"),
        (["rld", "."], "Hello wo", "rld"),
        (["xyz"], PROMPT, None),
    ],
)
def test_stop_strings_are_cut_and_reported(
    client: Any, stop: Any, text: str, reason: str | None
) -> None:
    body = {"messages": [{"role": "user", "content": PROMPT}], "stop": stop}
    [choice] = json.loads(invoke(client, body))["choices"]
    assert choice["message"]["content"] == text
    assert choice["finish_reason"] == "stop"
    assert choice["stop_reason"] == reason


def test_include_stop_str_in_output(client: Any) -> None:
    body = {"prompt": PROMPT, "stop": ["."], "include_stop_str_in_output": True}
    [choice] = json.loads(invoke(client, body))["choices"]
    assert choice["text"] == "Hello world."


def test_max_tokens_is_length(client: Any) -> None:
    body = {"messages": [{"role": "user", "content": PROMPT}], "max_tokens": 2}
    answer = json.loads(invoke(client, body))
    assert answer["choices"][0]["message"]["content"] == "Hello world"
    assert answer["choices"][0]["finish_reason"] == "length"
    assert answer["usage"]["completion_tokens"] == 2
    body = {
        "messages": [{"role": "user", "content": PROMPT}],
        "max_completion_tokens": 1,
    }
    assert json.loads(invoke(client, body))["usage"]["completion_tokens"] == 1


def test_nulls_are_the_defaults(client: Any) -> None:
    body = {
        "messages": [{"role": "user", "content": "a"}],
        "temperature": None,
        "n": None,
        "stop": None,
        "max_tokens": None,
    }
    assert json.loads(invoke(client, body))["choices"][0]["message"]["content"] == "a"
    answer = json.loads(invoke(client, {"prompt": "a b", "max_tokens": None}))
    assert answer["choices"][0]["text"] == "a b"  # null: up to the context length


def test_n_choices(client: Any) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "n": 2}
    answer = json.loads(invoke(client, body))
    assert [c["index"] for c in answer["choices"]] == [0, 1]
    assert answer["usage"]["completion_tokens"] == 4


def test_reader_model_answers(client: Any) -> None:
    prompt = "Context: The museum opens at 9 am.\nQuestion: When does the museum open?"
    body = {"messages": [{"role": "user", "content": prompt}]}
    answer = json.loads(invoke(client, body, name="vllm-reader"))
    assert "9 am" in answer["choices"][0]["message"]["content"]


# --- streaming ---------------------------------------------------------------------------


def test_chat_stream_framing_and_chunks(client: Any) -> None:
    body = {
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    raw = stream(client, body)
    assert raw.endswith(b"data: [DONE]\n\n")
    assert all(compact(p) for p in sse_data(raw)[:-1])
    events = chunks(raw)
    fixture = chunks((FIXTURES / "chat_stream.sse").read_bytes())
    role, *tokens, final, usage = events
    assert shape(role) == shape(fixture[0])
    assert role["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(shape(t) == shape(fixture[1]) for t in tokens)
    assert shape(final) == shape(fixture[2])
    assert shape(usage) == shape(fixture[3])
    assert "usage" not in role and "usage" not in final
    text = "".join(e["choices"][0]["delta"]["content"] for e in [*tokens, final])
    assert text == PROMPT
    assert final["choices"][0]["finish_reason"] == "stop"
    assert final["choices"][0]["delta"] == {"content": ""}  # the EOS token
    assert usage["choices"] == []
    assert usage["usage"]["completion_tokens"] == 6
    assert len({e["id"] for e in events}) == 1


def test_usage_only_when_asked_and_default_true(client: Any) -> None:
    base = {"messages": [{"role": "user", "content": "hi"}], "stream": True}
    assert all(e["choices"] for e in chunks(stream(client, base)))
    events = chunks(stream(client, {**base, "stream_options": {}}))
    assert events[-1]["choices"] == [] and events[-1]["usage"]["total_tokens"] > 0
    off = {**base, "stream_options": {"include_usage": False}}
    assert all(e["choices"] for e in chunks(stream(client, off)))


def test_continuous_usage_stats(client: Any) -> None:
    body = {
        "messages": [{"role": "user", "content": "a b"}],
        "stream": True,
        "stream_options": {"include_usage": True, "continuous_usage_stats": True},
    }
    events = chunks(stream(client, body))
    counts = [e["usage"]["completion_tokens"] for e in events[:-1]]
    assert counts == [0, 1, 2, 3]


def test_stream_holds_back_a_possible_stop_string(client: Any) -> None:
    body = {
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": True,
        "stop": ["Bye"],
    }
    events = chunks(stream(client, body))
    deltas = [e["choices"][0]["delta"]["content"] for e in events[1:]]
    # max(len(stop)) - 1 = 2 characters stay back until the end.
    assert deltas == ["Hel", "lo wor", "l", "d. "]
    assert events[-1]["choices"][0]["stop_reason"] == "Bye"


def test_completion_stream(client: Any) -> None:
    body = {
        "prompt": PROMPT,
        "stream": True,
        "max_tokens": 3,
        "stream_options": {"include_usage": True},
    }
    raw = stream(client, body)
    events = chunks(raw)
    fixture = chunks((FIXTURES / "completion_stream.sse").read_bytes())
    *tokens, usage = events
    assert all(shape(t) == shape(fixture[0]) for t in tokens[:-1])
    assert shape(tokens[-1]) == shape(fixture[1])
    assert all(t["usage"] is None for t in tokens)
    assert shape(usage) == shape(fixture[-1])
    assert "".join(t["choices"][0]["text"] for t in tokens) == "Hello world."
    assert tokens[-1]["choices"][0]["finish_reason"] == "length"
    assert usage["usage"] == {
        "prompt_tokens": 5,
        "total_tokens": 8,
        "completion_tokens": 3,
    }


def test_model_failure_mid_stream_is_an_error_event(client: Any) -> None:
    body = {"messages": [{"role": "user", "content": "x"}], "stream": True}
    payloads = sse_data(stream(client, body, name="vllm-broken"))
    assert payloads[-1] == b"[DONE]"
    error = payloads[-2]
    # create_streaming_error_response: json.dumps defaults (", " and ": ").
    assert error.startswith(b'{"error": {"object": "error", "message": ')
    assert json.loads(error)["error"]["message"] == "CUDA out of memory"


def test_model_failure_without_stream_is_a_500(client: Any) -> None:
    with pytest.raises(ClientError) as caught:
        invoke(client, {"prompt": "x"}, name="vllm-broken")
    error = caught.value.response
    assert error["OriginalStatusCode"] == 500
    assert error["OriginalMessage"] == "Internal Server Error"


# --- errors ---------------------------------------------------------------------------------


def test_stream_options_without_stream_is_refused(client: Any) -> None:
    body = {
        "messages": [{"role": "user", "content": "hi"}],
        "stream_options": {"include_usage": True},
    }
    with pytest.raises(ClientError) as caught:
        invoke(client, body)
    status, _ = model_error(caught)
    assert status == 400
    original = caught.value.response["OriginalMessage"].encode()
    assert original == (FIXTURES / "error_no_handler.json").read_bytes()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"top_p": 0}, "top_p must be in (0, 1], got 0.0."),
        ({"temperature": -1}, "temperature must be non-negative, got -1.0."),
        ({"max_tokens": 0}, "max_tokens must be at least 1, got 0."),
        ({"n": 0}, "n must be at least 1, got 0."),
        ({"presence_penalty": 3}, "presence_penalty must be in [-2, 2], got 3.0."),
        ({"top_k": 0}, "top_k must be -1 (disable), or at least 1, got 0."),
        ({"stop": [""]}, "stop cannot contain an empty string."),
        (
            {"max_tokens": 100},
            "This model's maximum context length is 64 tokens. However, you "
            "requested 111 tokens (11 in the messages, 100 in the completion). "
            "Please reduce the length of the messages or completion.",
        ),
        (
            {"tools": [{"type": "function", "function": {"name": "f"}}]},
            '"auto" tool choice requires --enable-auto-tool-choice and '
            "--tool-call-parser to be set",
        ),
    ],
)
def test_bad_parameters_are_400(
    client: Any, extra: dict[str, Any], message: str
) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], **extra}
    with pytest.raises(ClientError) as caught:
        invoke(client, body)
    status, original = model_error(caught)
    assert status == 400
    assert original == {
        "object": "error",
        "message": message,
        "type": "BadRequestError",
        "param": None,
        "code": 400,
    }


def test_tool_calls_are_not_modelled(client: Any) -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    body = {"messages": [{"role": "user", "content": "hi"}], "tools": tools}
    for choice in ("required", {"type": "function", "function": {"name": "f"}}):
        with pytest.raises(ClientError) as caught:
            invoke(client, {**body, "tool_choice": choice})
        assert model_error(caught)[1]["message"] == (
            "Tool calls are not modelled by the local container."
        )
    assert json.loads(invoke(client, {**body, "tool_choice": "none"}))["choices"]


def test_unknown_model_is_404(client: Any) -> None:
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(ClientError) as caught:
        invoke(client, body)
    status, original = model_error(caught)
    assert status == 404
    assert original["message"] == "The model `gpt-4` does not exist."
    assert original["type"] == "NotFoundError"
    body["model"] = "local-model"
    assert json.loads(invoke(client, body))["model"] == "local-model"


def test_bodies_that_are_not_requests(client: Any) -> None:
    with pytest.raises(ClientError) as caught:
        invoke(client, b"{oops")
    status, original = model_error(caught)
    assert status == 400
    assert original == {
        "detail": "JSON decode error: Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1)"
    }
    for body in ({"inputs": "x"}, {"messages": "hi"}, {"prompt": 5}):
        with pytest.raises(ClientError) as caught:
            invoke(client, body)
        assert model_error(caught)[1]["message"].startswith(
            "Cannot find suitable handler for request."
        )
    with pytest.raises(ClientError) as caught:
        invoke(client, {"prompt": "x"}, ContentType="text/plain")
    assert model_error(caught)[0] == 400


def test_nested_error_format(client: Any) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "top_p": 2}
    with pytest.raises(ClientError) as caught:
        invoke(client, body, name="vllm-nested")
    assert model_error(caught)[1] == {
        "error": {
            "message": "top_p must be in (0, 1], got 2.0.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        }
    }


# --- registry and options ---------------------------------------------------------------


def test_registry_and_latency() -> None:
    assert "openai" in available_containers()
    container = get_container("openai", Broken(), latency_ms=5, served_model_name="m")
    assert isinstance(container, OpenAIContainer)
    assert container.latency_ms == 5
    with pytest.raises(ValueError, match="error_format"):
        OpenAIContainer(Broken(), error_format="flat")
    with LocalEndpoint(container="openai", model="echo", latency_ms=150) as slow:
        start = time.monotonic()
        invoke(slow.client(), {"prompt": "x"}, name="local-endpoint")
        assert time.monotonic() - start >= 0.15
