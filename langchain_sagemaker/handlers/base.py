"""Content handler contracts: the legacy one users write, and the built-in one.

Two layers, both accepted wherever a handler is expected:

* :class:`LLMContentHandler` is the contract users already write for
  langchain-community / langchain-aws: ``transform_input`` builds the request
  body, ``transform_output`` reads the response ``Body`` (and, when streaming,
  one line of the stream).
* :class:`ModelHandler` is what built-in handlers implement: it also knows how
  to ask the container to stream, how the stream is framed, and how to read
  usage and the finish reason.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

__all__ = [
    "ContentHandlerBase",
    "Delta",
    "Framing",
    "LLMContentHandler",
    "LegacyHandler",
    "ModelHandler",
    "StreamLine",
    "read_body",
]

INPUT_TYPE = TypeVar("INPUT_TYPE")
OUTPUT_TYPE = TypeVar("OUTPUT_TYPE")

Framing = Literal["lines", "sse"]
"""How a response stream is split into events: JSON lines, or server-sent events."""


@dataclass(frozen=True)
class Delta:
    """What one response, or one stream event, contributes to a generation.

    Attributes:
        text: Generated text (a delta when streaming).
        finish_reason: Why generation ended, as the container says it.
        usage: Token counts the container reported (``prompt_tokens``,
            ``completion_tokens``, ``total_tokens``); only those it reported.
        done: True when this event is the container's end-of-stream marker.
    """

    text: str = ""
    finish_reason: str | None = None
    usage: Mapping[str, int] | None = None
    done: bool = False


class ContentHandlerBase(Generic[INPUT_TYPE, OUTPUT_TYPE]):
    """The legacy handler contract of langchain-community and langchain-aws.

    Example:
        ```python
        class ContentHandler(ContentHandlerBase[str, str]):
            content_type = "application/json"
            accepts = "application/json"

            def transform_input(self, prompt: str, model_kwargs: dict) -> bytes:
                return json.dumps({"inputs": prompt, **model_kwargs}).encode()

            def transform_output(self, output: bytes) -> str:
                return json.loads(output.read().decode())[0]["generated_text"]
        ```
    """

    content_type: str | None = "text/plain"
    """The MIME type of the request body."""

    accepts: str | None = "text/plain"
    """The MIME type of the response body."""

    @abstractmethod
    def transform_input(
        self, prompt: INPUT_TYPE, model_kwargs: dict[str, Any]
    ) -> bytes:
        """Build the request body from the prompt and the model parameters."""

    @abstractmethod
    def transform_output(self, output: Any) -> OUTPUT_TYPE:
        """Read the response body (or, when streaming, one line) into the output."""


class LLMContentHandler(ContentHandlerBase[str, str]):
    """Content handler for :class:`~langchain_sagemaker.SagemakerEndpoint`.

    ``transform_output`` receives the response ``Body`` as the client returned
    it (a botocore ``StreamingBody``), or, when streaming, one line of the
    stream as a :class:`StreamLine`: ``bytes`` that also has ``.read()``, so a
    handler written either way works for both.

    Example:
        ```python
        import json
        from langchain_sagemaker import LLMContentHandler


        class ContentHandler(LLMContentHandler):
            content_type = "application/json"
            accepts = "application/json"

            def transform_input(self, prompt: str, model_kwargs: dict) -> bytes:
                body = {"inputs": prompt, "parameters": model_kwargs}
                return json.dumps(body).encode("utf-8")

            def transform_output(self, output) -> str:
                return json.loads(output.read().decode("utf-8"))[0]["generated_text"]
        ```
    """


class StreamLine(bytes):
    """One line of a response stream: ``bytes`` that can also be ``.read()``.

    Legacy handlers are written either for a line (``json.loads(output)``) or
    for a response body (``output.read()``); this type serves both.
    """

    def read(self, amt: int | None = None) -> bytes:
        """Return the line's bytes, like ``StreamingBody.read()``."""
        data = bytes(self)
        return data if amt is None or amt < 0 else data[:amt]

    def decode_text(self) -> str:
        """Return the line as text (UTF-8)."""
        return self.decode("utf-8")


def read_body(body: Any) -> bytes:
    """Read a response body into bytes.

    Accepts what clients and user mocks return: a botocore ``StreamingBody``,
    any object with ``.read()``, ``bytes``, ``bytearray`` or ``str``.
    """
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    read = getattr(body, "read", None)
    if read is None:
        msg = f"Cannot read a response body of type {type(body).__name__}."
        raise TypeError(msg)
    data = read()
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


class ModelHandler(ABC):
    """A built-in handler: one model container's request and response dialect.

    Subclasses set the class attributes and implement the three methods. The
    endpoint class does the I/O, framing, stop sequences and callbacks.

    Example:
        ```python
        from langchain_sagemaker.handlers import ModelHandler, Delta, register_handler


        @register_handler("my-container")
        class MyHandler(ModelHandler):
            def request_body(self, prompt, params, *, stop, stream):
                return json.dumps({"prompt": prompt, "stream": stream}).encode()

            def parse_response(self, body):
                return Delta(text=json.loads(body)["text"], done=True)

            def parse_event(self, data):
                return Delta(text=json.loads(data)["delta"])
        ```
    """

    name: ClassVar[str] = ""
    """The registry name (e.g. ``"tgi"``)."""

    content_type: ClassVar[str] = "application/json"
    """The request body's MIME type."""

    accepts: ClassVar[str] = "application/json"
    """The response body's MIME type."""

    framing: ClassVar[Framing] = "lines"
    """How the response stream is framed."""

    server_side_stop: ClassVar[bool] = False
    """Whether the container applies stop sequences itself (they are sent)."""

    has_end_marker: ClassVar[bool] = False
    """Whether the stream ends with an event for which ``parse_event`` says done.

    When true, a stream that ends without it raises ``IncompleteStreamError``.
    """

    @abstractmethod
    def request_body(
        self,
        prompt: str,
        params: Mapping[str, Any],
        *,
        stop: list[str],
        stream: bool,
    ) -> bytes:
        """Build the request body.

        Args:
            prompt: The prompt text.
            params: ``model_kwargs`` merged with call kwargs (call wins), with
                LangChain's common names (``max_tokens``, ``temperature``,
                ``top_p``) still unmapped.
            stop: Stop sequences (already de-duplicated, non-empty).
            stream: Whether the response-stream API is being used.
        """

    @abstractmethod
    def parse_response(self, body: bytes) -> Delta:
        """Read a whole (non-streaming) response body."""

    @abstractmethod
    def parse_event(self, data: bytes) -> Delta | None:
        """Read one stream event (a JSON line, or one SSE ``data`` payload).

        Returns ``None`` for events that carry nothing (keep-alives).
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class LegacyHandler:
    """Adapts an :class:`LLMContentHandler` to the engine's handler interface.

    Streams are read as JSON lines, and each line goes to ``transform_output``.
    """

    framing: ClassVar[Framing] = "lines"
    server_side_stop: ClassVar[bool] = False
    has_end_marker: ClassVar[bool] = False

    def __init__(self, handler: Any) -> None:
        self.handler = handler

    @property
    def content_type(self) -> str | None:
        """The wrapped handler's ``content_type``."""
        value = getattr(self.handler, "content_type", None)
        return None if value is None else str(value)

    @property
    def accepts(self) -> str | None:
        """The wrapped handler's ``accepts``."""
        value = getattr(self.handler, "accepts", None)
        return None if value is None else str(value)

    def request_body(self, prompt: str, params: Mapping[str, Any]) -> Any:
        """Call ``transform_input(prompt, model_kwargs)``."""
        return self.handler.transform_input(prompt, dict(params))

    def parse_body(self, body: Any) -> Delta:
        """Call ``transform_output`` on the body as the client returned it.

        A ``bytes`` body (as user mocks return) is passed as a
        :class:`StreamLine`, which is still ``bytes`` but can also be ``.read()``.
        """
        if isinstance(body, (bytes, bytearray)) and not isinstance(body, StreamLine):
            body = StreamLine(body)
        return Delta(text=_as_text(self.handler.transform_output(body)))

    def parse_event(self, data: bytes) -> Delta | None:
        """Call ``transform_output`` on one line of the stream."""
        return Delta(text=_as_text(self.handler.transform_output(StreamLine(data))))

    def __repr__(self) -> str:
        return f"LegacyHandler({type(self.handler).__name__})"


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8")
    from langchain_sagemaker.errors import ResponseParseError

    msg = (
        f"The content handler's `transform_output` returned {type(value).__name__}, "
        "but it must return str. What to do: return the generated text, e.g. "
        'json.loads(output.read())[0]["generated_text"].'
    )
    raise ResponseParseError(msg, snippet=repr(value)[:200])
