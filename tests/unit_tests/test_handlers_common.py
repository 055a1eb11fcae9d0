"""Built-in handlers: shared test helpers, the registry, and the shared pieces.

The helpers here (fixture loading, driving a handler through the
``Assembler`` whole / split at every byte / cut short) are imported by the
other ``test_handlers_*`` modules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.outputs import GenerationChunk

from langchain_sagemaker import get_handler, list_handlers
from langchain_sagemaker._stream import Assembler
from langchain_sagemaker.errors import (
    ConfigurationError,
    IncompleteStreamError,
    ModelError,
    ResponseParseError,
    StreamError,
)
from langchain_sagemaker.handlers import ModelHandler
from langchain_sagemaker.handlers._common import (
    ParamStyle,
    error_message,
    model_error,
    sse_line,
    usage_of,
    wrong_shape,
)
from langchain_sagemaker.handlers._detect import event_readers, hints, response_readers
from langchain_sagemaker.handlers._json import loads as json_loads

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "handlers"

BUILTINS = [
    "auto",
    "hf-toolkit",
    "jumpstart-falcon",
    "jumpstart-flan-t5",
    "jumpstart-llama",
    "jumpstart-mistral",
    "lmi",
    "openai",
    "openai-chat",
    "tgi",
    "tgi-messages",
]


# --------------------------------------------------------------------------
# helpers (imported by the other test_handlers_* modules)


def fixture(path: str) -> bytes:
    """The bytes of ``tests/fixtures/handlers/<path>``."""
    return (FIXTURES / path).read_bytes()


def usage(prompt: int | None, completion: int | None) -> dict[str, int]:
    out: dict[str, int] = {}
    if prompt is not None:
        out["prompt_tokens"] = prompt
    if completion is not None:
        out["completion_tokens"] = completion
    if prompt is not None and completion is not None:
        out["total_tokens"] = prompt + completion
    return out


def info_of(chunks: Iterable[GenerationChunk]) -> dict[str, Any]:
    infos = [c.generation_info for c in chunks if c.generation_info]
    assert len(infos) <= 1
    return infos[0] if infos else {}


def run_stream(
    handler: ModelHandler, parts: Iterable[bytes], stop: list[str] | None = None
) -> tuple[str, dict[str, Any]]:
    """Drive a stream as ``SagemakerEndpoint`` does: feed until done, close."""
    asm = Assembler(handler, stop)
    chunks: list[GenerationChunk] = []
    for part in parts:
        chunks.extend(asm.feed_bytes(part))
        if asm.done or asm.stopped:
            break
    chunks.extend(asm.close())
    text = "".join(c.text for c in chunks)
    assert text == asm.text
    return text, info_of(chunks)


def run_body(
    handler: ModelHandler, body: bytes, stop: list[str] | None = None
) -> tuple[str, dict[str, Any]]:
    """Read a whole response as ``SagemakerEndpoint`` does."""
    chunks = Assembler(handler, stop).feed_body(body)
    return "".join(c.text for c in chunks), info_of(chunks)


def splits(data: bytes) -> Iterator[list[bytes]]:
    """The stream whole, split in two at every byte, and one byte at a time."""
    yield [data]
    for i in range(1, len(data)):
        yield [data[:i], data[i:]]
    yield [data[i : i + 1] for i in range(len(data))]


def expected_info(
    finish: str | None, token_usage: dict[str, int] | None
) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if finish:
        info["finish_reason"] = finish
    if token_usage:
        info["token_usage"] = token_usage
    return info


def check_stream(
    handler: ModelHandler,
    data: bytes,
    text: str,
    finish: str | None,
    token_usage: dict[str, int] | None,
) -> None:
    """The stream gives the same text and info however it is split."""
    want = expected_info(finish, token_usage)
    for parts in splits(data):
        got_text, got_info = run_stream(handler, parts)
        assert (got_text, got_info) == (text, want), [len(p) for p in parts]


def check_cut_stream(handler: ModelHandler, data: bytes, last: bytes) -> None:
    """Cut anywhere before the end of ``last`` (the end marker): it raises.

    The error keeps the text received so far; the stream cut right after
    ``last`` is complete.
    """
    complete_at = data.index(last) + len(last)
    full, _ = run_stream(handler, [data])
    assert run_stream(handler, [data[:complete_at]])[0] == full
    for cut in range(complete_at):
        with pytest.raises(IncompleteStreamError) as info:
            run_stream(handler, [data[:cut]])
        assert full.startswith(info.value.partial_text)


def request(
    name: str,
    prompt: str,
    params: dict[str, Any],
    *,
    stop: list[str] | None = None,
    stream: bool = False,
    **options: Any,
) -> bytes:
    return get_handler(name, **options).request_body(
        prompt, params, stop=stop or [], stream=stream
    )


def assert_names(error: ResponseParseError, handler: str, *candidates: str) -> None:
    """The error names the handler, what to do, a snippet, and the candidates."""
    message = str(error)
    assert repr(handler) in message
    assert "What to do" in message
    assert error.snippet
    assert "Response starts with" in message
    for name in candidates:
        assert name in error.candidates
        assert name in message
    if candidates:
        assert f"content_handler={error.candidates[0]!r}" in message


# --------------------------------------------------------------------------
# registry


def test_list_handlers_includes_all_builtins() -> None:
    assert set(BUILTINS) <= set(list_handlers())


@pytest.mark.parametrize("name", BUILTINS)
def test_get_handler_builds_each_builtin(name: str) -> None:
    handler = get_handler(name)
    assert isinstance(handler, ModelHandler)
    assert handler.name == name
    assert handler.content_type == "application/json"
    assert handler.accepts == "application/json"
    assert handler.framing in ("lines", "sse")
    assert name in repr(handler) or type(handler).__name__ in repr(handler)


@pytest.mark.parametrize("name", BUILTINS)
def test_each_builtin_documents_its_source(name: str) -> None:
    module = __import__(type(get_handler(name)).__module__, fromlist=["_"])
    assert module.__doc__ and len(module.__doc__) > 200
    assert "Example:" in (type(get_handler(name)).__doc__ or "")


def test_unknown_handler_lists_the_builtins() -> None:
    with pytest.raises(ConfigurationError, match="openai-chat"):
        get_handler("vllm-chat")


def test_handler_options_are_passed() -> None:
    assert get_handler("hf-toolkit", task="text2text-generation").task == (  # type: ignore[attr-defined]
        "text2text-generation"
    )
    assert get_handler("jumpstart-llama", chat=True).chat is True  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["tgi", "jumpstart-mistral", "jumpstart-falcon"])
def test_tgi_asks_for_details_on_streams_or_when_told(name: str) -> None:
    handler = get_handler(name)
    assert isinstance(handler, ModelHandler)

    def params(given: dict[str, Any], *, stream: bool) -> dict[str, Any]:
        body = handler.request_body("x", given, stop=[], stream=stream)
        return dict(json.loads(body)["parameters"])

    assert "details" not in params({}, stream=False)  # a list of every token
    assert params({}, stream=True)["details"] is True  # one small last-event object
    assert params({"details": True}, stream=False)["details"] is True
    assert params({"details": False}, stream=True)["details"] is False


@pytest.mark.parametrize(
    "data",
    [
        '{"t": "日本 👋"}'.encode(),
        b"\xef\xbb\xbf" + '{"t": "日本 👋"}'.encode(),  # UTF-8 with a BOM
        '{"t": "日本 👋"}'.encode("utf-16"),
        '{"t": "日本 👋"}'.encode("utf-32-le"),
        '{"t": "日本 👋"}',
    ],
)
def test_json_loads_reads_what_json_reads(data: bytes | str) -> None:
    assert json_loads(data, handler="x") == {"t": "日本 👋"}


@pytest.mark.parametrize("data", [b'{"t": "\xff"}', b"not json", b'{"t": 1} x'])
def test_json_loads_errors_name_the_handler(data: bytes) -> None:
    with pytest.raises(ResponseParseError, match="'x' content handler"):
        json_loads(data, handler="x")


# --------------------------------------------------------------------------
# ParamStyle


def test_param_style_maps_max_tokens_and_keeps_the_native_name() -> None:
    style = ParamStyle("max_new_tokens")
    assert style.apply({"max_tokens": 5}, [], handler="x") == {"max_new_tokens": 5}
    assert style.apply({"max_tokens": 5, "max_new_tokens": 9}, [], handler="x") == {
        "max_new_tokens": 9
    }
    assert ParamStyle("max_tokens").apply({"max_tokens": 5}, [], handler="x") == {
        "max_tokens": 5
    }


@pytest.mark.parametrize(
    ("greedy", "expected"),
    [
        ("keep", {"temperature": 0}),
        ("zero", {"temperature": 0.0}),
        ("do_sample", {"do_sample": False}),
    ],
)
def test_param_style_greedy(greedy: Any, expected: dict[str, Any]) -> None:
    style = ParamStyle("max_tokens", greedy=greedy)
    assert style.apply({"temperature": 0}, [], handler="x") == expected


def test_param_style_negative_temperature_is_greedy_too() -> None:
    style = ParamStyle("max_tokens", greedy="do_sample")
    assert style.apply({"temperature": -1.0}, [], handler="x") == {"do_sample": False}


def test_param_style_reject_greedy() -> None:
    style = ParamStyle("max_tokens", greedy="reject")
    with pytest.raises(ConfigurationError, match=r"'x'.*temperature > 0"):
        style.apply({"temperature": 0.0}, [], handler="x")
    assert style.apply({"temperature": 0.5}, [], handler="x") == {"temperature": 0.5}


def test_param_style_sample_flag_and_user_do_sample_wins() -> None:
    style = ParamStyle("max_tokens", sample_flag=True)
    assert style.apply({"temperature": 0.7}, [], handler="x") == {
        "temperature": 0.7,
        "do_sample": True,
    }
    assert style.apply({"temperature": 0.7, "do_sample": False}, [], handler="x") == {
        "temperature": 0.7,
        "do_sample": False,
    }
    assert style.apply({"temperature": True}, [], handler="x") == {"temperature": True}


def test_param_style_top_p_below_one() -> None:
    style = ParamStyle("max_tokens", top_p_below_one=True)
    assert style.apply({"top_p": 1.0}, [], handler="x") == {}
    assert style.apply({"top_p": 0.9}, [], handler="x") == {"top_p": 0.9}
    assert ParamStyle("max_tokens").apply({"top_p": 1}, [], handler="x") == {"top_p": 1}


def test_param_style_stops() -> None:
    stops = ["a", "b", "c", "d", "e"]
    assert ParamStyle("m").apply({}, stops, handler="x") == {}
    assert ParamStyle("m", stop_key="stop").apply({}, stops, handler="x") == {
        "stop": stops
    }
    assert ParamStyle("m", stop_key="s", max_stop=4).apply({}, stops, handler="x") == {
        "s": stops[:4]
    }
    assert ParamStyle("m", stop_key="stop").apply({}, [], handler="x") == {}


def test_param_style_passes_other_params_through_in_order() -> None:
    style = ParamStyle("max_new_tokens", stop_key="stop")
    out = style.apply({"seed": 1, "max_tokens": 3, "top_k": 5}, ["###"], handler="x")
    assert list(out) == ["seed", "max_new_tokens", "top_k", "stop"]


# --------------------------------------------------------------------------
# usage, errors, SSE lines


def test_usage_of_keeps_only_reported_counts() -> None:
    assert usage_of(3, 4) == usage(3, 4)
    assert usage_of(None, 4) == {"completion_tokens": 4}
    assert usage_of(3, 4, 10) == {
        "prompt_tokens": 3,
        "completion_tokens": 4,
        "total_tokens": 10,
    }
    assert usage_of(None, None) is None
    assert usage_of(True, "4", -1) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"error": "boom", "error_type": "generation"}, "boom"),
        ({"error": {"message": "bad", "code": 400}}, "bad"),
        ({"error": {"error_msg": "oom"}}, "oom"),
        ({"object": "error", "message": "old vllm"}, "old vllm"),
        (
            {"code": 400, "type": "InternalServerException", "message": "'gptj'"},
            "'gptj'",
        ),
        ({"code": 424, "message": "prediction failure", "error": "no eula"}, "no eula"),
        ({"code": 200, "message": "ok", "generated_text": "x"}, None),
        ({"error": None, "generated_text": "x"}, None),
        ([{"generated_text": "x"}], None),
    ],
)
def test_error_message(data: Any, message: str | None) -> None:
    assert error_message(data) == message


def test_model_error_carries_the_container_message_and_status() -> None:
    error = model_error("lmi", "CUDA out of memory", 400)
    assert isinstance(error, ModelError)
    assert error.original_status_code == 400
    assert error.original_message == "CUDA out of memory"
    assert "lmi: CUDA out of memory" in str(error)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b'data:{"a":1}', (b'{"a":1}', True)),
        (b'data: {"a":1}', (b'{"a":1}', True)),
        (b"data:[DONE]", (b"[DONE]", True)),
        (b"data: ", (None, True)),
        (b"data", (None, True)),
        (b":", (None, True)),
        (b": keep-alive", (None, True)),
        (b"event: message", (None, True)),
        (b"id: 7", (None, True)),
        (b"retry: 10", (None, True)),
        (b'{"token": {"text": "a"}}', (b'{"token": {"text": "a"}}', False)),
        (b"[DONE]", (b"[DONE]", False)),
    ],
)
def test_sse_line(line: bytes, expected: tuple[bytes | None, bool]) -> None:
    assert sse_line(line) == expected


def test_wrong_shape_lists_the_handlers_that_read_it() -> None:
    error = wrong_shape("openai", [{"generated_text": "x"}], "no choices")
    assert_names(error, "openai", "tgi", "lmi", "hf-toolkit")
    assert error.candidates[0] == "tgi"


def test_wrong_shape_for_a_whole_response_in_a_stream() -> None:
    error = wrong_shape("lmi", [{"generated_text": "x"}], "no token", stream=True)
    assert "did not stream" in str(error)
    assert "tgi" in error.candidates
    assert "lmi" not in error.candidates


def test_unreadable_error_body_is_a_model_error() -> None:
    from langchain_sagemaker.handlers._common import unreadable

    error = unreadable("hf-toolkit", {"code": 400, "message": "bad"}, "why")
    assert isinstance(error, ModelError)
    assert error.original_status_code == 400
    error = unreadable("hf-toolkit", {"foo": 1}, "why")
    assert isinstance(error, ResponseParseError)


def test_wrong_shape_without_candidates() -> None:
    error = wrong_shape("openai", {"foo": 1}, "no choices")
    assert error.candidates == ()
    assert "LLMContentHandler" in str(error)


def test_stream_error_is_a_client_error() -> None:
    from botocore.exceptions import ClientError

    from langchain_sagemaker.handlers._common import stream_error

    error = stream_error("lmi", "oom")
    assert isinstance(error, StreamError)
    assert isinstance(error, ClientError)
    assert error.code == "ModelStreamError"


# --------------------------------------------------------------------------
# shape detection over every fixture


def _parsed(path: str) -> Any:
    return json.loads(fixture(path))


@pytest.mark.parametrize(
    ("path", "readers"),
    [
        ("tgi-messages/response.json", ("openai-chat", "tgi-messages")),
        ("openai-chat/response.json", ("openai-chat", "tgi-messages")),
        ("openai/response.json", ("openai",)),
        (
            "tgi/response.json",
            ("tgi", "lmi", "hf-toolkit", "jumpstart-falcon", "jumpstart-mistral"),
        ),
        ("lmi/response.json", ("lmi",)),
        (
            "lmi/response_tgi_compat.json",
            ("tgi", "lmi", "hf-toolkit", "jumpstart-falcon", "jumpstart-mistral"),
        ),
        (
            "hf-toolkit/response.json",
            ("tgi", "lmi", "hf-toolkit", "jumpstart-falcon", "jumpstart-mistral"),
        ),
        ("jumpstart-llama/response.json", ("jumpstart-llama",)),
        ("jumpstart-llama/response_chat.json", ("jumpstart-llama",)),
        ("jumpstart-flan-t5/response.json", ("jumpstart-flan-t5",)),
        ("lmi/response_error.json", ()),
    ],
)
def test_response_readers(path: str, readers: tuple[str, ...]) -> None:
    assert response_readers(_parsed(path)) == readers


@pytest.mark.parametrize(
    ("path", "sse", "readers"),
    [
        (
            "tgi/stream.txt",
            True,
            ("tgi", "lmi", "jumpstart-falcon", "jumpstart-mistral"),
        ),
        ("lmi/stream.jsonl", False, ("lmi",)),
        ("openai-chat/stream.txt", True, ("openai-chat", "tgi-messages")),
        ("openai-chat/stream_lmi_rolling.jsonl", False, ("openai-chat",)),
        ("openai/stream.txt", True, ("openai",)),
        ("tgi-messages/stream.txt", True, ("openai-chat", "tgi-messages")),
    ],
)
def test_event_readers_of_the_first_event(
    path: str, sse: bool, readers: tuple[str, ...]
) -> None:
    line = fixture(path).split(b"\n", 1)[0]
    payload, is_sse = sse_line(line)
    assert is_sse is sse
    assert payload is not None
    assert event_readers(json.loads(payload), sse=sse) == readers


def test_event_readers_of_a_usage_only_chunk() -> None:
    chunk = {"choices": [], "usage": {"prompt_tokens": 1}}
    assert event_readers(chunk, sse=False) == ("openai-chat", "openai")
    assert event_readers({"choices": []}, sse=False) == ()
    assert event_readers([1], sse=True) == ()


@pytest.mark.parametrize(
    ("data", "names"),
    [
        ({"choices": "x"}, ("openai-chat", "openai")),
        ([{"generated_text": 5}], ("tgi", "lmi", "hf-toolkit")),
        ({"outputs": ["a"]}, ("lmi",)),
        ({"generation": 1}, ("jumpstart-llama",)),
        ({"generated_texts": "x"}, ("jumpstart-flan-t5",)),
        ({"predictions": []}, ()),
        ("text", ()),
    ],
)
def test_hints(data: Any, names: tuple[str, ...]) -> None:
    assert hints(data) == names


def test_tgi_last_event_repeated_text_is_not_materialised() -> None:
    from langchain_sagemaker.handlers.tgi import TGIHandler, _drop_generated_text

    answer = 'say \\"hi\\" \\\\ ' * 2000
    event = (
        '{"index":3,"token":{"id":2,"text":"!","logprob":-0.1,"special":false},'
        f'"generated_text":"{answer}","details":{{"finish_reason":"length",'
        '"generated_tokens":3,"seed":null,"input_length":4}}'
    ).encode()
    assert _drop_generated_text(event).count(b"say") == 0
    delta = TGIHandler().parse_event(event)
    assert delta is not None and delta.done and delta.text == "!"
    assert delta.usage == {
        "prompt_tokens": 4,
        "completion_tokens": 3,
        "total_tokens": 7,
    }
