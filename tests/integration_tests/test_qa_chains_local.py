"""Each QA chain type through the local endpoint (reader model, real boto3)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from langchain_core.documents import Document

from langchain_sagemaker import SagemakerEndpoint, load_qa_chain
from langchain_sagemaker.errors import PromptTooLongError
from langchain_sagemaker.local import LocalEndpoint

FILLER = [
    "The harbour cranes were painted blue in spring.",
    "Local bakers sell rye bread every morning.",
    "The river floods the meadows most winters.",
    "Tourists often photograph the old lighthouse.",
    "The library opens its reading room at nine.",
]
FACTS = [
    (
        "The bridge over the Kova river was closed for repairs. Engineers worked "
        "on the bridge for 11 weeks before it reopened to traffic.",
        "How long did engineers work on the bridge?",
        "11 weeks",
    ),
    (
        "The observatory on Mount Pelle was funded by a local brewery. The brewery "
        "paid 2.4 million crowns for the observatory's new telescope.",
        "How much did the brewery pay for the telescope?",
        "2.4 million crowns",
    ),
    (
        "The first ferry to the island sailed in 1897. The ferry was later "
        "replaced by a steel ship built in Glasgow.",
        "When did the first ferry to the island sail?",
        "1897",
    ),
]
LIMIT = 300


def _long_document(fact: str, seed: int) -> Document:
    rng = random.Random(seed)
    paragraphs = [" ".join(rng.choice(FILLER) for _ in range(8)) for _ in range(14)]
    paragraphs.insert(rng.randrange(2, 14), fact)
    return Document(page_content="\n\n".join(paragraphs), metadata={"source": "long"})


@pytest.fixture(scope="module")
def small_context() -> Iterator[SagemakerEndpoint]:
    with LocalEndpoint(
        endpoint_name="reader",
        model="reader",
        max_input_tokens=LIMIT,
        max_total_tokens=LIMIT + 100,
    ) as ep:
        yield SagemakerEndpoint(
            endpoint_name="reader", client=ep.client(), max_input_tokens=LIMIT
        )


@pytest.mark.parametrize("chain_type", ["map_reduce", "refine"])
@pytest.mark.parametrize(
    ("fact", "question", "answer"), FACTS, ids=["how-long", "how-much", "when"]
)
def test_long_document_chains_find_the_answer(
    small_context: SagemakerEndpoint,
    chain_type: str,
    fact: str,
    question: str,
    answer: str,
) -> None:
    doc = _long_document(fact, seed=len(question))
    assert len(doc.page_content) > 4 * 4 * LIMIT  # several times the model's context
    chain = load_qa_chain(
        small_context, chain_type=chain_type, return_intermediate_steps=True
    )
    out = chain.invoke({"input_documents": [doc], "question": question})
    assert answer in out["output_text"]
    steps = out["intermediate_steps"]
    assert len(steps) >= 4  # the document was read piece by piece
    assert any(answer in step for step in steps)


def test_stuff_guard_refuses_before_sending(small_context: SagemakerEndpoint) -> None:
    doc = _long_document(FACTS[0][0], seed=1)
    chain = load_qa_chain(small_context, chain_type="stuff")
    with pytest.raises(PromptTooLongError, match="map_reduce"):
        chain.invoke({"input_documents": [doc], "question": FACTS[0][1]})


def test_stuff_fits_and_answers(small_context: SagemakerEndpoint) -> None:
    chain = load_qa_chain(small_context, chain_type="stuff")
    out = chain(
        {
            "input_documents": [Document(page_content=FACTS[1][0])],
            "question": FACTS[1][1],
        }
    )
    assert FACTS[1][2] in out["output_text"]


async def test_map_reduce_async(small_context: SagemakerEndpoint) -> None:
    doc = _long_document(FACTS[2][0], seed=7)
    chain = load_qa_chain(small_context, chain_type="map_reduce")
    out = await chain.ainvoke({"input_documents": [doc], "question": FACTS[2][1]})
    assert FACTS[2][2] in out["output_text"]
