"""``ChatSagemakerEndpoint``: a LangChain chat model over an Amazon SageMaker endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, Literal, cast

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.base import OutputParserLike
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import (
    Runnable,
    RunnableConfig,
    RunnableMap,
    RunnablePassthrough,
)
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from typing_extensions import Self

from langchain_sagemaker._base import (
    SagemakerEndpointBase,
    ls_params,
    private,
    signature_once,
)
from langchain_sagemaker._chat_handlers import (
    ChatDelta,
    ChatHandler,
    ChatModelContentHandler,
    ChatRequest,
    ToolCallDelta,
    get_chat_handler,
    list_chat_handlers,
    register_chat_handler,
    resolve_chat_handler,
)
from langchain_sagemaker._chat_messages import (
    collect_message,
    format_tools,
    json_schema_format,
    normalize_tool_choice,
)
from langchain_sagemaker._chat_openai import OpenAIChatDialect, TGIMessagesDialect
from langchain_sagemaker._chat_stream import ChatAssembler
from langchain_sagemaker._client import AsyncClients
from langchain_sagemaker._invoke import Call, arun, run
from langchain_sagemaker._stream import clean_stop

__all__ = [
    "ChatDelta",
    "ChatHandler",
    "ChatModelContentHandler",
    "ChatRequest",
    "ChatSagemakerEndpoint",
    "OpenAIChatDialect",
    "TGIMessagesDialect",
    "ToolCallDelta",
    "get_chat_handler",
    "list_chat_handlers",
    "register_chat_handler",
]

_METHODS = frozenset({"function_calling", "json_schema", "json_mode"})

_NOT_PARAMS = ("endpoint_kwargs", "tools", "tool_choice", "response_format", "stream")
"""Call kwargs that are not model parameters of the request body."""


class ChatSagemakerEndpoint(SagemakerEndpointBase, BaseChatModel):
    r"""A chat model hosted on an Amazon SageMaker real-time endpoint.

    Speaks the chat dialect of the model container: OpenAI chat completions
    (``"openai-chat"``: vLLM, LMI with the OpenAI schema, SGLang, llama.cpp) or
    Hugging Face TGI's Messages API (``"tgi-messages"``), or one you register.
    Shares the client, credentials, endpoint options, typed errors and stream
    engine of :class:`~langchain_sagemaker.SagemakerEndpoint`.

    Setup:
        ```bash
        pip install 'langchain-sagemaker[async]'
        ```
        Credentials come from boto3's default chain, a profile
        (``credentials_profile_name``), explicit keys, a role to assume
        (``role_arn``), or an injected ``client``.

    Key init args:
        endpoint_name: The SageMaker endpoint to call.
        content_handler: ``"openai-chat"`` (default), ``"tgi-messages"``, a
            ``ChatHandler``, or a langchain-aws ``ChatModelContentHandler``.
        region_name: The AWS region (else AWS_REGION / AWS_DEFAULT_REGION).
        temperature, max_tokens, top_p, stop: Common generation parameters.
        model_kwargs: Other parameters sent in every request body.

    Instantiate:
        ```python
        from langchain_sagemaker import ChatSagemakerEndpoint

        chat = ChatSagemakerEndpoint(
            endpoint_name="my-vllm-endpoint",
            region_name="us-west-2",
            content_handler="openai-chat",
            max_tokens=256,
            temperature=0,
        )
        ```

    Invoke:
        ```python
        messages = [
            ("system", "You are a terse assistant."),
            ("human", "What is the capital of France?"),
        ]
        chat.invoke(messages)
        # AIMessage(content="Paris.", response_metadata={"finish_reason": "stop",
        #   "model_name": "..."}, usage_metadata={"input_tokens": 25, ...})
        ```

    Stream:
        ```python
        for chunk in chat.stream("Tell me about SageMaker", stop=["\n\n"]):
            print(chunk.text, end="", flush=True)
        ```

    Async:
        ```python
        await chat.ainvoke("Hello")
        async for chunk in chat.astream("Hello"):
            ...
        ```

    Tool calling:
        ```python
        from pydantic import BaseModel, Field


        class GetWeather(BaseModel):
            '''Get the current weather in a city.'''

            city: str = Field(description="The city")


        chat_with_tools = chat.bind_tools([GetWeather], tool_choice="auto")
        msg = chat_with_tools.invoke("What is the weather in Paris?")
        msg.tool_calls
        # [{"name": "GetWeather", "args": {"city": "Paris"}, "id": "call_...",
        #   "type": "tool_call"}]
        ```

    Structured output:
        ```python
        structured = chat.with_structured_output(GetWeather)  # via tool calling
        structured.invoke("Weather in Oslo?")
        # GetWeather(city="Oslo")
        chat.with_structured_output(GetWeather, method="json_schema")
        ```

    Token usage:
        ```python
        chat.invoke("Hello").usage_metadata
        # {"input_tokens": 9, "output_tokens": 12, "total_tokens": 21}
        ```
    """

    content_handler: Any = "openai-chat"
    """The container's chat dialect.

    A registered name (see ``list_chat_handlers()``), a ``ChatHandler``, or a
    langchain-aws style ``ChatModelContentHandler`` (``transform_input`` /
    ``transform_output``). (default: ``"openai-chat"``)
    """

    streaming: bool = False
    """Whether ``invoke`` uses the response-stream API (callbacks get tokens)."""

    model_name: str | None = Field(default=None, alias="model")
    """The ``model`` sent in the body, if the container wants one.

    vLLM before 0.8 requires its served model name; TGI accepts ``"tgi"``.
    Not sent when unset.
    """

    temperature: float | None = None
    """Sampling temperature; 0 is greedy decoding."""

    max_tokens: int | None = Field(default=None, ge=1)
    """The most tokens to generate."""

    top_p: float | None = None
    """Nucleus sampling probability mass."""

    stop: list[str] | None = None
    """Default stop sequences, matched literally (a call's ``stop`` wins)."""

    model_kwargs: dict[str, Any] | None = None
    """Other parameters for the request body (the call's kwargs win)."""

    max_retries: int | None = Field(default=None, ge=0)
    """Retries of a throttled or failed request (botocore ``total_max_attempts - 1``).

    A ``retries`` setting in ``config`` wins. (default: the package's,
    botocore's ``standard`` retry mode)
    """

    model_config = ConfigDict(
        extra="forbid", arbitrary_types_allowed=True, populate_by_name=True
    )

    _handler: ChatHandler = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _standard_params(cls, values: Any) -> Any:
        """Accept LangChain's standard ``timeout`` and ``max_retries``.

        ``timeout`` sets ``read_timeout``; ``max_retries`` sets the botocore
        retry attempts under any ``config`` given.
        """
        if not isinstance(values, dict):
            return values
        values = dict(values)
        timeout = values.pop("timeout", None)
        if timeout is not None:
            values.setdefault("read_timeout", timeout)
        retries = values.get("max_retries")
        if isinstance(retries, int) and not isinstance(retries, bool) and retries >= 0:
            from botocore.config import Config

            ours = Config(
                retries={"mode": "standard", "total_max_attempts": retries + 1}
            )
            given = values.get("config")
            if given is None:
                values["config"] = ours
            elif isinstance(given, Config):
                values["config"] = ours.merge(given)
        return values

    @model_validator(mode="after")
    def _resolve_handler(self) -> Self:
        """Resolve the chat handler once (a name becomes a handler)."""
        self._handler = resolve_chat_handler(self.content_handler)
        return self

    @property
    def _llm_type(self) -> str:
        return "amazon_sagemaker_chat"

    @property
    def _identifying_params(self) -> Mapping[str, Any]:
        return {
            "endpoint_name": self.endpoint_name,
            "inference_component_name": self.inference_component_name,
            "content_handler": self._handler.name or repr(self._handler),
            "model_kwargs": self._default_params(),
        }

    def _get_ls_params(
        self, stop: list[str] | None = None, **kwargs: Any
    ) -> LangSmithParams:
        return ls_params(
            "chat",
            self.endpoint_name,
            self._model_params(kwargs),
            stop=stop if stop is not None else self.stop,
            model=kwargs.get("model"),
        )

    # -- request building (pure) -------------------------------------------

    def _default_params(self) -> dict[str, Any]:
        fields = {
            "model": self.model_name,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
        }
        params = {k: v for k, v in fields.items() if v is not None}
        return {**params, **(self.model_kwargs or {})}

    def _model_params(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        params = {**self._default_params(), **kwargs}
        for key in _NOT_PARAMS:
            params.pop(key, None)
        return params

    def _prepare(
        self,
        messages: Sequence[BaseMessage],
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
        *,
        stream: bool,
    ) -> Call[AIMessageChunk]:
        self._require_endpoint_name()
        handler: ChatHandler = private(self, "_handler")
        stops = clean_stop(stop if stop is not None else self.stop)
        tools = kwargs.get("tools")
        formatted = format_tools(tools) if tools else None
        request = ChatRequest(
            messages=list(messages),
            params=self._model_params(kwargs),
            stop=stops,
            stream=stream,
            tools=formatted,
            tool_choice=normalize_tool_choice(kwargs.get("tool_choice"), formatted),
            response_format=_response_format(kwargs.get("response_format")),
        )
        call = self._call_params(
            handler.content_type,
            handler.accepts,
            stream=stream,
            overrides=kwargs.get("endpoint_kwargs"),
            Body=handler.request_body(request),
        )
        assembler = ChatAssembler(handler, stops, model_name=self.endpoint_name)
        return Call(call, assembler, stream, self.endpoint_name)

    # -- the one I/O loop ---------------------------------------------------

    def _chunks(
        self,
        messages: Sequence[BaseMessage],
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
        *,
        stream: bool,
    ) -> Iterator[AIMessageChunk]:
        """Call the endpoint and yield message chunks (see ``_invoke.run``)."""
        return run(self.client, self._prepare(messages, stop, kwargs, stream=stream))

    def _achunks(
        self,
        messages: Sequence[BaseMessage],
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
        *,
        stream: bool,
        clients: AsyncClients,
    ) -> AsyncIterator[AIMessageChunk]:
        """The async twin of ``_chunks`` (see ``_invoke.arun``)."""
        return arun(clients, self._prepare(messages, stop, kwargs, stream=stream))

    # -- LangChain's entry points ------------------------------------------------

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Stream the answer through ``invoke_endpoint_with_response_stream``.

        Text, tool-call pieces, and a last chunk with ``usage_metadata`` and
        ``response_metadata``. Stop sequences are matched literally, across
        chunk boundaries; the stream is closed at the first one.
        """
        for chunk in self._chunks(messages, stop, kwargs, stream=True):
            generation = ChatGenerationChunk(message=chunk)
            if run_manager is not None:
                run_manager.on_llm_new_token(generation.text, chunk=generation)
            yield generation

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """Async ``_stream``: native aiobotocore when available, else threads."""
        clients = self._native_async()
        if clients is None:
            async for generation in super()._astream(
                messages, stop, run_manager, **kwargs
            ):
                yield generation
            return
        async for chunk in self._achunks(
            messages, stop, kwargs, stream=True, clients=clients
        ):
            generation = ChatGenerationChunk(message=chunk)
            if run_manager is not None:
                await run_manager.on_llm_new_token(generation.text, chunk=generation)
            yield generation

    @signature_once
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Call ``invoke_endpoint`` and read the whole answer.

        The same chunks as a stream, joined; tool-call arguments are parsed
        strictly (invalid JSON becomes an entry of ``invalid_tool_calls``).
        """
        chunks = list(self._chunks(messages, stop, kwargs, stream=False))
        return _result(collect_message(chunks))

    @signature_once
    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Async ``_generate``: native aiobotocore when available, else threads."""
        clients = self._native_async()
        if clients is None:
            return await super()._agenerate(messages, stop, run_manager, **kwargs)
        chunks = [
            chunk
            async for chunk in self._achunks(
                messages, stop, kwargs, stream=False, clients=clients
            )
        ]
        return _result(collect_message(chunks))

    def batch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any | None,
    ) -> list[AIMessage]:
        """``Runnable.batch`` with at most ``max_concurrency`` calls in flight."""
        return super().batch(
            inputs,
            self._limited(config),
            return_exceptions=return_exceptions,
            **kwargs,
        )

    async def abatch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any | None,
    ) -> list[AIMessage]:
        """``Runnable.abatch`` with at most ``max_concurrency`` calls in flight."""
        return await super().abatch(
            inputs,
            self._limited(config),
            return_exceptions=return_exceptions,
            **kwargs,
        )

    def _limited(
        self, config: RunnableConfig | list[RunnableConfig] | None
    ) -> RunnableConfig | list[RunnableConfig]:
        """The config(s) with ``max_concurrency`` capped at the model's."""

        def one(given: RunnableConfig | None) -> RunnableConfig:
            out = RunnableConfig(**(given or {}))
            asked = out.get("max_concurrency")
            out["max_concurrency"] = (
                min(asked, self.max_concurrency) if asked else self.max_concurrency
            )
            return out

        if isinstance(config, list):
            return [one(c) for c in config]
        return one(config)

    # -- tools and structured output ---------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools the model may call.

        Args:
            tools: LangChain tools, pydantic models, TypedDicts, functions, or
                OpenAI tool dicts (converted with ``convert_to_openai_tool``).
            tool_choice: ``"auto"``, ``"none"``, ``"any"`` / ``"required"``
                (sent as ``"required"``), a tool name, ``True`` (the only tool),
                or an OpenAI ``tool_choice`` dict.
            strict: Ask for arguments that follow the schemas exactly (sent
                as each function's ``strict``; servers may ignore it).
            parallel_tool_calls: Sent as ``parallel_tool_calls`` when set.
            **kwargs: Other parameters bound for each call (e.g.
                ``response_format``).

        Returns:
            A runnable that returns an ``AIMessage`` with ``tool_calls``.

        Example:
            ```python
            chat.bind_tools([get_weather], tool_choice="any").invoke("Oslo?")
            ```
        """
        formatted = format_tools(tools, strict=strict)
        choice = normalize_tool_choice(tool_choice, formatted)
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal[
            "function_calling", "json_schema", "json_mode"
        ] = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Return a runnable whose output follows ``schema``.

        Args:
            schema: A pydantic model, TypedDict, JSON schema, or OpenAI tool
                schema. Pydantic models give validated instances; the others
                give dicts.
            method: ``"function_calling"`` (a forced tool call),
                ``"json_schema"`` (``response_format`` with the schema: OpenAI's
                for ``openai-chat``, ``{"type": "json", "value": schema}`` for
                ``tgi-messages``), or ``"json_mode"`` (any JSON object; the
                prompt must describe the shape).
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead
                of raising on a parsing error.
            strict: Ask the server to follow the schema exactly.
            **kwargs: Not accepted.

        Returns:
            A runnable returning the parsed output (or the dict above).

        Raises:
            ValueError: For an unknown ``method``, a missing schema, or extra
                kwargs.

        Example:
            ```python
            chat.with_structured_output(Person, method="json_schema").invoke(
                "Anna is 31."
            )
            # Person(name="Anna", age=31)
            ```
        """
        if kwargs:
            msg = f"Received unsupported arguments {kwargs}"
            raise ValueError(msg)
        if method not in _METHODS:
            msg = (
                f"Unknown method {method!r}: use 'function_calling', "
                "'json_schema' or 'json_mode'."
            )
            raise ValueError(msg)
        if schema is None and method != "json_mode":
            msg = f"`schema` is required for method={method!r}."
            raise ValueError(msg)
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        llm: Runnable[LanguageModelInput, AIMessage]
        parser: OutputParserLike[Any]
        if method == "function_calling" and schema is not None:
            name = convert_to_openai_tool(schema)["function"]["name"]
            llm = self.bind_tools(
                [schema],
                tool_choice=name,
                strict=strict,
                ls_structured_output_format=trace,
            )
            if is_pydantic:
                parser = PydanticToolsParser(
                    tools=[cast("type[BaseModel]", schema)], first_tool_only=True
                )
            else:
                parser = JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
        else:
            response_format = (
                json_schema_format(schema, strict=strict)
                if method == "json_schema" and schema is not None
                else {"type": "json_object"}
            )
            llm = self.bind(
                response_format=response_format, ls_structured_output_format=trace
            )
            parser = (
                PydanticOutputParser(pydantic_object=cast("type[BaseModel]", schema))
                if is_pydantic
                else JsonOutputParser()
            )
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        none = RunnablePassthrough.assign(parsed=lambda _: None)
        fallback = parsed.with_fallbacks([none], exception_key="parsing_error")
        return RunnableMap(raw=llm) | fallback


def _response_format(value: Any) -> dict[str, Any] | None:
    """A ``response_format`` dict; a schema (pydantic model...) becomes OpenAI's."""
    if value is None or isinstance(value, dict):
        return value
    return json_schema_format(value)


def _result(message: AIMessage) -> ChatResult:
    info = {
        k: message.response_metadata[k]
        for k in ("finish_reason", "model_name")
        if k in message.response_metadata
    }
    generation = ChatGeneration(message=message, generation_info=info or None)
    output: dict[str, Any] = {}
    if message.usage_metadata:
        usage = message.usage_metadata
        output["token_usage"] = {
            "prompt_tokens": usage["input_tokens"],
            "completion_tokens": usage["output_tokens"],
            "total_tokens": usage["total_tokens"],
        }
    if "model_name" in info:
        output["model_name"] = info["model_name"]
    return ChatResult(generations=[generation], llm_output=output or None)
