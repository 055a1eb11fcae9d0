"""What every question-answering chain shares: inputs, documents, budget, API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseLanguageModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import BasePromptTemplate, format_document
from langchain_core.runnables import Runnable, RunnableBinding
from pydantic import Field

from langchain_sagemaker.chains._budget import TokenCounter, estimate_tokens
from langchain_sagemaker.errors import ConfigurationError, PromptTooLongError

__all__ = ["INPUT_KEY", "OUTPUT_KEY", "STEPS_KEY", "ChainParts", "QAChain"]

INPUT_KEY = "input_documents"
OUTPUT_KEY = "output_text"
STEPS_KEY = "intermediate_steps"


class QAChain(RunnableBinding[dict[str, Any], dict[str, Any]]):
    """A question-answering runnable that also speaks the classic Chain API.

    Input: ``{"input_documents": [Document, ...], "question": str, ...}``.
    Output: the inputs plus ``"output_text"`` (the answer), and
    ``"intermediate_steps"`` when asked for.

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
        config = {"callbacks": callbacks} if callbacks else None
        result = self.invoke(self._as_inputs(inputs), config=config)  # type: ignore[arg-type]
        return self._outputs(result, return_only_outputs)

    def run(self, *args: Any, callbacks: Any = None, **kwargs: Any) -> str:
        """Run the chain and return the answer text (classic ``Chain.run``)."""
        inputs = self._as_inputs(args[0]) if args else dict(kwargs)
        return str(self(inputs, callbacks=callbacks)[OUTPUT_KEY])

    async def acall(
        self, inputs: Mapping[str, Any] | Any, return_only_outputs: bool = False
    ) -> dict[str, Any]:
        """Async ``__call__`` (classic ``Chain.acall``)."""
        result = await self.ainvoke(self._as_inputs(inputs))
        return self._outputs(result, return_only_outputs)

    def _outputs(self, result: dict[str, Any], only: bool) -> dict[str, Any]:
        if only:
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


@dataclass(frozen=True)
class ChainParts:
    """What a chain type is built from.

    Attributes:
        llm: The language model.
        document_prompt: How one document is written into a prompt.
        document_separator: What goes between documents.
        max_input_tokens: The model's input limit, if known.
        count_tokens: How tokens are counted for the limit.
        return_intermediate_steps: Whether to return the per-document answers.
    """

    llm: BaseLanguageModel[Any]
    document_prompt: BasePromptTemplate[Any]
    document_separator: str = "\n\n"
    max_input_tokens: int | None = None
    count_tokens: TokenCounter = estimate_tokens
    return_intermediate_steps: bool = False

    def answer(self, prompt: BasePromptTemplate[Any]) -> Runnable[Any, str]:
        """``prompt | llm | StrOutputParser()``, with the input budget checked."""
        return prompt | self._guard() | self.llm | StrOutputParser()

    def _guard(self) -> Runnable[Any, Any]:
        from langchain_core.runnables import RunnableLambda

        check: Callable[[Any], Any] = self.check_fits
        return RunnableLambda(check, name="InputBudget")

    def check_fits(self, prompt_value: Any, *, hint: str = "") -> Any:
        """Raise ``PromptTooLongError`` if the prompt is over the input limit."""
        if self.max_input_tokens is None:
            return prompt_value
        tokens = self.count_tokens(prompt_value.to_string())
        if tokens > self.max_input_tokens:
            msg = (
                f"The prompt has about {tokens} tokens, over the model's input "
                f"limit of {self.max_input_tokens}; it was not sent. What to do: "
                'use chain_type="map_reduce" or chain_type="refine", which read '
                "the documents piece by piece, or pass fewer documents."
            )
            raise PromptTooLongError(msg, tokens=tokens, limit=self.max_input_tokens)
        return prompt_value

    def format_docs(self, docs: list[Document]) -> str:
        """Write documents into one context string."""
        return self.document_separator.join(
            format_document(d, self.document_prompt) for d in docs
        )


def documents(inputs: Mapping[str, Any]) -> list[Document]:
    """Read ``input_documents`` (Documents or strings) from the inputs."""
    if INPUT_KEY not in inputs:
        msg = (
            f"Missing input `{INPUT_KEY}`: pass "
            '{"input_documents": [Document(...)], "question": "..."}.'
        )
        raise ConfigurationError(msg)
    raw = inputs[INPUT_KEY]
    items = [raw] if isinstance(raw, (str, Document)) else list(raw)
    docs = []
    for item in items:
        if isinstance(item, Document):
            docs.append(item)
        elif isinstance(item, str):
            docs.append(Document(page_content=item))
        else:
            msg = f"`{INPUT_KEY}` must hold Documents (or strings), got {type(item).__name__}."
            raise ConfigurationError(msg)
    return docs


def prompt_inputs(
    inputs: Mapping[str, Any], prompt: BasePromptTemplate[Any], *provided: str
) -> dict[str, Any]:
    """The prompt's variables taken from the inputs (all but ``provided``)."""
    needed = [v for v in prompt.input_variables if v not in provided]
    missing = [v for v in needed if v not in inputs]
    if missing:
        msg = f"Missing input(s) {missing} required by the prompt."
        raise ConfigurationError(msg)
    return {v: inputs[v] for v in needed}


def require_variables(prompt: BasePromptTemplate[Any], *names: str, what: str) -> None:
    """Check that ``prompt`` uses each of ``names``."""
    for name in names:
        if name not in prompt.input_variables:
            msg = (
                f"The {what} has no variable {name!r} (its variables: "
                f"{prompt.input_variables}); write it into the prompt, or set "
                "`document_variable_name` (or `combine_document_variable_name` / "
                "`initial_response_name`) to the variable it uses."
            )
            raise ConfigurationError(msg)
