"""``hf-toolkit`` and the JumpStart handlers (llama, flan-t5, falcon, mistral)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from langchain_sagemaker import get_handler
from langchain_sagemaker.errors import ConfigurationError, ResponseParseError
from tests.unit_tests.test_handlers_common import (
    assert_names,
    check_cut_stream,
    check_stream,
    expected_info,
    fixture,
    request,
    run_body,
    usage,
)

PROMPT = "What is Deep Learning?"
LLAMA_CHAT = json.loads(fixture("jumpstart-llama/response_chat.json"))[0]["generation"][
    "content"
]

# --------------------------------------------------------------------------
# request bodies


@pytest.mark.parametrize(
    ("name", "options", "prompt", "params", "path"),
    [
        ("hf-toolkit", {}, PROMPT, {"max_tokens": 5}, "hf-toolkit/request.json"),
        (
            "jumpstart-llama",
            {},
            "I believe the meaning of life is",
            {"max_tokens": 64, "top_p": 0.9, "temperature": 0.6},
            "jumpstart-llama/request.json",
        ),
        (
            "jumpstart-llama",
            {"chat": True},
            "Which instances can I use with Managed Spot Training in SageMaker?",
            {"max_new_tokens": 64, "top_p": 0.9, "temperature": 0.6},
            "jumpstart-llama/request_chat.json",
        ),
        (
            "jumpstart-flan-t5",
            {},
            "Tell me the steps to make a pizza",
            {"max_tokens": 50, "top_k": 50, "top_p": 0.95, "do_sample": True},
            "jumpstart-flan-t5/request.json",
        ),
        (
            "jumpstart-falcon",
            {},
            "Tell me about Amazon SageMaker.",
            {
                "do_sample": True,
                "top_p": 0.9,
                "temperature": 0.8,
                "max_new_tokens": 1024,
                "stop": ["<|endoftext|>", "</s>"],
            },
            "jumpstart-falcon/request.json",
        ),
        (
            "jumpstart-mistral",
            {},
            "This Form 10-K report shows that:",
            {
                "max_new_tokens": 300,
                "top_k": 50,
                "top_p": 0.8,
                "do_sample": True,
                "temperature": 1,
            },
            "jumpstart-mistral/request.json",
        ),
    ],
)
def test_request_body_is_exact(
    name: str, options: dict[str, Any], prompt: str, params: dict[str, Any], path: str
) -> None:
    assert request(name, prompt, params, **options) == fixture(path)


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        (
            "hf-toolkit",
            {"temperature": 0},
            {"do_sample": False, "return_full_text": False},
        ),
        (
            "hf-toolkit",
            {"temperature": 0.5, "top_p": 1.0},
            {
                "temperature": 0.5,
                "top_p": 1.0,
                "do_sample": True,
                "return_full_text": False,
            },
        ),
        ("hf-toolkit", {"return_full_text": True}, {"return_full_text": True}),
        ("jumpstart-llama", {"max_tokens": 10}, {"max_new_tokens": 10}),
        ("jumpstart-llama", {"temperature": 0.01}, {"temperature": 0.01}),
    ],
)
def test_parameters(
    name: str, params: dict[str, Any], expected: dict[str, Any]
) -> None:
    body = json.loads(request(name, "hi", params, stop=["\n\n"]))
    assert body == {"inputs": "hi", "parameters": expected}  # no stop: client-side


def test_hf_toolkit_text2text_sends_no_return_full_text() -> None:
    body = request("hf-toolkit", "hi", {"max_tokens": 3}, task="text2text-generation")
    assert json.loads(body) == {"inputs": "hi", "parameters": {"max_new_tokens": 3}}


def test_flan_t5_parameters_are_on_the_top_level() -> None:
    body = json.loads(
        request("jumpstart-flan-t5", "hi", {"temperature": 0}, stop=["."])
    )
    assert body == {"text_inputs": "hi", "do_sample": False}


def test_jumpstart_llama_rejects_greedy_temperature() -> None:
    with pytest.raises(ConfigurationError, match=r"'jumpstart-llama'.*temperature > 0"):
        request("jumpstart-llama", "hi", {"temperature": 0})


def test_falcon_and_mistral_send_tgi_stops() -> None:
    for name in ("jumpstart-falcon", "jumpstart-mistral"):
        handler = get_handler(name)
        assert (handler.framing, handler.server_side_stop) == ("sse", True)
        body = json.loads(request(name, "hi", {}, stop=["1", "2", "3", "4", "5"]))
        assert body["parameters"]["stop"] == ["1", "2", "3", "4"]


@pytest.mark.parametrize(
    ("name", "options", "instead"),
    [
        ("hf-toolkit", {}, "'tgi'"),
        ("hf-toolkit", {"task": "text2text-generation"}, "'tgi'"),
        ("jumpstart-llama", {}, "'lmi'"),
        ("jumpstart-flan-t5", {}, "'tgi'"),
    ],
)
def test_non_streaming_containers_refuse_to_stream(
    name: str, options: dict[str, Any], instead: str
) -> None:
    handler = get_handler(name, **options)
    assert not handler.server_side_stop
    with pytest.raises(ConfigurationError, match="cannot stream") as info:
        handler.request_body("hi", {}, stop=[], stream=True)
    assert repr(name) in str(info.value)
    assert "streaming=False" in str(info.value)
    assert instead in str(info.value)
    with pytest.raises(ConfigurationError, match="cannot stream"):
        handler.parse_event(b"{}")


# --------------------------------------------------------------------------
# responses


@pytest.mark.parametrize(
    ("name", "options", "path", "text", "finish", "token_usage"),
    [
        (
            "hf-toolkit",
            {},
            "hf-toolkit/response.json",
            " Deep learning is a subset",
            None,
            None,
        ),
        (
            "hf-toolkit",
            {},
            "lmi/response_tgi_compat.json",
            "Deep learning is a subset",
            None,
            None,
        ),
        (
            "jumpstart-llama",
            {},
            "jumpstart-llama/response.json",
            " to be happy, to find joy in life, to love and be loved, and to make a "
            "positive impact on the world.",
            None,
            None,
        ),
        (
            "jumpstart-llama",
            {"chat": True},
            "jumpstart-llama/response_chat.json",
            LLAMA_CHAT,
            None,
            None,
        ),
        (
            "jumpstart-llama",
            {},
            "jumpstart-llama/response_chat.json",
            LLAMA_CHAT,
            None,
            None,
        ),
        (
            "jumpstart-flan-t5",
            {},
            "jumpstart-flan-t5/response.json",
            "Preheat the oven to 450 degrees. Roll out the dough. Spread the sauce on "
            "the dough. Add the toppings. Bake for 15 minutes.",
            None,
            None,
        ),
        (
            "jumpstart-falcon",
            {},
            "jumpstart-falcon/response.json",
            "Amazon SageMaker is a fully managed machine learning service.",
            "eos_token",
            {"completion_tokens": 12},
        ),
        (
            "jumpstart-mistral",
            {},
            "jumpstart-mistral/response.json",
            " the company had a net loss of $1.2 million.",
            "eos_token",
            {"completion_tokens": 14},
        ),
    ],
)
def test_parse_response(
    name: str,
    options: dict[str, Any],
    path: str,
    text: str,
    finish: str | None,
    token_usage: dict[str, int] | None,
) -> None:
    assert run_body(get_handler(name, **options), fixture(path)) == (
        text,
        expected_info(finish, token_usage),
    )


def test_stop_sequences_apply_client_side() -> None:
    text, info = run_body(
        get_handler("hf-toolkit"), fixture("hf-toolkit/response.json"), [" is"]
    )
    assert (text, info) == (" Deep learning", {"finish_reason": "stop"})


@pytest.mark.parametrize(
    ("name", "path", "candidates"),
    [
        ("hf-toolkit", "openai-chat/response.json", ("openai-chat",)),
        ("hf-toolkit", "lmi/response.json", ("lmi",)),
        ("hf-toolkit", "jumpstart-llama/response.json", ("jumpstart-llama",)),
        ("jumpstart-llama", "hf-toolkit/response.json", ("tgi", "hf-toolkit")),
        ("jumpstart-llama", "openai/response.json", ("openai",)),
        ("jumpstart-flan-t5", "tgi/response.json", ("tgi", "lmi")),
        ("jumpstart-flan-t5", "lmi/response.json", ("lmi",)),
        ("jumpstart-falcon", "openai-chat/response.json", ()),
    ],
)
def test_wrong_container_response(
    name: str, path: str, candidates: tuple[str, ...]
) -> None:
    with pytest.raises(ResponseParseError) as info:
        run_body(get_handler(name), fixture(path))
    if name == "jumpstart-falcon":  # the tgi handler's own error, under this name
        assert "'jumpstart-falcon'" in str(info.value)
        return
    assert_names(info.value, name, *candidates)


def test_flan_t5_empty_list_is_the_wrong_shape() -> None:
    with pytest.raises(ResponseParseError, match="generated_texts"):
        run_body(get_handler("jumpstart-flan-t5"), b'{"generated_texts": []}')


# --------------------------------------------------------------------------
# falcon / mistral stream as TGI does


@pytest.mark.parametrize("name", ["jumpstart-falcon", "jumpstart-mistral"])
def test_tgi_served_jumpstart_stream(name: str) -> None:
    data = fixture("tgi/stream.txt")
    check_stream(
        get_handler(name), data, "Deep learning is a subset", "length", usage(6, 5)
    )
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    check_cut_stream(get_handler(name), data, last)
