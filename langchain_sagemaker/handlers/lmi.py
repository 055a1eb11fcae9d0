"""DJL LMI (Large Model Inference): vLLM, LMI-dist, TensorRT-LLM rolling batch.

Wire format, from djl-serving ``engines/python/setup/djl_python/``:
``input_parser.py`` (``parse_lmi_default_request_rolling_batch``),
``output_formatter.py`` (``_json_output_formatter``,
``_jsonlines_output_formatter``, ``get_details_dict``), ``request_io.py``
(``Token.as_dict`` / ``as_tgi_dict``), ``rolling_batch/vllm_rolling_batch.py``
and ``trtllm_rolling_batch.py`` (parameter names), ``lmi_vllm/
request_response_utils.py`` (LMI >= v15 vLLM async mode), and the docs
``serving/docs/lmi/user_guides/lmi_input_output_schema.md``:

* request: ``{"inputs": str, "parameters": {"max_new_tokens", "temperature",
  "top_p", "do_sample", "stop_sequences", "details"}, "stream": bool}``.
* response: ``{"generated_text": str, "details": {"finish_reason",
  "generated_tokens", "inputs", "tokens"}}`` (a one-item list with
  ``tgi_compat``); ``details`` only with ``parameters.details``.
* stream: JSON lines as Python's ``json.dumps`` writes them (``", "``),
  ``{"token": {"id", "text", "log_prob"}}``; the last line also has
  ``generated_text`` (the end marker) and ``details``. With
  ``output_formatter=sse`` or ``tgi_compat`` the same lines come as
  server-sent events, TGI-shaped (``logprob``, ``special``,
  ``"generated_text": null`` until the end); both are read here.
* usage: ``details.generated_tokens``; the prompt count only where sent
  (``details.input_length`` in the vLLM async mode's stream).
* errors: a last stream line with ``details.finish_reason == "error"`` (the
  token may carry ``error_msg``), or ``{"error": ...}`` (vLLM async mode);
  a whole response ``{"generated_text": null, "error", "code"}``.
* a whole response arriving on the response-stream API (a model not set up
  to stream) is read as the stream's only event.

LMI before 0.32 samples only with ``do_sample: true``, so a positive
``temperature`` also sends it; ``temperature <= 0`` sends ``do_sample: false``
instead. ``details`` is sent by default (it carries the finish reason and the
token count). ``stop_sequences`` is what the rolling-batch backends read; the
vLLM async mode (LMI >= v15) passes parameters to vLLM, which reads ``stop``,
so there stops are applied client-side only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from langchain_sagemaker.handlers import _detect
from langchain_sagemaker.handlers._common import (
    ParamStyle,
    details_usage,
    error_message,
    error_status,
    finish_reason_of,
    model_error,
    sse_line,
    stream_error,
    wrong_shape,
)
from langchain_sagemaker.handlers._inputs import InputsHandler
from langchain_sagemaker.handlers._json import loads
from langchain_sagemaker.handlers.base import Delta, Framing
from langchain_sagemaker.handlers.registry import register_handler

__all__ = ["LMIHandler"]


def _details(item: Mapping[str, Any]) -> Mapping[str, Any]:
    details = item.get("details")
    return details if isinstance(details, dict) else {}


@register_handler("lmi")
class LMIHandler(InputsHandler):
    """DJL LMI rolling batch (``inputs`` / ``parameters`` -> ``generated_text``).

    Also reads TGI's generate responses and streams (LMI's ``tgi_compat``).

    Example:
        ```python
        llm = SagemakerEndpoint(
            endpoint_name="my-lmi",
            content_handler="lmi",
            model_kwargs={"max_tokens": 256, "temperature": 0.7},
        )
        ```
    """

    name: ClassVar[str] = "lmi"
    framing: ClassVar[Framing] = "lines"
    server_side_stop: ClassVar[bool] = True
    has_end_marker: ClassVar[bool] = True
    style: ClassVar[ParamStyle] = ParamStyle(
        "max_new_tokens",
        greedy="do_sample",
        sample_flag=True,
        stop_key="stop_sequences",
    )

    def default_parameters(self, *, stream: bool) -> dict[str, Any]:
        """``details: true`` (finish reason and generated-token count)."""
        return {"details": True}

    def parse_response(self, body: bytes) -> Delta:
        """Read ``{"generated_text", "details"}`` (or its one-item list)."""
        data = loads(body, handler=self.who)
        item = data[0] if isinstance(data, list) and data else data
        if not isinstance(item, dict):
            raise wrong_shape(self.who, data, 'no "generated_text" in it')
        details = _details(item)
        message = error_message(item)
        if message is not None or details.get("finish_reason") == "error":
            raise model_error(
                self.who, message or "generation failed", error_status(item)
            )
        text = item.get("generated_text")
        if not isinstance(text, str):
            raise wrong_shape(self.who, data, 'no "generated_text" string in it')
        return Delta(
            text=text,
            finish_reason=finish_reason_of(details.get("finish_reason")),
            usage=details_usage(details),
            done=True,
        )

    def parse_event(self, data: bytes) -> Delta | None:
        """Read one line: a token, or the last token with the generated text."""
        payload, sse = sse_line(data)
        if payload is None:
            return None
        event = loads(payload, handler=self.who)
        token = event.get("token") if isinstance(event, dict) else None
        message = error_message(event)
        if message is not None and token is None:
            raise stream_error(self.who, message)
        if not isinstance(token, dict) and "lmi" in _detect.response_readers(event):
            # a whole response: LMI configured not to stream (or TGI not asked to)
            return replace(self.parse_response(payload), done=True)
        if not isinstance(token, dict):
            raise wrong_shape(
                self.who,
                event,
                'a stream line has no "token" object',
                stream=True,
                sse=sse,
            )
        details = _details(event)
        if details.get("finish_reason") == "error":
            raise stream_error(
                self.who, str(token.get("error_msg") or "generation failed")
            )
        text = token.get("text")
        text = "" if token.get("special") is True or not isinstance(text, str) else text
        if event.get("generated_text") is None:
            return Delta(text=text)
        return Delta(
            text=text,
            finish_reason=finish_reason_of(details.get("finish_reason")),
            usage=details_usage(details),
            done=True,
        )
