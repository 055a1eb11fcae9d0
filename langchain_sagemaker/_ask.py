"""``langchain-sagemaker ask``: question answering over text files from the shell."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.runnables import RunnableConfig

from langchain_sagemaker.chains import (
    MAP_PROMPT,
    STUFF_PROMPT,
    estimate_tokens,
    load_qa_chain,
    split_to_fit,
)
from langchain_sagemaker.errors import ConfigurationError

__all__ = ["Progress", "ask", "read_documents"]

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".rst", ".text", ""}


def read_documents(paths: list[str]) -> list[Document]:
    """Read plain-text and markdown files into Documents (``source`` metadata)."""
    docs = []
    for name in paths:
        path = Path(name)
        if not path.is_file():
            msg = f"No such file: {name}"
            raise ConfigurationError(msg)
        if path.suffix.lower() not in TEXT_SUFFIXES:
            msg = (
                f"{name}: only plain text and markdown files are read ({path.suffix})."
            )
            raise ConfigurationError(msg)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            msg = f"{name} is not UTF-8 text: {exc}"
            raise ConfigurationError(msg) from exc
        docs.append(Document(page_content=text, metadata={"source": name}))
    return docs


class Progress(BaseCallbackHandler):
    """Draws a progress bar on stderr as the chain's model calls finish."""

    def __init__(
        self, total: int, stream: TextIO | None = None, width: int = 30
    ) -> None:
        self.total = max(1, total)
        self.done = 0
        self.stream = stream or sys.stderr
        self.width = width

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Count one finished model call and redraw."""
        self.done = min(self.total, self.done + 1)
        filled = self.width * self.done // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} model calls")
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def ask(
    llm: Any,
    question: str,
    docs: list[Document],
    *,
    chain_type: str = "auto",
    max_input_tokens: int | None = None,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Answer ``question`` over ``docs``; ``auto`` picks stuff if it fits, else map_reduce."""
    limit = max_input_tokens or getattr(llm, "max_input_tokens", None)
    if chain_type == "auto":
        whole = STUFF_PROMPT.format(
            context="\n\n".join(d.page_content for d in docs), question=question
        )
        chain_type = (
            "stuff"
            if limit is None or estimate_tokens(whole) <= limit
            else "map_reduce"
        )
    total = 1
    if chain_type != "stuff" and limit is not None:
        overhead = estimate_tokens(MAP_PROMPT.format(context="", question=question))
        docs = split_to_fit(docs, limit - overhead)
    if chain_type == "map_reduce":
        total = len(docs) + 1
    elif chain_type == "refine":
        total = len(docs)
    chain = load_qa_chain(
        llm,
        chain_type=chain_type,
        max_input_tokens=limit,
        return_intermediate_steps=chain_type != "stuff",
    )
    config: RunnableConfig = {}
    if show_progress and total > 1:
        config["callbacks"] = [Progress(total)]
    out = chain.invoke({"input_documents": docs, "question": question}, config=config)
    return {"chain_type": chain_type, **out}
