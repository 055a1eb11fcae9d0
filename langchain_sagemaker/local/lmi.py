r"""DJL LMI (Large Model Inference) rolling batch, as its container answers.

The LMI schema of deepjavalibrary/djl-serving, read at the ``0.32.0-dlc``
branch (LMI v14, vLLM rolling batch) with the docs of ``master``:

* ``serving/docs/lmi/user_guides/lmi_input_output_schema.md``: the request
  ``{"inputs": str, "parameters": {...}, "stream": bool}``; the answer
  ``{"generated_text": ...}`` (+ ``details`` when ``parameters.details``);
  streaming answers are JSON lines, one ``{"token": {...}}`` per token, the
  last one also carrying ``generated_text`` (and ``details``).
* ``engines/python/setup/djl_python/input_parser.py``
  ``parse_lmi_default_request_rolling_batch``: the payload checks and their
  messages (the payload is shown with Python's ``repr``); a failure is
  reported as ``"Input Parsing failed. Ensure that the request payload is
  valid. " + message``. ``encode_decode.py`` ``decode``: bodies are JSON
  for ``application/json`` (and no content type), a ``text/plain`` body is
  ``{"inputs": [text]}``.
* ``engines/python/setup/djl_python/utils.py`` ``rolling_batch_inference``
  and ``engines/python/src/main/java/ai/djl/python/engine/RollingBatch.java``
  ``addResponse``: a parsing error answers HTTP 424 with the Gson map
  ``{"error": message, "code": 424}`` (Gson escapes ``'`` as ``\u0027``;
  ``ConcurrentHashMap`` order puts ``error`` first). ``rolling_batch.py``
  ``stop_on_any_exception``: any error inside the rolling batch (an invalid
  generation parameter rejected by vLLM's ``SamplingParams``, a model
  failure) is ``"exception occurred during rolling batch inference"`` with
  code 424: before the first token that is the whole (424) answer, after it
  the stream (already 200) ends with that same map, with no newline.
* ``rolling_batch/vllm_rolling_batch.py`` ``translate_vllm_params``:
  ``max_new_tokens`` defaults to 30, ``stop_sequences`` become vLLM's
  ``stop``, unknown parameters are dropped. ``rolling_batch_vllm_utils.py``:
  each token's text is its own decoded text (so a stop sequence stays in
  ``generated_text``), the EOS token is a token with empty text, and
  ``FINISH_REASON_MAPPER`` turns vLLM's ``stop`` (EOS *and* stop strings)
  into ``"eos_token"``.
* ``output_formatter.py``: ``_json_output_formatter`` and
  ``_jsonlines_output_formatter`` write with ``json.dumps(...,
  ensure_ascii=False)`` (``", "`` and ``": "`` separators); ``details`` is
  ``{"finish_reason", "generated_tokens", "inputs"}`` plus ``"tokens"`` when
  not streaming; ``return_full_text`` prepends the prompt; with
  ``tgi_compat`` the JSON answer is a one-element list, tokens are written
  as ``{"id", "text", "logprob"}`` and streams are SSE ``data: {...}\n\n``.
  Content types: ``application/json``, ``application/jsonlines``,
  ``text/event-stream``.

Not modelled: LMI's chat-completions schema (``messages``), the async vLLM
service of LMI >= v15 (which answers a TGI-like stream), ``n``/``best_of``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from langchain_sagemaker.local.common import (
    DialectBase,
    Step,
    StopRule,
    Token,
    count_tokens,
    decode,
    gson_json,
    python_json,
    synth_token,
)
from langchain_sagemaker.local.container import ContainerRequest, ContainerResponse
from langchain_sagemaker.local.models.base import Model

__all__ = ["LMIContainer"]

_JSON = "application/json"
_JSONLINES = "application/jsonlines"
_SSE = "text/event-stream"
_PARSE_FAILED = "Input Parsing failed. Ensure that the request payload is valid. "
_BATCH_ERROR = "exception occurred during rolling batch inference"
_FINISH = {"length": "length", "eos": "eos_token", "stop": "eos_token"}


class _ParseError(Exception):
    """A payload ``parse_lmi_default_request_rolling_batch`` refuses."""


class _BatchError(Exception):
    """An error inside the rolling batch (``stop_on_any_exception``)."""


@dataclass
class _Request:
    inputs: str
    parameters: dict[str, Any]
    stream: bool


def _payload(content_type: str | None, body: bytes) -> Any:
    """``encode_decode.decode`` of djl_python."""
    if not content_type:
        if not body:
            return {"inputs": ""}
        return json.loads(body.decode("utf-8"))
    if "application/json" in content_type:
        return json.loads(body.decode("utf-8"))
    if "text/plain" in content_type:
        return {"inputs": [body.decode("utf-8")]}
    return {"inputs": body}


def _parse(payload: Any) -> _Request:
    """``parse_lmi_default_request_rolling_batch``."""
    invalid = "Invalid request payload. "
    if not isinstance(payload, dict):
        raise _ParseError(
            f"{invalid}Request payload should be a json object specifying the "
            f"'inputs' field. Received payload {payload}"
        )
    inputs = payload.get("inputs")
    if inputs is None:
        raise _ParseError(
            f"{invalid}Request payload should be a json object specifying the "
            f"'inputs' field. Received payload {payload}"
        )
    if not isinstance(inputs, str):
        raise _ParseError(
            f"{invalid}The 'inputs' field must be a string. Received type "
            f"{type(inputs)}"
        )
    if not inputs:
        raise _ParseError(
            f"{invalid}The 'inputs' field does not contain any content. "
            f"Received payload {payload}"
        )
    parameters = payload.get("parameters", {})
    if not isinstance(parameters, dict):
        raise _ParseError(
            f"{invalid}'parameters' must be provided as an object of key-value "
            f"pairs. Received payload {payload}"
        )
    return _Request(
        inputs=inputs,
        parameters=dict(parameters),
        stream=bool(payload.get("stream", False)),
    )


def _number(parameters: dict[str, Any], key: str, default: float) -> float:
    value = parameters.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BatchError(f"{key} must be a number")
    return float(value)


@dataclass
class _Sampling:
    max_tokens: int
    stop: list[str]
    details: bool | None  # None: LMI's default (on only with tgi_compat)
    return_full_text: bool


def _sampling(parameters: dict[str, Any], default_max_new_tokens: int) -> _Sampling:
    """``translate_vllm_params`` and ``SamplingParams._verify_args``."""
    max_tokens = parameters.get("max_new_tokens", default_max_new_tokens)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
        raise _BatchError("max_tokens must be an integer")
    stop = parameters.get("stop_sequences") or []
    if isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise _BatchError("stop must be a list of strings")
    temperature = _number(parameters, "temperature", 0.0)
    top_p = _number(parameters, "top_p", 1.0)
    top_k = _number(parameters, "top_k", -1)
    checks = [
        max_tokens < 1,
        temperature < 0.0,
        not 0.0 < top_p <= 1.0,
        top_k < -1 or top_k == 0,
        not -2.0 <= _number(parameters, "presence_penalty", 0.0) <= 2.0,
        not -2.0 <= _number(parameters, "frequency_penalty", 0.0) <= 2.0,
        _number(parameters, "repetition_penalty", 1.0) <= 0.0,
        any(not s for s in stop),
    ]
    if any(checks):
        raise _BatchError("invalid sampling parameters")
    return _Sampling(
        max_tokens=max_tokens,
        stop=stop,
        details=parameters.get("details"),
        return_full_text=bool(parameters.get("return_full_text", False)),
    )


class LMIContainer(DialectBase):
    """A DJL LMI rolling-batch container (vLLM backend) serving a :class:`Model`.

    Args:
        model: The model that generates the tokens.
        default_max_new_tokens: ``max_new_tokens`` when a request leaves it
            unset (LMI: 30).
        max_model_len: vLLM's context length; generation stops there and a
            longer prompt is a rolling-batch error.
        tgi_compat: LMI's ``option.tgi_compat``: TGI-shaped answers.
        output_formatter: LMI's ``option.output_formatter`` (``"json"``,
            ``"jsonlines"``, ``"sse"``), or None for the default
            (``jsonlines`` when streaming, ``json`` otherwise; ``sse``
            with ``tgi_compat``).
        eos_token_id: Id of the EOS token ending every natural generation.
        latency_ms: Artificial delay before the first token (prefill).
        token_latency_ms: Artificial delay before each further token.
        break_stream_after: Test hook: a streaming answer raises
            ``ConnectionResetError`` after this many lines.
    """

    dialect = "lmi"

    def __init__(
        self,
        model: Model,
        *,
        default_max_new_tokens: int = 30,
        max_model_len: int = 4096,
        tgi_compat: bool = False,
        output_formatter: str | None = None,
        eos_token_id: int = 2,
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
        if output_formatter not in (None, "json", "jsonlines", "sse"):
            raise ValueError('output_formatter must be "json", "jsonlines" or "sse"')
        self.default_max_new_tokens = default_max_new_tokens
        self.max_model_len = max_model_len
        self.tgi_compat = tgi_compat
        self.output_formatter = output_formatter
        self.eos_token_id = eos_token_id

    # -- errors ------------------------------------------------------------------------

    @staticmethod
    def _error_map(message: str) -> bytes:
        return gson_json({"error": message, "code": 424})

    def _error(self, message: str) -> ContainerResponse:
        return ContainerResponse(
            status=424, content_type=_JSON, body=self._error_map(message)
        )

    # -- the contract --------------------------------------------------------------------

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Answer one ``POST /invocations`` the way LMI does.

        Args:
            request: The request SageMaker forwards.

        Returns:
            The JSON answer, a JSON-lines (or SSE) stream, or a 424 error.
        """
        try:
            req = _parse(_payload(request.content_type, request.body))
        except (_ParseError, ValueError) as error:
            return self._error(_PARSE_FAILED + str(error))
        formatter = self.output_formatter or (
            ("sse" if self.tgi_compat else "jsonlines") if req.stream else "json"
        )
        try:
            sampling = _sampling(req.parameters, self.default_max_new_tokens)
            prompt_tokens = count_tokens(req.inputs)
            if prompt_tokens > self.max_model_len:
                raise _BatchError("prompt too long")
        except _BatchError:
            return self._error(_BATCH_ERROR)
        budget = min(sampling.max_tokens, self.max_model_len - prompt_tokens)
        steps = self._steps(req, sampling, budget)
        if formatter == "json":
            return await self._json_answer(req, sampling, steps)
        return await self._stream_answer(req, sampling, steps, formatter)

    # -- generation ------------------------------------------------------------------------

    def _steps(
        self, req: _Request, sampling: _Sampling, budget: int
    ) -> AsyncIterator[Step]:
        eos = synth_token("", token_id=self.eos_token_id)
        return decode(
            self.tokens(req.inputs, eos),
            max_tokens=budget,
            stops=sampling.stop,
            rule=StopRule.DETECT,
        )

    def _token(self, token: Token) -> dict[str, Any]:
        key = "logprob" if self.tgi_compat else "log_prob"
        return {"id": token.id, "text": token.text, key: token.logprob}

    def _generated_text(self, req: _Request, sampling: _Sampling, texts: str) -> str:
        return req.inputs + texts if sampling.return_full_text else texts

    def _details(
        self, req: _Request, sampling: _Sampling, last: Step, tokens: list[Token] | None
    ) -> dict[str, Any] | None:
        wanted = sampling.details if sampling.details is not None else self.tgi_compat
        if not wanted:
            return None
        details: dict[str, Any] = {
            "finish_reason": _FINISH.get(last.finish or ""),
            "generated_tokens": last.count,
            "inputs": req.inputs,
        }
        if tokens is not None:
            details["tokens"] = [self._token(t) for t in tokens]
        return details

    async def _json_answer(
        self, req: _Request, sampling: _Sampling, steps: AsyncIterator[Step]
    ) -> ContainerResponse:
        tokens: list[Token] = []
        last: Step | None = None
        try:
            async for step in steps:
                tokens.append(step.token)
                last = step
        except Exception:
            return self._error(_BATCH_ERROR)
        if last is None:
            return self._error(_BATCH_ERROR)
        texts = "".join(t.text for t in tokens)
        result: dict[str, Any] = {
            "generated_text": self._generated_text(req, sampling, texts)
        }
        details = self._details(req, sampling, last, tokens)
        if details is not None:
            result["details"] = details
        body = python_json([result] if self.tgi_compat else result)
        return ContainerResponse(status=200, content_type=_JSON, body=body)

    async def _stream_answer(
        self,
        req: _Request,
        sampling: _Sampling,
        steps: AsyncIterator[Step],
        formatter: str,
    ) -> ContainerResponse:
        # The status goes out with the first token: an error before it is a
        # plain 424 answer, one after it ends the (200) stream.
        try:
            first = await anext(steps, None)
        except Exception:
            return self._error(_BATCH_ERROR)
        if first is None:
            return self._error(_BATCH_ERROR)
        content_type = _SSE if formatter == "sse" else _JSONLINES
        return ContainerResponse(
            status=200,
            content_type=content_type,
            stream=self.guard(self._lines(req, sampling, first, steps, formatter)),
        )

    async def _lines(
        self,
        req: _Request,
        sampling: _Sampling,
        first: Step,
        steps: AsyncIterator[Step],
        formatter: str,
    ) -> AsyncIterator[bytes]:
        """``_jsonlines_output_formatter`` (or ``sse_response_formatter``)."""
        texts = ""
        step: Step | None = first
        while step is not None:
            texts += step.token.text
            line: dict[str, Any] = {"token": self._token(step.token)}
            if step.finish is not None:
                line["generated_text"] = self._generated_text(req, sampling, texts)
                details = self._details(req, sampling, step, None)
                if details:
                    line["details"] = details
            encoded = python_json(line) + b"\n"
            yield b"data: " + encoded + b"\n" if formatter == "sse" else encoded
            if step.finish is not None:
                return
            try:
                step = await anext(steps, None)
            except Exception:
                yield self._error_map(_BATCH_ERROR)
                return
