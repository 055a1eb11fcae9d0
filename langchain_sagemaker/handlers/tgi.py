"""Hugging Face Text Generation Inference (TGI), the HF LLM DLC on SageMaker.

Wire format, from TGI's ``router/src/lib.rs`` (``GenerateRequest``,
``GenerateParameters``, ``GenerateResponse``, ``StreamResponse``) and
``router/src/server.rs`` (``compat_generate``, which serves SageMaker's
``/invocations`` and streams only when the body says ``"stream": true``):

* request: ``{"inputs": str, "parameters": {...}, "stream": bool}``
* response: ``[{"generated_text": str, "details": {...}}]`` (``details`` only
  when ``parameters.details`` is true)
* stream: server-sent events ``data:{"token": {"text": ...}, ...}``; the last
  event carries ``generated_text`` and ``details`` with ``finish_reason``,
  ``generated_tokens`` and ``input_length``.

``/invocations`` defaults ``return_full_text`` to true for text-generation
models, so this handler sends ``false`` unless told otherwise. TGI rejects
``temperature <= 0`` and ``top_p >= 1`` and accepts at most 4 stop sequences.
"""

from __future__ import annotations

from typing import Any, ClassVar

from langchain_sagemaker.handlers._common import (
    ParamStyle,
    details_usage,
    stream_error,
)
from langchain_sagemaker.handlers._inputs import InputsHandler
from langchain_sagemaker.handlers._json import loads, mismatch
from langchain_sagemaker.handlers.base import Delta, Framing
from langchain_sagemaker.handlers.registry import register_handler

__all__ = ["TGIHandler"]

MAX_STOP_SEQUENCES = 4
"""TGI's default ``--max-stop-sequences``."""

_LARGE_EVENT = 4096
_GENERATED_TEXT = b'"generated_text":"'


def _drop_generated_text(data: bytes) -> bytes:
    """Replace the ``generated_text`` string of an event with ``"-"``.

    A plain scan for the closing quote (skipping escaped ones): no regex, whose
    backtracking state would cost memory per character of a long answer.
    """
    start = data.find(_GENERATED_TEXT)
    if start == -1:
        return data
    begin = start + len(_GENERATED_TEXT)
    end = data.find(b'"', begin)
    while end != -1:
        before = end - 1
        while before >= begin and data[before] == 0x5C:  # a backslash
            before -= 1
        if (end - 1 - before) % 2 == 0:
            return data[:begin] + b"-" + data[end:]
        end = data.find(b'"', end + 1)
    return data


@register_handler("tgi")
class TGIHandler(InputsHandler):
    """Hugging Face TGI (``inputs`` / ``parameters`` -> ``generated_text``).

    Example:
        ```python
        llm = SagemakerEndpoint(endpoint_name="my-tgi", content_handler="tgi")
        ```
    """

    name: ClassVar[str] = "tgi"
    framing: ClassVar[Framing] = "sse"
    server_side_stop: ClassVar[bool] = True
    has_end_marker: ClassVar[bool] = True

    style: ClassVar[ParamStyle] = ParamStyle(
        "max_new_tokens",
        greedy="do_sample",
        top_p_below_one=True,
        stop_key="stop",
        max_stop=MAX_STOP_SEQUENCES,
    )

    def default_parameters(self, *, stream: bool) -> dict[str, Any]:
        """``return_full_text: false``, and ``details: true`` on streams.

        On a stream ``details`` is one small object on the last event (finish
        reason, token counts). On a whole response TGI's details also list
        every generated token (id, text, logprob), so it is sent there only
        when ``model_kwargs`` or the call set it.
        """
        defaults: dict[str, Any] = {"return_full_text": False}
        if stream:
            defaults["details"] = True
        return defaults

    def parse_response(self, body: bytes) -> Delta:
        """Read ``[{"generated_text", "details"}]`` (or the bare object)."""
        data = loads(body, handler=self.name)
        item = data[0] if isinstance(data, list) and data else data
        if not isinstance(item, dict) or not isinstance(
            item.get("generated_text"), str
        ):
            raise mismatch(self.name, data, 'no "generated_text" string in it')
        details = item.get("details") or {}
        return Delta(
            text=item["generated_text"],
            finish_reason=details.get("finish_reason"),
            usage=details_usage(details),
            done=True,
        )

    def parse_event(self, data: bytes) -> Delta | None:
        """Read one SSE event: a token, or the last event with the details."""
        if len(data) > _LARGE_EVENT:
            # The last event repeats the whole answer in ``generated_text``;
            # the tokens already carried it, so do not materialise it again.
            data = _drop_generated_text(data)
        event = loads(data, handler=self.name)
        if not isinstance(event, dict):
            raise mismatch(self.name, data, "a stream event is not a JSON object")
        if "error" in event and "token" not in event:
            raise stream_error("TGI", f"{event.get('error')}")
        token = event.get("token")
        if not isinstance(token, dict):
            raise mismatch(self.name, data, 'a stream event has no "token" object')
        text = "" if token.get("special") else str(token.get("text", ""))
        if event.get("generated_text") is None:
            return Delta(text=text)
        details = event.get("details") or {}
        return Delta(
            text=text,
            finish_reason=details.get("finish_reason"),
            usage=details_usage(details),
            done=True,
        )
