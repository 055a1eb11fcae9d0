"""``auto``: send the most common request, and read whichever dialect answers.

The request is the Hugging Face ``{"inputs", "parameters"}`` shape that TGI,
DJL LMI and the Hugging Face inference toolkit all accept, with only the
parameters all three accept: ``max_new_tokens``, ``temperature`` /
``do_sample``, ``top_p`` (< 1, for TGI) and ``return_full_text: false`` (TGI
and the toolkit's text-generation pipeline echo the prompt otherwise), plus
``"stream": true`` when streaming. No ``stop`` or ``details``: the toolkit
rejects them, so stop sequences apply client-side and usage is not asked for.

The first response picks the dialect (:mod:`._detect` lists the shapes, most
likely first: OpenAI chat and completions, TGI's list, LMI's object, the
JumpStart shapes), and the handler instance sticks to it; a later response of
another shape is an error. A stream is read line by line, as server-sent
events or JSON lines, so TGI's SSE and LMI's JSON lines both work; a container
that cannot stream answers the stream call with its whole response, which is
read too. The dialect is kept on the instance: with ``content_handler="auto"``
each call builds a new one, so pass ``get_handler("auto")`` to keep it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from langchain_sagemaker.errors import ResponseParseError
from langchain_sagemaker.handlers import _detect
from langchain_sagemaker.handlers._common import (
    BuiltinHandler,
    ParamStyle,
    error_message,
    error_status,
    model_error,
    sse_line,
    stream_error,
)
from langchain_sagemaker.handlers._inputs import InputsHandler
from langchain_sagemaker.handlers._json import loads, mismatch
from langchain_sagemaker.handlers.base import Delta, Framing
from langchain_sagemaker.handlers.jumpstart import (
    JumpStartFlanT5Handler,
    JumpStartLlamaHandler,
)
from langchain_sagemaker.handlers.lmi import LMIHandler
from langchain_sagemaker.handlers.openai import (
    OpenAIChatHandler,
    OpenAICompletionsHandler,
)
from langchain_sagemaker.handlers.registry import register_handler

__all__ = ["AutoHandler"]

_READERS: dict[str, type[BuiltinHandler]] = {
    "openai-chat": OpenAIChatHandler,
    "tgi-messages": OpenAIChatHandler,
    "openai": OpenAICompletionsHandler,
    "tgi": LMIHandler,
    "lmi": LMIHandler,
    "hf-toolkit": LMIHandler,
    "jumpstart-falcon": LMIHandler,
    "jumpstart-mistral": LMIHandler,
    "jumpstart-llama": JumpStartLlamaHandler,
    "jumpstart-flan-t5": JumpStartFlanT5Handler,
}
"""The reader of each dialect (LMI's reader also reads TGI's generate shape)."""


@register_handler("auto")
class AutoHandler(InputsHandler):
    """Detect the container's dialect from its first response, then keep it.

    Attributes:
        detected: The dialect's handler name once detected (e.g. ``"tgi"``),
            else ``None``. Use that name to get usage and server-side stops.
        candidates: Every built-in handler that reads the first response. A
            bare ``[{"generated_text"}]`` is written by TGI, the HF toolkit and
            LMI with ``tgi_compat`` alike, so ``detected`` is then ``"tgi"``
            and ``candidates`` says which others it may be.

    Example:
        ```python
        from langchain_sagemaker import get_handler

        handler = get_handler("auto")
        llm = SagemakerEndpoint(endpoint_name="my-llm", content_handler=handler)
        llm.invoke("Hello")
        print(handler.detected)  # e.g. "tgi"
        ```
    """

    name: ClassVar[str] = "auto"
    framing: ClassVar[Framing] = "lines"
    has_end_marker: ClassVar[bool] = True
    style: ClassVar[ParamStyle] = ParamStyle(
        "max_new_tokens", greedy="do_sample", sample_flag=True, top_p_below_one=True
    )

    def __init__(self) -> None:
        self.detected: str | None = None
        self.candidates: tuple[str, ...] = ()
        self._readers: dict[type[BuiltinHandler], BuiltinHandler] = {}

    def default_parameters(self, *, stream: bool) -> dict[str, Any]:
        """``return_full_text: false`` (TGI and the toolkit echo the prompt)."""
        return {"return_full_text": False}

    def parse_response(self, body: bytes) -> Delta:
        """Pick (or keep) the dialect that reads the response, and read it."""
        data = loads(body, handler=self.name)
        names = _detect.response_readers(data)
        if not names:
            message = error_message(data)
            if message is not None:
                raise model_error(self.name, message, error_status(data))
            raise self._unreadable(data)
        return self._reader(self._pick(names, data)).parse_response(body)

    def parse_event(self, data: bytes) -> Delta | None:
        """Read one stream line in the detected (or now detected) dialect."""
        payload, sse = sse_line(data)
        if payload is None:
            return None
        if payload.strip() == b"[DONE]":
            return Delta(done=True)
        event = loads(payload, handler=self.name)
        names = _detect.event_readers(event, sse=sse)
        if names:
            return self._reader(self._pick(names, event)).parse_event(data)
        names = _detect.response_readers(event)
        if names:  # a container that does not stream sent its whole response
            reader = self._reader(self._pick(names, event))
            return replace(reader.parse_response(payload), done=True)
        message = error_message(event)
        if message is not None:
            raise stream_error(self.name, message)
        raise self._unreadable(event)

    def _pick(self, names: tuple[str, ...], data: Any) -> str:
        if self.detected is None:
            self.detected, self.candidates = names[0], names
        if self.detected in names:
            return self.detected
        msg = (
            f"The 'auto' content handler detected the {self.detected!r} dialect from "
            "the endpoint's first response, but this response is of another kind. "
            "What to do: pass the content handler of the container behind the "
            "endpoint (below), or a fresh get_handler('auto')."
        )
        snippet = mismatch(self.name, data, "another dialect").snippet
        raise ResponseParseError(msg, snippet=snippet, candidates=names)

    def _reader(self, name: str) -> BuiltinHandler:
        cls = _READERS[name]
        reader = self._readers.get(cls)
        if reader is None:
            reader = self._readers[cls] = cls()
            reader.label = self.name
        return reader

    def _unreadable(self, data: Any) -> ResponseParseError:
        msg = (
            "The 'auto' content handler found no built-in dialect that reads the "
            "endpoint's response. What to do: pass the content handler of the "
            "container (see langchain_sagemaker.list_handlers(); those that might "
            "fit are below), or write an LLMContentHandler for it."
        )
        snippet = mismatch(self.name, data, "no dialect").snippet
        return ResponseParseError(msg, snippet=snippet, candidates=_detect.hints(data))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(detected={self.detected!r})"
