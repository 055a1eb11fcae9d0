"""Cross-check: the handlers read the local container dialects' golden fixtures.

``tests/fixtures/containers/`` is written independently, for the local
endpoint's container dialects, from the containers' own docs and source (see
its README and each ``SOURCE.md``). Reading those bytes here checks one
reading of each format against the other. Files that are not present are
skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from langchain_sagemaker import get_handler
from langchain_sagemaker.errors import ModelError
from tests.unit_tests.test_handlers_common import (
    expected_info,
    run_body,
    run_stream,
    usage,
)

CONTAINERS = Path(__file__).resolve().parents[1] / "fixtures" / "containers"


def container_fixture(path: str) -> bytes:
    file = CONTAINERS / path
    if not file.is_file():
        pytest.skip(f"no container fixture {path}")
    return file.read_bytes()


@pytest.mark.parametrize(
    ("names", "path", "text", "finish", "token_usage"),
    [
        (("openai", "auto"), "openai/completion.json", " Paris", "stop", usage(5, 2)),
        (
            ("openai-chat", "auto"),
            "openai/chat_completion.json",
            "The capital of France is Paris.",
            "stop",
            usage(42, 8),
        ),
        (
            ("hf-toolkit", "lmi", "auto"),
            "hf-toolkit/response.json",
            "My name is philipp and I am",
            None,
            None,
        ),
    ],
)
def test_reads_container_responses(
    names: tuple[str, ...],
    path: str,
    text: str,
    finish: str | None,
    token_usage: dict[str, int] | None,
) -> None:
    body = container_fixture(path)
    for name in names:
        assert run_body(get_handler(name), body) == (
            text,
            expected_info(finish, token_usage),
        )


@pytest.mark.parametrize(
    ("names", "path", "text", "finish", "token_usage"),
    [
        (
            ("openai", "auto"),
            "openai/completion_stream.sse",
            " Paris",
            "stop",
            usage(5, 2),
        ),
        (
            ("openai-chat", "auto"),
            "openai/chat_stream.sse",
            "Paris",
            "stop",
            usage(42, 2),
        ),
    ],
)
def test_reads_container_streams(
    names: tuple[str, ...],
    path: str,
    text: str,
    finish: str,
    token_usage: dict[str, int],
) -> None:
    data = container_fixture(path)
    for name in names:
        for parts in ([data], [bytes([b]) for b in data]):
            assert run_stream(get_handler(name), parts) == (
                text,
                expected_info(finish, token_usage),
            )


def test_reads_the_documented_lmi_stream_lines() -> None:
    lines = container_fixture("lmi/stream_doc_lines.jsonl")
    last = container_fixture("lmi/stream_last_line.doc.txt")
    # the document pretty-prints the last line; the container writes one line
    data = lines.rstrip(b"\n") + b"\n" + b" ".join(last.split()) + b"\n"
    text, info = run_stream(get_handler("lmi"), [data])
    assert text == "Deep  Learning is field."
    assert info == {
        "finish_reason": "length",
        "token_usage": {"completion_tokens": 100},
    }


@pytest.mark.parametrize(
    ("name", "path", "message", "status"),
    [
        ("openai", "openai/error_no_handler.json", "Cannot find suitable handler", 400),
        ("lmi", "lmi/error_parse.json", "Input Parsing failed", 424),
        ("auto", "lmi/error_parse.json", "Input Parsing failed", 424),
        ("hf-toolkit", "hf-toolkit/error_400.json", "gptj", 400),
        ("jumpstart-llama", "jumpstart-llama/error_eula.json", "accept_eula=true", 424),
        ("jumpstart-llama", "jumpstart-llama/error_inputs.json", "'inputs' key", 424),
    ],
)
def test_container_error_bodies_are_model_errors(
    name: str, path: str, message: str, status: int
) -> None:
    with pytest.raises(ModelError, match=message) as info:
        run_body(get_handler(name), container_fixture(path))
    assert info.value.original_status_code == status
