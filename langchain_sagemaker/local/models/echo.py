"""A model that repeats its prompt, for exact round-trip tests."""

from __future__ import annotations

from collections.abc import Iterator

from langchain_sagemaker.local.models.tokens import tokenize

__all__ = ["EchoModel"]


class EchoModel:
    """Yields the prompt back unchanged, split into LLM-like tokens.

    Attributes:
        name: The registry name of the model.
    """

    name = "echo"

    def generate(self, prompt: str) -> Iterator[str]:
        """Yield ``prompt`` as tokens.

        Args:
            prompt: The full prompt sent to the endpoint.

        Yields:
            Text pieces whose concatenation is exactly ``prompt``.
        """
        yield from tokenize(prompt)
