"""The three classic ways to answer over documents, as LCEL runnables.

Each builder returns a runnable that takes the chain's inputs and returns them
with ``output_text`` (and ``intermediate_steps`` when asked) added.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.documents import Document
from langchain_core.prompts import BasePromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from langchain_sagemaker.chains._base import (
    OUTPUT_KEY,
    STEPS_KEY,
    ChainParts,
    documents,
    prompt_inputs,
    require_variables,
)
from langchain_sagemaker.chains._budget import split_to_fit
from langchain_sagemaker.errors import PromptTooLongError

__all__ = ["map_reduce", "refine", "stuff"]

MAX_COLLAPSE_ROUNDS = 8
"""How many times map_reduce may re-combine extracts that do not fit at once."""

Inputs = dict[str, Any]


def _outputs(
    parts: ChainParts, steps: Runnable[Inputs, list[str]], final: Callable[..., Any]
) -> Runnable[Inputs, Inputs]:
    """Add ``output_text`` (and ``intermediate_steps`` if asked) to the inputs."""
    if parts.return_intermediate_steps:
        return RunnablePassthrough.assign(
            **{STEPS_KEY: steps}
        ) | RunnablePassthrough.assign(**{OUTPUT_KEY: RunnableLambda(final)})
    return RunnablePassthrough.assign(
        **{
            OUTPUT_KEY: RunnablePassthrough.assign(**{STEPS_KEY: steps})
            | RunnableLambda(final)
        }
    )


def _fit_documents(
    parts: ChainParts,
    docs: list[Document],
    prompt: BasePromptTemplate[Any],
    values: Inputs,
    variable: str,
) -> list[Document]:
    """Split documents so that each one fits ``prompt`` within the input budget."""
    if parts.max_input_tokens is None:
        return docs
    overhead = parts.count_tokens(prompt.format(**{**values, variable: ""}))
    return split_to_fit(docs, parts.max_input_tokens - overhead, parts.count_tokens)


def stuff(
    parts: ChainParts, prompt: BasePromptTemplate[Any], document_variable_name: str
) -> Runnable[Inputs, Inputs]:
    """All documents in one prompt; too long a prompt raises ``PromptTooLongError``."""
    require_variables(prompt, document_variable_name, what="prompt")

    def build(inputs: Inputs) -> Inputs:
        values = prompt_inputs(inputs, prompt, document_variable_name)
        values[document_variable_name] = parts.format_docs(documents(inputs))
        return values

    answer = RunnableLambda(build, name="StuffDocuments") | parts.answer(prompt)
    return RunnablePassthrough.assign(**{OUTPUT_KEY: answer})


def map_reduce(
    parts: ChainParts,
    question_prompt: BasePromptTemplate[Any],
    combine_prompt: BasePromptTemplate[Any],
    document_variable_name: str,
    combine_document_variable_name: str,
) -> Runnable[Inputs, Inputs]:
    """Ask each document (concurrently, via the LLM's batch), then combine.

    With an input budget, documents too long for the map prompt are split, and
    extracts too long to combine at once are combined in groups first.
    """
    require_variables(question_prompt, document_variable_name, what="question_prompt")
    require_variables(
        combine_prompt, combine_document_variable_name, what="combine_prompt"
    )
    map_answer = parts.answer(question_prompt)
    combine_answer = parts.answer(combine_prompt)

    def map_inputs(inputs: Inputs) -> list[Inputs]:
        base = prompt_inputs(inputs, question_prompt, document_variable_name)
        docs = _fit_documents(
            parts, documents(inputs), question_prompt, base, document_variable_name
        )
        return [{**base, document_variable_name: parts.format_docs([d])} for d in docs]

    def combined(base: Inputs, texts: list[str]) -> Inputs:
        docs = [Document(page_content=t) for t in texts]
        return {**base, combine_document_variable_name: parts.format_docs(docs)}

    def fits(values: Inputs) -> bool:
        limit = parts.max_input_tokens
        return (
            limit is None
            or parts.count_tokens(combine_prompt.format(**values)) <= limit
        )

    def groups(base: Inputs, texts: list[str]) -> list[list[str]]:
        out: list[list[str]] = [[]]
        for text in texts:
            if out[-1] and not fits(combined(base, [*out[-1], text])):
                out.append([])
            out[-1].append(text)
        return out

    def reduce(inputs: Inputs, rounds: int = 0) -> Runnable[Any, str]:
        base = prompt_inputs(inputs, combine_prompt, combine_document_variable_name)
        texts = list(inputs[STEPS_KEY])
        if fits(combined(base, texts)):
            return RunnableLambda(lambda _: combined(base, texts)) | combine_answer
        grouped = groups(base, texts)
        if rounds >= MAX_COLLAPSE_ROUNDS or len(grouped) >= len(texts):
            values = combined(base, grouped[0])
            tokens = parts.count_tokens(combine_prompt.format(**values))
            msg = (
                "The map step's extracts do not fit the combine prompt within the "
                f"input limit of {parts.max_input_tokens} tokens, even one at a "
                "time. What to do: shorten `question_prompt`'s answers or use "
                'chain_type="refine".'
            )
            raise PromptTooLongError(
                msg, tokens=tokens, limit=parts.max_input_tokens or 0
            )
        return (
            RunnableLambda(lambda _: [combined(base, g) for g in grouped])
            | combine_answer.map()
            | RunnableLambda(
                lambda outs: reduce({**inputs, STEPS_KEY: outs}, rounds + 1)
            )
        )

    steps = RunnableLambda(map_inputs, name="MapDocuments") | map_answer.map()
    return _outputs(parts, steps, reduce)


def refine(
    parts: ChainParts,
    question_prompt: BasePromptTemplate[Any],
    refine_prompt: BasePromptTemplate[Any],
    document_variable_name: str,
    initial_response_name: str,
) -> Runnable[Inputs, Inputs]:
    """Answer from the first document, then refine the answer with each next one."""
    require_variables(question_prompt, document_variable_name, what="question_prompt")
    require_variables(
        refine_prompt,
        document_variable_name,
        initial_response_name,
        what="refine_prompt",
    )
    first_answer = parts.answer(question_prompt)
    refine_answer = parts.answer(refine_prompt)

    def refine_step(base: Inputs, doc: Document) -> Runnable[list[str], list[str]]:
        def run(answers: list[str]) -> Runnable[Any, list[str]]:
            values = {
                **base,
                document_variable_name: parts.format_docs([doc]),
                initial_response_name: answers[-1],
            }
            return (
                RunnableLambda(lambda _: values)
                | refine_answer
                | RunnableLambda(lambda answer: [*answers, answer])
            )

        return RunnableLambda(run, name="RefineStep")

    def plan(inputs: Inputs) -> Runnable[Any, list[str]]:
        first = prompt_inputs(inputs, question_prompt, document_variable_name)
        base = prompt_inputs(
            inputs, refine_prompt, document_variable_name, initial_response_name
        )
        docs = _fit_documents(
            parts,
            documents(inputs),
            refine_prompt,
            {**base, initial_response_name: ""},
            document_variable_name,
        )
        head = docs[0] if docs else Document(page_content="")
        chain: Runnable[Any, list[str]] = (
            RunnableLambda(
                lambda _: {**first, document_variable_name: parts.format_docs([head])}
            )
            | first_answer
            | RunnableLambda(lambda answer: [answer])
        )
        for doc in docs[1:]:
            chain = chain | refine_step(base, doc)
        return chain

    def last(inputs: Inputs) -> str:
        return str(inputs[STEPS_KEY][-1])

    return _outputs(parts, RunnableLambda(plan, name="RefineDocuments"), last)
