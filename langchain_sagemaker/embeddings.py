"""``SagemakerEndpointEmbeddings``: LangChain embeddings from a SageMaker endpoint."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.runnables.config import ContextThreadPoolExecutor
from pydantic import ConfigDict, Field, PrivateAttr, model_validator
from typing_extensions import Self

from langchain_sagemaker._base import SagemakerEndpointBase
from langchain_sagemaker._client import AsyncClients
from langchain_sagemaker.errors import ResponseParseError, translate_error
from langchain_sagemaker.handlers.base import StreamLine
from langchain_sagemaker.handlers.embeddings import (
    EmbeddingHandler,
    EmbeddingsContentHandler,
    LegacyEmbeddingHandler,
    resolve_embedding_handler,
)

__all__ = ["EmbeddingsContentHandler", "SagemakerEndpointEmbeddings"]

Vectors = list[list[float]]


class SagemakerEndpointEmbeddings(SagemakerEndpointBase, Embeddings):
    """Embeddings from a model hosted on an Amazon SageMaker endpoint.

    A drop-in for ``langchain_community.embeddings.SagemakerEndpointEmbeddings``
    (same arguments and ``EmbeddingsContentHandler`` contract), plus built-in
    handlers by name, concurrent batches that keep their order, validated
    responses, native async, and ``[]`` for an empty input without a call.

    Setup:
        ```bash
        pip install langchain-sagemaker
        ```

    Instantiate:
        ```python
        from langchain_sagemaker import SagemakerEndpointEmbeddings

        embeddings = SagemakerEndpointEmbeddings(
            endpoint_name="my-tei-endpoint",
            region_name="us-west-2",
            content_handler="tei",
            batch_size=32,
        )
        ```

    Embed:
        ```python
        vectors = embeddings.embed_documents(["first text", "second text"])
        query = embeddings.embed_query("a question")
        ```

    Async:
        ```python
        vectors = await embeddings.aembed_documents(texts)
        ```
    """

    content_handler: Any = "tei"
    """A built-in handler name (``tei``, ``hf-toolkit``, ``jumpstart``,
    ``openai``), an ``EmbeddingHandler``, or a classic ``EmbeddingsContentHandler``.
    (default: ``"tei"``)
    """

    model_kwargs: dict[str, Any] | None = None
    """Parameters sent with every request (e.g. ``{"normalize": False}``)."""

    batch_size: int = Field(default=32, ge=1)
    """How many texts go in one request (TEI's default limit is 32). (default: 32)"""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    _handler: EmbeddingHandler | LegacyEmbeddingHandler = PrivateAttr()

    @model_validator(mode="after")
    def _resolve_handler(self) -> Self:
        """Resolve the content handler once."""
        self._handler = resolve_embedding_handler(self.content_handler)
        return self

    # -- pure parts ---------------------------------------------------------

    def _batches(self, texts: Sequence[str], chunk_size: int | None) -> list[list[str]]:
        if isinstance(texts, str):
            msg = "`embed_documents` takes a list of texts; use `embed_query` for one."
            raise TypeError(msg)
        size = chunk_size or self.batch_size
        items = list(texts)
        if self._handler.replace_newlines:
            items = [t.replace("\n", " ") for t in items]
        return [items[i : i + size] for i in range(0, len(items), size)]

    def _params(self, batch: list[str]) -> dict[str, Any]:
        return self._call_params(
            self._handler.content_type,
            self._handler.accepts,
            Body=self._handler.request_body(batch, self.model_kwargs or {}),
        )

    def _validate(self, vectors: Any, expected: int) -> Vectors:
        if not isinstance(vectors, list) or len(vectors) != expected:
            got = len(vectors) if isinstance(vectors, list) else type(vectors).__name__
            msg = (
                f"The endpoint returned {got} embeddings for {expected} texts. "
                "What to do: check the content handler matches the container, and "
                "that `batch_size` is within the container's batch limit."
            )
            raise ResponseParseError(msg, snippet=str(vectors)[:300])
        out: Vectors = []
        for index, vector in enumerate(vectors):
            if not isinstance(vector, list) or not vector:
                msg = f"Embedding {index} is not a list of numbers."
                raise ResponseParseError(msg, snippet=str(vector)[:300])
            try:
                floats = [float(x) for x in vector]
            except (TypeError, ValueError) as exc:
                msg = f"Embedding {index} holds something that is not a number."
                raise ResponseParseError(msg, snippet=str(vector)[:300]) from exc
            if not all(math.isfinite(x) for x in floats):
                msg = f"Embedding {index} holds NaN or infinite values."
                raise ResponseParseError(msg, snippet=str(vector)[:300])
            if out and len(floats) != len(out[0]):
                msg = (
                    f"Embedding {index} has {len(floats)} dimensions, the first "
                    f"has {len(out[0])}: the response mixes vector sizes."
                )
                raise ResponseParseError(msg)
            out.append(floats)
        return out

    @staticmethod
    def _same_width(results: list[Vectors]) -> Vectors:
        flat = [v for batch in results for v in batch]
        widths = {len(v) for v in flat}
        if len(widths) > 1:
            msg = f"Batches returned vectors of different sizes: {sorted(widths)}."
            raise ResponseParseError(msg)
        return flat

    # -- I/O ----------------------------------------------------------------

    def _embed_batch(self, batch: list[str]) -> Vectors:
        try:
            response = self.client.invoke_endpoint(**self._params(batch))
            return self._validate(
                self._handler.parse_body(response["Body"]), len(batch)
            )
        except Exception as exc:
            raise translate_error(exc, endpoint_name=self.endpoint_name) from exc

    async def _aembed_batch(self, batch: list[str], clients: AsyncClients) -> Vectors:
        try:
            client = await clients.get()
            response = await client.invoke_endpoint(**self._params(batch))
            body = StreamLine(await response["Body"].read())
            return self._validate(self._handler.parse_body(body), len(batch))
        except Exception as exc:
            raise translate_error(exc, endpoint_name=self.endpoint_name) from exc

    def embed_documents(
        self, texts: list[str], chunk_size: int | None = None
    ) -> Vectors:
        """Embed texts in batches of ``batch_size``, concurrently, in order.

        Args:
            texts: The texts; ``[]`` returns ``[]`` without calling the endpoint.
            chunk_size: Overrides ``batch_size`` for this call (classic name).

        Returns:
            One vector per text, in the order of ``texts``.
        """
        batches = self._batches(texts, chunk_size)
        if len(batches) <= 1:
            return self._same_width([self._embed_batch(b) for b in batches])
        workers = min(len(batches), self.max_concurrency)
        with ContextThreadPoolExecutor(max_workers=workers) as pool:
            return self._same_width(list(pool.map(self._embed_batch, batches)))

    def embed_query(self, text: str) -> list[float]:
        """Embed one text."""
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> Vectors:
        """Async ``embed_documents``: aiobotocore when available, else threads."""
        clients = self._native_async()
        if clients is None:
            return await super().aembed_documents(texts)
        gate = asyncio.Semaphore(self.max_concurrency)

        async def one(batch: list[str]) -> Vectors:
            async with gate:
                return await self._aembed_batch(batch, clients)

        batches = self._batches(texts, None)
        return self._same_width(list(await asyncio.gather(*(one(b) for b in batches))))

    async def aembed_query(self, text: str) -> list[float]:
        """Async ``embed_query``."""
        return (await self.aembed_documents([text]))[0]
