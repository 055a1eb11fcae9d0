"""``SagemakerEndpoint``: a LangChain LLM over an Amazon SageMaker endpoint."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import LLM
from langchain_core.language_models.base import LangSmithParams
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from langchain_core.runnables.config import ContextThreadPoolExecutor, run_in_executor
from pydantic import (
    ConfigDict,
    Field,
    PrivateAttr,
    model_validator,
)
from typing_extensions import Self

from langchain_sagemaker._base import (
    SagemakerEndpointBase,
    ls_params,
    merge_model_kwargs,
    private,
    signature_once,
)
from langchain_sagemaker._client import AsyncClients
from langchain_sagemaker._invoke import Call, Reader, arun, run
from langchain_sagemaker._stream import (
    Assembler,
    LineIterator,
    clean_stop,
    enforce_stop_tokens,
)
from langchain_sagemaker.errors import ConfigurationError, translate_error
from langchain_sagemaker.handlers import (
    ContentHandlerBase,
    LegacyHandler,
    LLMContentHandler,
    ModelHandler,
    resolve_handler,
)

__all__ = [
    "ContentHandlerBase",
    "LLMContentHandler",
    "LineIterator",
    "SagemakerEndpoint",
    "enforce_stop_tokens",
]

logger = logging.getLogger(__name__)


class SagemakerEndpoint(SagemakerEndpointBase, LLM):
    r"""An LLM hosted on an Amazon SageMaker real-time endpoint.

    A drop-in for ``langchain_aws.llms.SagemakerEndpoint`` and
    ``langchain_community.llms.SagemakerEndpoint``: the same arguments, the same
    ``LLMContentHandler`` contract and the same calls on the boto3 client. It
    adds built-in content handlers chosen by name, literal stop sequences
    applied across stream chunks, typed errors that keep partial output, and
    token usage where the container reports it.

    Setup:
        ```bash
        pip install langchain-sagemaker
        ```
        Credentials come from boto3's default chain, a profile
        (``credentials_profile_name``), explicit keys, or an injected ``client``.

    Key init args:
        endpoint_name: The SageMaker endpoint to call.
        content_handler: A built-in handler name (``"tgi"``) or an
            ``LLMContentHandler`` instance.
        region_name: The AWS region (else AWS_REGION / AWS_DEFAULT_REGION).
        model_kwargs: Parameters sent to the model with every call.

    Instantiate:
        ```python
        from langchain_sagemaker import SagemakerEndpoint

        llm = SagemakerEndpoint(
            endpoint_name="my-llm",
            region_name="us-west-2",
            content_handler="tgi",
            model_kwargs={"max_new_tokens": 128},
        )
        ```

    Invoke:
        ```python
        llm.invoke("How long was Elizabeth hospitalized?")
        ```

    Stream:
        ```python
        for token in llm.stream("Tell me about SageMaker", stop=["\n\n"]):
            print(token, end="", flush=True)
        ```

    Async:
        ```python
        await llm.ainvoke("Hello")
        ```
    """

    content_handler: Any = "tgi"
    """How prompts become request bodies and responses become text.

    A built-in handler name (see ``list_handlers()``), a ``ModelHandler``, or
    an ``LLMContentHandler`` with ``transform_input`` / ``transform_output``.
    (default: ``"tgi"``)
    """

    streaming: bool = False
    """Whether ``invoke`` uses the response-stream API (callbacks get tokens)."""

    model_kwargs: dict[str, Any] | None = None
    """Parameters for the model, merged with per-call kwargs (the call wins)."""

    max_input_tokens: int | None = Field(default=None, ge=1)
    """The model's input limit in tokens, if you know it.

    ``load_qa_chain`` uses it: the stuff chain refuses a prompt that cannot
    fit (``PromptTooLongError``) and map_reduce / refine split documents to fit.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    _handler: ModelHandler | LegacyHandler = PrivateAttr()

    @model_validator(mode="after")
    def _resolve_handler(self) -> Self:
        """Resolve the content handler once (a name becomes a handler)."""
        self._handler = resolve_handler(self.content_handler)
        return self

    @property
    def _llm_type(self) -> str:
        return "sagemaker_endpoint"

    @property
    def _identifying_params(self) -> Mapping[str, Any]:
        return {
            "endpoint_name": self.endpoint_name,
            "inference_component_name": self.inference_component_name,
            "model_kwargs": self.model_kwargs or {},
        }

    def _get_ls_params(
        self, stop: list[str] | None = None, **kwargs: Any
    ) -> LangSmithParams:
        return ls_params(
            "llm",
            self.endpoint_name,
            self._model_params(kwargs),
            stop=stop,
            model=kwargs.get("model"),
        )

    # -- request building (pure) -------------------------------------------

    def _model_params(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        return merge_model_kwargs(self.model_kwargs, kwargs)

    def _prepare(
        self,
        prompt: str,
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
        *,
        stream: bool,
    ) -> Call[GenerationChunk]:
        self._require_endpoint_name()
        handler: ModelHandler | LegacyHandler = private(self, "_handler")
        params = self._model_params(kwargs)
        stops = clean_stop(stop)
        if isinstance(handler, LegacyHandler):
            body = handler.request_body(prompt, params)
        else:
            body = handler.request_body(prompt, params, stop=stops, stream=stream)
        call = self._call_params(
            handler.content_type,
            handler.accepts,
            stream=stream,
            overrides=kwargs.get("endpoint_kwargs"),
            Body=body,
        )
        return Call(call, Assembler(handler, stops), stream, self.endpoint_name)

    # -- the one I/O loop ---------------------------------------------------

    def _chunks(self, call: Call[GenerationChunk]) -> Iterator[GenerationChunk]:
        """Make the prepared call with the boto3 client (see ``_invoke.run``)."""
        return run(self.client, call)

    def _achunks(
        self, call: Call[GenerationChunk], clients: AsyncClients
    ) -> AsyncIterator[GenerationChunk]:
        """Make the prepared call with aiobotocore (see ``_invoke.arun``)."""
        return arun(clients, call)

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        """Stream the completion through ``invoke_endpoint_with_response_stream``.

        Stop sequences are matched literally, across chunk boundaries; the
        stream is closed at the first one. The last chunk carries
        ``generation_info`` (finish reason, token usage) when the container
        reported them.
        """
        call = self._prepare(prompt, stop, kwargs, stream=True)
        running = _RunningText(call.reader)
        for chunk in self._chunks(call):
            if chunk.text and run_manager is not None:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield running.wrap(chunk)
        yield from running.finish()

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        """Async ``_stream``: native aiobotocore when available, else threads."""
        clients = self._native_async()
        if clients is None:
            async for chunk in super()._astream(prompt, stop, run_manager, **kwargs):
                yield chunk
            return
        call = self._prepare(prompt, stop, kwargs, stream=True)
        running = _RunningText(call.reader)
        async for chunk in self._achunks(call, clients):
            if chunk.text and run_manager is not None:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield running.wrap(chunk)
        for chunk in running.finish():
            yield chunk

    def _generate_one(
        self,
        prompt: str,
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
        kwargs: Mapping[str, Any],
    ) -> Generation:
        if self.streaming:
            return _collect(self._stream(prompt, stop, run_manager, **kwargs))
        return _collect(self._chunks(self._prepare(prompt, stop, kwargs, stream=False)))

    async def _agenerate_one(
        self,
        prompt: str,
        stop: list[str] | None,
        run_manager: AsyncCallbackManagerForLLMRun | None,
        kwargs: Mapping[str, Any],
        clients: AsyncClients,
    ) -> Generation:
        chunks = (
            self._astream(prompt, stop, run_manager, **kwargs)
            if self.streaming
            else self._achunks(
                self._prepare(prompt, stop, kwargs, stream=False), clients
            )
        )
        return _collect([chunk async for chunk in chunks])

    @signature_once
    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        """Generate for each prompt, up to ``max_concurrency`` at once, in order."""

        def one(prompt: str) -> Generation:
            return self._generate_one(prompt, stop, run_manager, kwargs)

        if len(prompts) <= 1:
            generations = [one(p) for p in prompts]
        else:
            workers = min(len(prompts), self.max_concurrency)
            with ContextThreadPoolExecutor(max_workers=workers) as pool:
                generations = list(pool.map(one, prompts))
        rows = [[g] for g in generations]
        return LLMResult(generations=rows, llm_output=_llm_output(rows))

    @signature_once
    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        """Async ``_generate``: concurrent requests on one aiobotocore client."""
        clients = self._native_async()
        if clients is None:
            return await run_in_executor(
                None,
                self._generate,
                prompts,
                stop,
                run_manager.get_sync() if run_manager else None,
                **kwargs,
            )
        gate = asyncio.Semaphore(self.max_concurrency)

        async def one(prompt: str) -> Generation:
            async with gate:
                return await self._agenerate_one(
                    prompt, stop, run_manager, kwargs, clients
                )

        generations = await asyncio.gather(*(one(p) for p in prompts))
        rows = [[g] for g in generations]
        return LLMResult(generations=rows, llm_output=_llm_output(rows))

    def open_session(self, prompt: str = "", **kwargs: Any) -> str:
        """Open a stateful session on the endpoint and return its id.

        Sends ``prompt`` with ``SessionId="NEW_SESSION"``; the endpoint answers
        with a new session id. Use it with ``llm.model_copy(update={"session_id":
        session_id})`` so later calls reach the same model instance.

        Example:
            ```python
            session = llm.open_session("You are a helpful assistant.")
            chat = llm.model_copy(update={"session_id": session})
            ```
        """
        call = self._prepare(prompt, None, kwargs, stream=False)
        call.params["SessionId"] = "NEW_SESSION"
        try:
            response = self.client.invoke_endpoint(**call.params)
        except Exception as exc:
            raise translate_error(exc, endpoint_name=self.endpoint_name) from exc
        close = getattr(response.get("Body"), "close", None)
        if callable(close):
            close()
        new = str(response.get("NewSessionId") or "")
        if not new:
            msg = (
                f"Endpoint {self.endpoint_name!r} did not open a session (no "
                "NewSessionId in the answer): its container may not support "
                "stateful sessions."
            )
            raise ConfigurationError(msg)
        return new.split(";", 1)[0].strip()

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        """Call the endpoint and return the generated text."""
        return self._generate_one(prompt, stop, run_manager, kwargs).text


class _RunningChunk(GenerationChunk):
    """The first chunk of a stream, which ``+=`` extends in constant time.

    langchain-core's ``BaseLLM.stream`` adds every chunk onto the first one
    (``generation += chunk``); ``GenerationChunk.__add__`` rebuilds the whole
    text each time, which is quadratic in the stream's length. Here ``+=``
    only merges ``generation_info``, and :meth:`seal` sets the full text once,
    from the assembler that already holds it, before ``on_llm_end`` reads it.
    """

    def __iadd__(self, other: GenerationChunk) -> _RunningChunk:
        if other.generation_info:
            self.generation_info = {
                **(self.generation_info or {}),
                **other.generation_info,
            }
        return self


class _RunningText:
    """Wraps a stream's chunks so that langchain-core accumulates them linearly."""

    def __init__(self, assembler: Reader[GenerationChunk]) -> None:
        self._assembler = assembler
        self._first: _RunningChunk | None = None

    def wrap(self, chunk: GenerationChunk) -> GenerationChunk:
        """Return the chunk to yield (the first one becomes a ``_RunningChunk``)."""
        if self._first is not None:
            return chunk
        self._first = _RunningChunk(
            text=chunk.text, generation_info=chunk.generation_info
        )
        return self._first

    def finish(self) -> list[GenerationChunk]:
        """End of stream: seal the running text; an empty stream yields one chunk."""
        if self._first is None:
            return [GenerationChunk(text="")]
        self._first.text = self._assembler.text
        return []


def _collect(chunks: Iterable[GenerationChunk]) -> Generation:
    """Join chunks into one generation (text joined once, info merged)."""
    parts: list[str] = []
    info: dict[str, Any] = {}
    for chunk in chunks:
        parts.append(chunk.text)
        info.update(chunk.generation_info or {})
    return Generation(text="".join(parts), generation_info=info or None)


def _llm_output(generations: list[list[Generation]]) -> dict[str, Any] | None:
    """Sum the token usage the container reported across generations."""
    total: dict[str, int] = {}
    for row in generations:
        for gen in row:
            usage = (gen.generation_info or {}).get("token_usage") or {}
            for key, value in usage.items():
                total[key] = total.get(key, 0) + int(value)
    return {"token_usage": total} if total else None
