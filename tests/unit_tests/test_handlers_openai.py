"""OpenAI-shaped handlers: ``openai``, ``openai-chat`` (vLLM, LMI) and ``tgi-messages``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from langchain_sagemaker import get_handler
from langchain_sagemaker.errors import (
    IncompleteStreamError,
    ModelError,
    ResponseParseError,
    StreamError,
)
from tests.unit_tests.test_handlers_common import (
    assert_names,
    check_cut_stream,
    check_stream,
    expected_info,
    fixture,
    request,
    run_body,
    run_stream,
    usage,
)

PROMPT = "What is Deep Learning?"
TEXT = "Deep learning is a subset"
TGI_CONTENT = json.loads(fixture("tgi-messages/response.json"))["choices"][0][
    "message"
]["content"]

# --------------------------------------------------------------------------
# request bodies


@pytest.mark.parametrize(
    ("name", "prompt", "params", "path"),
    [
        ("openai", PROMPT, {"max_tokens": 5, "temperature": 0}, "openai"),
        ("openai-chat", PROMPT, {"max_tokens": 5, "temperature": 0}, "openai-chat"),
        ("tgi-messages", "Say 'OK!'", {"max_tokens": 10, "seed": 42}, "tgi-messages"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_request_body_is_exact(
    name: str, prompt: str, params: dict[str, Any], path: str, stream: bool
) -> None:
    file = "request_stream.json" if stream else "request.json"
    assert request(name, prompt, params, stream=stream) == fixture(f"{path}/{file}")


@pytest.mark.parametrize("name", ["openai", "openai-chat", "tgi-messages"])
def test_stream_options_only_when_streaming(name: str) -> None:
    params = {"stream_options": {"include_usage": False}, "stream": True}
    body = json.loads(request(name, "hi", params))
    assert "stream_options" not in body
    assert "stream" not in body
    body = json.loads(request(name, "hi", params, stream=True))
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": False}  # the user's wins


def test_openai_params_pass_through() -> None:
    params = {"max_tokens": 7, "temperature": 0.0, "top_p": 1.0, "model": "m", "n": 1}
    body = json.loads(request("openai", PROMPT, params, stop=["a", "b", "c", "d", "e"]))
    assert body == {
        "prompt": PROMPT,
        "max_tokens": 7,
        "temperature": 0.0,
        "top_p": 1.0,
        "model": "m",
        "n": 1,
        "stop": ["a", "b", "c", "d", "e"],
    }


def test_openai_chat_sends_one_user_message() -> None:
    body = json.loads(request("openai-chat", "Hi\nthere", {}, stop=["\n\n"]))
    assert body == {
        "messages": [{"role": "user", "content": "Hi\nthere"}],
        "stop": ["\n\n"],
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"temperature": 0}, {"temperature": 0.0}),
        ({"temperature": -0.5}, {"temperature": 0.0}),
        ({"temperature": 0.7}, {"temperature": 0.7}),
        ({"top_p": 1.0}, {}),
        ({"top_p": 0.95}, {"top_p": 0.95}),
        ({"max_tokens": 3}, {"max_tokens": 3}),
    ],
)
def test_tgi_messages_params(params: dict[str, Any], expected: dict[str, Any]) -> None:
    body = json.loads(request("tgi-messages", "hi", params))
    body.pop("messages")
    assert body == expected


def test_tgi_messages_sends_at_most_four_stops() -> None:
    body = json.loads(request("tgi-messages", "hi", {}, stop=["1", "2", "3", "4", "5"]))
    assert body["stop"] == ["1", "2", "3", "4"]
    assert get_handler("tgi-messages").server_side_stop


# --------------------------------------------------------------------------
# whole responses


@pytest.mark.parametrize(
    ("name", "path", "text", "finish", "token_usage"),
    [
        ("openai", "openai/response.json", " " + TEXT, "length", usage(6, 5)),
        ("openai-chat", "openai-chat/response.json", TEXT, "length", usage(15, 5)),
        (
            "tgi-messages",
            "tgi-messages/response.json",
            TGI_CONTENT,
            "length",
            usage(61, 100),
        ),
        (
            "openai-chat",
            "tgi-messages/response.json",
            TGI_CONTENT,
            "length",
            usage(61, 100),
        ),
    ],
)
def test_parse_response(
    name: str, path: str, text: str, finish: str, token_usage: dict[str, int]
) -> None:
    assert run_body(get_handler(name), fixture(path)) == (
        text,
        expected_info(finish, token_usage),
    )


def test_response_usage_is_only_what_was_sent() -> None:
    body = b'{"choices":[{"index":0,"text":"x","finish_reason":null}]}'
    assert run_body(get_handler("openai"), body) == ("x", {})
    body = b'{"choices":[{"text":"x"}],"usage":{"completion_tokens":1}}'
    assert run_body(get_handler("openai"), body) == (
        "x",
        {"token_usage": {"completion_tokens": 1}},
    )


def test_chat_response_without_content_is_empty_text() -> None:
    body = (
        b'{"choices":[{"index":0,"message":{"role":"assistant","tool_calls":[]},'
        b'"finish_reason":"tool_calls"}]}'
    )
    assert run_body(get_handler("openai-chat"), body) == (
        "",
        {"finish_reason": "tool_calls"},
    )


def test_response_reads_choice_index_zero() -> None:
    body = b'{"choices":[{"index":1,"text":"b"},{"index":0,"text":"a"}]}'
    assert run_body(get_handler("openai"), body)[0] == "a"


def test_response_stop_is_applied_client_side_too() -> None:
    text, info = run_body(
        get_handler("openai"), fixture("openai/response.json"), [" is"]
    )
    assert (text, info["finish_reason"]) == (" Deep learning", "stop")


@pytest.mark.parametrize(
    "body",
    [
        b'{"error":{"message":"max_tokens is too large","type":"BadRequestError","code":400}}',
        b'{"object":"error","message":"max_tokens is too large","code":400}',
    ],
)
def test_error_response_is_a_model_error(body: bytes) -> None:
    with pytest.raises(ModelError, match="max_tokens is too large") as info:
        run_body(get_handler("openai"), body)
    assert info.value.original_status_code == 400


@pytest.mark.parametrize(
    ("name", "path", "candidates"),
    [
        ("openai", "tgi/response.json", ("tgi", "lmi", "hf-toolkit")),
        ("openai", "openai-chat/response.json", ("openai-chat", "tgi-messages")),
        ("openai-chat", "openai/response.json", ("openai",)),
        ("openai-chat", "lmi/response.json", ("lmi",)),
        ("tgi-messages", "jumpstart-llama/response.json", ("jumpstart-llama",)),
        ("openai-chat", "jumpstart-flan-t5/response.json", ("jumpstart-flan-t5",)),
    ],
)
def test_wrong_container_response_names_the_right_handler(
    name: str, path: str, candidates: tuple[str, ...]
) -> None:
    with pytest.raises(ResponseParseError) as info:
        run_body(get_handler(name), fixture(path))
    assert_names(info.value, name, *candidates)


def test_not_json_is_a_parse_error_with_a_snippet() -> None:
    with pytest.raises(ResponseParseError, match="'openai'") as info:
        run_body(get_handler("openai"), b"<html>502 Bad Gateway</html>")
    assert "502" in info.value.snippet


# --------------------------------------------------------------------------
# streams


STREAMS = [
    ("openai", "openai/stream.txt", " " + TEXT, "length", usage(6, 5)),
    ("openai-chat", "openai-chat/stream.txt", TEXT, "length", usage(15, 5)),
    ("tgi-messages", "tgi-messages/stream.txt", "OK!", "stop", usage(39, 3)),
    ("openai-chat", "tgi-messages/stream.txt", "OK!", "stop", usage(39, 3)),
    # DJL LMI chat: JSON lines; the chunk with a finish reason ends them
    ("openai-chat", "openai-chat/stream_lmi_rolling.jsonl", TEXT, "length", None),
    ("openai-chat", "openai-chat/stream_lmi_vllm_async.jsonl", TEXT, "length", None),
]


@pytest.mark.parametrize(("name", "path", "text", "finish", "token_usage"), STREAMS)
def test_stream_whole_and_split_at_every_byte(
    name: str, path: str, text: str, finish: str, token_usage: dict[str, int] | None
) -> None:
    check_stream(get_handler(name), fixture(path), text, finish, token_usage)


@pytest.mark.parametrize(
    ("name", "path", "last"),
    [
        ("openai", "openai/stream.txt", b"[DONE]"),
        ("openai-chat", "openai-chat/stream.txt", b"[DONE]"),
        ("tgi-messages", "tgi-messages/stream.txt", b"[DONE]"),
        ("openai-chat", "openai-chat/stream_lmi_rolling.jsonl", b'"length"}]}'),
    ],
)
def test_cut_stream_is_incomplete(name: str, path: str, last: bytes) -> None:
    check_cut_stream(get_handler(name), fixture(path), last)


def test_stream_ending_without_done_after_usage_is_incomplete() -> None:
    data = fixture("openai/stream.txt")
    data = data[: data.index(b"data: [DONE]")]
    with pytest.raises(Exception, match="ended before") as info:
        run_stream(get_handler("openai"), [data])
    assert info.value.partial_text == " " + TEXT  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "path", "stop", "text"),
    [
        ("openai", "openai/stream.txt", [" is"], " Deep learning"),
        ("openai-chat", "openai-chat/stream.txt", ["ing is a"], "Deep learn"),
        ("tgi-messages", "tgi-messages/stream.txt", ["!"], "OK"),
        (
            "openai-chat",
            "openai-chat/stream_lmi_rolling.jsonl",
            ["a sub"],
            "Deep learning is ",
        ),
    ],
)
def test_stream_stop_sequences(
    name: str, path: str, stop: list[str], text: str
) -> None:
    for parts in ([fixture(path)], [bytes([b]) for b in fixture(path)]):
        got, info = run_stream(get_handler(name), parts, stop)
        assert (got, info["finish_reason"]) == (text, "stop")


def test_stream_keep_alives_and_sse_fields_are_skipped() -> None:
    data = fixture("openai-chat/stream.txt").replace(
        b"\n\ndata: ", b"\n\n: ping - 2024-01-01\n\nevent: message\nid: 3\ndata: "
    )
    check_stream(get_handler("openai-chat"), data, TEXT, "length", usage(15, 5))
    tgi = fixture("tgi-messages/stream.txt").replace(b"\n\ndata:", b"\n\n:\n\ndata:")
    check_stream(get_handler("tgi-messages"), tgi, "OK!", "stop", usage(39, 3))


def test_stream_with_crlf_line_ends() -> None:
    data = fixture("openai/stream.txt").replace(b"\n", b"\r\n")
    check_stream(get_handler("openai"), data, " " + TEXT, "length", usage(6, 5))


def test_stream_reads_only_choice_index_zero() -> None:
    lines = [
        b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}',
        b'data: {"choices":[{"index":1,"delta":{"content":"X"}}]}',
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
        b"data: [DONE]",
    ]
    data = b"\n\n".join(lines) + b"\n\n"
    assert run_stream(get_handler("openai-chat"), [data]) == (
        "a",
        {"finish_reason": "stop"},
    )


def test_stream_tool_call_and_reasoning_chunks_have_no_text() -> None:
    lines = [
        b'data: {"choices":[{"index":0,"delta":{"role":"assistant"}}]}',
        b'data: {"choices":[{"index":0,"delta":{"reasoning_content":"hmm","content":null}}]}',
        b'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0}]}}]}',
        b'data: {"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"tool_calls"}]}',
        b"data: [DONE]",
    ]
    data = b"\n\n".join(lines) + b"\n\n"
    assert run_stream(get_handler("openai-chat"), [data]) == (
        "ok",
        {"finish_reason": "tool_calls"},
    )


def test_continuous_usage_keeps_the_last_counts() -> None:
    lines = [
        b'data: {"choices":[{"index":0,"text":"a"}],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}',
        b'data: {"choices":[{"index":0,"text":"b","finish_reason":"length"}],"usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4}}',
        b"data: [DONE]",
    ]
    data = b"\n\n".join(lines) + b"\n\n"
    assert run_stream(get_handler("openai"), [data]) == (
        "ab",
        {"finish_reason": "length", "token_usage": usage(2, 2)},
    )


@pytest.mark.parametrize(
    ("name", "path", "message"),
    [
        ("tgi-messages", "tgi-messages/stream_error.txt", "CUDA out of memory"),
        ("openai", "openai/stream_error.txt", "Internal server error"),
    ],
)
def test_error_event_in_stream_is_a_stream_error(
    name: str, path: str, message: str
) -> None:
    with pytest.raises(StreamError, match=message) as info:
        run_stream(get_handler(name), [fixture(path)])
    assert info.value.code == "ModelStreamError"
    assert name in str(info.value)


@pytest.mark.parametrize(
    ("name", "path", "candidates"),
    [
        # the TGI generate stream (data:{"token":...}) is not OpenAI-shaped
        ("openai-chat", "tgi/stream.txt", ("tgi", "lmi")),
        ("openai", "lmi/stream.jsonl", ("lmi",)),
        ("openai", "openai-chat/stream.txt", ("openai-chat",)),
        ("openai-chat", "openai/stream.txt", ("openai",)),
    ],
)
def test_wrong_container_stream_names_the_right_handler(
    name: str, path: str, candidates: tuple[str, ...]
) -> None:
    with pytest.raises(ResponseParseError) as info:
        run_stream(get_handler(name), [fixture(path)])
    assert_names(info.value, name, *candidates)
    assert "stream" in str(info.value)


def test_whole_response_on_the_stream_api_says_the_container_did_not_stream() -> None:
    body = fixture("hf-toolkit/response.json")
    with pytest.raises(ResponseParseError, match="did not stream") as info:
        run_stream(get_handler("openai-chat"), [body + b"\n"])
    assert "hf-toolkit" in info.value.candidates
    # without a newline the line is only read at the end of the stream, where a
    # line that does not parse counts as cut off; the reason is kept as the cause
    with pytest.raises(IncompleteStreamError) as cut:
        run_stream(get_handler("openai-chat"), [body])
    assert isinstance(cut.value.__cause__, ResponseParseError)
    assert "did not stream" in str(cut.value.__cause__)


def test_tgi_messages_reads_sse_payloads() -> None:
    handler = get_handler("tgi-messages")
    assert handler.framing == "sse"
    assert handler.has_end_marker
    # the SSE decoder strips "data:"; the chunk with the finish reason is not the end
    delta = handler.parse_event(
        b'{"choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}]}'
    )
    assert delta is not None
    assert (delta.finish_reason, delta.done) == ("stop", False)
    done = handler.parse_event(b"[DONE]")
    assert done is not None
    assert done.done


# --------------------------------------------------------------------------
# through SagemakerEndpoint


def test_endpoint_streams_openai_chat_with_usage() -> None:
    from unittest.mock import MagicMock

    from langchain_sagemaker import SagemakerEndpoint

    data = fixture("openai-chat/stream.txt")
    parts = [
        {"PayloadPart": {"Bytes": data[i : i + 50]}} for i in range(0, len(data), 50)
    ]
    client = MagicMock()
    client.invoke_endpoint_with_response_stream.return_value = {"Body": iter(parts)}
    llm = SagemakerEndpoint(
        endpoint_name="ep",
        client=client,
        content_handler="openai-chat",
        model_kwargs={"max_tokens": 5, "temperature": 0},
    )
    chunks = list(llm.stream(PROMPT))
    assert "".join(chunks) == TEXT
    call = client.invoke_endpoint_with_response_stream.call_args.kwargs
    assert call["Body"] == fixture("openai-chat/request_stream.json")
    assert "Accept" not in call
