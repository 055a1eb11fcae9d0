"""SagemakerEndpointEmbeddings: the classic contract, built-ins, batching, validation."""

from __future__ import annotations

import io
import json
import threading
from typing import Any
from unittest.mock import MagicMock

import pytest

from langchain_sagemaker import (
    EmbeddingsContentHandler,
    SagemakerEndpointEmbeddings,
    get_embedding_handler,
    list_embedding_handlers,
)
from langchain_sagemaker.errors import ModelError, ResponseParseError


class ClassicHandler(EmbeddingsContentHandler):
    content_type = "application/json"
    accepts = "application/json"

    def transform_input(self, inputs: list[str], model_kwargs: dict[str, Any]) -> bytes:
        return json.dumps({"inputs": inputs, **model_kwargs}).encode()

    def transform_output(self, output: Any) -> list[list[float]]:
        return json.loads(output.read().decode())["vectors"]


def _vec(text: str) -> list[float]:
    return [float(len(text)), float(sum(map(ord, text)) % 97), 1.0]


class FakeEndpoint:
    """A mock client answering each batch, recording calls (thread-safe)."""

    def __init__(self, shape: str = "classic") -> None:
        self.calls: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.shape = shape

    def invoke_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            self.calls.append(kwargs)
        body = json.loads(kwargs["Body"])
        texts = body.get("inputs") or body.get("text_inputs") or body.get("input")
        vectors = [_vec(t) for t in texts]
        if self.shape == "classic":
            out: Any = {"vectors": vectors}
        elif self.shape == "tei":
            out = vectors
        elif self.shape == "jumpstart":
            out = {"embedding": vectors}
        elif self.shape == "openai":
            out = {
                "data": [
                    {"index": i, "embedding": v}
                    for i, v in reversed(list(enumerate(vectors)))
                ]
            }
        else:  # hf-toolkit token level [n][1][tokens][hidden]
            out = [[[v, [x + 2 for x in v]]] for v in vectors]
        return {"Body": io.BytesIO(json.dumps(out).encode())}


def test_classic_handler_same_calls_as_community() -> None:
    client = FakeEndpoint()
    emb = SagemakerEndpointEmbeddings(
        endpoint_name="ep",
        client=client,
        content_handler=ClassicHandler(),
        model_kwargs={"normalize": True},
        endpoint_kwargs={"CustomAttributes": "a=b"},
    )
    assert emb.embed_documents(["one\ntwo", "three"]) == [
        _vec("one two"),
        _vec("three"),
    ]
    assert client.calls == [
        {
            "EndpointName": "ep",
            "Body": json.dumps(
                {"inputs": ["one two", "three"], "normalize": True}
            ).encode(),
            "ContentType": "application/json",
            "Accept": "application/json",
            "CustomAttributes": "a=b",
        }
    ]
    assert emb.embed_query("hello") == _vec("hello")


def test_empty_input_makes_no_call() -> None:
    client = FakeEndpoint()
    emb = SagemakerEndpointEmbeddings(endpoint_name="ep", client=client)
    assert emb.embed_documents([]) == []
    assert client.calls == []


def test_batches_keep_order_and_size() -> None:
    client = FakeEndpoint("tei")
    emb = SagemakerEndpointEmbeddings(endpoint_name="ep", client=client, batch_size=4)
    texts = [f"text number {i}" * (i % 3 + 1) for i in range(23)]
    assert emb.embed_documents(texts) == [_vec(t) for t in texts]
    assert (
        sorted(len(json.loads(c["Body"])["inputs"]) for c in client.calls)
        == [3] + [4] * 5
    )
    assert emb.embed_documents(texts, chunk_size=10) == [_vec(t) for t in texts]


@pytest.mark.parametrize("name", ["tei", "jumpstart", "openai", "hf-toolkit"])
def test_builtin_handlers(name: str) -> None:
    client = FakeEndpoint(name)
    emb = SagemakerEndpointEmbeddings(
        endpoint_name="ep", client=client, content_handler=name
    )
    texts = ["alpha", "beta gamma"]
    got = emb.embed_documents(texts)
    if name == "hf-toolkit":  # mean of the two token vectors
        assert got == [[x + 1 for x in _vec(t)] for t in texts]
    else:
        assert got == [_vec(t) for t in texts]


def test_hf_toolkit_cls_pooling() -> None:
    emb = SagemakerEndpointEmbeddings(
        endpoint_name="ep",
        client=FakeEndpoint("hf-toolkit"),
        content_handler=get_embedding_handler("hf-toolkit", pooling="cls"),
    )
    assert emb.embed_documents(["x"]) == [_vec("x")]


def test_registry_lists_builtins() -> None:
    assert {"tei", "hf-toolkit", "jumpstart", "openai"} <= set(
        list_embedding_handlers()
    )
    with pytest.raises(ValueError, match="tei"):
        SagemakerEndpointEmbeddings(
            endpoint_name="ep", client=MagicMock(), content_handler="nope"
        )


def _answering(payload: Any) -> MagicMock:
    client = MagicMock()
    client.invoke_endpoint.side_effect = lambda **_: {
        "Body": io.BytesIO(json.dumps(payload).encode())
    }
    return client


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ([[1.0, 2.0]], "1 embeddings for 2 texts"),
        ([[1.0, 2.0], [1.0]], "dimensions"),
        ([[1.0, "x"], [1.0, 2.0]], "not a number"),
        ([[1.0, float("nan")], [1.0, 2.0]], "NaN"),
        ({"error": "bad"}, "expected a JSON list"),
        ([[1.0], []], "not a list of numbers"),
    ],
    ids=["count", "dims", "type", "nan", "shape", "empty-vector"],
)
def test_bad_responses_are_clear_errors(payload: Any, match: str) -> None:
    emb = SagemakerEndpointEmbeddings(endpoint_name="ep", client=_answering(payload))
    with pytest.raises(ResponseParseError, match=match):
        emb.embed_documents(["a", "b"])


def test_model_error_is_typed() -> None:
    from botocore.exceptions import ClientError

    client = MagicMock()
    client.invoke_endpoint.side_effect = ClientError(
        {"Error": {"Code": "ModelError", "Message": "422"}, "OriginalStatusCode": 422},  # type: ignore[typeddict-unknown-key]
        "InvokeEndpoint",
    )
    emb = SagemakerEndpointEmbeddings(endpoint_name="ep", client=client)
    with pytest.raises(ModelError):
        emb.embed_query("x")


def test_string_instead_of_list_is_rejected() -> None:
    emb = SagemakerEndpointEmbeddings(endpoint_name="ep", client=FakeEndpoint("tei"))
    with pytest.raises(TypeError, match="embed_query"):
        emb.embed_documents("just a string")  # type: ignore[arg-type]


async def test_async_with_injected_client_uses_threads() -> None:
    client = FakeEndpoint("tei")
    emb = SagemakerEndpointEmbeddings(endpoint_name="ep", client=client, batch_size=2)
    texts = ["a", "bb", "ccc"]
    assert await emb.aembed_documents(texts) == [_vec(t) for t in texts]
    assert await emb.aembed_query("q") == _vec("q")
