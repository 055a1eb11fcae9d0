"""The streaming engine: bytes -> framed events -> text deltas -> stopped chunks.

Everything here is sans-I/O: objects with ``feed(data) -> list`` and
``close() -> list``. A thin sync loop and a thin async loop (in ``llms.py``)
drive the same objects, and the non-streaming path feeds one whole response
through the same stop filter and chunk assembly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from langchain_core.outputs import GenerationChunk

from langchain_sagemaker.errors import IncompleteStreamError, ResponseParseError
from langchain_sagemaker.handlers.base import (
    Delta,
    LegacyHandler,
    ModelHandler,
    read_body,
)

__all__ = [
    "MAX_EVENT_BYTES",
    "Assembler",
    "LineDecoder",
    "LineIterator",
    "SSEDecoder",
    "StopFilter",
    "TextBuffer",
    "clean_stop",
    "enforce_stop_tokens",
    "make_decoder",
]

MAX_EVENT_BYTES = 16 * 1024 * 1024
"""The largest incomplete line or SSE event buffered before giving up."""


class LineDecoder:
    r"""Split a byte stream into lines on ``b"\n"`` only (``\r`` is stripped).

    Only the incomplete tail is buffered, and each byte is scanned once.
    Whitespace-only lines are dropped. ``close()`` returns a last line that
    had no newline.
    """

    def __init__(self, max_line_bytes: int = MAX_EVENT_BYTES) -> None:
        self._buffer = bytearray()
        self._max = max_line_bytes

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return the lines they complete."""
        if not data:
            return []
        start = len(self._buffer)
        self._buffer += data
        lines: list[bytes] = []
        begin = 0
        index = self._buffer.find(b"\n", start)
        while index != -1:
            line = bytes(self._buffer[begin:index]).rstrip(b"\r")
            if line.strip():
                lines.append(line)
            begin = index + 1
            index = self._buffer.find(b"\n", begin)
        if begin:
            del self._buffer[:begin]
        if len(self._buffer) > self._max:
            msg = (
                f"A stream line is longer than {self._max} bytes without a newline; "
                "the stream is not framed as JSON lines. What to do: check the "
                "content handler."
            )
            raise ResponseParseError(
                msg, snippet=bytes(self._buffer[:300]).decode("utf-8", "replace")
            )
        return lines

    def close(self) -> list[bytes]:
        """End of stream: return the unterminated last line, if any."""
        tail = bytes(self._buffer).rstrip(b"\r")
        self._buffer.clear()
        return [tail] if tail.strip() else []


class LineIterator(Iterator[bytes]):
    r"""The lines of a SageMaker response stream, for code that reads one itself.

    The helper of the same name in langchain-aws / langchain-community: give
    it the ``Body`` of ``invoke_endpoint_with_response_stream`` and it yields
    each line as ``bytes`` without its ``\n``, however the lines were split
    across ``PayloadPart`` events; other events are skipped. Unlike those, a
    last line without a newline is yielded (they loop forever on it), and only
    the unfinished line is buffered.

    Example:
        ```python
        response = client.invoke_endpoint_with_response_stream(**params)
        for line in LineIterator(response["Body"]):
            if line.startswith(b"data:"):
                print(json.loads(line[5:])["token"]["text"])
        ```
    """

    def __init__(self, stream: Iterable[Mapping[str, Any]]) -> None:
        self.byte_iterator = iter(stream)
        self._lines = self._read()

    def __iter__(self) -> LineIterator:
        return self

    def __next__(self) -> bytes:
        return next(self._lines)

    def _read(self) -> Iterator[bytes]:
        unfinished = bytearray()
        for event in self.byte_iterator:
            part = event.get("PayloadPart") if isinstance(event, Mapping) else None
            if not part:
                continue
            *lines, rest = part.get("Bytes", b"").split(b"\n")
            for line in lines:
                unfinished += line
                yield bytes(unfinished)
                unfinished.clear()
            unfinished += rest
        if unfinished:
            yield bytes(unfinished)


class SSEDecoder:
    r"""Decode server-sent events into their ``data`` payloads.

    ``data:`` with or without a space (TGI writes ``data:{...}``, vLLM
    ``data: {...}``), several ``data`` lines joined with ``\n``, comment lines
    (``: keep-alive``) and other fields (``event``, ``id``, ``retry``) ignored.
    A blank line ends an event; ``close()`` flushes an event left without one.
    """

    _FIELDS = (b"event:", b"id:", b"retry:", b"event", b"id", b"retry")

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self._buffer = bytearray()
        self._data: list[bytes] = []
        self._data_bytes = 0
        self._max = max_event_bytes
        self.unrecognized = b""
        """The start of the first line that is not SSE (for error messages)."""

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return the payloads of the events they complete."""
        if not data:
            return []
        if (
            not self._buffer
            and not self._data
            and data.startswith(b"data:")
            and data.endswith(b"\n\n")
            and data.count(b"\n", 0, -2) == 0
        ):
            # The common case: one whole single-line event per PayloadPart.
            # Find the value's bounds first and slice once: a last event can
            # be hundreds of kB, and every copy of it counts.
            start = 6 if data.startswith(b" ", 5) else 5
            end = len(data) - 2
            while end > start and data[end - 1] == 0x0D:  # "\r"
                end -= 1
            return [data[start:end]]
        start = len(self._buffer)
        self._buffer += data
        events: list[bytes] = []
        begin = 0
        index = self._buffer.find(b"\n", start)
        while index != -1:
            self._line(bytes(self._buffer[begin:index]).rstrip(b"\r"), events)
            begin = index + 1
            index = self._buffer.find(b"\n", begin)
        if begin:
            del self._buffer[:begin]
        if len(self._buffer) + self._data_bytes > self._max:
            msg = f"A server-sent event is larger than {self._max} bytes."
            raise ResponseParseError(
                msg, snippet=bytes(self._buffer[:300]).decode("utf-8", "replace")
            )
        return events

    def close(self) -> list[bytes]:
        """End of stream: flush a last line and event left unterminated."""
        events: list[bytes] = []
        if self._buffer:
            # A last line cut off mid-way may be a cut ``data:`` line; only
            # if it cannot be one does it count as content in another framing.
            self._line(bytes(self._buffer).rstrip(b"\r"), events, complete=False)
            self._buffer.clear()
        self._line(b"", events)
        return events

    def _line(self, line: bytes, events: list[bytes], complete: bool = True) -> None:
        if not line:
            if self._data:
                events.append(b"\n".join(self._data))
                self._data = []
                self._data_bytes = 0
            return
        if line.startswith(b"data:") or line == b"data":
            value = line[5:]
            value = value[1:] if value.startswith(b" ") else value
            self._data.append(value)
            self._data_bytes += len(value) + 1
        elif not (
            self.unrecognized
            or line.startswith(b":")
            or line.startswith(self._FIELDS)
            or (not complete and b"data:".startswith(line[:5]))
        ):
            self.unrecognized = line[:300]
        # comments (":...") and other fields are ignored


def make_decoder(framing: str) -> LineDecoder | SSEDecoder:
    """Return a fresh decoder for a handler's ``framing``."""
    return SSEDecoder() if framing == "sse" else LineDecoder()


def clean_stop(stop: Iterable[str] | None) -> list[str]:
    """Drop empty and duplicate stop sequences, keeping order."""
    return list(dict.fromkeys(s for s in (stop or ()) if s))


def enforce_stop_tokens(text: str, stop: list[str]) -> str:
    """Cut ``text`` at the first of the stop sequences, matched literally.

    The helper of the same name in langchain-aws / langchain-community, for
    user code that imports it next to ``SagemakerEndpoint``.

    Example:
        ```python
        enforce_stop_tokens("Hello<|eot_id|>World", ["<|eot_id|>"])  # "Hello"
        ```
    """
    cut = StopFilter(stop)
    return cut.feed(text) + cut.close()


class StopFilter:
    """Cut text at the earliest of several literal stop sequences.

    Works across chunk boundaries: it holds back only the longest tail of the
    text that could still begin a stop sequence (at most ``max(len) - 1``
    characters), and it never treats a stop sequence as a pattern.
    """

    def __init__(self, stop: Iterable[str] | None) -> None:
        self.stop = clean_stop(stop)
        self._hold = max((len(s) for s in self.stop), default=1) - 1
        self._pending = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        """Add text; return what can be emitted now (nothing once stopped)."""
        if self.stopped or not text:
            return ""
        if not self.stop:
            return text
        pending = self._pending + text
        start = len(pending) - self._held(pending)
        cut = self._find(pending)
        if cut != -1 and cut <= start:
            self.stopped = True
            self._pending = ""
            return pending[:cut]
        # No stop yet, or one that a longer stop starting earlier (and still
        # open in the held-back tail) may yet override: hold that tail.
        self._pending = pending[start:]
        return pending[:start]

    def close(self) -> str:
        """End of text: return what was held back, cut at a stop in it."""
        rest, self._pending = self._pending, ""
        if self.stopped:
            return ""
        cut = self._find(rest)
        if cut != -1:
            self.stopped = True
            return rest[:cut]
        return rest

    def _find(self, text: str) -> int:
        hits = [i for i in (text.find(s) for s in self.stop) if i != -1]
        return min(hits, default=-1)

    def _held(self, text: str) -> int:
        for size in range(min(self._hold, len(text)), 0, -1):
            tail = text[-size:]
            if any(s.startswith(tail) for s in self.stop):
                return size
        return 0


class TextBuffer:
    """Accumulates text pieces in linear time and near-linear memory.

    (``io.StringIO`` keeps every written piece alive until it has 100,000 of
    them, which costs ~50 bytes per streamed token.) Pieces are joined in
    blocks of :attr:`BLOCK` and appended to one string, which CPython grows
    in place, so the whole text is never held twice.
    """

    BLOCK = 256

    def __init__(self) -> None:
        self._text = ""
        self._pieces: list[str] = []

    def write(self, text: str) -> None:
        """Append ``text``."""
        self._pieces.append(text)
        if len(self._pieces) >= self.BLOCK:
            self._flush()

    def _flush(self) -> None:
        if self._pieces:
            # Take the only reference, so that ``+=`` can grow it in place.
            text, self._text = self._text, ""
            text += "".join(self._pieces)
            self._text, self._pieces = text, []

    def getvalue(self) -> str:
        """Everything written so far."""
        self._flush()
        return self._text


class Assembler:
    """Turn a handler's deltas into ``GenerationChunk``s with stops applied.

    Used for both paths: ``feed_bytes`` / ``close`` for a response stream, and
    ``feed_body`` for a whole response. Keeps the text emitted so far (for
    errors' ``partial_text`` and for the final result), the finish reason and
    the usage the container reported.
    """

    def __init__(
        self, handler: ModelHandler | LegacyHandler, stop: Iterable[str] | None
    ) -> None:
        self.handler = handler
        self.stops = StopFilter(stop)
        self.decoder = make_decoder(handler.framing)
        self.finish_reason: str | None = None
        self.usage: dict[str, int] = {}
        self.done = False
        self.events = 0
        self._text = TextBuffer()

    @property
    def stopped(self) -> bool:
        """True once a stop sequence or the end marker was seen."""
        return self.stops.stopped

    @property
    def text(self) -> str:
        """All text emitted so far."""
        return self._text.getvalue()

    def _not_the_framing(self) -> ResponseParseError | None:
        """The error for a stream none of whose content was in the expected framing."""
        seen = getattr(self.decoder, "unrecognized", b"")
        if self.events or not seen:
            return None
        from langchain_sagemaker.handlers._detect import candidates_for

        snippet = seen.decode("utf-8", "replace")
        name = getattr(self.handler, "name", type(self.handler).__name__)
        msg = (
            f"The response stream is not server-sent events as the {name!r} "
            "content handler expects (no `data:` lines). What to do: pick the "
            "handler for the model container (see list_handlers()), or "
            '"auto".'
        )
        return ResponseParseError(msg, snippet=snippet, candidates=candidates_for(seen))

    def feed_event(self, event: Mapping[str, Any]) -> list[GenerationChunk]:
        """Feed one event of the SageMaker response stream."""
        part = event.get("PayloadPart")
        if part is None:
            return []
        return self.feed_bytes(part.get("Bytes", b""))

    def feed_bytes(self, data: bytes) -> list[GenerationChunk]:
        """Feed raw response-stream bytes."""
        return self._deltas(self.decoder.feed(data))

    def close(self) -> list[GenerationChunk]:
        """End of stream: flush everything and check the end marker."""
        marker = getattr(self.handler, "has_end_marker", False)
        chunks: list[GenerationChunk] = []
        cut_off: ResponseParseError | None = None
        if not self.stopped:
            try:
                chunks = self._deltas(self.decoder.close())
            except ResponseParseError as exc:
                if not marker:
                    raise
                cut_off = exc  # the last event was cut off in the middle
        wrong = self._not_the_framing()
        if wrong is not None:
            raise wrong
        if not self.stopped and not self.done and marker:
            msg = (
                "The response stream ended before the model container finished "
                "(no end-of-stream event): the connection dropped or the last "
                "event was cut off. The text received so far is on .partial_text."
            )
            # self.text already holds the text of `chunks`; add what the stop
            # filter still held back, so nothing received is lost.
            raise IncompleteStreamError(msg).with_context(
                partial_text=self.text + self.stops.close()
            ) from cut_off
        return chunks + self._finish()

    def feed_body(self, body: Any) -> list[GenerationChunk]:
        """Feed a whole (non-streaming) response body and finish.

        Returns at most one chunk: the text with the stops applied, carrying
        the finish reason and usage.
        """
        if isinstance(self.handler, LegacyHandler):
            delta = self.handler.parse_body(body)
        else:
            delta = self.handler.parse_response(read_body(body))
        self._note(delta)
        text = self._cut(delta.text, last=True)
        if text:
            self._text.write(text)
        info = self.generation_info()
        if not text and not info:
            return []
        return [GenerationChunk(text=text, generation_info=info or None)]

    def _deltas(self, events: list[bytes]) -> list[GenerationChunk]:
        chunks: list[GenerationChunk] = []
        for data in events:
            if self.stopped or self.done:
                break
            self.events += 1
            delta = self.handler.parse_event(data)
            if delta is not None:
                chunks.extend(self._apply(delta))
        return chunks

    def _note(self, delta: Delta) -> None:
        if delta.usage:
            self.usage.update(delta.usage)
        if delta.finish_reason:
            self.finish_reason = delta.finish_reason
        if delta.done:
            self.done = True

    def _cut(self, text: str, *, last: bool = False) -> str:
        """Pass text through the stop filter, flushed if ``last``.

        A stop sequence makes the finish reason ``"stop"``.
        """
        out = self.stops.feed(text)
        if last:
            out += self.stops.close()
        if self.stops.stopped:
            self.finish_reason = "stop"
        return out

    def _apply(self, delta: Delta) -> list[GenerationChunk]:
        self._note(delta)
        return self._emit(self._cut(delta.text))

    def _emit(self, text: str) -> list[GenerationChunk]:
        if not text:
            return []
        self._text.write(text)
        return [GenerationChunk(text=text)]

    def _finish(self) -> list[GenerationChunk]:
        chunks = self._emit(self._cut("", last=True))
        info = self.generation_info()
        if info:
            chunks.append(GenerationChunk(text="", generation_info=info))
        return chunks

    def generation_info(self) -> dict[str, Any]:
        """The finish reason and token usage, only those actually reported."""
        info: dict[str, Any] = {}
        if self.finish_reason:
            info["finish_reason"] = self.finish_reason
        if self.usage:
            info["token_usage"] = dict(self.usage)
        return info
