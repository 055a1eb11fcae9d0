"""Question answering over documents: ``load_qa_chain`` that runs on langchain 1.x.

``langchain.chains`` is gone in langchain 1.x. ``load_qa_chain`` here returns
an LCEL runnable that also accepts the classic call style::

    chain({"input_documents": docs, "question": q}, return_only_outputs=True)
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseLanguageModel
from langchain_core.prompts import BasePromptTemplate
from langchain_core.runnables import (
    Runnable,
    RunnableConfig,
    RunnableLambda,
    RunnableParallel,
)

from langchain_sagemaker.chains import _types
from langchain_sagemaker.chains._base import (
    INPUT_KEY,
    OUTPUT_KEY,
    STEPS_KEY,
    ChainParts,
    QAChain,
)
from langchain_sagemaker.chains._budget import (
    TokenCounter,
    estimate_tokens,
    split_to_fit,
)
from langchain_sagemaker.chains._prompts import (
    COMBINE_PROMPT,
    DOCUMENT_PROMPT,
    MAP_PROMPT,
    REFINE_INITIAL_PROMPT,
    REFINE_PROMPT,
    STUFF_PROMPT,
)
from langchain_sagemaker.errors import ConfigurationError

__all__ = [
    "COMBINE_PROMPT",
    "MAP_PROMPT",
    "REFINE_INITIAL_PROMPT",
    "REFINE_PROMPT",
    "STUFF_PROMPT",
    "QAChain",
    "create_qa_chain",
    "estimate_tokens",
    "load_qa_chain",
    "split_to_fit",
]

CHAIN_TYPES = ("stuff", "map_reduce", "refine")


def load_qa_chain(
    llm: BaseLanguageModel[Any],
    chain_type: str = "stuff",
    verbose: bool | None = None,
    callback_manager: Any = None,
    *,
    prompt: BasePromptTemplate[Any] | None = None,
    question_prompt: BasePromptTemplate[Any] | None = None,
    combine_prompt: BasePromptTemplate[Any] | None = None,
    refine_prompt: BasePromptTemplate[Any] | None = None,
    document_variable_name: str | None = None,
    combine_document_variable_name: str = "summaries",
    initial_response_name: str = "existing_answer",
    document_prompt: BasePromptTemplate[Any] | None = None,
    document_separator: str = "\n\n",
    return_intermediate_steps: bool = False,
    max_input_tokens: int | None = None,
    token_counter: TokenCounter | None = None,
    callbacks: Any = None,
) -> QAChain:
    """Load a question-answering chain over documents, like the classic one.

    Args:
        llm: Any LangChain LLM or chat model, e.g. ``SagemakerEndpoint``.
        chain_type: ``"stuff"`` (all documents in one prompt), ``"map_reduce"``
            (ask each document concurrently, then combine the answers) or
            ``"refine"`` (answer from the first document, refine with each
            next one).
        verbose: Accepted for compatibility; use callbacks for tracing.
        callback_manager: Accepted for compatibility; ignored.
        prompt: The stuff chain's prompt.
        question_prompt: The per-document prompt (map_reduce, refine).
        combine_prompt: The map_reduce prompt that combines the extracts.
        refine_prompt: The refine prompt (with ``existing_answer``).
        document_variable_name: The prompt variable that receives documents
            (``"context"``; ``"context_str"`` for refine).
        combine_document_variable_name: The combine prompt's variable for the
            extracts (``"summaries"``).
        initial_response_name: The refine prompt's variable for the answer so
            far (``"existing_answer"``).
        document_prompt: How each document is formatted (default: its text).
        document_separator: What goes between documents.
        return_intermediate_steps: Also return the per-document answers
            (map_reduce, refine) as ``intermediate_steps``.
        max_input_tokens: The model's input limit. The stuff chain then raises
            ``PromptTooLongError`` before sending a prompt that cannot fit;
            map_reduce and refine split documents to fit. Defaults to the
            LLM's ``max_input_tokens`` attribute, if it has one.
        token_counter: Counts a prompt's tokens (default: an estimate of ~4
            characters, or one CJK character, per token).
        callbacks: Callbacks for every run of the chain.

    Returns:
        A runnable: ``.invoke({"input_documents": docs, "question": q})``
        returns the inputs plus ``"output_text"``; the classic
        ``chain(inputs, return_only_outputs=True)`` call works too.

    Example:
        ```python
        chain = load_qa_chain(llm=SagemakerEndpoint(...), chain_type="map_reduce")
        chain({"input_documents": docs, "question": query}, return_only_outputs=True)
        ```
    """
    if chain_type not in CHAIN_TYPES:
        hint = " (map_rerank is not built)" if chain_type == "map_rerank" else ""
        msg = f"Unknown chain_type {chain_type!r}{hint}; use one of {CHAIN_TYPES}."
        raise ConfigurationError(msg)
    limit = max_input_tokens or getattr(llm, "max_input_tokens", None)
    parts = ChainParts(
        llm=llm,
        document_prompt=document_prompt or DOCUMENT_PROMPT,
        document_separator=document_separator,
        max_input_tokens=limit if isinstance(limit, int) else None,
        count_tokens=token_counter or estimate_tokens,
        return_intermediate_steps=return_intermediate_steps,
    )
    runnable: Runnable[dict[str, Any], dict[str, Any]]
    if chain_type == "stuff":
        used = prompt or STUFF_PROMPT
        runnable = _types.stuff(parts, used, document_variable_name or "context")
        prompts = [used]
    elif chain_type == "map_reduce":
        used = question_prompt or prompt or MAP_PROMPT
        combine = combine_prompt or COMBINE_PROMPT
        runnable = _types.map_reduce(
            parts,
            used,
            combine,
            document_variable_name or "context",
            combine_document_variable_name,
        )
        prompts = [used, combine]
    else:
        used = question_prompt or prompt or REFINE_INITIAL_PROMPT
        refine = refine_prompt or REFINE_PROMPT
        runnable = _types.refine(
            parts,
            used,
            refine,
            document_variable_name or "context_str",
            initial_response_name,
        )
        prompts = [used, refine]
    internal = {
        document_variable_name or "context",
        "context_str",
        combine_document_variable_name,
        initial_response_name,
    }
    extra = sorted({v for p in prompts for v in p.input_variables} - internal)
    config: RunnableConfig = {"run_name": f"QAChain[{chain_type}]"}
    if callbacks is not None:
        config["callbacks"] = callbacks
    output_keys = [OUTPUT_KEY] + ([STEPS_KEY] if return_intermediate_steps else [])
    return QAChain(
        bound=runnable,
        input_keys=[INPUT_KEY, *extra],
        output_keys=output_keys,
        config=config,
    )


def create_qa_chain(
    llm: BaseLanguageModel[Any],
    retriever: Runnable[str, list[Document]],
    *,
    chain_type: str = "stuff",
    **kwargs: Any,
) -> Runnable[Any, dict[str, Any]]:
    """Retrieve documents for a question, answer it, and return the sources.

    Args:
        llm: The language model.
        retriever: Any retriever (a runnable from question to documents),
            e.g. ``vectorstore.as_retriever()``.
        chain_type: As for :func:`load_qa_chain`.
        **kwargs: Passed to :func:`load_qa_chain`.

    Returns:
        A runnable taking a question (a string, or ``{"question": ...}``) and
        returning ``{"question", "answer", "source_documents"}``.

    Example:
        ```python
        qa = create_qa_chain(llm, retriever=store.as_retriever())
        qa.invoke("How long was Elizabeth in hospital?")["answer"]
        ```
    """
    qa = load_qa_chain(llm, chain_type=chain_type, **kwargs)

    def as_question(value: Any) -> dict[str, Any]:
        return {"question": value} if isinstance(value, str) else dict(value)

    retrieve = RunnableParallel(
        question=itemgetter("question"),
        input_documents=itemgetter("question") | retriever,
    )
    answer = qa | RunnableLambda(
        lambda out: {
            "question": out["question"],
            "answer": out[OUTPUT_KEY],
            "source_documents": out[INPUT_KEY],
        }
    )
    return (RunnableLambda(as_question) | retrieve | answer).with_config(
        run_name="RetrievalQA"
    )
