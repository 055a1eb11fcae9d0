"""``lmi``: DJL LMI rolling batch (vLLM, LMI-dist, TensorRT-LLM), and its vLLM async mode."""

from __future__ import annotations

import json
from typing import Any

import pytest

from langchain_sagemaker import get_handler
from langchain_sagemaker.errors import ModelError, ResponseParseError, StreamError
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
DONE = {"completion_tokens": 5}


@pytest.mark.parametrize("stream", [False, True])
def test_request_body_is_exact(stream: bool) -> None:
    file = "lmi/request_stream.json" if stream else "lmi/request.json"
    assert request("lmi", PROMPT, {"max_tokens": 5}, stream=stream) == fixture(file)


@pytest.mark.parametrize(
    ("params", "stop", "expected"),
    [
        ({"max_tokens": 9}, [], {"max_new_tokens": 9, "details": True}),
        (
            {"max_new_tokens": 9, "max_tokens": 1},
            [],
            {"max_new_tokens": 9, "details": True},
        ),
        ({"temperature": 0}, [], {"do_sample": False, "details": True}),
        (
            {"temperature": 0.7, "top_p": 1.0},
            [],
            {"temperature": 0.7, "top_p": 1.0, "do_sample": True, "details": True},
        ),
        (
            {"details": False},
            ["\n\n", "###"],
            {"details": False, "stop_sequences": ["\n\n", "###"]},
        ),
    ],
)
def test_parameters(
    params: dict[str, Any], stop: list[str], expected: dict[str, Any]
) -> None:
    body = json.loads(request("lmi", PROMPT, params, stop=stop))
    assert body == {"inputs": PROMPT, "parameters": expected}


def test_handler_attributes() -> None:
    handler = get_handler("lmi")
    assert (handler.framing, handler.server_side_stop, handler.has_end_marker) == (
        "lines",
        True,
        True,
    )


@pytest.mark.parametrize(
    ("path", "text", "finish", "token_usage"),
    [
        ("lmi/response.json", TEXT, "length", DONE),
        ("lmi/response_tgi_compat.json", TEXT, "length", DONE),
        # TGI's own generate response reads the same way (LMI's tgi_compat)
        ("tgi/response.json", TEXT, "length", DONE),
        ("hf-toolkit/response.json", " " + TEXT, None, None),
    ],
)
def test_parse_response(
    path: str, text: str, finish: str | None, token_usage: dict[str, int] | None
) -> None:
    assert run_body(get_handler("lmi"), fixture(path)) == (
        text,
        expected_info(finish, token_usage),
    )


def test_response_without_details() -> None:
    body = b'{"generated_text": "Hello world"}'  # djl-serving test_json_fmt
    assert run_body(get_handler("lmi"), body) == ("Hello world", {})


@pytest.mark.parametrize(
    ("body", "message", "status"),
    [
        (fixture("lmi/response_error.json"), "CUDA out of memory", 400),
        (
            b'{"generated_text": "", "details": {"finish_reason": "error", '
            b'"generated_tokens": null, "inputs": null, "tokens": null}}',
            "generation failed",
            None,
        ),
        (b'{"error": "invalid payload", "code": 424}', "invalid payload", 424),
    ],
)
def test_error_response_is_a_model_error(
    body: bytes, message: str, status: int | None
) -> None:
    with pytest.raises(ModelError, match=message) as info:
        run_body(get_handler("lmi"), body)
    assert info.value.original_status_code == status


@pytest.mark.parametrize(
    ("path", "candidates"),
    [
        ("openai-chat/response.json", ("openai-chat",)),
        ("openai/response.json", ("openai",)),
        ("jumpstart-llama/response.json", ("jumpstart-llama",)),
        ("jumpstart-flan-t5/response.json", ("jumpstart-flan-t5",)),
    ],
)
def test_wrong_container_response(path: str, candidates: tuple[str, ...]) -> None:
    with pytest.raises(ResponseParseError) as info:
        run_body(get_handler("lmi"), fixture(path))
    assert_names(info.value, "lmi", *candidates)


# --------------------------------------------------------------------------
# streams

STREAMS = [
    ("lmi/stream.jsonl", DONE),
    ("lmi/stream_sse_tgi_compat.txt", DONE),  # output_formatter=sse / tgi_compat
    ("lmi/stream_vllm_async.jsonl", usage(6, 5)),  # LMI >= v15, details on
    ("tgi/stream.txt", usage(6, 5)),
]


@pytest.mark.parametrize(("path", "token_usage"), STREAMS)
def test_stream_whole_and_split_at_every_byte(
    path: str, token_usage: dict[str, int]
) -> None:
    check_stream(get_handler("lmi"), fixture(path), TEXT, "length", token_usage)


def test_stream_without_details_has_no_info() -> None:
    lines = [
        b'{"token": {"id": 244, "text": "He", "log_prob": -0.334532}}',
        b'{"token": {"id": 576, "text": "llo", "log_prob": -0.123123}}',
        b'{"token": {"id": 4558, "text": " world", "log_prob": -0.567854}, "generated_text": "Hello world"}',
    ]  # djl-serving test_jsonlines_fmt
    data = b"\n".join(lines) + b"\n"
    check_stream(get_handler("lmi"), data, "Hello world", None, None)


@pytest.mark.parametrize(
    "path",
    [
        "lmi/stream.jsonl",
        "lmi/stream_vllm_async.jsonl",
        "lmi/stream_sse_tgi_compat.txt",
    ],
)
def test_cut_stream_is_incomplete(path: str) -> None:
    data = fixture(path)
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    check_cut_stream(get_handler("lmi"), data, last)


@pytest.mark.parametrize("path", ["lmi/stream.jsonl", "tgi/stream.txt"])
def test_stream_stop_sequences(path: str) -> None:
    data = fixture(path)
    for parts in ([data], [bytes([b]) for b in data]):
        text, info = run_stream(get_handler("lmi"), parts, ["ing is"])
        assert (text, info["finish_reason"]) == ("Deep learn", "stop")


def test_error_line_in_stream_is_a_stream_error() -> None:
    with pytest.raises(StreamError, match="CUDA out of memory") as info:
        run_stream(get_handler("lmi"), [fixture("lmi/stream_error.jsonl")])
    assert info.value.code == "ModelStreamError"
    assert "lmi" in str(info.value)


def test_documented_error_line_without_message() -> None:
    data = (
        b'{"token": {"id": -1, "text": "", "log_prob": -1, "special_token": true}, '
        b'"generated_text": "", "details": {"finish_reason": "error", '
        b'"generated_tokens": null, "inputs": null}}\n'
    )  # lmi_input_output_schema.md, "When using streaming"
    with pytest.raises(StreamError, match="generation failed"):
        run_stream(get_handler("lmi"), [data])


@pytest.mark.parametrize(
    "line",
    [
        b'{"error": {"object": "error", "message": "prompt too long", "code": 400}}',
        b'data: {"error":"Request failed during generation","error_type":"generation"}',
    ],
)
def test_error_object_in_stream_is_a_stream_error(line: bytes) -> None:
    data = fixture("lmi/stream.jsonl").split(b"\n")[0] + b"\n" + line + b"\n"
    with pytest.raises(StreamError):
        run_stream(get_handler("lmi"), [data])


def test_special_tgi_token_text_is_skipped() -> None:
    data = (
        b'data:{"index":1,"token":{"id":5,"text":"Hi","logprob":-0.1,"special":false},'
        b'"generated_text":null,"details":null}\n\n'
        b'data:{"index":2,"token":{"id":2,"text":"</s>","logprob":-0.1,"special":true},'
        b'"generated_text":"Hi","details":{"finish_reason":"eos_token",'
        b'"generated_tokens":2,"seed":null,"input_length":3}}\n\n'
    )
    assert run_stream(get_handler("lmi"), [data]) == (
        "Hi",
        {"finish_reason": "eos_token", "token_usage": usage(3, 2)},
    )


@pytest.mark.parametrize(
    ("path", "candidates"),
    [
        ("openai-chat/stream.txt", ("openai-chat", "tgi-messages")),
        ("openai-chat/stream_lmi_rolling.jsonl", ("openai-chat",)),
        ("openai/stream.txt", ("openai",)),
    ],
)
def test_wrong_container_stream(path: str, candidates: tuple[str, ...]) -> None:
    with pytest.raises(ResponseParseError) as info:
        run_stream(get_handler("lmi"), [fixture(path)])
    assert_names(info.value, "lmi", *candidates)


@pytest.mark.parametrize("path", ["lmi/response.json", "tgi/response.json"])
def test_whole_response_on_the_stream_api_is_read(path: str) -> None:
    data = fixture(path)
    assert run_stream(get_handler("lmi"), [data]) == (
        TEXT,
        {"finish_reason": "length", "token_usage": DONE},
    )


def test_whole_response_of_another_container_on_the_stream_api() -> None:
    with pytest.raises(ResponseParseError, match="did not stream") as info:
        run_stream(
            get_handler("lmi"), [fixture("jumpstart-llama/response.json") + b"\n"]
        )
    assert info.value.candidates == ("jumpstart-llama",)
