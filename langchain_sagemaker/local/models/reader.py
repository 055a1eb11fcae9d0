"""A deterministic extractive question-answering model.

The reader takes whatever prompt a LangChain QA chain sends (instructions, one
or more context documents, a question and usually an answer cue), finds the
question, scores every context sentence against it and extracts the span that
answers the question type: a duration for "how long", a date for "when", a
place for "where", a name for "who", an amount for "how much" and the best
sentence otherwise. It handles English, Chinese and Japanese, never raises,
and gives the same answer for the same prompt every time.

It also plays each step of the map_reduce, refine and map_rerank chains: it
recognises their default prompts, answers a map or refine step from its one
chunk only when the chunk supports an answer, combines the map step's extracts
(ignoring "I don't know"), keeps or improves refine's existing answer, and
adds a score for map_rerank.

Modules: ``_reader_prompt`` (question and context of a prompt),
``_reader_chain_prompts`` (the chains' prompts), ``_reader_question`` (question
type and terms), ``_reader_scoring`` (sentence scores and coverage),
``_reader_patterns``, ``_reader_spans`` and ``_reader_names`` (candidate
spans), ``_reader_select`` (the answer), ``_reader_chains`` (each chain step),
``_reader_text`` (words and sentences).
"""

from __future__ import annotations

from collections.abc import Iterator

from langchain_sagemaker.local.models._reader_chains import respond
from langchain_sagemaker.local.models.tokens import tokenize

__all__ = ["ReaderModel", "answer"]


def answer(prompt: str) -> str:
    """Answer the question in ``prompt`` from the context in ``prompt``.

    Args:
        prompt: A QA prompt: context documents, a question, usually an answer cue.

    Returns:
        A short answer span (English answers start with a space, like LLM output
        after ``Answer:``), or a short "I don't know" when the prompt has no
        question or no supporting context. For a map or refine step with only
        partial support, the supporting sentence; for map_rerank, the answer
        followed by a line ``Score: N``.
    """
    return respond(prompt)


class ReaderModel:
    """Extractive QA model: answers a question from the prompt's own context.

    Attributes:
        name: The registry name of the model.
    """

    name = "reader"

    def generate(self, prompt: str) -> Iterator[str]:
        """Yield the answer to ``prompt`` as LLM-like tokens.

        Args:
            prompt: The full prompt sent to the endpoint.

        Yields:
            Text pieces whose concatenation is ``answer(prompt)``.
        """
        yield from tokenize(answer(prompt))
