"""Embedding endpoints end to end: boto3 over HTTP to the local embedding dialects."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from langchain_sagemaker.local import LocalEndpoint
from langchain_sagemaker.local.models import MODEL_NAMES
from langchain_sagemaker.local.models.embedder import Embedder

CLI = Path(sys.executable).parent / "langchain-sagemaker"

PARAGRAPHS = [
    "Managed Spot Training can be used with all instances supported in Amazon "
    "SageMaker. Managed Spot Training is supported in all AWS Regions where Amazon "
    "SageMaker is currently available.",
    "Amazon SageMaker stores code in ML storage volumes, secured by security groups "
    "and optionally encrypted at rest.",
    "The museum in Bergen opened in 1825 and holds 3,000 paintings by Norwegian "
    "artists.",
    "Paris is the capital and most populous city of France.",
    "Photosynthesis is the process by which green plants use sunlight to synthesize "
    "nutrients from carbon dioxide and water.",
]
QUESTIONS = [
    ("Which instances can I use with Managed Spot Training?", 0),
    ("How does SageMaker secure my code?", 1),
    ("When did the Bergen museum open?", 2),
    ("What is the capital of France?", 3),
    ("How do plants use sunlight?", 4),
]


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


# Each dialect as a client would speak it: texts -> (content type, body),
# body -> one vector per text.
Codec = tuple[Callable[[list[str]], tuple[str, bytes]], Callable[[Any], list[Any]]]


def _mean(tokens: list[list[float]]) -> list[float]:
    return [sum(column) / len(tokens) for column in zip(*tokens, strict=True)]


CODECS: dict[str, Codec] = {
    "tei": (
        lambda texts: ("application/json", json.dumps({"inputs": texts}).encode()),
        lambda answer: answer,
    ),
    "hf-toolkit-embeddings": (
        lambda texts: ("application/json", json.dumps({"inputs": texts}).encode()),
        lambda answer: [_mean(item[0]) for item in answer],
    ),
    "jumpstart-embeddings": (
        lambda texts: ("application/json", json.dumps({"text_inputs": texts}).encode()),
        lambda answer: answer["embedding"],
    ),
    "openai-embeddings": (
        lambda texts: ("application/json", json.dumps({"input": texts}).encode()),
        lambda answer: [item["embedding"] for item in answer["data"]],
    ),
}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalEndpoint]:
    embedder = Embedder()
    with LocalEndpoint(container="tei", model=embedder, endpoint_name="tei") as served:
        for dialect in CODECS:
            if dialect != "tei":
                served.add_endpoint(dialect, dialect, embedder)
        yield served


@pytest.fixture(scope="module")
def client(endpoint: LocalEndpoint) -> Any:
    return endpoint.client()


def embed(client: Any, dialect: str, texts: list[str]) -> list[list[float]]:
    encode, decode = CODECS[dialect]
    content_type, body = encode(texts)
    response = client.invoke_endpoint(
        EndpointName="tei" if dialect == "tei" else dialect,
        ContentType=content_type,
        Body=body,
    )
    vectors = decode(json.loads(response["Body"].read()))
    assert len(vectors) == len(texts)
    return [list(map(float, vector)) for vector in vectors]


@pytest.mark.parametrize("dialect", list(CODECS))
def test_retrieval_through_each_dialect(client: Any, dialect: str) -> None:
    documents = embed(client, dialect, PARAGRAPHS)
    queries = embed(client, dialect, [question for question, _ in QUESTIONS])
    for (question, expected), query in zip(QUESTIONS, queries, strict=True):
        scores = [cosine(query, document) for document in documents]
        assert scores.index(max(scores)) == expected, (dialect, question, scores)


def test_dialects_give_the_same_directions(client: Any) -> None:
    texts = ["Your dog is so cute.", "I work in New York City."]
    by_dialect = {dialect: embed(client, dialect, texts) for dialect in CODECS}
    reference = by_dialect["tei"]
    for vectors in by_dialect.values():
        for vector, expected in zip(vectors, reference, strict=True):
            assert cosine(vector, expected) == pytest.approx(1.0, abs=1e-6)


def test_concurrent_requests_are_deterministic(endpoint: LocalEndpoint) -> None:
    texts = [f"document number {i} about topic {i % 5}" for i in range(40)]
    local = endpoint.client()

    def one(index: int) -> list[float]:
        return embed(local, "openai-embeddings", [texts[index % len(texts)]])[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        first = list(pool.map(one, range(80)))
    for index, vector in enumerate(first):
        assert vector == first[index % len(texts)]


def test_response_stream_returns_the_whole_body(client: Any) -> None:
    body = json.dumps({"inputs": ["a", "b"]}).encode()
    whole = client.invoke_endpoint(
        EndpointName="tei", ContentType="application/json", Body=body
    )["Body"].read()
    response = client.invoke_endpoint_with_response_stream(
        EndpointName="tei", ContentType="application/json", Body=body
    )
    assert response["ContentType"] == "application/json"
    streamed = b"".join(event["PayloadPart"]["Bytes"] for event in response["Body"])
    assert streamed == whole


def test_endpoint_url_from_the_environment(
    endpoint: LocalEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in endpoint.env_vars(credentials=True).items():
        monkeypatch.setenv(name, value)
    plain = boto3.client("sagemaker-runtime")  # no endpoint_url argument
    try:
        response = plain.invoke_endpoint(
            EndpointName="jumpstart-embeddings",
            ContentType="application/x-text",
            Body=b"Hello world",
        )
        answer = json.loads(response["Body"].read())
    finally:
        plain.close()
    assert len(answer["embedding"]) == 384


def test_embedder_by_name() -> None:
    assert "embedder" in MODEL_NAMES
    with LocalEndpoint(container="tei", model="embedder") as served:
        answer = served.client().invoke_endpoint(
            EndpointName=served.endpoint_name,
            ContentType="application/json",
            Body=b'{"inputs": "Hello"}',
        )
        [vector] = json.loads(answer["Body"].read())
    assert len(vector) == 384


@pytest.fixture(scope="module")
def served_tei_url() -> Iterator[str]:
    """``langchain-sagemaker serve --container tei --port 0`` in a subprocess."""
    proc = subprocess.Popen(
        [str(CLI), "serve", "--container", "tei", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = ""
        for _ in range(50):
            match = re.search(r"(http://127\.0\.0\.1:\d+)", proc.stdout.readline())
            if match:
                url = match.group(1)
                break
        assert url, "langchain-sagemaker serve did not print its URL"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_cli_serves_tei_with_the_default_model(served_tei_url: str) -> None:
    client = boto3.client(
        "sagemaker-runtime",
        endpoint_url=served_tei_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    try:
        response = client.invoke_endpoint(
            EndpointName="any-name",
            ContentType="application/json",
            Body=json.dumps({"inputs": ["Hello world", "Bye"]}).encode(),
        )
        vectors = json.loads(response["Body"].read())
    finally:
        client.close()
    assert [len(vector) for vector in vectors] == [384, 384]
    expected = Embedder().embed(["Hello world", "Bye"])
    for vector, reference in zip(vectors, expected, strict=True):
        assert cosine(vector, reference) == pytest.approx(1.0, abs=1e-6)
