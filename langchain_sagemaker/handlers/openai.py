"""OpenAI-compatible servers: completions (``openai``) and chat (``openai-chat``).

For containers that answer SageMaker's ``/invocations`` with the OpenAI schema:
vLLM (``vllm/entrypoints/openai/protocol.py``, ``serving_completion.py``,
``serving_chat.py``), SGLang, llama.cpp's server, DJL LMI with the chat schema
(``djl_python/chat_completions/``, ``output_formatter.py``), and TGI >= 2.4
(``router/src/sagemaker.rs`` routes a ``prompt`` or ``messages`` body to its
completions / chat handlers).

* ``openai``: ``{"prompt", "max_tokens", "temperature", "top_p", "stop",
  "stream", "stream_options"}`` -> ``choices[0].text``.
* ``openai-chat``: ``{"messages": [{"role": "user", "content": prompt}], ...}``
  -> ``choices[0].message.content``; stream ``choices[0].delta.content``.

``stream_options: {"include_usage": true}`` is sent only with ``"stream": true``
(vLLM's ``validate_stream_options`` rejects it otherwise), so usage comes in
the stream's last chunk (``"choices": []``). ``temperature: 0`` is greedy for
vLLM and passed as is; stop sequences go in ``stop`` (no count limit in vLLM).
vLLM's completions default ``max_tokens`` is 16, so set ``max_tokens``; vLLM
before 0.8 (PR #13568) also requires ``model`` (pass it in ``model_kwargs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from langchain_sagemaker.handlers._openai import OpenAIShapeHandler
from langchain_sagemaker.handlers.registry import register_handler

__all__ = ["OpenAIChatHandler", "OpenAICompletionsHandler"]


@register_handler("openai")
class OpenAICompletionsHandler(OpenAIShapeHandler):
    """OpenAI-compatible text completions (``prompt`` -> ``choices[0].text``).

    Example:
        ```python
        llm = SagemakerEndpoint(
            endpoint_name="my-vllm",
            content_handler="openai",
            model_kwargs={"max_tokens": 256},
        )
        ```
    """

    name: ClassVar[str] = "openai"

    def payload(self, prompt: str) -> dict[str, Any]:
        """``{"prompt": prompt}``."""
        return {"prompt": prompt}

    def choice_text(self, choice: Mapping[str, Any]) -> str | None:
        """``choices[i].text``."""
        text = choice.get("text")
        return text if isinstance(text, str) else None

    def delta_text(self, choice: Mapping[str, Any]) -> str | None:
        """``choices[i].text`` (completion chunks carry text, not a delta)."""
        return self.choice_text(choice)


@register_handler("openai-chat")
class OpenAIChatHandler(OpenAIShapeHandler):
    """OpenAI-compatible chat completions over one user message.

    Example:
        ```python
        llm = SagemakerEndpoint(endpoint_name="my-vllm", content_handler="openai-chat")
        llm.invoke("What is the capital of France?")
        ```
    """

    name: ClassVar[str] = "openai-chat"

    def payload(self, prompt: str) -> dict[str, Any]:
        """``{"messages": [{"role": "user", "content": prompt}]}``."""
        return {"messages": [{"role": "user", "content": prompt}]}

    def choice_text(self, choice: Mapping[str, Any]) -> str | None:
        """``choices[i].message.content`` (``null`` content, e.g. a tool call: "")."""
        message = choice.get("message")
        if not isinstance(message, dict):
            return None
        content = message.get("content")
        return content if isinstance(content, str) else ""

    def delta_text(self, choice: Mapping[str, Any]) -> str | None:
        """``choices[i].delta.content`` (absent or ``null``: "")."""
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            return None
        content = delta.get("content")
        return content if isinstance(content, str) else ""
