"""The module-level helpers user code imports next to ``SagemakerEndpoint``."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from langchain_sagemaker.llms import LineIterator, enforce_stop_tokens

STREAM = (
    b'data:{"token":{"text":" a"}}\n\n'
    b'data:{"token":{"text":" b"}}\r\n\r\n'
    b'{"outputs": [" problem"]}\n'
    b"\n"
    b'{"outputs": ["\xe2\x82\xac"]}\n'
)


def _events(data: bytes, cuts: list[int]) -> list[dict[str, Any]]:
    bounds = [0, *sorted(cuts), len(data)]
    parts = [data[a:b] for a, b in itertools.pairwise(bounds)]
    return [{"PayloadPart": {"Bytes": part}} for part in parts]


def test_lines_whatever_the_split() -> None:
    expected = STREAM.split(b"\n")[:-1]
    rng = random.Random(3)
    for _ in range(300):
        cuts = rng.sample(range(1, len(STREAM)), rng.randint(0, 12))
        assert list(LineIterator(_events(STREAM, cuts))) == expected


def test_one_byte_per_event_and_other_events_skipped() -> None:
    events: list[dict[str, Any]] = []
    for i in range(len(STREAM)):
        events.append({"PayloadPart": {"Bytes": STREAM[i : i + 1]}})
        events.append({"SomethingElse": {}})
    assert list(LineIterator(events)) == STREAM.split(b"\n")[:-1]


def test_a_last_line_without_newline_is_yielded_not_a_hang() -> None:
    events = _events(b'{"a": 1}\n{"b": 2}', [3, 12])
    assert list(LineIterator(events)) == [b'{"a": 1}', b'{"b": 2}']
    assert list(LineIterator([])) == []


def test_same_lines_as_langchain_aws() -> None:
    aws = pytest.importorskip("langchain_aws.llms.sagemaker_endpoint")
    rng = random.Random(5)
    for _ in range(50):
        cuts = rng.sample(range(1, len(STREAM)), rng.randint(0, 8))
        ours = list(LineIterator(_events(STREAM, cuts)))
        assert ours == list(aws.LineIterator(_events(STREAM, cuts)))


@pytest.mark.parametrize(
    ("text", "stop", "expected"),
    [
        ("Here is <content> for you.", ["<|eot_id|>"], "Here is <content> for you."),
        ("Hello AI) world", ["AI)"], "Hello "),
        ("Hello<|eot_id|>World", ["<|eot_id|>"], "Hello"),
        ("a.b*c", [".*", "*"], "a.b"),
        ("one\nHuman: two", ["\nHuman:", "two"], "one"),
        ("no stop here", [], "no stop here"),
    ],
)
def test_enforce_stop_tokens_is_literal(
    text: str, stop: list[str], expected: str
) -> None:
    assert enforce_stop_tokens(text, stop) == expected
