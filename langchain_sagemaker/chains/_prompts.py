"""The classic question-answering chains' default prompts (non-chat models)."""

from __future__ import annotations

from langchain_core.prompts import PromptTemplate

__all__ = [
    "COMBINE_PROMPT",
    "DOCUMENT_PROMPT",
    "MAP_PROMPT",
    "REFINE_INITIAL_PROMPT",
    "REFINE_PROMPT",
    "STUFF_PROMPT",
]

DOCUMENT_PROMPT = PromptTemplate.from_template("{page_content}")
"""How each document is written into a prompt (its text)."""

STUFF_PROMPT = PromptTemplate.from_template(
    "Use the following pieces of context to answer the question at the end. "
    "If you don't know the answer, just say that you don't know, don't try to "
    "make up an answer.\n\n{context}\n\nQuestion: {question}\nHelpful Answer:"
)
"""stuff: all documents in one prompt."""

MAP_PROMPT = PromptTemplate.from_template(
    "Use the following portion of a long document to see if any of the text is "
    "relevant to answer the question. \nReturn any relevant text verbatim.\n"
    "{context}\nQuestion: {question}\nRelevant text, if any:"
)
"""map_reduce, map step: what in this piece answers the question."""

COMBINE_PROMPT = PromptTemplate.from_template(
    "Given the following extracted parts of a long document and a question, "
    "create a final answer. \nIf you don't know the answer, just say that you "
    "don't know. Don't try to make up an answer.\n\nQUESTION: {question}\n"
    "=========\n{summaries}\n=========\nFINAL ANSWER:"
)
"""map_reduce, reduce step: the final answer from the map step's extracts."""

REFINE_INITIAL_PROMPT = PromptTemplate.from_template(
    "Context information is below. \n---------------------\n{context_str}"
    "\n---------------------\nGiven the context information and not prior "
    "knowledge, answer the question: {question}\n"
)
"""refine, first document."""

REFINE_PROMPT = PromptTemplate.from_template(
    "The original question is as follows: {question}\nWe have provided an "
    "existing answer: {existing_answer}\nWe have the opportunity to refine the "
    "existing answer (only if needed) with some more context below.\n"
    "------------\n{context_str}\n------------\nGiven the new context, refine the "
    "original answer to better answer the question. If the context isn't useful, "
    "return the original answer."
)
"""refine, each further document."""
