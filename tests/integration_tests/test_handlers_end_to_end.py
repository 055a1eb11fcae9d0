"""Every built-in handler against its container, through real boto3 over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from langchain_sagemaker import SagemakerEndpoint
from langchain_sagemaker.errors import ConfigurationError, SagemakerEndpointError
from langchain_sagemaker.local import LocalEndpoint

PROMPT = "one two three four five six"

# handler -> (container, streams, reports usage, reports finish reason)
PAIRS: dict[str, tuple[str, bool, bool, bool]] = {
    "tgi": ("tgi", True, True, True),
    "tgi-messages": ("tgi-messages", True, True, True),
    "openai": ("openai", True, True, True),
    "openai-chat": ("openai", True, True, True),
    "lmi": ("lmi", True, True, True),
    "hf-toolkit": ("hf-toolkit", False, False, False),
    "jumpstart-llama": ("jumpstart-llama", False, False, False),
    "jumpstart-flan-t5": ("jumpstart-flan-t5", False, False, False),
    "jumpstart-mistral": ("jumpstart-mistral", True, True, True),
    "jumpstart-falcon": ("jumpstart-falcon", True, True, True),
}
# TGI lists every generated token in a whole response's details, so the TGI
# handlers ask for details on a whole response only when the user does.
DETAILS_WHEN_ASKED = {"tgi", "jumpstart-mistral", "jumpstart-falcon"}


@pytest.fixture(scope="module")
def dialects() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(endpoint_name="tgi", container="tgi", model="echo") as ep:
        for container in {c for c, *_ in PAIRS.values()} - {"tgi"}:
            ep.add_endpoint(container, container=container, model="echo")
        yield ep


def _llm(ep: LocalEndpoint, handler: str, **kwargs: Any) -> SagemakerEndpoint:
    container = PAIRS[handler][0] if handler in PAIRS else handler
    return SagemakerEndpoint(
        endpoint_name=container,
        client=ep.client(),
        content_handler=handler,
        accept_eula=container == "jumpstart-llama",
        model_kwargs={"temperature": 0.5} if container == "jumpstart-llama" else None,
        **kwargs,
    )


def _check_info(handler: str, result: Any) -> None:
    _, _, usage, finish = PAIRS[handler]
    gen = result.generations[0][0]
    assert gen.text.strip() == PROMPT
    info = gen.generation_info or {}
    if finish:
        assert info.get("finish_reason")
    if usage:
        assert info["token_usage"]["completion_tokens"] >= 6
        assert result.llm_output is not None
    else:
        assert "token_usage" not in info  # never invented


@pytest.mark.parametrize("handler", sorted(PAIRS))
def test_invoke(dialects: LocalEndpoint, handler: str) -> None:
    model_kwargs = {"details": True} if handler in DETAILS_WHEN_ASKED else None
    llm = _llm(dialects, handler)
    if model_kwargs:
        llm = llm.model_copy(update={"model_kwargs": model_kwargs})
    _check_info(handler, llm.generate([PROMPT]))


@pytest.mark.parametrize("handler", sorted(DETAILS_WHEN_ASKED))
def test_invoke_without_details_reports_nothing_invented(
    dialects: LocalEndpoint, handler: str
) -> None:
    gen = _llm(dialects, handler).generate([PROMPT]).generations[0][0]
    assert gen.text.strip() == PROMPT
    assert gen.generation_info is None


@pytest.mark.parametrize("handler", sorted(h for h, p in PAIRS.items() if p[1]))
def test_streamed_generation_reports_usage(
    dialects: LocalEndpoint, handler: str
) -> None:
    llm = _llm(dialects, handler).model_copy(update={"streaming": True})
    _check_info(handler, llm.generate([PROMPT]))


@pytest.mark.parametrize("handler", sorted(h for h, p in PAIRS.items() if p[1]))
def test_stream(dialects: LocalEndpoint, handler: str) -> None:
    pieces = list(_llm(dialects, handler).stream(PROMPT))
    assert "".join(pieces).strip() == PROMPT
    assert len([p for p in pieces if p]) >= 6  # token by token


@pytest.mark.parametrize("handler", sorted(h for h, p in PAIRS.items() if not p[1]))
def test_non_streaming_containers_say_so(dialects: LocalEndpoint, handler: str) -> None:
    with pytest.raises((ConfigurationError, SagemakerEndpointError)) as caught:
        list(_llm(dialects, handler).stream(PROMPT))
    assert "stream" in str(caught.value).lower()


@pytest.mark.parametrize("handler", sorted(PAIRS))
def test_stop_sequences(dialects: LocalEndpoint, handler: str) -> None:
    llm = _llm(dialects, handler)
    assert llm.invoke(PROMPT, stop=["four"]).strip() == "one two three"
    if PAIRS[handler][1]:
        assert "".join(llm.stream(PROMPT, stop=["four"])).strip() == "one two three"


# auto sends the common {"inputs", "parameters"} body; OpenAI-compatible
# servers (vLLM) reject it, so those need content_handler="openai" by name.
@pytest.mark.parametrize("container", ["tgi", "lmi", "hf-toolkit", "tgi-messages"])
def test_auto_detects_the_dialect(dialects: LocalEndpoint, container: str) -> None:
    llm = SagemakerEndpoint(
        endpoint_name=container, client=dialects.client(), content_handler="auto"
    )
    assert llm.invoke(PROMPT).strip() == PROMPT


@pytest.mark.parametrize(
    ("handler", "container"),
    [
        ("openai", "tgi"),
        ("openai-chat", "jumpstart-flan-t5"),
        ("lmi", "openai"),
        ("jumpstart-flan-t5", "tgi"),
        ("auto", "openai"),
    ],
)
def test_wrong_handler_fails_with_advice(
    dialects: LocalEndpoint, handler: str, container: str
) -> None:
    llm = SagemakerEndpoint(
        endpoint_name=container, client=dialects.client(), content_handler=handler
    )
    with pytest.raises(SagemakerEndpointError) as caught:
        llm.invoke(PROMPT)
    text = str(caught.value)
    assert "handler" in text.lower() or "What to do" in text


@pytest.fixture(scope="module")
def split_dialects() -> Iterator[LocalEndpoint]:
    """The same containers, their streams re-split at random byte positions."""
    with LocalEndpoint(
        endpoint_name="tgi", container="tgi", model="echo", stream_split_seed=7
    ) as ep:
        for container in {c for c, streams, *_ in PAIRS.values() if streams} - {"tgi"}:
            ep.add_endpoint(container, container=container, model="echo")
        yield ep


UNICODE = "naïve café 東京 🚀 e\u0301 Ελλάδα done"


@pytest.mark.parametrize("handler", sorted(h for h, p in PAIRS.items() if p[1]))
def test_stream_split_at_random_positions(
    split_dialects: LocalEndpoint, handler: str
) -> None:
    llm = _llm(split_dialects, handler)
    for prompt in (PROMPT, UNICODE):
        assert "".join(llm.stream(prompt)).strip() == prompt
        assert llm.invoke(prompt).strip() == prompt
