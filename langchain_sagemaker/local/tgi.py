r"""The Hugging Face Text Generation Inference (TGI) dialect of a model container.

Behaviour follows TGI's router as of huggingface/text-generation-inference
commit ``db931fcf`` (January 2026, v3.3.x):

* ``router/src/server.rs``: ``/invocations`` is ``sagemaker_compatibility``,
  which for a ``{"inputs": ...}`` body calls ``compat_generate``. That fills a
  missing ``return_full_text`` with ``compat_return_full_text``, which is
  ``pipeline_tag == "text-generation"`` (and ``true`` when the model has no
  pipeline tag), so on SageMaker the prompt is prepended by default. A
  non-streaming answer is ``[GenerateResponse]``; ``"stream": true`` answers
  ``200 text/event-stream``, and errors met while streaming (validation
  included) become an SSE event ``{"error": ..., "error_type": ...}`` in that
  200 stream.
* ``router/src/lib.rs``: request and response structs (field order is the
  serialized order), ``default_parameters()`` (``do_sample`` is ``true`` only
  when ``parameters`` is absent), ``FinishReason`` names.
* ``router/src/validation.rs``: the checks, their order and messages; since
  TGI 3.0 (#2803) an unset ``max_new_tokens`` means "up to
  ``max_total_tokens - input_length``" (it was 100 before, 20 earlier still).
* ``server/text_generation_server/utils/tokens.py``: ``StoppingCriteria``
  counts a token, stops for length first, then for the EOS token, then when
  the decoded output so far matches ``re.escape(stop) + "$"``; the stop text
  stays in ``generated_text``.
* Request bodies are read by axum 0.7's ``Json`` extractor: a non-JSON
  ``Content-Type`` is ``415``, malformed JSON is ``400``, JSON of the wrong
  shape (``inputs`` not a string...) is ``422``; all three are ``text/plain``
  bodies, not TGI's JSON errors.
* SSE framing is axum's ``Event::json_data``: ``data: {json}\\n\\n`` in axum 0.7
  (TGI >= 2.1.0); axum 0.6 (TGI < 2.1.0) wrote ``data:{json}\\n\\n``. The
  ``sse_prefix`` option picks one.

What a real model has and this one lacks is synthesized deterministically:
token ids and logprobs derive from the token text, the "tokenizer" that
measures ``inputs`` counts words and punctuation, and the end of the model's
token iterator is an EOS token (``</s>``, id 2, ``special: true``).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_sagemaker.local.common import WORD as _WORD
from langchain_sagemaker.local.common import compact_json, synth_token
from langchain_sagemaker.local.container import ContainerRequest, ContainerResponse
from langchain_sagemaker.local.models.base import Model

__all__ = ["TGIContainer", "TGIRequestError"]

_JSON_CONTENT_TYPE = "application/json"
_SSE_CONTENT_TYPE = "text/event-stream"
_TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
# TGI router/src/validation.rs: DEFAULT_GENERATION_LENGTH
_DEFAULT_GENERATION_LENGTH = 1024
_U32_MAX = 2**32 - 1
_I32_MIN, _I32_MAX = -(2**31), 2**31 - 1
_U64_MAX = 2**64 - 1


class TGIRequestError(Exception):
    """A request TGI rejects, with the status and body TGI would answer.

    Attributes:
        status: HTTP status.
        content_type: Content type of ``body``.
        body: The error body.
    """

    def __init__(self, status: int, content_type: str, body: bytes) -> None:
        super().__init__(body.decode("utf-8", "replace"))
        self.status = status
        self.content_type = content_type
        self.body = body


def _dumps(value: Any) -> bytes:
    # serde_json's compact form; like serde it leaves non-ASCII unescaped.
    return compact_json(value)


def _tgi_error(status: int, message: str, error_type: str) -> TGIRequestError:
    body = _dumps({"error": message, "error_type": error_type})
    return TGIRequestError(status, _JSON_CONTENT_TYPE, body)


def _validation(message: str) -> TGIRequestError:
    return _tgi_error(422, f"Input validation error: {message}", "validation")


# --- request decoding, as serde derives it for CompatGenerateRequest ---------


class _ShapeError(Exception):
    """JSON that does not fit the request struct (serde "data" error)."""


def _int(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ShapeError
    if not low <= value <= high:
        raise _ShapeError
    return value


def _opt_int(params: dict[str, Any], key: str, low: int, high: int) -> int | None:
    value = params.get(key)
    return None if value is None else _int(value, low, high)


def _opt_float(params: dict[str, Any], key: str) -> float | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _ShapeError
    return float(value)


def _opt_bool(params: dict[str, Any], key: str) -> bool | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _ShapeError
    return value


def _bool(params: dict[str, Any], key: str, default: bool) -> bool:
    # `#[serde(default)] bool`: absent -> default, null -> error.
    if key not in params:
        return default
    value = params[key]
    if not isinstance(value, bool):
        raise _ShapeError
    return value


@dataclass
class _Parameters:
    """``GenerateParameters`` of ``router/src/lib.rs``."""

    best_of: int | None = None
    temperature: float | None = None
    repetition_penalty: float | None = None
    frequency_penalty: float | None = None
    top_k: int | None = None
    top_p: float | None = None
    typical_p: float | None = None
    do_sample: bool = False
    max_new_tokens: int | None = None
    return_full_text: bool | None = None
    stop: list[str] = field(default_factory=list)
    truncate: int | None = None
    watermark: bool = False
    details: bool = False
    decoder_input_details: bool = False
    seed: int | None = None
    top_n_tokens: int | None = None

    @classmethod
    def parse(cls, raw: Any) -> _Parameters:
        if not isinstance(raw, dict):
            raise _ShapeError
        stop = raw.get("stop", [])
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise _ShapeError
        adapter_id = raw.get("adapter_id")
        if adapter_id is not None and not isinstance(adapter_id, str):
            raise _ShapeError
        usize = 2**64 - 1
        return cls(
            best_of=_opt_int(raw, "best_of", 0, usize),
            temperature=_opt_float(raw, "temperature"),
            repetition_penalty=_opt_float(raw, "repetition_penalty"),
            frequency_penalty=_opt_float(raw, "frequency_penalty"),
            top_k=_opt_int(raw, "top_k", _I32_MIN, _I32_MAX),
            top_p=_opt_float(raw, "top_p"),
            typical_p=_opt_float(raw, "typical_p"),
            do_sample=_bool(raw, "do_sample", False),
            max_new_tokens=_opt_int(raw, "max_new_tokens", 0, _U32_MAX),
            return_full_text=_opt_bool(raw, "return_full_text"),
            stop=list(stop),
            truncate=_opt_int(raw, "truncate", 0, usize),
            watermark=_bool(raw, "watermark", False),
            details=_bool(raw, "details", False),
            decoder_input_details=_bool(raw, "decoder_input_details", False),
            seed=_opt_int(raw, "seed", 0, _U64_MAX),
            top_n_tokens=_opt_int(raw, "top_n_tokens", 0, _U32_MAX),
        )


@dataclass
class _Request:
    """``CompatGenerateRequest`` of ``router/src/lib.rs``."""

    inputs: str
    parameters: _Parameters
    stream: bool


def _serde_syntax_message(error: json.JSONDecodeError) -> str:
    # serde_json phrases syntax errors differently from Python; map the usual
    # ones and keep serde's "at line L column C" suffix.
    messages = {
        "Expecting value": "expected value",
        "Expecting property name enclosed in double quotes": "key must be a string",
        "Expecting ',' delimiter": "expected `,` or `}`",
        "Expecting ':' delimiter": "expected `:`",
        "Extra data": "trailing characters",
        "Unterminated string starting at": "EOF while parsing a string",
    }
    text = messages.get(error.msg, error.msg[:1].lower() + error.msg[1:])
    if error.pos >= len(error.doc):
        text = "EOF while parsing a value"
    return f"{text} at line {error.lineno} column {error.colno}"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _is_json_content_type(content_type: str | None) -> bool:
    # axum 0.7 json.rs `json_content_type`: application/json or +json.
    if not content_type:
        return False
    mime = content_type.split(";", 1)[0].strip().lower()
    kind, _, subtype = mime.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def _decode_request(content_type: str | None, body: bytes) -> _Request:
    if not _is_json_content_type(content_type):
        raise TGIRequestError(
            415,
            _TEXT_CONTENT_TYPE,
            b"Expected request with `Content-Type: application/json`",
        )
    try:
        raw = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        message = _serde_syntax_message(error)
        raise TGIRequestError(
            400,
            _TEXT_CONTENT_TYPE,
            f"Failed to parse the request body as JSON: {message}".encode(),
        ) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise TGIRequestError(
            400,
            _TEXT_CONTENT_TYPE,
            f"Failed to parse the request body as JSON: {error}".encode(),
        ) from None
    try:
        if not isinstance(raw, dict) or not isinstance(raw.get("inputs"), str):
            raise _ShapeError
        if "parameters" in raw:
            parameters = _Parameters.parse(raw["parameters"])
        else:
            # router/src/lib.rs default_parameters(): do_sample is true here.
            parameters = _Parameters(do_sample=True)
        stream = _bool(raw, "stream", False)
    except _ShapeError:
        # /invocations deserializes the untagged enum SagemakerRequest
        # (router/src/sagemaker.rs); chat and completion bodies are not
        # served by this container, so they land here too.
        raise TGIRequestError(
            422,
            _TEXT_CONTENT_TYPE,
            b"Failed to deserialize the JSON body into the target type: "
            b"data did not match any variant of untagged enum SagemakerRequest",
        ) from None
    return _Request(inputs=raw["inputs"], parameters=parameters, stream=stream)


# --- validation (router/src/validation.rs `validate`, same order) ------------


@dataclass
class _Valid:
    max_new_tokens: int
    input_length: int
    stop: list[str]
    seed: int | None  # None when decoding is greedy (no seed is reported)


def _token(
    text: str, *, special: bool = False, token_id: int | None = None
) -> dict[str, Any]:
    token = synth_token(text, special=special, token_id=token_id)
    return {
        "id": token.id,
        "text": token.text,
        "logprob": token.logprob,
        "special": token.special,
    }


@dataclass
class _Generation:
    tokens: list[dict[str, Any]]
    text: str
    finish_reason: str


# --- the container -------------------------------------------------------------


class TGIContainer:
    """A Hugging Face TGI container serving a :class:`Model` in-process.

    Args:
        model: The model that generates the tokens.
        default_return_full_text: ``return_full_text`` when a request leaves
            it unset. TGI's ``/invocations`` default is ``True`` for a
            ``text-generation`` model (or one with no pipeline tag).
        default_max_new_tokens: ``max_new_tokens`` when a request leaves it
            unset; ``None`` (TGI >= 3.0) means up to ``max_total_tokens``
            minus the input length. Use 100 or 20 to mimic older TGI.
        max_total_tokens: TGI's ``--max-total-tokens``.
        max_input_tokens: TGI's ``--max-input-tokens``.
        max_stop_sequences: TGI's ``--max-stop-sequences`` (default 4).
        max_best_of: TGI's ``--max-best-of`` (default 2).
        max_top_n_tokens: TGI's ``--max-top-n-tokens`` (default 5).
        max_concurrent_requests: TGI's ``--max-concurrent-requests``
            (default 128); past it requests are answered ``429``.
        eos_token: Text of the EOS token that ends every natural generation.
        eos_token_id: Id of the EOS token.
        sse_prefix: ``"data: "`` as TGI >= 2.1 writes it, or ``"data:"`` as
            TGI < 2.1 did.
        latency_ms: Artificial delay before the first token (prefill).
        token_latency_ms: Artificial delay before each further token.
        break_stream_after: Test hook: a streaming answer raises
            ``ConnectionResetError`` after this many events, as if the
            container died mid-stream.
    """

    dialect = "tgi"

    def __init__(
        self,
        model: Model,
        *,
        default_return_full_text: bool = True,
        default_max_new_tokens: int | None = None,
        max_total_tokens: int = 4096,
        max_input_tokens: int = 4095,
        max_stop_sequences: int = 4,
        max_best_of: int = 2,
        max_top_n_tokens: int = 5,
        max_concurrent_requests: int = 128,
        eos_token: str = "</s>",
        eos_token_id: int = 2,
        sse_prefix: str = "data: ",
        latency_ms: float = 0.0,
        token_latency_ms: float = 0.0,
        break_stream_after: int | None = None,
    ) -> None:
        if sse_prefix not in ("data: ", "data:"):
            raise ValueError('sse_prefix must be "data: " or "data:"')
        self.model = model
        self.default_return_full_text = default_return_full_text
        self.default_max_new_tokens = default_max_new_tokens
        self.max_total_tokens = max_total_tokens
        self.max_input_tokens = max_input_tokens
        self.max_stop_sequences = max_stop_sequences
        self.max_best_of = max_best_of
        self.max_top_n_tokens = max_top_n_tokens
        self.max_concurrent_requests = max_concurrent_requests
        self.eos_token = eos_token
        self.eos_token_id = eos_token_id
        self.sse_prefix = sse_prefix.encode()
        self.latency_ms = latency_ms
        self.token_latency_ms = token_latency_ms
        self.break_stream_after = break_stream_after
        self._in_flight = 0

    def __repr__(self) -> str:
        return f"TGIContainer(model={getattr(self.model, 'name', self.model)!r})"

    async def ping(self) -> bool:
        """Return ``True``: the model is loaded in-process."""
        return True

    async def close(self) -> None:
        """Nothing to release."""

    # -- the contract ----------------------------------------------------------

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Answer one ``POST /invocations`` the way TGI does.

        Args:
            request: The request SageMaker forwards.

        Returns:
            The JSON answer, a TGI error, or (for ``"stream": true``) an SSE
            stream of one chunk per event.
        """
        try:
            req = _decode_request(request.content_type, request.body)
            if req.parameters.return_full_text is None:
                req.parameters.return_full_text = self.default_return_full_text
            if req.stream:
                return ContainerResponse(
                    status=200, content_type=_SSE_CONTENT_TYPE, stream=self._sse(req)
                )
            body = await self._generate_json(req)
        except TGIRequestError as error:
            return ContainerResponse(
                status=error.status, content_type=error.content_type, body=error.body
            )
        return ContainerResponse(status=200, content_type=_JSON_CONTENT_TYPE, body=body)

    # -- generation ------------------------------------------------------------

    def _acquire(self) -> None:
        if self._in_flight >= self.max_concurrent_requests:
            raise _tgi_error(429, "Model is overloaded", "overloaded")
        self._in_flight += 1

    def _input_length(self, inputs: str, truncate: int | None) -> int:
        length = len(_WORD.findall(inputs))
        return min(length, truncate) if truncate is not None else length

    def _validate(self, req: _Request) -> _Valid:
        p = req.parameters
        best_of = 1 if p.best_of is None else p.best_of
        sampling = (
            p.do_sample
            or p.temperature is not None
            or p.top_k is not None
            or p.top_p is not None
            or p.typical_p is not None
        )
        if best_of > 1 and not sampling:
            raise _validation("you must use sampling when `best_of` is > 1")
        temperature = 1.0 if p.temperature is None else p.temperature
        if temperature <= 0.0:
            raise _validation("`temperature` must be strictly positive")
        if p.repetition_penalty is not None and p.repetition_penalty <= 0.0:
            raise _validation("`repetition_penalty` must be strictly positive")
        frequency_penalty = p.frequency_penalty or 0.0
        if not -2.0 <= frequency_penalty <= 2.0:
            raise _validation("`frequency_penalty` must be >= -2.0 and <= 2.0")
        if p.top_p is not None and not 0.0 < p.top_p < 1.0:
            raise _validation("`top_p` must be > 0.0 and < 1.0")
        if p.typical_p is not None and not 0.0 < p.typical_p < 1.0:
            raise _validation("`typical_p` must be > 0.0 and < 1.0")
        if p.top_k is not None and p.top_k <= 0:
            raise _validation("`top_k` must be strictly positive")
        if p.max_new_tokens == 0:
            raise _validation("`max_new_tokens` must be strictly positive")
        if len(p.stop) > self.max_stop_sequences:
            raise _validation(
                f"`stop` supports up to {self.max_stop_sequences} stop sequences. "
                f"Given: {len(p.stop)}"
            )
        if p.seed is not None and best_of > 1:
            raise _validation("`seed` must not be set when `best_of` > 1")
        if p.top_n_tokens is not None and p.top_n_tokens > self.max_top_n_tokens:
            raise _validation(
                f"`top_n_tokens` must be >= 0 and <= {self.max_top_n_tokens}. "
                f"Given: {p.top_n_tokens}"
            )
        if not req.inputs:
            raise _validation("`inputs` cannot be empty")
        if p.truncate is not None and not 0 < p.truncate <= self.max_input_tokens:
            raise _validation(
                "`truncate` must be strictly positive and less than "
                f"{self.max_input_tokens}. Given: {p.truncate}"
            )
        input_length = self._input_length(req.inputs, p.truncate)
        requested = p.max_new_tokens
        if requested is None:
            requested = self.default_max_new_tokens
        if requested is not None:
            chunk = min(requested, _DEFAULT_GENERATION_LENGTH)
            max_new_tokens = requested
        else:
            max_new_tokens = max(self.max_total_tokens - input_length, 0)
            chunk = min(max_new_tokens, _DEFAULT_GENERATION_LENGTH)
        if input_length + chunk > self.max_total_tokens:
            raise _validation(
                f"`inputs` tokens + `max_new_tokens` must be <= "
                f"{self.max_total_tokens}. Given: {input_length} `inputs` tokens "
                f"and {chunk} `max_new_tokens`"
            )
        if input_length > self.max_input_tokens:
            raise _validation(
                f"`inputs` must have less than {self.max_input_tokens} tokens. "
                f"Given: {input_length}"
            )
        # Greedy decoding reports no seed (flash_causal_lm.py: `seed if
        # do_sample else None`, where any warper turns sampling on).
        samples = (
            p.do_sample
            or temperature != 1.0
            or (p.top_k or 0) != 0
            or (p.top_p is not None and p.top_p < 1.0)
            or (p.typical_p is not None and p.typical_p < 1.0)
        )
        seed = (
            (p.seed if p.seed is not None else random.getrandbits(64))
            if samples
            else None
        )
        return _Valid(
            max_new_tokens=max_new_tokens,
            input_length=input_length,
            stop=list(p.stop),
            seed=seed,
        )

    def _tokens(self, prompt: str) -> Iterator[tuple[dict[str, Any], bool]]:
        """Yield ``(token, is_eos)``: the model's tokens, then EOS."""
        for text in self.model.generate(prompt):
            yield _token(text), False
        yield _token(self.eos_token, special=True, token_id=self.eos_token_id), True

    async def _steps(
        self, req: _Request, valid: _Valid
    ) -> AsyncIterator[tuple[dict[str, Any], str | None]]:
        """Yield ``(token, finish_reason)``; the reason is set on the last one.

        ``StoppingCriteria.__call__`` of TGI's ``utils/tokens.py``.
        """
        stops = [re.compile(f"{re.escape(stop)}$") for stop in valid.stop]
        current_output = ""
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        for current_tokens, (token, is_eos) in enumerate(self._tokens(req.inputs), 1):
            if current_tokens > 1 and self.token_latency_ms:
                await asyncio.sleep(self.token_latency_ms / 1000)
            if current_tokens >= valid.max_new_tokens:
                yield token, "length"
                return
            if is_eos:
                yield token, "eos_token"
                return
            if stops:
                current_output += token["text"]
                if len(current_output) > 300:
                    current_output = current_output[-200:]
                if any(stop.findall(current_output) for stop in stops):
                    yield token, "stop_sequence"
                    return
            yield token, None

    async def _generate(self, req: _Request, valid: _Valid) -> _Generation:
        tokens: list[dict[str, Any]] = []
        reason = "eos_token"
        async for token, finish in self._steps(req, valid):
            tokens.append(token)
            if finish is not None:
                reason = finish
        text = "".join(t["text"] for t in tokens if not t["special"])
        return _Generation(tokens=tokens, text=text, finish_reason=reason)

    def _full_text(self, req: _Request, text: str) -> str:
        return req.inputs + text if req.parameters.return_full_text else text

    async def _generate_json(self, req: _Request) -> bytes:
        p = req.parameters
        self._acquire()
        try:
            runs = 1
            if p.best_of is not None and p.best_of > 1:
                # infer/mod.rs generate_best_of -> validation.validate_best_of
                if self.max_best_of == 1:
                    raise _validation("`best_of` != 1 is not allowed for this endpoint")
                if p.best_of > self.max_best_of:
                    raise _validation(
                        f"`best_of` must be > 0 and <= {self.max_best_of}. "
                        f"Given: {p.best_of}"
                    )
                runs = p.best_of
            results: list[tuple[_Valid, _Generation]] = []
            for _ in range(runs):
                valid = self._validate(req)
                try:
                    results.append((valid, await self._generate(req, valid)))
                except Exception as error:
                    raise _tgi_error(
                        424, f"Request failed during generation: {error}", "generation"
                    ) from error
        finally:
            self._in_flight -= 1
        (valid, best), others = results[0], results[1:]
        response: dict[str, Any] = {"generated_text": self._full_text(req, best.text)}
        if p.details or p.decoder_input_details:
            details: dict[str, Any] = {
                "finish_reason": best.finish_reason,
                "generated_tokens": len(best.tokens),
                "seed": valid.seed,
                "prefill": [],
                "tokens": best.tokens,
            }
            if others:
                details["best_of_sequences"] = [
                    {
                        "generated_text": self._full_text(req, gen.text),
                        "finish_reason": gen.finish_reason,
                        "generated_tokens": len(gen.tokens),
                        "seed": other.seed,
                        "prefill": [],
                        "tokens": gen.tokens,
                    }
                    for other, gen in others
                ]
            response["details"] = details
        return _dumps([response])

    def _event(self, payload: dict[str, Any]) -> bytes:
        return self.sse_prefix + _dumps(payload) + b"\n\n"

    async def _sse(self, req: _Request) -> AsyncIterator[bytes]:
        """``generate_stream_internal`` of TGI's ``server.rs``, as SSE bytes."""
        p = req.parameters
        sent = 0

        async def checked(event: bytes) -> bytes:
            nonlocal sent
            if self.break_stream_after is not None and sent >= self.break_stream_after:
                raise ConnectionResetError("the model container closed the connection")
            sent += 1
            return event

        best_of = 1 if p.best_of is None else p.best_of
        if best_of != 1:
            error = _validation("`best_of` != 1 is not supported when streaming tokens")
            yield await checked(self._event(json.loads(error.body)))
            return
        if p.decoder_input_details:
            error = _validation(
                "`decoder_input_details` == true is not supported when streaming tokens"
            )
            yield await checked(self._event(json.loads(error.body)))
            return
        try:
            self._acquire()
        except TGIRequestError as error:
            yield await checked(self._event(json.loads(error.body)))
            return
        try:
            try:
                valid = self._validate(req)
            except TGIRequestError as error:
                yield await checked(self._event(json.loads(error.body)))
                return
            index = 0
            texts: list[str] = []
            steps = self._steps(req, valid)
            while True:
                try:
                    step = await anext(steps, None)
                except Exception as error:  # the model failed mid-generation
                    failure = _tgi_error(
                        424, f"Request failed during generation: {error}", "generation"
                    )
                    yield await checked(self._event(json.loads(failure.body)))
                    return
                if step is None:
                    return
                token, finish = step
                index += 1
                if not token["special"]:
                    texts.append(token["text"])
                event: dict[str, Any] = {
                    "index": index,
                    "token": token,
                    "generated_text": None,
                    "details": None,
                }
                if finish is not None:
                    event["generated_text"] = self._full_text(req, "".join(texts))
                    if p.details:
                        event["details"] = {
                            "finish_reason": finish,
                            "generated_tokens": index,
                            "seed": valid.seed,
                            "input_length": valid.input_length,
                        }
                yield await checked(self._event(event))
                if finish is not None:
                    return
        finally:
            self._in_flight -= 1
