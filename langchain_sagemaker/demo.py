"""``make demo``: the classic SageMaker QA notebook, offline, on a local endpoint.

Starts the embedded local endpoint (real SageMaker Runtime wire protocol, a
built-in extractive reader behind a TGI-style container), then:

1. runs the notebook's QA example unchanged but for its imports: its own
   ``ContentHandler``, ``load_qa_chain`` and the legacy ``chain({...})`` call;
2. streams the answer token by token with the built-in ``"tgi"`` handler;
3. asks a few more questions over other documents, in English and Chinese;
4. answers over a document several times the model's context (map_reduce);
5. retrieval + QA: embeds paragraphs on an embeddings endpoint, retrieves, answers.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from langchain_core.documents import Document
from langchain_core.prompts import PromptTemplate

from langchain_sagemaker import LLMContentHandler, SagemakerEndpoint, load_qa_chain

__all__ = ["main"]

EXAMPLE_DOC = """
Peter and Elizabeth took a taxi to attend the night party in the city. While in the party, Elizabeth collapsed and was rushed to the hospital.
Since she was diagnosed with a brain injury, the doctor told Peter to stay besides her until she gets well.
Therefore, Peter stayed with her at the hospital for 3 days without leaving.
"""

PROMPT = PromptTemplate(
    template="""Use the following pieces of context to answer the question at the end.

{context}

Question: {question}
Answer:""",
    input_variables=["context", "question"],
)

MORE = [
    (
        "The Eiffel Tower was designed by the engineering firm of Gustave Eiffel. "
        "Construction began in 1887 and the tower opened to the public in 1889. "
        "It stands on the Champ de Mars in Paris and is 330 metres tall.",
        "When did the Eiffel Tower open to the public?",
    ),
    (
        "Maria sold her bakery in Lisbon last spring. The buyer, a chef named "
        "Tomas Silva, paid 85,000 euros for the shop and its two ovens.",
        "How much did Tomas Silva pay for the shop?",
    ),
    (
        "Peter 和 Elizabeth 打车去城里参加夜晚的派对。在派对上，Elizabeth 晕倒了，"
        "被紧急送往医院。由于被诊断出脑部受伤，医生告诉 Peter 一定要陪在她身边，"
        "直到她康复。因此，Peter 在医院陪伴她3天，没有离开。",
        "Elizabeth 住院了多久？",
    ),
]


class ContentHandler(LLMContentHandler):
    """The notebook's content handler, unchanged."""

    content_type = "application/json"
    accepts = "application/json"

    def transform_input(self, prompt: str, model_kwargs: dict[str, Any]) -> bytes:
        """Build the TGI request body."""
        input_str = json.dumps({"inputs": prompt, "parameters": model_kwargs})
        return input_str.encode("utf-8")

    def transform_output(self, output: Any) -> str:
        """Read ``generated_text`` from the response body."""
        response_json = json.loads(output.read().decode("utf-8"))
        return str(response_json[0]["generated_text"])


def _say(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m")


LONG_FACT = (
    "The bridge over the Kova river was closed for repairs. Engineers worked on "
    "the bridge for 11 weeks before it reopened to traffic."
)
FILLER = (
    "The harbour cranes were painted blue in spring. Local bakers sell rye bread "
    "every morning. Tourists often photograph the old lighthouse. "
)


def _long_document(endpoint: Any) -> None:
    from langchain_sagemaker._ask import ask

    limit = 300
    endpoint.add_endpoint(
        "small-context", model="reader", max_input_tokens=limit, max_total_tokens=400
    )
    paragraphs = [FILLER * 3 for _ in range(12)]
    paragraphs.insert(8, LONG_FACT)
    doc = Document(page_content="\n\n".join(paragraphs))
    question = "How long did engineers work on the bridge?"
    _say(
        f"4. A document of ~{len(doc.page_content) // 4} tokens on a model with a "
        f"{limit}-token input: map_reduce"
    )
    llm = SagemakerEndpoint(
        endpoint_name="small-context", region_name="us-west-2", max_input_tokens=limit
    )
    try:
        load_qa_chain(llm).invoke({"input_documents": [doc], "question": question})
    except ValueError as exc:
        print(f"stuff chain refuses: {type(exc).__name__}: {str(exc)[:90]}...")
    out = ask(llm, question, [doc], chain_type="map_reduce")
    print(f"pieces read: {len(out['intermediate_steps'])}")
    print(f"Q: {question}\nA:{out['output_text']}")


def _retrieval(endpoint: Any) -> None:
    from langchain_core.vectorstores import InMemoryVectorStore

    from langchain_sagemaker import SagemakerEndpointEmbeddings, create_qa_chain

    try:
        endpoint.add_endpoint("embedder", container="tei", model="embedder")
    except (KeyError, ValueError) as exc:  # no embeddings container in this build
        _say(f"5. Retrieval + QA skipped: {exc}")
        return
    _say("5. Retrieval + QA: embeddings endpoint (TEI dialect) + InMemoryVectorStore")
    paragraphs = [
        "The Eiffel Tower opened to the public in 1889 on the Champ de Mars.",
        "Maria sold her bakery in Lisbon; Tomas Silva paid 85,000 euros for it.",
        "The bridge over the Kova river reopened after 11 weeks of repairs.",
        "The observatory's telescope was paid for by a local brewery.",
        "Peter stayed with Elizabeth at the hospital for 3 days without leaving.",
    ]
    embeddings = SagemakerEndpointEmbeddings(
        endpoint_name="embedder", region_name="us-west-2", content_handler="tei"
    )
    store = InMemoryVectorStore.from_texts(paragraphs, embeddings)
    llm = SagemakerEndpoint(endpoint_name="endpoint-name", region_name="us-west-2")
    qa = create_qa_chain(llm, retriever=store.as_retriever(search_kwargs={"k": 1}))
    for question in (
        "How much did Tomas Silva pay?",
        "When did the Eiffel Tower open?",
    ):
        out = qa.invoke(question)
        source = out["source_documents"][0].page_content
        print(f"Q: {question}\n   retrieved: {source}\nA:{out['answer']}")


def main() -> int:
    """Run the demo; return the process exit code."""
    from langchain_sagemaker.local import LocalEndpoint

    started = time.perf_counter()
    with LocalEndpoint(endpoint_name="endpoint-name", model="reader") as endpoint:
        os.environ.update(endpoint.env_vars(credentials=True))
        _say(f"Local SageMaker endpoint at {endpoint.url}")
        print(f"export AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME={endpoint.url}")

        docs = [Document(page_content=EXAMPLE_DOC)]
        query = "How long was Elizabeth hospitalized?\n"

        _say("1. The notebook's example: its own ContentHandler and load_qa_chain")
        chain = load_qa_chain(
            llm=SagemakerEndpoint(
                endpoint_name="endpoint-name",
                region_name="us-west-2",
                model_kwargs={"temperature": 1e-10, "return_full_text": False},
                content_handler=ContentHandler(),
            ),
            prompt=PROMPT,
        )
        print(
            chain(
                {"input_documents": docs, "question": query}, return_only_outputs=True
            )
        )

        _say('2. The same question, streamed with the built-in "tgi" handler')
        llm = SagemakerEndpoint(
            endpoint_name="endpoint-name",
            region_name="us-west-2",
            content_handler="tgi",
        )
        streaming_chain = load_qa_chain(llm, prompt=PROMPT)
        print("answer:", end="", flush=True)
        for piece in streaming_chain.stream(
            {"input_documents": docs, "question": query}
        ):
            print(piece.get("output_text", ""), end="", flush=True)
        print()
        # TGI's details (finish reason, token count) on a whole response: asked
        # for here; streams carry them by default.
        result = llm.generate(
            [PROMPT.format(context=EXAMPLE_DOC, question=query)], details=True
        )
        print("generation_info:", result.generations[0][0].generation_info)

        _say("3. Other documents and questions (batched)")
        answers = streaming_chain.batch(
            [
                {"input_documents": [Document(page_content=d)], "question": q}
                for d, q in MORE
            ]
        )
        for (_, question), answer in zip(MORE, answers, strict=True):
            print(f"Q: {question}\nA:{answer['output_text']}")

        _long_document(endpoint)
        _retrieval(endpoint)

    _say(f"Done in {time.perf_counter() - started:.2f} s; the endpoint is stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
