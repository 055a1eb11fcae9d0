"""Shared pieces of the container dialects (in-process)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest

from langchain_sagemaker.local.common import (
    Step,
    StopRule,
    Token,
    count_tokens,
    decode,
    gson_json,
    python_indent_json,
    python_json,
    sse_event,
    synth_token,
)
from langchain_sagemaker.local.container import ContainerRequest, get_container
from langchain_sagemaker.local.tgi import _token

EOS = synth_token("", special=True, token_id=2)


async def tokens(
    texts: list[str], eos: bool = True
) -> AsyncIterator[tuple[Token, bool]]:
    for text in texts:
        yield synth_token(text), False
    if eos:
        yield EOS, True


async def run(texts: list[str], **options: object) -> list[Step]:
    return [step async for step in decode(tokens(texts), **options)]  # type: ignore[arg-type]


WORDS = ["Hello", " world", ".", " Bye", "!"]


def test_synth_token_is_deterministic_and_matches_tgi() -> None:
    token = synth_token(" world")
    assert token == synth_token(" world")
    assert _token(" world") == {
        "id": token.id,
        "text": " world",
        "logprob": token.logprob,
        "special": False,
    }
    assert token.logprob <= 0 and 3 <= token.id < 32000
    assert count_tokens("Hello, world!") == 4


async def test_budget_and_eos() -> None:
    steps = await run(WORDS, max_tokens=None)
    assert [s.finish for s in steps] == [None] * 5 + ["eos"]
    assert steps[-1].output == "Hello world. Bye!" and steps[-1].count == 6
    steps = await run(WORDS, max_tokens=6)
    assert steps[-1].finish == "length"  # the budget is checked before EOS
    steps = await run(WORDS, max_tokens=2)
    assert (steps[-1].finish, steps[-1].output) == ("length", "Hello world")


@pytest.mark.parametrize(
    ("rule", "stops", "output", "stop"),
    [
        (StopRule.SUFFIX, ["."], "Hello world.", "."),
        (StopRule.SUFFIX, ["llo wor"], "Hello world. Bye!", None),  # never a suffix
        (StopRule.TRUNCATE, ["."], "Hello world", "."),
        (StopRule.TRUNCATE, ["llo wor"], "He", "llo wor"),
        (StopRule.TRUNCATE, ["Bye", "."], "Hello world", "."),
        (StopRule.DETECT, ["wor"], "Hello world", "wor"),  # whole token kept
    ],
)
async def test_stop_rules(
    rule: StopRule, stops: list[str], output: str, stop: str | None
) -> None:
    steps = await run(WORDS, max_tokens=None, stops=stops, rule=rule)
    assert steps[-1].output == output
    assert steps[-1].stop == stop


async def test_truncate_can_keep_the_stop_and_override_length() -> None:
    steps = await run(WORDS, max_tokens=3, stops=["."], rule=StopRule.TRUNCATE)
    assert (steps[-1].finish, steps[-1].output) == ("stop", "Hello world")
    steps = await run(
        WORDS, max_tokens=None, stops=["."], rule=StopRule.TRUNCATE, include_stop=True
    )
    assert steps[-1].output == "Hello world."


async def test_stop_tokens_end_like_eos_and_stay() -> None:
    steps = await run(WORDS, max_tokens=None, stop_tokens=["."])
    assert (steps[-1].finish, steps[-1].output) == ("eos", "Hello world.")


def test_serializers() -> None:
    value = {"a": [1, None], "b": "é'<"}
    assert python_json(value) == b'{"a": [1, null], "b": "\xc3\xa9\'<"}'
    assert python_indent_json({"a": 1}) == b'{\n  "a":1\n}'
    assert gson_json(value) == b'{"a":[1,null],"b":"\xc3\xa9\\u0027\\u003c"}'
    assert gson_json({"code": 400, "m": "x=\n"}, pretty=True) == (
        b'{\n  "code": 400,\n  "m": "x\\u003d\\n"\n}'
    )
    assert json.loads(gson_json(value)) == value
    assert sse_event(b"data: ", b"{}") == b"data: {}\n\n"


class Words:
    name = "words"

    def generate(self, prompt: str) -> Iterator[str]:
        yield from WORDS


@pytest.mark.parametrize("dialect", ["openai", "lmi"])
async def test_break_stream_after(dialect: str) -> None:
    container = get_container(dialect, Words(), break_stream_after=2)
    body = (
        {"prompt": "x", "stream": True}
        if dialect == "openai"
        else {"inputs": "x", "stream": True}
    )
    response = await container.invoke(
        ContainerRequest(
            body=json.dumps(body).encode(), content_type="application/json"
        )
    )
    got = []
    with pytest.raises(ConnectionResetError):
        async for chunk in response.chunks():
            got.append(chunk)
    assert len(got) == 2
