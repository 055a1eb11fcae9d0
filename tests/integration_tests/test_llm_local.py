"""SagemakerEndpoint through real boto3 / aiobotocore over HTTP to the local endpoint."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from botocore.exceptions import ClientError

from langchain_sagemaker.errors import (
    EndpointNotFoundError,
    IncompleteStreamError,
    ModelError,
    SagemakerEndpointError,
    StreamError,
)
from langchain_sagemaker.local import LocalEndpoint

QA = (
    "Context: The museum in Bergen opened in 1825 and holds 3,000 paintings.\n"
    "Question: When did the museum open?\nAnswer:"
)


def test_invoke_reader_answers(make_llm: Any) -> None:
    assert "1825" in make_llm("reader").invoke(QA)


def test_invoke_and_stream_return_the_same_text(make_llm: Any) -> None:
    llm = make_llm("echo")
    prompt = "Grüße aus 東京 🚀 with a, b and c."
    whole = llm.invoke(prompt)
    pieces = list(llm.stream(prompt))
    assert whole == prompt
    assert "".join(pieces) == prompt
    assert len([p for p in pieces if p]) > 5  # really streamed, token by token


@pytest.mark.parametrize("stop", [["."], ["("], ["b and"], ["東京", "a,"]])
def test_stop_sequences_literal_invoke_and_stream(
    make_llm: Any, stop: list[str]
) -> None:
    llm = make_llm("echo")
    prompt = "x (y) with a, b and c. 東京 more"
    cut = min(prompt.find(s) for s in stop if s in prompt)
    assert llm.invoke(prompt, stop=stop) == prompt[:cut]
    assert "".join(llm.stream(prompt, stop=stop)) == prompt[:cut]


@pytest.mark.parametrize(
    ("streaming", "model_kwargs"),
    [(False, {"details": True}), (True, None)],  # TGI details: asked / streams
)
def test_usage_and_finish_reason_reported(
    make_llm: Any, streaming: bool, model_kwargs: dict[str, Any] | None
) -> None:
    llm = make_llm("echo", model_kwargs=model_kwargs, streaming=streaming)
    result = llm.generate(["one two three"])
    info = result.generations[0][0].generation_info
    assert info is not None and info["finish_reason"] == "eos_token"
    assert info["token_usage"]["completion_tokens"] >= 3
    assert result.llm_output == {"token_usage": info["token_usage"]}


def test_max_tokens_is_mapped(make_llm: Any, endpoint: LocalEndpoint) -> None:
    llm = make_llm("echo", model_kwargs={"max_tokens": 2, "details": True})
    result = llm.generate(["one two three four"])
    gen = result.generations[0][0]
    assert gen.text == "one two"
    assert gen.generation_info is not None
    assert gen.generation_info["finish_reason"] == "length"


def test_unknown_endpoint_is_typed_and_a_client_error(make_llm: Any) -> None:
    llm = make_llm("nope")
    with pytest.raises(EndpointNotFoundError) as caught:
        llm.invoke("x")
    assert isinstance(caught.value, ClientError)
    assert caught.value.response["Error"]["Code"] == "ValidationError"


def test_container_rejection_is_model_error(make_llm: Any) -> None:
    llm = make_llm("echo", model_kwargs={"top_k": -5})
    with pytest.raises(ModelError) as caught:
        llm.invoke("x")
    assert caught.value.original_status_code == 422
    assert caught.value.log_stream_arn and "echo" in caught.value.log_stream_arn


def test_mid_stream_failure_keeps_partial_text(make_llm: Any) -> None:
    llm = make_llm("broken")
    got: list[str] = []
    with pytest.raises(SagemakerEndpointError) as caught:
        for piece in llm.stream("alpha beta gamma delta epsilon"):
            got.append(piece)
    assert isinstance(caught.value, (StreamError, IncompleteStreamError))
    assert caught.value.partial_text == "".join(got)
    assert caught.value.partial_text.startswith("alpha beta")


def test_legacy_handler_through_real_boto3(endpoint: LocalEndpoint) -> None:
    import json

    from langchain_sagemaker import LLMContentHandler, SagemakerEndpoint

    class Seed(LLMContentHandler):
        content_type = "application/json"
        accepts = "application/json"

        def transform_input(self, prompt: str, model_kwargs: dict[str, Any]) -> bytes:
            return json.dumps({"inputs": prompt, "parameters": model_kwargs}).encode()

        def transform_output(self, output: Any) -> str:
            return str(json.loads(output.read().decode())[0]["generated_text"])

    llm = SagemakerEndpoint(
        endpoint_name="echo",
        client=endpoint.client(),
        content_handler=Seed(),
        model_kwargs={"return_full_text": False},
    )
    assert llm.invoke("hello there") == "hello there"
    # Streaming through the response-stream API with the same handler: the
    # container answers with the whole JSON, read as one line.
    assert "".join(llm.stream("hello there")) == "hello there"


def test_batch_is_concurrent_and_ordered(
    make_llm: Any, endpoint: LocalEndpoint
) -> None:
    llm = make_llm("slow")
    prompts = [f"prompt {i}" for i in range(16)]
    endpoint.requests.clear()
    out = llm.batch(prompts)
    assert out == prompts
    assert endpoint.requests.max_in_flight >= 8  # not serial


def test_batch_respects_max_concurrency(make_llm: Any, endpoint: LocalEndpoint) -> None:
    llm = make_llm("slow")
    endpoint.requests.clear()
    out = llm.batch([f"p{i}" for i in range(8)], config={"max_concurrency": 2})
    assert out == [f"p{i}" for i in range(8)]
    assert endpoint.requests.max_in_flight <= 2


def test_batch_return_exceptions_keeps_other_results(make_llm: Any) -> None:
    llm = make_llm("echo")
    out = llm.batch(["fine", "also fine"], return_exceptions=True)
    assert out == ["fine", "also fine"]
    bad = make_llm("nope")
    results = bad.batch(["a", "b"], return_exceptions=True)
    assert all(isinstance(r, EndpointNotFoundError) for r in results)


async def test_native_async_invoke_stream_batch(
    make_llm: Any, endpoint: LocalEndpoint
) -> None:
    llm = make_llm("slow")
    assert llm._native_async() is not None  # aiobotocore, not threads
    assert await llm.ainvoke("async hello") == "async hello"
    pieces = [p async for p in llm.astream("streamed async text", stop=["async"])]
    assert "".join(pieces) == "streamed "
    endpoint.requests.clear()
    prompts = [f"a{i}" for i in range(20)]
    out = await llm.abatch(prompts)
    assert out == prompts
    assert endpoint.requests.max_in_flight >= 10


async def test_async_errors_are_typed(make_llm: Any) -> None:
    with pytest.raises(EndpointNotFoundError):
        await make_llm("nope").ainvoke("x")
    with pytest.raises(SagemakerEndpointError) as caught:
        async for _ in make_llm("broken").astream("one two three four five six"):
            pass
    assert caught.value.partial_text.startswith("one two")


async def test_injected_client_runs_async_in_threads(endpoint: LocalEndpoint) -> None:
    from langchain_sagemaker import SagemakerEndpoint

    llm = SagemakerEndpoint(endpoint_name="echo", client=endpoint.client())
    assert llm._native_async() is None
    results = await asyncio.gather(llm.ainvoke("t1"), llm.ainvoke("t2"))
    assert results == ["t1", "t2"]
