"""load_qa_chain: the classic stuff chain's behaviour on langchain-core runnables."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.language_models.fake import FakeListLLM
from langchain_core.language_models.llms import LLM
from langchain_core.prompts import PromptTemplate
from pydantic import Field

from langchain_sagemaker import QAChain, load_qa_chain
from langchain_sagemaker.chains import STUFF_PROMPT


class RecordingLLM(LLM):
    """Answers with a fixed text and records every prompt it gets."""

    answer: str = " 3 days"
    prompts: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "recording"

    def _call(
        self, prompt: str, stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> str:
        self.prompts.append(prompt)
        return self.answer


DOCS = [Document(page_content="Alpha text."), Document(page_content="Beta text.")]
PROMPT = PromptTemplate(
    template="Context:\n{context}\n\nQuestion: {question}\nAnswer:",
    input_variables=["context", "question"],
)


def test_legacy_call_returns_only_outputs() -> None:
    llm = RecordingLLM(prompts=[])
    chain = load_qa_chain(llm=llm, prompt=PROMPT)
    out = chain(
        {"input_documents": DOCS, "question": "How long?"}, return_only_outputs=True
    )
    assert out == {"output_text": " 3 days"}
    assert llm.prompts == [
        "Context:\nAlpha text.\n\nBeta text.\n\nQuestion: How long?\nAnswer:"
    ]


def test_invoke_returns_inputs_plus_output() -> None:
    chain = load_qa_chain(FakeListLLM(responses=["yes"]), prompt=PROMPT)
    out = chain.invoke({"input_documents": DOCS, "question": "q"})
    assert out == {"input_documents": DOCS, "question": "q", "output_text": "yes"}
    full = chain({"input_documents": DOCS, "question": "q"})
    assert full["output_text"] == "yes" and full["question"] == "q"


def test_default_prompt_is_the_classic_stuff_prompt() -> None:
    llm = RecordingLLM(prompts=[])
    load_qa_chain(llm).invoke({"input_documents": DOCS[:1], "question": "Q?"})
    assert llm.prompts == [STUFF_PROMPT.format(context="Alpha text.", question="Q?")]
    assert llm.prompts[0].endswith("Question: Q?\nHelpful Answer:")


def test_run_batch_and_async() -> None:
    chain = load_qa_chain(FakeListLLM(responses=["a", "b", "c"]), prompt=PROMPT)
    assert chain.run(input_documents=DOCS, question="q") == "a"
    outs = chain.batch(
        [{"input_documents": DOCS, "question": str(i)} for i in range(2)]
    )
    assert sorted(o["output_text"] for o in outs) == ["b", "c"]


async def test_ainvoke_and_acall() -> None:
    chain = load_qa_chain(FakeListLLM(responses=["x", "y"]), prompt=PROMPT)
    out = await chain.ainvoke({"input_documents": DOCS, "question": "q"})
    assert out["output_text"] == "x"
    assert await chain.acall({"input_documents": DOCS, "question": "q"}, True) == {
        "output_text": "y"
    }


def test_stream_yields_the_answer_pieces() -> None:
    chain = load_qa_chain(FakeListLLM(responses=["streamed"]), prompt=PROMPT)
    pieces = list(chain.stream({"input_documents": DOCS, "question": "q"}))
    assert "".join(p.get("output_text", "") for p in pieces) == "streamed"


def test_extra_prompt_variables_and_custom_document_name() -> None:
    prompt = PromptTemplate.from_template("[{lang}] {docs}\n{question}")
    llm = RecordingLLM(prompts=[])
    chain = load_qa_chain(llm, prompt=prompt, document_variable_name="docs")
    assert isinstance(chain, QAChain)
    assert chain.input_keys == ["input_documents", "lang", "question"]
    chain.invoke(
        {"input_documents": ["plain string doc"], "question": "q", "lang": "en"}
    )
    assert llm.prompts == ["[en] plain string doc\nq"]


@pytest.mark.parametrize(
    ("inputs", "match"),
    [
        ({"question": "q"}, "input_documents"),
        ({"input_documents": DOCS}, "question"),
        ({"input_documents": [object()], "question": "q"}, "Documents"),
    ],
    ids=["no-docs", "no-question", "bad-doc"],
)
def test_bad_inputs_name_what_is_wrong(inputs: dict[str, Any], match: str) -> None:
    chain = load_qa_chain(FakeListLLM(responses=["x"]), prompt=PROMPT)
    with pytest.raises(ValueError, match=match):
        chain.invoke(inputs)


def test_prompt_without_document_variable_is_rejected() -> None:
    with pytest.raises(ValueError, match="document_variable_name"):
        load_qa_chain(
            FakeListLLM(responses=["x"]), prompt=PromptTemplate.from_template("{q}")
        )


@pytest.mark.parametrize("chain_type", ["map_reduce", "refine", "bogus"])
def test_unbuilt_chain_types_say_so(chain_type: str) -> None:
    with pytest.raises(ValueError, match="stuff"):
        load_qa_chain(FakeListLLM(responses=["x"]), chain_type=chain_type)
