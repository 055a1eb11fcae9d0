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
from langchain_sagemaker.chains import (
    COMBINE_PROMPT,
    MAP_PROMPT,
    REFINE_INITIAL_PROMPT,
    REFINE_PROMPT,
    STUFF_PROMPT,
)


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


@pytest.mark.parametrize("chain_type", ["map_rerank", "bogus"])
def test_unknown_chain_types_say_so(chain_type: str) -> None:
    with pytest.raises(ValueError, match="map_reduce"):
        load_qa_chain(FakeListLLM(responses=["x"]), chain_type=chain_type)


class Budgeted(RecordingLLM):
    """Answers with the question's first document word count, records prompts."""

    def _call(
        self, prompt: str, stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> str:
        self.prompts.append(prompt)
        return f"[{len(prompt)}]"


def test_map_reduce_maps_each_document_then_combines() -> None:
    llm = RecordingLLM(prompts=[], answer="piece")
    chain = load_qa_chain(llm, chain_type="map_reduce", return_intermediate_steps=True)
    out = chain.invoke({"input_documents": DOCS, "question": "Q?"})
    assert out["intermediate_steps"] == ["piece", "piece"]
    assert out["output_text"] == "piece"
    map_prompts = [p for p in llm.prompts if "Relevant text, if any:" in p]
    assert sorted(map_prompts) == sorted(
        MAP_PROMPT.format(context=d.page_content, question="Q?") for d in DOCS
    )
    combine = [p for p in llm.prompts if "FINAL ANSWER:" in p]
    assert combine == [COMBINE_PROMPT.format(summaries="piece\n\npiece", question="Q?")]
    assert chain.output_keys == ["output_text", "intermediate_steps"]


def test_refine_goes_document_by_document() -> None:
    llm = RecordingLLM(prompts=[], answer="ans")
    chain = load_qa_chain(llm, chain_type="refine", return_intermediate_steps=True)
    out = chain({"input_documents": DOCS, "question": "Q?"}, return_only_outputs=True)
    assert out == {"output_text": "ans", "intermediate_steps": ["ans", "ans"]}
    assert llm.prompts == [
        REFINE_INITIAL_PROMPT.format(context_str="Alpha text.", question="Q?"),
        REFINE_PROMPT.format(
            context_str="Beta text.", question="Q?", existing_answer="ans"
        ),
    ]


def test_intermediate_steps_only_when_asked() -> None:
    chain = load_qa_chain(RecordingLLM(prompts=[]), chain_type="map_reduce")
    out = chain.invoke({"input_documents": DOCS, "question": "Q?"})
    assert "intermediate_steps" not in out and out["output_text"] == " 3 days"


def test_stuff_budget_guard_raises_before_sending() -> None:
    from langchain_sagemaker.errors import PromptTooLongError

    llm = RecordingLLM(prompts=[])
    chain = load_qa_chain(llm, max_input_tokens=50)
    long_doc = Document(page_content="word " * 400)
    with pytest.raises(PromptTooLongError, match="map_reduce") as caught:
        chain.invoke({"input_documents": [long_doc], "question": "Q?"})
    assert caught.value.limit == 50 and caught.value.tokens > 50
    assert llm.prompts == []  # nothing was sent


@pytest.mark.parametrize("chain_type", ["map_reduce", "refine"])
def test_long_documents_are_split_to_fit(chain_type: str) -> None:
    from langchain_sagemaker.chains import estimate_tokens

    llm = Budgeted(prompts=[])
    text = "\n\n".join(
        f"Paragraph {i} " + "filler words here. " * 30 for i in range(12)
    )
    chain = load_qa_chain(
        llm, chain_type=chain_type, max_input_tokens=400, return_intermediate_steps=True
    )
    out = chain.invoke(
        {"input_documents": [Document(page_content=text)], "question": "Q?"}
    )
    assert len(out["intermediate_steps"]) > 3  # split into several pieces
    assert all(estimate_tokens(p) <= 400 for p in llm.prompts)
    joined = " ".join(llm.prompts)
    assert all(f"Paragraph {i} " in joined for i in range(12))  # nothing dropped


def test_map_reduce_collapses_extracts_that_do_not_fit() -> None:
    class Verbose(RecordingLLM):
        def _call(
            self, prompt: str, stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> str:
            self.prompts.append(prompt)
            return "short" if "FINAL ANSWER:" in prompt else "extract " * 40

    llm = Verbose(prompts=[])
    docs = [Document(page_content=f"doc {i}") for i in range(10)]
    chain = load_qa_chain(llm, chain_type="map_reduce", max_input_tokens=300)
    out = chain.invoke({"input_documents": docs, "question": "Q?"})
    assert out["output_text"] == "short"
    combines = [p for p in llm.prompts if "FINAL ANSWER:" in p]
    assert len(combines) > 1  # grouped first, then combined


async def test_map_reduce_async() -> None:
    llm = RecordingLLM(prompts=[], answer="a")
    chain = load_qa_chain(llm, chain_type="map_reduce")
    out = await chain.ainvoke({"input_documents": DOCS, "question": "Q?"})
    assert out["output_text"] == "a"


def test_create_qa_chain_returns_answer_and_sources() -> None:
    from langchain_core.runnables import RunnableLambda

    from langchain_sagemaker import create_qa_chain

    retriever = RunnableLambda(lambda q: [d for d in DOCS if "Beta" in d.page_content])
    qa = create_qa_chain(RecordingLLM(prompts=[]), retriever=retriever)
    out = qa.invoke("How long?")
    assert out == {
        "question": "How long?",
        "answer": " 3 days",
        "source_documents": DOCS[1:],
    }
