"""Chat deltas -> ``AIMessageChunk``s, on top of the LLM's stream engine.

:class:`ChatAssembler` drives the same sans-I/O
:class:`~langchain_sagemaker._stream.Assembler` as the LLM class (framing,
literal stop sequences across chunks, the end-of-stream check, partial text
for errors, usage and finish reason). The chat handler's deltas reach that
engine through a small recorder, which keeps what text assembly does not use:
tool-call pieces and the model name. This module adds:

* tool-call chunks whose id and name are sent once per call (TGI repeats them
  in every chunk; LangChain would otherwise concatenate them), with a fresh
  id for a call the container sent none (or an unusable one) for;
* one last chunk carrying ``usage_metadata`` and ``response_metadata``
  (``finish_reason``, ``model_name``) -- once, since LangChain adds up those
  fields across chunks;
* ``finish_reason`` ``"tool_calls"`` for an answer with tool calls that
  ended with ``"stop"`` or with no reason at all (vLLM's named tool choice,
  TGI's streams).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from langchain_core.messages import AIMessageChunk
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import ToolCallChunk, tool_call_chunk
from langchain_core.outputs import GenerationChunk

from langchain_sagemaker._chat_handlers import ChatDelta, ChatHandler, ToolCallDelta
from langchain_sagemaker._stream import Assembler
from langchain_sagemaker.handlers.base import Delta, ModelHandler

__all__ = ["ChatAssembler", "new_tool_call_id", "usage_metadata"]

_ENDED = frozenset({"stop", "eos_token", "eos", "end_turn"})


def new_tool_call_id() -> str:
    """A fresh tool-call id (``call_`` and 24 hex digits)."""
    return f"call_{uuid.uuid4().hex[:24]}"


def usage_metadata(usage: Mapping[str, int]) -> UsageMetadata | None:
    """LangChain's usage from ``prompt_tokens`` / ``completion_tokens`` / total."""
    if not usage:
        return None
    inputs = usage.get("prompt_tokens", 0)
    outputs = usage.get("completion_tokens", 0)
    return UsageMetadata(
        input_tokens=inputs,
        output_tokens=outputs,
        total_tokens=usage.get("total_tokens", inputs + outputs),
    )


class _Recorder:
    """Stands in for a ``ModelHandler``: forwards to the chat handler, keeps extras."""

    def __init__(self, handler: ChatHandler) -> None:
        self.handler = handler
        self.framing = handler.framing
        self.has_end_marker = handler.has_end_marker
        self.pending: list[ToolCallDelta] = []
        self.model_name: str | None = None

    def parse_event(self, data: bytes) -> Delta | None:
        return self._keep(self.handler.parse_event(data))

    def parse_response(self, body: bytes) -> Delta:
        delta = self._keep(self.handler.parse_response(body))
        return delta if delta is not None else ChatDelta(done=True)

    def _keep(self, delta: ChatDelta | None) -> ChatDelta | None:
        if delta is not None:
            self.pending.extend(delta.tool_calls)
            self.model_name = delta.model_name or self.model_name
        return delta


@dataclass
class _Call:
    """What has been sent of one tool call."""

    id: str
    name: str | None = None


class ChatAssembler:
    """Turn a chat handler's deltas into ``AIMessageChunk``s with stops applied.

    ``feed_event`` / ``feed_bytes`` / ``close`` for a response stream,
    ``feed_body`` for a whole response. Both end with one chunk carrying the
    usage and response metadata.
    """

    def __init__(
        self,
        handler: ChatHandler,
        stop: Iterable[str] | None,
        *,
        model_name: str | None = None,
        new_id: Callable[[], str] = new_tool_call_id,
    ) -> None:
        self._recorder = _Recorder(handler)
        self.engine = Assembler(cast("ModelHandler", self._recorder), stop)
        self.default_model_name = model_name
        self._new_id = new_id
        self._calls: dict[int, _Call] = {}

    @property
    def text(self) -> str:
        """All text emitted so far (for errors' ``partial_text``)."""
        return self.engine.text

    @property
    def stopped(self) -> bool:
        """True once a stop sequence was met."""
        return self.engine.stopped

    @property
    def done(self) -> bool:
        """True once the container's end-of-stream event was read."""
        return self.engine.done

    def feed_event(self, event: Mapping[str, Any]) -> list[AIMessageChunk]:
        """Feed one event of the SageMaker response stream."""
        return self._convert(self.engine.feed_event(event))

    def feed_bytes(self, data: bytes) -> list[AIMessageChunk]:
        """Feed raw response-stream bytes."""
        return self._convert(self.engine.feed_bytes(data))

    def close(self) -> list[AIMessageChunk]:
        """End of stream: flush, check the end marker, add the metadata chunk."""
        return [*self._convert(self.engine.close()), self._last()]

    def feed_body(self, body: Any) -> list[AIMessageChunk]:
        """Feed a whole (non-streaming) response body and finish."""
        return [*self._convert(self.engine.feed_body(body)), self._last()]

    # -- conversion ------------------------------------------------------------

    def _convert(self, chunks: list[GenerationChunk]) -> list[AIMessageChunk]:
        out = [AIMessageChunk(content=c.text) for c in chunks if c.text]
        pending, self._recorder.pending = self._recorder.pending, []
        # One chunk per batch, one piece per call: LangChain merges pieces
        # of a call across chunks, not within one chunk.
        pieces: dict[int, ToolCallChunk] = {}
        for delta in pending:
            piece = self._piece(delta)
            if piece is None:
                continue
            index = piece["index"] or 0  # always set by _piece
            seen = pieces.get(index)
            if seen is None:
                pieces[index] = piece
            else:
                seen["args"] = (seen["args"] or "") + (piece["args"] or "")
                seen["id"] = seen["id"] or piece["id"]
                seen["name"] = seen["name"] or piece["name"]
        if pieces:
            out.append(
                AIMessageChunk(content="", tool_call_chunks=list(pieces.values()))
            )
        return out

    def _piece(self, delta: ToolCallDelta) -> ToolCallChunk | None:
        index = delta.index if delta.index is not None else len(self._calls)
        call = self._calls.get(index)
        call_id: str | None = None
        if call is None:
            call = self._calls[index] = _Call(id=delta.id or self._new_id())
            call_id = call.id
        name: str | None = None
        if delta.name and delta.name != call.name:
            name = call.name = delta.name
        if call_id is None and name is None and not delta.args:
            return None
        return tool_call_chunk(name=name, args=delta.args, id=call_id, index=index)

    def _last(self) -> AIMessageChunk:
        finish = self.engine.finish_reason
        if self._calls and (finish is None or finish in _ENDED):
            finish = "tool_calls"
        metadata: dict[str, Any] = {}
        if finish:
            metadata["finish_reason"] = finish
        model = self._recorder.model_name or self.default_model_name
        if model:
            metadata["model_name"] = model
        return AIMessageChunk(
            content="",
            usage_metadata=usage_metadata(self.engine.usage),
            response_metadata=metadata,
            chunk_position="last",
        )
