"""``auto``: one common request, the dialect picked from the first response."""

from __future__ import annotations

import io
import json
from typing import Any
from unittest.mock import MagicMock

import pytest

from langchain_sagemaker import SagemakerEndpoint, get_handler
from langchain_sagemaker.errors import ModelError, ResponseParseError, StreamError
from langchain_sagemaker.handlers import AutoHandler
from tests.unit_tests.test_handlers_common import (
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
TGI_CONTENT = json.loads(fixture("tgi-messages/response.json"))["choices"][0][
    "message"
]["content"]
LLAMA_CHAT = json.loads(fixture("jumpstart-llama/response_chat.json"))[0]["generation"][
    "content"
]


def auto() -> AutoHandler:
    handler = get_handler("auto")
    assert isinstance(handler, AutoHandler)
    return handler


# --------------------------------------------------------------------------
# the request


@pytest.mark.parametrize("stream", [False, True])
def test_request_body_is_exact(stream: bool) -> None:
    file = "auto/request_stream.json" if stream else "auto/request.json"
    assert request("auto", PROMPT, {"max_tokens": 5}, stream=stream) == fixture(file)


def test_request_sends_only_what_tgi_lmi_and_the_toolkit_accept() -> None:
    body = json.loads(
        request("auto", "hi", {"temperature": 0, "top_p": 1.0}, stop=["\n"])
    )
    assert body == {
        "inputs": "hi",
        "parameters": {"do_sample": False, "return_full_text": False},
    }
    body = json.loads(request("auto", "hi", {"temperature": 0.5, "top_p": 0.9}))
    assert body["parameters"] == {
        "temperature": 0.5,
        "do_sample": True,
        "top_p": 0.9,
        "return_full_text": False,
    }
    handler = auto()
    assert (handler.framing, handler.has_end_marker, handler.server_side_stop) == (
        "lines",
        True,
        False,
    )


def test_request_does_not_change_after_detection() -> None:
    handler = auto()
    run_body(handler, fixture("tgi/response.json"))
    assert handler.detected == "tgi"
    assert handler.request_body(PROMPT, {"max_tokens": 5}, stop=[], stream=False) == (
        fixture("auto/request.json")
    )


# --------------------------------------------------------------------------
# detection from a whole response

RESPONSES = [
    ("tgi/response.json", "tgi", TEXT, "length", DONE),
    ("lmi/response.json", "lmi", TEXT, "length", DONE),
    ("lmi/response_tgi_compat.json", "tgi", TEXT, "length", DONE),
    ("hf-toolkit/response.json", "tgi", " " + TEXT, None, None),
    ("openai/response.json", "openai", " " + TEXT, "length", usage(6, 5)),
    ("openai-chat/response.json", "openai-chat", TEXT, "length", usage(15, 5)),
    (
        "tgi-messages/response.json",
        "openai-chat",
        TGI_CONTENT,
        "length",
        usage(61, 100),
    ),
    (
        "jumpstart-llama/response.json",
        "jumpstart-llama",
        " to be happy, to find joy in life, to love and be loved, and to make a "
        "positive impact on the world.",
        None,
        None,
    ),
    ("jumpstart-llama/response_chat.json", "jumpstart-llama", LLAMA_CHAT, None, None),
    (
        "jumpstart-flan-t5/response.json",
        "jumpstart-flan-t5",
        "Preheat the oven to 450 degrees. Roll out the dough. Spread the sauce on "
        "the dough. Add the toppings. Bake for 15 minutes.",
        None,
        None,
    ),
    (
        "jumpstart-falcon/response.json",
        "tgi",
        "Amazon SageMaker is a fully managed machine learning service.",
        "eos_token",
        {"completion_tokens": 12},
    ),
]


@pytest.mark.parametrize(
    ("path", "detected", "text", "finish", "token_usage"), RESPONSES
)
def test_detects_the_dialect_of_a_response(
    path: str,
    detected: str,
    text: str,
    finish: str | None,
    token_usage: dict[str, int] | None,
) -> None:
    handler = auto()
    assert repr(handler) == "AutoHandler(detected=None)"
    assert run_body(handler, fixture(path)) == (
        text,
        expected_info(finish, token_usage),
    )
    assert handler.detected == detected
    assert repr(detected) in repr(handler)
    # and it sticks: the same kind of response again
    assert run_body(handler, fixture(path))[0] == text
    assert handler.detected == detected


def test_candidates_of_an_ambiguous_response() -> None:
    handler = auto()
    run_body(handler, fixture("hf-toolkit/response.json"))
    assert handler.detected == "tgi"
    assert handler.candidates == (
        "tgi",
        "lmi",
        "hf-toolkit",
        "jumpstart-falcon",
        "jumpstart-mistral",
    )


def test_sticks_to_the_first_dialect() -> None:
    handler = auto()
    run_body(handler, fixture("tgi/response.json"))
    with pytest.raises(ResponseParseError, match=r"detected the 'tgi' dialect") as info:
        run_body(handler, fixture("openai-chat/response.json"))
    assert info.value.candidates == ("openai-chat", "tgi-messages")
    assert "content_handler='openai-chat'" in str(info.value)
    assert info.value.snippet
    # a list of generated_text from another TGI-like container still fits
    assert run_body(handler, fixture("hf-toolkit/response.json"))[0] == " " + TEXT


@pytest.mark.parametrize(
    ("body", "candidates"),
    [
        (b'{"predictions": [[0.1, 0.2]]}', ()),
        (b'{"outputs": ["a"]}', ("lmi",)),
        (b'[{"generated_text": 5}]', ("tgi", "lmi", "hf-toolkit")),
        (b'{"choices": [{"index": 0}]}', ("openai-chat", "openai")),
        (b'"just text"', ()),
    ],
)
def test_a_response_no_dialect_reads(body: bytes, candidates: tuple[str, ...]) -> None:
    handler = auto()
    with pytest.raises(
        ResponseParseError, match=r"'auto'.*no built-in dialect"
    ) as info:
        run_body(handler, body)
    assert info.value.candidates == candidates
    assert info.value.snippet
    assert "What to do" in str(info.value)
    assert handler.detected is None


def test_not_json_is_a_parse_error() -> None:
    with pytest.raises(ResponseParseError, match=r"'auto'.*not JSON"):
        run_body(auto(), b"<html>Bad Gateway</html>")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'{"error":"Input validation error: `inputs` must not be empty","error_type":"validation"}',
            "must not be empty",
        ),
        (fixture("lmi/response_error.json"), "CUDA out of memory"),
    ],
)
def test_an_error_response_is_a_model_error(body: bytes, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        run_body(auto(), body)


# --------------------------------------------------------------------------
# detection from a stream

STREAMS = [
    ("tgi/stream.txt", "tgi", TEXT, "length", usage(6, 5)),
    ("lmi/stream.jsonl", "lmi", TEXT, "length", DONE),
    ("lmi/stream_sse_tgi_compat.txt", "tgi", TEXT, "length", DONE),
    ("lmi/stream_vllm_async.jsonl", "lmi", TEXT, "length", usage(6, 5)),
    ("openai/stream.txt", "openai", " " + TEXT, "length", usage(6, 5)),
    ("openai-chat/stream.txt", "openai-chat", TEXT, "length", usage(15, 5)),
    ("tgi-messages/stream.txt", "openai-chat", "OK!", "stop", usage(39, 3)),
    ("openai-chat/stream_lmi_rolling.jsonl", "openai-chat", TEXT, "length", None),
    # containers that cannot stream answer the stream call with their response
    ("hf-toolkit/response.json", "tgi", " " + TEXT, None, None),
    ("lmi/response.json", "lmi", TEXT, "length", DONE),
    (
        "jumpstart-flan-t5/response.json",
        "jumpstart-flan-t5",
        RESPONSES[9][2],
        None,
        None,
    ),
]


@pytest.mark.parametrize(("path", "detected", "text", "finish", "token_usage"), STREAMS)
def test_detects_the_dialect_of_a_stream(
    path: str,
    detected: str,
    text: str,
    finish: str | None,
    token_usage: dict[str, int] | None,
) -> None:
    handler = auto()
    check_stream(handler, fixture(path), text, finish, token_usage)
    assert handler.detected == detected


def test_stream_with_keep_alives_before_the_first_event() -> None:
    data = b":\n\n: ping\n\n" + fixture("tgi/stream.txt")
    handler = auto()
    assert run_stream(handler, [data])[0] == TEXT
    assert handler.detected == "tgi"


@pytest.mark.parametrize(
    ("path", "last"),
    [
        ("tgi/stream.txt", b'"input_length":6}}'),
        ("openai-chat/stream.txt", b"[DONE]"),
        ("lmi/stream.jsonl", b'"What is Deep Learning?"}}'),
    ],
)
def test_cut_stream_is_incomplete(path: str, last: bytes) -> None:
    check_cut_stream(auto(), fixture(path), last)


def test_stream_stop_sequences() -> None:
    text, info = run_stream(auto(), [fixture("tgi/stream.txt")], ["ing is"])
    assert (text, info["finish_reason"]) == ("Deep learn", "stop")


@pytest.mark.parametrize(
    "data",
    [
        b'data:{"error":"Request failed during generation: CUDA out of memory","error_type":"generation"}\n\n',
        fixture("lmi/stream_error.jsonl"),
        fixture("openai/stream_error.txt").replace(
            b"Internal server error", b"CUDA out of memory"
        ),
    ],
)
def test_error_in_a_stream_is_a_stream_error(data: bytes) -> None:
    with pytest.raises(StreamError, match="CUDA out of memory"):
        run_stream(auto(), [data])


def test_a_stream_no_dialect_reads() -> None:
    with pytest.raises(ResponseParseError, match="no built-in dialect") as info:
        run_stream(auto(), [b'{"outputs": ["This"]}\n{"outputs": [" is"]}\n'])
    assert info.value.candidates == ("lmi",)


def test_stream_sticks_to_the_first_dialect() -> None:
    handler = auto()
    run_stream(handler, [fixture("lmi/stream.jsonl")])
    with pytest.raises(ResponseParseError, match="detected the 'lmi' dialect"):
        run_stream(handler, [fixture("openai-chat/stream.txt")])


# --------------------------------------------------------------------------
# through SagemakerEndpoint


def test_endpoint_with_an_auto_handler_instance() -> None:
    client = MagicMock()
    client.invoke_endpoint.return_value = {
        "Body": io.BytesIO(fixture("lmi/response.json"))
    }
    handler = auto()
    llm = SagemakerEndpoint(endpoint_name="ep", client=client, content_handler=handler)
    assert llm.invoke(PROMPT, max_tokens=5) == TEXT
    assert handler.detected == "lmi"
    call: dict[str, Any] = client.invoke_endpoint.call_args.kwargs
    assert call["Body"] == fixture("auto/request.json")
    assert call["ContentType"] == "application/json"


def test_endpoint_with_auto_by_name() -> None:
    client = MagicMock()
    client.invoke_endpoint.return_value = {
        "Body": io.BytesIO(fixture("openai-chat/response.json"))
    }
    llm = SagemakerEndpoint(endpoint_name="ep", client=client, content_handler="auto")
    assert llm.invoke(PROMPT) == TEXT
