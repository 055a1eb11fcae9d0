r"""An OpenAI-compatible model container as vLLM serves it on SageMaker.

SageMaker images that speak the OpenAI schema on ``/invocations`` (the vLLM
image, LMI with the OpenAI schema, SGLang) answer like vLLM's
``vllm/entrypoints/openai/api_server.py``. This module follows vLLM 0.8.x
(V1 engine, errors as ``{"object": "error", ...}``), read from the
vllm-project/vllm sources:

* ``api_server.py`` ``invocations``: the body must be ``application/json``
  (``validate_json_request``); a body that is not JSON is FastAPI's
  ``{"detail": "JSON decode error: ..."}`` (400); otherwise it is validated as
  a ``ChatCompletionRequest``, then as a ``CompletionRequest``, and the first
  that validates is served. A body neither validates as is answered
  ``Cannot find suitable handler for request. Expected one of:
  ['ChatCompletionRequest', 'CompletionRequest']`` (400) -- which is how a
  ``stream_options`` without ``"stream": true`` is refused here (the
  ``validate_stream_options`` model validator of both request types).
* ``protocol.py``: request fields and defaults (``max_tokens`` is 16 for
  completions and "up to the context length" for chat; ``stop`` is a string
  or a list; ``StreamOptions.include_usage`` defaults to true once
  ``stream_options`` is given), the response models and their field order,
  ``ErrorResponse`` (``object``, ``message``, ``type``, ``param``, ``code``).
* ``serving_chat.py`` / ``serving_completion.py``: non-streaming answers are
  ``model_dump()`` (every field, nulls included); streaming answers are
  ``data: {json}\n\n`` events and ``data: [DONE]\n\n``. Chat chunks are
  ``model_dump_json(exclude_unset=True)`` (a first chunk carries the role and
  ``""``; the last carries ``finish_reason`` and ``stop_reason``; there is no
  ``usage`` key unless asked for), completion chunks are
  ``model_dump_json(exclude_unset=False)`` (``"usage":null`` on each). With
  ``stream_options.include_usage`` a last chunk has ``"choices":[]`` and the
  usage. An error met while streaming is an event
  ``{"error": {...}}`` (written with ``json.dumps`` defaults) before
  ``data: [DONE]``.
* ``serving_engine.py`` ``_validate_input``: the context-length messages;
  ``sampling_params.py`` ``_verify_args``: the parameter checks and messages
  (``top_p`` must be in (0, 1]; ``max_tokens`` at least 1...).
* ``vllm/v1/engine/detokenizer.py``: stop strings are searched in each new
  piece of text, cut from the output (unless ``include_stop_str_in_output``)
  and reported as ``stop_reason``; while streaming, the last
  ``max(len(stop)) - 1`` characters are held back until the end.
  ``vllm/v1/core/sched/utils.py`` ``check_stop``: the token budget is checked
  before EOS, and the EOS token is counted in ``completion_tokens`` (its text
  is empty).

The chat model answers the content of the last user message; the prompt is
measured on a plain rendering of all messages (the local "chat template").
Only text is modelled: ``logprobs`` are accepted and answered ``null``,
prompts given as token ids are refused, tools with ``tool_choice="auto"``
are refused as by a server started without ``--enable-auto-tool-choice``,
and other tool choices (``"required"``, a named tool), which vLLM answers
with constrained tool calls, are refused with a local message (400).

``error_format="nested"`` answers errors as newer vLLM does (0.10.1 and
later): ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_sagemaker.local._vllm import (
    Invalid,
    Rejected,
    check_error_format,
    error_dict,
    error_response,
    lax_bool,
    lax_float,
    lax_int,
    parse_request,
)
from langchain_sagemaker.local.common import (
    DialectBase,
    Step,
    StopRule,
    compact_json,
    count_tokens,
    decode,
    python_json,
    sse_event,
    synth_token,
)
from langchain_sagemaker.local.container import ContainerRequest, ContainerResponse
from langchain_sagemaker.local.models.base import Model

__all__ = ["OpenAIContainer"]

_JSON = "application/json"
_SSE = "text/event-stream; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"
_PREFIX = b"data: "
_DONE = b"data: [DONE]\n\n"
_HANDLERS = ["ChatCompletionRequest", "CompletionRequest"]
_I64 = 2**63


# --- pydantic-style field coercion (lax mode) -------------------------------------


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid
    return value


def _opt(raw: dict[str, Any], key: str, convert: Any, default: Any = None) -> Any:
    # An Optional field: absent or null is the default SamplingParams applies.
    value = raw.get(key)
    return default if value is None else convert(value)


def _req(raw: dict[str, Any], key: str, convert: Any, default: Any) -> Any:
    # A non-Optional field with a default: null is a validation error.
    if key not in raw:
        return default
    if raw[key] is None:
        raise Invalid
    return convert(raw[key])


def _stop(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return list(value)
    raise Invalid


@dataclass
class _StreamOptions:
    include_usage: bool = True
    continuous_usage_stats: bool = False


@dataclass
class _Sampling:
    """The fields both request types share, as ``SamplingParams`` sees them."""

    model: str | None = None
    n: int = 1
    best_of: int | None = None
    max_tokens: int | None = None
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = -1
    min_p: float = 0.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    repetition_penalty: float = 1.0
    seed: int | None = None
    stop: list[str] = field(default_factory=list)
    include_stop_str_in_output: bool = False
    ignore_eos: bool = False
    min_tokens: int = 0
    logprobs: int | None = None
    stream: bool = False
    stream_options: _StreamOptions | None = None


def _common(raw: dict[str, Any]) -> _Sampling:
    """Validate the fields chat and completion requests have in common."""
    stream_options = raw.get("stream_options")
    if stream_options and not raw.get("stream"):
        # validate_stream_options (a model_validator(mode="before"))
        raise Invalid
    options = None
    if stream_options is not None:
        if not isinstance(stream_options, dict):
            raise Invalid
        options = _StreamOptions(
            include_usage=bool(_opt(stream_options, "include_usage", lax_bool, True)),
            continuous_usage_stats=bool(
                _opt(stream_options, "continuous_usage_stats", lax_bool, False)
            ),
        )
    seed = _opt(raw, "seed", lax_int)
    if seed is not None and not -_I64 <= seed < _I64:
        raise Invalid
    stop = _opt(raw, "stop", _stop, [])
    return _Sampling(
        model=_opt(raw, "model", _str),
        best_of=_opt(raw, "best_of", lax_int),
        temperature=_opt(raw, "temperature", lax_float, 1.0),
        top_p=_opt(raw, "top_p", lax_float, 1.0),
        top_k=_opt(raw, "top_k", lax_int, -1),
        min_p=_opt(raw, "min_p", lax_float, 0.0),
        presence_penalty=_opt(raw, "presence_penalty", lax_float, 0.0),
        frequency_penalty=_opt(raw, "frequency_penalty", lax_float, 0.0),
        repetition_penalty=_opt(raw, "repetition_penalty", lax_float, 1.0),
        seed=seed,
        stop=stop if stop is not None else [],
        include_stop_str_in_output=_req(
            raw, "include_stop_str_in_output", lax_bool, False
        ),
        ignore_eos=_req(raw, "ignore_eos", lax_bool, False),
        min_tokens=_req(raw, "min_tokens", lax_int, 0),
        stream=bool(_opt(raw, "stream", lax_bool, False)),
        stream_options=options,
    )


@dataclass
class _Chat:
    sampling: _Sampling
    messages: list[dict[str, Any]]
    tools: list[Any] | None
    tool_choice: Any


@dataclass
class _Completion:
    sampling: _Sampling
    prompts: list[str]
    echo: bool


def _content_text(content: Any) -> str:
    """A message's text: a string, or its text parts joined by newlines."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def _parse_chat(raw: Any) -> _Chat:
    """``ChatCompletionRequest`` validation, as pydantic does it."""
    if not isinstance(raw, dict):
        raise Invalid
    messages = raw.get("messages")
    if not isinstance(messages, list):
        raise Invalid
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise Invalid
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise Invalid
        if isinstance(content, list) and not all(isinstance(p, dict) for p in content):
            raise Invalid
    sampling = _common(raw)
    sampling.n = _opt(raw, "n", lax_int, 1)
    # _validate_input: request.max_completion_tokens or request.max_tokens
    sampling.max_tokens = _opt(raw, "max_completion_tokens", lax_int) or _opt(
        raw, "max_tokens", lax_int
    )
    logprobs = bool(_opt(raw, "logprobs", lax_bool, False))
    top_logprobs = _opt(raw, "top_logprobs", lax_int, 0)
    if top_logprobs is not None and top_logprobs < 0:
        raise Invalid
    if top_logprobs and not logprobs:
        raise Invalid  # check_logprobs
    sampling.logprobs = top_logprobs if logprobs else None
    tools = raw.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise Invalid
    tool_choice = raw.get("tool_choice", "auto" if tools else "none")
    if tool_choice not in (None, "none"):
        if tools is None:
            raise Invalid  # check_tool_usage: "When using `tool_choice`, ..."
        if tool_choice not in ("auto", "required") and not isinstance(
            tool_choice, dict
        ):
            raise Invalid
    if raw.get("continue_final_message") and raw.get("add_generation_prompt"):
        raise Invalid
    return _Chat(
        sampling=sampling, messages=messages, tools=tools, tool_choice=tool_choice
    )


def _parse_completion(raw: Any) -> _Completion:
    """``CompletionRequest`` validation (vLLM 0.8: ``prompt`` is required)."""
    if not isinstance(raw, dict) or "prompt" not in raw:
        raise Invalid
    prompt = raw["prompt"]
    if isinstance(prompt, str):
        prompts = [prompt]
    elif (
        isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt)
    ):
        prompts = list(prompt)
    elif isinstance(prompt, list) and all(
        isinstance(p, int)
        or (isinstance(p, list) and all(isinstance(i, int) for i in p))
        for p in prompt
    ):
        raise Rejected("Prompts given as token ids are not supported locally.")
    else:
        raise Invalid
    sampling = _common(raw)
    sampling.n = _req(raw, "n", lax_int, 1)
    # max_tokens: Optional[int] = 16 -- an explicit null means "no limit".
    sampling.max_tokens = (
        _opt(raw, "max_tokens", lax_int) if "max_tokens" in raw else 16
    )
    sampling.logprobs = _opt(raw, "logprobs", lax_int)
    return _Completion(
        sampling=sampling,
        prompts=prompts,
        echo=bool(_opt(raw, "echo", lax_bool, False)),
    )


def _verify(sampling: _Sampling) -> None:
    """``SamplingParams._verify_args``: the first failing check, as vLLM words it."""
    s = sampling
    best_of = s.best_of if s.best_of is not None else s.n
    checks = [
        (s.n < 1, f"n must be at least 1, got {s.n}."),
        (
            best_of < s.n,
            "best_of must be greater than or equal to n, "
            f"got n={s.n} and best_of={best_of}.",
        ),
        (
            not -2.0 <= s.presence_penalty <= 2.0,
            f"presence_penalty must be in [-2, 2], got {s.presence_penalty}.",
        ),
        (
            not -2.0 <= s.frequency_penalty <= 2.0,
            f"frequency_penalty must be in [-2, 2], got {s.frequency_penalty}.",
        ),
        (
            s.repetition_penalty <= 0.0,
            "repetition_penalty must be greater than zero, got "
            f"{s.repetition_penalty}.",
        ),
        (
            s.temperature < 0.0,
            f"temperature must be non-negative, got {s.temperature}.",
        ),
        (not 0.0 < s.top_p <= 1.0, f"top_p must be in (0, 1], got {s.top_p}."),
        (
            s.top_k < -1 or s.top_k == 0,
            f"top_k must be -1 (disable), or at least 1, got {s.top_k}.",
        ),
        (not 0.0 <= s.min_p <= 1.0, f"min_p must be in [0, 1], got {s.min_p}."),
        (
            s.max_tokens is not None and s.max_tokens < 1,
            f"max_tokens must be at least 1, got {s.max_tokens}.",
        ),
        (
            s.min_tokens < 0,
            f"min_tokens must be greater than or equal to 0, got {s.min_tokens}.",
        ),
        (
            s.logprobs is not None and s.logprobs < 0,
            f"logprobs must be non-negative, got {s.logprobs}.",
        ),
        (any(not stop for stop in s.stop), "stop cannot contain an empty string."),
    ]
    for failed, message in checks:
        if failed:
            raise Rejected(message)


@dataclass
class _Run:
    """One prompt to generate ``n`` choices for."""

    prompt: str  # what the model is given
    echo_text: str  # prepended to the first choice text when echoing
    prompt_tokens: int


class OpenAIContainer(DialectBase):
    """An OpenAI-compatible (vLLM) container serving a :class:`Model`.

    Args:
        model: The model that generates the tokens.
        served_model_name: vLLM's ``--served-model-name``: the ``model`` of
            every answer; a request naming another model is answered 404.
        max_model_len: vLLM's ``--max-model-len`` (context length).
        eos_token_id: Id of the EOS token ending every natural generation.
        error_format: ``"object"`` (vLLM < 0.10.1:
            ``{"object": "error", ...}``) or ``"nested"`` (later vLLM:
            ``{"error": {...}}``).
        latency_ms: Artificial delay before the first token (prefill).
        token_latency_ms: Artificial delay before each further token.
        break_stream_after: Test hook: a streaming answer raises
            ``ConnectionResetError`` after this many events.
    """

    dialect = "openai"

    def __init__(
        self,
        model: Model,
        *,
        served_model_name: str = "local-model",
        max_model_len: int = 4096,
        eos_token_id: int = 2,
        error_format: str = "object",
        latency_ms: float = 0.0,
        token_latency_ms: float = 0.0,
        break_stream_after: int | None = None,
    ) -> None:
        super().__init__(
            model,
            latency_ms=latency_ms,
            token_latency_ms=token_latency_ms,
            break_stream_after=break_stream_after,
        )
        self.served_model_name = served_model_name
        self.max_model_len = max_model_len
        self.eos_token_id = eos_token_id
        self.error_format = check_error_format(error_format)

    # -- errors ------------------------------------------------------------------

    def _error(self, error: Rejected) -> ContainerResponse:
        return error_response(error, self.error_format)

    def _stream_error(self, message: str) -> bytes:
        # create_streaming_error_response: json.dumps({"error": ...}) with the
        # default separators, around the ErrorResponse model_dump().
        error = error_dict(Rejected(message), self.error_format)
        payload = error if self.error_format == "nested" else {"error": error}
        return sse_event(_PREFIX, python_json(payload))

    # -- the contract --------------------------------------------------------------

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Answer one ``POST /invocations`` the way vLLM does.

        Args:
            request: The request SageMaker forwards.

        Returns:
            The JSON answer, an error, or an SSE stream.
        """
        try:
            parsers: tuple[Callable[[Any], _Chat | _Completion], ...] = (
                _parse_chat,
                _parse_completion,
            )
            parsed = parse_request(request, parsers, _HANDLERS)
            if isinstance(parsed, ContainerResponse):
                return parsed
            return await self._serve(parsed)
        except Rejected as error:
            return self._error(error)

    # -- serving ---------------------------------------------------------------------

    def _check_model(self, name: str | None) -> None:
        if name is not None and name != self.served_model_name:
            raise Rejected(f"The model `{name}` does not exist.", "NotFoundError", 404)

    def _validate_input(self, prompt_tokens: int, max_tokens: int | None) -> int:
        """``_validate_input`` of ``serving_engine.py``; returns the budget."""
        if max_tokens is None:
            if prompt_tokens >= self.max_model_len:
                raise Rejected(
                    f"This model's maximum context length is {self.max_model_len} "
                    f"tokens. However, you requested {prompt_tokens} tokens in the "
                    "messages, Please reduce the length of the messages."
                )
            return self.max_model_len - prompt_tokens
        if prompt_tokens + max_tokens > self.max_model_len:
            raise Rejected(
                f"This model's maximum context length is {self.max_model_len} "
                f"tokens. However, you requested {max_tokens + prompt_tokens} "
                f"tokens ({prompt_tokens} in the messages, {max_tokens} in the "
                "completion). Please reduce the length of the messages or "
                "completion."
            )
        return max_tokens

    async def _serve(self, parsed: _Chat | _Completion) -> ContainerResponse:
        sampling = parsed.sampling
        self._check_model(sampling.model)
        if isinstance(parsed, _Chat):
            if parsed.tools and parsed.tool_choice == "auto":
                raise Rejected(
                    '"auto" tool choice requires --enable-auto-tool-choice and '
                    "--tool-call-parser to be set"
                )
            if parsed.tools and parsed.tool_choice not in (None, "none"):
                # vLLM would constrain the output to a tool call; not modelled.
                raise Rejected("Tool calls are not modelled by the local container.")
            rendered = "".join(
                f"<|{m['role']}|>\n{_content_text(m.get('content'))}\n"
                for m in parsed.messages
            )
            users = [m for m in parsed.messages if m["role"] == "user"]
            prompt = _content_text(users[-1].get("content")) if users else ""
            runs = [_Run(prompt, "", count_tokens(rendered + "<|assistant|>\n"))]
        else:
            runs = [
                _Run(p, p if parsed.echo else "", count_tokens(p))
                for p in parsed.prompts
            ]
        budgets = [
            self._validate_input(r.prompt_tokens, sampling.max_tokens) for r in runs
        ]
        _verify(sampling)
        created = int(time.time())
        if isinstance(parsed, _Chat):
            request_id = f"chatcmpl-{uuid.uuid4().hex}"
            if sampling.stream:
                stream = self._chat_stream(
                    parsed, runs[0], budgets[0], request_id, created
                )
                return self._sse(stream)
            body = await self._chat_json(
                parsed, runs[0], budgets[0], request_id, created
            )
        else:
            request_id = f"cmpl-{uuid.uuid4().hex}"
            if sampling.stream:
                stream = self._completion_stream(
                    parsed, runs, budgets, request_id, created
                )
                return self._sse(stream)
            body = await self._completion_json(
                parsed, runs, budgets, request_id, created
            )
        if body is None:  # the model failed: Starlette's plain 500
            return ContainerResponse(
                status=500, content_type=_TEXT, body=b"Internal Server Error"
            )
        return ContainerResponse(status=200, content_type=_JSON, body=body)

    def _sse(self, stream: AsyncIterator[bytes]) -> ContainerResponse:
        return ContainerResponse(
            status=200, content_type=_SSE, stream=self.guard(stream)
        )

    def _steps(
        self, run: _Run, budget: int, sampling: _Sampling
    ) -> AsyncIterator[Step]:
        eos = synth_token("", special=True, token_id=self.eos_token_id)
        return decode(
            self.tokens(run.prompt, None if sampling.ignore_eos else eos),
            max_tokens=budget,
            stops=sampling.stop,
            rule=StopRule.TRUNCATE,
            include_stop=sampling.include_stop_str_in_output,
        )

    async def _generate(
        self, run: _Run, budget: int, sampling: _Sampling
    ) -> Step | None:
        last: Step | None = None
        try:
            async for step in self._steps(run, budget, sampling):
                last = step
        except Exception:
            return None
        return last

    @staticmethod
    def _finish(step: Step | None) -> tuple[str | None, str | None]:
        if step is None or step.finish is None:
            return None, None
        if step.finish == "length":
            return "length", None
        return "stop", step.stop

    @staticmethod
    def _usage(prompt: int, completion: int, *, details: bool = True) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "prompt_tokens": prompt,
            "total_tokens": prompt + completion,
            "completion_tokens": completion,
        }
        if details:
            usage["prompt_tokens_details"] = None
        return usage

    # -- chat -------------------------------------------------------------------------

    async def _chat_json(
        self, chat: _Chat, run: _Run, budget: int, request_id: str, created: int
    ) -> bytes | None:
        step = await self._generate(run, budget, chat.sampling)
        if step is None:
            return None
        finish, stop = self._finish(step)
        n = chat.sampling.n
        choices: list[dict[str, Any]] = [
            {
                "index": i,
                "message": {
                    "role": "assistant",
                    "reasoning_content": None,
                    "content": step.output,
                    "tool_calls": [],
                },
                "logprobs": None,
                "finish_reason": finish,
                "stop_reason": stop,
            }
            for i in range(n)
        ]
        return compact_json(
            {
                "id": request_id,
                "object": "chat.completion",
                "created": created,
                "model": self.served_model_name,
                "choices": choices,
                "usage": self._usage(run.prompt_tokens, step.count * n),
                "prompt_logprobs": None,
            }
        )

    def _chunk(
        self,
        kind: str,
        request_id: str,
        created: int,
        choices: list[dict[str, Any]],
        usage: dict[str, Any] | None = None,
        *,
        with_usage_key: bool = False,
    ) -> bytes:
        chunk: dict[str, Any] = {
            "id": request_id,
            "object": kind,
            "created": created,
            "model": self.served_model_name,
            "choices": choices,
        }
        if usage is not None or with_usage_key:
            chunk["usage"] = usage
        return sse_event(_PREFIX, compact_json(chunk))

    async def _chat_stream(
        self, chat: _Chat, run: _Run, budget: int, request_id: str, created: int
    ) -> AsyncIterator[bytes]:
        """``chat_completion_stream_generator`` of ``serving_chat.py``."""
        sampling = chat.sampling
        options = sampling.stream_options
        include_usage = bool(options and options.include_usage)
        continuous = include_usage and bool(options and options.continuous_usage_stats)
        kind = "chat.completion.chunk"
        n = sampling.n
        hold = (
            max((len(s) for s in sampling.stop), default=1) - 1
            if sampling.stop and not sampling.include_stop_str_in_output
            else 0
        )
        sent = 0
        count = 0
        first = True
        try:
            async for step in self._steps(run, budget, sampling):
                if first:
                    first = False
                    for i in range(n):
                        yield self._chunk(
                            kind,
                            request_id,
                            created,
                            [
                                {
                                    "index": i,
                                    "delta": {"role": "assistant", "content": ""},
                                    "logprobs": None,
                                    "finish_reason": None,
                                }
                            ],
                            self._usage(run.prompt_tokens, 0, details=False)
                            if continuous
                            else None,
                        )
                count = step.count
                end = len(step.output) - (0 if step.finish else hold)
                delta = step.output[sent:end] if end > sent else ""
                sent = max(sent, end)
                finish, stop = self._finish(step)
                for i in range(n):
                    choice: dict[str, Any] = {
                        "index": i,
                        "delta": {"content": delta},
                        "logprobs": None,
                        "finish_reason": finish,
                    }
                    if step.finish:
                        choice["stop_reason"] = stop
                    yield self._chunk(
                        kind,
                        request_id,
                        created,
                        [choice],
                        self._usage(run.prompt_tokens, count, details=False)
                        if continuous
                        else None,
                    )
            if include_usage:
                usage = self._usage(run.prompt_tokens, count * n, details=False)
                yield self._chunk(kind, request_id, created, [], usage)
        except Exception as error:  # the model failed mid-generation
            yield self._stream_error(str(error))
        yield _DONE

    # -- completions -------------------------------------------------------------------

    async def _completion_json(
        self,
        completion: _Completion,
        runs: list[_Run],
        budgets: list[int],
        request_id: str,
        created: int,
    ) -> bytes | None:
        n = completion.sampling.n
        choices: list[dict[str, Any]] = []
        prompt_tokens = completion_tokens = 0
        for run, budget in zip(runs, budgets, strict=True):
            step = await self._generate(run, budget, completion.sampling)
            if step is None:
                return None
            finish, stop = self._finish(step)
            for _ in range(n):
                choices.append(
                    {
                        "index": len(choices),
                        "text": run.echo_text + step.output,
                        "logprobs": None,
                        "finish_reason": finish,
                        "stop_reason": stop,
                        "prompt_logprobs": None,
                    }
                )
                completion_tokens += step.count
            prompt_tokens += run.prompt_tokens
        return compact_json(
            {
                "id": request_id,
                "object": "text_completion",
                "created": created,
                "model": self.served_model_name,
                "choices": choices,
                "usage": self._usage(prompt_tokens, completion_tokens),
            }
        )

    async def _completion_stream(
        self,
        completion: _Completion,
        runs: list[_Run],
        budgets: list[int],
        request_id: str,
        created: int,
    ) -> AsyncIterator[bytes]:
        """``completion_stream_generator`` of ``serving_completion.py``."""
        sampling = completion.sampling
        options = sampling.stream_options
        include_usage = bool(options and options.include_usage)
        continuous = include_usage and bool(options and options.continuous_usage_stats)
        kind = "text_completion"
        n = sampling.n
        hold = (
            max((len(s) for s in sampling.stop), default=1) - 1
            if sampling.stop and not sampling.include_stop_str_in_output
            else 0
        )
        prompt_tokens = completion_tokens = 0
        try:
            for index, (run, budget) in enumerate(zip(runs, budgets, strict=True)):
                sent = 0
                echoed = False
                count = 0
                async for step in self._steps(run, budget, sampling):
                    count = step.count
                    end = len(step.output) - (0 if step.finish else hold)
                    delta = step.output[sent:end] if end > sent else ""
                    sent = max(sent, end)
                    if not echoed:
                        delta, echoed = run.echo_text + delta, True
                    finish, stop = self._finish(step)
                    for i in range(n):
                        usage = (
                            self._usage(run.prompt_tokens, count, details=False)
                            if continuous
                            else None
                        )
                        if usage is not None:
                            usage["prompt_tokens_details"] = None
                        yield self._chunk(
                            kind,
                            request_id,
                            created,
                            [
                                {
                                    "index": index * n + i,
                                    "text": delta,
                                    "logprobs": None,
                                    "finish_reason": finish,
                                    "stop_reason": stop,
                                }
                            ],
                            usage,
                            with_usage_key=True,
                        )
                prompt_tokens += run.prompt_tokens
                completion_tokens += count * n
            if include_usage:
                usage = self._usage(prompt_tokens, completion_tokens, details=False)
                yield self._chunk(kind, request_id, created, [], usage)
        except Exception as error:  # the model failed mid-generation
            yield self._stream_error(str(error))
        yield _DONE
