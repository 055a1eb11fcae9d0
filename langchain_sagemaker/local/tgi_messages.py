r"""TGI's Messages API (OpenAI-style chat) on SageMaker ``/invocations``.

TGI's ``/invocations`` (``router/src/sagemaker.rs``) deserializes the
untagged enum ``SagemakerRequest``: a ``{"inputs": ...}`` body is a generate
request (answered as :class:`~langchain_sagemaker.local.tgi.TGIContainer`
does), a body with ``messages`` is a chat request served by
``chat_completions`` (``router/src/server.rs``). Read from
huggingface/text-generation-inference at ``db931fcf`` (v3.3.x):

* ``router/src/lib.rs`` ``ChatRequest``: field types as serde checks them
  (``stop`` must be a list, ``stream`` and ``stream_options`` must not be
  null, ``max_completion_tokens`` is an alias of ``max_tokens``; unknown
  fields are ignored; ``n`` is accepted and unused), ``try_into_generate``
  (``temperature: 0`` means greedy, ``presence_penalty`` becomes
  ``repetition_penalty = presence_penalty + 2``, ``details`` is always on,
  ``return_full_text`` is left unset and so off), and the response types:
  ``CompletionType`` is tagged by ``object`` (serialized first),
  ``ChatCompletion`` / ``ChatCompletionChunk`` have ``id: ""`` and a
  ``system_fingerprint`` (``{version}-{docker_label or "native"}``), every
  chunk has ``"usage": null`` except the usage chunk, and
  ``FinishReason::format(true)`` maps only EOS to ``"stop"`` (``"length"``
  and ``"stop_sequence"`` are left as they are).
* ``router/src/chat.rs`` ``ChatState::push``: one chunk per generated token,
  ``delta: {"role": "assistant", "content": text}`` (the EOS token's content
  is ``""``), ``finish_reason`` on the last one; with
  ``stream_options.include_usage`` a chunk with ``"choices": []`` and the
  usage follows it. TGI does not refuse ``stream_options`` on a
  non-streaming request; it just has no effect there.
* ``router/src/server.rs`` ``chat_completions``: the stream is axum SSE
  (``data: {json}\n\n`` with axum 0.7, TGI >= 2.1) ending with
  ``data: [DONE]`` (TGI >= 2.2); an error while streaming (validation
  included) is the event ``{"error": {"message": ...,
  "http_status_code": 422}}`` (``InferError::into_openai_event``) followed by
  ``[DONE]``. A non-streaming error is TGI's usual
  ``{"error": ..., "error_type": ...}`` with its status (422 validation,
  424 generation, 429 overloaded).
* ``model`` in the answer is the request's ``model`` unless that is absent
  or ``"tgi"``, else the served model id.

The chat model answers the last user message's content; the prompt length
(``usage.prompt_tokens``, the ``max_total_tokens`` check) is measured on a
plain rendering of all messages (the local "chat template"). Tools,
``response_format`` and ``/v1/completions``-shaped bodies are not modelled:
a request with tools (unless ``tool_choice`` is ``"none"``) is refused with
a local 422 ``tool_error``, ``response_format`` is ignored, and a body with
neither ``inputs`` nor ``messages`` is answered with the untagged-enum 422.

``sse_prefix="data:"`` writes events as TGI < 2.1 did (axum 0.6); such
versions also sent no ``[DONE]`` (``done_marker`` defaults accordingly).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

from langchain_sagemaker.local.common import compact_json
from langchain_sagemaker.local.container import ContainerRequest, ContainerResponse
from langchain_sagemaker.local.models.base import Model
from langchain_sagemaker.local.tgi import (
    _U32_MAX,
    _U64_MAX,
    TGIContainer,
    TGIRequestError,
    _bool,
    _decode_request,
    _opt_bool,
    _opt_float,
    _opt_int,
    _Parameters,
    _Request,
    _ShapeError,
    _tgi_error,
    _Valid,
)

__all__ = ["TGIMessagesContainer"]

_JSON = "application/json"
_SSE = "text/event-stream"
_TEXT = "text/plain; charset=utf-8"
_UNTAGGED = (
    b"Failed to deserialize the JSON body into the target type: "
    b"data did not match any variant of untagged enum SagemakerRequest"
)
_FINISH = {"eos_token": "stop", "length": "length", "stop_sequence": "stop_sequence"}


@dataclass
class _Chat:
    """``ChatRequest`` of ``router/src/lib.rs`` (the fields used)."""

    model: str | None
    messages: list[dict[str, Any]]
    frequency_penalty: float | None
    logprobs: bool
    top_logprobs: int | None
    max_tokens: int | None
    presence_penalty: float | None
    stop: list[str]
    stream: bool
    seed: int | None
    temperature: float | None
    top_p: float | None
    include_usage: bool
    uses_tools: bool


def _content(value: Any) -> str:
    """``MessageContent``: a string, or chunks (text / image_url) joined."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise _ShapeError
    parts = []
    for chunk in value:
        if not isinstance(chunk, dict):
            raise _ShapeError
        kind = chunk.get("type")
        if kind == "text" and isinstance(chunk.get("text"), str):
            parts.append(chunk["text"])
        elif kind == "image_url" and isinstance(chunk.get("image_url"), dict):
            url = chunk["image_url"].get("url")
            if not isinstance(url, str):
                raise _ShapeError
            parts.append(f"![]({url})")
        else:
            raise _ShapeError
    return "".join(parts)


def _message(raw: Any) -> dict[str, Any]:
    """``Message``: role, and content or tool_calls (``MessageBody``)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("role"), str):
        raise _ShapeError
    name = raw.get("name")
    if name is not None and not isinstance(name, str):
        raise _ShapeError
    if "content" in raw:
        try:
            return {"role": raw["role"], "content": _content(raw["content"])}
        except _ShapeError:
            pass
    calls = raw.get("tool_calls")
    if isinstance(calls, list):
        return {"role": raw["role"], "content": json.dumps(calls)}
    raise _ShapeError


def _parse_chat(raw: Any) -> _Chat:
    if not isinstance(raw, dict) or not isinstance(raw.get("messages"), list):
        raise _ShapeError
    messages = [_message(m) for m in raw["messages"]]
    if "max_tokens" in raw and "max_completion_tokens" in raw:
        raise _ShapeError  # serde: duplicate field (alias)
    max_key = (
        "max_completion_tokens" if "max_completion_tokens" in raw else "max_tokens"
    )
    stop = raw.get("stop")
    if stop is not None and (
        not isinstance(stop, list) or not all(isinstance(s, str) for s in stop)
    ):
        raise _ShapeError
    model = raw.get("model")
    if model is not None and not isinstance(model, str):
        raise _ShapeError
    if raw.get("logit_bias") is not None and not isinstance(raw["logit_bias"], list):
        raise _ShapeError
    options = raw.get("stream_options", {})
    if not isinstance(options, dict):
        raise _ShapeError
    _opt_int(raw, "n", 0, _U32_MAX)
    return _Chat(
        model=model,
        messages=messages,
        frequency_penalty=_opt_float(raw, "frequency_penalty"),
        logprobs=bool(_opt_bool(raw, "logprobs")),
        top_logprobs=_opt_int(raw, "top_logprobs", 0, _U32_MAX),
        max_tokens=_opt_int(raw, max_key, 0, _U32_MAX),
        presence_penalty=_opt_float(raw, "presence_penalty"),
        stop=list(stop or []),
        stream=_bool(raw, "stream", False),
        seed=_opt_int(raw, "seed", 0, _U64_MAX),
        temperature=_opt_float(raw, "temperature"),
        top_p=_opt_float(raw, "top_p"),
        include_usage=_bool(options, "include_usage", False),
        uses_tools=bool(raw.get("tools")) and raw.get("tool_choice") != "none",
    )


def _render(messages: list[dict[str, Any]]) -> str:
    """The local chat template: what the prompt length is measured on."""
    turns = "".join(f"<|{m['role']}|>\n{m['content']}</s>\n" for m in messages)
    return turns + "<|assistant|>\n"


class TGIMessagesContainer(TGIContainer):
    """A TGI container that also serves the Messages API on ``/invocations``.

    Args:
        model: The model that generates the tokens.
        model_id: The served model id (``model`` of the answers).
        system_fingerprint: ``system_fingerprint`` of the answers.
        done_marker: Whether streams end with ``[DONE]``; by default only
            with the ``"data: "`` prefix (TGI >= 2.2 wrote it, TGI < 2.1
            wrote ``data:`` and no ``[DONE]``).
        **options: Options of :class:`~langchain_sagemaker.local.tgi.TGIContainer`
            (``sse_prefix``, ``latency_ms``, ``max_total_tokens``...).
    """

    dialect = "tgi-messages"

    def __init__(
        self,
        model: Model,
        *,
        model_id: str = "local-model",
        system_fingerprint: str = "3.3.6-native",
        done_marker: bool | None = None,
        **options: Any,
    ) -> None:
        super().__init__(model, **options)
        self.model_id = model_id
        self.system_fingerprint = system_fingerprint
        self.done_marker = (
            done_marker if done_marker is not None else self.sse_prefix == b"data: "
        )

    def __repr__(self) -> str:
        name = getattr(self.model, "name", self.model)
        return f"TGIMessagesContainer(model={name!r})"

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Answer one ``POST /invocations``: a generate or a chat request.

        Args:
            request: The request SageMaker forwards.

        Returns:
            TGI's answer: JSON, an SSE stream, or an error.
        """
        try:
            _decode_request(request.content_type, request.body)
        except TGIRequestError as error:
            if error.status != 422:  # 415 / 400: the same for every variant
                return ContainerResponse(
                    status=error.status,
                    content_type=error.content_type,
                    body=error.body,
                )
        else:
            return await super().invoke(request)
        try:
            chat = _parse_chat(json.loads(request.body))
        except _ShapeError:
            return ContainerResponse(status=422, content_type=_TEXT, body=_UNTAGGED)
        try:
            return await self._chat(chat)
        except TGIRequestError as error:
            return ContainerResponse(
                status=error.status, content_type=error.content_type, body=error.body
            )

    # -- chat_completions ------------------------------------------------------------

    def _generate_request(self, chat: _Chat, inputs: str) -> _Request:
        """``ChatRequest::try_into_generate``."""
        do_sample, temperature = (
            (False, None) if chat.temperature == 0.0 else (True, chat.temperature)
        )
        parameters = _Parameters(
            temperature=temperature,
            repetition_penalty=(
                None if chat.presence_penalty is None else chat.presence_penalty + 2.0
            ),
            frequency_penalty=chat.frequency_penalty,
            top_p=chat.top_p,
            do_sample=do_sample,
            max_new_tokens=chat.max_tokens,
            stop=list(chat.stop),
            details=True,
            seed=chat.seed,
            top_n_tokens=chat.top_logprobs,
        )
        return _Request(inputs=inputs, parameters=parameters, stream=chat.stream)

    def _model_name(self, chat: _Chat) -> str:
        return self.model_id if chat.model in (None, "tgi") else str(chat.model)

    def _prompt(self, chat: _Chat) -> str:
        users = [m for m in chat.messages if m["role"] == "user"]
        return users[-1]["content"] if users else ""

    @staticmethod
    def _logprobs(tokens: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "content": [
                {"token": t["text"], "logprob": t["logprob"], "top_logprobs": []}
                for t in tokens
            ]
        }

    async def _chat(self, chat: _Chat) -> ContainerResponse:
        if chat.uses_tools:
            # TGI would constrain the output with its tool grammar.
            raise _tgi_error(
                422, "Tool calls are not modelled by the local container", "tool_error"
            )
        req = self._generate_request(chat, _render(chat.messages))
        if chat.stream:
            return ContainerResponse(
                status=200, content_type=_SSE, stream=self._chat_sse(chat, req)
            )
        self._acquire()
        try:
            valid = self._validate(req)
            tokens: list[dict[str, Any]] = []
            reason = "eos_token"
            prompt_req = _Request(self._prompt(chat), req.parameters, False)
            try:
                async for token, finish in self._steps(prompt_req, valid):
                    tokens.append(token)
                    if finish is not None:
                        reason = finish
            except Exception as error:
                raise _tgi_error(
                    424, f"Request failed during generation: {error}", "generation"
                ) from error
        finally:
            self._in_flight -= 1
        text = "".join(t["text"] for t in tokens if not t["special"])
        body = {
            "object": "chat.completion",
            "id": "",
            "created": int(time.time()),
            "model": self._model_name(chat),
            "system_fingerprint": self.system_fingerprint,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "logprobs": self._logprobs(tokens) if chat.logprobs else None,
                    "finish_reason": _FINISH[reason],
                }
            ],
            "usage": {
                "prompt_tokens": valid.input_length,
                "completion_tokens": len(tokens),
                "total_tokens": valid.input_length + len(tokens),
            },
        }
        return ContainerResponse(
            status=200, content_type=_JSON, body=compact_json(body)
        )

    def _chunk(
        self,
        chat: _Chat,
        choices: list[dict[str, Any]],
        usage: dict[str, Any] | None = None,
    ) -> bytes:
        return self._event(
            {
                "object": "chat.completion.chunk",
                "id": "",
                "created": int(time.time()),
                "model": self._model_name(chat),
                "system_fingerprint": self.system_fingerprint,
                "choices": choices,
                "usage": usage,
            }
        )

    def _error_event(self, error: TGIRequestError) -> bytes:
        message = json.loads(error.body)["error"]
        return self._event({"error": {"message": message, "http_status_code": 422}})

    async def _chat_sse(self, chat: _Chat, req: _Request) -> AsyncIterator[bytes]:
        sent = 0

        def checked(event: bytes) -> bytes:
            nonlocal sent
            if self.break_stream_after is not None and sent >= self.break_stream_after:
                raise ConnectionResetError("the model container closed the connection")
            sent += 1
            return event

        events = self._chat_token_events(chat, req)
        try:
            async for event in events:
                yield checked(event)
        finally:
            await events.aclose()
        if self.done_marker:
            yield checked(self.sse_prefix + b"[DONE]\n\n")

    async def _chat_token_events(
        self, chat: _Chat, req: _Request
    ) -> AsyncGenerator[bytes, None]:
        """``ChatState::push`` over ``generate_stream_internal``'s tokens."""
        try:
            self._acquire()
        except TGIRequestError as error:
            yield self._error_event(error)
            return
        try:
            try:
                valid: _Valid = self._validate(req)
            except TGIRequestError as error:
                yield self._error_event(error)
                return
            prompt_req = _Request(self._prompt(chat), req.parameters, True)
            steps = self._steps(prompt_req, valid)
            count = 0
            while True:
                try:
                    step = await anext(steps, None)
                except Exception as error:
                    failure = _tgi_error(
                        424, f"Request failed during generation: {error}", "generation"
                    )
                    yield self._error_event(failure)
                    return
                if step is None:
                    return
                token, finish = step
                count += 1
                content = "" if token["special"] else token["text"]
                yield self._chunk(
                    chat,
                    [
                        {
                            "index": 0,
                            "delta": {"role": "assistant", "content": content},
                            "logprobs": self._logprobs([token])
                            if chat.logprobs
                            else None,
                            "finish_reason": _FINISH[finish] if finish else None,
                        }
                    ],
                )
                if finish is not None:
                    if chat.include_usage:
                        usage = {
                            "prompt_tokens": valid.input_length,
                            "completion_tokens": count,
                            "total_tokens": valid.input_length + count,
                        }
                        yield self._chunk(chat, [], usage)
                    return
        finally:
            self._in_flight -= 1
