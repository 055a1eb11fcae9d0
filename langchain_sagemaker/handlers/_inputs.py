"""The ``{"inputs", "parameters"}`` request shared by LMI, the HF toolkit, JumpStart.

The Hugging Face convention: the prompt in ``inputs``, the generation
parameters in ``parameters``, and ``"stream": true`` on the top level for
containers that stream (TGI's ``CompatGenerateRequest``, DJL LMI's
``parse_lmi_default_request_rolling_batch``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from langchain_sagemaker.handlers._common import BuiltinHandler, ParamStyle
from langchain_sagemaker.handlers._json import dumps
from langchain_sagemaker.handlers.base import Delta

__all__ = ["InputsHandler", "NonStreaming"]


class InputsHandler(BuiltinHandler):
    """Base of the handlers whose request is ``{"inputs", "parameters"}``.

    Example:
        ```python
        class MyHandler(InputsHandler):
            name = "mine"
            style = ParamStyle("max_new_tokens", stop_key="stop")
            ...  # parse_response, parse_event
        ```
    """

    style: ClassVar[ParamStyle]
    """How the common parameters are spelled for the container."""

    def inputs(self, prompt: str) -> Any:
        """The value of ``inputs`` (the prompt)."""
        return prompt

    def default_parameters(self, *, stream: bool) -> dict[str, Any]:
        """Parameters sent unless ``model_kwargs`` or the call set them.

        ``stream``: whether the request is for a response stream.
        """
        return {}

    def parameters(
        self, params: Mapping[str, Any], stop: list[str], *, stream: bool
    ) -> dict[str, Any]:
        """The value of ``parameters``: the mapped params plus the defaults."""
        out = self.style.apply(params, stop, handler=self.who)
        for key, value in self.default_parameters(stream=stream).items():
            out.setdefault(key, value)
        return out

    def request_body(
        self,
        prompt: str,
        params: Mapping[str, Any],
        *,
        stop: list[str],
        stream: bool,
    ) -> bytes:
        """Build ``{"inputs", "parameters"}``, plus ``"stream": true`` to stream."""
        self.check_stream(stream)
        body: dict[str, Any] = {
            "inputs": self.inputs(prompt),
            "parameters": self.parameters(params, stop, stream=stream),
        }
        if stream:
            body["stream"] = True
        return dumps(body)


class NonStreaming(BuiltinHandler):
    """Mixin for containers that cannot stream: streaming calls are refused.

    Put it before the request base: ``class H(NonStreaming, InputsHandler)``.

    Example:
        ```python
        class MyHandler(NonStreaming, InputsHandler):
            container = "my script container"
            instead = "deploy the model with TGI"
        ```
    """

    streams: ClassVar[bool] = False

    def parse_event(self, data: bytes) -> Delta | None:
        """Never reached (streaming requests are refused): raise the same error."""
        self.check_stream(True)
        return None
