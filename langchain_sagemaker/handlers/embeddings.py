"""Embedding content handlers: the legacy contract and built-in dialects.

Built-ins, each from its server's documentation:

* ``tei`` - Hugging Face Text Embeddings Inference (``router/src/http/types.rs``
  ``EmbedRequest``): ``{"inputs": [...], "normalize": true, "truncate": false}``
  -> ``[[float, ...], ...]``. TEI refuses more than ``--max-client-batch-size``
  (default 32) inputs with 422, so keep ``batch_size`` <= 32.
* ``hf-toolkit`` - the SageMaker Hugging Face inference toolkit's
  feature-extraction pipeline: ``{"inputs": [...]}`` -> token vectors
  ``[n][1][tokens][hidden]`` (or ``[n][tokens][hidden]``), pooled here
  (``pooling="mean"`` or ``"cls"``); already pooled ``[n][hidden]`` is kept.
* ``jumpstart`` - JumpStart text-embedding models: ``{"text_inputs": [...]}``
  -> ``{"embedding": [[...], ...]}``.
* ``openai`` - OpenAI-compatible ``/v1/embeddings`` (vLLM, LMI):
  ``{"input": [...]}`` -> ``{"data": [{"index", "embedding"}], "usage"}``.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

from langchain_sagemaker._registry import Registry
from langchain_sagemaker.errors import ConfigurationError, ResponseParseError
from langchain_sagemaker.handlers.base import ContentHandlerBase, StreamLine

__all__ = [
    "EmbeddingHandler",
    "EmbeddingsContentHandler",
    "LegacyEmbeddingHandler",
    "get_embedding_handler",
    "list_embedding_handlers",
    "register_embedding_handler",
    "resolve_embedding_handler",
]

Vectors = list[list[float]]


class EmbeddingsContentHandler(ContentHandlerBase[list[str], list[list[float]]]):
    """The classic embeddings handler contract (langchain-community).

    Example:
        ```python
        class ContentHandler(EmbeddingsContentHandler):
            content_type = "application/json"
            accepts = "application/json"

            def transform_input(self, inputs: list[str], model_kwargs: dict) -> bytes:
                return json.dumps({"inputs": inputs, **model_kwargs}).encode()

            def transform_output(self, output) -> list[list[float]]:
                return json.loads(output.read().decode())["vectors"]
        ```
    """


class EmbeddingHandler(ABC):
    """A built-in embedding dialect: request body out, vectors in.

    Example:
        ```python
        @register_embedding_handler("my-embedder")
        class Mine(EmbeddingHandler):
            def request_body(self, texts, params):
                return json.dumps({"texts": texts}).encode()

            def parse_vectors(self, data):
                return data["vectors"]
        ```
    """

    name: ClassVar[str] = ""
    content_type: ClassVar[str] = "application/json"
    accepts: ClassVar[str] = "application/json"
    replace_newlines: ClassVar[bool] = False

    @abstractmethod
    def request_body(self, texts: list[str], params: Mapping[str, Any]) -> bytes:
        """Build the request body for a batch of texts."""

    @abstractmethod
    def parse_vectors(self, data: Any) -> Any:
        """Pick the vectors out of the parsed JSON response (validated after)."""

    def parse_body(self, body: Any) -> Any:
        """Read the response body and return its vectors."""
        from langchain_sagemaker.handlers.base import read_body

        raw = read_body(body)
        try:
            data = json.loads(raw)
        except ValueError as exc:
            msg = (
                f"The {self.name!r} embeddings handler got a response that is not JSON."
            )
            raise ResponseParseError(
                msg, snippet=raw[:300].decode("utf-8", "replace")
            ) from exc
        return self.parse_vectors(data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class LegacyEmbeddingHandler:
    """Adapts an :class:`EmbeddingsContentHandler` (classic contract)."""

    replace_newlines: ClassVar[bool] = True  # as the classic class did

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.content_type = getattr(handler, "content_type", None)
        self.accepts = getattr(handler, "accepts", None)

    def request_body(self, texts: list[str], params: Mapping[str, Any]) -> Any:
        """Call ``transform_input(texts, model_kwargs)``."""
        return self.handler.transform_input(texts, dict(params))

    def parse_body(self, body: Any) -> Any:
        """Call ``transform_output`` on the body (bytes get ``.read()`` too)."""
        if isinstance(body, (bytes, bytearray)) and not isinstance(body, StreamLine):
            body = StreamLine(body)
        return self.handler.transform_output(body)


_HANDLERS: Registry[EmbeddingHandler] = Registry(
    "embeddings content handler", "an EmbeddingsContentHandler instance"
)


def register_embedding_handler(
    name: str,
) -> Callable[[type[EmbeddingHandler]], type[EmbeddingHandler]]:
    """Register an embedding handler class under ``name`` (a decorator)."""

    def add(cls: type[EmbeddingHandler]) -> type[EmbeddingHandler]:
        return _HANDLERS.register(name, cls)

    return add


def list_embedding_handlers() -> list[str]:
    """Names of the registered embedding handlers, sorted."""
    return _HANDLERS.names()


def get_embedding_handler(name: str, **options: Any) -> EmbeddingHandler:
    """Build the embedding handler registered as ``name``.

    Raises:
        ConfigurationError: If no embedding handler is registered as ``name``.
    """
    return _HANDLERS.build(name, **options)


def resolve_embedding_handler(
    handler: Any,
) -> EmbeddingHandler | LegacyEmbeddingHandler:
    """Turn a name, a built-in or a legacy handler into an engine handler."""
    if isinstance(handler, str):
        return get_embedding_handler(handler)
    if isinstance(handler, (EmbeddingHandler, LegacyEmbeddingHandler)):
        return handler
    if callable(getattr(handler, "transform_input", None)) and callable(
        getattr(handler, "transform_output", None)
    ):
        return LegacyEmbeddingHandler(handler)
    msg = (
        "`content_handler` must be an embeddings handler name "
        f"({', '.join(list_embedding_handlers())}) or an EmbeddingsContentHandler; "
        f"got {type(handler).__name__}."
    )
    raise ConfigurationError(msg)


def _mismatch(name: str, data: Any, why: str) -> ResponseParseError:
    snippet = json.dumps(data, default=str)[:300]
    msg = (
        f"The {name!r} embeddings handler cannot read the response: {why}. What to "
        "do: pick the handler matching the container "
        f"({', '.join(list_embedding_handlers())})."
    )
    return ResponseParseError(msg, snippet=snippet)


@register_embedding_handler("tei")
class TEIEmbeddings(EmbeddingHandler):
    """Hugging Face Text Embeddings Inference (``inputs`` -> list of vectors).

    Example:
        ```python
        SagemakerEndpointEmbeddings(endpoint_name="tei", content_handler="tei")
        ```
    """

    name: ClassVar[str] = "tei"

    def request_body(self, texts: list[str], params: Mapping[str, Any]) -> bytes:
        """``{"inputs": texts, **params}`` (e.g. ``normalize``, ``truncate``)."""
        return json.dumps({"inputs": texts, **params}).encode()

    def parse_vectors(self, data: Any) -> Any:
        """The response is the list of vectors."""
        if not isinstance(data, list):
            raise _mismatch(self.name, data, "expected a JSON list of vectors")
        return data


@register_embedding_handler("hf-toolkit")
class HFToolkitEmbeddings(EmbeddingHandler):
    """The HF inference toolkit's feature-extraction pipeline, pooled.

    Args:
        pooling: ``"mean"`` (average of the token vectors) or ``"cls"`` (the
            first token's vector).

    Example:
        ```python
        SagemakerEndpointEmbeddings(
            endpoint_name="hf", content_handler=get_embedding_handler(
                "hf-toolkit", pooling="cls"))
        ```
    """

    name: ClassVar[str] = "hf-toolkit"

    def __init__(self, pooling: Literal["mean", "cls"] = "mean") -> None:
        if pooling not in ("mean", "cls"):
            msg = f"`pooling` must be 'mean' or 'cls', got {pooling!r}."
            raise ConfigurationError(msg)
        self.pooling = pooling

    def request_body(self, texts: list[str], params: Mapping[str, Any]) -> bytes:
        """``{"inputs": texts}`` plus ``parameters`` if given."""
        body: dict[str, Any] = {"inputs": texts}
        if params:
            body["parameters"] = dict(params)
        return json.dumps(body).encode()

    def parse_vectors(self, data: Any) -> Any:
        """Pool token-level output to one vector per input."""
        if not isinstance(data, list):
            raise _mismatch(self.name, data, "expected a JSON list")
        return [self._pool(item) for item in data]

    def _pool(self, item: Any) -> Any:
        while (
            isinstance(item, list)
            and len(item) == 1
            and isinstance(item[0], list)
            and item[0]
            and isinstance(item[0][0], list)
        ):
            item = item[0]  # [1][tokens][hidden] -> [tokens][hidden]
        if not (isinstance(item, list) and item and isinstance(item[0], list)):
            return item  # already one vector
        if self.pooling == "cls":
            return item[0]
        width = len(item[0])
        return [sum(token[i] for token in item) / len(item) for i in range(width)]


@register_embedding_handler("jumpstart")
class JumpStartEmbeddings(EmbeddingHandler):
    """JumpStart text-embedding models (``text_inputs`` -> ``embedding``).

    Example:
        ```python
        SagemakerEndpointEmbeddings(endpoint_name="js", content_handler="jumpstart")
        ```
    """

    name: ClassVar[str] = "jumpstart"

    def request_body(self, texts: list[str], params: Mapping[str, Any]) -> bytes:
        """``{"text_inputs": texts, **params}``."""
        return json.dumps({"text_inputs": texts, **params}).encode()

    def parse_vectors(self, data: Any) -> Any:
        """Read ``embedding`` (a list of vectors)."""
        if not isinstance(data, dict) or "embedding" not in data:
            raise _mismatch(self.name, data, 'no "embedding" key')
        return data["embedding"]


@register_embedding_handler("openai")
class OpenAIEmbeddings(EmbeddingHandler):
    """OpenAI-compatible embeddings (vLLM, LMI): ``input`` -> ``data[].embedding``.

    Example:
        ```python
        SagemakerEndpointEmbeddings(endpoint_name="vllm", content_handler="openai")
        ```
    """

    name: ClassVar[str] = "openai"

    def request_body(self, texts: list[str], params: Mapping[str, Any]) -> bytes:
        """``{"input": texts, "encoding_format": "float", **params}``."""
        return json.dumps(
            {"input": texts, "encoding_format": "float", **params}
        ).encode()

    def parse_vectors(self, data: Any) -> Any:
        """Read ``data`` ordered by ``index``."""
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise _mismatch(self.name, data, 'no "data" list')
        items = sorted(data["data"], key=lambda d: d.get("index", 0))
        return [item.get("embedding") for item in items]
