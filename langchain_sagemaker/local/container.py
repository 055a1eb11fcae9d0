"""The SageMaker model-container contract, independent of any serving dialect.

SageMaker hosting forwards an ``InvokeEndpoint`` body to the model container as
``POST /invocations`` (with ``Content-Type``, ``Accept`` and the
``X-Amzn-SageMaker-*`` headers the caller set) and relays the container's
status, content type and body back. A :class:`Container` is that contract as
an in-process object: it takes a :class:`ContainerRequest` and answers with a
:class:`ContainerResponse` holding either a whole body or an async iterator of
body chunks (for a container that streams, e.g. TGI with ``"stream": true``).

Serving dialects (Hugging Face TGI now; OpenAI-style, LMI or JumpStart later)
are sibling modules that implement :class:`Container`; :func:`get_container`
builds one by name over a :class:`~langchain_sagemaker.local.models.base.Model`.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from langchain_sagemaker.local.models.base import Model

__all__ = [
    "Container",
    "ContainerFactory",
    "ContainerRequest",
    "ContainerResponse",
    "available_containers",
    "get_container",
    "register_container",
]


@dataclass(frozen=True)
class ContainerRequest:
    """One ``POST /invocations`` as SageMaker hands it to a model container.

    Attributes:
        body: The raw request body (``InvokeEndpoint``'s ``Body``).
        content_type: The ``Content-Type`` the caller sent, if any.
        accept: The ``Accept`` the caller asked for, if any.
        custom_attributes: ``X-Amzn-SageMaker-Custom-Attributes``, if any.
        headers: Further ``X-Amzn-SageMaker-*`` headers SageMaker forwards
            (target model, inference id, ...), by their HTTP names.
    """

    body: bytes
    content_type: str | None = None
    accept: str | None = None
    custom_attributes: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ContainerResponse:
    """What a model container answered.

    Exactly one of ``body`` and ``stream`` carries the content: a container
    that streams (``stream`` set) has produced only its status and headers so
    far, and the chunks arrive as the model generates them.

    Attributes:
        status: HTTP status of the container's answer.
        content_type: The container's ``Content-Type``.
        body: The whole body, for a non-streaming answer.
        stream: The body's chunks, for a streaming answer.
        custom_attributes: ``X-Amzn-SageMaker-Custom-Attributes`` the
            container set on its answer, if any.
    """

    status: int
    content_type: str
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None
    custom_attributes: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the status is a 2xx."""
        return 200 <= self.status < 300

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the body: the stream's chunks, or the whole body once.

        Yields:
            Non-empty pieces of the body, in order.
        """
        if self.stream is None:
            if self.body:
                yield self.body
            return
        async for chunk in self.stream:
            if chunk:
                yield chunk

    async def read(self) -> bytes:
        """Return the whole body, draining the stream if there is one."""
        return b"".join([chunk async for chunk in self.chunks()])

    async def aclose(self) -> None:
        """Release the stream without reading the rest of it."""
        aclose = getattr(self.stream, "aclose", None)
        if aclose is not None:
            await aclose()


@runtime_checkable
class Container(Protocol):
    """A model container speaking one serving dialect."""

    #: Registry name of the dialect, e.g. ``"tgi"``.
    dialect: str

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Answer one ``POST /invocations``."""
        ...

    async def ping(self) -> bool:
        """Answer SageMaker's ``GET /ping`` health check."""
        ...

    async def close(self) -> None:
        """Release what the container holds (sessions, tasks)."""
        ...


#: Builds a container of one dialect over a model, with dialect options.
ContainerFactory = Callable[..., Container]

# Built-in dialects, imported on first use so that the dialect modules may
# import this one.
_BUILTIN: dict[str, str] = {
    "tgi": "langchain_sagemaker.local.tgi:TGIContainer",
    "tgi-messages": "langchain_sagemaker.local.tgi_messages:TGIMessagesContainer",
    "openai": "langchain_sagemaker.local.openai:OpenAIContainer",
    "lmi": "langchain_sagemaker.local.lmi:LMIContainer",
    "hf-toolkit": "langchain_sagemaker.local.hf_toolkit:HFToolkitContainer",
    "jumpstart-flan-t5": "langchain_sagemaker.local.jumpstart:JumpStartFlanT5Container",
    "jumpstart-llama": "langchain_sagemaker.local.jumpstart:jumpstart_llama",
    "jumpstart-mistral": "langchain_sagemaker.local.jumpstart:JumpStartMistralContainer",
    "jumpstart-falcon": "langchain_sagemaker.local.jumpstart:JumpStartFalconContainer",
    "scripted": "langchain_sagemaker.local.scripted:ScriptedContainer",
    "scripted-tgi": "langchain_sagemaker.local.scripted:_tgi_scripted",
    "tei": "langchain_sagemaker.local.embeddings:TEIContainer",
    "hf-toolkit-embeddings": "langchain_sagemaker.local.embeddings:HFToolkitEmbeddingsContainer",
    "jumpstart-embeddings": "langchain_sagemaker.local.embeddings:JumpStartEmbeddingsContainer",
    "openai-embeddings": "langchain_sagemaker.local.embeddings:OpenAIEmbeddingsContainer",
}
_REGISTRY: dict[str, ContainerFactory] = {}


def register_container(name: str, factory: ContainerFactory) -> None:
    """Register a container dialect under ``name``.

    Args:
        name: The name :func:`get_container` will accept.
        factory: Called as ``factory(model, **options)``.
    """
    _REGISTRY[name] = factory


def available_containers() -> list[str]:
    """Return the names :func:`get_container` accepts, sorted."""
    return sorted({*_BUILTIN, *_REGISTRY})


def get_container(name: str, model: Model, **options: Any) -> Container:
    """Build a container of dialect ``name`` serving ``model``.

    Args:
        name: A dialect name, see :func:`available_containers`.
        model: The model that generates the tokens.
        **options: Dialect options (for ``"tgi"`` see
            :class:`~langchain_sagemaker.local.tgi.TGIContainer`).

    Returns:
        The container.

    Raises:
        KeyError: If no dialect has that name.
    """
    factory = _REGISTRY.get(name)
    if factory is None:
        target = _BUILTIN.get(name)
        if target is None:
            raise KeyError(
                f"unknown container {name!r}; available: {available_containers()}"
            )
        module_name, _, attribute = target.partition(":")
        factory = getattr(importlib.import_module(module_name), attribute)
        _REGISTRY[name] = factory
    return factory(model, **options)
