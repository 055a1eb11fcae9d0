"""The one sync loop and the one async loop that drive the streaming engine.

Both endpoint classes (LLM and chat) prepare a :class:`Call` (client method,
parameters, and an assembler that turns bytes into chunks) and hand it here.
The loops only move bytes: every decision lives in the sans-I/O assembler.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from langchain_sagemaker.errors import translate_error
from langchain_sagemaker.handlers.base import StreamLine

__all__ = ["Call", "Reader", "arun", "run"]

T_co = TypeVar("T_co", covariant=True)


class Reader(Protocol[T_co]):
    """What the loops need from an assembler."""

    @property
    def text(self) -> str:
        """Text emitted so far (for errors' ``partial_text``)."""
        ...

    @property
    def stopped(self) -> bool:
        """A stop sequence was seen."""
        ...

    @property
    def done(self) -> bool:
        """The container's end-of-stream marker was seen."""
        ...

    def feed_body(self, body: Any) -> Sequence[T_co]:
        """Read a whole response body."""
        ...

    def feed_event(self, event: Mapping[str, Any]) -> Sequence[T_co]:
        """Read one event of the response stream."""
        ...

    def close(self) -> Sequence[T_co]:
        """End of the stream."""
        ...


T = TypeVar("T")


@dataclass
class Call(Generic[T]):
    """One prepared call: the client method, its parameters, and the reader."""

    params: dict[str, Any]
    reader: Reader[T]
    stream: bool
    endpoint_name: str

    @property
    def operation(self) -> str:
        """The boto3 client method to call."""
        if self.stream:
            return "invoke_endpoint_with_response_stream"
        return "invoke_endpoint"


def run(client: Any, call: Call[T]) -> Iterator[T]:
    """Make the call with a boto3 client and yield what the reader makes of it."""
    reader = call.reader
    try:
        response = getattr(client, call.operation)(**call.params)
        call.params.pop("Body", None)  # do not hold the prompt during a stream
        if not call.stream:
            yield from reader.feed_body(response["Body"])
            return
        body = response["Body"]
        try:
            for event in body:
                yield from reader.feed_event(event)
                if reader.stopped or reader.done:
                    break
            yield from reader.close()
        finally:
            close = getattr(body, "close", None)
            if callable(close):
                close()
    except Exception as exc:
        raise translate_error(
            exc, endpoint_name=call.endpoint_name, partial_text=reader.text
        ) from exc


async def arun(clients: Any, call: Call[T]) -> AsyncIterator[T]:
    """The same with aiobotocore (``clients.get()`` gives this loop's client)."""
    reader = call.reader
    try:
        client = await clients.get()
        response = await getattr(client, call.operation)(**call.params)
        call.params.pop("Body", None)
        if not call.stream:
            for item in reader.feed_body(StreamLine(await response["Body"].read())):
                yield item
            return
        body = response["Body"]
        try:
            async for event in body:
                for item in reader.feed_event(event):
                    yield item
                if reader.stopped or reader.done:
                    break
            for item in reader.close():
                yield item
        finally:
            _close_async_stream(body)
    except Exception as exc:
        raise translate_error(
            exc, endpoint_name=call.endpoint_name, partial_text=reader.text
        ) from exc


def _close_async_stream(body: Any) -> None:
    raw = getattr(body, "_raw_stream", None)
    close = getattr(raw, "close", None) or getattr(body, "close", None)
    if callable(close):
        close()
