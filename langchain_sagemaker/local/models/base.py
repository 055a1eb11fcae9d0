"""The interface every built-in model of the local endpoint implements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

__all__ = ["Model"]


@runtime_checkable
class Model(Protocol):
    """A deterministic text generator behind the local container.

    A model only turns a prompt into a sequence of tokens (text pieces whose
    concatenation is the whole answer). Parameters such as stop sequences,
    ``max_new_tokens``, ``return_full_text`` and streaming are applied by the
    container, the same way for every model.
    """

    name: str

    def generate(self, prompt: str) -> Iterator[str]:
        """Yield the answer to ``prompt`` as tokens, in order."""
        ...
