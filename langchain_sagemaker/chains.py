"""Question answering over documents: a ``load_qa_chain`` that runs on langchain 1.x.

``langchain.chains`` is gone in langchain 1.x. ``load_qa_chain`` here returns
an LCEL runnable that also accepts the classic call style::

    chain({"input_documents": docs, "question": q}, return_only_outputs=True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseLanguageModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import BasePromptTemplate, PromptTemplate, format_document
from langchain_core.runnables import (
    Runnable,
    RunnableBinding,
    RunnableConfig,
    RunnableLambda,
    RunnablePassthrough,
)
from pydantic import Field

from langchain_sagemaker.errors import ConfigurationError

__all__ = ["STUFF_PROMPT", "QAChain", "load_qa_chain"]

STUFF_PROMPT = PromptTemplate.from_template(
    "Use the following pieces of context to answer the question at the end. "
    "If you don't know the answer, just say that you don't know, don't try to "
    "make up an answer.\n\n{context}\n\nQuestion: {question}\nHelpful Answer:"
)
"""The classic stuff chain's default prompt."""

DOCUMENT_PROMPT = PromptTemplate.from_template("{page_content}")
"""How each document is written into the context (its text)."""

INPUT_KEY = "input_documents"
OUTPUT_KEY = "output_text"


class QAChain(RunnableBinding[dict[str, Any], dict[str, Any]]):
    """A question-answering runnable that also speaks the classic Chain API.

    Input: ``{"input_documents": [Document, ...], "question": str, ...}``.
    Output: the inputs plus ``"output_text"`` (the answer).

    Example:
        ```python
        chain = load_qa_chain(llm, chain_type="stuff")
        chain.invoke({"input_documents": docs, "question": "Who won?"})
        chain({"input_documents": docs, "question": "Who won?"},
              return_only_outputs=True)  # {"output_text": "..."}
        ```
    """

    input_keys: list[str] = Field(default_factory=list)
    """The keys the chain reads (documents key first)."""

    output_keys: list[str] = Field(default_factory=lambda: [OUTPUT_KEY])
    """The keys the chain adds."""

    def __call__(
        self,
        inputs: Mapping[str, Any] | Any,
        return_only_outputs: bool = False,
        callbacks: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Run the chain the classic way: ``chain(inputs, return_only_outputs=...)``."""
        result = self.invoke(
            self._as_inputs(inputs),
            config={"callbacks": callbacks} if callbacks else None,
        )
        if return_only_outputs:
            return {key: result[key] for key in self.output_keys}
        return result

    def run(self, *args: Any, callbacks: Any = None, **kwargs: Any) -> str:
        """Run the chain and return the answer text (classic ``Chain.run``)."""
        inputs = self._as_inputs(args[0]) if args else dict(kwargs)
        return str(self(inputs, callbacks=callbacks)[OUTPUT_KEY])

    async def acall(
        self, inputs: Mapping[str, Any] | Any, return_only_outputs: bool = False
    ) -> dict[str, Any]:
        """Async twin of ``__call__`` (classic ``Chain.acall``)."""
        result = await self.ainvoke(self._as_inputs(inputs))
        if return_only_outputs:
            return {key: result[key] for key in self.output_keys}
        return result

    def _as_inputs(self, inputs: Mapping[str, Any] | Any) -> dict[str, Any]:
        if isinstance(inputs, Mapping):
            return dict(inputs)
        if len(self.input_keys) == 1:
            return {self.input_keys[0]: inputs}
        msg = (
            f"Pass a dict with the keys {self.input_keys}, e.g. "
            '{"input_documents": docs, "question": "..."}.'
        )
        raise ConfigurationError(msg)


def _as_document(doc: Any) -> Document:
    if isinstance(doc, Document):
        return doc
    if isinstance(doc, str):
        return Document(page_content=doc)
    msg = f"`{INPUT_KEY}` must hold Documents (or strings), got {type(doc).__name__}."
    raise ConfigurationError(msg)


def _stuff_inputs(
    prompt: BasePromptTemplate[Any],
    document_variable_name: str,
    document_prompt: BasePromptTemplate[Any],
    document_separator: str,
) -> Runnable[dict[str, Any], dict[str, Any]]:
    needed = [v for v in prompt.input_variables if v != document_variable_name]

    def build(inputs: dict[str, Any]) -> dict[str, Any]:
        if INPUT_KEY not in inputs:
            msg = (
                f"Missing input `{INPUT_KEY}`: pass "
                '{"input_documents": [Document(...)], "question": "..."}.'
            )
            raise ConfigurationError(msg)
        missing = [v for v in needed if v not in inputs]
        if missing:
            msg = f"Missing input(s) {missing} required by the prompt."
            raise ConfigurationError(msg)
        docs = inputs[INPUT_KEY]
        if isinstance(docs, (str, Document)):
            docs = [docs]
        if not isinstance(docs, Sequence):
            docs = list(docs)
        context = document_separator.join(
            format_document(_as_document(d), document_prompt) for d in docs
        )
        values = {v: inputs[v] for v in needed}
        values[document_variable_name] = context
        return values

    return RunnableLambda(build, name="StuffDocuments")


def load_qa_chain(
    llm: BaseLanguageModel[Any],
    chain_type: str = "stuff",
    verbose: bool | None = None,
    callback_manager: Any = None,
    *,
    prompt: BasePromptTemplate[Any] | None = None,
    document_variable_name: str = "context",
    document_prompt: BasePromptTemplate[Any] | None = None,
    document_separator: str = "\n\n",
    **kwargs: Any,
) -> QAChain:
    """Load a question-answering chain over documents, like the classic one.

    Args:
        llm: Any LangChain LLM or chat model, e.g. ``SagemakerEndpoint``.
        chain_type: ``"stuff"`` (all documents in one prompt).
        verbose: Accepted for compatibility; use callbacks for tracing.
        callback_manager: Accepted for compatibility; ignored.
        prompt: The prompt; it must use ``document_variable_name`` and any
            other variables (``question``) are read from the inputs.
        document_variable_name: The prompt variable that receives the documents.
        document_prompt: How each document is formatted (default: its text).
        document_separator: What goes between documents.
        **kwargs: Other classic chain options; unknown ones raise.

    Returns:
        A runnable: ``.invoke({"input_documents": docs, "question": q})``
        returns the inputs plus ``"output_text"``; the classic
        ``chain(inputs, return_only_outputs=True)`` call works too.

    Example:
        ```python
        chain = load_qa_chain(llm=SagemakerEndpoint(...), prompt=PROMPT)
        chain({"input_documents": docs, "question": query}, return_only_outputs=True)
        ```
    """
    if chain_type != "stuff":
        if chain_type in ("map_reduce", "refine", "map_rerank"):
            msg = (
                f"chain_type={chain_type!r} is not built yet in langchain-sagemaker; "
                'use chain_type="stuff" (documents that fit in one prompt).'
            )
        else:
            msg = f"Unknown chain_type {chain_type!r}; supported: 'stuff'."
        raise ConfigurationError(msg)
    unknown = set(kwargs) - {"callbacks"}
    if unknown:
        msg = f"Unexpected argument(s) for load_qa_chain: {sorted(unknown)}."
        raise ConfigurationError(msg)
    prompt = prompt or STUFF_PROMPT
    if document_variable_name not in prompt.input_variables:
        msg = (
            f"The prompt has no variable {document_variable_name!r} for the documents "
            f"(its variables: {prompt.input_variables}); set `document_variable_name`."
        )
        raise ConfigurationError(msg)
    answer = (
        _stuff_inputs(
            prompt,
            document_variable_name,
            document_prompt or DOCUMENT_PROMPT,
            document_separator,
        )
        | prompt
        | llm
        | StrOutputParser()
    )
    bound = RunnablePassthrough.assign(**{OUTPUT_KEY: answer})
    input_keys = [INPUT_KEY] + [
        v for v in prompt.input_variables if v != document_variable_name
    ]
    config: RunnableConfig = {"run_name": "QAChain"}
    if kwargs.get("callbacks") is not None:
        config["callbacks"] = kwargs["callbacks"]
    return QAChain(bound=bound, input_keys=input_keys, config=config)
