"""Hugging Face TGI's Messages API (OpenAI chat completions) on SageMaker.

Wire format, from TGI's ``router/src/lib.rs`` (``ChatRequest``,
``StreamOptions``, ``ChatCompletion``, ``ChatCompletionChunk``, ``Usage``,
``FinishReason::format``), ``router/src/chat.rs`` (``ChatState::push``) and
``router/src/server.rs`` (``chat_completions``):

* request: ``{"messages", "max_tokens", "temperature", "top_p", "stop",
  "stream", "stream_options"}`` sent to ``/invocations``. TGI >= 2.4 routes a
  ``messages`` body there to the chat handler (``router/src/sagemaker.rs``,
  PR #2683); TGI 1.4-2.3 does so only with ``MESSAGES_API_ENABLED=true``.
* response: ``{"object": "chat.completion", ..., "choices": [{"message":
  {"role", "content"}, "finish_reason"}], "usage": {...}}``; ``finish_reason``
  is ``"length"``, ``"stop"`` (end-of-sequence token) or ``"stop_sequence"``.
* stream: server-sent events written by axum as ``data:{...}`` (no space),
  ``choices[0].delta.content`` per token; the last token's chunk carries
  ``finish_reason``; ended by ``data:[DONE]``. Usage comes only when asked with
  ``stream_options.include_usage`` (TGI >= 2.3, PR #2533), as one more chunk
  with ``"choices": []`` before ``[DONE]``; earlier versions ignore the field.
* stream errors: ``{"error": {"message", "http_status_code"}}``
  (``InferError::into_openai_event``).

TGI validates ``temperature > 0`` (``router/src/validation.rs``) but maps a
chat ``temperature`` of exactly 0 to greedy decoding (TGI >= 2.0.2, PR #1749),
so ``temperature <= 0`` is sent as ``0.0``. ``top_p`` must be < 1, and at most
4 stop sequences are accepted (``--max-stop-sequences``).
"""

from __future__ import annotations

from typing import ClassVar

from langchain_sagemaker.handlers._common import ParamStyle
from langchain_sagemaker.handlers.base import Framing
from langchain_sagemaker.handlers.openai import OpenAIChatHandler
from langchain_sagemaker.handlers.registry import register_handler
from langchain_sagemaker.handlers.tgi import MAX_STOP_SEQUENCES

__all__ = ["TGIMessagesHandler"]


@register_handler("tgi-messages")
class TGIMessagesHandler(OpenAIChatHandler):
    """TGI's Messages API: one user message in, chat completion out.

    Example:
        ```python
        llm = SagemakerEndpoint(endpoint_name="my-tgi", content_handler="tgi-messages")
        ```
    """

    name: ClassVar[str] = "tgi-messages"
    framing: ClassVar[Framing] = "sse"
    style: ClassVar[ParamStyle] = ParamStyle(
        "max_tokens",
        greedy="zero",
        top_p_below_one=True,
        stop_key="stop",
        max_stop=MAX_STOP_SEQUENCES,
    )
