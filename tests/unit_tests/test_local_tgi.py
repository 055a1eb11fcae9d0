"""The TGI dialect of the local container, in-process (no HTTP)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from langchain_sagemaker.local.container import (
    ContainerRequest,
    ContainerResponse,
    available_containers,
    get_container,
    register_container,
)
from langchain_sagemaker.local.models.base import Model
from langchain_sagemaker.local.tgi import TGIContainer


class Words:
    """Stand-in model: yields fixed tokens whatever the prompt."""

    name = "words"

    def __init__(self, tokens: list[str] | None = None) -> None:
        self.tokens = (
            tokens if tokens is not None else ["Hello", " world", ".", " Bye", "!"]
        )

    def generate(self, prompt: str) -> Iterator[str]:
        yield from self.tokens


class Broken:
    name = "broken"

    def generate(self, prompt: str) -> Iterator[str]:
        yield "ok"
        raise RuntimeError("CUDA out of memory")


async def invoke(
    container: TGIContainer,
    body: Any,
    content_type: str | None = "application/json",
) -> ContainerResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await container.invoke(ContainerRequest(body=raw, content_type=content_type))


async def generate(container: TGIContainer, body: Any) -> dict[str, Any]:
    response = await invoke(container, body)
    assert response.status == 200, response.body
    assert response.content_type == "application/json"
    assert response.stream is None
    [result] = json.loads(response.body)
    assert isinstance(result, dict)
    return result


async def sse(
    container: TGIContainer, body: dict[str, Any]
) -> tuple[list[bytes], list[dict[str, Any]]]:
    response = await invoke(container, {**body, "stream": True})
    assert response.status == 200
    assert response.content_type == "text/event-stream"
    chunks = [chunk async for chunk in response.chunks()]
    events = []
    for chunk in chunks:
        assert chunk.startswith(b"data: ") and chunk.endswith(b"\n\n"), chunk
        events.append(json.loads(chunk[len(b"data: ") : -2]))
    return chunks, events


@pytest.fixture
def tgi() -> TGIContainer:
    return TGIContainer(Words())


def test_stand_in_is_a_model() -> None:
    assert isinstance(Words(), Model)


# --- non-streaming answers ------------------------------------------------------


async def test_default_returns_full_text_like_tgi_on_sagemaker(
    tgi: TGIContainer,
) -> None:
    assert await generate(tgi, {"inputs": "Q: "}) == {
        "generated_text": "Q: Hello world. Bye!"
    }


async def test_return_full_text_false_and_configurable_default() -> None:
    assert await generate(
        TGIContainer(Words()),
        {"inputs": "Q: ", "parameters": {"return_full_text": False}},
    ) == {"generated_text": "Hello world. Bye!"}
    container = TGIContainer(Words(), default_return_full_text=False)
    assert (await generate(container, {"inputs": "Q: "}))[
        "generated_text"
    ] == "Hello world. Bye!"
    assert (
        await generate(
            container, {"inputs": "Q: ", "parameters": {"return_full_text": True}}
        )
    )["generated_text"] == "Q: Hello world. Bye!"


async def test_exact_bytes_of_a_plain_answer(tgi: TGIContainer) -> None:
    response = await invoke(
        tgi, {"inputs": "x", "parameters": {"return_full_text": False}}
    )
    assert response.body == b'[{"generated_text":"Hello world. Bye!"}]'


async def test_details_only_when_asked(tgi: TGIContainer) -> None:
    plain = await generate(
        tgi, {"inputs": "x", "parameters": {"return_full_text": False}}
    )
    assert "details" not in plain
    result = await generate(tgi, {"inputs": "x", "parameters": {"details": True}})
    details = result["details"]
    assert list(details) == [
        "finish_reason",
        "generated_tokens",
        "seed",
        "prefill",
        "tokens",
    ]
    assert details["finish_reason"] == "eos_token"
    assert details["generated_tokens"] == 6  # five tokens and </s>
    assert details["seed"] is None  # greedy: no seed reported
    assert details["prefill"] == []
    texts = [t["text"] for t in details["tokens"]]
    assert texts == ["Hello", " world", ".", " Bye", "!", "</s>"]
    eos = details["tokens"][-1]
    assert eos["special"] is True and eos["id"] == 2
    for token in details["tokens"]:
        assert list(token) == ["id", "text", "logprob", "special"]
        assert isinstance(token["id"], int) and token["logprob"] <= 0


async def test_seed_is_reported_when_sampling(tgi: TGIContainer) -> None:
    given = await generate(
        tgi,
        {"inputs": "x", "parameters": {"details": True, "do_sample": True, "seed": 42}},
    )
    assert given["details"]["seed"] == 42
    warped = await generate(
        tgi, {"inputs": "x", "parameters": {"details": True, "temperature": 0.5}}
    )
    assert isinstance(warped["details"]["seed"], int)
    # No "parameters" at all: TGI's default_parameters() samples.
    assert (await generate(tgi, {"inputs": "x"}))[
        "generated_text"
    ] == "xHello world. Bye!"


@pytest.mark.parametrize(
    ("max_new_tokens", "text", "reason", "count"),
    [
        (1, "Hello", "length", 1),
        (3, "Hello world.", "length", 3),
        (5, "Hello world. Bye!", "length", 5),
        (6, "Hello world. Bye!", "length", 6),  # length wins over EOS on the 6th
        (7, "Hello world. Bye!", "eos_token", 6),
    ],
)
async def test_max_new_tokens(
    tgi: TGIContainer, max_new_tokens: int, text: str, reason: str, count: int
) -> None:
    result = await generate(
        tgi,
        {
            "inputs": "x",
            "parameters": {
                "max_new_tokens": max_new_tokens,
                "details": True,
                "return_full_text": False,
            },
        },
    )
    assert result["generated_text"] == text
    assert result["details"]["finish_reason"] == reason
    assert result["details"]["generated_tokens"] == count


async def test_default_max_new_tokens_is_configurable() -> None:
    container = TGIContainer(
        Words(), default_max_new_tokens=2, default_return_full_text=False
    )
    assert (await generate(container, {"inputs": "x"}))[
        "generated_text"
    ] == "Hello world"


async def test_unset_max_new_tokens_is_bounded_by_max_total_tokens() -> None:
    container = TGIContainer(
        Words(["a"] * 50), max_total_tokens=10, default_return_full_text=False
    )
    result = await generate(
        container, {"inputs": "one two three", "parameters": {"details": True}}
    )
    assert result["details"]["generated_tokens"] == 7  # 10 - 3 input "tokens"
    assert result["details"]["finish_reason"] == "length"


@pytest.mark.parametrize(
    ("stop", "text"),
    [
        (["."], "Hello world."),
        ([" world"], "Hello world"),
        (["world"], "Hello world"),
        (["Bye!", "."], "Hello world."),
        (["llo wor"], "Hello world. Bye!"),  # never at the end of the output
        (["xyz"], "Hello world. Bye!"),
    ],
)
async def test_stop_sequences_keep_the_stop_text(
    tgi: TGIContainer, stop: list[str], text: str
) -> None:
    result = await generate(
        tgi,
        {
            "inputs": "x",
            "parameters": {"stop": stop, "details": True, "return_full_text": False},
        },
    )
    assert result["generated_text"] == text
    expected = "stop_sequence" if text != "Hello world. Bye!" else "eos_token"
    assert result["details"]["finish_reason"] == expected


async def test_stop_sequence_spanning_tokens(tgi: TGIContainer) -> None:
    result = await generate(
        tgi,
        {"inputs": "x", "parameters": {"stop": ["d. B"], "return_full_text": False}},
    )
    # " Bye" completes "d. B" but the output then ends in "Bye", and TGI only
    # matches a stop sequence at the end of the output: no stop.
    assert result["generated_text"] == "Hello world. Bye!"
    result = await generate(
        tgi, {"inputs": "x", "parameters": {"stop": ["ld."], "return_full_text": False}}
    )
    assert result["generated_text"] == "Hello world."


async def test_best_of_returns_the_other_sequences(tgi: TGIContainer) -> None:
    result = await generate(
        tgi,
        {
            "inputs": "x",
            "parameters": {"best_of": 2, "do_sample": True, "details": True},
        },
    )
    [other] = result["details"]["best_of_sequences"]
    assert other["generated_text"] == result["generated_text"]
    assert list(other) == [
        "generated_text",
        "finish_reason",
        "generated_tokens",
        "seed",
        "prefill",
        "tokens",
    ]


async def test_model_failure_is_a_generation_error() -> None:
    response = await invoke(TGIContainer(Broken()), {"inputs": "x"})
    assert response.status == 424
    assert json.loads(response.body) == {
        "error": "Request failed during generation: CUDA out of memory",
        "error_type": "generation",
    }


# --- errors, as TGI answers them -------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"top_p": 1.0}, "`top_p` must be > 0.0 and < 1.0"),
        ({"top_p": 0}, "`top_p` must be > 0.0 and < 1.0"),
        ({"temperature": 0}, "`temperature` must be strictly positive"),
        ({"temperature": -1.5}, "`temperature` must be strictly positive"),
        ({"repetition_penalty": 0}, "`repetition_penalty` must be strictly positive"),
        ({"frequency_penalty": 3}, "`frequency_penalty` must be >= -2.0 and <= 2.0"),
        ({"typical_p": 1}, "`typical_p` must be > 0.0 and < 1.0"),
        ({"top_k": 0}, "`top_k` must be strictly positive"),
        ({"max_new_tokens": 0}, "`max_new_tokens` must be strictly positive"),
        (
            {"stop": ["a", "b", "c", "d", "e"]},
            "`stop` supports up to 4 stop sequences. Given: 5",
        ),
        ({"top_n_tokens": 6}, "`top_n_tokens` must be >= 0 and <= 5. Given: 6"),
        ({"best_of": 2}, "you must use sampling when `best_of` is > 1"),
        ({"best_of": 3, "do_sample": True}, "`best_of` must be > 0 and <= 2. Given: 3"),
        (
            {"best_of": 2, "do_sample": True, "seed": 1},
            "`seed` must not be set when `best_of` > 1",
        ),
        (
            {"truncate": 0},
            "`truncate` must be strictly positive and less than 4095. Given: 0",
        ),
    ],
)
async def test_validation_errors(
    tgi: TGIContainer, parameters: dict[str, Any], message: str
) -> None:
    response = await invoke(tgi, {"inputs": "x", "parameters": parameters})
    assert response.status == 422
    assert response.content_type == "application/json"
    assert (
        response.body
        == json.dumps(
            {"error": f"Input validation error: {message}", "error_type": "validation"},
            separators=(",", ":"),
        ).encode()
    )


async def test_max_total_tokens() -> None:
    container = TGIContainer(Words(), max_total_tokens=10)
    response = await invoke(
        container, {"inputs": "x", "parameters": {"max_new_tokens": 20}}
    )
    assert response.status == 422
    assert json.loads(response.body)["error"] == (
        "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 10. "
        "Given: 1 `inputs` tokens and 20 `max_new_tokens`"
    )
    # TGI >= 3 checks only the first 1024-token chunk against max_total_tokens.
    container = TGIContainer(Words(), max_total_tokens=2000)
    response = await invoke(
        container, {"inputs": "x", "parameters": {"max_new_tokens": 5000}}
    )
    assert response.status == 200


async def test_empty_inputs(tgi: TGIContainer) -> None:
    response = await invoke(tgi, {"inputs": ""})
    assert response.status == 422
    assert (
        json.loads(response.body)["error"]
        == "Input validation error: `inputs` cannot be empty"
    )


async def test_too_long_inputs() -> None:
    container = TGIContainer(Words(), max_input_tokens=3, max_total_tokens=100)
    response = await invoke(
        container, {"inputs": "a b c d", "parameters": {"max_new_tokens": 5}}
    )
    assert response.status == 422
    assert json.loads(response.body)["error"] == (
        "Input validation error: `inputs` must have less than 3 tokens. Given: 4"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"inputs": 42},
        {"inputs": ["a", "b"]},
        {"parameters": {}},
        {"inputs": "x", "parameters": None},
        {"inputs": "x", "parameters": {"max_new_tokens": -1}},
        {"inputs": "x", "parameters": {"max_new_tokens": 1.5}},
        {"inputs": "x", "parameters": {"stop": "."}},
        {"inputs": "x", "parameters": {"details": None}},
        {"inputs": "x", "parameters": {"top_p": "0.5"}},
        {"inputs": "x", "stream": "yes"},
        ["x"],
    ],
)
async def test_wrong_shapes_are_axum_422_text(tgi: TGIContainer, body: Any) -> None:
    response = await invoke(tgi, body)
    assert response.status == 422
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.body == (
        b"Failed to deserialize the JSON body into the target type: "
        b"data did not match any variant of untagged enum SagemakerRequest"
    )


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"{not json", "key must be a string at line 1 column 2"),
        (b"", "EOF while parsing a value at line 1 column 1"),
        (b'{"inputs": "x"} trailing', "trailing characters at line 1 column 17"),
        (b'{"inputs": NaN}', "NaN is not valid JSON"),
        (b"\xff\xfe", "codec can't decode"),
    ],
)
async def test_malformed_json_is_axum_400_text(
    tgi: TGIContainer, raw: bytes, detail: str
) -> None:
    response = await invoke(tgi, raw)
    assert response.status == 400
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.body.startswith(b"Failed to parse the request body as JSON: ")
    assert detail in response.body.decode()


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-text"])
async def test_non_json_content_type_is_415(
    tgi: TGIContainer, content_type: str | None
) -> None:
    response = await invoke(tgi, {"inputs": "x"}, content_type)
    assert response.status == 415
    assert response.body == b"Expected request with `Content-Type: application/json`"


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/vnd.api+json"],
)
async def test_json_content_types_are_accepted(
    tgi: TGIContainer, content_type: str
) -> None:
    assert (await invoke(tgi, {"inputs": "x"}, content_type)).status == 200


async def test_overloaded_is_429() -> None:
    container = TGIContainer(Words(), max_concurrent_requests=0)
    response = await invoke(container, {"inputs": "x"})
    assert response.status == 429
    assert json.loads(response.body) == {
        "error": "Model is overloaded",
        "error_type": "overloaded",
    }


# --- streaming (server-sent events) ---------------------------------------------

_EVENT = re.compile(
    rb'^data: \{"index":(\d+),"token":\{"id":\d+,"text":"[^"]*",'
    rb'"logprob":-?\d+(\.\d+)?,"special":(true|false)\},'
    rb'"generated_text":(null|"[^"]*"),"details":(null|\{.*\})\}\n\n$'
)


async def test_sse_events_as_tgi_writes_them(tgi: TGIContainer) -> None:
    chunks, events = await sse(tgi, {"inputs": "Q: "})
    assert len(chunks) == 6
    for number, chunk in enumerate(chunks, 1):
        match = _EVENT.match(chunk)
        assert match, chunk
        assert int(match.group(1)) == number
    assert [e["token"]["text"] for e in events] == [
        "Hello",
        " world",
        ".",
        " Bye",
        "!",
        "</s>",
    ]
    assert all(
        e["generated_text"] is None and e["details"] is None for e in events[:-1]
    )
    assert events[-1]["generated_text"] == "Q: Hello world. Bye!"  # return_full_text
    assert events[-1]["details"] is None
    assert events[-1]["token"]["special"] is True
    joined = "".join(e["token"]["text"] for e in events if not e["token"]["special"])
    assert "Q: " + joined == events[-1]["generated_text"]


async def test_sse_legacy_prefix() -> None:
    response = await invoke(
        TGIContainer(Words(), sse_prefix="data:"), {"inputs": "x", "stream": True}
    )
    chunks = [chunk async for chunk in response.chunks()]
    assert all(chunk.startswith(b'data:{"index":') for chunk in chunks)
    with pytest.raises(ValueError, match="sse_prefix"):
        TGIContainer(Words(), sse_prefix="data:  ")


async def test_sse_details_and_stop(tgi: TGIContainer) -> None:
    _, events = await sse(
        tgi,
        {
            "inputs": "x",
            "parameters": {"details": True, "stop": ["."], "return_full_text": False},
        },
    )
    assert [e["index"] for e in events] == [1, 2, 3]
    assert events[-1]["generated_text"] == "Hello world."
    assert events[-1]["details"] == {
        "finish_reason": "stop_sequence",
        "generated_tokens": 3,
        "seed": None,
        "input_length": 1,
    }


async def test_sse_max_new_tokens(tgi: TGIContainer) -> None:
    _, events = await sse(
        tgi, {"inputs": "x", "parameters": {"max_new_tokens": 2, "details": True}}
    )
    assert len(events) == 2
    assert events[-1]["details"]["finish_reason"] == "length"
    assert events[-1]["generated_text"] == "xHello world"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"top_p": 1.5}, "`top_p` must be > 0.0 and < 1.0"),
        ({"best_of": 2}, "`best_of` != 1 is not supported when streaming tokens"),
        (
            {"decoder_input_details": True},
            "`decoder_input_details` == true is not supported when streaming tokens",
        ),
    ],
)
async def test_sse_validation_errors_are_events_in_a_200(
    tgi: TGIContainer, parameters: dict[str, Any], message: str
) -> None:
    response = await invoke(
        tgi, {"inputs": "x", "stream": True, "parameters": parameters}
    )
    assert response.status == 200
    body = await response.read()
    assert body == (
        b"data: "
        + json.dumps(
            {"error": f"Input validation error: {message}", "error_type": "validation"},
            separators=(",", ":"),
        ).encode()
        + b"\n\n"
    )


async def test_sse_model_failure_is_an_error_event() -> None:
    response = await invoke(TGIContainer(Broken()), {"inputs": "x", "stream": True})
    chunks = [chunk async for chunk in response.chunks()]
    assert len(chunks) == 2
    assert json.loads(chunks[-1][6:]) == {
        "error": "Request failed during generation: CUDA out of memory",
        "error_type": "generation",
    }


async def test_break_stream_after_raises_mid_stream() -> None:
    response = await invoke(
        TGIContainer(Words(), break_stream_after=2), {"inputs": "x", "stream": True}
    )
    got = []
    with pytest.raises(ConnectionResetError):
        async for chunk in response.chunks():
            got.append(chunk)
    assert len(got) == 2


async def test_unicode_is_not_escaped(tgi: TGIContainer) -> None:
    container = TGIContainer(Words(["wörld", " 日本"]), default_return_full_text=False)
    response = await invoke(container, {"inputs": "x"})
    assert response.body == '[{"generated_text":"wörld 日本"}]'.encode()


async def test_in_flight_is_released(tgi: TGIContainer) -> None:
    container = TGIContainer(Words(), max_concurrent_requests=1)
    for _ in range(3):
        await sse(container, {"inputs": "x"})
        await generate(container, {"inputs": "x"})
    response = await invoke(container, {"inputs": "x", "stream": True})
    await response.aclose()  # never started: nothing was acquired
    await generate(container, {"inputs": "x"})


# --- registry -------------------------------------------------------------------


def test_registry() -> None:
    assert "tgi" in available_containers()
    container = get_container(
        "tgi", Words(), latency_ms=5, default_return_full_text=False
    )
    assert isinstance(container, TGIContainer)
    assert container.latency_ms == 5
    assert container.default_return_full_text is False
    with pytest.raises(KeyError, match="unknown container 'nope'"):
        get_container("nope", Words())
    with pytest.raises(TypeError):
        get_container("tgi", Words(), no_such_option=1)


def test_register_a_dialect() -> None:
    register_container(
        "tgi-legacy", lambda model, **kw: TGIContainer(model, sse_prefix="data:", **kw)
    )
    container = get_container("tgi-legacy", Words())
    assert isinstance(container, TGIContainer)
    assert container.sse_prefix == b"data:"
