"""SagemakerEndpointEmbeddings through real boto3 / aiobotocore to each local dialect."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from langchain_sagemaker import SagemakerEndpointEmbeddings
from langchain_sagemaker.errors import ModelError
from langchain_sagemaker.local import LocalEndpoint

# our handler -> the local container speaking that server's dialect
DIALECTS = {
    "tei": "tei",
    "hf-toolkit": "hf-toolkit-embeddings",
    "jumpstart": "jumpstart-embeddings",
    "openai": "openai-embeddings",
}
TEXTS = [
    "The bridge over the river was closed for repairs.",
    "Engineers repaired the river bridge for eleven weeks.",
    "Rye bread is sold by local bakers every morning.",
    "The lighthouse is photographed by tourists.",
    "Bakers in town sell fresh rye bread each morning.",
]


@pytest.fixture(scope="module")
def served() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(endpoint_name="tei", container="tei", model="embedder") as ep:
        for container in set(DIALECTS.values()) - {"tei"}:
            ep.add_endpoint(container, container=container, model="embedder")
        ep.add_endpoint("slow", container="tei", model="embedder", latency_ms=50)
        yield ep


def _emb(
    ep: LocalEndpoint, handler: str, **kwargs: object
) -> SagemakerEndpointEmbeddings:
    return SagemakerEndpointEmbeddings(
        endpoint_name=kwargs.pop("endpoint", DIALECTS[handler]),  # type: ignore[arg-type]
        region_name=ep.region_name,
        endpoint_url=ep.url,
        aws_access_key_id="testing",  # type: ignore[arg-type]
        aws_secret_access_key="testing",  # type: ignore[arg-type]
        content_handler=handler,
        **kwargs,  # type: ignore[arg-type]
    )


def _cos(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


@pytest.mark.parametrize("handler", sorted(DIALECTS))
def test_every_dialect_embeds_in_order(served: LocalEndpoint, handler: str) -> None:
    emb = _emb(served, handler, batch_size=2)
    vectors = emb.embed_documents(TEXTS)
    assert len(vectors) == len(TEXTS)
    assert len({len(v) for v in vectors}) == 1
    # order kept: each text's own vector is the one embed_query gives
    for text, vector in zip(TEXTS, vectors, strict=True):
        assert _cos(emb.embed_query(text), vector) > 0.999
    # similar texts are closer than unrelated ones
    assert _cos(vectors[2], vectors[4]) > _cos(vectors[2], vectors[3])


@pytest.mark.parametrize("handler", sorted(DIALECTS))
async def test_every_dialect_async(served: LocalEndpoint, handler: str) -> None:
    emb = _emb(served, handler, batch_size=2)
    assert emb._native_async() is not None
    vectors = await emb.aembed_documents(TEXTS)
    assert len(vectors) == len(TEXTS)
    assert _cos(await emb.aembed_query(TEXTS[1]), vectors[1]) > 0.999


def test_empty_input_makes_no_request(served: LocalEndpoint) -> None:
    emb = _emb(served, "tei")
    served.requests.clear()
    assert emb.embed_documents([]) == []
    assert len(served.requests) == 0


def test_batches_run_concurrently(served: LocalEndpoint) -> None:
    emb = _emb(served, "tei", endpoint="slow", batch_size=4)
    served.requests.clear()
    texts = [f"text number {i}" for i in range(40)]
    vectors = emb.embed_documents(texts)
    assert len(vectors) == 40
    assert len(served.requests) == 10
    assert served.requests.max_in_flight >= 5


def test_batch_over_the_container_limit_is_a_model_error(served: LocalEndpoint) -> None:
    emb = _emb(served, "tei", batch_size=64)
    with pytest.raises(ModelError) as caught:
        emb.embed_documents([f"t{i}" for i in range(40)])
    assert caught.value.original_status_code == 422


def test_rag_retrieves_the_right_paragraph(served: LocalEndpoint) -> None:
    from langchain_core.vectorstores import InMemoryVectorStore

    store = InMemoryVectorStore.from_texts(TEXTS, _emb(served, "tei"))
    [doc] = store.similarity_search("How long did engineers repair the bridge?", k=1)
    assert doc.page_content == TEXTS[1]
